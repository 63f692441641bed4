"""Evidence: a signed answer verifies; any change, an unknown key or a malformed file says why not."""

from __future__ import annotations

import copy

import jcs
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

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


# Any JSON value: floats, big integers, keys from every plane (astral and U+E000 up sort apart in UTF-16).
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
ANY_JSON = st.recursive(st.none() | st.booleans() | st.integers(-(2**53 - 1), 2**53 - 1)
                        | st.floats(allow_nan=False, allow_infinity=False) | ANY_TEXT,
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=4),
                        max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(ANY_JSON, ANY_JSON)
def test_the_signed_bytes_are_rfc_8785(request: object, answer: object):
    signed = evidence.canonical(request, answer, 7, "2026-01-01T00:00:00Z", "k1")
    data = {"request": request, "answer": answer, "library_seq": 7, "time": "2026-01-01T00:00:00Z", "key_id": "k1"}
    assert signed == rfc8785.dumps(data) == jcs.canonicalize(data)


def test_unversioned_evidence_is_checked_in_the_first_form_only():
    body: dict[str, object] = {"verdict": "match", "score": 1.0}
    body["evidence"] = evidence.sign(KEY, "k1", {"code": "X"}, body, 1, "t")
    assert body["evidence"]["version"] == 2  # type: ignore[index]
    keys = {"k1": evidence.public_pem(KEY)}
    assert evidence.check(body, keys) == "k1"
    del body["evidence"]["version"]  # type: ignore[attr-defined]
    assert _reason(body, keys) == "evidence.signature"  # 1.0 is written "1.0" in the first form, "1" in JCS
    body["evidence"]["version"] = 3  # type: ignore[index]
    assert _reason(body, keys) == "evidence.malformed"
