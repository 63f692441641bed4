"""``jjjcredit clients add/list/revoke`` through the real command, on a real database."""

from __future__ import annotations

import json

from sqlalchemy import select

from jjjcredit.services import db
from jjjcredit.services.sharing import clients
from jjjcredit.storage.engine import make_engine
from jjjcredit.storage.schema import clients as clients_table
from tests.cli.test_codes import run


def _upgraded(url: str) -> None:
    engine = make_engine(url)
    db.upgrade(engine)
    engine.dispose()


def _caller(url: str, key: str):  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return clients.caller_of(conn, key)
    finally:
        engine.dispose()


def test_add_prints_the_key_once_and_the_key_works(database_url: str):
    _upgraded(database_url)
    added = run("clients", "add", "北京市经济和信息化局", "--services", "verify,lookup", "--level", "2",
                "--db", database_url)
    assert added.returncode == 0, added.stderr
    shown = json.loads(added.stdout)
    assert shown["name"] == "北京市经济和信息化局" and shown["services"] == ["lookup", "verify"]
    assert shown["level"] == 2 and "not shown again" in added.stderr
    caller = _caller(database_url, shown["api_key"])
    assert caller is not None and (caller.client, caller.level) == ("北京市经济和信息化局", 2)
    listed = run("clients", "list", "--db", database_url)
    assert listed.returncode == 0
    assert listed.stdout.split("\t")[:3] == ["北京市经济和信息化局", "lookup,verify", "level 2"]
    assert shown["api_key"] not in listed.stdout and listed.stdout.rstrip().endswith("active")
    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert conn.execute(select(clients_table.c.key_hash)).scalar_one() not in listed.stdout
    engine.dispose()


def test_revoke_stops_the_key_and_list_says_so(database_url: str):
    _upgraded(database_url)
    key = json.loads(run("clients", "add", "a", "--services", "changes", "--db", database_url).stdout)["api_key"]
    revoked = run("clients", "revoke", "a", "--db", database_url)
    assert revoked.returncode == 0 and 'client "a" revoked' in revoked.stderr
    assert _caller(database_url, key) is None
    assert "\trevoked " in run("clients", "list", "--db", database_url).stdout


def test_refusals_name_their_code_on_one_line(database_url: str):
    _upgraded(database_url)
    assert run("clients", "add", "a", "--services", "verify", "--db", database_url).returncode == 0
    for args, code, exit_code in (
            (("add", "b", "--services", "verify,payments"), "clients.services", 2),
            (("add", "b", "--services", "verify", "--level", "4"), "clients.level", 2),
            (("add", "a", "--services", "verify"), "clients.exists", 2),
            (("revoke", "nobody"), "clients.unknown", 1)):
        result = run("clients", *args, "--db", database_url)
        assert result.returncode == exit_code, (args, result.stderr)
        assert result.stderr.startswith(f"error [{code}]: ") and len(result.stderr.strip().splitlines()) == 1
        assert result.stdout == ""
    assert run("clients", "list", "--db", database_url).stdout.count("\n") == 1


def test_a_database_that_is_behind_is_refused(database_url: str):
    result = run("clients", "list", "--db", database_url)
    assert result.returncode != 0 and result.stderr.startswith("error [")
    assert "jjjcredit db upgrade" in result.stderr


def test_rotate_prints_the_new_key_once_and_the_old_one_works_for_the_grace_period(database_url: str):
    _upgraded(database_url)
    old = json.loads(run("clients", "add", "a", "--services", "verify", "--db", database_url).stdout)["api_key"]
    rotated = run("clients", "rotate", "a", "--grace-hours", "1", "--db", database_url)
    assert rotated.returncode == 0, rotated.stderr
    shown = json.loads(rotated.stdout)
    assert shown["name"] == "a" and shown["api_key"] != old and "not shown again" in rotated.stderr
    assert shown["old_key_valid_until"] in rotated.stderr.replace(" ", "T") or "UTC" in rotated.stderr
    assert _caller(database_url, shown["api_key"]).client == "a"  # type: ignore[union-attr]
    assert _caller(database_url, old).client == "a"  # type: ignore[union-attr]
    now = run("clients", "rotate", "a", "--grace-hours", "0", "--db", database_url)
    assert now.returncode == 0
    try:
        _caller(database_url, shown["api_key"])
    except clients.ClientError as refused:
        assert refused.code == "access.key_expired"
    else:
        raise AssertionError("a key rotated away without grace still works")
    unknown = run("clients", "rotate", "nobody", "--db", database_url)
    assert unknown.returncode == 1 and unknown.stderr.startswith("error [clients.unknown]: ")


def test_a_revoked_name_is_not_added_again(database_url: str):
    _upgraded(database_url)
    assert run("clients", "add", "a", "--services", "provide", "--db", database_url).returncode == 0
    assert run("clients", "revoke", "a", "--db", database_url).returncode == 0
    again = run("clients", "add", "a", "--services", "provide", "--db", database_url)
    assert again.returncode == 2 and again.stderr.startswith("error [clients.name_revoked]: "), again.stderr
    assert again.stdout == "" and run("clients", "list", "--db", database_url).stdout.count("\n") == 1


def test_an_item_grant_is_given_at_add_changed_by_grant_and_shown_in_list(database_url: str):
    _upgraded(database_url)
    added = run("clients", "add", "某局", "--services", "records", "--level", "2", "--items", "JJJ-03-001,jjj-02-001",
                "--db", database_url)
    assert added.returncode == 0, added.stderr
    shown = json.loads(added.stdout)
    assert shown["items"] == ["JJJ-02-001", "JJJ-03-001"]
    assert _caller(database_url, shown["api_key"]).items == frozenset({"JJJ-02-001", "JJJ-03-001"})  # type: ignore[union-attr]
    assert run("clients", "list", "--db", database_url).stdout.split("\t")[3] == "items JJJ-02-001,JJJ-03-001"
    granted = run("clients", "grant", "某局", "--items", "JJJ-03-001", "--db", database_url)
    assert granted.returncode == 0, granted.stderr
    assert json.loads(granted.stdout) == {"name": "某局", "items": ["JJJ-03-001"]}
    assert "JJJ-03-001" in granted.stderr
    assert _caller(database_url, shown["api_key"]).items == frozenset({"JJJ-03-001"})  # type: ignore[union-attr]
    every = run("clients", "grant", "某局", "--all-items", "--db", database_url)
    assert every.returncode == 0 and json.loads(every.stdout)["items"] is None
    assert run("clients", "list", "--db", database_url).stdout.split("\t")[3] == "all items"
    assert _caller(database_url, shown["api_key"]).items is None  # type: ignore[union-attr]


def test_an_item_grant_naming_an_unknown_item_is_refused_saying_what_was_expected(database_url: str):
    _upgraded(database_url)
    refused = run("clients", "add", "某局", "--services", "records", "--items", "JJJ-03-001,JJJ-99-009",
                  "--db", database_url)
    assert refused.returncode == 2 and refused.stderr.startswith("error [clients.items]: ")
    assert '"JJJ-99-009"' in refused.stderr and "expected some of JJJ-01-001" in refused.stderr
    assert refused.stdout == "" and run("clients", "list", "--db", database_url).stdout == ""
    assert run("clients", "add", "某局", "--services", "records", "--db", database_url).returncode == 0
    for args, code in ((("--items", "JJJ-99-009"), "clients.items"), ((), "usage"),
                       (("--items", "JJJ-03-001", "--all-items"), "usage")):
        result = run("clients", "grant", "某局", *args, "--db", database_url)
        assert result.returncode == 2 and result.stderr.startswith(f"error [{code}]: "), result.stderr
    unknown = run("clients", "grant", "nobody", "--all-items", "--db", database_url)
    assert unknown.returncode == 1 and unknown.stderr.startswith("error [clients.unknown]: ")
