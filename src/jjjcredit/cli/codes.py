"""``jjjcredit codes``: check files of codes, explain one code, generate valid codes."""

from __future__ import annotations

import json
import random
import sys
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from jjjcredit.cli import output
from jjjcredit.core.codes import departments, divisions, orgcode, regions, ric, uscc
from jjjcredit.core.errors import Verdict
from jjjcredit.services.codes import lists as codes_service
from jjjcredit.services.tabular import readers

app = typer.Typer(no_args_is_help=True)


@app.command("check")
def check_codes(
    file: str = typer.Argument("-", help="A file with one code per line, a CSV or XLSX file "
                               "(with --column), or - for standard input."),
    column: Optional[str] = typer.Option(  # noqa: UP045 - Typer needs Optional here
        None, "--column", "-c", help="The column holding the codes, by header name or number."),
    csv_encoding: Optional[str] = output.CSV_ENCODING_OPTION,  # noqa: UP045
) -> None:
    """Check every code in a file; write CSV to stdout (UTF-8 with a BOM, or --csv-encoding gb18030) and a
    summary to stderr.

    Exit 0 when every code is valid (with or without warnings), 1 when any is invalid, 2 when the
    input cannot be read.
    """
    encoding = output.csv_encoding(csv_encoding)
    summary = codes_service.Summary()
    try:
        if column is None:
            chunks = codes_service.check_batches(readers.read_line_batches(file), summary)
        else:
            chunks = codes_service.check_cells(readers.read_column(file, column), summary)
        with output.csv_stdout(encoding) as out:
            write = out.write
            if output.stderr_is_terminal():
                with Progress(TextColumn("checking"), BarColumn(), MofNCompleteColumn(),
                              TimeElapsedColumn(), console=output.stderr, transient=True) as bar:
                    task = bar.add_task("codes", total=None)
                    for chunk in chunks:
                        write(chunk)
                        bar.update(task, completed=summary.rows)
            else:
                for chunk in chunks:
                    write(chunk)
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stderr.close()
        raise SystemExit(output.EXIT_OK) from None
    if summary.rows == 0:
        output.fail("file.no_codes", f"{'standard input' if file == '-' else file}: no codes found "
                    f"({summary.blank} blank lines).")
    parts = [f"{summary.rows:,} code{'' if summary.rows == 1 else 's'} checked: {summary.valid:,} valid, "
             f"{summary.warnings:,} with warnings, {summary.invalid:,} invalid"]
    if summary.blank:
        parts.append(f"{summary.blank:,} blank lines skipped")
    if summary.by_error:
        top = sorted(summary.by_error.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
        parts.append("most frequent: " + ", ".join(f"{k} {v:,}" for k, v in top))
    output.note("; ".join(parts) + ".")
    raise SystemExit(output.EXIT_NO if summary.invalid else output.EXIT_OK)


def _explanation(code: str) -> dict[str, object]:
    result = uscc.check(code)
    personal = any(f.code == "uscc.looks_like_ric" for f in result.findings)
    data: dict[str, object] = {
        "input": ric.mask(code) if personal else code,
        "code": ric.mask(result.compact) if personal else result.compact,
        "verdict": result.verdict.label,
        "findings": [{"code": f.code, "severity": f.severity.value, "position": f.position,
                      "message": f.message} for f in result.findings],
    }
    # A resident identity number is personal data: it is not taken apart (its parts would spell it).
    if len(result.compact) == uscc.LENGTH and not personal:
        p = uscc.parse(result.compact)
        periods = divisions.periods(p.region)
        data["parts"] = {
            "department": {"value": p.code[0], "zh": p.department.zh if p.department else None,
                           "en": p.department.en if p.department else None},
            "category": {"value": p.code[1], "zh": p.category.zh if p.category else None,
                         "en": p.category.en if p.category else None},
            "region": {"value": p.region, "name": p.region_name, "province": p.province,
                       "prefecture": p.prefecture, "exists_today": p.region_current,
                       "status": p.region_status.name.lower(),
                       "history": [{"name": x.name, "from": x.start, "to": x.end}
                                   for x in periods]},
            "organization_code": {"value": p.orgcode, "printed": orgcode.format(p.orgcode),
                                  "check_ok": not orgcode.findings(p.orgcode)},
            # The check character is not worked out once a character breaks the format: "not checked".
            "check_character": {"value": p.check_char,
                                "check_ok": None if any(f.code == "uscc.format" for f in result.findings)
                                else not any(f.code in ("uscc.checksum", "uscc.pilot_checksum")
                                             for f in result.findings)},
        }
    if result.verdict is Verdict.INVALID:
        data["suggestions"] = [{"code": s.code, "edit": s.edit} for s in uscc.suggest(code)]
    return data


_VERDICT_ZH = {"valid": "有效", "warning": "有效（有提示）", "invalid": "无效"}


@app.command("explain")
def explain_code(
    code: str = typer.Argument(..., help="The code to take apart."),
    fmt: str = typer.Option("text", "--format", help="text or json"),
) -> None:
    """Take a code apart for a person: department, category, region, organization code, checks."""
    if fmt not in ("text", "json"):
        output.fail("usage.format", f'--format "{fmt}" is not known: expected text or json.')
    data = _explanation(code)
    if fmt == "json":
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        _print_explanation(data)
    raise SystemExit(output.EXIT_NO if data["verdict"] == "invalid" else output.EXIT_OK)


def _mark(ok: object) -> str:
    if ok is None:
        return "– 未检查 not checked (an earlier rule failed)"
    return "✓ 通过 passes" if ok else "✗ 不通过 fails"


def _print_explanation(data: dict[str, object]) -> None:
    # A pipe or file gets wide lines, so that no meaning is cut in two.
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    verdict = str(data["verdict"])
    console.print(f"统一社会信用代码 Unified social credit code: {data['code']}", markup=False)
    console.print(f"结论 Verdict: {_VERDICT_ZH[verdict]} {verdict}", markup=False)
    parts = data.get("parts")
    if isinstance(parts, dict):
        table = Table(show_header=True, header_style="bold")
        table.add_column("位置 Position")
        table.add_column("值 Value")
        table.add_column("含义 Meaning")
        d, c, r = parts["department"], parts["category"], parts["region"]
        table.add_row("1", d["value"], f"登记管理部门 department: {d['zh'] or '未定义'} "
                      f"{d['en'] or 'undefined'}")
        table.add_row("2", c["value"], f"机构类别 category: {c['zh'] or '未定义'} "
                      f"{c['en'] or 'undefined'}")
        place = " ".join(x for x in (r["province"], r["prefecture"], r["name"]) if x) or "未知 unknown"
        exists = "现行区划 exists today" if r["exists_today"] else "已撤销或更名 no longer exists"
        if not r["history"]:
            exists = "不在 GB/T 2260 表中 not in GB/T 2260"
        history = "; ".join(f"{h['name']} {h['from'] or ''}–{h['to'] or ''}" for h in r["history"])
        table.add_row("3-8", r["value"], f"登记管理机关行政区划 registering authority's division: "
                      f"{place} ({exists})" + (f"\n历史 history: {history}" if history else ""))
        o = parts["organization_code"]
        table.add_row("9-17", o["value"], f"组织机构代码 organization code {o['printed']}: "
                      f"GB 11714 校验 check {_mark(o['check_ok'])}")
        k = parts["check_character"]
        table.add_row("18", k["value"], f"校验码 check character: GB 32100 {_mark(k['check_ok'])}")
        console.print(table)
    for f in data["findings"]:  # type: ignore[attr-defined]
        where = f" (position {f['position']})" if f["position"] else ""
        console.print(f"{f['severity']} [{f['code']}]{where}: {f['message']}", markup=False)
    suggestions = data.get("suggestions") or []
    if suggestions:
        console.print("您是否要找 Did you mean:", markup=False)
        for s in suggestions:  # type: ignore[attr-defined]
            console.print(f"  {s['code']}  ({s['edit']})", markup=False)


@app.command("generate")
def generate_codes(
    count: int = typer.Option(10, "--count", "-n", min=0, help="How many codes."),
    department: Optional[str] = typer.Option(None, "--department", help="Position 1."),  # noqa: UP045
    category: Optional[str] = typer.Option(None, "--category", help="Position 2."),  # noqa: UP045
    region: Optional[str] = typer.Option(None, "--region", help="Positions 3-8."),  # noqa: UP045
    seed: int = typer.Option(0, "--seed", help="The same seed gives the same codes."),
) -> None:
    """Write valid codes, one per line, deterministic by seed."""
    if department is not None and department not in departments.DEPARTMENTS:
        output.fail("usage.department", f'--department "{department}" is not a department code: '
                    f"expected one of {', '.join(departments.DEPARTMENTS)}.")
    if category is not None:
        allowed = (departments.DEPARTMENTS[department].categories if department
                   else {c for d in departments.DEPARTMENTS.values() for c in d.categories})
        if category not in allowed:
            output.fail("usage.category", f'--category "{category}" is not defined'
                        + (f" under department {department}" if department else "")
                        + f": expected one of {', '.join(sorted(allowed))}.")
    if region is not None and not (len(region) == 6 and region.isdigit()):
        output.fail("usage.region", f'--region "{region}" is not a 6-digit division code.')
    if region is not None and uscc.region_status(region) is not uscc.RegionStatus.OK:
        output.note(f'warning: --region "{region}" is not a division in use since unified codes '
                    "were issued; the codes will carry a region warning.")
    rng = random.Random(seed)
    counties = [c for c in divisions.codes() if c[:2] in regions.PREFIXES
               and c[2:] != "0000" and divisions.is_current(c) and c[4:] != "00"]
    seen: set[str] = set()
    write = sys.stdout.write
    while len(seen) < count:
        dept = department
        if dept is None and category is not None:
            dept = rng.choice([d.code for d in departments.DEPARTMENTS.values()
                               if category in d.categories])
        code = uscc.generate(rng, dept, category, region, counties)
        if code not in seen:
            seen.add(code)
            write(code + "\n")
