#!/usr/bin/env bash
# Runs the whole test suite under AddressSanitizer, in its own build
# directory (.build-asan/) so the normal build is left alone.
#
#   bash scripts/asan.sh [swift test arguments…]
#
# A heap overflow, use-after-free or double free in Swift code, in libpcap's
# use of buffers we hand it, or in the skbsim binary the CLI tests run (it is
# built with the same sanitizer) aborts the run with a report and a non-zero
# exit status.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-libpcap.sh
# halt_on_error: the first finding fails the run. Leak checking is off: the
# Swift runtime and Foundation keep caches alive until exit by design.
export ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=0:abort_on_error=0}"
swift test --sanitize=address --scratch-path .build-asan "$@"
