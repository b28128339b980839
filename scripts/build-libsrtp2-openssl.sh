#!/usr/bin/env bash
# Build libsrtp2 over OpenSSL as a static library in build/libsrtp2-openssl/, for
# uc_media._core, the C tests and the C benchmark loops to link.
#
# Why: Debian 12's libsrtp2 (2.5.0-3) is built with --enable-nss, and NSS creates a cipher
# context per packet (malloc, free and mutexes on the SRTP packet path) and is slower than
# libsrtp's OpenSSL backend (AES-NI AES-CM and AES-GCM, HMAC-SHA1 with reused contexts).
# pjsip and Chromium ship libsrtp over OpenSSL/BoringSSL for the same reason.
#
# The source is the distribution's own source package of the libsrtp2 it ships, fetched from
# the apt repository this machine already installs libsrtp2-1 from (so the same mirror and the
# same trusted keys), with a private apt state under build/: the system's apt configuration
# and package lists are untouched. apt verifies the index against the signed Release file,
# the .dsc's SHA-256 lines verify the tarballs. On Debian 12 that is libsrtp2 2.5.0-3.
# Idempotent: does nothing when the library is already built with this patch.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=$ROOT/build/libsrtp2-openssl
WORK=$ROOT/build/libsrtp2-src
# Our one change to libsrtp: HMAC-SHA1 without per-packet allocation (see the patch's note).
PATCH=$ROOT/scripts/libsrtp2-hmac-ossl-no-alloc.patch
STAMP=$PREFIX/.built-$(sha256sum "$PATCH" | cut -c1-12)
CONFIGURE_FLAGS=(--enable-openssl --disable-debug-logging --disable-log-stdout --disable-pcap)
CFLAGS_SRTP="-O2 -fPIC -D_REENTRANT"

if [ -f "$STAMP" ] && [ -f "$PREFIX/lib/libsrtp2.a" ]; then
  exit 0
fi

for tool in apt-get dpkg-source make cc; do
  command -v "$tool" >/dev/null || { echo "ucserver: $tool not found; run scripts/system-deps.sh (make system-deps)" >&2; exit 1; }
done
if ! pkg-config --exists libcrypto; then
  echo "ucserver: OpenSSL headers not found; install them: apt-get install libssl-dev" >&2
  exit 1
fi

# The repository that ships the binary package: "URI suite/component arch Packages".
repo=$(apt-cache madison libsrtp2-1 2>/dev/null | awk -F'|' '$3 ~ / Packages *$/ {print $3; exit}')
read -r repo_uri repo_dist _ <<<"$repo" || true
if [ -z "${repo_uri:-}" ] || [ -z "${repo_dist:-}" ]; then
  echo "ucserver: no apt repository offers libsrtp2-1 here; run apt-get update (or make system-deps)" >&2
  exit 1
fi

echo "ucserver: building libsrtp2 over OpenSSL into build/libsrtp2-openssl"
rm -rf "$WORK"
mkdir -p "$WORK/apt/lists/partial" "$WORK/apt/cache/archives/partial" "$WORK/apt/sources.list.d" "$WORK/download"

# The same repository as deb-src, in a source list of our own, with a private
# Dir::State::Lists / Dir::Cache: apt-get update against the system's lists directory with
# another source list would drop the system's binary package lists.
echo "deb-src $repo_uri ${repo_dist%%/*} ${repo_dist#*/}" >"$WORK/apt/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$WORK/apt/sources.list"
  -o "Dir::Etc::SourceParts=$WORK/apt/sources.list.d"
  -o "Dir::State::Lists=$WORK/apt/lists"
  -o "Dir::Cache=$WORK/apt/cache"
  -o APT::Sandbox::User=root
)
apt-get "${apt_opts[@]}" -qq update
(cd "$WORK/download" && apt-get "${apt_opts[@]}" -qq source --download-only libsrtp2)
dsc=$(cd "$WORK/download" && ls libsrtp2_*.dsc)
VERSION=$(sed -n 's/^Version: //p' "$WORK/download/$dsc")
case "$VERSION" in
  2.5.0-*) ;;
  *) echo "ucserver: libsrtp2 $VERSION here; $(basename "$PATCH") is for libsrtp 2.5.0" >&2; exit 1 ;;
esac

# apt checked the .dsc against the signed Release file's index; the .dsc's SHA-256 lines
# check the tarballs. dpkg-source then unpacks and applies Debian's patches (they touch only
# tests and docs in this version); its --no-check skips the maintainer's OpenPGP signature,
# which needs a maintainer keyring we do not have, and its own repeat of the checksums.
(cd "$WORK/download" && awk '/^Checksums-Sha256:/{f=1;next} /^[^ ]/{f=0} f&&NF==3{print $1"  "$3}' \
  "$dsc" | sha256sum --quiet --strict -c -)
(cd "$WORK" && dpkg-source --no-check -x "download/$dsc" src >/dev/null)

cd "$WORK/src"
patch -s -p1 <"$PATCH"
./configure -q --prefix="$PREFIX" "${CONFIGURE_FLAGS[@]}" CFLAGS="$CFLAGS_SRTP" >/dev/null
grep -q '^#define OPENSSL 1' crypto/include/config.h || { echo "ucserver: libsrtp2 configure did not select OpenSSL" >&2; exit 1; }
make -s -j"$(nproc)" libsrtp2.a >/dev/null
# libsrtp's own validation drivers (known answers for every cipher and auth function, the
# crypto kernel's self tests, SRTP/SRTCP vectors, replay and rollover), against the archive
# just built with our patch; the rtpw tests, which need sockets and timers, are left out.
make -s -j"$(nproc)" test >"$WORK/make-test.log" 2>&1 \
  || { echo "ucserver: building libsrtp2's tests failed; see $WORK/make-test.log" >&2; exit 1; }
for t in crypto/test/cipher_driver crypto/test/kernel_driver test/test_srtp test/rdbx_driver \
         test/srtp_driver test/roc_driver test/replay_driver; do
  args=(-v)
  [ "$t" = test/test_srtp ] && args=()
  "./$t" "${args[@]}" >"$WORK/$(basename "$t").log" 2>&1 \
    || { echo "ucserver: libsrtp2 self test $t failed; see $WORK/$(basename "$t").log" >&2; exit 1; }
done
rm -rf "$PREFIX"
make -s install >/dev/null   # headers into include/srtp2/, libsrtp2.a into lib/
printf '%s\n' "libsrtp2 $VERSION (source package from $repo_dist) + $(basename "$PATCH"), configure ${CONFIGURE_FLAGS[*]} CFLAGS=\"$CFLAGS_SRTP\"" \
  >"$PREFIX/BUILD-INFO"
touch "$STAMP"
echo "ucserver: libsrtp2 over OpenSSL ready in build/libsrtp2-openssl"
