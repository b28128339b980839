"""AudioMixer: N-1 mixes against a numpy reference, no wraparound, top-K selection, hangover."""

from __future__ import annotations

import array
import math
import sys
import threading
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from uc_media import (
    LEVEL_SILENT,
    AudioMixer,
    BufferTooSmallError,
    InvalidArgumentError,
    StateError,
    audio_level,
)

INT16 = st.integers(-32768, 32767)
LEVELS = st.integers(0, 127)


def frames_strategy(
    max_n: int = 12, max_fs: int = 48, elements: st.SearchStrategy[int] = INT16
) -> st.SearchStrategy[np.ndarray]:
    shape = st.tuples(st.integers(1, max_n), st.integers(1, max_fs))
    return shape.flatmap(lambda s: hnp.arrays(np.int16, s, elements=elements))


def reference_mix(frames: np.ndarray, talkers: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The shared mix and the N-1 mixes as numpy computes them: int64 sum, clip."""
    total = frames[list(talkers)].astype(np.int64).sum(axis=0)
    shared = np.clip(total, -32768, 32767).astype(np.int16)
    n1 = np.clip(total[None, :] - frames[list(talkers)], -32768, 32767).astype(np.int16)
    return shared, n1


def reference_soft(v: np.ndarray, knee: int) -> np.ndarray:
    """The soft knee in float64: identity up to the knee, span*u/(u+span) above it."""
    a = np.abs(v).astype(np.float64)
    span = 32767.0 - knee
    u = a - knee
    y = np.where(u > 0, knee + span * u / (np.maximum(u, 0) + span), a)
    return np.sign(v) * y


def loudest(levels: list[int], k: int, threshold: int) -> tuple[int, ...]:
    """The K loudest slots at or above the threshold, ties to the lower slot (no history)."""
    ranked = sorted((lv, i) for i, lv in enumerate(levels) if lv <= threshold)
    return tuple(sorted(i for _, i in ranked[:k]))


class SelectionModel:
    """A plain-Python statement of the selection rules, to check the C state machine:
    talking means level <= threshold; a selected talker that falls quiet stays a candidate
    for `hangover` ticks, ranked by the level it last talked at; louder first, then the
    incumbent, then the lower slot."""

    def __init__(self, k: int, hangover: int, threshold: int) -> None:
        self.k, self.hangover, self.threshold = k, hangover, threshold
        self.selected: set[int] = set()
        self.quiet: dict[int, float] = {}
        self.held: dict[int, int] = {}

    def select(self, levels: list[int]) -> tuple[int, ...]:
        candidates = []
        for i, lv in enumerate(levels):
            if lv <= self.threshold:
                self.quiet[i] = 0
                self.held[i] = lv
            else:
                self.quiet[i] = self.quiet.get(i, math.inf) + 1
                if not (i in self.selected and self.quiet[i] <= self.hangover):
                    continue
            candidates.append((self.held[i], i not in self.selected, i))
        self.selected = {i for _, _, i in sorted(candidates)[: self.k]}
        return tuple(sorted(self.selected))


# ---- mixing ------------------------------------------------------------------------------


@given(frames=frames_strategy())
def test_n1_mix_of_all_participants_equals_numpy(frames: np.ndarray) -> None:
    n, fs = frames.shape
    mixer = AudioMixer(fs, n, top_k=n, level_threshold=LEVEL_SILENT)
    out = np.full((n + 1, fs), 12345, np.int16)
    talkers = mixer.tick(frames, out, levels=bytes(n))
    assert talkers == tuple(range(n))
    shared, n1 = reference_mix(frames, talkers)
    np.testing.assert_array_equal(out[0], shared)
    np.testing.assert_array_equal(out[1:], n1)


@given(frames=frames_strategy(), data=st.data())
def test_top_k_mix_reads_only_talkers(frames: np.ndarray, data: st.DataObject) -> None:
    n, fs = frames.shape
    k = data.draw(st.integers(1, n))
    levels = data.draw(st.lists(LEVELS, min_size=n, max_size=n))
    mixer = AudioMixer(fs, n, top_k=k, level_threshold=90)
    talkers = mixer.select(bytes(levels))
    assert talkers == loudest(levels, k, 90)
    # Rows of non-talkers are never decoded in the pre-decode flow: whatever they hold
    # must not reach the output.
    frames = frames.copy()
    for i in set(range(n)) - set(talkers):
        frames[i] = 32767
    out = np.zeros((1 + k, fs), np.int16)
    assert mixer.mix(frames, out) == talkers
    shared, n1 = reference_mix(frames, talkers)
    np.testing.assert_array_equal(out[0], shared if talkers else 0)
    np.testing.assert_array_equal(out[1 : 1 + len(talkers)], n1)


EXTREME = st.sampled_from([-32768, -32767, 32767, 32766, 0, -1, 1])


@given(frames=frames_strategy(max_n=40, elements=EXTREME))
def test_saturated_output_never_wraps(frames: np.ndarray) -> None:
    n, fs = frames.shape
    mixer = AudioMixer(fs, n, top_k=n, level_threshold=LEVEL_SILENT)
    out = np.zeros((n + 1, fs), np.int16)
    mixer.tick(frames, out, levels=bytes(n))
    total = frames.astype(np.int64).sum(axis=0)
    # Saturation means: the output has the sign of the true sum and is the clipped value.
    np.testing.assert_array_equal(out[0], np.clip(total, -32768, 32767))
    np.testing.assert_array_equal(out[1:], np.clip(total - frames, -32768, 32767))


@given(frames=frames_strategy(max_n=40, elements=EXTREME), knee=st.integers(1, 32766))
def test_soft_knee_never_wraps_and_follows_its_curve(frames: np.ndarray, knee: int) -> None:
    n, fs = frames.shape
    mixer = AudioMixer(fs, n, top_k=n, level_threshold=LEVEL_SILENT, limiter="soft", knee=knee)
    out = np.zeros((n + 1, fs), np.int16)
    mixer.tick(frames, out, levels=bytes(n))
    total = frames.astype(np.int64).sum(axis=0)
    for got, want in ((out[0], total), (out[1:], total - frames)):
        assert np.all(np.abs(got.astype(np.int64)) <= 32767)
        np.testing.assert_array_equal(np.sign(got), np.sign(want))
        # float32 in C, float64 here: within one step of truncation.
        assert np.all(np.abs(got - reference_soft(want, knee)) <= 1.0 + 1e-6)
        small = np.abs(want) <= knee
        np.testing.assert_array_equal(got[small], want[small])


def test_soft_knee_is_monotonic_across_its_range() -> None:
    sums = np.arange(-12 * 32768, 12 * 32767, 331, dtype=np.int64)
    n = 12
    frames = np.zeros((n, sums.size), np.int16)
    rest = sums.copy()
    for i in range(n):  # spread each sum over the participants, each within int16
        part = np.clip(rest, -32768, 32767)
        frames[i] = part
        rest -= part
    mixer = AudioMixer(sums.size, n, top_k=n, level_threshold=LEVEL_SILENT, limiter="soft", knee=16384)
    out = np.zeros((n + 1, sums.size), np.int16)
    mixer.tick(frames, out, levels=bytes(n))
    assert np.all(np.diff(out[0].astype(np.int64)) >= 0)
    assert -32767 <= out[0].min() < -32000 and 32000 < out[0].max() <= 32767


def test_lone_talker_hears_silence_and_no_talker_gives_silence() -> None:
    mixer = AudioMixer(8, 3, hangover_ticks=0)
    frames = np.arange(24, dtype=np.int16).reshape(3, 8) * 100
    out = np.full((4, 8), 7, np.int16)
    assert mixer.tick(frames, out, levels=[127, 5, 127]) == (1,)
    np.testing.assert_array_equal(out[0], frames[1])
    np.testing.assert_array_equal(out[1], 0)
    assert mixer.tick(frames, out, levels=[127, 127, 127]) == ()
    np.testing.assert_array_equal(out[0], 0)


# ---- selection ---------------------------------------------------------------------------


@given(levels=st.lists(LEVELS, min_size=1, max_size=64), k=st.integers(1, 8), threshold=LEVELS)
def test_selection_picks_the_k_loudest_levels(levels: list[int], k: int, threshold: int) -> None:
    n = len(levels)
    mixer = AudioMixer(4, n, top_k=min(k, n), level_threshold=threshold)
    assert mixer.select(bytes(levels)) == loudest(levels, min(k, n), threshold)
    assert mixer.talkers == loudest(levels, min(k, n), threshold)
    assert mixer.levels == bytes(levels)


@given(gains=st.lists(st.integers(0, 14), min_size=1, max_size=16, unique=True), k=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_selection_from_energy_picks_the_k_loudest_frames(gains: list[int], k: int, seed: int) -> None:
    # Frames at distinct attenuations (6 dB steps) have distinct energies.
    fs = 160
    noise = np.random.default_rng(seed).integers(-32768, 32767, fs).astype(np.int64)
    frames = np.stack([(noise >> g).astype(np.int16) for g in gains])
    n = len(gains)
    mixer = AudioMixer(fs, n, top_k=min(k, n), level_threshold=LEVEL_SILENT)
    energy = (frames.astype(np.int64) ** 2).sum(axis=1)
    want = tuple(sorted(np.argsort(-energy, kind="stable")[: min(k, n)].tolist()))
    assert mixer.select_frames(frames) == want
    assert list(mixer.levels) == [audio_level(f) for f in frames]


@given(data=st.data(), n=st.integers(1, 10), k=st.integers(1, 4), hangover=st.integers(0, 6), threshold=st.integers(20, 100))
def test_selection_follows_the_model_over_many_ticks(data: st.DataObject, n: int, k: int, hangover: int, threshold: int) -> None:
    k = min(k, n)
    mixer = AudioMixer(4, n, top_k=k, hangover_ticks=hangover, level_threshold=threshold)
    model = SelectionModel(k, hangover, threshold)
    # Levels near the threshold and in a few bands, so ties, pauses and comebacks happen.
    level = st.sampled_from([5, 10, threshold - 1, threshold, threshold + 1, 127])
    ticks = data.draw(st.lists(st.lists(level, min_size=n, max_size=n), min_size=1, max_size=30))
    for levels in ticks:
        assert mixer.select(bytes(levels)) == model.select(levels)


@pytest.mark.parametrize("hangover", [0, 1, 2, 7, 25])
def test_hangover_keeps_a_quiet_talker_for_exactly_the_configured_ticks(hangover: int) -> None:
    mixer = AudioMixer(4, 3, top_k=3, hangover_ticks=hangover, level_threshold=50)
    assert mixer.select([20, 127, 127]) == (0,)
    for _ in range(hangover):
        assert mixer.select([90, 127, 127]) == (0,)
    assert mixer.select([90, 127, 127]) == ()
    assert mixer.select([90, 127, 127]) == ()


@given(hangover=st.integers(0, 30), talk=st.integers(1, 5))
def test_hangover_from_frames(hangover: int, talk: int) -> None:
    fs = 80
    loud = (np.sin(np.arange(fs) / 3.0) * 8000).astype(np.int16)
    quiet = np.zeros(fs, np.int16)
    mixer = AudioMixer(fs, 2, top_k=1, hangover_ticks=hangover, level_threshold=50)
    for _ in range(talk):
        assert mixer.select_frames(np.stack([quiet, loud])) == (1,)
    for _ in range(hangover):
        assert mixer.select_frames(np.stack([quiet, quiet])) == (1,)
    assert mixer.select_frames(np.stack([quiet, quiet])) == ()


def test_forget_and_shrinking_n_drop_a_slots_hangover() -> None:
    mixer = AudioMixer(4, 4, hangover_ticks=10)
    assert mixer.select([10, 127, 127, 20]) == (0, 3)
    assert mixer.select([127, 127, 127]) == (0,)  # slot 3 left: forgotten, not in hangover
    assert mixer.select([127, 127, 127, 127]) == (0,)
    mixer.forget(0)
    assert mixer.talkers == ()
    assert mixer.select([127, 127, 127, 127]) == ()
    with pytest.raises(InvalidArgumentError):
        mixer.forget(4)
    with pytest.raises(InvalidArgumentError):
        mixer.forget(2**64)


# ---- levels ------------------------------------------------------------------------------


@given(frame=hnp.arrays(np.int16, st.integers(1, 960), elements=INT16))
def test_audio_level_is_rms_in_dbov_rounded(frame: np.ndarray) -> None:
    mean_square = float((frame.astype(np.float64) ** 2).mean())
    level = audio_level(frame)
    if mean_square == 0.0:
        assert level == 127
        return
    dbov = -10.0 * math.log10(mean_square / 32768.0**2)
    assert level == min(127, max(0, math.floor(dbov + 0.5))) or abs((dbov + 0.5) - round(dbov + 0.5)) < 1e-9


def test_audio_level_of_known_signals() -> None:
    t = np.arange(960)
    assert audio_level(np.zeros(960, np.int16)) == 127
    assert audio_level(np.full(960, -32768, np.int16)) == 0
    assert audio_level((np.sin(t * 2 * np.pi / 48) * 32767).round().astype(np.int16)) == 3
    assert audio_level(array.array("h", [100] * 160)) == 50  # 20*log10(32768/100) = 50.3
    assert audio_level(b"") == 127


# ---- buffers and errors ------------------------------------------------------------------


def test_any_int16_buffer_is_accepted_without_numpy() -> None:
    fs = 4
    frames = array.array("h", [1000, -1000, 30000, 30000, 2000, 2000, 30000, -32768])
    out = bytearray(2 * fs * 3)
    mixer = AudioMixer(fs, 2, top_k=2, level_threshold=LEVEL_SILENT)
    assert mixer.tick(frames, out, levels=b"\x00\x00") == (0, 1)
    got = array.array("h", bytes(out))
    assert got.tolist() == [3000, 1000, 32767, -2768, 2000, 2000, 30000, -32768, 1000, -1000, 30000, 30000]


@pytest.mark.parametrize(
    "frames, out, levels, error",
    [
        (np.zeros((3, 8), np.int32), np.zeros((4, 8), np.int16), None, InvalidArgumentError),
        (np.zeros((3, 7), np.int16), np.zeros((4, 8), np.int16), None, InvalidArgumentError),
        (np.zeros((3, 16), np.int16)[:, ::2], np.zeros((4, 8), np.int16), None, InvalidArgumentError),
        (np.zeros((3, 8), ">i2"), np.zeros((4, 8), np.int16), None, InvalidArgumentError),
        (np.zeros((5, 8), np.int16), np.zeros((6, 8), np.int16), None, InvalidArgumentError),
        ([[0] * 8] * 3, np.zeros((4, 8), np.int16), None, InvalidArgumentError),
        (np.zeros((3, 8), np.int16), np.zeros((3, 8), np.int16), None, BufferTooSmallError),
        (np.zeros((3, 8), np.int16), bytes(64), None, InvalidArgumentError),
        (np.zeros((3, 8), np.int16), np.zeros((4, 8), np.int16), b"\x00\x00", InvalidArgumentError),
        (np.zeros((3, 8), np.int16), np.zeros((4, 8), np.int16), b"\x00\x80\x00", InvalidArgumentError),
        (np.zeros((3, 8), np.int16), np.zeros((4, 8), np.int16), [0, 1, 256], InvalidArgumentError),
        (np.zeros((3, 8), np.int16), np.zeros((4, 8), np.int16), np.zeros(3, np.int64), InvalidArgumentError),
    ],
)
def test_bad_buffers_raise_specific_errors(frames: Any, out: Any, levels: Any, error: type[Exception]) -> None:
    mixer = AudioMixer(8, 4)
    with pytest.raises(error):
        mixer.tick(frames, out, levels=levels)


def test_a_rejected_tick_leaves_the_selection_as_it_was() -> None:
    mixer = AudioMixer(8, 3)
    assert mixer.select([10, 127, 20]) == (0, 2)
    with pytest.raises(InvalidArgumentError):
        mixer.select([10, 200, 20])
    assert mixer.talkers == (0, 2)


def test_mix_needs_a_selection_for_the_same_participants() -> None:
    mixer = AudioMixer(8, 3)
    out = np.zeros((4, 8), np.int16)
    with pytest.raises(StateError):
        mixer.mix(np.zeros((0, 8), np.int16), out)
    mixer.select([10, 20, 30])
    with pytest.raises(InvalidArgumentError):
        mixer.mix(np.zeros((2, 8), np.int16), out)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"frame_samples": 0, "max_participants": 3},
        {"frame_samples": 960, "max_participants": 0},
        {"frame_samples": 960, "max_participants": 3, "top_k": 4},
        {"frame_samples": 960, "max_participants": 3, "top_k": 0},
        {"frame_samples": 960, "max_participants": 3, "hangover_ticks": -1},
        {"frame_samples": 960, "max_participants": 3, "level_threshold": 128},
        {"frame_samples": 960, "max_participants": 3, "limiter": "clip"},
        {"frame_samples": 960, "max_participants": 3, "limiter": "soft", "knee": 32767},
        {"frame_samples": 960, "max_participants": 70000},
        {"frame_samples": 2**70, "max_participants": 3},
        {"frame_samples": 960, "max_participants": 3, "knee": -(2**70)},
        {"frame_samples": 960.0, "max_participants": 3},
    ],
)
def test_bad_configuration_is_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidArgumentError):
        AudioMixer(**kwargs)  # type: ignore[arg-type]  # deliberately out of range


def test_configuration_is_readable() -> None:
    mixer = AudioMixer(960, 100, top_k=4, hangover_ticks=9, level_threshold=60, limiter="soft", knee=20000)
    assert (mixer.frame_samples, mixer.max_participants, mixer.top_k) == (960, 100, 4)
    assert (mixer.hangover_ticks, mixer.level_threshold, mixer.limiter, mixer.knee) == (9, 60, "soft", 20000)


def test_threads_sharing_a_mixer_get_results_or_state_errors() -> None:
    # The GIL is released during the C call; a second thread entering the same mixer
    # meanwhile must be refused, not allowed to race the C state.
    n, fs = 512, 960  # a long enough C call for the threads to overlap
    frames = np.random.default_rng(7).integers(-3000, 3000, (n, fs), dtype=np.int16)
    levels = np.random.default_rng(8).integers(0, 128, n, dtype=np.uint8)
    mixer = AudioMixer(fs, n, top_k=n, level_threshold=LEVEL_SILENT)
    unexpected: list[BaseException] = []

    def work() -> None:
        out = np.empty((n + 1, fs), np.int16)
        for _ in range(100):
            try:
                mixer.tick(frames, out, levels)
            except StateError:
                pass
            except BaseException as exc:  # noqa: BLE001 - any other error is the failure
                unexpected.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so entries collide
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        sys.setswitchinterval(interval)
    assert not unexpected
    out = np.empty((n + 1, fs), np.int16)
    talkers = mixer.tick(frames, out, levels)
    shared, n1 = reference_mix(frames, talkers)
    np.testing.assert_array_equal(out[0], shared)
    np.testing.assert_array_equal(out[1:], n1)
