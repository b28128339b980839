"""Clips and tones (uc_media.Clip, uc_media.prompts) without an engine or sockets."""

from __future__ import annotations

from array import array

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import uc_media
from uc_media import Clip, tone_pcm


def sine(freq: float, seconds: float, rate: int, amplitude: float = 8000.0) -> array:
    n = np.arange(int(seconds * rate))
    return array("h", (amplitude * np.sin(2 * np.pi * freq * n / rate)).astype(np.int16).tobytes())


def tone_magnitudes(pcm: np.ndarray, freqs: list[float], rate: int = 48000) -> dict[float, float]:
    x = pcm.astype(np.float64) * np.hanning(len(pcm))
    spectrum = np.abs(np.fft.rfft(x)) / len(pcm)
    bins = np.fft.rfftfreq(len(pcm), 1 / rate)
    return {f: float(spectrum[(bins > f - 8) & (bins < f + 8)].max()) for f in freqs}


def frame_energy(pcm: np.ndarray, frame: int = 960) -> np.ndarray:
    n = len(pcm) // frame
    return np.sqrt((pcm[: n * frame].astype(np.float64).reshape(n, frame) ** 2).mean(axis=1))


def test_clip_resamples_to_48k_without_delay() -> None:
    clip = Clip(sine(1000.0, 0.5, 8000), 8000)
    assert (len(clip), clip.samples, clip.duration_ms, clip.source_rate) == (24000, 24000, 500, 8000)
    pcm = np.frombuffer(clip.pcm48(), dtype=np.int16)
    mags = tone_magnitudes(pcm, [1000.0, 3000.0])
    assert mags[1000.0] > 1800 and mags[3000.0] < 20, mags  # A/4 under the Hann window
    # The resampler's filter delay is taken out: the tone starts at once.
    assert frame_energy(pcm[:960 * 2])[0] > 3000
    assert len(Clip(sine(500.0, 0.25, 16000), 16000)) == 12000
    assert len(Clip(bytes(96), 48000)) == 48  # raw bytes are int16 samples too


def test_clip_and_tone_arguments_are_checked() -> None:
    with pytest.raises(uc_media.InvalidArgumentError, match="rate"):
        Clip(sine(1000.0, 0.1, 8000), 11025)  # type: ignore[arg-type]
    with pytest.raises(uc_media.InvalidArgumentError, match="no samples"):
        Clip(array("h"), 8000)
    with pytest.raises(uc_media.InvalidArgumentError, match="int16"):
        Clip(array("f", [0.0] * 10), 8000)
    with pytest.raises(uc_media.InvalidArgumentError):
        tone_pcm([5000.0], 100)  # above Nyquist at 8 kHz
    with pytest.raises(uc_media.InvalidArgumentError):
        tone_pcm([440.0], 0)
    ringback = tone_pcm([440.0, 480.0], 2000, 4000)
    assert len(ringback) == 6 * 8000 and not any(ringback[2 * 8000:])
    mags = tone_magnitudes(np.frombuffer(ringback[:16000], dtype=np.int16), [440.0, 480.0, 620.0], rate=8000)
    assert mags[440.0] > 500 and mags[480.0] > 500 and mags[620.0] < 20, mags
    assert max(abs(v) for v in ringback) <= 32767 * 10 ** (-15 / 20) + 1


@settings(max_examples=60, deadline=None)
@given(samples=st.integers(1, 20000), rate=st.sampled_from([8000, 16000, 48000]), value=st.integers(-32768, 32767))
def test_clip_length_is_exact_at_48k(samples: int, rate: int, value: int) -> None:
    pcm = array("h", [value]) * samples
    clip = Clip(pcm, rate)  # type: ignore[arg-type]
    assert len(clip) == samples * 48000 // rate
    if rate == 48000:
        assert clip.pcm48() == pcm


@settings(max_examples=40, deadline=None)
@given(on=st.integers(1, 500), off=st.integers(0, 500), rate=st.sampled_from([8000, 16000, 48000]),
       level=st.floats(-60.0, 0.0), freqs=st.lists(st.floats(50.0, 3900.0), min_size=1, max_size=4))
def test_tone_length_level_and_silence(on: int, off: int, rate: int, level: float, freqs: list[float]) -> None:
    pcm = tone_pcm(freqs, on, off, level_dbov=level, rate=rate)  # type: ignore[arg-type]
    assert len(pcm) == rate * on // 1000 + rate * off // 1000
    assert max((abs(v) for v in pcm), default=0) <= 32767 * 10 ** (level / 20) + 1
    assert not any(pcm[rate * on // 1000:])
