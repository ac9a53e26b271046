#!/usr/bin/env bash
# Builds and runs one libFuzzer harness from Fuzz/ for a number of seconds.
#
#   bash scripts/fuzz.sh TARGET SECONDS [extra libFuzzer flags…]
#
# TARGET is a folder of Fuzz/: `capture` (bytes as a pcap/pcapng file through
# CaptureReader and libpcap, every packet decoded) or `decode` (bytes as one
# packet through HeaderDecoder for every link type). The harness is compiled
# with the Capture sources by swiftc -sanitize=fuzzer,address (no SwiftPM
# target, so `swift build` never needs fuzzer support) into .build-fuzz/.
#
# Seeds: samples/ plus the libpcap test captures in ../shared/corpus-libpcap
# (or ../../shared/corpus-libpcap from a worktree) when present. The working
# corpus grows in .build-fuzz/corpus-TARGET; crashes, leaks and timeouts are
# written to Fuzz/crashes/ and make the script exit non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 2 ]]; then
    echo "usage: $0 capture|decode SECONDS [libFuzzer flags…]" >&2
    exit 2
fi
target=$1
seconds=$2
shift 2
if [[ ! -d "Fuzz/$target" ]]; then
    echo "fuzz.sh: no harness Fuzz/$target" >&2
    exit 2
fi

bash scripts/ensure-libpcap.sh >/dev/null

build=.build-fuzz
mkdir -p "$build" Fuzz/crashes "$build/corpus-$target"
binary="$build/fuzz-$target"

# Rebuild when the harness, a Capture source or this script is newer than the binary.
if [[ ! -x "$binary" ]] || [[ -n "$(find Fuzz/"$target" Sources/Capture Sources/CPcap scripts/fuzz.sh -newer "$binary" -print -quit)" ]]; then
    echo "fuzz.sh: building $binary" >&2
    mapfile -t sources < <(find Sources/Capture "Fuzz/$target" -name '*.swift' | sort)
    # lld: gold warns about every ASan helper symbol it cannot export.
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g -use-ld=lld \
        -module-name "Fuzz_$target" -swift-version 6 \
        -I Sources/CPcap -lpcap \
        -module-cache-path "$build/module-cache" \
        "${sources[@]}" -o "$binary"
fi

seeds=("samples")
for shared in ../shared/corpus-libpcap ../../shared/corpus-libpcap; do
    if [[ -d "$shared" ]]; then seeds+=("$shared"); break; fi
done
# libFuzzer takes seed files from directories only one level deep.
while IFS= read -r directory; do seeds+=("$directory"); done < <(
    for s in "${seeds[@]:1}"; do find "$s" -mindepth 1 -type d; done)

case $target in
    capture) max_len=300000 ;;  # room for a 256 KiB record plus headers
    *) max_len=70000 ;;         # one packet up to 65535 bytes and a bit
esac

# The Swift runtime's own backtracer would race libFuzzer's crash handler
# (and confuse ASan into false reports); let libFuzzer report crashes.
export SWIFT_BACKTRACE=enable=no
echo "fuzz.sh: $target for ${seconds}s, seeds: ${seeds[*]}" >&2
# -timeout: one input taking over 10 s is a hang. -rss_limit_mb: the reader
# must not let a file make it allocate without bound.
"$binary" "$build/corpus-$target" "${seeds[@]}" \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="Fuzz/crashes/$target-" -print_final_stats=1 "$@"
