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
exec .venv/bin/python -m pytest -n 2 "$@"
