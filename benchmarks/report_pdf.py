"""A credit report as PDF against the JSON report of the same organization, in the same run.

One organization in the library with ``--records`` (50) penalty records (synthetic, all made up), in
a fresh SQLite database (or ``--db``, upgraded, given a published 2026 catalogue). Then, one after the
other, ``--runs`` times each after ``--warmup`` unmeasured calls, ``services/sharing/report.issue_report``
as an application party with the ``records`` service (so the report holds the 50 records) — the whole
issue: the redaction point's reads, the document, the rendering (WeasyPrint, the CJK font subset and
embedded, the QR code), the signature and the issue record written — as JSON (the peer) and as PDF.
p50/p95 per format, wall time (target: PDF p95 < 300 ms) and this process's CPU time (less moved by
whatever else the machine runs), and the PDF's size.

Run: ``.venv/bin/python -u benchmarks/report_pdf.py [--records 50] [--runs 40] [--warmup 5] [--db URL]``
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import header

from jjjcredit.core.codes import uscc
from jjjcredit.core.credit.records import SAMPLE_PENALTY
from jjjcredit.core.sharing import access, evidence
from jjjcredit.services import db
from jjjcredit.services.credit import catalogue, records
from jjjcredit.services.library import library
from jjjcredit.services.sharing import report
from jjjcredit.storage.engine import make_engine

BY = "河北省发展改革委"


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def prepare(url: str, folder: Path, count: int) -> str:
    """The database with one organization and ``count`` penalty records of it; returns its code."""
    engine = make_engine(url)
    db.upgrade(engine)
    code = uscc.generate(random.Random(50), "9", "1", region="130102")
    org = {"统一社会信用代码": code, "机构名称": "石家庄市云帆商贸有限公司", "状态": "存续",
           "最后更新日期": "2024-01-01", "法定代表人或负责人姓名": "王建国"}
    library.ingest_file(engine, str(_write(folder / "orgs.csv", [org])), "hebei/market-regulation")
    with engine.begin() as conn:
        catalogue.draft_edition(conn, 2026, BY)
        catalogue.open_comments(conn, 2026, BY)
        catalogue.assess_item(conn, 2026, "JJJ-04-001", "专家：同意", "企业代表：同意", "保留", BY)
        catalogue.approve_edition(conn, 2026, "河北省人民政府")
        catalogue.publish_edition(conn, 2026, BY)
    rows = [dict(SAMPLE_PENALTY, 统一社会信用代码=code, 行政处罚决定书文号=f"石市监罚〔2026〕{i + 1}号",
                 处罚决定日期=f"2026-{1 + i % 11:02d}-{1 + i % 28:02d}", 处罚有效期="2027-12-31")
            for i in range(count)]
    summary = records.ingest_file(engine, str(_write(folder / "penalties.csv", rows)), "JJJ-03-001",
                                  "石家庄市市场监督管理局", protector=None)
    assert summary.created == count, summary.to_dict()
    engine.dispose()
    return code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--db", default=None, help="a database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    header("credit report: PDF against JSON, same organization, same run")
    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        folder = Path(tmp)
        url = args.db or f"sqlite:///{folder / 'bench.sqlite3'}"
        code = prepare(url, folder, args.records)
        engine = make_engine(url)
        box = evidence.KeyBox("bench-operator-secret")
        caller = access.Caller("bench", frozenset({"records", "lookup"}), 1)
        print(f"database: {engine.dialect.name}; organization {code} with {args.records} records; "
              f"{args.warmup} warm-up + {args.runs} measured calls per format, one at a time")
        results: dict[str, list[float]] = {}
        cpu: dict[str, list[float]] = {}
        last: dict[str, report.Issued] = {}
        for fmt in ("json", "pdf"):
            times, spent = [], []
            for n in range(args.warmup + args.runs):
                start, start_cpu = time.perf_counter(), time.process_time()
                with engine.begin() as conn:
                    last[fmt] = report.issue_report(conn, caller, code, fmt=fmt, box=box,
                                                    base_url="https://credit.example.cn")
                if n >= args.warmup:
                    times.append((time.perf_counter() - start) * 1000)
                    spent.append((time.process_time() - start_cpu) * 1000)
            results[fmt], cpu[fmt] = times, spent
        engine.dispose()
    counted = sum(s["count"] for s in last["pdf"].document["summary"])
    pages = last["pdf"].content.count(b"/Type /Page\n") or last["pdf"].content.count(b"/Type/Page")
    print(f"records in the report: {counted}; PDF {len(last['pdf'].content) / 1024:.0f} KiB"
          + (f", {pages} pages" if pages else "") + f"; JSON {len(last['json'].content) / 1024:.0f} KiB")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (wall times grow with it; the "
          "CPU time of this process much less)")
    print(f"{'format':<8}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'CPU p50 ms':>12}{'CPU p95 ms':>12}")
    for fmt, times in results.items():
        ordered, spent = sorted(times), sorted(cpu[fmt])
        print(f"{fmt:<8}{statistics.median(ordered):>10.1f}{_p95(ordered):>10.1f}{ordered[-1]:>10.1f}"
              f"{statistics.median(spent):>12.1f}{_p95(spent):>12.1f}")


def _p95(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


if __name__ == "__main__":
    main()
