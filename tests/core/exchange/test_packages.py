"""core/exchange/packages.py: names, the manifest's checks, the signature, files against the manifest,
and the sequence rule a receiving node applies."""

from __future__ import annotations

import copy
import datetime
import hashlib
from typing import Any

import jcs
import pytest

from jjjcredit.core.exchange import packages
from jjjcredit.core.exchange.packages import ExchangeError, Scope
from jjjcredit.core.sharing import evidence

KEY = evidence.new_private_key()
KEYS = {"k1": evidence.public_pem(KEY)}
DATA = b'{"uscc":"91130102MA0000000X"}\n'


def manifest(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "format_version": 1, "package": "hebei-organizations-all-public-000000000001-000000000001-20260601T000000Z",
        "node": "hebei", "kind": "organizations", "audience": "public", "scope": {}, "sequence": {"after": 0, "to": 1},
        "snapshot": True, "created_at": "2026-06-01T00:00:00.000000Z", "as_of": "2026-06-01",
        "catalogue_edition": 2026, "data_elements": packages.elements_version(), "personal": "masked",
        "format": "jsonl", "encoding": None, "columns": ["uscc"],
        "files": [{"name": "organizations.jsonl", "bytes": len(DATA), "rows": 1,
                   "sha256": hashlib.sha256(DATA).hexdigest()}], "counts": {"rows": 1}, "signature": {}}
    body.update(changes)
    return packages.sign(body, KEY, "k1")


def test_a_signed_manifest_checks_and_its_signature_is_over_rfc_8785():
    signed = manifest()
    assert packages.check_manifest(copy.deepcopy(signed)) == signed
    assert packages.check_signature(signed, KEYS) == "k1"
    # another JCS implementation writes the same bytes: any Ed25519 + JCS library checks a package
    assert packages.canonical(signed) == jcs.canonicalize({k: v for k, v in signed.items() if k != "signature"})


@pytest.mark.parametrize("change", [
    lambda m: m["sequence"].update(to=2), lambda m: m.update(node="beijing"),
    lambda m: m["files"][0].update(sha256="0" * 64), lambda m: m.update(audience="government")])
def test_any_change_to_a_signed_manifest_breaks_its_signature(change: Any):
    signed = manifest()
    change(signed)
    with pytest.raises(ExchangeError) as refused:
        packages.check_signature(signed, KEYS)
    assert refused.value.code == "exchange.signature" and "changed after" in refused.value.message


def test_a_key_the_peer_does_not_have_is_named():
    other = evidence.new_private_key()
    with pytest.raises(ExchangeError) as refused:
        packages.check_signature(manifest(), {"k2": evidence.public_pem(other)})
    assert 'key "k1"' in refused.value.message and "peers add hebei" in refused.value.message
    with pytest.raises(ExchangeError):  # the right id, another node's key
        packages.check_signature(manifest(), {"k1": evidence.public_pem(other)})


@pytest.mark.parametrize(("change", "field"), [
    ({"format_version": 2}, "format_version"), ({"kind": "people"}, "kind"), ({"format": "xlsx"}, "format"),
    ({"sequence": {"after": 3, "to": 2}}, "sequence"), ({"scope": {"item": "JJJ-03-001"}}, "item"),
    ({"files": []}, "files"), ({"snapshot": "yes"}, "snapshot"), ({"node": "Hebei"}, "node")])
def test_a_manifest_that_is_not_right_is_refused_naming_the_field(change: dict[str, Any], field: str):
    with pytest.raises(ExchangeError) as refused:
        packages.check_manifest(manifest(**change))
    assert refused.value.field == field
    assert refused.value.code in ("exchange.malformed", "exchange.scope", "exchange.node")


def _part(name: str, rows: int = 1) -> dict[str, Any]:
    return {"name": name, "bytes": len(DATA), "rows": rows, "sha256": hashlib.sha256(DATA).hexdigest()}


def test_data_in_parts_is_numbered_from_one_and_adds_up_to_the_counts():
    parts = [_part("organizations.0001.jsonl"), _part("organizations.0002.jsonl", 2)]
    signed = manifest(files=parts, counts={"rows": 3})
    assert packages.data_entries(packages.check_manifest(signed)) == parts
    xml_parts = [_part("organizations.0001.xml"), _part("organizations.0002.xml", 2)]
    xml = manifest(format="xml", files=[*xml_parts, _part("organizations.xsd", 0)], counts={"rows": 3})
    assert packages.data_entries(packages.check_manifest(xml)) == xml_parts  # the schema is not data
    for files, counts, message in [
            ([_part("organizations.0001.jsonl")], 1, "expected organizations.jsonl"),  # one file is not a part
            ([_part("organizations.jsonl"), _part("organizations.0002.jsonl")], 2, "expected organizations.0001"),
            ([_part("organizations.0001.jsonl"), _part("organizations.0003.jsonl")], 2, "to organizations.0002"),
            (parts, 2, "add up to 3, and its counts say 2"),
            ([*parts, _part("organizations.xsd", 0)], 3, "organizations.xsd; expected organizations.0001.jsonl to")]:
        with pytest.raises(ExchangeError, match=message) as refused:
            packages.check_manifest(manifest(files=files, counts={"rows": counts}))
        assert refused.value.code == "exchange.malformed"
    with pytest.raises(ExchangeError, match="1 to 10000 parts"):
        packages.check_manifest(manifest(files=[_part(packages.data_file("organizations", "jsonl", i))
                                                for i in range(1, packages.MAX_PARTS + 2)],
                                         counts={"rows": packages.MAX_PARTS + 1}))


def test_a_missing_field_is_named():
    body = manifest()
    del body["counts"]
    with pytest.raises(ExchangeError, match='has no "counts"'):
        packages.check_manifest(body)


def test_files_are_checked_against_the_manifest():
    entry = manifest()["files"][0]
    packages.check_file(entry, len(DATA), hashlib.sha256(DATA).hexdigest())
    for size, digest, code in ((None, None, "exchange.truncated"), (len(DATA) - 1, "x", "exchange.truncated"),
                               (len(DATA), "0" * 64, "exchange.tampered"), (len(DATA) + 1, "x", "exchange.tampered")):
        with pytest.raises(ExchangeError) as refused:
            packages.check_file(entry, size, digest)
        assert refused.value.code == code


@pytest.mark.parametrize(("after", "to", "last", "outcome"), [
    (0, 5, None, "apply"), (0, 9, 5, "apply"), (5, 9, 5, "apply"), (0, 5, 5, "skip"), (3, 5, 5, "skip"),
    (5, 5, 5, "skip"), (6, 9, 5, "exchange.gap"), (2, 3, None, "exchange.gap"), (3, 9, 5, "exchange.overlap")])
def test_the_sequence_rule(after: int, to: int, last: int | None, outcome: str):
    try:
        assert packages.decide_sequence(after, to, last) == outcome
    except ExchangeError as exc:
        assert exc.code == outcome


def test_names_and_scopes():
    at = datetime.datetime(2026, 6, 1, 16, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    assert packages.package_name("beijing", "credit_records", Scope(item="JJJ-03-001"), "government", 40, 52, at) \
        == "beijing-credit_records-item-JJJ-03-001-government-000000000041-000000000052-20260601T083000Z"
    assert Scope.from_dict(Scope(region="hebei", department="9").to_dict()) == Scope("hebei", "9")
    for kind, scope in (("organizations", Scope(region="shanghai")), ("organizations", Scope(department="0")),
                        ("credit_records", Scope(department="9")), ("credit_records", Scope(item="../x"))):
        with pytest.raises(ExchangeError) as refused:
            packages.check_scope(kind, scope)
        assert refused.value.code == "exchange.scope"
