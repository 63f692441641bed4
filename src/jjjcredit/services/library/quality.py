"""Data-quality scorecards: the rulebook (core/library/quality.py) run over the library, per provider and
per region, with the worst offenders, so a department knows what to fix first."""

from __future__ import annotations

import datetime
import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, func, select

from jjjcredit.core.codes import regions
from jjjcredit.core.library import crosswalks, quality
from jjjcredit.storage.schema import organizations

REGION_NAMES = {r.prefix: r.id for r in regions.REGIONS.values()}
WORST = 10
_COLUMNS = ("uscc", "name", "status", "legal_rep", "address", "established", "approved", "last_updated",
            "address_division", "orgcode", "source", "authority_region")


@dataclass
class Tally:
    """Pass / fail counts per rule for one group of records."""

    records: int = 0
    passed: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    worst: list[tuple[int, str, list[str]]] = field(default_factory=list)

    def add(self, code: str, results: Mapping[str, bool | None]) -> None:
        self.records += 1
        failures = []
        for rule, ok in results.items():
            if ok is True:
                self.passed[rule] = self.passed.get(rule, 0) + 1
            elif ok is False:
                self.failed[rule] = self.failed.get(rule, 0) + 1
                failures.append(rule)
        if failures:
            item = (len(failures), code, failures)
            if len(self.worst) < WORST:
                heapq.heappush(self.worst, item)
            elif item > self.worst[0]:
                heapq.heapreplace(self.worst, item)

    def to_dict(self) -> dict[str, Any]:
        rules = {}
        for rule in (*quality.RULES, quality.UNIQUENESS):
            ok, bad = self.passed.get(rule.code, 0), self.failed.get(rule.code, 0)
            rules[rule.code] = {"passed": ok, "failed": bad,
                                "share_passing": round(ok / (ok + bad), 4) if ok + bad else None}
        worst = sorted(self.worst, reverse=True)
        return {"records": self.records, "rules": rules,
                "worst": [{"uscc": code, "failed": failures} for _, code, failures in worst]}


def _region(authority_region: str | None) -> str:
    return REGION_NAMES.get((authority_region or "")[:2], "other")


def _department(source: str) -> str | None:
    entry = crosswalks.DEPARTMENTS.get(source.split("/", 1)[-1])
    return entry[0] if entry else None


def scorecard(conn: Connection, source: str | None = None, today: datetime.date | None = None) -> dict[str, Any]:
    """Per-provider and per-region shares of records passing each rule, with the worst offenders."""
    today = today or datetime.date.today()
    shared_names = _shared_names(conn)
    by_source: dict[str, Tally] = {}
    by_region: dict[str, Tally] = {}
    query = select(*(organizations.c[c] for c in _COLUMNS)).order_by(organizations.c.uscc)
    if source:
        query = query.where(organizations.c.source == source)
    for row in conn.execute(query, execution_options={"yield_per": 10_000}).mappings():  # this statement only
        results = quality.evaluate(cast(Mapping[str, str | None], row), _department(row["source"]), today)
        results[quality.UNIQUENESS.code] = None if not row["name"] else \
            (row["name"], (row["authority_region"] or "")[:2]) not in shared_names
        by_source.setdefault(row["source"], Tally()).add(row["uscc"], results)
        by_region.setdefault(_region(row["authority_region"]), Tally()).add(row["uscc"], results)
    return {
        "as_of": today.isoformat(),
        "rules": [{"code": r.code, "dimension": r.dimension, "description": r.description}
                  for r in (*quality.RULES, quality.UNIQUENESS)],
        "by_source": {k: v.to_dict() for k, v in sorted(by_source.items())},
        "by_region": {k: v.to_dict() for k, v in sorted(by_region.items())},
    }


def _shared_names(conn: Connection) -> set[tuple[str, str]]:
    """(name, province prefix) pairs carried by more than one code."""
    province = func.substr(organizations.c.authority_region, 1, 2)
    rows = conn.execute(select(organizations.c.name, province).where(organizations.c.name.is_not(None))
                        .group_by(organizations.c.name, province).having(func.count() > 1)).all()
    return {(name, prefix or "") for name, prefix in rows}


def markdown(card: Mapping[str, Any]) -> str:
    """The scorecard as a Markdown page for a department."""
    lines = [f"# Data quality scorecard ({card['as_of']})", ""]
    codes = [r["code"] for r in card["rules"]]
    for title, groups in (("By provider", card["by_source"]), ("By region", card["by_region"])):
        lines += [f"## {title}", "", "| group | records | " + " | ".join(codes) + " |",
                  "| --- | ---: | " + " | ".join("---:" for _ in codes) + " |"]
        for name, tally in groups.items():
            shares = []
            for code in codes:
                share = tally["rules"][code]["share_passing"]
                shares.append("–" if share is None else f"{share:.1%}")
            lines.append(f"| {name} | {tally['records']:,} | " + " | ".join(shares) + " |")
        lines.append("")
    lines += ["## Worst offenders by provider", ""]
    for name, tally in card["by_source"].items():
        for item in tally["worst"]:
            lines.append(f"- {name}: {item['uscc']} fails {', '.join(item['failed'])}")
    lines += ["", "## Rules", ""] + [f"- `{r['code']}` ({r['dimension']}): {r['description']}"
                                     for r in card["rules"]]
    return "\n".join(lines) + "\n"
