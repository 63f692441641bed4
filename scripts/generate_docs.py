"""Regenerate the documentation pages that are derived from code (docs/errors.md, docs/elements.md,
docs/catalogue.md, docs/credit.md)
and the record schemas (schemas/organization.schema.json, schemas/organization.xsd) and the
catalogue's extension vocabulary (schemas/catalogue-vocabulary.ttl).

``python scripts/generate_docs.py`` writes them; ``--check`` exits 1 when a page is out of date
(the test suite runs the check).
"""

from __future__ import annotations

import sys
from pathlib import Path

from jjjcredit.core.credit import catalogue_export, columns
from jjjcredit.core.errors import ERROR_CODES
from jjjcredit.core.library import element_schemas

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def errors_page() -> str:
    lines = [
        "# Error codes",
        "",
        "Every condition has one stable code, the same in every command and route. Identifier findings",
        "carry a 1-based position. The API answers every failure with the code's HTTP status and one",
        "shape, `{\"errors\": [{\"code\", \"message\", \"field\", \"row\"}]}`; the command line prints",
        "`error [code]: message` on stderr and ends with the code's exit status: 1 when the data was",
        "judged and something is wrong, 2 when the input or the command line cannot be used.",
        "",
        "Generated from `jjjcredit.core.errors.ERROR_CODES` by `scripts/generate_docs.py`; a test keeps",
        "it in step.",
        "",
        "| code | HTTP | exit | meaning |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| `{code}` | {e.http_status} | {e.exit_code} | {e.meaning} |" for code, e in ERROR_CODES.items()]
    return "\n".join(lines) + "\n"


PAGES = {"errors.md": errors_page, "elements.md": element_schemas.elements_markdown,
         "catalogue.md": catalogue_export.vocabulary_markdown, "credit.md": columns.markdown}
#: Generated files outside docs/, relative to the repository root; --check covers them too.
FILES = {
    element_schemas.JSON_SCHEMA_FILE: element_schemas.json_schema_text,
    element_schemas.XSD_FILE: element_schemas.xsd,
    catalogue_export.VOCABULARY_FILE: catalogue_export.vocabulary_turtle,
}


def main(check: bool) -> int:
    stale = []
    targets = [(DOCS / name, build) for name, build in PAGES.items()]
    targets += [(ROOT / name, build) for name, build in FILES.items()]
    for path, build in targets:
        name = str(path.relative_to(ROOT))
        text = build()
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python scripts/generate_docs.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main("--check" in sys.argv))
