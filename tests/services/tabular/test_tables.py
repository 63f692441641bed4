"""The row issues every reader shares (services/tabular/tables.py): a cell over its limit in each format,
and numbers read as written."""

from __future__ import annotations

from pathlib import Path

from jjjcredit.core.limits import Limits
from jjjcredit.services.tabular import readers
from tests.services.record_files import code, write_csv, write_jsonl, write_xlsx, write_xml
from tests.services.tabular.table_rows import HEADER, read


def test_a_cell_over_the_limit_names_its_column(tmp_path: Path):
    limits = Limits(cell_chars=20)
    rows = [[code(1), "名" * 20, "2019"], [code(2), "名" * 21, "2019"]]
    for path in (write_csv(tmp_path / "f.csv", HEADER, rows), write_xlsx(tmp_path / "f.xlsx", HEADER, rows),
                 write_jsonl(tmp_path / "f.jsonl", HEADER, rows), write_xml(tmp_path / "f.xml", HEADER, rows)):
        with readers.open_table(str(path), limits=limits) as table:
            chunks = list(table.chunks)
        issues = {c.first_row + i: issue for c in chunks for i, issue in c.issues.items()}
        row = 3 if path.suffix in (".csv", ".xlsx") else 2  # JSON Lines and XML: records from 1
        assert list(issues) == [row], path.name
        code_, message, _ = issues[row]
        assert code_ == "record.too_long" and "企业名称" in message and "20" in message, (path.name, message)
        assert sum(c.size for c in chunks) == 2


def test_a_small_or_large_number_is_read_as_written_not_in_exponent_form(tmp_path: Path):
    """A JSON number or an Excel number cell of a fine in 万元 (0.00005: 0.5 元) is the digits the provider typed,
    never ``5e-05``, which no amount check reads; a nested value is named as JSON names it."""
    header = ["罚款金额", "处罚内容", "备注"]
    path = tmp_path / "f.jsonl"
    path.write_text('{"罚款金额": 0.00005, "处罚内容": "罚款", "备注": 1e16}\n'
                    '{"罚款金额": 1, "处罚内容": {"罚款": 1}, "备注": [1]}\n', "utf-8")
    _, rows, _ = read(path)
    assert rows[0] == (1, ["0.00005", "罚款", "1e+16"])  # (16 digits: as a spreadsheet could not have kept them)
    with readers.open_table(str(path)) as table:
        issue = next(table.chunks).issues[1]
    assert "a JSON object" in issue[1] and "dict" not in issue[1]
    book = write_xlsx(tmp_path / "f.xlsx", header, [[0.00005, "罚款", 1.5e-7]])
    _, rows, _ = read(book)
    assert rows[0] == (2, ["0.00005", "罚款", "0.00000015"])


