#!/usr/bin/env bash
# Runs every test of skbsim: installs libpcap-dev if needed, then `swift test`,
# then the DuckDB recipe of docs/duckdb.md on a real DuckDB (installs its
# Python package when missing; skipped, saying so, when that fails).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-libpcap.sh
swift test "$@"
if command -v python3 >/dev/null; then
    python3 scripts/duckdb-recipe-test.py
else
    echo "SKIPPED duckdb recipe test: no python3"
fi
