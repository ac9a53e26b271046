#!/usr/bin/env bash
# Builds the DocC documentation of every library product users call, with
# DocC's warnings as errors (a broken symbol link or article reference fails),
# and checks that every Swift sample in the catalogs and the README is code of
# the Examples package (scripts/check-doc-snippets.py), which CI builds and tests.
#   bash scripts/docs.sh        archives in .build/plugins/Swift-DocC/outputs/
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-libpcap.sh
python3 scripts/check-doc-snippets.py
targets=(SkbModel KernelMemory Release Capture Trace SampleKit SkbTesting)
args=()
for t in "${targets[@]}"; do args+=(--target "$t"); done
swift package generate-documentation "${args[@]}" --warnings-as-errors
