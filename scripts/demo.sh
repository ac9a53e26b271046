#!/usr/bin/env bash
# Sets up skbsim on a fresh Debian machine and runs it on a sample capture:
# installs libpcap-dev if needed, builds, and runs `skbsim inspect`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-libpcap.sh
swift build -c release --product skbsim
./.build/release/skbsim inspect samples/tcp-handshake.pcap "$@"
