"""Build the one compiled extension, uc_media._core, from Cython over csrc/*.c.

System libraries are found with pkg-config; a missing one stops the build with one line
naming the Debian/Ubuntu package that provides it.
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
    "libsrtp2": "libsrtp2-dev",
    "spandsp": "libspandsp-dev",
    "speexdsp": "libspeexdsp-dev",
    "libcrypto": "libssl-dev",
    "zlib": "zlib1g-dev",
}

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


def core_extension() -> Extension:
    cflags, libs = system_library_flags()
    return Extension(
        "uc_media._core",
        sources=["uc_media/_core.pyx", *sorted(glob.glob("csrc/*.c"))],
        include_dirs=["csrc"],
        # Rebuild when a header changes, not only a .c file.
        depends=sorted(glob.glob("csrc/*.h")),
        extra_compile_args=cflags + ["-O2"],
        extra_link_args=libs,
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
        [core_extension()],
        compiler_directives={"language_level": "3", "embedsignature": True},
        include_path=["uc_media"],
    ),
    cmdclass={"build_ext": build_ext_strict},
)
