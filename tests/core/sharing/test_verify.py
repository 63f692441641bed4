"""The verdicts of identity authentication, and the batch body: signed exactly as evidence.sign signs,
serialized once."""

from __future__ import annotations

import datetime
import json
from typing import Any

import jcs
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from jjjcredit.core.codes import uscc
from jjjcredit.core.library import search
from jjjcredit.core.library.transforms import TransformError
from jjjcredit.core.sharing import evidence
from jjjcredit.core.sharing import verify as verdicts
from jjjcredit.core.sharing.verify import Holding, NameChange, Question

CODE = "91350100M000100Y43"
KEY = evidence.new_private_key()
HELD = Holding(name="保定更新科技有限公司", status="1", legal_rep="张三")
# Renamed twice: 甲 → 乙 on 2024-06-30, 乙 → 保定更新 on 2025-03-01; a change without a day (from 丙) in between.
CHANGES = [NameChange(10, "石家庄甲机械有限公司", "20240630"), NameChange(30, "石家庄乙机械有限公司", "20250301"),
           NameChange(20, "石家庄丙机械有限公司", None)]


def ask(name: str, on: str | None = None, legal_rep: str | None = None, held: Holding = HELD) -> dict[str, Any]:
    return verdicts.answer(Question(CODE, name, legal_rep, on), CODE, held, CHANGES)


def test_the_current_name_is_a_match_without_reading_the_changes():
    assert verdicts.direct_answer(Question(CODE, "保定更新科技有限责任公司"), CODE, HELD) == {
        "code": CODE, "status": "1", "status_name": "normal (existing / operating)", "active": True,
        "verdict": "match"}
    assert verdicts.direct_answer(Question(CODE, "保定更新科技有限公司", on="20250601"), CODE, HELD) is None
    assert verdicts.direct_answer(Question(CODE, "别的"), CODE, HELD) is None
    assert ask("保定更新科技有限公司")["verdict"] == "match"


def test_former_names_newest_first_with_the_day_they_changed():
    assert ask("石家庄乙机械有限公司") == {
        "code": CODE, "status": "1", "status_name": "normal (existing / operating)", "active": True,
        "verdict": "former_name", "current_name": "保定更新科技有限公司", "changed": "20250301"}
    assert ask("石家庄甲机械有限公司")["changed"] == "20240630"
    assert ask("石家庄丙机械有限公司")["changed"] is None
    assert ask("别的")["verdict"] == "name_mismatch"


def test_on_a_day_the_name_then_in_force_is_the_match():
    assert ask("石家庄甲机械有限公司", on="20240101")["verdict"] == "match"
    assert ask("石家庄甲机械有限公司", on="20240629")["verdict"] == "match"
    then = ask("石家庄甲机械有限公司", on="20240630")  # a change is in force from its day
    assert (then["verdict"], then["current_name"], then["changed"]) == \
        ("former_name", "石家庄乙机械有限公司", "20240630")
    undated = ask("石家庄丙机械有限公司", on="20240101")  # a change without a day is never walked back
    assert (undated["verdict"], undated["current_name"], undated["changed"]) == \
        ("former_name", "石家庄甲机械有限公司", None)
    assert ask("石家庄乙机械有限公司", on="20240701")["verdict"] == "match"
    assert ask("保定更新科技有限公司", on="20240101")["verdict"] == "name_mismatch"  # a later name is no former one


def test_status_and_legal_representative():
    revoked = Holding(name="某公司", status="3", legal_rep=None)
    answer = ask("某公司", held=revoked, legal_rep="张三")
    assert (answer["active"], answer["status_name"], answer["legal_rep_match"]) == (False, "licence revoked", False)
    assert ask("保定更新科技有限公司", legal_rep=" 张 三 ")["legal_rep_match"] is True
    assert ask("别的", legal_rep="李四")["legal_rep_match"] is False
    unknown = ask("某公司", held=Holding(name="某公司", status=None, legal_rep=None))
    assert (unknown["status"], unknown["status_name"], unknown["active"]) == (None, None, None)
    assert "legal_rep_match" not in unknown


def verdict(name: str, status: str | None = "1", legal_rep: str | None = None, on: str | None = None,
            established: str | None = "20200101") -> str:
    held = Holding(name="保定更新科技有限公司", status=status, legal_rep="张三", established=established)
    question = Question(CODE, name, legal_rep, on)
    answered = verdicts.answer(question, CODE, held, CHANGES)
    direct = verdicts.direct_answer(question, CODE, held)
    assert direct is None or direct == answered  # the short way agrees
    assert answered["verdict"] in verdicts.VERDICTS
    return str(answered["verdict"])


def test_match_only_for_the_right_name_and_legal_representative_of_an_organization_in_good_standing():
    right = "保定更新科技有限公司"
    assert [verdict(right, status) for status in ("1", "2", "9")] == ["match"] * 3
    assert verdict(right, "1", legal_rep="张三") == "match"
    assert verdict(right, "4") == "deregistered"
    assert verdict(right, "3") == "revoked"
    assert verdict(right, "1", legal_rep="李四") == "legal_rep_mismatch"
    assert verdict(right, None) == "status_unknown"
    assert verdict(right, None, legal_rep="李四") == "legal_rep_mismatch"
    assert verdict(right, "4", legal_rep="李四") == "deregistered"  # an ended organization: that first
    assert verdict("石家庄甲机械有限公司", "4", on="20240101") == "deregistered"  # the name then, but it ended since
    assert verdict("石家庄甲机械有限公司", "1", legal_rep="李四", on="20240101") == "legal_rep_mismatch"
    # a wrong name stays wrong whatever the status; a former name says so
    assert [verdict("别的", s) for s in ("1", "3", "4", None)] == ["name_mismatch"] * 4
    assert [verdict("石家庄乙机械有限公司", s) for s in ("1", "4", None)] == ["former_name"] * 3


def test_a_day_before_the_organization_was_established_says_so():
    held = Holding(name="保定更新科技有限公司", status="1", legal_rep="张三", established="20200315")
    before = verdicts.answer(Question(CODE, "石家庄甲机械有限公司", "张三", "20200314"), CODE, held, CHANGES)
    assert before == {"code": CODE, "status": "1", "status_name": "normal (existing / operating)", "active": True,
                      "verdict": "not_established", "established": "20200315", "legal_rep_match": True}
    on_the_day = Question(CODE, "石家庄甲机械有限公司", on="20200315")
    assert verdicts.answer(on_the_day, CODE, held, CHANGES)["verdict"] == "match"
    assert verdict("石家庄甲机械有限公司", on="20230101", established=None) == "match"  # not known: not refused


# What a request may hold: any text (the JSON escapes, CJK, astral characters), never lone surrogates.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
QUESTIONS = st.lists(st.builds(Question, TEXT, TEXT, st.none() | TEXT, st.none() | TEXT), max_size=8)
# What an answer may hold (verdicts are made of these): keys below U+E000, integers JCS can carry exactly.
KEYS = st.text(st.characters(max_codepoint=0xDFFF, exclude_categories=("Cs",)), max_size=12)
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-(2**53 - 1), 2**53 - 1) | TEXT,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
                           max_leaves=8)
ANSWERS = st.lists(st.dictionaries(KEYS, JSON_VALUES, max_size=6), max_size=8)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_canonical_json_is_rfc_8785_for_what_answers_hold(value: Any):
    # two JCS implementations that share no code with each other nor with canonical_json
    assert verdicts.canonical_json(value).encode() == rfc8785.dumps(value) == jcs.canonicalize(value)


def test_every_answer_shape_is_within_what_canonical_json_writes_exactly():
    shapes = [ask("保定更新科技有限公司", legal_rep="张三"), ask("石家庄乙机械有限公司"), ask("别的"),
              verdicts.not_found_answer(CODE),
              verdicts.invalid_answer("9135010", uscc.check("9135010").errors[0], ["91350100M000100Y43"])]
    for shape in shapes:
        assert verdicts.canonical_json(shape).encode() == rfc8785.dumps(shape)


@settings(max_examples=100, deadline=None)
@given(QUESTIONS, ANSWERS, st.integers(0, 2**53 - 1), TEXT, TEXT)
def test_the_batch_body_is_what_sign_answer_serves_and_it_verifies(questions: list[Question],
                                                                   answers: list[dict[str, Any]], seq: int,
                                                                   time: str, key_id: str):
    body = verdicts.signed_batch(KEY, key_id, questions, answers, seq, time)
    request = {"items": [{"code": q.code, "name": q.name, "legal_rep": q.legal_rep, "on": q.on} for q in questions]}
    served = json.loads(body)
    # Ed25519 signatures are deterministic: the same bytes signed give the same signature.
    assert served == {"answers": answers, "evidence": evidence.sign(KEY, key_id, request, {"answers": answers}, seq,
                                                                    time)}
    assert list(served["evidence"]) == ["key_id", "algorithm", "version", "library_seq", "time", "request",
                                        "signature"]
    assert evidence.check(served, {key_id: evidence.public_pem(KEY)}) == key_id
    assert verdicts.items_json(questions) == verdicts.canonical_json(request["items"])


#: Pieces names are written with: words, company forms, every bracket style, spaces, full width.
NAME_PIECES = ["北京", "某某", "科技", "有限责任公司", "股份有限公司", "有限公司", "股份公司", "公司",
               "(", ")", "（", "）", "[", "]", "［", "］", "【", "】", "〔", "〕", "「", "」",
               " ", "\u3000", "ａｂ", "AB", "ab", "１", "1"]
PIECED = st.lists(st.sampled_from(NAME_PIECES), min_size=1, max_size=7).map("".join)


def _search_exact(asked: str, held: str) -> bool:
    return search.score(search.query(asked), CODE, held)[1] == "exact"


def _verify_match(asked: str, held: str) -> bool:
    return verdicts.answer(Question(CODE, asked), CODE, Holding(name=held, status="1", legal_rep=None),
                           [])["verdict"] == "match"


@pytest.mark.parametrize(("asked", "held"), [
    ("北京[某某]科技股份有限公司", "北京(某某)科技股份有限公司"),
    ("北京「某某」科技股份有限公司", "北京（某某）科技股份有限公司"),
    ("北京［某某］科技 股份公司", "北京(某某)科技股份有限公司"), ("北京某某科技有限责任公司", "北京某某科技有限公司"),
    ("北京某某科技公司", "北京某某科技有限公司"), ("北京(某某)科技有限公司", "北京某某科技有限公司")])
def test_a_name_search_finds_exactly_is_a_verify_match_and_no_other(asked: str, held: str):
    assert _search_exact(asked, held) == _verify_match(asked, held)
    assert _search_exact(held, asked) == _verify_match(held, asked)


@settings(max_examples=500, deadline=None)
@given(PIECED, PIECED)
def test_whatever_search_finds_exactly_verify_matches_and_the_reverse(asked: str, held: str):
    assert _search_exact(asked, held) == _verify_match(asked, held)


REWRITES = [("(", "["), ("(", "【"), ("(", "（"), (")", "」"), ("有限公司", "有限责任公司"),
            ("股份公司", "股份有限公司"), ("AB", "ａｂ"), ("公司", "公 司")]


@settings(max_examples=300, deadline=None)
@given(PIECED, st.lists(st.sampled_from(REWRITES), max_size=4))
def test_a_name_written_another_way_is_found_exactly_and_matches(name: str, rewrites: list[tuple[str, str]]):
    written = name
    for old, new in rewrites:
        written = written.replace(old, new)
    assert _search_exact(written, name) and _verify_match(written, name)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=40), st.from_regex(r"[0-9０-９年月日 ./-]{0,20}", fullmatch=True)))
def test_a_day_asked_is_a_real_date_or_a_transform_error_saying_why(value: str):
    try:
        day = verdicts.day(value)
    except TransformError as e:
        assert e.code == "record.date"
    else:
        assert len(day) == 8 and datetime.date(int(day[:4]), int(day[4:6]), int(day[6:])) is not None


def test_days_are_read_as_everywhere_and_must_exist():
    assert [verdicts.day(v) for v in ("20240229", "2024-2-29", "2024/02/29", "2024年2月29日")] == ["20240229"] * 4
    for wrong in ("20230230", "20231301", "2023-1", "1/2/2023"):
        with pytest.raises(TransformError):
            verdicts.day(wrong)
