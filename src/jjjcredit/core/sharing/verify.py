"""Identity authentication (3041), the verdicts: does this code belong to this name — and this legal
representative — now, or on a given day? Pure: the library's rows come in, an answer goes out.

One question, one answer, never an exception. A clerk reads the verdict; the fields beside it say why.

- ``invalid_code``: the code breaks GB 32100; the first error and the likely corrections;
- ``not_found``: a valid code no provider has sent;
- ``not_established``: a day was asked before the organization was established (``established``);
- ``name_mismatch``: the name (compared by :func:`jjjcredit.core.library.names.normalize`, the form
  search keys are made in) is neither the organization's name now (or on the day asked) nor a former one;
- ``former_name``: a name the organization carried before a change, with ``current_name`` and when
  it ``changed``;
- ``deregistered`` / ``revoked``: the name is right, but the organization is deregistered (status 4)
  or its licence revoked (status 3);
- ``legal_rep_mismatch``: the name is right, the legal representative asked is not the one held;
- ``status_unknown``: the name (and legal representative) are right, but no provider has sent the
  organization's status: good standing cannot be said;
- ``match``: the name is the organization's name (now, or in force on the day asked), the legal
  representative (when asked) is the one held, and the organization is in good standing (status
  1 normal, 2 abnormal or 9 other: not deregistered nor revoked).

They are tried in that order: the first that holds is the answer. A found organization's answer
carries ``status``, ``status_name`` and ``active`` (``false`` when deregistered or revoked,
``null`` when the status is unknown), and ``legal_rep_match`` when a legal representative was asked.
The status is the one held now. ``services/sharing/verify.py`` fetches what these functions
need — for one question or ten thousand — so a single call and a batch answer alike.

>>> q = Question("91350100M000100Y43", "石家庄某某机械有限责任公司")
>>> held = Holding(name="石家庄某某机械有限公司", status="1", legal_rep="张三", established="20200101")
>>> answer(q, "91350100M000100Y43", held, ())["verdict"]
'match'
>>> renamed = Holding(name="石家庄新名科技有限公司", status="3", legal_rep=None)
>>> direct_answer(q, "91350100M000100Y43", renamed) is None  # not the current name: the changes decide
True
>>> old = answer(q, "91350100M000100Y43", renamed, [NameChange(seq=7, old="石家庄某某机械有限公司", effective="20240630")])
>>> old["verdict"], old["changed"], old["active"]
('former_name', '20240630', False)
>>> answer(Question("91350100M000100Y43", "石家庄新名科技有限公司"), "91350100M000100Y43", renamed, ())["verdict"]
'revoked'
>>> answer(q._replace(on="20190101"), "91350100M000100Y43", held, ())["verdict"]
'not_established'
"""

from __future__ import annotations

import json
import json.encoder
from base64 import b64encode
from collections.abc import Sequence
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from jjjcredit.core.errors import Finding
from jjjcredit.core.library import names, transforms
from jjjcredit.core.library.elements import STATUS
from jjjcredit.core.sharing import evidence

NOT_FOUND = "The code is valid, but no provider has sent it to the library."
INACTIVE = frozenset({"3", "4"})  # status: revoked, deregistered
_ENDED = {"3": "revoked", "4": "deregistered"}
#: Every verdict, in the order they are tried for a found organization after the code's own.
VERDICTS = ("invalid_code", "not_found", "not_established", "name_mismatch", "former_name", "deregistered",
            "revoked", "legal_rep_mismatch", "status_unknown", "match")
_STATUS_NAMES: dict[str | None, str] = {value: entry.en for value, entry in STATUS.items()}


# Named tuples rather than frozen dataclasses: a batch builds ten thousand of each, and a tuple is
# built several times faster.
class Question(NamedTuple):
    code: str
    name: str
    legal_rep: str | None = None
    on: str | None = None  # YYYYMMDD (a real date): "was this true on that day?"


class Holding(NamedTuple):
    """What the library holds now for a code, as far as a verdict needs it."""

    name: str | None
    status: str | None
    legal_rep: str | None
    established: str | None = None  # YYYYMMDD


class NameChange(NamedTuple):
    """One change of an organization's name: the change-feed ``seq``, the name it replaced and the
    day the change took effect."""

    seq: int
    old: str | None
    effective: str | None


def day(value: str) -> str:
    """The day a question asks about, as ``YYYYMMDD``: written any way the platform reads dates
    (:func:`jjjcredit.core.library.transforms.date`), and a day that exists. Raises
    :class:`~jjjcredit.core.library.transforms.TransformError` (``record.date``) saying why not.

    >>> day("20230228"), day("2023-3-1"), day("2023年3月1日")
    ('20230228', '20230301', '20230301')
    >>> day("20230230")
    Traceback (most recent call last):
        ...
    jjjcredit.core.library.transforms.TransformError: "20230230" is not a date that exists: 2023-02 has 28 days. Check the day against the document it was copied from.
    """
    return transforms.date(value)


def invalid_answer(code: str, error: Finding, suggestions: Sequence[str]) -> dict[str, Any]:
    """The answer for a code that breaks the rules: its compact form, its first error, corrections."""
    return {"code": code, "verdict": "invalid_code",
            "error": {"code": error.code, "message": error.message, "position": error.position},
            "suggestions": list(suggestions)}


def not_found_answer(code: str) -> dict[str, Any]:
    return {"code": code, "verdict": "not_found", "message": NOT_FOUND}


def direct_answer(question: Question, code: str, held: Holding) -> dict[str, Any] | None:
    """The answer when what the library holds now decides it — the current name asked, no day — else
    ``None``: the answer then depends on the organization's name changes (:func:`answer`)."""
    if question.on or held.name is None or not names.same(question.name, held.name):
        return None
    return _standing(question, held, _found(code, held, "match"))


def answer(question: Question, code: str, held: Holding, changes: Sequence[NameChange]) -> dict[str, Any]:
    """The answer for a code the library holds. ``changes``: the organization's name changes, in any
    order; needed only where :func:`direct_answer` gives ``None``."""
    direct = direct_answer(question, code, held)
    if direct is not None:
        return direct
    if question.on and held.established and question.on < held.established:
        result = _found(code, held, "not_established")
        result["established"] = held.established
        return _legal_rep(question, held, result)
    newest_first = sorted(changes, key=lambda c: c.seq, reverse=True)
    current = _name_on(held.name, newest_first, question.on)
    if current is not None and names.same(question.name, current):
        return _standing(question, held, _found(code, held, "match"))
    wanted = names.normalize(question.name)
    # Former names, newest first: every name a change replaced (on a day asked, not the name then in force).
    former = next((c for c in newest_first if c.old and not (question.on and c.old == current)
                   and names.normalize(c.old) == wanted), None)
    if former is None:
        return _legal_rep(question, held, _found(code, held, "name_mismatch"))
    result = _found(code, held, "former_name")
    result.update(current_name=current, changed=former.effective)
    return _legal_rep(question, held, result)


def _found(code: str, held: Holding, verdict: str) -> dict[str, Any]:
    status = held.status
    return {"code": code, "status": status, "status_name": _STATUS_NAMES.get(status),
            "active": None if status is None else status not in INACTIVE, "verdict": verdict}


def _standing(question: Question, held: Holding, result: dict[str, Any]) -> dict[str, Any]:
    """A right name's verdict: ``deregistered``/``revoked``, ``legal_rep_mismatch``, ``status_unknown``
    or ``match``, the first that holds."""
    _legal_rep(question, held, result)
    ended = _ENDED.get(held.status or "")
    if ended is not None:
        result["verdict"] = ended
    elif result.get("legal_rep_match") is False:
        result["verdict"] = "legal_rep_mismatch"
    elif held.status is None:
        result["verdict"] = "status_unknown"
    return result


def _legal_rep(question: Question, held: Holding, result: dict[str, Any]) -> dict[str, Any]:
    if question.legal_rep is not None:
        result["legal_rep_match"] = bool(held.legal_rep) and names.same(question.legal_rep, held.legal_rep or "")
    return result


def _name_on(name: str | None, newest_first: Sequence[NameChange], on: str | None) -> str | None:
    """The current name, or the name in force on ``on``: walked back through the changes that took
    effect after that day (a change with no effective day is taken as in force)."""
    if not on:
        return name
    for change in newest_first:
        if change.effective is not None and change.effective > on:
            name = change.old
    return name


def signed_batch(key: Ed25519PrivateKey, key_id: str, questions: Sequence[Question],
                 answers: Sequence[dict[str, Any]], library_seq: int, time: str) -> bytes:
    """The batch answer as served — ``{"answers": [...], "evidence": {...}}`` as UTF-8 JSON — with one
    signature over the request ``{"items": [...]}`` (each question's four fields, ``null`` where not
    given) and the answer ``{"answers": answers}``.

    The signed bytes are :func:`evidence.canonical`'s (RFC 8785), assembled from the two lists
    serialized once each by :func:`canonical_json`; the body reuses the same text (its objects' keys
    sorted). It is what ``sign_answer`` would serve, without serializing ten thousand answers five more
    times. ``answers`` must hold what verdicts are made of (see :func:`canonical_json`): what is signed
    is then exactly RFC 8785 of what the body reads back as.

    >>> key = evidence.new_private_key()
    >>> body = json.loads(signed_batch(key, "k1", [Question("X", "n")], [{"verdict": "match"}], 3, "t"))
    >>> body["answers"], body["evidence"]["request"], evidence.check(body, {"k1": evidence.public_pem(key)})
    ([{'verdict': 'match'}], {'items': [{'code': 'X', 'legal_rep': None, 'name': 'n', 'on': None}]}, 'k1')
    """
    answers_text = b'{"answers":' + canonical_json(answers).encode()  # the closing brace comes later
    request = b'{"items":' + items_json(questions).encode() + b"}"
    kid, seq, at = canonical_json(key_id).encode(), str(int(library_seq)).encode(), canonical_json(time).encode()
    signed = b"".join([b'{"answer":', answers_text, b'},"key_id":', kid, b',"library_seq":', seq,
                       b',"request":', request, b',"time":', at, b"}"])
    return b"".join([answers_text, b',"evidence":{"key_id":', kid, b',"algorithm":',
                     canonical_json(evidence.ALGORITHM).encode(), b',"version":', str(evidence.VERSION).encode(),
                     b',"library_seq":', seq, b',"time":', at,
                     b',"request":', request, b',"signature":"', b64encode(key.sign(signed)), b'"}}'])


def items_json(questions: Sequence[Question]) -> str:
    """``canonical_json`` of the questions as request items (code, legal_rep, name, on), written
    directly: several times faster than building and dumping ten thousand dicts.

    >>> items_json([Question("X", "某名", on="20240101")])
    '[{"code":"X","legal_rep":null,"name":"某名","on":"20240101"}]'
    """
    text = _json_string
    return "[" + ",".join([
        f'{{"code":{text(q.code)},"legal_rep":{"null" if q.legal_rep is None else text(q.legal_rep)},'
        f'"name":{text(q.name)},"on":{"null" if q.on is None else text(q.on)}}}' for q in questions]) + "]"


def canonical_json(value: Any) -> str:
    """RFC 8785 (JCS) text of ``value``, at the speed of ``json.dumps`` (eight times a JCS library's),
    for the values verdicts are made of: str, bool, None, int within ±(2**53 - 1), lists, and dicts whose
    keys hold no character from U+E000 up. For those JCS and ``json.dumps(sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)`` write the same text — the same string escapes
    (``\\b \\t \\n \\f \\r``, other controls as ``\\u00xx``, nothing else), integers in
    digits, keys in code-point order (which is UTF-16 order below U+E000). A float would differ (``1.0``
    against ``1``): answers hold none. A property test holds it equal to two JCS libraries.

    >>> canonical_json({"b": [True, None], "a": "某\\n", "é": 1})
    '{"a":"某\\\\n","b":[true,null],"é":1}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# The function json.dumps(..., ensure_ascii=False) writes every string with (the C one when present).
_json_string = json.encoder.encode_basestring
