#!/usr/bin/env bash
# Builds and runs one libFuzzer harness from Fuzz/ for a number of seconds.
#
#   bash scripts/fuzz.sh TARGET SECONDS [extra libFuzzer flags…]
#
# TARGET is a folder of Fuzz/: `capture` (bytes as a pcap/pcapng file through
# CaptureReader and libpcap, every packet decoded), `decode` (bytes as one
# packet through HeaderDecoder for every link type) or `skbops` (bytes as a
# sequence of sk_buff operations on SkbSim, checked after every step). The
# capture and decode harnesses are compiled with the Capture sources into one
# module; skbops imports the KernelMemory, Trace, Capture and SkbModel
# modules, each compiled from Sources/ into its own object and module file.
# Everything is built by swiftc -sanitize=fuzzer,address (no SwiftPM target,
# so `swift build` never needs fuzzer support) into .build-fuzz/.
#
# Seeds: samples/ plus the libpcap test captures in ../shared/corpus-libpcap
# (or ../../shared/corpus-libpcap from a worktree) when present. The working
# corpus grows in .build-fuzz/corpus-TARGET; crashes, leaks and timeouts are
# written to Fuzz/crashes/ and make the script exit non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 2 ]]; then
    echo "usage: $0 capture|decode|skbops SECONDS [libFuzzer flags…]" >&2
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

# Modules a harness imports, in dependency order (none: the harness is
# compiled into one module with the Capture sources).
case $target in
    skbops) modules=(KernelMemory Trace Capture SkbModel) ;;
    *) modules=() ;;
esac
inputs=("Fuzz/$target" Sources/Capture Sources/CPcap Sources/CMappedFile scripts/fuzz.sh)
for m in "${modules[@]}"; do inputs+=("Sources/$m"); done

# Rebuild when the harness, a source it is built from or this script is newer than the binary.
if [[ ! -x "$binary" ]] || [[ -n "$(find "${inputs[@]}" -newer "$binary" -print -quit)" ]]; then
    echo "fuzz.sh: building $binary" >&2
    # lld: gold warns about every ASan helper symbol it cannot export.
    # -package-name: as SwiftPM passes it, for `package` declarations across modules.
    common=(-sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6 -package-name skbsim
            -I Sources/CPcap -I Sources/CMappedFile/include -module-cache-path "$build/module-cache")
    # Capture reads files through CMappedFile's C stream: one object, instrumented alike.
    clang -fsanitize=fuzzer-no-link,address -O1 -g -I Sources/CMappedFile/include \
        -c Sources/CMappedFile/mapped_file.c -o "$build/mapped_file.o"
    if [[ ${#modules[@]} -eq 0 ]]; then
        mapfile -t sources < <(find Sources/Capture "Fuzz/$target" -name '*.swift' | sort)
        swiftc "${common[@]}" -use-ld=lld -module-name "Fuzz_$target" -lpcap \
            "${sources[@]}" "$build/mapped_file.o" -o "$binary"
    else
        # One object per module (whole-module, coverage-instrumented), then the harness.
        modules_dir="$build/modules-$target"
        mkdir -p "$modules_dir"
        objects=("$build/mapped_file.o")
        for m in "${modules[@]}"; do
            mapfile -t sources < <(find "Sources/$m" -name '*.swift' | sort)
            swiftc "${common[@]}" -I "$modules_dir" -c -wmo -num-threads 0 -module-name "$m" \
                -emit-module-path "$modules_dir/$m.swiftmodule" "${sources[@]}" -o "$modules_dir/$m.o"
            objects+=("$modules_dir/$m.o")
        done
        mapfile -t sources < <(find "Fuzz/$target" -name '*.swift' | sort)
        swiftc "${common[@]}" -I "$modules_dir" -use-ld=lld -module-name "Fuzz_$target" -lpcap \
            "${sources[@]}" "${objects[@]}" -o "$binary"
    fi
fi

seeds=()
if [[ $target != skbops ]]; then  # skbops inputs are operation sequences, not captures
    seeds=("samples")
    for shared in ../shared/corpus-libpcap ../../shared/corpus-libpcap; do
        if [[ -d "$shared" ]]; then seeds+=("$shared"); break; fi
    done
    # libFuzzer takes seed files from directories only one level deep.
    while IFS= read -r directory; do seeds+=("$directory"); done < <(
        for s in "${seeds[@]:1}"; do find "$s" -mindepth 1 -type d; done)
fi

case $target in
    capture) max_len=300000 ;;  # room for a 256 KiB record plus headers
    skbops) max_len=4096 ;;     # up to the harness's 400 operations
    *) max_len=70000 ;;         # one packet up to 65535 bytes and a bit
esac

# The Swift runtime's own backtracer would race libFuzzer's crash handler
# (and confuse ASan into false reports); let libFuzzer report crashes.
export SWIFT_BACKTRACE=enable=no
echo "fuzz.sh: $target for ${seconds}s, seeds: ${seeds[*]}" >&2
# -timeout: one input taking over 10 s is a hang. -rss_limit_mb: the reader
# must not let a file make it allocate without bound.
extra=()
# skbops: long inputs from the start (libFuzzer would otherwise creep up from
# a few bytes, i.e. a handful of operations, for minutes).
if [[ $target == skbops ]]; then extra+=(-len_control=0); fi
"$binary" "$build/corpus-$target" "${seeds[@]}" "${extra[@]}" \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="Fuzz/crashes/$target-" -print_final_stats=1 "$@"
