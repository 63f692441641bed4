"""``jjjcredit authorizations`` through the real command, on a real database: add (a natural person's
number from standard input, never on the command line), list, revoke, and terms refused with exit 2."""

from __future__ import annotations

import json
import subprocess

import pytest

from jjjcredit.services import db
from jjjcredit.storage.engine import make_engine
from tests.cli.test_codes import run
from tests.services.credit import credit_files as files


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JJJCREDIT_SIGNING_KEY_SECRET", "test-operator-secret")  # the commands inherit it


@pytest.fixture
def url(database_url: str) -> str:
    engine = make_engine(database_url)
    db.upgrade(engine)
    with engine.begin() as conn:
        files.publish(conn, 2026)
    engine.dispose()
    return database_url


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run("authorizations", *args, stdin=stdin.encode() if stdin else None)


def test_add_list_and_revoke(url: str):
    terms = ("--party", "某银行", "--purpose", "贷款审批", "--items", files.PENALTY, "--from", "2026-06-01",
             "--until", "2026-12-31", "--proof", "授权书 2026-0001", "--by", "某中心", "--db", url)
    added = _run("add", "-", *terms, stdin=files.person() + "\n")
    assert added.returncode == 0, added.stderr
    given = json.loads(added.stdout)
    assert given["subject"].startswith("P:") and given["items"] == [files.PENALTY]
    listed = _run("list", "-", "--db", url, stdin=files.person() + "\n")
    assert [a["id"] for a in json.loads(listed.stdout)] == [given["id"]]
    revoked = _run("revoke", given["id"], "--reason", "本人撤回", "--on", "2026-07-01", "--db", url)
    assert json.loads(revoked.stdout)["revoked_on"] == "2026-07-01"
    again = _run("revoke", given["id"], "--reason", "x", "--db", url)
    assert again.returncode == 1 and "[authorization.revoked]" in again.stderr
    for out in (added, listed, revoked, again):
        assert files.person() not in out.stdout + out.stderr
    bad = _run("add", files.codes(1)[0], *terms[:-2], "--until", "2026-05-01", "--db", url)
    assert bad.returncode == 2 and "[authorization.terms]" in bad.stderr


def test_a_subject_that_is_none_gets_no_authorization(url: str):
    """A mistyped identity number or a mobile number is refused (credit.subject_code, masked), not kept as a
    subject and printed back."""
    terms = ("--party", "某银行", "--purpose", "贷款审批", "--items", files.PENALTY, "--from", "2026-06-01",
             "--until", "2026-12-31", "--proof", "授权书 2026-0002", "--by", "某中心", "--db", url)
    for typed, masked in (("130102198503151230", "130102********1230"), ("13812345678", "138****5678")):
        for args in (("add", typed, *terms), ("list", typed, "--db", url)):
            refused = _run(*args)
            assert (refused.returncode, refused.stdout) == (1, ""), refused.stdout + refused.stderr
            assert f'[credit.subject_code]: "{masked}"' in refused.stderr and typed not in refused.stderr
