#!/usr/bin/env bash
# Sets up skbsim on a fresh Debian machine and runs it on a sample capture:
# installs libpcap-dev if needed, builds, shows the first packets of a TCP
# conversation with their skbs, then runs a bulk flow through the model with GRO.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-libpcap.sh
swift build -c release --product skbsim
./.build/release/skbsim inspect --skb -c 3 samples/tcp-handshake.pcap
./.build/release/skbsim stats --gro samples/tcp-bulk.pcap
