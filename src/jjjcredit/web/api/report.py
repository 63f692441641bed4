"""Credit reports: ``GET /api/v1/subjects/{code}/report`` (an organization's report as the caller may
see it — JSON by default, PDF with ``Accept: application/pdf`` or ``?format=pdf``; the special report
with ``?kind=special&from=…&to=…&domains=…``) and ``GET /api/v1/reports/{number}`` (whether a report
with that number was issued, when, for whom, covering what, the hash of each file — never its
contents; the address a report's QR code holds). services/sharing/report.py does the work."""

from __future__ import annotations

import datetime
import html
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from jjjcredit.core import errors
from jjjcredit.core.codes.personal import shown_personal
from jjjcredit.core.errors import Error
from jjjcredit.core.sharing import access
from jjjcredit.core.sharing.evidence import KeyBox
from jjjcredit.core.sharing.report import shown_time
from jjjcredit.services.sharing import report
from jjjcredit.settings import DEFAULT_PUBLIC_URL
from jjjcredit.web import threads
from jjjcredit.web.access import caller_for, limit_reports
from jjjcredit.web.errors import raises

router = APIRouter(prefix="/api/v1", tags=["credit reports"])

_FILES = {"description": "The report file, signed: JSON (the document with its `signature`) or PDF (signed after "
          "its last %%EOF); `jjjcredit report verify FILE` checks either offline.",
          "content": {"application/json": {"schema": {"type": "object"}},
                      "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}


def _format(asked: str | None, accept: str) -> str:
    """The format asked for: the parameter, else PDF when the Accept header names it, else JSON.

    >>> _format(None, "application/pdf"), _format("json", "application/pdf"), _format(None, "*/*")
    ('pdf', 'json', 'json')
    """
    if asked is not None:
        return report.check_format(asked.strip().lower())
    return "pdf" if "application/pdf" in accept.lower() else "json"


def _issue(engine: Engine, box: KeyBox | None, caller: access.Caller, code: str, fmt: str, base_url: str,
           asked: report.Asked) -> report.Issued:
    with engine.begin() as conn:
        return report.issue_report(conn, caller, code, fmt=fmt, box=box, base_url=base_url, asked=asked)


@router.get("/subjects/{code}/report", response_class=Response, responses={
    200: _FILES, **raises("report.not_organization", "uscc.empty", "uscc.length", "uscc.format", "uscc.department",
                          "uscc.category", "uscc.orgcode_format", "uscc.orgcode_checksum", "uscc.checksum",
                          "report.kind", "report.format", "report.period", "report.domain",
                          "library.not_found", "evidence.no_secret", "evidence.bad_secret", "report.render")})
async def issue_report(
        request: Request, code: str,
        format: str | None = Query(None, max_length=8, description="json (default) or pdf; without it, the "
                                   "Accept header decides (application/pdf)."),
        kind: str = Query("standard", max_length=16, description="standard, or special (in place of compliance "
                          "certificates: penalties, coercive measures, serious-dishonesty lists in a period)."),
        start: datetime.date | None = Query(None, alias="from", description="The special report's first day "
                                            "(default: five years before its last)."),
        end: datetime.date | None = Query(None, alias="to", description="The special report's last day (default: "
                                          "today)."),
        domains: str = Query("", max_length=400, description="The special report's domains, comma-separated "
                             "(default: every domain)."),
        caller: access.Caller = Depends(caller_for("lookup"))) -> Response:
    """Issue a credit report of an organization (unified social credit code): header (number, issuing
    platform, generated at, data as of), basic registration information, a summary per section, then the
    records of each section with their status — what the caller may see (the public's view without a
    key). Every report is numbered and signed; its issue record answers at /api/v1/reports/{number}."""
    fmt = _format(format, request.headers.get("accept", ""))
    await limit_reports(request, caller)
    asked = report.Asked(kind.strip().lower(), start, end, tuple(d for d in domains.split(",") if d.strip()))
    state = request.app.state
    base = state.report_base_url or DEFAULT_PUBLIC_URL  # (never the Host the caller sent: it is signed)
    issued = await threads.run(request, _issue, state.engine, state.key_box, caller, code, fmt, base, asked)
    request.state.items = issued.items  # the query log says which items' records the report showed
    headers = {"X-Report-Number": issued.number}
    if fmt == "pdf":
        headers["Content-Disposition"] = f'inline; filename="{issued.number}.pdf"'
    return Response(issued.content, media_type=issued.media_type, headers=headers)


def _verify(engine: Engine, number: str) -> dict[str, Any]:
    with engine.connect() as conn:
        return report.verify_number(conn, number)


_LABELS = {"standard": "公共信用信息报告", "special": "专项信用报告"}


_PAGE_HEAD = ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" '
              'content="width=device-width, initial-scale=1"><title>{title}</title>'
              "<style>body{{font-family:sans-serif;margin:1em;}}th{{text-align:left;padding-right:1em;"
              "vertical-align:top;}}td{{word-break:break-all;}}</style></head><body><h1>信用报告核验</h1>")
#: What a page says of a number that names no report, by the error's code.
_REFUSALS = {
    "report.not_found": ("未查询到该编号的报告", "本平台未出具过此编号的报告。出示此编号的报告不是本平台出具的，"
                         "请勿采信，并可向出示方或本平台核实。"),
    "report.number": ("报告编号有误", "编号的校验字符不符：可能有字符输错或两个字符顺序颠倒。请对照报告上的编号"
                      "重新输入，或直接扫描报告上的二维码。"),
}


def refusal_page(code: str, number: str) -> str | None:
    """The page a browser gets for a number that names no report (``code``: why), or ``None`` for
    another refusal."""
    said = _REFUSALS.get(code)
    if said is None:
        return None
    e = html.escape
    shown = shown_personal(number)[:64]
    return (_PAGE_HEAD.format(title="报告核验 " + e(shown)) + f"<p><strong>{e(said[0])}</strong></p>"
            f"<table><tr><th>报告编号</th><td>{e(shown)}</td></tr></table><p>{e(said[1])}</p></body></html>")


def verification_page(found: dict[str, Any]) -> str:
    """The verification answer as a small page (what a phone shows after scanning a report's QR code):
    the same facts as the JSON, never the report's contents."""
    e = html.escape
    covering = found["covering"]
    rows = [("报告编号", found["number"]), ("核验结果", "本平台已出具此编号的报告"), ("出具机构", found["issuer"]),
            ("报告类型", _LABELS.get(found["kind"], found["kind"])), ("出具时间", shown_time(found["issued_at"])),
            ("数据截至", found["data_as_of"]),
            ("信用主体", f'{found["subject"]["name"]}（{found["subject"]["code"]}）')]
    if "period" in covering:
        rows.append(("查询期间", f'{covering["period"]["from"]} 至 {covering["period"]["to"]}'))
    for fmt, hashes in sorted(found["files"].items()):
        rows.append((f"{fmt.upper()} 文件 SHA-256", hashes["file_sha256"]))
    body = "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in rows)
    return (_PAGE_HEAD.format(title="报告核验 " + e(found["number"])) + "<table>" + body + "</table>"
            "<p>报告内容以所持文件为准：文件的 SHA-256 摘要应与上表一致；报告内嵌本平台的数字签名，可用平台公布的"
            "公钥离线核验（命令行：<code>jjjcredit report verify 文件</code>）。</p></body></html>")


@router.get("/reports/{number}", responses={
    200: {"description": "The verification answer: JSON, or a small HTML page when the Accept header asks for "
          "text/html (a browser that opened a report's QR code).",
          "content": {"application/json": {"schema": {"type": "object"}}, "text/html": {"schema": {"type": "string"}}}},
    **raises("report.number", "report.not_found")})
async def verify_number(request: Request, number: str,
                        caller: access.Caller = Depends(caller_for("verify"))) -> Any:
    """Whether a credit report with this number was issued by the platform: when, by whom, for which
    organization, covering what (sections or questions, period, domains, whose view, the items with
    records), and the SHA-256 of each file issued (``sha256``: what the signature covers;
    ``file_sha256``: the whole file) — never the report's contents. A browser (``Accept: text/html``)
    gets the same as a page."""
    page = "text/html" in request.headers.get("accept", "")
    try:
        found = await threads.run(request, _verify, request.app.state.engine, number)
    except Error as exc:  # a browser that opened a number naming no report is told so in a page
        shown = refusal_page(exc.code, number) if page else None
        if shown is None:
            raise
        request.state.outcome = exc.code
        return HTMLResponse(shown, errors.http_status(exc.code))
    request.state.codes = [found["subject"]["code"]]  # for the audit trail: whose report was asked about
    if page:
        return HTMLResponse(verification_page(found))
    return found
