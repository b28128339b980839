"""The speexdsp resampler through uc_media: tones keep their frequency, frames stay exact."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import uc_media
from codec_signals import dominant_frequency, noise, snr_db, tone

PAIRS = [(8000, 48000), (48000, 8000), (16000, 48000), (48000, 16000), (8000, 16000), (16000, 8000)]


def resample_in_frames(resampler: uc_media.Resampler, pcm: np.ndarray, frame: int) -> np.ndarray:
    return np.concatenate([np.asarray(resampler.process(pcm[i : i + frame])) for i in range(0, len(pcm), frame)])


@pytest.mark.parametrize(("in_rate", "out_rate"), PAIRS)
def test_tone_keeps_its_frequency(in_rate: int, out_rate: int) -> None:
    freq = 1000.0
    pcm = tone(freq, in_rate, 1.0)
    resampler = uc_media.Resampler(in_rate, out_rate)
    out = resample_in_frames(resampler, pcm, in_rate // 50)
    # Integer ratios: every 20 ms frame in gives exactly one 20 ms frame out.
    assert len(out) == out_rate
    assert abs(dominant_frequency(out[out_rate // 10 :], out_rate) - freq) <= 2
    # Against the tone generated directly at the new rate, delayed by the filter's latency.
    expected = tone(freq, out_rate, 1.0)
    assert snr_db(expected, out, lag=resampler.latency, skip=out_rate // 10) > 30


@pytest.mark.parametrize(("in_rate", "out_rate"), [(48000, 8000), (16000, 8000)])
def test_downsampling_removes_what_the_new_rate_cannot_carry(in_rate: int, out_rate: int) -> None:
    """A 6 kHz tone is above 8 kHz's Nyquist limit: it must be filtered, not aliased to 2 kHz."""
    pcm = tone(6000, in_rate, 1.0)
    out = resample_in_frames(uc_media.Resampler(in_rate, out_rate), pcm, in_rate // 50)
    level_in = np.sqrt(np.mean(pcm.astype(np.float64) ** 2))
    level_out = np.sqrt(np.mean(out[out_rate // 10 :].astype(np.float64) ** 2))
    assert level_out < level_in * 10 ** (-30 / 20)  # at least 30 dB down (measured: silence)


def test_stereo_channels_stay_apart() -> None:
    left, right = tone(500, 16000, 0.5), tone(2500, 16000, 0.5)
    stereo = np.stack([left, right], axis=1).reshape(-1)
    resampler = uc_media.Resampler(16000, 48000, channels=2)
    out = resample_in_frames(resampler, stereo, 640).reshape(-1, 2)
    assert len(out) == 24000
    assert abs(dominant_frequency(out[4800:, 0], 48000) - 500) <= 2
    assert abs(dominant_frequency(out[4800:, 1], 48000) - 2500) <= 2


@given(st.lists(st.integers(1, 700), min_size=1, max_size=20), st.sampled_from(PAIRS))
def test_any_cutting_of_the_stream_gives_the_same_output(cuts: list[int], pair: tuple[int, int]) -> None:
    """State carries across calls: cutting the input anywhere changes nothing."""
    in_rate, out_rate = pair
    pcm = noise(in_rate, 0.5, 3000, seed=1)
    whole = np.asarray(uc_media.Resampler(in_rate, out_rate).process(pcm))
    resampler = uc_media.Resampler(in_rate, out_rate)
    pieces, start = [], 0
    for size in cuts:
        pieces.append(np.asarray(resampler.process(pcm[start : start + size])))
        start += size
    pieces.append(np.asarray(resampler.process(pcm[start:])))
    np.testing.assert_array_equal(np.concatenate(pieces), whole)


def test_reset_starts_the_stream_again() -> None:
    pcm = noise(8000, 0.1, 3000, seed=8)
    resampler = uc_media.Resampler(8000, 48000)
    first = np.asarray(resampler.process(pcm))
    resampler.process(pcm)
    resampler.reset()
    np.testing.assert_array_equal(np.asarray(resampler.process(pcm)), first)


def test_attributes() -> None:
    resampler = uc_media.Resampler(8000, 48000, quality=5)
    assert (resampler.in_rate, resampler.out_rate, resampler.channels, resampler.quality) == (8000, 48000, 1, 5)
    assert resampler.latency > 0
    assert len(resampler.process(b"")) == 0


@pytest.mark.parametrize(
    "args", [(4000, 48000), (8000, 400000), (8000, 16000, 0), (8000, 16000, 9), (8000, 16000, 1, 11), (8000, 16000, 1, -1)]
)
def test_bad_settings_raise(args: tuple[int, ...]) -> None:
    with pytest.raises(uc_media.InvalidArgumentError):
        uc_media.Resampler(*args)


def test_bad_input_raises() -> None:
    resampler = uc_media.Resampler(8000, 16000, channels=2)
    with pytest.raises(uc_media.InvalidArgumentError, match="whole number"):
        resampler.process(np.zeros(3, np.int16))
    with pytest.raises(uc_media.InvalidArgumentError, match="int16"):
        resampler.process(np.zeros(4, np.int32))
