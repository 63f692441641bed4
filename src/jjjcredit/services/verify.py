"""Identity authentication (3041): does this code belong to this name — and this legal
representative — now, or on a given day?

Answers: ``match``; ``former_name`` (the name was the organization's before a change, with when it
changed); ``name_mismatch``; ``not_found`` (a valid code no provider has sent); ``invalid_code``
(with the identifier core's error and suggestions). Deregistered and revoked organizations are never
a plain match for business: the answer carries ``status`` and ``active``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from jjjcredit.core import uscc
from jjjcredit.core.elements import STATUS
from jjjcredit.services import library
from jjjcredit.storage.schema import changes, history, organizations

_SPACES = re.compile(r"\s+")
_FORMS = (("有限责任公司", "有限公司"), ("股份有限公司", "股份公司"))
INACTIVE = {"3", "4"}


def normalize_name(name: str) -> str:
    """The form names are compared in: half-width, no spaces, one bracket style, one company form.

    >>> normalize_name("石家庄（某某）机械 有限责任公司") == normalize_name("石家庄(某某)机械有限公司")
    True
    """
    text = unicodedata.normalize("NFKC", name)
    text = _SPACES.sub("", text).replace("【", "(").replace("】", ")").replace("〔", "(").replace("〕", ")")
    for long, short in _FORMS:
        text = text.replace(long, short)
    return text.upper()


@dataclass(frozen=True)
class Question:
    code: str
    name: str
    legal_rep: str | None = None
    on: str | None = None  # YYYYMMDD: "was this true on that day?"


def verify_identity(conn: Connection, question: Question) -> dict[str, Any]:
    """One answer; never raises for bad input (it is an answer: ``invalid_code``)."""
    checked = uscc.check(question.code)
    if checked.errors:
        first = checked.errors[0]
        return {"code": checked.compact, "verdict": "invalid_code",
                "error": {"code": first.code, "message": first.message, "position": first.position},
                "suggestions": [s.code for s in uscc.suggest(checked.compact)]}
    code = checked.compact
    org = library.get_organization(conn, code)
    if org is None:
        return {"code": code, "verdict": "not_found",
                "message": "The code is valid, but no provider has sent it to the library."}
    names = _names(conn, code, org, question.on)
    wanted = normalize_name(question.name)
    answer: dict[str, Any] = {"code": code, "status": org.get("status"),
                              "status_name": STATUS[org["status"]].en if org.get("status") in STATUS else None,
                              "active": org.get("status") not in INACTIVE}
    if names["current"] is not None and normalize_name(names["current"]) == wanted:
        answer["verdict"] = "match"
    else:
        former = next((f for f in names["former"] if normalize_name(f["name"]) == wanted), None)
        if former is not None:
            answer.update(verdict="former_name", current_name=names["current"], changed=former["effective"])
        else:
            answer.update(verdict="name_mismatch")
    if question.legal_rep is not None:
        answer["legal_rep_match"] = bool(org.get("legal_rep")) and \
            normalize_name(question.legal_rep) == normalize_name(org["legal_rep"])
    return answer


def _names(conn: Connection, code: str, org: Mapping[str, Any], on: str | None) -> dict[str, Any]:
    """The current name (or the name in force on ``on``) and the former names."""
    former = library.former_names(conn, code)
    if not on:
        return {"current": org.get("name"), "former": former}
    # The name in force on the day: walk back through changes effective after it.
    name = org.get("name")
    later = conn.execute(
        select(history.c.old_value, changes.c.effective).join(changes, changes.c.seq == history.c.seq)
        .where(history.c.uscc == code, history.c.element == "name", changes.c.effective > on)
        .order_by(changes.c.seq.desc())).all()
    for old, _effective in later:
        name = old
    return {"current": name, "former": [f for f in former if f["name"] != name]}


def verify_many(conn: Connection, questions: Sequence[Question]) -> list[dict[str, Any]]:
    """Each question answered independently, in order."""
    codes = [uscc.compact(q.code) for q in questions]
    known = {r[0] for start in range(0, len(codes), 2_000) for r in conn.execute(
        select(organizations.c.uscc).where(organizations.c.uscc.in_(codes[start:start + 2_000])))}
    answers = []
    for question, code in zip(questions, codes, strict=True):
        if code in known or not uscc.is_valid(code):
            answers.append(verify_identity(conn, question))
        else:
            answers.append({"code": code, "verdict": "not_found",
                            "message": "The code is valid, but no provider has sent it to the library."})
    return answers
