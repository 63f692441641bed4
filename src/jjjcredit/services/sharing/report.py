"""Credit reports: issue one (JSON or PDF, signed, kept in ``credit_reports``), tell anyone whether a
number was issued, and check a report file offline. core/sharing/report.py builds the document and
signs it; this module reads what the caller may see — through services/sharing/disclosure.py only —
renders the PDF (WeasyPrint, a CJK font from Debian, a QR code by segno) and keeps the issue record.

The issue record says that a report was issued, when, for whom, covering what, and the SHA-256 of
each rendering; the contents are never kept nor served again.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import functools
import gc
import importlib.resources
import io
import json
import secrets
import shutil
import subprocess
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from jjjcredit.core.sharing import access
from jjjcredit.core.sharing import disclosure as disclosure_rules
from jjjcredit.core.sharing import evidence as signatures
from jjjcredit.core.sharing import report as core
from jjjcredit.core.sharing import report_signature as signature
from jjjcredit.services.sharing import disclosure, evidence, personal_keys
from jjjcredit.storage.schema import credit_reports

#: The formats a report is rendered in, and their media types.
FORMATS: dict[str, str] = {"json": "application/json", "pdf": "application/pdf"}
#: One PDF rendering at a time in a process: Pango and fontconfig under WeasyPrint are not safe to use
#: from several threads at once (the server renders on its threads); the work holds the GIL anyway.
_RENDERING = threading.Lock()


@dataclass(frozen=True)
class Asked:
    """Which report: the standard one, or the special one for a period (default: the five years up to
    today) and domains (none: every domain)."""

    kind: str = "standard"
    start: datetime.date | None = None
    end: datetime.date | None = None
    domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class Issued:
    """A report as issued: its number, the file's bytes and media type, and the document it renders."""

    number: str
    format: str
    content: bytes
    document: dict[str, Any]

    @property
    def media_type(self) -> str:
        return FORMATS[self.format]

    @property
    def items(self) -> list[str]:
        """The catalogue items whose records the report shows (the query log says which were read)."""
        shown = {str(i["item"]) for s in self.document.get("sections", ()) for i in s["items"] if i.get("records")}
        shown.update(str(r["item"]) for q in self.document.get("questions", ()) for r in q["records"] if "item" in r)
        return sorted(shown)


def verification_url(base_url: str, number: str) -> str:
    """Where a report's number is checked (what its QR code encodes).

    >>> verification_url("https://credit.example.cn/", "JJJ-2026-00000000-4")
    'https://credit.example.cn/api/v1/reports/JJJ-2026-00000000-4'
    """
    return f"{base_url.rstrip('/')}/api/v1/reports/{number}"


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise core.ReportError("report.format", f'Report format "{fmt[:20]}" is not known: expected json or pdf.',
                               field="format")
    return fmt


def _new_number(conn: Connection, year: int) -> str:
    for _ in range(8):
        number = core.new_number(year, secrets.token_bytes(core.RANDOM_CHARS))
        taken = conn.execute(select(credit_reports.c.number).where(credit_reports.c.number == number)).first()
        if taken is None:
            return number
    raise RuntimeError("no free report number after 8 draws")  # 31^8 a year: does not happen


def issue_report(conn: Connection, caller: access.Caller, code: str, *, fmt: str, box: evidence.KeyBox | None,
                 base_url: str, asked: Asked = Asked(), now: datetime.datetime | None = None) -> Issued:
    """Issue a report of the organization ``code`` as ``caller`` may see it — its elements as the caller's
    grant of lookup shows them, its records as its grant of ``records`` does (a key granted lookup alone
    reads the records the public reads, identity numbers masked) —, rendered as ``fmt`` (json or pdf),
    signed with the platform's current evidence key, its issue record written in ``conn``'s transaction
    (the caller commits). A natural person: ``report.not_organization``; a code no
    provider has sent: ``library.not_found``; no operator secret: ``evidence.no_secret``."""
    check_format(fmt)
    if asked.kind not in core.KINDS:
        raise core.ReportError("report.kind", f'Report kind "{asked.kind[:20]}" is not known: expected standard or '
                               "special.", field="kind")
    compact = core.check_organization(code)
    now = now or datetime.datetime.now(datetime.UTC)
    today = disclosure_rules.china_date(now)  # the day in Beijing, as the records are disclosed as of
    period = core.check_period(asked.start, asked.end, today) if asked.kind == "special" else None
    domains = core.check_domains(asked.domains) if asked.kind == "special" else ()
    organization = disclosure.lookup_organization(conn, caller, compact)
    if organization is None:
        raise core.ReportError("library.not_found", f'No provider has sent "{compact}" to the library: a report is '
                               "issued for a registered organization.", field="code")
    # the records as the caller's records grant reads them (a key granted lookup alone reads them as the public)
    reader = access.admit(caller, "records") or access.PUBLIC
    records = disclosure.subject_records(conn, reader, compact, personal_keys.protector(conn, box), today=today)
    key_id, key = evidence.current_key(conn, box)
    number = _new_number(conn, today.year)
    url = verification_url(base_url, number)
    audience = caller.kind
    if period is None:
        document = core.build_report(number, now, today, audience, url, compact, organization, records)
        covering: dict[str, Any] = {"sections": [s["section"] for s in document["sections"]]}
    else:
        document = core.build_special(number, now, today, audience, url, compact, organization, records, period,
                                      domains)
        covering = {"questions": [q["question"] for q in document["questions"]],
                    "period": document["report"]["period"], "domains": list(domains)}
    covering["audience"] = audience
    covering["items"] = sorted(str(g["item"]) for g in records.get("items", ()))
    covering["records"] = int(records.get("records", 0))
    if fmt == "pdf":
        rendered = render_pdf(document)
        content = signature.seal_pdf(rendered, document, key, key_id)
        signed_hash = signature.sha256(rendered)
    else:
        content = signature.seal_json(document, key, key_id)
        signed_hash = signature.sha256(signature.canonical(document))
    signed = signature.check_file(content, {key_id: signatures.public_pem(key)}).envelope
    files = {fmt: {"sha256": signed_hash, "file_sha256": signature.sha256(content)}}
    conn.execute(insert(credit_reports).values(
        number=number, subject_code=compact, subject_name=document["subject"]["name"], kind=document["report"]["kind"],
        issued_at=now, data_as_of=today.isoformat(), covering=json.dumps(covering, ensure_ascii=False),
        files=json.dumps(files), key_id=key_id, signature=str(signed["signature"])))
    return Issued(number, fmt, content, document)


def verify_number(conn: Connection, number: str) -> dict[str, Any]:
    """Whether a report with ``number`` was issued: when, for whom, covering what, the hash of each
    rendering and the key — never its contents. An unknown number: ``report.not_found``."""
    shown = core.validate_number(number)
    row = conn.execute(select(credit_reports).where(credit_reports.c.number == shown)).mappings().first()
    if row is None:
        raise core.ReportError("report.not_found", f'No report numbered "{shown}" was issued by this platform: a '
                               "report showing it is not genuine, or the number was mistyped.", field="number")
    issued = row["issued_at"]
    if issued.tzinfo is None:  # SQLite gives it back without its zone
        issued = issued.replace(tzinfo=datetime.UTC)
    at = issued.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"number": shown, "issued": True, "issued_at": at,
            "issuer": core.PLATFORM, "kind": row["kind"],
            "subject": {"code": row["subject_code"], "name": row["subject_name"]}, "data_as_of": row["data_as_of"],
            "covering": json.loads(row["covering"]), "files": json.loads(row["files"]), "key_id": row["key_id"]}


def verify_file(data: bytes, public_keys: Mapping[str, str]) -> dict[str, Any]:
    """Check a report file offline against the published keys (key id → PEM): what it says it is, or
    :class:`core.ReportError` with the reason it fails."""
    signed = signature.check_file(data, public_keys).envelope
    shown = ("number", "kind", "subject", "issued_at", "data_as_of", "format", "sha256", "key_id")
    return {k: signed[k] for k in shown}


def published_keys(conn: Connection) -> dict[str, str]:
    """key id → PEM of every published key (what an offline check needs)."""
    return {k["key_id"]: k["public_key"] for k in evidence.public_keys(conn)}


# --- the PDF -------------------------------------------------------------------------------------

@functools.cache
def _template() -> Any:
    import jinja2

    text = importlib.resources.files("jjjcredit.services.sharing").joinpath("report.html").read_text("utf-8")
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["beijing"] = core.shown_time  # (a moment as a reader in China reads it)
    return env.from_string(text)


def qr_png(url: str) -> bytes:
    """The QR code of ``url`` as a PNG (4 pixels a module, the quiet zone included)."""
    import segno

    qr = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    qr.save(out, kind="png", scale=4, border=4)
    return out.getvalue()


def render_html(document: Mapping[str, Any]) -> str:
    qr = base64.b64encode(qr_png(document["report"]["verification"])).decode("ascii")
    return str(_template().render(doc=document, head=document["report"], qr=qr))


@functools.cache
def _stylesheet() -> tuple[Any, Any]:
    """report.css parsed, and the font configuration every rendering shares (built once in a process,
    under the rendering lock): the fonts fontconfig found stay loaded from one report to the next."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    text = importlib.resources.files("jjjcredit.services.sharing").joinpath("report.css").read_text("utf-8")
    return weasyprint.CSS(string=text, font_config=fonts), fonts


@functools.cache
def chinese_fonts() -> tuple[str, ...]:
    """The font families fontconfig has for Chinese (asked once per process)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return ()
    found = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30, check=False)
    return tuple(sorted({line.split(",")[0].strip() for line in found.stdout.splitlines() if line.strip()}))


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while WeasyPrint lays out and writes a report. A rendering
    makes a great many short-lived objects, nearly all freed as it goes; left running, the collector
    would run its full passes over the whole process (a server's every module and cache) every few
    reports, adding 100-200 ms to the one it falls on. Paused, what the rendering leaves in cycles
    (~20,000 objects for 50 records) is taken by the next young-generation pass (~15 ms). Never turned
    on if something else had turned it off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def render_pdf(document: Mapping[str, Any]) -> bytes:
    """The report as a PDF: A4, Chinese text in an embedded (subset) CJK font, page numbers, the QR
    code of its verification address. Without WeasyPrint's libraries or a Chinese font (a report of
    empty boxes is never issued): ``report.render``."""
    try:
        import weasyprint
    except OSError as exc:  # Pango or its friends missing
        raise core.ReportError("report.render", f"PDF reports cannot be rendered here: {exc}.") from None
    if not chinese_fonts():
        raise core.ReportError("report.render", "PDF reports cannot be rendered here: no Chinese font is installed "
                               "(install Debian's fonts-wqy-microhei, as scripts/bootstrap.sh does).")
    html = render_html(document)
    with _RENDERING, _collector_paused():
        stylesheet, fonts = _stylesheet()
        pdf = weasyprint.HTML(string=html).write_pdf(stylesheets=[stylesheet], font_config=fonts)
    if not isinstance(pdf, bytes):
        raise core.ReportError("report.render", "WeasyPrint gave no PDF.")
    return pdf
