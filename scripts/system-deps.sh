#!/usr/bin/env bash
# Install what a fresh Debian/Ubuntu machine lacks to build, run and test ucserver:
# the C libraries the media core links, the toolchain, and the real peers the tests use.
# Runs apt only for packages that are missing; without root it names them and stops.
set -euo pipefail

# libsrtp2 is not among them: scripts/build-libsrtp2-openssl.sh builds it over OpenSSL from
# the distribution's source package (libssl-dev, dpkg-dev and patch for that).
packages=(
  build-essential pkg-config python3-venv python3-dev
  libopus-dev libspandsp-dev libspeexdsp-dev
  libssl-dev zlib1g-dev dpkg-dev patch
  ffmpeg sip-tester kamailio coturn baresip linphone-cli sipsak
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "ucserver: missing system packages: ${missing[*]}" >&2
  echo "ucserver: run as root, or install them: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "ucserver: installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The daemons come with system services enabled; the tests start their own on loopback.
for svc in kamailio coturn; do
  systemctl disable --now "$svc" >/dev/null 2>&1 || service "$svc" stop >/dev/null 2>&1 || true
done
