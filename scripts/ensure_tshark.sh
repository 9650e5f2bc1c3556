#!/usr/bin/env bash
# The ASTERIX tests compare our decoder with Wireshark's dissector (Debian's tshark). Install it when missing.
set -euo pipefail
if command -v tshark >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure_tshark: tshark missing and no apt-get; the ASTERIX cross-check tests will fail" >&2
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "ensure_tshark: installing Debian's tshark"
$sudo apt-get update -qq
echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq tshark >/dev/null
