"""Every API channel that shows an organization shows only what the caller's level allows: the
fixture's level-2 and level-3 values (library_files.restricted, unique strings) are absent for the
public and a level-1 key, level 2 appears for a level-2 key, and everything for a level-3 key."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from tests.services.library import library_files as files
from tests.web.conftest import Server

LEVEL_2 = {"telephone", "contact", "shareholder"}
LEVEL_3 = {"legal_rep_id_number"}
#: Who calls (a key of the server's clients, or the public) → which restricted elements it sees.
CALLERS: dict[str | None, set[str]] = {None: set(), "level1": set(), "level2": LEVEL_2, "level3": LEVEL_2 | LEVEL_3}


def shown(text: str, code: str, revision: int = 0) -> set[str]:
    """The restricted elements of ``code`` whose values appear anywhere in ``text``."""
    return {element for element, value in files.restricted(code, revision).items() if value in text}


def test_the_fixture_holds_restricted_values_that_are_unique(server: Server):
    values = [v for code in server.codes for n in (0, 1) for v in files.restricted(code, n).values()]
    assert len(values) == len(set(values)) == 8 * len(server.codes)
    assert not any(a in b for a in values for b in values if a != b)


def _each_caller(server: Server, read: Callable[[httpx.Client], str], code: str,
                 revisions: tuple[int, ...] = (0,)) -> None:
    for key, entitled in CALLERS.items():
        with server.client(key) as http:
            text = read(http)
        for revision in revisions:
            assert shown(text, code, revision) == entitled, f"caller {key or 'public'}, revision {revision}"


def _ok(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return response.text


def test_lookup(server: Server):
    code = server.codes[6]
    _each_caller(server, lambda http: _ok(http.get(f"/api/v1/organizations/{code}")), code)
    with server.client("level3") as http:
        organization = http.get(f"/api/v1/organizations/{code}").json()["organization"]
    assert {k: organization[k] for k in files.restricted(code)} == files.restricted(code)


def test_history(server: Server):
    code = server.codes[1]  # its level-2 and level-3 values changed: old and new are in its history
    _each_caller(server, lambda http: _ok(http.get(f"/api/v1/organizations/{code}/history")), code, (0, 1))


def test_change_feed(server: Server):
    code = server.codes[1]

    def read(http: httpx.Client) -> str:
        response = http.get("/api/v1/changes", params={"after": 0, "limit": 1000})
        if http.headers.get("X-API-Key") is None:
            assert response.status_code == 401  # the public has no feed
            return response.text
        return _ok(response)

    _each_caller(server, read, code, (0, 1))


def test_search(server: Server):
    code = server.codes[9]
    query = {"q": "石家庄某某9机械制造有限公司"}
    _each_caller(server, lambda http: _ok(http.get("/api/v1/search", params=query)), code)


def test_autocomplete_shows_no_restricted_element_at_any_level(server: Server):
    code = server.codes[10]
    for key in CALLERS:
        with server.client(key) as http:
            results = http.get("/api/v1/search/autocomplete", params={"q": "石家庄某某10"}).json()["results"]
        assert code in {r["code"] for r in results}
        assert shown(json.dumps(results, ensure_ascii=False), code) == set()


def test_reconcile_preview(server: Server):
    code = server.codes[11]
    _each_caller(server, lambda http: _ok(http.get(f"/reconcile/preview/{code}")), code)


@pytest.mark.parametrize("route", ["query", "suggest"])
def test_reconcile_query_and_suggest_describe_with_public_elements_only(server: Server, route: str):
    code = server.codes[12]
    for key in CALLERS:
        with server.client(key) as http:
            if route == "query":
                batch = {"q0": {"query": "石家庄某某12机械制造有限公司"}}
                response = http.post("/reconcile", data={"queries": json.dumps(batch)})
                results = response.json()["q0"]["result"]
            else:
                response = http.get("/reconcile/suggest/entity", params={"prefix": "石家庄某某12"})
                results = response.json()["result"]
        assert response.status_code == 200 and code in {r["id"] for r in results}
        assert shown(response.text, code) == set(), f"caller {key or 'public'}"

