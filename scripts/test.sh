#!/usr/bin/env bash
# The test command: the doors (import-linter), lint, then the whole suite over SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== import-linter: the one-way doors"
.venv/bin/lint-imports
echo "== mypy --strict: the domain and the use cases"
.venv/bin/mypy
echo "== ruff"
.venv/bin/ruff check .
echo "== pytest"
# Two workers for the two cores; worksteal because test times are uneven (a unit test takes milliseconds, the
# upgrade walk a minute): an idle worker takes half of the other's queue instead of waiting. See docs/testing.md.
exec .venv/bin/python -m pytest -n 2 --dist worksteal "$@"
