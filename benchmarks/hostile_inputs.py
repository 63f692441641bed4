"""Peak memory of ``jjjcredit records check`` on two hostile files, bounded by the limits
(core/limits.py, docs/limits.md):

- an XLSX of about a megabyte whose one cell refers to a shared string of 1 GiB (``--xlsx-bytes``);
- a CSV with a single line of 100 MB (``--line-bytes``) between ordinary rows.

Each file is checked by the real command as a subprocess; the figures are its wall time, CPU time and
peak resident memory (``wait4``), and what it said. Both files must give a rejected row with a short
message, every other row counted, and memory that does not grow with the hostile part.

    .venv/bin/python benchmarks/hostile_inputs.py [--xlsx-bytes 1073741824] [--line-bytes 100000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from jjjcredit.core.codes import uscc

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe

HEADER = ["统一社会信用代码", "机构名称", "成立日期"]
ROWS = 1000  #: ordinary rows before and after the hostile one
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"


_RNG = random.Random(2024)
_CODES: list[str] = []


def _code(i: int) -> str:
    """The ``i``-th of a seeded series of distinct valid codes."""
    while len(_CODES) <= i:
        code = uscc.generate(_RNG, "9", "1", "130102")
        if code not in _CODES:
            _CODES.append(code)
    return _CODES[i]


def hostile_xlsx(path: Path, string_bytes: int) -> None:
    """A workbook written part by part: the header, ordinary rows, and one row whose name cell is shared
    string 0 — ``string_bytes`` of text, streamed into the zip a megabyte at a time."""
    rows = [HEADER] + [[_code(i), f"河北某某{i}科技有限公司", "20190305"] for i in range(2 * ROWS + 1)]
    hostile = ROWS + 1  # 0-based index in rows: the row after the first ROWS ordinary ones

    def cell(ref: str, value: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'

    sheet = [f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}"><sheetData>']
    for n, row in enumerate(rows, start=1):
        cells = [cell(f"{c}{n}", v) for c, v in zip("ABC", row, strict=True)]
        if n - 1 == hostile:
            cells[1] = f'<c r="B{n}" t="s"><v>0</v></c>'
        sheet.append(f'<row r="{n}">{"".join(cells)}</row>')
    sheet.append("</sheetData></worksheet>")
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org'
        '/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
        f'workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" '
        f'ContentType="{_TYPE}.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPE}.'
        'sharedStrings+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PACKAGE_REL}"><Relationship '
        f'Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PACKAGE_REL}">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
        f'Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": "".join(sheet),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in parts.items():
            book.writestr(name, text.encode("utf-8"))
        strings = zipfile.ZipInfo("xl/sharedStrings.xml")
        strings.compress_type = zipfile.ZIP_DEFLATED  # a gigabyte of one letter: about a megabyte
        with book.open(strings, "w", force_zip64=True) as sink:
            sink.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}" count="1" uniqueCount="1">'
                       "<si><t>".encode())
            piece = b"a" * (1 << 20)
            left = string_bytes
            while left > 0:
                sink.write(piece[:min(left, len(piece))])
                left -= len(piece)
            sink.write(b"</t></si></sst>")


def long_line_csv(path: Path, line_bytes: int) -> None:
    """Ordinary rows, one line of ``line_bytes`` (a name that never ends), ordinary rows."""
    with path.open("wb") as f:
        f.write((",".join(HEADER) + "\n").encode())
        for i in range(ROWS):
            f.write(f"{_code(i)},河北某某{i}科技有限公司,20190305\n".encode())
        f.write(f"{_code(ROWS)},".encode())
        piece = b"a" * (1 << 20)
        left = line_bytes - len(_code(ROWS)) - 1
        while left > 0:
            f.write(piece[:min(left, len(piece))])
            left -= len(piece)
        f.write(b"\n")
        for i in range(ROWS + 1, 2 * ROWS + 1):
            f.write(f"{_code(i)},河北某某{i}科技有限公司,20190305\n".encode())


def check(path: Path, report: Path) -> dict[str, object]:
    """Run ``records check`` on the file; its figures and the rejected rows' problems."""
    command = [sys.executable, "-m", "jjjcredit", "records", "check", str(path), "--report", str(report)]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert child.stderr is not None
    stderr = child.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    data = json.loads(report.read_text("utf-8")) if report.exists() else {}
    problems = [p for p in data.get("problems", []) if p.get("code") == "record.too_long"]
    return {"command": shlex.join(command), "exit": child.returncode, "seconds": elapsed,
            "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024,
            "summary": stderr.strip(), "too_long": problems, "report_bytes": report.stat().st_size
            if report.exists() else 0}


def show(title: str, size: int, figures: dict[str, object]) -> None:
    print(f"\n## {title} ({size / 1e6:,.0f} MB on disk)")
    print(f"command:   {figures['command']}")
    print(f"exit:      {figures['exit']} (1 = a row rejected, as built)")
    print("summary:   " + str(figures["summary"]).replace("\n", "\n           "))
    for p in figures["too_long"]:  # type: ignore[attr-defined]
        print(f"rejected:  row {p['row']}: {p['message']}")
    print(f"report:    {figures['report_bytes']:,} bytes")
    print(f"time:      {figures['seconds']:.1f} s wall, {figures['cpu']:.1f} s CPU")
    print(f"memory:    {figures['peak_mb']:,.0f} MB peak resident")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--xlsx-bytes", type=int, default=1 << 30, help="the shared string's size")
    parser.add_argument("--line-bytes", type=int, default=100_000_000, help="the long line's size")
    parser.add_argument("--keep", type=Path, help="write the files and reports here and keep them")
    args = parser.parse_args()
    print("# hostile inputs: records check within the limits")
    print(f"benchmark: {shlex.join([Path(sys.executable).name, *sys.argv])}")
    print(f"machine:   {describe()}")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        book, lines = folder / "hostile.xlsx", folder / "long-line.csv"
        hostile_xlsx(book, args.xlsx_bytes)
        figures = check(book, folder / "hostile-xlsx-report.json")
        show(f"XLSX, one shared string of {args.xlsx_bytes:,} bytes", book.stat().st_size, figures)
        ok &= figures["exit"] == 1 and len(figures["too_long"]) == 1  # type: ignore[arg-type]
        long_line_csv(lines, args.line_bytes)
        figures = check(lines, folder / "long-line-report.json")
        show(f"CSV, one line of {args.line_bytes:,} bytes", lines.stat().st_size, figures)
        ok &= figures["exit"] == 1 and len(figures["too_long"]) == 1  # type: ignore[arg-type]
    print(f"\nverdict:   {'each hostile row rejected, the rest read' if ok else 'NOT AS EXPECTED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
