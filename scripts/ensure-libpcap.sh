#!/usr/bin/env bash
# Makes sure the C libraries' development files are installed (Debian:
# libpcap-dev; libsqlite3-dev for trace --format sqlite). Sourced by the
# other scripts; installs with apt-get only when pkg-config cannot find one.
set -euo pipefail
if pkg-config --exists libpcap 2>/dev/null && pkg-config --exists sqlite3 2>/dev/null; then
    exit 0
fi
echo "skbsim: libpcap-dev or libsqlite3-dev is missing; installing them with apt-get" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq pkg-config libpcap-dev libsqlite3-dev >/dev/null
pkg-config --exists libpcap && pkg-config --exists sqlite3
