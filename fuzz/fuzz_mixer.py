"""Fuzz AudioMixer with arbitrary frames, levels, shapes and call orders.

    python fuzz/fuzz_mixer.py -atheris_runs=20000

Mixers live across inputs, so selection and hangover state built by earlier inputs is
exercised too. Every successful tick is checked against the plain int64 sum, clamped. The
only acceptable exceptions are the documented MediaError subclasses; anything else (or a
crash in C) is a bug.
"""

import sys
from pathlib import Path

import atheris

# Test the tree this file is in, not whatever uc_media the interpreter would find first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with atheris.instrument_imports():
    import array

    import uc_media

FRAME_SAMPLES = 16
MAX_PARTICIPANTS = 8
MIXERS = [
    uc_media.AudioMixer(FRAME_SAMPLES, MAX_PARTICIPANTS, top_k=3, hangover_ticks=2, level_threshold=60),
    uc_media.AudioMixer(FRAME_SAMPLES, MAX_PARTICIPANTS, top_k=MAX_PARTICIPANTS, hangover_ticks=0,
                        level_threshold=127),
    uc_media.AudioMixer(FRAME_SAMPLES, MAX_PARTICIPANTS, top_k=2, limiter="soft", knee=1000),
]


def clamp(v: int) -> int:
    return max(-32768, min(32767, v))


def check_saturated(frames: array.array, out: array.array, talkers: tuple) -> None:
    for s in range(FRAME_SAMPLES):
        total = sum(frames[t * FRAME_SAMPLES + s] for t in talkers)
        assert out[s] == clamp(total)
        for j, t in enumerate(talkers):
            assert out[(1 + j) * FRAME_SAMPLES + s] == clamp(total - frames[t * FRAME_SAMPLES + s])


# The code under test is C (uc_media._core, built without sanitizer coverage), so atheris's
# Python coverage comes from this function's own branches, which follow what the C returned.
@atheris.instrument_func
def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    index = fdp.ConsumeIntInRange(0, len(MIXERS) - 1)
    mixer = MIXERS[index]
    op = fdp.ConsumeIntInRange(0, 5)
    n = fdp.ConsumeIntInRange(0, MAX_PARTICIPANTS + 1)
    # Mostly well-shaped calls, so the mixing is reached and checked; sometimes not.
    well_shaped = fdp.ConsumeProbability() < 0.8
    samples = n * FRAME_SAMPLES if well_shaped else fdp.ConsumeIntInRange(0, (n + 1) * FRAME_SAMPLES + 2)
    frames = array.array("h", fdp.ConsumeIntListInRange(samples, -32768, 32767))
    frames.extend([0] * (samples - len(frames)))
    levels = bytes(fdp.ConsumeIntListInRange(n, 0, 127)) if well_shaped else fdp.ConsumeBytes(n)
    rows = 1 + n if well_shaped else fdp.ConsumeIntInRange(0, MAX_PARTICIPANTS + 2)
    out = array.array("h", bytes(2 * rows * FRAME_SAMPLES))
    try:
        if op == 0:
            talkers = mixer.tick(frames, out, levels=levels)
        elif op == 1:
            talkers = mixer.tick(frames, out)
        elif op == 2:
            mixer.select(levels)
            talkers = mixer.mix(frames, out)
        elif op == 3:
            mixer.select_frames(frames)
            talkers = mixer.mix(frames, out)
        elif op == 4:
            mixer.forget(fdp.ConsumeIntInRange(-2, MAX_PARTICIPANTS + 1))
            return
        else:
            assert 0 <= uc_media.audio_level(fdp.ConsumeBytes(fdp.remaining_bytes())) <= 127
            return
    except uc_media.MediaError:
        return
    assert talkers == tuple(sorted(set(talkers))) and len(talkers) <= mixer.top_k
    assert all(0 <= t < len(frames) // FRAME_SAMPLES for t in talkers)
    if mixer.limiter == "saturate":
        check_saturated(frames, out, talkers)
    else:
        assert all(-32767 <= v <= 32767 for v in out[: (1 + len(talkers)) * FRAME_SAMPLES])


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
