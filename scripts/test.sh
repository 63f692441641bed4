#!/usr/bin/env bash
# The test command (make test; .ci/run calls it): lint, types, then the suite on SQLite and again
# on PostgreSQL. Under CI=true a PostgreSQL run that cannot happen fails the build.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
pg_url="${JJJCREDIT_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/jjjcredit_test}"
status=0

step() { printf '\n== %s\n' "$*"; }

step "ruff"
"$bin/ruff" check src tests scripts benchmarks || status=1
step "mypy"
"$bin/mypy" || status=1
step "import contracts (lint-imports)"
"$bin/lint-imports" --no-cache || status=1

step "pytest on SQLite"
"$bin/python" -m pytest -q "$@"
rc=$?; [ $rc -eq 0 ] || status=1

step "pytest on PostgreSQL ($pg_url)"
if "$bin/python" scripts/ensure_postgres.py "$pg_url"; then
  JJJCREDIT_TEST_DATABASE_URL="$pg_url" "$bin/python" -m pytest -q "$@"
  rc=$?; [ $rc -eq 0 ] || status=1
elif [ "${CI:-}" = "true" ]; then
  echo "error: CI=true and the PostgreSQL run could not happen (see above): failing." >&2
  status=1
else
  echo "skipped: PostgreSQL is not reachable at $pg_url (set JJJCREDIT_TEST_POSTGRES_URL)." >&2
fi

if [ $status -eq 0 ]; then step "all green"; else step "FAILED"; fi
exit $status
