"""The change feed, ``GET /api/v1/changes?after=SEQ&limit=N`` (web/api/changes.py), over a real server
and database (tests/web/conftest.py: 30 organizations created, the first renamed, then the second's
level-2 and level-3 values changed)."""

from __future__ import annotations

import pytest

from jjjcredit.core.library import elements
from tests.web.conftest import Server

RENAMED = {"element": "name", "old": "石家庄某某0机械制造有限公司", "new": "保定新名0科技有限公司"}

EVENTS = 32  # 30 created + 1 renamed + 1 with restricted values changed


def _up_to_level(level: int) -> set[str]:
    """The elements of this security level or below, read from the element registry itself."""
    return {e.name for e in elements.ELEMENTS if e.security_level <= level}


def _all(server: Server, limit: int) -> tuple[list[dict], list[int]]:  # type: ignore[type-arg]
    """Every change, read page by page as a client would; and each page's ``next_after``."""
    events, marks, after = [], [], 0
    with server.client("full") as http:
        for _ in range(EVENTS + 2):  # a feed that stops advancing fails here instead of asking for ever
            page = http.get("/api/v1/changes", params={"after": after, "limit": limit}).json()
            if not page["changes"]:
                assert page["next_after"] == after
                return events, marks
            events += page["changes"]
            assert page["next_after"] > after, page["next_after"]
            after = page["next_after"]
            marks.append(after)
    raise AssertionError(f"the feed never ended: {len(events)} events read")


@pytest.mark.parametrize("limit", [1, 7, 10_000])
def test_paging_gives_every_change_once_in_order(server: Server, limit: int):
    events, marks = _all(server, limit)
    assert [e["seq"] for e in events] == list(range(1, EVENTS + 1))
    assert marks[-1] == EVENTS and len(marks) == -(-EVENTS // limit)


def test_each_change_says_what_changed_where_and_when(server: Server):
    events, _ = _all(server, 100)
    created = events[:30]
    assert [e["kind"] for e in created] == ["created"] * 30
    assert {e["uscc"] for e in created} == set(server.codes)
    renamed = events[30]
    assert renamed["kind"] == "changed" and renamed["uscc"] == server.codes[0]
    assert renamed["source"] == "hebei/market-regulation" and renamed["effective"] == "20240630"
    assert RENAMED in renamed["elements"]
    assert renamed["batch_id"] != created[0]["batch_id"]
    assert events[31]["kind"] == "changed" and events[31]["uscc"] == server.codes[1]
    assert all(e["element"] in _up_to_level(3) for event in events for e in event["elements"])


def test_after_the_last_change_there_is_nothing_yet(server: Server):
    with server.client("full") as http:
        page = http.get("/api/v1/changes", params={"after": 1_000}).json()
    assert page == {"changes": [], "next_after": 1_000}


def test_the_feed_needs_a_key_with_the_right_and_a_purpose(server: Server):
    with server.client() as public, server.client("verifier") as verifier, \
            server.client("full", purpose=None) as no_purpose, server.client("revoked") as revoked:
        answers = {name: http.get("/api/v1/changes") for name, http in
                   (("public", public), ("verifier", verifier), ("no_purpose", no_purpose), ("revoked", revoked))}
    assert {name: (r.status_code, r.json()["errors"][0]["code"]) for name, r in answers.items()} == {
        "public": (401, "access.key_required"), "verifier": (403, "access.forbidden"),
        "no_purpose": (400, "access.purpose_required"), "revoked": (401, "access.bad_key")}


@pytest.mark.parametrize("params", [{"after": -1}, {"limit": 0}, {"limit": 10_001}, {"after": "x"},
                                    {"after": 2**63}, {"after": 10**30}])  # beyond a 64-bit sequence: not a 500
def test_out_of_range_parameters_are_refused_in_the_one_shape(server: Server, params: dict[str, object]):
    with server.client("full") as http:
        response = http.get("/api/v1/changes", params=params)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors[0]["code"] == "request.invalid" and errors[0]["field"] in ("after", "limit")
