#!/usr/bin/env bash
# Builds and tests the Examples package: an outside package that depends on
# skbsim by path, as a user's package does by URL, and holds the tests the
# documentation quotes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-libpcap.sh
swift build --package-path Examples --build-tests
swift test --package-path Examples --skip-build
