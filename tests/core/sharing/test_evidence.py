"""Evidence: a signed answer verifies; any change, an unknown key or a malformed file says why not."""

from __future__ import annotations

import copy

import pytest

from jjjcredit.core.sharing import evidence

KEY = evidence.new_private_key()
OTHER = evidence.new_private_key()


def _signed() -> dict[str, object]:
    body: dict[str, object] = {"code": "91130100MA0000000X", "verdict": "match", "active": True}
    body["evidence"] = evidence.sign(KEY, "k1", {"code": "91130100MA0000000X", "name": "某公司"}, body, 12,
                                     "2026-01-01T00:00:00.000000Z")
    return body


def _reason(saved: object, keys: dict[str, str]) -> str:
    with pytest.raises(evidence.EvidenceError) as caught:
        evidence.check(saved, keys)
    return caught.value.code


def test_a_signed_answer_verifies():
    assert evidence.check(_signed(), {"k1": evidence.public_pem(KEY)}) == "k1"


@pytest.mark.parametrize("path", [("verdict",), ("evidence", "library_seq"), ("evidence", "time"),
                                  ("evidence", "request", "name")])
def test_any_change_breaks_the_signature(path: tuple[str, ...]):
    saved = copy.deepcopy(_signed())
    target = saved
    for step in path[:-1]:
        target = target[step]  # type: ignore[assignment,index]
    target[path[-1]] = 13 if path[-1] == "library_seq" else "changed"  # type: ignore[index]
    assert _reason(saved, {"k1": evidence.public_pem(KEY)}) == "evidence.signature"


def test_the_reasons_are_told_apart():
    keys = {"k1": evidence.public_pem(KEY)}
    assert _reason(_signed(), {"k2": evidence.public_pem(KEY)}) == "evidence.unknown_key"
    assert _reason(_signed(), {"k1": evidence.public_pem(OTHER)}) == "evidence.signature"
    assert _reason([], keys) == "evidence.malformed"
    assert _reason({"verdict": "match"}, keys) == "evidence.malformed"
    bad = _signed()
    bad["evidence"]["signature"] = "not base64!"  # type: ignore[index]
    assert _reason(bad, keys) == "evidence.malformed"
    bad["evidence"]["algorithm"] = "RSA"  # type: ignore[index]
    assert _reason(bad, keys) == "evidence.algorithm"
