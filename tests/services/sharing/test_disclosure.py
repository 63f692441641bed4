"""The one disclosure rule: which elements each kind of caller at each level sees, which are masked,
and the readers every channel uses (on both databases)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jjjcredit.core.library import elements, records
from jjjcredit.core.sharing import access
from jjjcredit.core.sharing.disclosure import IDENTITY, view_of
from jjjcredit.services import db
from jjjcredit.services.library import library, search
from jjjcredit.services.sharing import disclosure
from tests.services.library import library_files as files

CLIENTS = [access.Caller(f"c{n}", frozenset({"lookup"}), n) for n in elements.SECURITY_LEVELS]
SUBJECT = access.Caller("subject", frozenset({"lookup"}), 3, "subject")


@pytest.mark.parametrize("caller", [access.PUBLIC, *CLIENTS, access.STAFF, SUBJECT], ids=lambda c: f"{c.kind}{c.level}")
def test_each_element_is_shown_up_to_the_callers_level_and_personal_data_masked_only_for_staff(caller: access.Caller):
    view = view_of(caller)
    level = {"public": 1, "subject": 1}.get(caller.kind, caller.level)  # a subject's own view is still to come
    assert view.shown == set(IDENTITY) | {e.name for e in elements.ELEMENTS if e.security_level <= level}
    assert list(view.elements) == [e.name for e in elements.ELEMENTS if e.name in view.shown and e.name != "uscc"]
    personal = {e.name for e in elements.ELEMENTS if e.personal}
    assert view.masked == (personal if caller.kind == "staff" else set())
    values = {e.name: f"值{e.identifier}-11010519491231002X" for e in elements.ELEMENTS} | {"fingerprint": "f"}
    seen = view.record(values)
    assert set(seen) == view.shown - {"authority_region"}
    for name, value in seen.items():
        assert value == (records.mask_personal(values[name]) if name in view.masked else values[name])
        assert (value == values[name]) is (name not in view.masked)


def test_personal_data_is_identity_numbers_telephones_and_contacts():
    assert {e.name for e in elements.ELEMENTS if e.personal} == {"legal_rep_id_number", "telephone", "contact"}
    assert {e.name for e in elements.ELEMENTS if e.security_level == 3} == {"legal_rep_id_number"}


def test_a_view_is_decided_once_per_kind_and_level():
    assert view_of(CLIENTS[2]) is view_of(access.client_at(3)) is view_of(access.Caller("other", frozenset(), 3))
    assert view_of(CLIENTS[0]) is view_of(access.PUBLIC)
    assert view_of(access.Caller("x", frozenset(), 9)) is view_of(CLIENTS[2])  # above the top: the top


def test_changes_and_conflicts_keep_only_shown_elements_masked_as_the_view_says():
    items = [{"element": "name", "old": "甲", "new": "乙"},
             {"element": "legal_rep_id_number", "old": None, "new": "11010519491231002X"},
             {"element": "telephone", "old": "0311-60000001", "new": "0311-60000002"}]
    assert disclosure.disclose_changes(access.PUBLIC, [{"seq": 1, "elements": items}]) == \
        [{"seq": 1, "elements": items[:1]}]
    assert view_of(CLIENTS[1]).changes(items) == [items[0], items[2]]
    staff = view_of(access.STAFF).changes(items)
    assert staff[1] == {"element": "legal_rep_id_number", "old": None, "new": "110105********002X"}
    assert "0311-60000002" not in json.dumps(staff)
    conflict = [{"element": "telephone", "kept_value": "0311-60000001", "other_value": "0311-60000002"}]
    assert view_of(CLIENTS[2]).changes(conflict, values=("kept_value", "other_value")) == conflict
    masked = view_of(access.STAFF).changes(conflict, values=("kept_value", "other_value"))
    assert "0311-6000000" not in json.dumps(masked) and masked[0]["kept_value"] == "031160**0001"
    with pytest.raises(ValueError, match="credit_record"):
        view_of(access.PUBLIC).fields("credit_record")


@pytest.fixture
def lib(engine: Engine, tmp_path: Path) -> tuple[Engine, list[str]]:
    db.upgrade(engine)
    codes = files.codes(4)
    library.ingest_file(engine, str(files.organizations(tmp_path / "a.csv", codes, date="2020-01-01")),
                        "hebei/market-regulation")
    library.ingest_file(engine, str(files.organizations(tmp_path / "b.csv", codes[:1], date="2024-07-01", revision=1)),
                        "hebei/market-regulation")
    return engine, codes


def _values(data: object, code: str, revision: int = 0) -> set[str]:
    text = json.dumps(data, ensure_ascii=False, default=str)
    return {k for k, v in files.restricted(code, revision).items() if v in text}


def test_every_reader_gives_what_the_caller_sees(lib: tuple[Engine, list[str]]):
    engine, codes = lib
    code = codes[0]
    with engine.connect() as conn:
        level_2 = {"telephone", "contact", "shareholder"}
        for caller, clear in ((access.PUBLIC, set()), (CLIENTS[0], set()), (CLIENTS[1], level_2),
                              (CLIENTS[2], level_2 | {"legal_rep_id_number"}), (access.STAFF, {"shareholder"})):
            view = view_of(caller)
            found = disclosure.lookup_organization(conn, caller, code)
            assert found is not None and set(found) == view.shown & ({"uscc"} | set(library.ELEMENT_NAMES)) - {
                e.name for e in elements.ELEMENTS if found.get(e.name) is None}
            assert _values(found, code, 1) == clear
            for revision in (0, 1):
                assert _values(disclosure.organization_history(conn, caller, code), code, revision) == clear
                assert _values(disclosure.changes_after(conn, caller, 0), code, revision) == clear
                assert _values(disclosure.show_organization(conn, caller, code), code, revision) == clear
            hits = disclosure.search_organizations(conn, caller, "石家庄某某0机械制造有限公司")
            assert hits[0].code == code and _values([h.organization for h in hits], code, 1) == clear
            completed = disclosure.autocomplete(conn, caller, "石家庄某某0")
            assert _values([h.organization for h in completed], code, 1) == clear
        assert disclosure.lookup_organization(conn, access.PUBLIC, "91350100M000100Y43") is None
        assert disclosure.organization_history(conn, access.PUBLIC, "91350100M000100Y43") is None
        assert disclosure.show_organization(conn, access.STAFF, "91350100M000100Y43") is None
        raw = search.search_organizations(conn, "石家庄某某0机械制造有限公司")
        assert _values([h.organization for h in raw], code, 1) == set(files.restricted(code))  # the reads hold it all
