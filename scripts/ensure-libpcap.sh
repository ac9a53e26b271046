#!/usr/bin/env bash
# Makes sure libpcap's development files are installed (Debian: libpcap-dev).
# Sourced by the other scripts; installs with apt-get only when pkg-config
# cannot find libpcap.
set -euo pipefail
if pkg-config --exists libpcap 2>/dev/null; then
    exit 0
fi
echo "skbsim: libpcap-dev is missing; installing it with apt-get" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq pkg-config libpcap-dev >/dev/null
pkg-config --exists libpcap
