"""The change feed between nodes over HTTPS: ``GET /api/v1/federation/changes?kind=K&after=N`` — this node's
own changes as one signed package in one piece (NDJSON: the manifest's line, then the rows), for a peer
node's key granted ``federation`` at the government-sharing level or above and every item — what a package
holds (services/federation/pull.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response

from jjjcredit.core.federation import messages
from jjjcredit.core.sharing import access
from jjjcredit.services.federation import pull
from jjjcredit.web.access import caller_for
from jjjcredit.web.errors import ApiError, raises

router = APIRouter(prefix="/api/v1/federation", tags=["federation"])


@router.get("/changes", response_class=Response, responses={
    200: {"content": {messages.MEDIA_TYPE: {}}, "description": "The package: its manifest's line, then its rows."},
    **raises("federation.after", "exchange.kind", "evidence.no_secret", "federation.node")})
def changes_after(request: Request, kind: str = Query("organizations", description="organizations or credit_records"),
                  after: int = Query(0, ge=0, le=2**63 - 1, description="The end of the last range applied from "
                                     "this node (0: a full snapshot)."),
                  caller: access.Caller = Depends(caller_for("federation"))) -> Response:
    """This node's own changes of ``kind`` after ``after`` (at most ``JJJCREDIT_LIMIT_FEDERATION_MESSAGE_CHANGES``
    sequence numbers: ``X-Sequence-End`` gives the node's sequence, to ask again after the answer's range
    until it is reached), signed (check with ``/api/v1/keys``)."""
    if caller.level < access.SHARING_LEVEL or caller.items is not None:
        # a package is what government sharing reads, every item and natural persons included: never less
        granted = f" for the items {', '.join(sorted(caller.items))} only" if caller.items is not None else ""
        raise ApiError("access.forbidden", f'Client "{caller.client}" is granted federation at level {caller.level}'
                       f"{granted}, and this node's changes go to a peer as government sharing reads them (level "
                       f"{access.SHARING_LEVEL}, every item): nothing is sent to it. A peer node's key is granted "
                       f"federation at level {access.SHARING_LEVEL} or above, without --items (`jjjcredit clients "
                       "add`).")
    state = request.app.state
    body, end = pull.changes_after(state.engine, state.key_box, node=state.node, kind=kind, after=after,
                                   most=state.limits.federation_message_changes)
    return Response(body, media_type=messages.MEDIA_TYPE, headers={pull.SEQUENCE_END: str(end)})
