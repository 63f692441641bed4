"""Who is calling, and may they: API keys, per-service rights, purpose, rate limits (the public's per address,
a client's per key on the public's services).

Every route under ``/api/v1`` declares its service through :func:`caller_for`; a test enumerates the
routes so that a new route without it fails.

The check is a coroutine, so a call without a key costs no thread hand-off: the in-process rate limit
is a few dictionary operations. What waits on the network or the database — the Redis rate limit,
the key's rights — runs on the app's threads (web/threads.py), never on the event loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from sqlalchemy import Engine

from jjjcredit.core.sharing import access
from jjjcredit.core.sharing import audit as chain
from jjjcredit.services import db
from jjjcredit.services.sharing import clients, rate_limits
from jjjcredit.web import threads
from jjjcredit.web.errors import ApiError

#: The header that carries a client's API key (``jjjcredit clients add``), and the one that states the
#: purpose of a call with a key (kept in the audit trail).
KEY_HEADER, PURPOSE_HEADER = "X-API-Key", "X-Purpose"


async def limit_public(request: Request, cost: int = 1) -> None:
    """Count ``cost`` calls without a key against the address (services/sharing/rate_limits.py): one for the
    call, and the work of a batch once it is read (:func:`charge_batch`); 429 when over."""
    await _admit(request, rate_limits.window_of(_address(request)), cost, "calls without an API key")


async def limit_client(request: Request, caller: access.Caller, cost: int = 1) -> None:
    """Count ``cost`` keyed calls to the public's services against the key's client (by its id), in a window
    of their own (``JJJCREDIT_CLIENT_RATE_PER_MINUTE``): one for the call, and the work of a batch once it is
    read (:func:`charge_batch`); 429 when over."""
    limiter: rate_limits.Limiter = request.app.state.client_limiter
    _refuse_client_unless(limiter, await _decide(request, limiter, _client_key(caller), cost), caller)


async def charge_batch(request: Request, cost: int) -> None:
    """The rest of a batch's work (its queries beyond the one the call was counted as): against the address
    without a key, against the client with one."""
    caller = request.state.caller
    if cost > 0 and caller is access.PUBLIC:
        await limit_public(request, cost)
    elif cost > 0 and caller.client is not None:
        await limit_client(request, caller, cost)


def charge_batch_here(request: Request, cost: int) -> None:
    """:func:`charge_batch` for a route that runs on a thread (it may wait on Redis there)."""
    caller = request.state.caller
    if cost > 0 and caller is access.PUBLIC:
        limiter: rate_limits.Limiter = request.app.state.limiter
        _refuse_unless(limiter, limiter.admit(rate_limits.window_of(_address(request)), cost), request,
                       "calls without an API key")
    elif cost > 0 and caller.client is not None:
        clients_limiter: rate_limits.Limiter = request.app.state.client_limiter
        _refuse_client_unless(clients_limiter, clients_limiter.admit(_client_key(caller), cost), caller)


def _client_key(caller: access.Caller) -> str:
    return f"client:{caller.client_id or caller.client}"


def _refuse_client_unless(limiter: rate_limits.Limiter, decision: rate_limits.Decision,
                          caller: access.Caller) -> None:
    if not decision.admitted:
        raise ApiError("access.rate_limited", f'Too many calls from client "{caller.client}" to the public\'s '
                       f"services (lookup, search, verify, reconcile, the catalogue, credit records): at most "
                       f"{limiter.per_minute} a minute with its key (JJJCREDIT_CLIENT_RATE_PER_MINUTE). Retry after "
                       f"{decision.retry_after} s; a batch (POST /api/v1/verify/batch, reconciliation's queries=) "
                       "asks many questions for the cost of few calls.",
                       headers={"Retry-After": str(decision.retry_after)})


def limit_client_here(request: Request, caller: access.Caller) -> None:
    """Count a keyed call to a public route that writes (a catalogue comment) against its client, at the
    public's rate: a key admits a client to more services, never to more of the public's writes. On a
    thread (it may wait on Redis there); 429 when over."""
    limiter: rate_limits.Limiter = request.app.state.limiter
    decision = limiter.admit(f"client:{caller.client_id or caller.client}", 1)
    if not decision.admitted:
        raise ApiError("access.rate_limited", f'Too many calls from client "{caller.client}" to a public route: at '
                       f"most {limiter.per_minute} a minute, as without a key. Retry after {decision.retry_after} s.",
                       headers={"Retry-After": str(decision.retry_after)})


def sender_of(request: Request, caller: access.Caller) -> str:
    """Who a call comes from, for a count kept with what it leaves (a comment): its key's client, or — without
    one — the address the public's rate limit counts it under."""
    if caller.client is not None:
        return f"client:{caller.client_id or caller.client}"
    return f"address:{rate_limits.window_of(_address(request))}"


def _address(request: Request) -> str:
    """The address a call is counted against: the peer, or — only when the peer is a trusted proxy — the
    rightmost address of X-Forwarded-For that is not one (rate_limits.client_address)."""
    peer = request.client.host if request.client else "unknown"
    return rate_limits.client_address(peer, request.headers.getlist("x-forwarded-for"),
                                      request.app.state.trusted_proxies)


async def _admit(request: Request, key: str, cost: int, what: str) -> None:
    limiter: rate_limits.Limiter = request.app.state.limiter
    _refuse_unless(limiter, await _decide(request, limiter, key, cost), request, what)


async def _decide(request: Request, limiter: rate_limits.Limiter, key: str, cost: int) -> rate_limits.Decision:
    if isinstance(limiter, rate_limits.LocalWindow):
        return limiter.admit(key, cost)
    return await threads.run(request, limiter.admit, key, cost)  # Redis: never on the event loop


async def limit_reports(request: Request, caller: access.Caller) -> None:
    """Count one signed report against the client that asks for it, or — without a key — its address
    (``JJJCREDIT_REPORTS_PER_MINUTE``, a window apart from the public's calls); 429 when over."""
    limiter: rate_limits.Limiter = request.app.state.report_limiter
    who = f"the address {_address(request)}" if caller.client is None else f'client "{caller.client}"'
    key = f"address:{rate_limits.window_of(_address(request))}" if caller.client is None else \
        f"client:{caller.client}"
    decision = await _decide(request, limiter, key, 1)
    if not decision.admitted:
        raise ApiError("access.rate_limited", f"Too many credit reports for {who}: at most {limiter.per_minute} a "
                       f"minute (each is rendered, signed and kept). Retry after {decision.retry_after} s.",
                       headers={"Retry-After": str(decision.retry_after)})


def _refuse_unless(limiter: rate_limits.Limiter, decision: rate_limits.Decision, request: Request, what: str) -> None:
    if not decision.admitted:
        address = _address(request)
        raise ApiError("access.rate_limited", f"Too many {what} from {address}: "
                       f"at most {limiter.per_minute} a minute. Retry after {decision.retry_after} s, or ask for "
                       "a key.", headers={"Retry-After": str(decision.retry_after)})


def _caller_of(engine: Engine, key: str) -> access.Caller | None:
    with db.reading(engine) as conn:
        return clients.caller_of(conn, key)


def caller_for(service: str) -> Callable[[Request], Awaitable[access.Caller]]:
    """A dependency that admits the caller to ``service`` or raises 401/403/429/400."""

    async def dependency(request: Request) -> access.Caller:
        key = request.headers.get(KEY_HEADER)
        if key is None:
            if service not in access.PUBLIC_SERVICES:
                raise ApiError("access.key_required", f'The "{service}" service needs an API key '
                               "(header X-API-Key); ask the platform operator for one.")
            await limit_public(request)
            request.state.caller = access.PUBLIC
            request.state.address_class = chain.address_class(_address(request))  # the trail's "who"
            return access.PUBLIC
        # Wrong keys count against their address, in a window of their own: past the public rate, every
        # keyed call from it waits (429) before its key is even looked at, so keys cannot be guessed fast.
        guesses = f"bad-key:{rate_limits.window_of(_address(request))}"
        await _admit(request, guesses, 0, "calls with a wrong API key")
        caller = await threads.run(request, _caller_of, request.app.state.engine, key)
        if caller is None:
            await _admit(request, guesses, 1, "calls with a wrong API key")
            raise ApiError("access.bad_key", "The API key is unknown or revoked.")
        admitted = access.admit(caller, service)  # the public's services, and its grants
        if admitted is None:
            raise ApiError("access.forbidden", f'Client "{caller.client}" has no right to the "{service}" '
                           f"service (it has: {', '.join(sorted(caller.services))}).")
        caller = admitted
        if not request.headers.get(PURPOSE_HEADER):
            raise ApiError("access.purpose_required", "Calls with an API key state their purpose in the "
                           "X-Purpose header (it is kept in the audit trail).", field="X-Purpose")
        request.state.caller = caller
        if service in access.PUBLIC_SERVICES:  # a key admits to more, never to unbounded use of the public's
            await limit_client(request, caller)
        return caller

    dependency.service = service  # type: ignore[attr-defined]
    return dependency


def codes_of(service: str) -> tuple[str, ...]:
    """The codes :func:`caller_for` may refuse a call to ``service`` with (what /openapi.json lists).

    >>> codes_of("changes")[:2], "access.forbidden" in codes_of("lookup")
    (('access.key_required', 'access.forbidden'), False)
    """
    # a public service never refuses a key its client was not granted: it answers at the public level
    own = () if service in access.PUBLIC_SERVICES else ("access.key_required", "access.forbidden")
    return (*own, "access.bad_key", "access.key_expired", "access.purpose_required", "access.rate_limited")
