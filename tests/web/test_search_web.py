"""Search over real HTTP: results, elements by level, autocomplete, errors in the one shape."""

from __future__ import annotations

from tests.web.conftest import Server


def test_search_finds_by_name_initials_and_code(server: Server):
    code = server.codes[3]
    with server.client() as http:
        found = http.get("/api/v1/search", params={"q": "某某3机械制造有限责任公司"}).json()
        assert found["results"][0]["code"] == code and found["results"][0]["match"] == "exact_without_region"
        assert found["level"] == 1 and "name" in found["results"][0]["organization"]
        assert http.get("/api/v1/search", params={"q": code[:12]}).json()["results"][0]["match"] == "code"
        initials = http.get("/api/v1/search", params={"q": "sjzmm3", "limit": 1}).json()["results"]
        assert [r["code"] for r in initials] == [code]
        assert http.get("/api/v1/search", params={"q": "石家庄某某", "status": "注销"}).json()["results"] == []


def test_search_filters_elements_by_level(server: Server):
    with server.client() as anonymous, server.client("full") as full:
        public = anonymous.get("/api/v1/search", params={"q": "石家庄某某2机械"}).json()["results"][0]
        restricted = full.get("/api/v1/search", params={"q": "石家庄某某2机械"}).json()["results"][0]
    assert "legal_rep" not in public["organization"] or set(public["organization"]) <= set(restricted["organization"])
    assert set(public["organization"]) <= set(restricted["organization"])


def test_autocomplete_and_errors(server: Server):
    with server.client() as http:
        done = http.get("/api/v1/search/autocomplete", params={"q": "石家庄某某1"}).json()["results"]
        assert done and all(r["name"].startswith("石家庄某某1") for r in done)
        for params, code, field in (({"q": " "}, "search.empty_query", "q"),
                                    ({"q": "x", "region": "abc"}, "search.bad_filter", "region"),
                                    ({"q": "x", "limit": 1000}, "search.bad_limit", "limit")):
            response = http.get("/api/v1/search", params=params)
            assert response.status_code == 400
            assert response.json()["errors"][0]["code"] == code and response.json()["errors"][0]["field"] == field


def test_a_query_is_said_back_with_personal_numbers_masked(server: Server):
    """Someone who types an identity or a mobile number into the search box gets the query back masked: the answer
    may be kept or shown where the number should not be."""
    typed = "110105198001011238 13812345678"
    with server.client() as http:
        for path in ("/api/v1/search", "/api/v1/search/autocomplete"):
            answer = http.get(path, params={"q": typed})
            assert answer.status_code == 200, answer.text
            assert answer.json()["query"] == "110105********1238 138****5678", path
            assert "19800101" not in answer.text and "12345678" not in answer.text
