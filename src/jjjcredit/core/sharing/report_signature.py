"""The signature of a credit report file (core/sharing/report.py builds the document) and its offline
check. Pure: no I/O.

**The signature.** A report is signed with the platform's evidence key (core/sharing/evidence.py) over
the RFC 8785 form of its *envelope*: number, kind, subject, issue time, data date, format and the
SHA-256 of what it covers. A JSON report carries the envelope as its ``signature`` member and covers the
RFC 8785 form of the rest; the file is exactly :func:`json_file` of it, so a byte changed anywhere
— even a space — is refused. A PDF report covers its bytes up to a last comment line
``%JJJCREDIT-REPORT-SIGNATURE <base64 envelope>``, followed by ``startxref``/``%%EOF`` again so every
PDF reader opens it as it was rendered.

>>> key = evidence.new_private_key()
>>> document = {"report": {"number": "JJJ-2026-00000000-4", "kind": "standard", "generated_at": "t",
...                        "data_as_of": "d"}, "subject": {"code": "X", "name": "某公司"}, "notes": ["未发现"]}
>>> data = seal_json(document, key, "k1")
>>> check_file(data, {"k1": evidence.public_pem(key)}).number
'JJJ-2026-00000000-4'
>>> check_file(data.replace("未发现".encode(), "已发现".encode()), {"k1": evidence.public_pem(key)})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
jjjcredit.core.sharing.report.ReportError: The file was changed after it was issued: the SHA-256 of its content is ..., the signed one .... Ask the issuer for the report again, or check the number it shows at /api/v1/reports/NUMBER.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from jjjcredit.core.sharing import evidence
from jjjcredit.core.sharing.report import ReportError

MARKER = b"%JJJCREDIT-REPORT-SIGNATURE "
#: The largest file taken for a report (a report of hundreds of records is well under a megabyte).
MAX_FILE_BYTES = 16 << 20



def canonical(document: Mapping[str, Any]) -> bytes:
    """The RFC 8785 form of a document without its ``signature`` (what a JSON report's hash covers).

    >>> canonical({"b": 1, "a": "某", "signature": {}})
    b'{"a":"\\xe6\\x9f\\x90","b":1}'
    """
    body = {k: v for k, v in document.items() if k != "signature"}
    if evidence.plain(body):
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return rfc8785.dumps(body)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def envelope(document: Mapping[str, Any], fmt: str, digest: str, key_id: str) -> dict[str, Any]:
    """What is signed for one rendering of a report (the document's header and the rendering's hash)."""
    head = document["report"]
    return {"number": head["number"], "kind": head["kind"], "subject": document["subject"],
            "issued_at": head["generated_at"], "data_as_of": head["data_as_of"], "format": fmt,
            "sha256": digest, "key_id": key_id, "algorithm": evidence.ALGORITHM}


def sign(key: Ed25519PrivateKey, signed: Mapping[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in signed.items() if k != "signature"}
    return dict(body, signature=base64.b64encode(key.sign(rfc8785.dumps(body))).decode("ascii"))


def json_file(document: Mapping[str, Any]) -> bytes:
    """The one byte form of a JSON report file (and of the API's answer)."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def seal_json(document: Mapping[str, Any], key: Ed25519PrivateKey, key_id: str) -> bytes:
    """The JSON report file: the document with its signed ``signature`` envelope."""
    signed = sign(key, envelope(document, "json", sha256(canonical(document)), key_id))
    return json_file(dict(document, signature=signed))


def seal_pdf(pdf: bytes, document: Mapping[str, Any], key: Ed25519PrivateKey, key_id: str) -> bytes:
    """The PDF report file: the rendered bytes, then the signed envelope in a comment line and the
    rendering's own ``startxref`` and ``%%EOF`` again."""
    signed = sign(key, envelope(document, "pdf", sha256(pdf), key_id))
    line = MARKER + base64.b64encode(rfc8785.dumps(signed))
    return pdf + (b"" if pdf.endswith(b"\n") else b"\n") + line + b"\n" + _startxref(pdf) + b"%%EOF\n"


def _startxref(pdf: bytes) -> bytes:
    at = pdf.rfind(b"startxref")
    end = pdf.rfind(b"%%EOF")
    if at < 0 or end < at:
        raise ReportError("report.file", "The rendering is not a complete PDF (no startxref).")
    return pdf[at:end]


@dataclass(frozen=True)
class Verified:
    """A report file that verifies: its envelope (number, subject, time, hash, key)."""

    envelope: Mapping[str, Any]

    @property
    def number(self) -> str:
        return str(self.envelope["number"])


def _altered(what: str) -> ReportError:
    return ReportError("report.altered", f"The file was changed after it was issued: {what}. Ask the issuer for the "
                       "report again, or check the number it shows at /api/v1/reports/NUMBER.")


def _check_signature(signed: Any, public_keys: Mapping[str, str]) -> dict[str, Any]:
    if not isinstance(signed, dict):
        raise ReportError("report.file", "The report's signature is not an object.")
    missing = [k for k in ("number", "kind", "subject", "issued_at", "format", "sha256", "key_id", "algorithm",
                           "signature") if k not in signed]
    if missing:
        raise _altered(f"its signature lacks {', '.join(missing)}")
    key_id = evidence.signing_key(signed, public_keys, "The report", ReportError)
    try:
        signature = base64.b64decode(str(signed["signature"]), validate=True)
        message = rfc8785.dumps({k: v for k, v in signed.items() if k != "signature"})
    except (binascii.Error, ValueError):
        raise _altered("its signature is not readable") from None
    try:
        evidence.load_public(public_keys[key_id], key_id).verify(signature, message)
    except InvalidSignature:
        raise _altered(f'the signature (key "{key_id}") does not match the number, subject, time or hash the '
                       "file states") from None
    return signed


def check_file(data: bytes, public_keys: Mapping[str, str]) -> Verified:
    """Check a report file (PDF or JSON) against the published keys (key id → PEM), offline: the
    hash of what it covers, the form it was issued in, and the signature. Raises
    :class:`ReportError` with the reason."""
    if data.startswith(b"%PDF-"):
        return _check_pdf(data, public_keys)
    if data.lstrip()[:1] == b"{":
        return _check_json(data, public_keys)
    raise ReportError("report.file", "The file is neither a PDF nor a JSON credit report of this platform.")


def _check_pdf(data: bytes, public_keys: Mapping[str, str]) -> Verified:
    at = data.rfind(b"\n" + MARKER)
    if at < 0:
        raise ReportError("report.file", "The PDF carries no report signature: it was not issued by this platform "
                          "(or its signature line was removed).")
    body = data[:at + 1]
    line_end = data.find(b"\n", at + 1 + len(MARKER))
    try:
        signed = json.loads(base64.b64decode(data[at + 1 + len(MARKER):line_end], validate=True))
    except (binascii.Error, ValueError):
        raise _altered("its signature line is not readable") from None
    try:
        tail = b"\n" + MARKER + base64.b64encode(rfc8785.dumps(signed)) + b"\n" + _startxref(body) + b"%%EOF\n"
    except (ReportError, ValueError, TypeError):
        raise _altered("its signature line is not readable") from None
    signed = _check_signature(signed, public_keys)
    if data[at:] != tail:
        raise _altered("the lines after its signature are not those it was issued with")
    if signed["format"] != "pdf":
        raise _altered(f'its signature is of a {signed["format"]} rendering, not of this PDF')
    if sha256(body) != signed["sha256"]:
        raise _altered(f'its SHA-256 is {sha256(body)}, the signed one {signed["sha256"]}')
    return Verified(signed)


def _check_json(data: bytes, public_keys: Mapping[str, str]) -> Verified:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _altered("it is no longer JSON text") from None
    if not isinstance(document, dict) or "signature" not in document:
        raise ReportError("report.file", 'The JSON file carries no report "signature": save the whole report as '
                          "the platform gave it.")
    signed = _check_signature(document["signature"], public_keys)
    if signed["format"] != "json":
        raise _altered(f'its signature is of a {signed["format"]} rendering, not of this JSON')
    try:
        digest = sha256(canonical(document))
    except ValueError:
        raise _altered("it holds a value RFC 8785 cannot write") from None
    if digest != signed["sha256"]:
        raise _altered(f'the SHA-256 of its content is {digest}, the signed one {signed["sha256"]}')
    if json_file(document) != data:
        raise _altered("its content is as signed but not byte for byte as issued (spacing or escapes changed)")
    head = document.get("report")
    if not isinstance(head, dict) or head.get("number") != signed["number"]:
        raise _altered("its number differs from the signed one")
    return Verified(signed)
