"""Credit record files for tests: a published catalogue edition, penalty rows (national column names),
a natural person's synthetic identity number, and the files in each format (all data made up)."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from jjjcredit.core.codes import ric, uscc
from jjjcredit.core.credit.records import SAMPLE_PENALTY
from jjjcredit.services.credit import catalogue

CONTESTED = "JJJ-04-001"
PENALTY = "JJJ-03-001"
LICENCE = "JJJ-03-002"
PROVIDER = "石家庄市市场监督管理局"
HEADER = list(SAMPLE_PENALTY)


def publish(conn: Connection, year: int, changes: dict[str, dict[str, object]] | None = None) -> None:
    """Draft the ``year`` edition (items changed as ``changes`` says), then comment, assess, approve, publish."""
    catalogue.draft_edition(conn, year, "河北省发展改革委")
    for code, values in (changes or {}).items():
        catalogue.change_item(conn, code, values, "测试", "河北省发展改革委", year=year)
    catalogue.open_comments(conn, year, "河北省发展改革委")
    catalogue.assess_item(conn, year, CONTESTED, "专家：同意", "企业代表：同意", "保留", "河北省发展改革委")
    catalogue.approve_edition(conn, year, "河北省人民政府")
    catalogue.publish_edition(conn, year, "河北省发展改革委")


def codes(count: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    return [uscc.generate(rng, "9", "1", region="130102") for _ in range(count)]


def person(seq: int = 123, birth: str = "19850312") -> str:
    """A synthetic resident identity number (valid check character)."""
    body = f"130102{birth}{seq:03d}"
    return body + ric.calc_check_char(body)


def penalty(code: str | None, number: str, **changes: str) -> dict[str, str]:
    """A penalty row of an organization (``code``), or of a natural person when ``code`` is None."""
    row = dict(SAMPLE_PENALTY, 统一社会信用代码=code or "", 行政处罚决定书文号=number)
    if code is None:
        row.update(行政相对人名称="李明", 行政相对人类别="自然人", 法定代表人="", 证件类型="身份证", 证件号码=person())
    row.update(changes)
    return row


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[dict[str, str]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(rows[0]) if rows else HEADER)
    for row in rows:
        sheet.append(list(row.values()))
    book.save(path)
    return path


def write_jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def tallies(conn: Connection) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The stored tallies of credit records, and the same counted again from ``credit_records``:
    (provider, item, records, late, the five smallest late document numbers) each."""
    in_order = 'document_number COLLATE "C"' if conn.dialect.name == "postgresql" else "document_number"
    stored = [(p, i, int(r), int(lt), json.loads(e)) for p, i, r, lt, e in conn.execute(text(
        "SELECT provider, item, records, late, late_examples FROM credit_tallies WHERE records > 0 "
        "ORDER BY provider, item"))]
    counted = [(p, i, int(r), int(lt), [n for (n,) in conn.execute(text(
        "SELECT document_number FROM credit_records WHERE provider = :p AND item = :i AND late = 1 "
        f"ORDER BY {in_order} LIMIT 5"), {"p": p, "i": i})]) for p, i, r, lt in conn.execute(text(
            "SELECT provider, item, count(*), sum(late) FROM credit_records GROUP BY provider, item "
            "ORDER BY provider, item"))]
    return stored, counted


def file_under_code(conn: Connection, document_number: str, code: str) -> str:
    """Keep a natural person's record (its current row and every earlier version) under an organization's
    ``code``, as a penalty row that named both was filed before such rows were refused: the subject key and
    the subject code the organization's, the code among its values, the identity number sealed as it was.
    Returns the record's id."""
    record_id, key = conn.execute(text("SELECT id, subject_key FROM credit_records WHERE document_number = :d "
                                       "AND subject_type = 'natural_person'"), {"d": document_number}).one()
    for table, column in (("credit_records", "id"), ("credit_record_versions", "record_id")):
        for version, data in conn.execute(text(f"SELECT version, data FROM {table} WHERE {column} = :i"),
                                          {"i": record_id}).all():
            values = dict(json.loads(data), CF_XDR_SHXYM=code)
            conn.execute(text(f"UPDATE {table} SET data = :d WHERE {column} = :i AND version = :v"),
                         {"d": json.dumps(values, ensure_ascii=False, sort_keys=True), "i": record_id, "v": version})
    conn.execute(text("UPDATE credit_record_versions SET subject_key = :c WHERE subject_key = :k AND record_id = :i"),
                 {"c": code, "k": key, "i": record_id})
    conn.execute(text("UPDATE credit_records SET subject_key = :c, subject_code = :c WHERE subject_key = :k "
                      "AND id = :i"), {"c": code, "k": key, "i": record_id})
    return str(record_id)


def withdraw_in_2027(engine: Engine, code: str, region: str = "河北省") -> None:
    """Publish a 2027 edition that withdraws item ``code`` (merged into the serious-dishonesty list), compiled
    by ``region``'s development and reform commission and approved by its government."""
    compiler = f"{region}发展改革委"
    with engine.begin() as conn:
        catalogue.draft_edition(conn, 2027, compiler)
        catalogue.withdraw_item(conn, code, "并入严重失信主体名单事项", compiler, year=2027)
        catalogue.open_comments(conn, 2027, compiler)
        catalogue.approve_edition(conn, 2027, f"{region}人民政府")
        catalogue.publish_edition(conn, 2027, compiler)
