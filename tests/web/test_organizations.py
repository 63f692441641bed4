"""The lookup route, ``GET /api/v1/organizations/{code}`` and ``…/history`` (web/api/organizations.py),
over a real server and database (tests/web/conftest.py: 30 organizations, the first renamed)."""

from __future__ import annotations

from jjjcredit.core.library import elements
from tests.web.conftest import Server

RENAMED = {"element": "name", "old": "石家庄某某0机械制造有限公司", "new": "保定新名0科技有限公司"}

NOBODY = "91350100M000100Y43"  # a valid code no provider has sent


def _up_to_level(level: int) -> set[str]:
    """The elements of this security level or below, read from the element registry itself."""
    return {e.name for e in elements.ELEMENTS if e.security_level <= level}


def test_lookup_answers_the_current_record(server: Server):
    code = server.codes[5]
    with server.client() as http:
        response = http.get(f"/api/v1/organizations/{code}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"organization", "level"} and body["level"] == 1
    org = body["organization"]
    assert org["uscc"] == code and org["name"] == "石家庄某某5机械制造有限公司" and org["legal_rep"] == "张三"
    assert set(org) <= _up_to_level(1) | {"uscc"}


def test_lookup_shows_the_renamed_organizations_new_name(server: Server):
    with server.client("full") as http:
        body = http.get(f"/api/v1/organizations/{server.codes[0]}").json()
    assert body["level"] == 3 and body["organization"]["name"] == "保定新名0科技有限公司"


def test_lookup_takes_the_code_as_people_type_it(server: Server):
    code = server.codes[1]
    with server.client() as http:
        body = http.get(f"/api/v1/organizations/{code[:8].lower()}-{code[8:].lower()}").json()
    assert body["organization"]["uscc"] == code


def test_an_invalid_code_is_a_400_with_where_and_the_likely_code(server: Server):
    mistyped = NOBODY[:3] + "O" + NOBODY[4:]  # the letter O for the digit 0
    with server.client() as http:
        response = http.get(f"/api/v1/organizations/{mistyped}")
        swapped = http.get(f"/api/v1/organizations/{NOBODY[:-2] + NOBODY[-1] + NOBODY[-2]}")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "uscc.format" and error["field"] == "code" and error["position"] == 4
    assert error["suggestions"][0] == NOBODY
    assert swapped.status_code == 400 and swapped.json()["errors"][0]["code"].startswith("uscc.")
    assert NOBODY in swapped.json()["errors"][0]["suggestions"]


def test_a_valid_code_nobody_sent_is_a_404(server: Server):
    with server.client() as http:
        for path in (f"/api/v1/organizations/{NOBODY}", f"/api/v1/organizations/{NOBODY}/history"):
            response = http.get(path)
            assert response.status_code == 404, path
            assert response.json()["errors"][0]["code"] == "library.not_found"
            assert NOBODY in response.json()["errors"][0]["message"]


def test_a_key_without_the_lookup_right_looks_up_as_the_public_and_must_be_live(server: Server):
    code = server.codes[2]
    with server.client("verifier") as verifier, server.client("revoked") as revoked:
        public = verifier.get(f"/api/v1/organizations/{code}")
        unknown = revoked.get(f"/api/v1/organizations/{code}")
    assert public.status_code == 200 and public.json()["level"] == 1  # the public's right, at its level
    assert unknown.status_code == 401 and unknown.json()["errors"][0]["code"] == "access.bad_key"


def test_history_lists_every_change_oldest_first(server: Server):
    renamed = server.codes[0]
    with server.client() as http:
        body = http.get(f"/api/v1/organizations/{renamed}/history").json()
        untouched = http.get(f"/api/v1/organizations/{server.codes[9]}/history").json()["history"]
    assert body["code"] == renamed
    created, changed = body["history"]
    assert (created["kind"], changed["kind"]) == ("created", "changed") and created["seq"] < changed["seq"]
    assert created["source"] == changed["source"] == "hebei/market-regulation"
    assert RENAMED in changed["elements"]
    assert all(e["element"] in _up_to_level(1) for event in body["history"] for e in event["elements"])
    assert [e["kind"] for e in untouched] == ["created"]


def test_history_of_an_invalid_code_is_a_400(server: Server):
    with server.client() as http:
        response = http.get("/api/v1/organizations/12345/history")
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "uscc.length"
