"""A credit record as the checks give it (:class:`Record`; :class:`Checked`, a row's outcome): identity = item +
provider + document number (决定书文号 / 许可编号; for items without one, the fields the item names as its key),
subject, severity, dates, and values with identity numbers masked and kept apart; its values as stored
(:func:`values_json`) and its fingerprint; document numbers as identities compare them (:func:`document_key`);
values shown to someone not entitled to the personal numbers. Pure; the checks of a row are
core/credit/row_checks.py, the database work services/credit/records.py."""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jjjcredit.core.codes.personal import NUMBER_RUN, shown_personal
from jjjcredit.core.credit import columns
from jjjcredit.core.errors import Error
from jjjcredit.core.library.records import Problem, mask_personal

#: The column of the end of publication a provider states (公示截止期; core/sharing/disclosure.public_until).
STATED_UNTIL = "CF_GSJZQ"
#: Control characters and the invisible ones that change how text shows (bidirectional overrides, zero
#: widths, line and paragraph separators): refused in any text value.
UNSEEN = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2064\ufeff]")
_BRACKETS = str.maketrans({"〔": "(", "〕": ")", "［": "(", "］": ")", "[": "(", "]": ")", "【": "(", "】": ")",
                           "（": "(", "）": ")", "﹝": "(", "﹞": ")", "〈": "(", "〉": ")"})
_SPACE = re.compile(r"\s+")


def _round_brackets(text: str) -> str:
    """Every kind of bracket of :data:`_BRACKETS` as ``()`` — a ``str.replace`` a kind found, which is C's
    pace where ``str.translate`` of CJK text takes a Python dictionary look-up a character (20 ms a chunk)."""
    for code, to in _BRACKETS.items():
        if (bracket := chr(code)) in text:
            text = text.replace(bracket, to)
    return text


#: A realistic penalty row, as a provider's sheet has it (national column names).
SAMPLE_PENALTY: dict[str, str] = {
    "行政相对人名称": "石家庄市云帆商贸有限公司", "行政相对人类别": "法人及非法人组织",
    "统一社会信用代码": "91130102MA4CL12T22", "法定代表人": "王建国", "证件类型": "", "证件号码": "",
    "行政处罚决定书文号": "石市监罚〔2026〕118号", "违法行为类型": "销售不合格产品",
    "违法事实": "当事人销售的电热水壶经抽检不合格。", "处罚依据": "《中华人民共和国产品质量法》第四十九条",
    "处罚类别": "警告；罚款", "处罚内容": "警告，罚款人民币2万元", "罚款金额（万元）": "2",
    "处罚决定日期": "2026-05-20", "处罚有效期": "2027-05-19", "公示截止期": "", "处罚机关": "石家庄市市场监督管理局",
    "处罚机关统一社会信用代码": "11130100MABJ1XG604", "数据来源单位": "石家庄市市场监督管理局",
    "数据来源单位统一社会信用代码": "11130100MABJ1XG604", "失信严重程度": "一般", "备注": "",
}


class RecordsError(Error):
    """A credit records step refused before any row; ``code`` is one of ``credit.*`` (docs/errors.md)."""


def values_json(values: Mapping[str, Any]) -> str:
    """A record's values as stored (``data``) and fingerprinted: JSON, keys sorted, not ASCII-escaped. The
    fast path (core/credit/records_bulk._texts_of) writes the same text a column at a time."""
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


def masked_data(data: str) -> str:
    """Values as stored (:func:`values_json`) with any personal number in their text masked, as the ingest
    keeps them; the same text when there is none, which is nearly always.

    >>> masked_data('{"CF_SY": "电话 13812345678", "CF_WSH": "京罚〔2026〕1号"}')
    '{"CF_SY": "电话 138****5678", "CF_WSH": "京罚〔2026〕1号"}'
    """
    if NUMBER_RUN.search(data) is None:
        return data
    return values_json({k: shown_personal(v) if isinstance(v, str) else v for k, v in json.loads(data).items()})


json_text: Callable[[str], str] = json.encoder.encode_basestring  #: a JSON string, as json.dumps writes it


@dataclass(frozen=True)
class Record:
    """One accepted row: its identity (``key``), its subject, dates and severity, and its values by
    column code. ``values`` holds no personal number: those are in ``personal`` (for the service to
    seal) and shown masked in ``values``."""

    row: int
    key: str
    subject_type: str
    subject_name: str
    subject_code: str | None
    identity_number: str | None
    severity: str | None
    decided_on: datetime.date | None
    valid_until: datetime.date | None
    values: dict[str, str]
    personal: dict[str, str] = field(default_factory=dict)
    #: :meth:`values_text` when it was written already (the fast path writes it a column at a time).
    text: str | None = field(default=None, compare=False, repr=False)

    def values_text(self) -> str:
        """The values as stored: JSON, keys sorted (:func:`values_json`)."""
        return self.text if self.text is not None else values_json(self.values)

    def fingerprint(self, values_text: str | None = None) -> str:
        """What decides whether a resubmission changes the record: its values and personal numbers
        (``values_text``: :meth:`values_text`, when it was made already)."""
        return fingerprint_of(values_text or self.values_text(), self.severity, self.personal)


def fingerprint_of(values_text: str, severity: str | None, personal: Mapping[str, str] | None = None) -> str:
    """A record's fingerprint (:meth:`Record.fingerprint`) from its values as stored, its severity and its
    personal numbers."""
    body = values_text + "\x1f" + (severity or "")
    if personal:
        body += "\x1f" + json.dumps(personal, sort_keys=True)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Checked:
    """A row's outcome: a record (possibly with warnings), or problems that refuse it."""

    row: int
    record: Record | None
    problems: tuple[Problem, ...]


def unseen_character(text: str) -> str | None:
    """The first control or invisible character of ``text`` as ``U+XXXX``, or ``None``."""
    found = UNSEEN.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def document_key(number: str) -> str:
    """A document number as identities compare it: full-width forms as ASCII, no spaces, every kind of
    bracket as ``()``, upper case — 石市监罚〔2026〕118号 and 石市监罚(２０２６) 118号 are one decision.

    >>> document_key("石市监罚〔２０２６〕 118号") == document_key("石市监罚(2026)118号")
    True
    """
    return _SPACE.sub("", _round_brackets(unicodedata.normalize("NFKC", number))).upper()


def document_keys(numbers: Sequence[str]) -> list[str]:
    """:func:`document_key` of each number, worked on all of them joined by NUL (which no number holds,
    and which normalizing, brackets, spaces and upper case all leave as it is).

    >>> document_keys(["石市监罚〔２０２６〕 118号", "ß-1", ""]) == [document_key(n) for n in ["石市监罚(2026)118号", "ß-1", ""]]
    True
    """
    joined = "\x00".join(numbers)
    if not numbers or joined.count("\x00") != len(numbers) - 1:
        return [document_key(n) for n in numbers]
    return _SPACE.sub("", _round_brackets(unicodedata.normalize("NFKC", joined))).upper().split("\x00")


def record_id(item: str, provider: str, document_number: str) -> str:
    """A record's id: the hash of its identity (item, provider, document number as compared:
    document_key)."""
    key = document_key(document_number)
    return hashlib.sha256(f"{item}\x1f{provider}\x1f{key}".encode()).hexdigest()[:32]


def record_ids(item: str, provider: str, document_numbers: Sequence[str]) -> list[str]:
    """:func:`record_id` of each document number (their keys made at once: document_keys)."""
    prefix = f"{item}\x1f{provider}\x1f"
    return [hashlib.sha256((prefix + key).encode()).hexdigest()[:32] for key in document_keys(document_numbers)]


def shown_value(column_code: str, value: str) -> str:
    """A stored value as shown to someone not entitled to the personal numbers (they are masked)."""
    column = columns.COLUMNS.get(column_code)
    return mask_personal(value) if column is not None and column.personal else value
