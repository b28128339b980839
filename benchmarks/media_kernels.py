"""Media kernels side by side with their references, in one run.

    python benchmarks/media_kernels.py [--quick]

- mixer: ns per participant-sample for the N-1 mix at N = 4, 100, 1000 vs numpy;
- SRTP: us/packet for 160 B and 1200 B via uc_media (single and batch) vs a plain C loop
  over libsrtp vs pylibsrtp;
- Opus: us per 20 ms frame via uc_media vs a plain C loop over libopus vs opuslib vs PyAV.

Each part lives in its own module (kernel_*.py, runnable alone); this script runs them in
one process and prints their figures and targets as one JSON line.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import kernel_mixer, kernel_opus, kernel_srtp  # noqa: E402
from benchmarks._common import emit, quick_flag  # noqa: E402


def main() -> None:
    quick = quick_flag()
    figures: dict = {}
    targets: dict = {}
    for name, part in (("mixer", kernel_mixer), ("srtp", kernel_srtp), ("opus", kernel_opus)):
        part_figures, part_targets = part.run(quick)
        figures[name] = part_figures
        targets.update(part_targets)
    emit(figures, targets)


if __name__ == "__main__":
    main()
