"""Evidence: a detached Ed25519 signature over a verification answer, checkable offline.

The signed bytes are the canonical JSON (sorted keys, no spaces, UTF-8) of
``{"request", "answer", "library_seq", "time", "key_id"}``. An answer as served is the response body
with an ``evidence`` object ``{key_id, algorithm, library_seq, time, request, signature}``; the
signed ``answer`` is that body without its ``evidence`` key. Pure: no I/O.

>>> key = new_private_key()
>>> body = {"code": "X", "verdict": "match"}
>>> body["evidence"] = sign(key, "k1", {"code": "X", "name": "n"}, body, 7, "2026-01-01T00:00:00Z")
>>> check(body, {"k1": public_pem(key)})
'k1'
>>> body["verdict"] = "name_mismatch"
>>> check(body, {"k1": public_pem(key)})
Traceback (most recent call last):
...
jjjcredit.core.sharing.evidence.EvidenceError: The signature does not match the answer: the request, answer, library sequence or time was changed after signing (key "k1").
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from jjjcredit.core.errors import Error

ALGORITHM = "Ed25519"


class EvidenceError(Error, ValueError):
    """Why a saved answer does not verify: ``code`` is one of ``evidence.malformed``,
    ``evidence.unknown_key``, ``evidence.algorithm``, ``evidence.signature``."""


def canonical(request: Any, answer: Any, library_seq: int, time: str, key_id: str) -> bytes:
    """The bytes that are signed.

    >>> canonical({"code": "X"}, {"verdict": "match"}, 3, "t", "k")
    b'{"answer":{"verdict":"match"},"key_id":"k","library_seq":3,"request":{"code":"X"},"time":"t"}'
    """
    data = {"request": request, "answer": answer, "library_seq": library_seq, "time": time, "key_id": key_id}
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


def public_pem(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def load_private(pem: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise EvidenceError("evidence.algorithm", "The signing key is not an Ed25519 key.")
    return key


def load_public(pem: str, key_id: str = "?") -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError):
        raise EvidenceError("evidence.malformed", f'The public key "{key_id}" is not a PEM public key.') from None
    if not isinstance(key, Ed25519PublicKey):
        raise EvidenceError("evidence.algorithm", f'The public key "{key_id}" is not an Ed25519 key.')
    return key


def sign(key: Ed25519PrivateKey, key_id: str, request: Any, answer: Mapping[str, Any], library_seq: int,
         time: str) -> dict[str, Any]:
    """The ``evidence`` object for ``answer`` (any ``evidence`` key already in it is left out)."""
    body = {k: v for k, v in answer.items() if k != "evidence"}
    signature = key.sign(canonical(request, body, library_seq, time, key_id))
    return {"key_id": key_id, "algorithm": ALGORITHM, "library_seq": library_seq, "time": time,
            "request": request, "signature": base64.b64encode(signature).decode("ascii")}


def check(saved: Any, public_keys: Mapping[str, str]) -> str:
    """Check a saved answer (the response body) against ``public_keys`` (key id → PEM); returns the
    key id, or raises :class:`EvidenceError` saying exactly why it fails."""
    if not isinstance(saved, dict):
        raise EvidenceError("evidence.malformed", "The file holds no JSON object: expected the verify response body.")
    ev = saved.get("evidence")
    if not isinstance(ev, dict):
        raise EvidenceError("evidence.malformed", 'The answer has no "evidence" object: save the whole response '
                            "body of /api/v1/verify or /api/v1/verify/batch.")
    missing = [k for k in ("key_id", "algorithm", "library_seq", "time", "request", "signature") if k not in ev]
    if missing:
        raise EvidenceError("evidence.malformed", f'The evidence lacks {", ".join(missing)}.')
    if ev["algorithm"] != ALGORITHM:
        raise EvidenceError("evidence.algorithm", f'The evidence algorithm is "{ev["algorithm"]}": expected '
                            f"{ALGORITHM}.")
    key_id = str(ev["key_id"])
    if key_id not in public_keys:
        known = ", ".join(sorted(public_keys)) or "none"
        raise EvidenceError("evidence.unknown_key", f'The answer was signed with key "{key_id}", which is not among '
                            f"the published keys ({known}): fetch a current copy of /api/v1/keys.")
    try:
        signature = base64.b64decode(str(ev["signature"]), validate=True)
    except (binascii.Error, ValueError):
        raise EvidenceError("evidence.malformed", "The signature is not base64.") from None
    if not isinstance(ev["library_seq"], int):
        raise EvidenceError("evidence.malformed", "The evidence library_seq is not a whole number.")
    body = {k: v for k, v in saved.items() if k != "evidence"}
    message = canonical(ev["request"], body, ev["library_seq"], str(ev["time"]), key_id)
    try:
        load_public(public_keys[key_id], key_id).verify(signature, message)
    except InvalidSignature:
        raise EvidenceError("evidence.signature", "The signature does not match the answer: the request, answer, "
                            f'library sequence or time was changed after signing (key "{key_id}").') from None
    return key_id
