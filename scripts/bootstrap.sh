#!/usr/bin/env bash
# Create the virtualenv and install the project with its development tools.
set -euo pipefail
python="${1:-python3}"
venv="${2:-.venv}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "error: Python 3.11 or newer is needed (found: $("$python" --version 2>&1))" >&2
  exit 2
fi
if ! "$python" -m venv --help >/dev/null 2>&1; then
  echo "installing python3-venv from Debian ..." >&2
  (apt-get update -qq && apt-get install -y -qq python3-venv) >&2
fi
# PDF credit reports: a CJK font to embed, and HarfBuzz's subsetter (WeasyPrint subsets fonts with it in
# milliseconds; without it, with fontTools, in about a second)
missing=()
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || missing+=(fonts-wqy-microhei)
ldconfig -p 2>/dev/null | grep -q "libharfbuzz-subset.so.0" || missing+=(libharfbuzz-subset0)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} from Debian ..." >&2
  (apt-get update -qq && apt-get install -y -qq "${missing[@]}") >&2
fi
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -e '.[dev]'
