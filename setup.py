"""Build the compiled extensions from Cython over csrc/*.c: uc_media._core (the media
engine: every csrc/*.c but the SIP scanner and front), uc_signal._sipscan (signaling's SIP
scanner, csrc/sip_scan.c; no system libraries) and uc_signal._sipfront (the C front of SIP
over UDP, csrc/sip_front.c over the scanner; libcrypto).

System libraries are found with pkg-config; a missing one stops the build with one line
naming the Debian/Ubuntu package that provides it. libsrtp2 is the exception: it is linked
statically from build/libsrtp2-openssl/, libsrtp2 built over OpenSSL by
scripts/build-libsrtp2-openssl.sh (`make setup` runs it), because Debian's shared libsrtp2 is
built over NSS, which allocates and locks per packet (docs/dependencies.md).
"""

import glob
import os
import shlex
import subprocess
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# pkg-config module -> the Debian/Ubuntu package that ships its .pc file.
SYSTEM_LIBRARIES = {
    "opus": "libopus-dev",
    "libcrypto": "libssl-dev",
    "spandsp": "libspandsp-dev",
    "speexdsp": "libspeexdsp-dev",
    "zlib": "zlib1g-dev",
}

# libsrtp2 over OpenSSL, static, built by scripts/build-libsrtp2-openssl.sh.
LIBSRTP2_OPENSSL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "build", "libsrtp2-openssl")
LIBSRTP2_ARCHIVE = os.path.join(LIBSRTP2_OPENSSL, "lib", "libsrtp2.a")

# csrc/ files that belong to uc_signal._sipscan, not to the media engine.
SIP_SCAN_SOURCES = ["csrc/sip_scan.c"]
# csrc/ files of uc_signal._sipfront (the C front of SIP over UDP), over the scanner.
SIP_FRONT_SOURCES = ["csrc/sip_front.c", "csrc/sip_digest.c", "csrc/sip_nonce.c"]

# The C core must compile clean under these; see docs/architecture.md.
STRICT_CFLAGS = ["-std=gnu99", "-O2", "-Wall", "-Wextra", "-Werror"]


def pkg_config(*args: str) -> list[str]:
    try:
        out = subprocess.run(["pkg-config", *args], check=True, capture_output=True, text=True)
    except FileNotFoundError:
        sys.exit("ucserver build: pkg-config not found; install it: apt-get install pkg-config")
    return shlex.split(out.stdout)


def system_library_flags() -> tuple[list[str], list[str]]:
    for module, package in SYSTEM_LIBRARIES.items():
        if subprocess.run(["pkg-config", "--exists", module]).returncode != 0:
            sys.exit(f"ucserver build: system library '{module}' not found; install it: apt-get install {package}")
    modules = list(SYSTEM_LIBRARIES)
    return pkg_config("--cflags", *modules), pkg_config("--libs", *modules)


def libsrtp2_openssl_flags() -> tuple[list[str], list[str]]:
    """Include and link flags for the static libsrtp2 over OpenSSL. Debian's shared libsrtp2
    (NSS) is deliberately not a fallback: it allocates and locks on the packet path."""
    if not os.path.isfile(LIBSRTP2_ARCHIVE):
        sys.exit("ucserver build: libsrtp2 over OpenSSL not built; run: make setup (or scripts/build-libsrtp2-openssl.sh)")
    # Its headers first, so <srtp2/srtp.h> is the one the archive was built from; its symbols
    # hidden in _core (--exclude-libs), so a system libsrtp2 loaded in the same process can
    # neither interpose on ours nor be interposed on.
    return [f"-I{os.path.join(LIBSRTP2_OPENSSL, 'include')}"], [LIBSRTP2_ARCHIVE, "-Wl,--exclude-libs,ALL"]


def core_extension() -> Extension:
    srtp_cflags, srtp_libs = libsrtp2_openssl_flags()
    cflags, libs = system_library_flags()
    cflags, libs = srtp_cflags + cflags, srtp_libs + libs
    return Extension(
        "uc_media._core",
        sources=["uc_media/_core.pyx",
                 *sorted(set(glob.glob("csrc/*.c")) - set(SIP_SCAN_SOURCES) - set(SIP_FRONT_SOURCES))],
        include_dirs=["csrc"],
        # Rebuild when a header or the libsrtp2 archive changes, not only a .c file.
        depends=[*sorted(glob.glob("csrc/*.h")), LIBSRTP2_ARCHIVE],
        extra_compile_args=cflags + ["-O2"],
        extra_link_args=libs,
    )


def sip_scan_extension() -> Extension:
    return Extension(
        "uc_signal._sipscan",
        sources=["uc_signal/_sipscan.pyx", *SIP_SCAN_SOURCES],
        include_dirs=["csrc"],
        depends=["csrc/sip_scan.h", "csrc/uc_errors.h"],
        extra_compile_args=["-O2"],
    )


def sip_front_extension() -> Extension:
    """The C front of SIP over UDP: the scanner again (its own copy) and HMAC-SHA256 from
    OpenSSL's libcrypto for the digest nonces."""
    if subprocess.run(["pkg-config", "--exists", "libcrypto"]).returncode != 0:
        sys.exit(f"ucserver build: system library 'libcrypto' not found; install it: apt-get install {SYSTEM_LIBRARIES['libcrypto']}")
    return Extension(
        "uc_signal._sipfront",
        sources=["uc_signal/_sipfront.pyx", *SIP_FRONT_SOURCES, *SIP_SCAN_SOURCES],
        include_dirs=["csrc"],
        depends=["csrc/sip_front.h", "csrc/sip_digest.h", "csrc/sip_nonce.h", "csrc/sip_scan.h", "csrc/uc_errors.h"],
        extra_compile_args=pkg_config("--cflags", "libcrypto") + ["-O2"],
        extra_link_args=pkg_config("--libs", "libcrypto"),
    )


class build_ext_strict(build_ext):
    """Compile csrc/*.c with the strict warning set; Cython's generated C keeps the defaults
    because its output is not ours to warn about."""

    def build_extension(self, ext):
        original = self.compiler._compile

        def compile_one(obj, src, ext_name, cc_args, extra_postargs, pp_opts):
            extra = list(extra_postargs)
            if os.path.basename(os.path.dirname(os.path.abspath(src))) == "csrc":
                extra += STRICT_CFLAGS
            return original(obj, src, ext_name, cc_args, extra, pp_opts)

        self.compiler._compile = compile_one
        try:
            super().build_extension(ext)
        finally:
            self.compiler._compile = original


setup(
    ext_modules=cythonize(
        [core_extension(), sip_scan_extension(), sip_front_extension()],
        compiler_directives={"language_level": "3", "embedsignature": True},
        include_path=["uc_media"],
    ),
    cmdclass={"build_ext": build_ext_strict},
)
