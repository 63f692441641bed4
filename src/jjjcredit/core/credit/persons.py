"""Natural persons' identity numbers: found by a keyed hash, kept sealed, never stored in clear.

A :class:`Protector` holds the platform's personal data key (32 random bytes, itself stored sealed
under the operator's secret: services/sharing/personal_keys.py). From it, three keys are derived: one
for HMAC-SHA256, which turns an identity number into the subject's key (the same number always gives
the same key, and without the data key no one can test a guess), one for AES-256-GCM, which
seals the number for those entitled to read it (the column code is bound as associated data, so a
sealed value copied to another field does not open), and one for HMAC-SHA256 again, which keeps who sent a
catalogue comment (a key's client, or an address: an IPv4 address is found from a plain hash by trying
every one) as a tag the daily limit compares and no one without the data key can test a guess against.

>>> p = Protector(bytes(32))
>>> key = p.subject_key("11010519491231002X")
>>> key.startswith("P:"), len(key), key == p.subject_key("110105 19491231 002x")
(True, 42, True)
>>> token = p.seal("CF_XDR_ZJHM", "11010519491231002X")
>>> "11010519491231002X" in token, p.open("CF_XDR_ZJHM", token)
(False, '11010519491231002X')
>>> tag = p.comment_sender("address:203.0.113.9")
>>> len(tag), tag == p.comment_sender("address:203.0.113.9"), tag == hashlib.sha256(b"address:203.0.113.9").hexdigest()
(64, True, False)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jjjcredit.core.codes import ric, uscc
from jjjcredit.core.codes.personal import shown_personal
from jjjcredit.core.errors import Error

#: A natural person's subject key starts with this (an organization's is its 18-character code).
PERSON_PREFIX = "P:"
_TOKEN = "pii1$"


class PersonalDataError(Error):
    """Personal data could not be protected or opened; ``code`` is ``credit.no_secret`` or ``credit.sealed``."""


class Protector:
    """The keyed hash and the seal of identity numbers, from the personal data key."""

    def __init__(self, data_key: bytes) -> None:
        if len(data_key) != 32:
            raise ValueError("the personal data key is 32 bytes")
        self._hash_key = hmac.new(data_key, b"jjjcredit subject key v1", hashlib.sha256).digest()
        self._aes = AESGCM(hmac.new(data_key, b"jjjcredit seal v1", hashlib.sha256).digest())
        self._sender_key = hmac.new(data_key, b"jjjcredit comment sender v1", hashlib.sha256).digest()

    def subject_key(self, number: str) -> str:
        """The subject key of the person with this identity number (``P:`` + 40 hex digits)."""
        digest = hmac.new(self._hash_key, ric.compact(number).encode("utf-8"), hashlib.sha256).hexdigest()
        return PERSON_PREFIX + digest[:40]

    def comment_sender(self, sender: str) -> str:
        """Who sent a catalogue comment (``client:…`` or ``address:…``) as it is kept: 64 hex digits of
        HMAC-SHA256 under a key of its own, the same for the same sender."""
        return hmac.new(self._sender_key, sender.encode("utf-8"), hashlib.sha256).hexdigest()

    def seal(self, field: str, number: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aes.encrypt(nonce, number.encode("utf-8"), field.encode("utf-8"))
        return _TOKEN + base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, field: str, token: str) -> str:
        try:
            raw = base64.b64decode(token[len(_TOKEN):], validate=True)
            return self._aes.decrypt(raw[:12], raw[12:], field.encode("utf-8")).decode("utf-8")
        except (InvalidTag, ValueError):
            raise PersonalDataError("credit.sealed", f"A sealed {field} value does not open under this platform's "
                                    "personal data key (a copy from another platform, or damaged).") from None


def is_person(subject_key: str) -> bool:
    return subject_key.startswith(PERSON_PREFIX)


#: A natural person's subject key as :meth:`Protector.subject_key` makes it: ``P:`` and 40 hex digits.
SUBJECT_KEY = re.compile(r"P:[0-9a-f]{40}")


def is_subject_key(text: str) -> bool:
    """Whether ``text`` is a natural person's subject key — a hash, never masked as a number: its hex may
    hold a run of digits shaped like a mobile number (``…a13812345678b…``), and a masked key finds nothing.

    >>> is_subject_key("P:" + "0" * 40), is_subject_key("P:130102198505059977")
    (True, False)
    """
    return SUBJECT_KEY.fullmatch(text) is not None


def check_subject(code: str) -> str:
    """What a credit subject is asked about by, checked before anything is read or recorded: a unified
    social credit code, a natural person's subject key (``P:…``, as a record shows it) or a valid identity
    number; returns ``code`` as given. Anything else — a mistyped code, a mistyped identity number, a mobile
    number — is ``credit.subject_code``, not answered with no records (a clean answer would mislead a clerk)
    and never echoed in clear: the API's answer and log, the command's error line and the audit trail
    all see it masked. Where an identity number may not be given (a URL, a command line) the adapter
    refuses it first.

    >>> check_subject("91350100M000100Y43"), check_subject("P:" + "0" * 40)[:4], check_subject("11010519491231002X")
    ('91350100M000100Y43', 'P:00', '11010519491231002X')
    >>> check_subject("130102198503151230")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    jjjcredit.core.errors.Error: "130102********1230" is not a valid unified social credit code: ...
    """
    compact = uscc.compact(code)
    if compact[:2] == PERSON_PREFIX or uscc.is_valid(compact) or ric.is_valid(compact):
        return code
    found = uscc.check(compact)
    why = found.errors[0].message if found.errors else "it is not one."
    raise Error("credit.subject_code", shown_personal(
        f'"{compact[:40]}" is not a valid unified social credit code: {why} Expected an 18-character code, or a '
        "natural person's subject key (P:…) as a record shows it."), field="code")
