"""Reading an XLSX file of credit records: the platform's reader against openpyxl's own read-only reader.

Generates (seeded) an XLSX of N administrative penalty rows (the national column headers of
``SAMPLE_PENALTY``, 22 columns) twice: as openpyxl's write-only mode writes it, with no ``<dimension>``
element (as many writers leave it out), and as its normal mode writes it, with one. Then, alternating
the two readers ``--rounds`` times on each file, it times:

- the peer: ``openpyxl.load_workbook(read_only=True, data_only=True)`` and its first sheet's
  ``iter_rows(values_only=True)`` — what a department's own script would use;
- the platform: ``services/tabular/xlsx.XlsxRows`` (what ``credit ingest`` and ``records check`` read an
  XLSX with: bounded parts and shared strings, merged cells filled down, cells as the user sees them).

Each is split into opening the workbook and reading its rows; the best round of each is printed.

    .venv/bin/python benchmarks/xlsx_read.py [--rows 100000] [--rounds 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import header

from jjjcredit.core.credit.records import SAMPLE_PENALTY
from jjjcredit.services.tabular import xlsx


def rows(count: int, seed: int = 2026) -> Iterator[list[str]]:
    rng = random.Random(seed)
    base = list(SAMPLE_PENALTY.values())
    for i in range(count):
        row = list(base)
        row[0] = f"{row[0]}{i}"
        row[6] = f"冀市监罚〔2026〕{i}号"
        row[8] = "当事人" + "违法经营" * rng.randint(3, 30)
        yield row


def write(path: Path, count: int, dimension: bool) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=not dimension)
    sheet = book.active if dimension else book.create_sheet()
    sheet.append(list(SAMPLE_PENALTY))
    for row in rows(count):
        sheet.append(row)
    book.save(path)


def openpyxl_reader(path: Path) -> tuple[float, float, int]:
    import openpyxl

    started = time.perf_counter()
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    opened = time.perf_counter()
    count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return opened - started, time.perf_counter() - opened, count


def platform_reader(path: Path) -> tuple[float, float, int]:
    started = time.perf_counter()
    reader = xlsx.XlsxRows(str(path), path.name)
    opened = time.perf_counter()
    try:
        count = sum(1 for _ in reader)
    finally:
        reader.close()
    return opened - started, time.perf_counter() - opened, count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", help="a folder to write the files into and leave them in")
    args = parser.parse_args()
    header(f"XLSX read: {args.rows:,} penalty rows, the platform's reader against openpyxl's read-only reader")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        readers: dict[str, Callable[[Path], tuple[float, float, int]]] = {
            "openpyxl read-only (peer)": openpyxl_reader, "platform (_XlsxRows)": platform_reader}
        for dimension in (False, True):
            path = folder / f"penalties-{args.rows}-{'dimension' if dimension else 'no-dimension'}.xlsx"
            if not path.exists():
                write(path, args.rows, dimension)
            print(f"\n{path.name}: {path.stat().st_size / 1e6:,.1f} MB, "
                  f"{'with' if dimension else 'without'} a <dimension>")
            best: dict[str, tuple[float, float, int]] = {}
            for _ in range(args.rounds):
                for name, read in readers.items():
                    found = read(path)
                    if name not in best or sum(found[:2]) < sum(best[name][:2]):
                        best[name] = found
            for name, (opened, read_s, count) in best.items():
                total = opened + read_s
                print(f"  {name:27} open {opened:6.2f} s  rows {read_s:6.2f} s  total {total:6.2f} s  "
                      f"({count - 1:,} rows, {(count - 1) / total:,.0f} rows/s)")
            peer = sum(best["openpyxl read-only (peer)"][:2])
            own = sum(best["platform (_XlsxRows)"][:2])
            print(f"  the platform reads at {peer / own:.2f}x the peer's rate")


if __name__ == "__main__":
    main()
