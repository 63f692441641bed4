"""The catalogue over HTTP (web/api/catalogue.py): editions for everyone, drafts and the staff steps for
the ``cataloguing`` right only, public comments during the comment period."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import urlsplit

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF
from sqlalchemy import insert, select, update

from jjjcredit.core.credit import catalogue as core
from jjjcredit.core.credit import working_days
from jjjcredit.core.credit.catalogue_export import VCARD
from jjjcredit.services import db
from jjjcredit.services.sharing import clients, personal_keys, rate_limits
from jjjcredit.settings import DEFAULT_PUBLIC_URL, Settings
from jjjcredit.storage.engine import make_engine
from jjjcredit.storage.schema import catalogue_comments, catalogue_editions
from jjjcredit.web.app import create_app
from tests.cli.test_codes import run
from tests.web.conftest import SECRET, Server, serving


@pytest.fixture
def server(database_url: str) -> Iterator[Server]:
    engine = make_engine(database_url)
    db.upgrade(engine)
    keys = {}
    with engine.begin() as conn:
        for name, services in (("河北省发展改革委", "cataloguing"), ("河北省人民政府", "cataloguing"),
                               ("reader", "verify")):
            _, keys[name] = clients.add_client(conn, name, services, 1)
    engine.dispose()
    app = create_app(replace(Settings(), database_url=database_url, public_rate_per_minute=1000,
                             signing_key_secret=SECRET))
    with serving(app) as url:
        yield Server(url, app, [], keys)


STAFF = "河北省发展改革委"
APPROVER = "河北省人民政府"  #: a second key of the right: who compiled an edition does not approve it


def test_the_workflow_over_http(server: Server):
    with server.client(STAFF) as staff, server.client() as public, server.client("reader") as reader, \
            server.client(APPROVER) as approver:
        assert staff.post("/api/v1/catalogue/2026").status_code == 200
        # a draft is seen only by those who compile the catalogue
        assert public.get("/api/v1/catalogue").json() == []
        assert public.get("/api/v1/catalogue/2026").status_code == 404
        assert [e["status"] for e in staff.get("/api/v1/catalogue").json()] == ["draft"]
        for method, path, body in (("POST", "/api/v1/catalogue/2027", None),
                                   ("POST", "/api/v1/catalogue/2026/approve", None),
                                   ("POST", "/api/v1/catalogue/2026/items/JJJ-03-001/withdraw", {"reason": "x"})):
            assert public.request(method, path, json=body).status_code == 401
            assert reader.request(method, path, json=body).status_code == 403
        early = public.post("/api/v1/catalogue/2026/comments", json={"author": "张三", "text": "意见"})
        # a draft is hidden from the public: a comment on it finds no edition, as reading it does
        assert early.status_code == 404 and early.json()["errors"][0]["code"] == "catalogue.no_edition"
        on_draft = staff.post("/api/v1/catalogue/2026/comments", json={"author": "张三", "text": "意见"})
        assert on_draft.status_code == 409 and on_draft.json()["errors"][0]["code"] == "catalogue.status"
        changed = staff.patch("/api/v1/catalogue/2026/items/JJJ-03-001",
                              json={"values": {"update_period": "实时"}, "reason": "更及时"})
        assert changed.status_code == 200 and changed.json()["update_period"] == "实时"
        no_reason = staff.patch("/api/v1/catalogue/2026/items/JJJ-03-001",
                                json={"values": {"update_period": "每周"}, "reason": " "})
        assert no_reason.status_code == 400 and no_reason.json()["errors"][0]["code"] == "catalogue.reason"
        past = staff.post("/api/v1/catalogue/2026/open-comments", json={"until": "2020-01-01"})
        assert past.status_code == 409 and past.json()["errors"][0]["code"] == "catalogue.comment_period"
        assert staff.post("/api/v1/catalogue/2026/open-comments").status_code == 200  # no body: until approved
        shown = public.get("/api/v1/catalogue/2026").json()
        assert shown["status"] == "comment" and len(shown["items"]) == len(core.default_items())
        sheet = public.get("/api/v1/catalogue/2026", params={"format": "csv"})  # offered under a name saying so
        assert sheet.headers["content-disposition"] == 'attachment; filename="catalogue-2026-comment.csv"'
        comment = public.post("/api/v1/catalogue/2026/comments",
                              json={"author": "张三", "text": "建议缩短归集时限", "item": "JJJ-03-001"})
        assert comment.status_code == 200 and comment.json()["item"] == "JJJ-03-001"
        unknown = public.post("/api/v1/catalogue/2026/comments",
                              json={"author": "张三", "text": "意见", "item": "JJJ-99\u202e-001"})
        error = unknown.json()["errors"][0]
        assert unknown.status_code == 404 and (error["code"], error["field"]) == ("catalogue.unknown_item", "item")
        assert "\u202e" not in error["message"] and '"JJJ-99\\u202e-001"' in error["message"]
        personal = public.post("/api/v1/catalogue/2026/comments",
                               json={"author": "李四", "text": "请联系13812345678，身份证11010519491231002X"})
        assert personal.status_code == 200
        seen = public.get("/api/v1/catalogue/2026/comments").json()["comments"]
        assert [c["author"] for c in seen] == ["张*", "李*"], "authors are masked for the public"
        assert "13812345678" not in json.dumps(seen, ensure_ascii=False)
        assert "11010519491231002X" not in json.dumps(seen, ensure_ascii=False)
        assert seen[1]["text"] == "请联系138****5678，身份证110105********002X"
        clear = staff.get("/api/v1/catalogue/2026/comments").json()["comments"]
        assert [c["author"] for c in clear] == ["张三", "李四"] and "13812345678" in clear[1]["text"]
        own = staff.post("/api/v1/catalogue/2026/approve")
        assert own.status_code == 403 and own.json()["errors"][0]["code"] == "catalogue.own_approval"
        assert own.json()["errors"][0]["message"].startswith(f"{STAFF} drafted it, so cannot also approve")
        refused = approver.post("/api/v1/catalogue/2026/approve")
        assert refused.status_code == 409 and refused.json()["errors"][0]["code"] == "catalogue.assessment"
        assessment = {"item": "JJJ-04-001", "experts": "同意", "representatives": "同意", "conclusion": "保留"}
        assert staff.post("/api/v1/catalogue/2026/assessments", json=assessment).status_code == 200
        approved = approver.post("/api/v1/catalogue/2026/approve").json()
        assert approved["status"] == "approved" and approved["approved_by"] == APPROVER
        assert staff.post("/api/v1/catalogue/2026/publish").json()["status"] == "published"
        late = staff.patch("/api/v1/catalogue/2026/items/JJJ-03-001",
                           json={"values": {"update_period": "每周"}, "reason": "r"})
        assert late.status_code == 409 and late.json()["errors"][0]["code"] == "catalogue.published"
        assert "--" not in late.json()["errors"][0]["message"], "an API answer names no command-line flag"
        turtle = public.get("/api/v1/catalogue/2026", params={"format": "dcat-turtle"})
        assert turtle.headers["content-disposition"] == 'inline; filename="catalogue-2026.ttl"'
        assert turtle.headers["content-type"].startswith("text/turtle")
        graph = Graph().parse(data=turtle.text, format="turtle")
        assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) == len(core.default_items())
        # the resources are named at the platform's own address, whatever Host a caller sends
        assert set(graph.subjects(RDF.type, DCAT.Catalog)) == {URIRef(f"{DEFAULT_PUBLIC_URL}/api/v1/catalogue/2026")}
        spoofed = public.get("/api/v1/catalogue/2026", params={"format": "dcat-turtle"},
                             headers={"Host": "credit.evil.example"})
        assert spoofed.status_code == 200 and "evil" not in spoofed.text
        jsonld = json.loads(public.get("/api/v1/catalogue/2026", params={"format": "dcat-jsonld"}).text)
        assert "@context" in jsonld
        bad = public.get("/api/v1/catalogue/2026", params={"format": "pdf"})
        assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "usage.format"


def _published_2026_and_a_2027_draft_withdrawing(staff: httpx.Client, approver: httpx.Client) -> None:
    """The 2026 edition published (its contested item assessed, approved by another key than the compiler's),
    and a 2027 draft withdrawing JJJ-04-002."""
    assert staff.post("/api/v1/catalogue/2026").status_code == 200
    assert staff.post("/api/v1/catalogue/2026/open-comments").status_code == 200
    assessment = {"item": "JJJ-04-001", "experts": "同意", "representatives": "同意", "conclusion": "保留"}
    assert staff.post("/api/v1/catalogue/2026/assessments", json=assessment).status_code == 200
    assert approver.post("/api/v1/catalogue/2026/approve").status_code == 200
    assert staff.post("/api/v1/catalogue/2026/publish").status_code == 200
    assert staff.post("/api/v1/catalogue/2027").status_code == 200
    withdrawn = staff.post("/api/v1/catalogue/2027/items/JJJ-04-002/withdraw", json={"reason": "并入名单"})
    assert withdrawn.status_code == 200


def test_a_withdrawn_item_takes_comments_over_http(server: Server):
    with server.client(STAFF) as staff, server.client() as public, server.client(APPROVER) as approver:
        _published_2026_and_a_2027_draft_withdrawing(staff, approver)
        assert staff.post("/api/v1/catalogue/2027/open-comments").status_code == 200
        kept = public.post("/api/v1/catalogue/2027/comments",
                           json={"author": "某企业", "text": "反对撤销", "item": "JJJ-04-002"})
        assert kept.status_code == 200 and kept.json()["item"] == "JJJ-04-002"
        assert [c["item"] for c in public.get("/api/v1/catalogue/2027/comments").json()["comments"]] == ["JJJ-04-002"]
        refused = public.post("/api/v1/catalogue/2027/comments",
                              json={"author": "某企业", "text": "意见", "item": "JJJ-99-001"})
        error = refused.json()["errors"][0]
        assert refused.status_code == 404 and (error["code"], error["field"]) == ("catalogue.unknown_item", "item")
        assert "GET /api/v1/catalogue/2027" in error["message"] and "(JJJ-04-002)" in error["message"]


def test_the_public_reads_why_each_item_changes_and_the_diff_of_two_editions(server: Server):
    """While it comments, the public reads what the draft adds, changes and withdraws and why (Art. 11), who
    recorded each masked; the diff of two editions open to it is the command's."""
    with server.client(STAFF) as staff, server.client() as public, server.client(APPROVER) as approver:
        _published_2026_and_a_2027_draft_withdrawing(staff, approver)
        item = public.get("/api/v1/catalogue/2026").json()["items"][2]
        fields = [dict(f, max_length=64) if f["element"] == "CF_WSH" else f for f in item["fields"]]
        assert staff.patch(f"/api/v1/catalogue/2027/items/{item['code']}",
                           json={"values": {"fields": fields}, "reason": "文号统一"}).status_code == 200
        assert public.get("/api/v1/catalogue/2027/changes").status_code == 404  # a draft, until its comments
        assert public.get("/api/v1/catalogue/diff/2026/2027").status_code == 404
        assert staff.post("/api/v1/catalogue/2027/open-comments").status_code == 200
        seen = public.get("/api/v1/catalogue/2027/changes").json()
        assert [(c["item"], c["action"]) for c in seen["changes"]] == [("JJJ-04-002", "withdraw"),
                                                                       (item["code"], "change")]
        assert {c["by"] for c in seen["changes"]} == {"河*******"}
        assert seen["changes"][0]["reason"] == "并入名单" and seen["changes"][0]["attributes"] is None
        layout = seen["changes"][1]["attributes"]["fields"]["field_changes"]
        assert [(f["field"], f["field_attribute"], f["new"]) for f in layout] == [("CF_WSH", "max_length", 64)]
        assert staff.get("/api/v1/catalogue/2027/changes").json()["changes"][1]["by"] == STAFF
        diff = public.get("/api/v1/catalogue/diff/2026/2027").json()
        assert (diff["from"], diff["to"], diff["added"], diff["withdrawn"]) == (2026, 2027, [], ["JJJ-04-002"])
        assert [(r["item"], r["field"], r["old"], r["new"]) for r in diff["changed"]] == [
            (item["code"], "CF_WSH", next(f["max_length"] for f in item["fields"] if f["element"] == "CF_WSH"), 64)]


def test_each_edition_says_whether_it_is_in_force(server: Server):
    """Next year's edition published (as in December): this year's is the one in force until 1 January."""
    year = working_days.today().year
    with server.client(STAFF) as staff, server.client() as public, server.client(APPROVER) as approver:
        for y in (year, year + 1):
            assert staff.post(f"/api/v1/catalogue/{y}").status_code == 200
            assert staff.post(f"/api/v1/catalogue/{y}/open-comments").status_code == 200
            if y == year:
                assessment = {"item": "JJJ-04-001", "experts": "同意", "representatives": "同意", "conclusion": "保留"}
                assert staff.post(f"/api/v1/catalogue/{y}/assessments", json=assessment).status_code == 200
            assert approver.post(f"/api/v1/catalogue/{y}/approve").json()["in_force"] is False
            assert staff.post(f"/api/v1/catalogue/{y}/publish").status_code == 200
        with server.app.state.engine.begin() as conn:  # (as if it had been published last December)
            conn.execute(update(catalogue_editions).where(catalogue_editions.c.year == year)
                         .values(published_at=datetime.datetime(year - 1, 12, 20, tzinfo=datetime.UTC)))
        editions = public.get("/api/v1/catalogue").json()
        assert [(e["year"], e["in_force"], e["in_force_from"], e["in_force_until"]) for e in editions] == [
            (year, True, f"{year}-01-01", f"{year + 1}-01-01"), (year + 1, False, f"{year + 1}-01-01", None)]
        shown = public.get(f"/api/v1/catalogue/{year + 1}").json()
        assert (shown["in_force"], shown["in_force_from"]) == (False, f"{year + 1}-01-01")


def test_a_draft_is_answered_as_a_year_with_no_edition_on_every_public_read(server: Server):
    """The public cannot tell a draft from a year no one drafted: the edition, its export, changes, comments and
    a diff naming it answer alike, word for word (an answer saying "a draft" told it one exists, and when)."""
    with server.client(STAFF) as staff, server.client() as public:
        assert staff.post("/api/v1/catalogue/2026").status_code == 200
        assert staff.post("/api/v1/catalogue/2026/open-comments").status_code == 200
        assert staff.post("/api/v1/catalogue/2027").status_code == 200  # a draft; 2028 is no edition at all
        for path in ("/api/v1/catalogue/{}", "/api/v1/catalogue/{}?format=csv", "/api/v1/catalogue/{}/changes",
                     "/api/v1/catalogue/{}/comments", "/api/v1/catalogue/diff/2026/{}",
                     "/api/v1/catalogue/diff/{}/2026", "/api/v1/catalogue/{}/items/JJJ-03-001",
                     "/api/v1/catalogue/{}/items/JJJ-99-001"):
            draft, none = (public.get(path.format(year)) for year in (2027, 2028))
            assert (draft.status_code, none.status_code) == (404, 404), path
            assert draft.text == none.text.replace("2028", "2027"), path
            assert "draft" not in draft.text, path
        comment = {"author": "张三", "text": "意见"}
        draft, none = (public.post(f"/api/v1/catalogue/{year}/comments", json=comment) for year in (2027, 2028))
        assert (draft.status_code, draft.text) == (none.status_code, none.text.replace("2028", "2027"))


def test_every_dataset_the_dcat_export_names_is_an_address_the_api_answers(server: Server):
    """A harvester follows the export's links: the catalogue's address answers the edition, each dcat:Dataset's
    the item as the edition holds it (the Turtle and the JSON-LD name the same ones). A code no item has is
    a 404 naming the code and the year; a draft's item is hidden from the public as the draft is."""
    with server.client(STAFF) as staff, server.client() as public, server.client(APPROVER) as approver:
        _published_2026_and_a_2027_draft_withdrawing(staff, approver)
        items = {i["code"]: i for i in public.get("/api/v1/catalogue/2026").json()["items"]}
        turtle = public.get("/api/v1/catalogue/2026", params={"format": "dcat-turtle"}).text
        graph = Graph().parse(data=turtle, format="turtle")
        base = server.app.state.catalogue_base  # type: ignore[attr-defined]
        assert base == f"{DEFAULT_PUBLIC_URL}/api/v1/catalogue/"

        def answered(uri: object) -> httpx.Response:
            assert str(uri).startswith(base), uri
            return public.get(urlsplit(str(uri)).path)  # (the test server listens on another port)

        [cat] = graph.subjects(RDF.type, DCAT.Catalog)
        assert answered(cat).json()["year"] == 2026
        datasets = set(graph.objects(cat, DCAT.dataset))
        assert datasets == set(graph.subjects(RDF.type, DCAT.Dataset)) and len(datasets) == len(items)
        for ds in datasets:
            answer = answered(ds)
            assert answer.status_code == 200, (ds, answer.text)
            assert answer.json() == items[str(graph.value(ds, DCTERMS.identifier))], ds
            contact = graph.value(ds, DCAT.contactPoint)  # the provider, named as the item names it
            assert (contact, RDF.type, VCARD.Organization) in graph, ds
            assert str(graph.value(contact, VCARD.fn)) == answer.json()["provider"], ds
        minted = {t for triple in graph for t in triple if isinstance(t, URIRef) and str(t).startswith(base)}
        assert {str(t).partition("#")[0] for t in minted} == {str(cat), *map(str, datasets)}  # every node leads to one
        jsonld = public.get("/api/v1/catalogue/2026", params={"format": "dcat-jsonld"}).json()
        assert {n["@id"] for n in jsonld["@graph"] if n.get("@type") == "dcat:Dataset"} == {str(d) for d in datasets}

        unknown = public.get("/api/v1/catalogue/2026/items/JJJ-99-001")
        error = unknown.json()["errors"][0]
        assert unknown.status_code == 404 and (error["code"], error["field"]) == ("catalogue.unknown_item", "code")
        assert '"JJJ-99-001"' in error["message"] and "2026" in error["message"]
        personal = public.get("/api/v1/catalogue/2026/items/11010519491231002X")
        assert personal.status_code == 404 and "11010519491231002X" not in personal.text
        assert "110105********002X" in personal.json()["errors"][0]["message"]
        # the 2027 draft: its items for those who compile it, no edition for the public; one it withdrew, none
        assert staff.get("/api/v1/catalogue/2027/items/JJJ-03-001").json() == items["JJJ-03-001"]
        hidden = public.get("/api/v1/catalogue/2027/items/JJJ-03-001")
        assert hidden.status_code == 404 and hidden.json()["errors"][0]["code"] == "catalogue.no_edition"
        gone = staff.get("/api/v1/catalogue/2027/items/JJJ-04-002")
        assert gone.status_code == 404 and gone.json()["errors"][0]["code"] == "catalogue.unknown_item"


def test_the_json_export_is_the_editions_answer(server: Server, database_url: str):
    """One shape for an edition: GET /api/v1/catalogue/{year}, its ?format=json export and `jjjcredit catalogue
    export --format json` are one document — state (based_on, the comment period, the in-force days) and items."""
    with server.client(STAFF) as staff, server.client() as public, server.client(APPROVER) as approver:
        _published_2026_and_a_2027_draft_withdrawing(staff, approver)
        until = (working_days.today() + datetime.timedelta(days=10)).isoformat()
        assert staff.post("/api/v1/catalogue/2027/open-comments", json={"until": until}).status_code == 200
        for year in (2026, 2027):
            answer = public.get(f"/api/v1/catalogue/{year}").json()
            exported = public.get(f"/api/v1/catalogue/{year}", params={"format": "json"})
            assert exported.headers["content-type"].startswith("application/json")
            assert json.loads(exported.content) == answer, year
            command = run("catalogue", "export", str(year), "--format", "json", "--db", database_url)
            assert command.returncode == 0, command.stderr
            assert json.loads(command.stdout) == answer, year
            listed = next(e for e in public.get("/api/v1/catalogue").json() if e["year"] == year)
            assert listed == {k: v for k, v in answer.items() if k != "items"}, year
        assert (answer["based_on"], answer["comments_until"]) == (2027 - 1, f"{until}T23:59:59Z")
        assert answer["in_force"] is False and answer["in_force_from"] is None
        assert public.get("/api/v1/catalogue/2026").json()["in_force_from"] is not None


def _out_for_comment(staff: httpx.Client) -> None:
    assert staff.post("/api/v1/catalogue/2026").status_code == 200
    assert staff.post("/api/v1/catalogue/2026/open-comments").status_code == 200


def test_keyed_comments_are_rate_limited_and_an_edition_takes_few_a_day_from_one_sender(server: Server):
    """A key admits a client to more services, never to more of the public's writes: its comments count at the
    public's rate. And an edition takes at most JJJCREDIT_LIMIT_COMMENTS_PER_DAY comments a day from one sender
    (a key's client, an address), whatever names it signs with."""
    server.app.state.limits = replace(server.app.state.limits, comments_per_day=3)
    with server.client(STAFF) as staff, server.client("reader") as reader, server.client() as public:
        _out_for_comment(staff)
        for n in range(3):
            kept = reader.post("/api/v1/catalogue/2026/comments", json={"author": f"甲{n}", "text": "意见"})
            assert kept.status_code == 200, kept.text
        fourth = reader.post("/api/v1/catalogue/2026/comments", json={"author": "甲9", "text": "意见"})
        error = fourth.json()["errors"][0]
        assert (fourth.status_code, error["code"]) == (429, "catalogue.too_many_comments")
        assert "at most 3 a day" in error["message"] and "JJJCREDIT_LIMIT_COMMENTS_PER_DAY" in error["message"]
        for n in range(3):  # the public, from its address, under names of its own
            assert public.post("/api/v1/catalogue/2026/comments", json={"author": f"乙{n}", "text": "意见"}) \
                .status_code == 200
        assert public.post("/api/v1/catalogue/2026/comments", json={"author": "丙", "text": "意见"}).status_code == 429
    server.app.state.limits = replace(server.app.state.limits, comments_per_day=1000)
    server.app.state.limiter = rate_limits.LocalWindow(5)  # the public's rate, 5 a minute
    with server.client("reader") as reader:
        codes = [reader.post("/api/v1/catalogue/2026/comments", json={"author": "丁", "text": "意见"}).status_code
                 for _ in range(6)]
    assert codes == [200] * 5 + [429]


def test_one_sender_does_not_use_up_another_persons_name(server: Server):
    """The daily limit counts by sender only: a client that sent its day's comments under 张三's name leaves
    张三 — from an address of their own — free to comment."""
    server.app.state.limits = replace(server.app.state.limits, comments_per_day=2)
    with server.client(STAFF) as staff, server.client("reader") as reader, server.client() as public:
        _out_for_comment(staff)
        for _ in range(2):
            assert reader.post("/api/v1/catalogue/2026/comments", json={"author": "张三", "text": "意见"}) \
                .status_code == 200
        assert reader.post("/api/v1/catalogue/2026/comments", json={"author": "李四", "text": "意见"}) \
            .status_code == 429
        own = public.post("/api/v1/catalogue/2026/comments", json={"author": "张三", "text": "我本人的意见"})
        assert own.status_code == 200, own.text


def test_who_sent_a_comment_is_kept_as_a_keyed_hash_and_without_a_secret_no_comment_is_taken(
        server: Server, database_url: str):
    """A comment's sender — here the public's address — is kept as HMAC under the personal data key, never as a
    plain SHA-256 (an IPv4 address is found from one by trying them all); a server without the operator secret
    takes no comment (503 ``catalogue.no_secret``) rather than keep one so. Comments kept before stay as they are."""
    with server.client(STAFF) as staff, server.client() as public:
        _out_for_comment(staff)
        kept_now = public.post("/api/v1/catalogue/2026/comments", json={"author": "张三", "text": "意见"})
        assert kept_now.status_code == 200
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(insert(catalogue_comments).values(id="0" * 32, year=2026, code=None, author="旧",
                                                       at=datetime.datetime.now(datetime.UTC), text="旧意见",
                                                       sender=hashlib.sha256(b"address:127.0.0.9").hexdigest()))
        kept = dict(conn.execute(select(catalogue_comments.c.author, catalogue_comments.c.sender)).all())
        protector = personal_keys.protector(conn, server.app.state.key_box)  # type: ignore[attr-defined]
    engine.dispose()
    plain = hashlib.sha256(b"address:127.0.0.1").hexdigest()
    assert protector is not None and kept["张三"] != plain
    assert kept["张三"] == protector.comment_sender("address:127.0.0.1")
    assert kept["旧"] == hashlib.sha256(b"address:127.0.0.9").hexdigest()
    app = create_app(replace(Settings(), database_url=database_url, public_rate_per_minute=1000))
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as public:
        refused = public.post("/api/v1/catalogue/2026/comments", json={"author": "李四", "text": "意见"})
        error = refused.json()["errors"][0]
        assert (refused.status_code, error["code"]) == (503, "catalogue.no_secret")
        assert "JJJCREDIT_SIGNING_KEY_SECRET" in error["message"]
        assert public.get("/api/v1/catalogue/2026/comments").status_code == 200, "reading them works without"
    with engine.connect() as conn:
        assert "李四" not in {r.author for r in conn.execute(select(catalogue_comments.c.author))}
    engine.dispose()


def test_comments_are_read_a_page_at_a_time(server: Server):
    with server.client(STAFF) as staff, server.client() as public:
        _out_for_comment(staff)
        for n in range(5):
            assert public.post("/api/v1/catalogue/2026/comments", json={"author": f"乙{n}", "text": f"意见{n}"}) \
                .status_code == 200
        pages, after = [], 0
        while after is not None:
            page = public.get("/api/v1/catalogue/2026/comments", params={"after": after, "limit": 2}).json()
            pages.append([c["text"] for c in page["comments"]])
            after = page["next_after"]
        assert pages == [["意见0", "意见1"], ["意见2", "意见3"], ["意见4"]]
        whole = public.get("/api/v1/catalogue/2026/comments").json()
        assert len(whole["comments"]) == 5 and whole["next_after"] is None
        over = public.get("/api/v1/catalogue/2026/comments", params={"limit": 1001})
        assert over.status_code == 422 and over.json()["errors"][0]["field"] == "limit"
