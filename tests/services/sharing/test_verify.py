"""Identity authentication on both databases: every verdict, one question or a batch answered alike,
and a batch looked up set-wise (a fixed number of queries whatever its size)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from jjjcredit.core.codes import uscc
from jjjcredit.services import db
from jjjcredit.services.library import library, search
from jjjcredit.services.sharing import verify
from jjjcredit.services.sharing.verify import Question
from tests.services.library import library_files as files

NAME = "石家庄某某{i}机械制造有限公司"
FULL_WIDTH = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}  # ASCII → its full-width form


@pytest.fixture
def lib(engine: Engine, tmp_path: Path) -> tuple[Engine, list[str]]:
    """Twelve organizations: the first renamed twice (2024-06-30, 2025-03-01), the sixth deregistered,
    the seventh revoked, the eighth without a legal representative, the ninth without a status."""
    db.upgrade(engine)
    codes = files.codes(12)
    status = {5: "注销", 6: "吊销", 8: ""}
    rows = [[c, NAME.format(i=i), status.get(i, "存续"), "2020-01-01", "" if i == 7 else "张三", "2020-01-01"]
            for i, c in enumerate(codes)]
    written = files.write(tmp_path / "a.csv", rows, [*files.HEADER, "成立日期"])
    library.ingest_file(engine, str(written), "hebei/market-regulation")
    for path, name, date in (("b.csv", "保定新名{i}科技有限公司", "2024-06-30"),
                             ("c.csv", "保定更新{i}科技有限公司", "2025-03-01")):
        renamed = files.organizations(tmp_path / path, codes[:1], name=name, date=date)
        library.ingest_file(engine, str(renamed), "hebei/market-regulation")
    return engine, codes


def _questions(codes: list[str]) -> list[tuple[Question, dict[str, Any]]]:
    """Questions of every kind, each with what its answer must hold."""
    first, other, unknown = codes[0], codes[3], files.codes(1, seed=99)[0]
    normal = {"status": "1", "status_name": "normal (existing / operating)", "active": True}
    return [
        (Question(other, NAME.format(i=3)), {"code": other, **normal, "verdict": "match"}),
        (Question(f" {other.lower()} ", "石家庄某某3机械制造有限责任公司"), {"code": other, "verdict": "match"}),
        (Question(first, NAME.format(i=0)), {"code": first, **normal, "verdict": "former_name",
                                             "current_name": "保定更新0科技有限公司", "changed": "20240630"}),
        (Question(first, "保定新名0科技有限公司"), {"verdict": "former_name", "changed": "20250301"}),
        (Question(first, NAME.format(i=0), on="20230101"), {"verdict": "match"}),
        (Question(first, "保定新名0科技有限公司", on="20240701"), {"verdict": "match"}),
        (Question(first, NAME.format(i=0), on="20240701"),
         {"verdict": "former_name", "current_name": "保定新名0科技有限公司", "changed": "20240630"}),
        (Question(first, "保定更新0科技有限公司", on="20250601"), {"verdict": "match"}),
        (Question(first, "保定更新0科技有限公司", on="20230101"), {"verdict": "name_mismatch"}),
        (Question(first, "保定更新0科技有限公司"), {"verdict": "match"}),
        (Question(other, "别的公司"), {"code": other, **normal, "verdict": "name_mismatch"}),
        (Question(unknown, "x"), {"code": unknown, "verdict": "not_found",
                                  "message": "The code is valid, but no provider has sent it to the library."}),
        (Question("9135O100M000100Y43", "x"),
         {"code": "9135O100M000100Y43", "verdict": "invalid_code", "suggestions": ["91350100M000100Y43"],
          "error": {"code": "uscc.format", "position": 5, "message": 'Character "O" at position 5 is not '
                    "allowed: the alphabet is 0-9 and A-Z without I, O, S, V, Z."}}),
        (Question("x", "y"), {"verdict": "invalid_code", "suggestions": []}),
        (Question(codes[5], NAME.format(i=5)), {"verdict": "deregistered", "status": "4", "active": False,
                                                "status_name": "deregistered (cancelled)"}),
        (Question(codes[6], NAME.format(i=6), legal_rep="张三"),
         {"verdict": "revoked", "status": "3", "active": False, "legal_rep_match": True}),
        (Question(codes[6], "别的公司"), {"verdict": "name_mismatch", "status": "3", "active": False}),
        (Question(codes[8], NAME.format(i=8)), {"verdict": "status_unknown", "status": None, "active": None}),
        (Question(codes[8], NAME.format(i=8), legal_rep="李四"), {"verdict": "legal_rep_mismatch", "active": None}),
        (Question(other, NAME.format(i=3), legal_rep="张 三"), {"verdict": "match", "legal_rep_match": True}),
        (Question(other, NAME.format(i=3), legal_rep="李四"),
         {"verdict": "legal_rep_mismatch", "legal_rep_match": False, "active": True}),
        (Question(other, "别的公司", legal_rep="李四"), {"verdict": "name_mismatch", "legal_rep_match": False}),
        (Question(codes[7], NAME.format(i=7), legal_rep="张三"),
         {"verdict": "legal_rep_mismatch", "legal_rep_match": False}),
        (Question(first, NAME.format(i=0), on="20191231"), {"verdict": "not_established", "established": "20200101"}),
        (Question(other, NAME.format(i=3), on="20200101"), {"verdict": "match"}),
        (Question(first, NAME.format(i=0), legal_rep="张三", on="20240701"),
         {"verdict": "former_name", "legal_rep_match": True}),
        (Question(first, NAME.format(i=0)), {"verdict": "former_name", "changed": "20240630"}),  # asked twice
    ]


def test_every_verdict_and_a_batch_answers_as_single_questions_do(lib: tuple[Engine, list[str]]):
    engine, codes = lib
    cases = _questions(codes)
    questions = [q for q, _ in cases]
    with engine.connect() as conn:
        batch = verify.verify_many(conn, questions)
        single = [verify.verify_identity(conn, q) for q in questions]
    assert batch == single
    for (question, expected), answer in zip(cases, batch, strict=True):
        assert {k: answer.get(k) for k in expected} == expected, (question, answer)
        assert ("legal_rep_match" in answer) is (question.legal_rep is not None and answer["verdict"] not in
                                                 ("not_found", "invalid_code"))
    assert list(batch[0]) == ["code", "status", "status_name", "active", "verdict"]  # the order answers had
    assert list(batch[2]) == ["code", "status", "status_name", "active", "verdict", "current_name", "changed"]


def test_messy_codes_get_the_same_answer_alone_as_in_a_batch(lib: tuple[Engine, list[str]]):
    """The short way of one question (verify_identity) and the set-wise way agree on every kind of
    input: spaces, lower case, full-width characters, a character dropped, doubled or changed."""
    engine, codes = lib
    rng = random.Random(4)
    messy: list[str] = ["", " ", "９１", "9" * 40]
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for code in [*codes, *files.codes(20, seed=98)]:
        i = rng.randrange(18)
        messy += [code.lower(), " ".join(code), code.translate(FULL_WIDTH), code[:i] + code[i + 1:],
                  code[:i] + code[i] + code[i:], code[:i] + rng.choice(alphabet) + code[i + 1:]]
    questions = [Question(m, NAME.format(i=n % 12), "张三" if n % 3 else None, "20240701" if n % 5 == 0 else None)
                 for n, m in enumerate(messy)]
    with engine.connect() as conn:
        assert [verify.verify_identity(conn, q) for q in questions] == verify.verify_many(conn, questions)


def test_a_batch_is_looked_up_set_wise(lib: tuple[Engine, list[str]], monkeypatch: pytest.MonkeyPatch):
    engine, codes = lib
    looked_up: list[int] = []
    rows = verify._rows

    def counting(conn: Any, columns: str, source: str, wanted: Any) -> Any:
        if wanted:  # no codes, no query
            looked_up.append(len(wanted))
        return rows(conn, columns, source, wanted)

    monkeypatch.setattr(verify, "_rows", counting)
    unknown = files.codes(4_000, seed=7)
    questions = [Question(c, NAME.format(i=i)) for i, c in enumerate(codes[1:], start=1)] * 200
    questions += [Question(c, "x") for c in unknown]
    with engine.connect() as conn:
        answers = verify.verify_many(conn, questions)
        assert looked_up == [4_011]  # one look-up of the distinct codes; every name current: no history
        assert [a["verdict"] for a in answers].count("not_found") == 4_000
        assert [a["verdict"] for a in answers[:11]] == ["match"] * 4 + ["deregistered", "revoked", "match",
                                                                        "status_unknown", "match", "match", "match"]
        looked_up.clear()
        later = [Question(codes[0], "x"), Question(codes[3], "y", on="20240101")]
        mixed = verify.verify_many(conn, [*questions[:50], *later])
        assert looked_up == [12, 2]  # the organizations, then the name changes of the two that need them
        assert [a["verdict"] for a in mixed[-2:]] == ["name_mismatch", "name_mismatch"]


def test_invalid_codes_get_their_first_error_and_the_suggestions_of_the_identifier_core(lib: tuple[Engine, list[str]]):
    engine, codes = lib
    typos = [c[:4] + ("0" if c[4] != "0" else "1") + c[5:] for c in codes]
    with engine.connect() as conn:
        answers = verify.verify_many(conn, [Question(t, "x") for t in typos])
    for typo, answer in zip(typos, answers, strict=True):
        checked = uscc.check(typo)
        if checked.errors:
            assert answer["verdict"] == "invalid_code" and answer["error"]["code"] == checked.errors[0].code
            assert answer["suggestions"] == [s.code for s in uscc.suggest(typo)]
        else:
            assert answer["verdict"] in ("not_found", "name_mismatch")


def test_a_name_search_finds_exactly_is_a_match(engine: Engine, tmp_path: Path):
    """One normalizer: the organization registered as 北京(某某)科技股份有限公司 is found exactly by
    search under each way of writing it, and identity authentication answers ``match`` to each of them
    (and ``former_name`` once it is renamed)."""
    db.upgrade(engine)
    code, other = files.codes(2, seed=31)
    registered = "北京(某某)科技股份有限公司"
    rows = [[code, registered, "存续", "2020-01-01", "张三"],
            [other, "北京某某科技有限公司", "存续", "2020-01-01", "李四"]]
    library.ingest_file(engine, str(files.write(tmp_path / "a.csv", rows)), "hebei/market-regulation")
    written = ["北京[某某]科技股份有限公司", "北京「某某」科技股份公司", "北京［某某］科技 股份有限公司",
               "北京【某某】科技股份有限公司"]
    with engine.connect() as conn:
        for name in [registered, *written]:
            first = search.search_organizations(conn, name)[0]
            assert (first.code, first.match, first.score) == (code, "exact", 1.0), name
        answers = verify.verify_many(conn, [Question(code, name) for name in written])
        assert [a["verdict"] for a in answers] == ["match"] * len(written)
        assert [verify.verify_identity(conn, Question(code, name))["verdict"] for name in written] == ["match"] * 4
    renamed = files.organizations(tmp_path / "b.csv", [code], name="北京新名{i}科技股份有限公司", date="2024-06-30")
    library.ingest_file(engine, str(renamed), "hebei/market-regulation")
    with engine.connect() as conn:
        answer = verify.verify_identity(conn, Question(code, written[0]))
    assert (answer["verdict"], answer["current_name"]) == ("former_name", "北京新名0科技股份有限公司")
