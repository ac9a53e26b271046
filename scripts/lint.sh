#!/usr/bin/env bash
# Checks the Swift sources against .swift-format (swift-format ships with the
# toolchain); any finding is an error and the exit status is non-zero.
#   bash scripts/lint.sh         lint
#   bash scripts/lint.sh --fix   rewrite the files in place first (swift format -i),
#                                then lint what the formatter cannot fix
set -euo pipefail
cd "$(dirname "$0")/.."

# Every Swift file of the three packages and the fuzz harnesses; named one by one so
# that no .build directory is walked.
paths=(
    Package.swift Sources Tests Fuzz Benchmarks/Package.swift Benchmarks/Sources Benchmarks/Benchmarks
    Examples/Package.swift Examples/Sources Examples/Tests
)

if [[ "${1:-}" == "--fix" ]]; then
    swift format format --in-place --parallel --recursive "${paths[@]}"
elif [[ $# -gt 0 ]]; then
    echo "usage: $0 [--fix]" >&2
    exit 2
fi
swift format lint --strict --parallel --recursive "${paths[@]}"
