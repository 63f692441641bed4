"""Identity authentication (3041): does this code belong to this name — and this legal
representative — now, or on a given day?

Answers: ``match`` only for an organization in good standing whose name (and legal representative,
when asked) is right; otherwise ``deregistered``, ``revoked``, ``legal_rep_mismatch``,
``status_unknown``, ``former_name``, ``name_mismatch``, ``not_established`` (a day asked before the
organization was established), ``not_found`` or ``invalid_code``. The verdicts themselves and their
order are ``core/sharing/verify.py``'s; this module fetches what they need.

A batch goes set-wise: every code judged in one vectorized call
(details and suggestions only for the invalid ones), every organization of the batch in one query
(a few on SQLite), and the name changes in one more, only for the questions whose answer depends on
them (a day asked, or a name that is not the current one). One question goes the short way — its
code checked alone, its organization read by its key — to the same verdict functions, so it gets the
answer it would get in a batch (a test compares the two).
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection

from jjjcredit.core.codes import uscc, uscc_bulk
from jjjcredit.core.errors import Finding, Verdict
from jjjcredit.core.sharing import audit as audit_chain
from jjjcredit.core.sharing import verify as verdicts
from jjjcredit.core.sharing.verify import Question as Question
from jjjcredit.services.sharing import evidence

_CODES = re.compile(r"[0-9A-Z,]+")  # what a valid code can hold, and the commas joining them


def verify_identity(conn: Connection, question: Question) -> dict[str, Any]:
    """One answer, exactly as :func:`verify_many` gives it, by the short way: the code checked alone
    (a vectorized check costs more for one), the organization read by its key. Never raises for bad
    input (it is an answer: ``invalid_code``)."""
    checked = uscc.check(question.code)
    code = checked.compact
    if checked.errors:
        return verdicts.invalid_answer(code, checked.errors[0], [s.code for s in uscc.suggest(code)])
    found = _rows(conn, "uscc, name, status, legal_rep, established", "organizations WHERE uscc {codes}", [code])
    if not found:
        return verdicts.not_found_answer(code)
    held = verdicts.Holding(*found[0][1:])
    answer = verdicts.direct_answer(question, code, held)
    if answer is None:
        answer = verdicts.answer(question, code, held, _name_changes(conn, [code]).get(code, ()))
    return answer


def verify_many(conn: Connection, questions: Sequence[Question]) -> list[dict[str, Any]]:
    """Each question answered independently, in order — exactly as :func:`verify_identity` would."""
    given = [q.code for q in questions]
    judged = uscc_bulk.judge_many(given)
    codes = given if judged.as_given.all() else \
        [value if plain else uscc.compact(value) for value, plain in zip(given, judged.as_given.tolist(), strict=True)]
    invalid = judged.verdicts == Verdict.INVALID
    wrong = _corrections(sorted({codes[i] for i in np.flatnonzero(invalid).tolist()}))
    held = _holdings(conn, list({c for c in codes if c not in wrong}) if wrong else list(set(codes)))
    answers: list[dict[str, Any]] = []
    pending: list[int] = []  # answers that depend on the organization's name changes
    direct, not_found = verdicts.direct_answer, verdicts.not_found_answer
    for i, (question, code) in enumerate(zip(questions, codes, strict=True)):
        found = held.get(code)
        if found is not None:
            answer = direct(question, code, found)
            if answer is None:
                pending.append(i)
                answer = {}
            answers.append(answer)
        elif code in wrong:
            answers.append(verdicts.invalid_answer(code, *wrong[code]))
        else:
            answers.append(not_found(code))
    changes = _name_changes(conn, list({codes[i] for i in pending}))
    for i in pending:
        answers[i] = verdicts.answer(questions[i], codes[i], held[codes[i]], changes.get(codes[i], ()))
    return answers


def sign_many(conn: Connection, box: evidence.KeyBox | None, questions: Sequence[Question],
              answers: Sequence[dict[str, Any]]) -> bytes:
    """The batch answer as served, JSON bytes with its ``evidence``: one signature over the whole
    request ``{"items": [...]}`` (each question's four fields) and answer ``{"answers": answers}``, at
    the library's current sequence — what ``evidence.sign_answer`` gives, serialized once."""
    key_id, key, seq = evidence.signing_state(conn, box)
    at = audit_chain.format_time(datetime.datetime.now(datetime.UTC))
    return verdicts.signed_batch(key, key_id, questions, answers, seq, at)


def _corrections(codes: Sequence[str]) -> dict[str, tuple[Finding, list[str]]]:
    """code → (its first error, suggested corrections), for invalid codes, in one vectorized call."""
    suggested = uscc.suggest_many(codes)
    return {code: (uscc.check(code).errors[0], [s.code for s in found])
            for code, found in zip(codes, suggested, strict=True)}


def _rows(conn: Connection, columns: str, source: str, codes: Sequence[str]) -> list[Sequence[Any]]:
    """``SELECT columns FROM source`` on the driver, ``{codes}`` in ``source`` standing for the
    condition "is one of ``codes``" (valid codes: 0-9 and A-Z only), with the codes as one parameter
    written in one join — an array literal on PostgreSQL, a JSON array on SQLite, where the rows also
    come back as one JSON text, so that the whole look-up is one step of the statement (row by row,
    each step gives up and takes back the GIL, which stalls while another request runs Python)."""
    if not codes:
        return []
    raw: Any = conn.connection.driver_connection
    if len(codes) == 1:  # one code: a plain look-up by key
        if not _CODES.fullmatch(codes[0]):
            raise ValueError("only valid codes are looked up")
        mark = "%s" if conn.dialect.name == "postgresql" else "?"
        one: list[Sequence[Any]] = raw.execute(f"SELECT {columns} FROM {source.format(codes='= ' + mark)}",
                                               (codes[0],)).fetchall()
        return one
    joined = ",".join(codes)
    if not _CODES.fullmatch(joined):
        raise ValueError("only valid codes are looked up")
    if conn.dialect.name == "postgresql":
        sql = f"SELECT {columns} FROM {source.format(codes='= ANY(%s::text[])')}"
        rows: list[Sequence[Any]] = raw.execute(sql, ("{" + joined + "}",)).fetchall()
        return rows
    where = source.format(codes="IN (SELECT value FROM json_each(?))")
    sql = f"SELECT json_group_array(json_array({columns})) FROM {where}"
    (text,) = raw.execute(sql, ('["' + joined.replace(",", '","') + '"]',)).fetchone()
    found: list[Sequence[Any]] = json.loads(text)
    return found


def _holdings(conn: Connection, codes: Sequence[str]) -> dict[str, verdicts.Holding]:
    """code → what the library holds for it (name, status, legal representative), for codes it holds."""
    holding = verdicts.Holding
    return {r[0]: holding(r[1], r[2], r[3], r[4]) for r in _rows(
        conn, "uscc, name, status, legal_rep, established", "organizations WHERE uscc {codes}", codes)}


def _name_changes(conn: Connection, codes: Sequence[str]) -> dict[str, list[verdicts.NameChange]]:
    """code → every change of its name (any order), for ``codes``."""
    found: dict[str, list[verdicts.NameChange]] = {}
    for r in _rows(conn, "h.uscc, h.seq, h.old_value, c.effective",
                   "history h JOIN changes c ON c.seq = h.seq WHERE h.element = 'name' AND h.uscc {codes}", codes):
        found.setdefault(r[0], []).append(verdicts.NameChange(int(r[1]), r[2], r[3]))
    return found
