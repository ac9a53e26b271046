#!/usr/bin/env bash
# Runs every test of skbsim: installs libpcap-dev if needed, then `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-libpcap.sh
swift test "$@"
