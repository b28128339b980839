"""What every benchmark script shares: timing, building C reference loops, the JSON line.

Every figure is measured beside its reference in the same run and reported as a ratio;
`target()` computes `met` from the measurement, never by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "bench"
PKG_MODULES = ["opus", "libcrypto", "zlib", "spandsp", "speexdsp"]
# The static libsrtp2 over OpenSSL that uc_media._core links (scripts/build-libsrtp2-openssl.sh),
# so a C reference loop measures the same library as the binding.
LIBSRTP2_OPENSSL = ROOT / "build" / "libsrtp2-openssl"
LIBSRTP2_ARCHIVE = LIBSRTP2_OPENSSL / "lib" / "libsrtp2.a"


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Fastest wall time in seconds of `repeat` calls of fn (the least disturbed run)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def build_c(source: Path, extra_sources: tuple[Path, ...] = ()) -> Path:
    """Compile a C reference program (benchmarks/cref/*.c) at -O2, linked like the core."""
    BUILD.mkdir(parents=True, exist_ok=True)
    out = BUILD / source.stem
    srcs = [source, *extra_sources]
    if not LIBSRTP2_ARCHIVE.exists():
        sys.exit("benchmarks: libsrtp2 over OpenSSL not built; run: make setup (or scripts/build-libsrtp2-openssl.sh)")
    if out.exists() and all(out.stat().st_mtime > s.stat().st_mtime for s in (*srcs, LIBSRTP2_ARCHIVE)):
        return out
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", *PKG_MODULES],
                           check=True, capture_output=True, text=True).stdout.split()
    subprocess.run(["cc", "-std=gnu99", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{ROOT / 'csrc'}",
                    f"-I{LIBSRTP2_OPENSSL / 'include'}", "-o", str(out), *map(str, srcs),
                    str(LIBSRTP2_ARCHIVE), *flags, "-lm"], check=True)
    return out


def run_c(binary: Path, *args: str) -> dict:
    """Run a C reference program; it prints one JSON object on its last line."""
    out = subprocess.run([str(binary), *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def target(value: float, limit: float, text: str, *, higher_is_better: bool = False) -> dict:
    """A target entry: `met` is computed here from the measured value."""
    met = value >= limit if higher_is_better else value <= limit
    return {"value": round(value, 4), "target": text, "met": bool(met)}


def emit(figures: dict, targets: dict) -> None:
    """Print the last line every benchmark ends with."""
    sys.stdout.flush()
    print(json.dumps({"figures": figures, "targets": targets}))


def quick_flag() -> bool:
    return "--quick" in sys.argv[1:]


def cpu_count() -> int:
    return len(os.sched_getaffinity(0))
