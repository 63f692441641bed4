"""``make run``: the platform's main job on demo data, as a new user would type it.

1. check a file of generated codes with realistic typos (``jjjcredit codes check``);
2. write synthetic department files for the three regions (``jjjcredit demo-data``);
3. create the embedded SQLite library and ingest every file (``jjjcredit library ingest``);
4. show what the library holds and one organization that changed its name;
5. take this year's public credit information catalogue from draft to published (``jjjcredit catalogue``);
6. ingest the demo's credit records under the catalogue's items, one file per provider
   (``jjjcredit credit ingest``), and show the providers' timeliness (``jjjcredit credit timeliness``);
7. create demo application parties (API keys), a one-time code for one subject's own view
   (``jjjcredit subjects code``), and serve the API (``jjjcredit serve``) until Ctrl-C.

Everything lands in ``var/``; running it again starts the library afresh. ``--no-serve`` stops after 6.
"""

from __future__ import annotations

import datetime
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
DB = f"sqlite:///{VAR / 'jjjcredit.sqlite3'}"
CLI = [str(Path(sys.executable).parent / "jjjcredit")]


def say(text: str) -> None:
    print(f"\n== {text}", file=sys.stderr, flush=True)


def run(*args: str, stdout: Path | None = None, quiet: bool = False) -> subprocess.CompletedProcess[str]:
    shown = shlex.join(["jjjcredit", *args]) + (f" > {stdout.relative_to(ROOT)}" if stdout else "")
    print(f"$ {shown}", file=sys.stderr, flush=True)
    result = subprocess.run([*CLI, *args], capture_output=True, text=True, check=False, cwd=ROOT)
    if stdout:
        stdout.write_text(result.stdout, encoding="utf-8")
    elif not quiet:
        sys.stdout.write(result.stdout)
    if result.stderr.strip():
        print(result.stderr.strip(), file=sys.stderr)
    if result.returncode == 2:
        sys.exit(f"error: `{shown}` failed")
    return result


def main() -> None:
    VAR.mkdir(exist_ok=True)
    say("1. Check 10,000 codes, some mistyped")
    codes = VAR / "demo-codes.txt"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "demo_codes.py")], stdout=codes.open("w"), check=True)
    report = VAR / "demo-codes-report.csv"
    run("codes", "check", str(codes.relative_to(ROOT)), stdout=report)
    rows = [line for line in report.read_text(encoding="utf-8").splitlines()[1:] if ",valid,,,," not in line]
    print("\n".join(["first rows that need attention:", *rows[:4]]), file=sys.stderr)

    say("2. Write synthetic department files (Beijing, Tianjin, Hebei; six departments each)")
    demo = VAR / "demo"
    shutil.rmtree(demo, ignore_errors=True)
    run("demo-data", "--count", "20000", "--out", str(demo.relative_to(ROOT)), "--seed", "2024")

    say("3. Create the library and ingest every file")
    (VAR / "jjjcredit.sqlite3").unlink(missing_ok=True)
    run("db", "upgrade", "--db", DB)
    files = sorted(demo.glob("*.csv"), key=lambda p: (p.name.endswith("-changes.csv"), p.name))
    totals = {"rows": 0, "created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    first_batch = None
    for path in files:
        region, department = path.stem.removesuffix("-changes").split("-", 1)
        result = run("library", "ingest", str(path.relative_to(ROOT)), "--source", f"{region}/{department}",
                     "--db", DB, quiet=True)
        summary = json.loads(result.stdout)
        first_batch = first_batch or (summary["batch"] if summary["rejected"] else None)
        for key in totals:
            totals[key] += summary[key]
    print(json.dumps(totals), file=sys.stderr)

    say("4. What the library holds")
    stats = json.loads(run("library", "stats", "--db", DB, quiet=True).stdout)
    print(json.dumps({k: stats[k] for k in ("organizations", "by_status", "last_seq")}, ensure_ascii=False),
          file=sys.stderr)
    renamed = _renamed_code()
    former = ""
    if renamed:
        shown = json.loads(run("library", "show", renamed, "--db", DB, quiet=True).stdout)
        former = shown["former_names"][0]["name"] if shown["former_names"] else ""
        print(json.dumps({"organization": {k: shown["organization"].get(k) for k in ("uscc", "name", "status")},
                          "former_names": shown["former_names"]}, ensure_ascii=False, indent=1, default=str),
              file=sys.stderr)
    if first_batch:
        print(f"rejected rows of one batch, with reasons: jjjcredit library rejects {first_batch} --db {DB}",
              file=sys.stderr)

    say("5. The public credit information catalogue: this year's edition, from draft to published")
    year = str(datetime.date.today().year)
    office, government = "省社会信用体系建设牵头部门", "省人民政府"
    run("catalogue", "draft", year, "--by", office, "--db", DB, quiet=True)
    run("catalogue", "open-comments", year, "--by", office, "--db", DB, quiet=True)  # approval ends it
    run("catalogue", "comment", year, "--author", "市民 张某", "--text", "建议公开行政处罚的整改情况",
        "--item", "JJJ-03-001", "--db", DB, quiet=True)
    run("catalogue", "assess", year, "JJJ-04-001", "--experts", "专家论证：保留，认定标准须公开",
        "--representatives", "企业代表：同意，须有信用修复途径", "--conclusion", "保留", "--by", office,
        "--db", DB, quiet=True)
    run("catalogue", "approve", year, "--by", government, "--db", DB, quiet=True)
    run("catalogue", "publish", year, "--by", office, "--db", DB, quiet=True)
    print(run("catalogue", "show", year, "--db", DB, quiet=True).stdout, file=sys.stderr, end="")

    say("6. Credit records: each provider's file under its catalogue item, then the providers' timeliness")
    _operator_secret()  # natural persons' identity numbers are kept only sealed under it
    manifest = json.loads((demo / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest.get("credit", {}).get("files", []):
        path = demo / entry["file"]
        result = run("credit", "ingest", str(path.relative_to(ROOT)), "--item", entry["item"], "--provider",
                     entry["provider"], "--db", DB, quiet=True)
        summary = json.loads(result.stdout)
        print(f"{entry['file']} ({entry['item']} {summary['item_name']}, {entry['provider']}): "
              f"{summary['rows']} rows, {summary['created']} created, {summary['rejected']} rejected, "
              f"{summary['flagged']} flagged (not in the library), {summary['late']} late"
              + (f"  [rejects: jjjcredit credit rejects {summary['batch']} --db {DB}]" if summary["rejected"] else ""),
              file=sys.stderr)
    print(run("credit", "timeliness", "--db", DB, quiet=True).stdout, file=sys.stderr, end="")
    subject = _subject_with_records()

    if "--no-serve" in sys.argv:
        return
    say("7. Serve the sharing and application interface")
    client = json.loads(run("clients", "add", "demo-department", "--services", "lookup,search,verify,changes",
                            "--level", "2", "--db", DB, quiet=True).stdout)
    key = client["api_key"]
    credit_client = json.loads(run("clients", "add", "demo-credit", "--services", "records,provide",
                                   "--level", "2", "--db", DB, quiet=True).stdout)
    credit_key = credit_client["api_key"]
    one_time = json.loads(run("subjects", "code", subject, "--db", DB, quiet=True).stdout or "{}") if subject else {}
    example = renamed or ""
    port = os.environ.get("PORT", "8000")
    print(f"""
  URL:           http://127.0.0.1:{port}   (API docs: http://127.0.0.1:{port}/docs)
  demo API key:  {key}
  credit key:    {credit_key}   (services records,provide)
  try:           curl http://127.0.0.1:{port}/api/v1/organizations/{example}
                 curl -X POST http://127.0.0.1:{port}/api/v1/verify -H 'content-type: application/json' \\
                      -d '{{"code": "{example}", "name": "{former}"}}'   (a former name)
                 curl -H 'X-API-Key: {key}' -H 'X-Purpose: demo' 'http://127.0.0.1:{port}/api/v1/changes?limit=5'
                 curl 'http://127.0.0.1:{port}/api/v1/catalogue/{year}?format=dcat-turtle'   (the catalogue)
                 curl -H 'X-API-Key: {credit_key}' -H 'X-Purpose: demo' \\
                      http://127.0.0.1:{port}/api/v1/subjects/{subject}/records   (credit records)
                 jjjcredit credit show {subject} --db {DB}
                 curl -X POST http://127.0.0.1:{port}/api/v1/me/session -H 'content-type: application/json' \\
                      -d '{{"subject": "{subject}", "code": "{one_time.get("code", "")}"}}'   (the subject's own view:
                      valid 10 minutes; then -H 'Authorization: Bearer TOKEN' …/api/v1/me/records and …/me/queries)
  operator secret: {os.environ.get("JJJCREDIT_SIGNING_KEY_FILE")}
                 (commands that seal identity numbers or sign need it: export JJJCREDIT_SIGNING_KEY_FILE=that file;
                 a credit batch holding a natural person is refused whole without it)
  Stop with Ctrl-C. The database, {DB}, is kept until `make run` starts again, which begins
  it afresh; to serve it again as it is: JJJCREDIT_SIGNING_KEY_FILE=… jjjcredit serve --db {DB} --port {port}""",
          file=sys.stderr, flush=True)
    os.execv(CLI[0], [CLI[0], "serve", "--db", DB, "--port", port])


def _operator_secret() -> None:
    """The operator's secret that seals the signing keys and the personal data key: one of the demo's
    own, in a file only its owner reads (unless one is set already)."""
    if not (os.environ.get("JJJCREDIT_SIGNING_KEY_SECRET") or os.environ.get("JJJCREDIT_SIGNING_KEY_FILE")):
        secret_file = VAR / "signing-key-secret"
        if not secret_file.exists():
            secret_file.touch(mode=0o600)
            secret_file.write_text(secrets.token_urlsafe(32) + "\n", encoding="utf-8")
        os.environ["JJJCREDIT_SIGNING_KEY_FILE"] = str(secret_file)


def _subject_with_records() -> str:
    """An organization of the library with the most credit records (the first by code among equals)."""
    import sqlite3

    conn = sqlite3.connect(VAR / "jjjcredit.sqlite3")
    try:
        row = conn.execute("SELECT subject_code FROM credit_records WHERE subject_code IS NOT NULL "
                           "AND unknown_organization = 0 GROUP BY subject_code "
                           "ORDER BY count(*) DESC, subject_code LIMIT 1").fetchone()
    finally:
        conn.close()
    return str(row[0]) if row else ""


def _renamed_code() -> str | None:
    import sqlite3

    conn = sqlite3.connect(VAR / "jjjcredit.sqlite3")
    try:
        row = conn.execute("SELECT uscc FROM history WHERE element = 'name' ORDER BY seq LIMIT 1").fetchone()
    finally:
        conn.close()
    return str(row[0]) if row else None


if __name__ == "__main__":
    main()
