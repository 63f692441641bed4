"""Small department files in the standard layout, for library tests."""

from __future__ import annotations

import csv
import hashlib
import random
from pathlib import Path

from jjjcredit.core.codes import ric, uscc

HEADER = ["统一社会信用代码", "机构名称", "状态", "最后更新日期", "法定代表人或负责人姓名"]
#: Level-2 and level-3 elements (telephone, contact, shareholder; the legal representative's identity
#: number), each value unique to its code: disclosure tests look for them where they must not be.
RESTRICTED_HEADER = ["联系电话", "联系人", "股东或投资人名称", "法定代表人或负责人证件号码"]


def restricted(code: str, revision: int = 0) -> dict[str, str]:
    """The level-2 and level-3 values :func:`organizations` writes for a code (unique strings; another
    ``revision`` gives other values, for a change)."""
    n = int(hashlib.sha256(f"{code}/{revision}".encode() if revision else code.encode()).hexdigest()[:12], 16)
    body = f"130102{19500101 + (n % 40) * 10000 + (n // 40 % 12) * 100 + n // 480 % 28:08d}{n // 13440 % 1000:03d}"
    return {"telephone": f"0311-6{n % 10_000_000:07d}", "contact": f"联络员{revision}{code[-6:]}乙",
            "shareholder": f"股东{revision}{code}投资", "legal_rep_id_number": body + ric.calc_check_char(body)}


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
                  date: str = "2024-01-01", revision: int = 0) -> Path:
    """Organizations with level-1 elements and, from :func:`restricted`, level-2 and level-3 ones."""
    return write(path, [[c, name.format(i=i), "存续", date, "张三", *restricted(c, revision).values()]
                        for i, c in enumerate(codes_)], [*HEADER, *RESTRICTED_HEADER])
