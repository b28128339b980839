"""Audio mixer kernel: N-1 mixing through uc_media beside numpy doing the same computation.

    python benchmarks/kernel_mixer.py [--quick]

Unit: nanoseconds per participant-sample. One tick of a conference of N participants with
frames of F samples (F = 960: 20 ms at 48 kHz mono) has N x F participant-samples; a
figure is the best wall time of one tick divided by N x F. Measured for N = 4, 100, 1000:

- all_n: every participant is a talker (top_k = N): the int32 sum of all N frames, then
  each participant's N-1 mix (sum minus own frame, clamped to int16). `AudioMixer.mix`
  (selection done once beforehand) against numpy: `frames.sum(axis=0, dtype=int32)`,
  subtract each frame, clip, cast, into preallocated arrays.
- top_k: the production path: select K = 3 talkers from RFC 6464 levels (changing every
  tick), then mix only those (`AudioMixer.tick(frames, out, levels)`), against numpy doing
  the same (threshold, argsort for the 3 loudest, the same mix of 3). Still divided by
  N x F, so it shows what a whole conference tick costs per participant-sample.
- top_k_energy: the same without levels: the energy of every frame picks the 3 talkers
  (`AudioMixer.tick(frames, out)`), against numpy (einsum energies, argsort, the same mix).

The C kernel alone (benchmarks/cref/mixer_kernel.c: csrc/mixer.c called from C, and a
plain -O2 C loop doing the same all_n computation) is measured in the same run, to show
what the Python call costs on top.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import ROOT, best_of, build_c, emit, quick_flag, run_c, target  # noqa: E402
from uc_media import LEVEL_SILENT, AudioMixer  # noqa: E402

FRAME_SAMPLES = 960
SIZES = (4, 100, 1000)
TOP_K = 3
THRESHOLD = 50
TARGET_NS = 0.2


def ticks_for(n: int) -> int:
    """Ticks per timed batch: about 2 ms of mixing at 0.1 ns per participant-sample, so a
    batch is long against the clock and short against the scheduler's time slice."""
    return max(10, 2_000_000 // (n * FRAME_SAMPLES // 10))


def numpy_all_n(frames: np.ndarray, out: np.ndarray, wide: np.ndarray) -> None:
    total = frames.sum(axis=0, dtype=np.int32)
    np.clip(total, -32768, 32767, out=wide[0])
    np.subtract(total, frames, out=wide[1:])
    np.clip(wide[1:], -32768, 32767, out=wide[1:])
    out[...] = wide  # int32 -> int16, values already in range


def numpy_top_k(frames: np.ndarray, levels: np.ndarray, out: np.ndarray) -> None:
    talking = np.flatnonzero(levels <= THRESHOLD)
    talkers = np.sort(talking[np.argsort(levels[talking], kind="stable")[:TOP_K]])
    chosen = frames[talkers].astype(np.int32)
    total = chosen.sum(axis=0)
    out[0] = np.clip(total, -32768, 32767)
    out[1 : 1 + len(talkers)] = np.clip(total - chosen, -32768, 32767)


def numpy_top_k_energy(frames: np.ndarray, out: np.ndarray) -> None:
    energy = np.einsum("ij,ij->i", frames, frames, dtype=np.int64)
    talkers = np.sort(np.argsort(-energy, kind="stable")[:TOP_K])
    chosen = frames[talkers].astype(np.int32)
    total = chosen.sum(axis=0)
    out[0] = np.clip(total, -32768, 32767)
    out[1 : 1 + len(talkers)] = np.clip(total - chosen, -32768, 32767)


def measure(n: int, quick: bool, cref: Path) -> dict[str, float]:
    rng = np.random.default_rng(n)
    frames = rng.integers(-32768, 32768, (n, FRAME_SAMPLES), dtype=np.int16)
    samples = n * FRAME_SAMPLES
    ticks = ticks_for(n)
    repeat = 3 if quick else 7

    def per_sample(seconds: float) -> float:
        return seconds / ticks / samples * 1e9

    # all_n: every participant talks.
    everyone = AudioMixer(FRAME_SAMPLES, n, top_k=n, level_threshold=LEVEL_SILENT)
    everyone.select(bytes(n))
    out = np.empty((n + 1, FRAME_SAMPLES), np.int16)
    ref_out = np.empty_like(out)
    wide = np.empty((n + 1, FRAME_SAMPLES), np.int32)
    everyone.mix(frames, out)
    numpy_all_n(frames, ref_out, wide)
    assert np.array_equal(out, ref_out), "uc_media and numpy disagree on the all_n mix"

    def uc_all() -> None:
        for _ in range(ticks):
            everyone.mix(frames, out)

    def np_all() -> None:
        for _ in range(ticks):
            numpy_all_n(frames, ref_out, wide)

    # top_k: levels change every tick (a rotating set), selection runs before the mix.
    level_sets = [rng.integers(0, 128, n, dtype=np.uint8) for _ in range(16)]
    selecting = AudioMixer(FRAME_SAMPLES, n, top_k=TOP_K, hangover_ticks=0, level_threshold=THRESHOLD)
    k_out = np.empty((1 + TOP_K, FRAME_SAMPLES), np.int16)
    k_ref = np.zeros_like(k_out)
    for levels in level_sets:
        talkers = selecting.tick(frames, k_out, levels)
        numpy_top_k(frames, levels, k_ref)
        rows = 1 + len(talkers)
        assert np.array_equal(k_out[:rows], k_ref[:rows]), "uc_media and numpy disagree on the top_k mix"

    def uc_top() -> None:
        for t in range(ticks):
            selecting.tick(frames, k_out, level_sets[t & 15])

    def np_top() -> None:
        for t in range(ticks):
            numpy_top_k(frames, level_sets[t & 15], k_ref)

    # top_k_energy: no levels from the clients, so every frame is decoded and measured.
    by_energy = AudioMixer(FRAME_SAMPLES, n, top_k=TOP_K, hangover_ticks=0, level_threshold=LEVEL_SILENT)
    talkers = by_energy.tick(frames, k_out)
    numpy_top_k_energy(frames, k_ref)
    assert np.array_equal(k_out[: 1 + len(talkers)], k_ref[: 1 + len(talkers)]), "energy top_k disagrees"

    def uc_energy() -> None:
        for _ in range(ticks):
            by_energy.tick(frames, k_out)

    def np_energy() -> None:
        for _ in range(ticks):
            numpy_top_k_energy(frames, k_ref)

    c = run_c(cref, str(n), str(FRAME_SAMPLES), str(ticks), str(repeat))
    return {
        "all_n_uc_media": per_sample(best_of(uc_all, repeat)),
        "all_n_numpy": per_sample(best_of(np_all, repeat)),
        "all_n_c_kernel": c["all_n_ns_per_tick"] / samples,
        "all_n_plain_c": c["plain_c_ns_per_tick"] / samples,
        "top_k_uc_media": per_sample(best_of(uc_top, repeat)),
        "top_k_numpy": per_sample(best_of(np_top, repeat)),
        "top_k_c_kernel": c["top_k_ns_per_tick"] / samples,
        "top_k_energy_uc_media": per_sample(best_of(uc_energy, repeat)),
        "top_k_energy_numpy": per_sample(best_of(np_energy, repeat)),
    }


def run(quick: bool) -> tuple[dict, dict]:
    """Figures and targets of the mixer part of media_kernels (ns per participant-sample)."""
    cref = build_c(ROOT / "benchmarks" / "cref" / "mixer_kernel.c", (ROOT / "csrc" / "mixer.c",))
    figures: dict = {"mixer_unit": "ns per participant-sample (N x 960 samples per tick)"}
    targets: dict = {}
    for n in SIZES:
        m = measure(n, quick, cref)
        for name, value in m.items():
            figures[f"mixer_{name}_n{n}_ns"] = round(value, 4)
        figures[f"mixer_all_n_n{n}_uc_media_vs_numpy"] = round(m["all_n_uc_media"] / m["all_n_numpy"], 4)
        figures[f"mixer_all_n_n{n}_c_kernel_vs_plain_c"] = round(m["all_n_c_kernel"] / m["all_n_plain_c"], 4)
        figures[f"mixer_top_k_n{n}_uc_media_vs_numpy"] = round(m["top_k_uc_media"] / m["top_k_numpy"], 4)
        figures[f"mixer_top_k_energy_n{n}_uc_media_vs_numpy"] = round(
            m["top_k_energy_uc_media"] / m["top_k_energy_numpy"], 4)
        text = f"<= {TARGET_NS} ns per participant-sample"
        targets[f"mixer_n1_all_n_n{n}_ns_per_participant_sample"] = target(m["all_n_uc_media"], TARGET_NS, text)
        targets[f"mixer_n1_top_k_n{n}_ns_per_participant_sample"] = target(m["top_k_uc_media"], TARGET_NS, text)
    return figures, targets


if __name__ == "__main__":
    emit(*run(quick_flag()))
