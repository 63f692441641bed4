from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from jjjcredit.core.errors import ERROR_CODES

ROOT = Path(__file__).resolve().parents[1]


def test_generated_pages_are_up_to_date():
    result = subprocess.run([sys.executable, "scripts/generate_docs.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_error_code_used_in_the_code_is_documented():
    used = set()
    for path in (ROOT / "src" / "jjjcredit").rglob("*.py"):
        used |= set(re.findall(r'"((?:uscc|orgcode|regno|ric|file|usage|crosswalk|record)\.[a-z_]+)"',
                               path.read_text("utf-8")))
    used = {u for u in used if not u.endswith((".py", ".csv"))}
    assert used <= set(ERROR_CODES), sorted(used - set(ERROR_CODES))
