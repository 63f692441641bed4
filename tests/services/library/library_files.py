"""Small department files in the standard layout, for library tests."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from jjjcredit.core.codes import uscc

HEADER = ["统一社会信用代码", "机构名称", "状态", "最后更新日期", "法定代表人或负责人姓名"]


def codes(count: int, seed: int = 1, department: str = "9", category: str = "1") -> list[str]:
    rng = random.Random(seed)
    unique: dict[str, None] = {}
    while len(unique) < count:
        unique[uscc.generate(rng, department, category, "130102")] = None
    return list(unique)


def write(path: Path, rows: list[list[str]], header: list[str] | None = None) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header or HEADER)
        writer.writerows(rows)
    return path


def organizations(path: Path, codes_: list[str], name: str = "石家庄某某{i}机械制造有限公司",
                  date: str = "2024-01-01") -> Path:
    return write(path, [[c, name.format(i=i), "存续", date, "张三"] for i, c in enumerate(codes_)])
