#!/usr/bin/env bash
# The test command (make test; .ci/run calls it): lint, types, then the suite on SQLite and on
# PostgreSQL, the two runs side by side (each uses a core; JJJCREDIT_TEST_SERIAL=1 runs them one after
# the other). Under CI=true a PostgreSQL run that cannot happen fails the build.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
pg_url="${JJJCREDIT_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/jjjcredit_test}"
status=0
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

step() { printf '\n== %s\n' "$*"; }

step "ruff"
"$bin/ruff" check src tests scripts benchmarks || status=1
step "mypy"
"$bin/mypy" || status=1
step "import contracts (lint-imports)"
"$bin/lint-imports" --no-cache || status=1

# --durations: the slowest tests of each run are named at its end, to keep the whole run short.
sqlite_suite() { "$bin/python" -m pytest -q --durations=15 "$@"; }
postgres_suite() { JJJCREDIT_TEST_DATABASE_URL="$pg_url" "$bin/python" -m pytest -q --durations=15 "$@"; }

step "PostgreSQL for the second run ($pg_url)"
if "$bin/python" scripts/ensure_postgres.py "$pg_url"; then
  postgres=yes
elif [ "${CI:-}" = "true" ]; then
  echo "error: CI=true and the PostgreSQL run could not happen (see above): failing." >&2
  postgres=no; status=1
else
  echo "skipped: PostgreSQL is not reachable at $pg_url (set JJJCREDIT_TEST_POSTGRES_URL)." >&2
  postgres=no
fi

if [ "${JJJCREDIT_TEST_SERIAL:-}" = "1" ] || [ "$postgres" = "no" ]; then
  step "pytest on SQLite"
  sqlite_suite "$@" || status=1
  if [ "$postgres" = "yes" ]; then
    step "pytest on PostgreSQL ($pg_url)"
    postgres_suite "$@" || status=1
  fi
else
  step "pytest on SQLite and on PostgreSQL, side by side (started $(date -u +%H:%M:%S) UTC)"
  sqlite_suite "$@" >"$logs/sqlite.log" 2>&1 &
  sqlite_pid=$!
  postgres_suite "$@" >"$logs/postgres.log" 2>&1 &
  postgres_pid=$!
  wait "$sqlite_pid"; sqlite_rc=$?
  wait "$postgres_pid"; postgres_rc=$?
  step "pytest on SQLite (exit $sqlite_rc)"
  cat "$logs/sqlite.log"
  step "pytest on PostgreSQL, $pg_url (exit $postgres_rc)"
  cat "$logs/postgres.log"
  [ "$sqlite_rc" -eq 0 ] && [ "$postgres_rc" -eq 0 ] || status=1
fi

if [ $status -eq 0 ]; then step "all green"; else step "FAILED"; fi
exit $status
