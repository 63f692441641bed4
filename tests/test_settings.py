"""Settings from the environment: the operator's secret for the signing keys (a variable or a file)
and the audit trail's bounded shutdown."""

from __future__ import annotations

from pathlib import Path

import pytest

from jjjcredit.core.errors import Error
from jjjcredit.settings import Settings


def test_the_signing_secret_comes_from_the_variable_else_the_file(tmp_path: Path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from the file\nignored\n", encoding="utf-8")
    assert Settings.from_env({}).signing_key_secret is None
    assert Settings.from_env({"JJJCREDIT_SIGNING_KEY_FILE": str(secret_file)}).signing_key_secret == "from the file"
    both = {"JJJCREDIT_SIGNING_KEY_SECRET": "from the variable", "JJJCREDIT_SIGNING_KEY_FILE": str(secret_file)}
    assert Settings.from_env(both).signing_key_secret == "from the variable"
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    assert Settings.from_env({"JJJCREDIT_SIGNING_KEY_FILE": str(tmp_path / "empty")}).signing_key_secret is None


def test_the_audit_close_wait_is_a_setting():
    assert Settings.from_env({}).audit_close_seconds == 5.0
    assert Settings.from_env({"JJJCREDIT_AUDIT_CLOSE_SECONDS": "0.5"}).audit_close_seconds == 0.5


def test_trusted_proxies_and_the_checkpoint_interval_are_settings():
    assert Settings.from_env({}).trusted_proxies == ()  # no proxy is believed unless named
    assert Settings.from_env({"JJJCREDIT_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1,"}).trusted_proxies == \
        ("10.0.0.0/8", "127.0.0.1")
    assert Settings.from_env({}).audit_checkpoint_seconds == 3600.0
    assert Settings.from_env({"JJJCREDIT_AUDIT_CHECKPOINT_SECONDS": "60"}).audit_checkpoint_seconds == 60.0


def test_the_node_is_a_setting_hebei_by_default():
    assert Settings.from_env({}).node == "hebei"
    assert Settings.from_env({"JJJCREDIT_NODE": "beijing"}).node == "beijing"


def test_federation_compression_is_on_unless_set_to_0():
    assert Settings.from_env({}).federation_compress
    assert not Settings.from_env({"JJJCREDIT_FEDERATION_COMPRESS": "0"}).federation_compress
    assert Settings.from_env({"JJJCREDIT_FEDERATION_COMPRESS": "1"}).federation_compress
    for unclear in ("false", "no", "off", "2"):  # never taken for on, as any value but 0 once was
        with pytest.raises(Error, match=r"JJJCREDIT_FEDERATION_COMPRESS must be 1 .* or 0"):
            Settings.from_env({"JJJCREDIT_FEDERATION_COMPRESS": unclear})


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("JJJCREDIT_WITHDRAWAL_DAYS", "three", "a whole number from 0 to 366, not 'three'"),
    ("JJJCREDIT_WITHDRAWAL_DAYS", "3000000", "a whole number from 0 to 366, not '3000000'"),
    ("JJJCREDIT_PUBLIC_RATE_PER_MINUTE", "-5", "a whole number from 1 to 1,000,000,000, not '-5'"),
    ("JJJCREDIT_PUBLIC_RATE_PER_MINUTE", "0", "a whole number from 1 to 1,000,000,000, not '0'"),
    ("JJJCREDIT_AUDIT_RETENTION_DAYS", "0", "a whole number from 1 to 36,500, not '0'"),
    ("JJJCREDIT_AUDIT_RETENTION_DAYS", "３", "a whole number from 1 to 36,500, not '３'"),
    ("JJJCREDIT_READ_ASIDE_BYTES", "8M", "a whole number from 0 to 1,099,511,627,776, not '8M'"),
    ("JJJCREDIT_AUDIT_CLOSE_SECONDS", "soon", "a number of seconds from 0.01 to 3,600, not 'soon'"),
    ("JJJCREDIT_AUDIT_CLOSE_SECONDS", "1e10", "a number of seconds from 0.01 to 3,600, not '1e10'"),
    ("JJJCREDIT_FEDERATION_ACK_SECONDS", "nan", "a number of seconds from 1 to 86,400, not 'nan'"),
    ("JJJCREDIT_FEDERATION_ACK_SECONDS", "0", "a number of seconds from 1 to 86,400, not '0'"),
    ("JJJCREDIT_FEDERATION_ACK_SECONDS", "1_0", "a number of seconds from 1 to 86,400, not '1_0'"),
    ("JJJCREDIT_AUDIT_CHECKPOINT_SECONDS", "-1", "a number of seconds from 0 to 31,622,400, not '-1'"),
    ("JJJCREDIT_LIMIT_CELL_CHARS", "0", "a whole number of at least 1, not '0'"),
    ("JJJCREDIT_LIMIT_LINE_BYTES", "1e6", "a whole number of at least 1, not '1e6'"),
])
def test_a_setting_of_the_wrong_kind_is_refused_by_name(name: str, value: str, expected: str):
    with pytest.raises(Error) as raised:
        Settings.from_env({name: value})
    assert raised.value.code == "settings.invalid" and raised.value.message == f"{name} must be {expected}."


def test_numbers_with_spaces_around_them_are_taken_and_spaces_alone_are_the_default():
    assert Settings.from_env({"JJJCREDIT_WITHDRAWAL_DAYS": " 5 "}).withdrawal_days == 5
    assert Settings.from_env({"JJJCREDIT_AUDIT_CLOSE_SECONDS": "0.5"}).audit_close_seconds == 0.5
    assert Settings.from_env({"JJJCREDIT_WITHDRAWAL_DAYS": " "}).withdrawal_days == 3
    assert Settings.from_env({"JJJCREDIT_LIMIT_CELL_CHARS": " "}).limits == Settings.from_env({}).limits


@pytest.mark.parametrize("kind", ["missing", "folder", "not text"])
def test_a_signing_key_file_that_cannot_be_read_is_named(tmp_path: Path, kind: str):
    path = {"missing": tmp_path / "none", "folder": tmp_path, "not text": tmp_path / "key.bin"}[kind]
    if kind == "not text":
        path.write_bytes(b"\xff\xfe\x00secret")
    with pytest.raises(Error) as raised:
        Settings.from_env({"JJJCREDIT_SIGNING_KEY_FILE": str(path)})
    assert raised.value.code == "evidence.no_secret" and str(path) in raised.value.message
