"""Test signals and measurements shared by the codec tests (numpy only)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Pcm = NDArray[np.int16]


def tone(freq: float, rate: int, seconds: float, amplitude: float = 10000.0) -> Pcm:
    t = np.arange(int(rate * seconds)) / rate
    return np.round(amplitude * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def noise(rate: int, seconds: float, rms: float, seed: int, max_freq: float | None = None) -> Pcm:
    """Gaussian noise at `rms`, optionally band-limited to below max_freq (brick-wall FFT)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, int(rate * seconds))
    if max_freq is not None:
        spectrum = np.fft.rfft(x)
        spectrum[int(max_freq * len(x) / rate):] = 0
        x = np.fft.irfft(spectrum, len(x))
    x *= rms / x.std()
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def speech_like(rate: int, seconds: float, seed: int = 1) -> Pcm:
    """A voiced-speech stand-in: a 120 Hz +- 20 Hz glottal harmonic series, shaped by two
    formant-like peaks, syllable-rate (4 Hz) amplitude envelope, plus a little noise."""
    rng = np.random.default_rng(seed)
    n = int(rate * seconds)
    t = np.arange(n) / rate
    f0 = 120 + 20 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    x = np.zeros(n)
    for k in range(1, 30):
        if k * 140 > rate / 2:
            break
        weight = np.exp(-((k * 120 - 500) / 300) ** 2) + 0.5 * np.exp(-((k * 120 - 1500) / 400) ** 2) + 0.05
        x += weight * np.sin(k * phase)
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * 4 * t)
    x = x * envelope + 0.02 * rng.normal(0, 1, n)
    return np.round(x / np.abs(x).max() * 12000).astype(np.int16)


def dominant_frequency(x: NDArray[np.generic], rate: int) -> float:
    """Frequency (Hz) of the largest bin of the Hann-windowed spectrum."""
    v = np.asarray(x, dtype=np.float64)
    spectrum = np.abs(np.fft.rfft(v * np.hanning(len(v))))
    return float(np.argmax(spectrum) * rate / len(v))


def best_lag(reference: NDArray[np.generic], decoded: NDArray[np.generic], max_lag: int) -> int:
    """The delay (0..max_lag samples) of decoded behind reference that correlates best."""
    ref = np.asarray(reference, dtype=np.float64)
    out = np.asarray(decoded, dtype=np.float64)
    n = min(len(ref), len(out))
    size = 1 << int(np.ceil(np.log2(2 * n)))
    corr = np.fft.irfft(np.fft.rfft(out[:n], size) * np.conj(np.fft.rfft(ref[:n], size)), size)
    return int(np.argmax(corr[: max_lag + 1]))


def snr_db(reference: NDArray[np.generic], decoded: NDArray[np.generic], lag: int = 0, skip: int = 0) -> float:
    """SNR of decoded against reference delayed by `lag`, ignoring the first `skip` samples
    of the reference (codec start-up)."""
    ref = np.asarray(reference, dtype=np.float64)
    out = np.asarray(decoded, dtype=np.float64)[lag:]
    n = min(len(ref), len(out))
    ref, out = ref[skip:n], out[skip:n]
    noise_energy = float(np.sum((out - ref) ** 2))
    if noise_energy == 0.0:
        return float("inf")
    return 10.0 * float(np.log10(np.sum(ref * ref) / noise_energy))


def aligned_snr_db(reference: NDArray[np.generic], decoded: NDArray[np.generic], max_lag: int, skip: int = 0) -> float:
    return snr_db(reference, decoded, best_lag(reference, decoded, max_lag), skip)


def frames(pcm: Pcm, size: int) -> list[Pcm]:
    """pcm cut into whole frames of `size` samples (a short tail is dropped)."""
    return [pcm[i : i + size] for i in range(0, len(pcm) - size + 1, size)]
