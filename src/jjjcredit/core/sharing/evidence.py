"""Evidence: a detached Ed25519 signature over a verification answer, checkable offline.

The signed bytes are the RFC 8785 JSON Canonicalization Scheme (JCS) form of
``{"request", "answer", "library_seq", "time", "key_id"}``: anyone with a JCS and an Ed25519 library
can check an answer against the PEM keys of ``/api/v1/keys``. An answer as served is the response
body with an ``evidence`` object ``{key_id, algorithm, version, library_seq, time, request,
signature}``; the signed ``answer`` is that body without its ``evidence`` key.

``version`` 2 is JCS. Evidence without a version was signed over the first canonical form (sorted
keys, no spaces, UTF-8, numbers as Python writes them); it is still checked in that form. Pure: no I/O.

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
import os
from collections.abc import Callable, Mapping
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from jjjcredit.core.errors import Error

ALGORITHM = "Ed25519"
#: The version of the signed form: 2 = RFC 8785 (JCS). Evidence without one is version 1.
VERSION = 2
VERSIONS = (1, 2)


class EvidenceError(Error, ValueError):
    """Why a saved answer does not verify: ``code`` is one of ``evidence.malformed``,
    ``evidence.unknown_key``, ``evidence.algorithm``, ``evidence.signature``."""


def canonical(request: Any, answer: Any, library_seq: int, time: str, key_id: str, version: int = VERSION) -> bytes:
    """The bytes that are signed: RFC 8785 (``version`` 2), or the first canonical form (``version`` 1,
    for checking evidence signed before RFC 8785).

    >>> canonical({"code": "X"}, {"verdict": "match"}, 3, "t", "k")
    b'{"answer":{"verdict":"match"},"key_id":"k","library_seq":3,"request":{"code":"X"},"time":"t"}'
    >>> canonical({}, {"n": 1.0}, 3, "t", "k")
    b'{"answer":{"n":1},"key_id":"k","library_seq":3,"request":{},"time":"t"}'
    >>> canonical({}, {"n": 1.0}, 3, "t", "k", version=1)
    b'{"answer":{"n":1.0},"key_id":"k","library_seq":3,"request":{},"time":"t"}'
    """
    data = {"request": request, "answer": answer, "library_seq": library_seq, "time": time, "key_id": key_id}
    if version == 1 or plain(data):  # the same bytes as RFC 8785 for plain values, several times faster
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return rfc8785.dumps(data)


_SAFE_INT = 2**53 - 1


def plain(value: Any) -> bool:
    """Whether ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` writes
    exactly what RFC 8785 writes: only str, bool, None, int within ±(2**53 - 1), lists, and dicts whose
    keys hold no character from U+E000 up (below it, code-point order is UTF-16 order). The string
    escapes of the two are the same. A float, a tuple, a bigger integer or such a key: not plain.

    >>> plain({"a": [1, "某", None, True]}), plain({"a": 1.0}), plain({"\U0001F600": 1}), plain(2**53)
    (True, False, False, False)
    """
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if -_SAFE_INT <= item <= _SAFE_INT:
                continue
            return False
        if kind is dict:
            if not all(type(k) is str and (k.isascii() or max(k) < "\ue000") for k in item):
                return False
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        else:
            return False
    return True


class SecretError(Error):
    """Signing is impossible: ``evidence.no_secret`` (no operator secret given) or
    ``evidence.bad_secret`` (the secret does not open the stored keys)."""


NO_SECRET = ("Answers cannot be signed: no operator secret for the signing keys. Set "
             "JJJCREDIT_SIGNING_KEY_SECRET, or JJJCREDIT_SIGNING_KEY_FILE to a file holding it, and restart.")
#: How a sealed private key begins (scrypt n=2**14, r=8, p=1 → AES-256-GCM; version 1 of the layout).
SEALED = "sealed-v1$"


class KeyBox:
    """The operator's secret: seals private keys for the database and opens them again.

    A sealed key is ``sealed-v1$<salt>$<nonce>$<ciphertext>`` (base64): AES-256-GCM under a key derived
    from the secret with scrypt and a salt of its own, the key id bound as associated data (a sealed
    key copied to another row does not open). A copy of the database without the secret signs nothing.
    Opened keys are kept in the box (a key is derived and opened once per process).

    >>> box = KeyBox("correct horse battery staple")
    >>> sealed = box.seal("k1", private_pem(new_private_key()))
    >>> sealed.startswith(SEALED), "PRIVATE KEY" in sealed
    (True, False)
    >>> isinstance(box.private_key("k1", sealed), Ed25519PrivateKey)
    True
    >>> KeyBox("another secret").private_key("k1", sealed)
    Traceback (most recent call last):
    ...
    jjjcredit.core.sharing.evidence.SecretError: The operator secret does not open signing key "k1": it was sealed under another secret. Give the secret it was sealed with.
    """

    def __init__(self, secret: str) -> None:
        if not secret:
            raise SecretError("evidence.no_secret", NO_SECRET)
        self._secret = secret.encode("utf-8")
        self._opened: dict[str, Ed25519PrivateKey] = {}

    def _aes(self, salt: bytes) -> AESGCM:
        return AESGCM(Scrypt(salt=salt, length=32, n=2**14, r=8, p=1).derive(self._secret))

    def seal(self, key_id: str, pem: str) -> str:
        """The private key ``pem`` sealed for storage under ``key_id`` (and kept opened in the box)."""
        self._opened[key_id] = load_private(pem)
        salt, nonce = os.urandom(16), os.urandom(12)
        sealed = self._aes(salt).encrypt(nonce, pem.encode("ascii"), key_id.encode("utf-8"))
        return SEALED + "$".join(base64.b64encode(part).decode("ascii") for part in (salt, nonce, sealed))

    def open(self, key_id: str, stored: str) -> str:
        """The PEM of a stored key: opened when sealed, as is when stored in clear (before sealing)."""
        if not is_sealed(stored):
            return stored
        try:
            salt, nonce, sealed = (base64.b64decode(part, validate=True) for part in stored[len(SEALED):].split("$"))
            return self._aes(salt).decrypt(nonce, sealed, key_id.encode("utf-8")).decode("ascii")
        except (InvalidTag, ValueError, binascii.Error):
            raise SecretError("evidence.bad_secret", f'The operator secret does not open signing key "{key_id}": it '
                              "was sealed under another secret. Give the secret it was sealed with.") from None

    def seal_bytes(self, key_id: str, data: bytes) -> str:
        """Any secret bytes (a data key) sealed for storage under ``key_id``, as :meth:`seal` seals a key."""
        salt, nonce = os.urandom(16), os.urandom(12)
        sealed = self._aes(salt).encrypt(nonce, base64.b64encode(data), key_id.encode("utf-8"))
        return SEALED + "$".join(base64.b64encode(part).decode("ascii") for part in (salt, nonce, sealed))

    def open_bytes(self, key_id: str, stored: str) -> bytes:
        """The bytes :meth:`seal_bytes` sealed; refuses (``evidence.bad_secret``) under another secret."""
        return base64.b64decode(self.open(key_id, stored))

    def opened(self, key_id: str) -> Ed25519PrivateKey | None:
        """The private key of ``key_id`` if this box has opened it already."""
        return self._opened.get(key_id)

    def private_key(self, key_id: str, stored: str) -> Ed25519PrivateKey:
        """The private key of a stored (sealed, or clear) key, parsed once."""
        key = self._opened.get(key_id)
        if key is None:
            key = self._opened[key_id] = load_private(self.open(key_id, stored))
        return key


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED)


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
    return {"key_id": key_id, "algorithm": ALGORITHM, "version": VERSION, "library_seq": library_seq, "time": time,
            "request": request, "signature": base64.b64encode(signature).decode("ascii")}


def signing_key(signed: Mapping[str, Any], public_keys: Mapping[str, str], what: str,
                error: Callable[..., Error]) -> str:
    """The id of the published key a signed thing (evidence, a report's signature) names, once its
    algorithm is this platform's; else ``error`` (``evidence.algorithm``, ``evidence.unknown_key``)
    saying which, ``what`` naming the thing ("The answer", "The report")."""
    if signed["algorithm"] != ALGORITHM:
        raise error("evidence.algorithm", f'{what} was signed with "{signed["algorithm"]}": expected {ALGORITHM}.')
    key_id = str(signed["key_id"])
    if key_id not in public_keys:
        known = ", ".join(sorted(public_keys)) or "none"
        raise error("evidence.unknown_key", f'{what} was signed with key "{key_id}", which is not among the '
                    f"published keys ({known}): fetch a current copy of /api/v1/keys.")
    return key_id


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
    key_id = signing_key(ev, public_keys, "The answer", EvidenceError)
    try:
        signature = base64.b64decode(str(ev["signature"]), validate=True)
    except (binascii.Error, ValueError):
        raise EvidenceError("evidence.malformed", "The signature is not base64.") from None
    version = ev.get("version", 1)
    if version not in VERSIONS or isinstance(version, bool):
        raise EvidenceError("evidence.malformed", f'The evidence version is {json.dumps(version)}: expected '
                            f'{" or ".join(map(str, VERSIONS))} (or none, for evidence signed before versions).')
    if not isinstance(ev["library_seq"], int):
        raise EvidenceError("evidence.malformed", "The evidence library_seq is not a whole number.")
    body = {k: v for k, v in saved.items() if k != "evidence"}
    try:
        message = canonical(ev["request"], body, ev["library_seq"], str(ev["time"]), key_id, version)
    except ValueError:  # a value JCS has no form for (NaN, a huge integer …)
        raise EvidenceError("evidence.malformed", "The answer holds a value RFC 8785 cannot write (a number "
                            "out of range, a lone surrogate): it was not signed as it reads now.") from None
    try:
        load_public(public_keys[key_id], key_id).verify(signature, message)
    except InvalidSignature:
        raise EvidenceError("evidence.signature", "The signature does not match the answer: the request, answer, "
                            f'library sequence or time was changed after signing (key "{key_id}").') from None
    return key_id
