"""Tones as clips for the engine's players: entry and exit beeps, ringback, busy.

A tone is generated once here as PCM and handed to `uc_media.Clip`; a cadence (tone on,
silence off, repeated with `loop=True`) is one cycle of it. That keeps a single player on
the workers (clips) instead of a second, tone-generating one: a cycle is at most a few
seconds (ringback's 6 s is 576 KB at 48 kHz) and a clip is shared by every leg that plays
it. Frequencies and cadences of the usual call-progress tones: ITU-T E.180 and its
supplement 2 (e.g. North American ringback 440 + 480 Hz, 2 s on, 4 s off).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from typing import Literal

from uc_media._core import Clip, InvalidArgumentError

_RATES = (8000, 16000, 48000)
ToneRate = Literal[8000, 16000, 48000]


def tone_pcm(frequencies: Sequence[float], on_ms: int, off_ms: int = 0, *, level_dbov: float = -15.0,
             rate: ToneRate = 8000) -> array:
    """One cycle of a cadence as int16 PCM at `rate`: the sum of `frequencies` (one for a
    beep, two for a dual tone) for `on_ms` at `level_dbov` in total (the peak of the sum is
    that far below full scale), then `off_ms` of silence. The tone fades in and out over
    5 ms so it does not click."""
    if rate not in _RATES:
        raise InvalidArgumentError(f"rate must be 8000, 16000 or 48000, not {rate}")
    if not 1 <= len(frequencies) <= 4 or any(not 0 < f < rate / 2 for f in frequencies):
        raise InvalidArgumentError(f"1 to 4 frequencies below {rate // 2} Hz, not {list(frequencies)}")
    if not (0 < on_ms <= 60_000 and 0 <= off_ms <= 60_000 and -90.0 <= level_dbov <= 0.0):
        raise InvalidArgumentError("on_ms 1..60000, off_ms 0..60000, level_dbov -90..0")
    on = rate * on_ms // 1000
    amplitude = 32767 * 10 ** (level_dbov / 20) / len(frequencies)
    ramp = max(1, rate // 200)
    steps = [2 * math.pi * f / rate for f in frequencies]
    out = array("h", bytes(2 * (on + rate * off_ms // 1000)))
    for i in range(on):
        envelope = min(1.0, (i + 1) / ramp, (on - i) / ramp)
        out[i] = round(envelope * amplitude * sum(math.sin(w * i) for w in steps))
    return out


def tone_clip(frequencies: Sequence[float], on_ms: int, off_ms: int = 0, *, level_dbov: float = -15.0,
              repeat: int = 1, rate: ToneRate = 8000) -> Clip:
    """A clip of `repeat` cycles of tone_pcm (play it with loop=True for a continuous
    cadence such as ringback)."""
    if not 1 <= repeat <= 100:
        raise InvalidArgumentError(f"repeat must be 1..100, not {repeat}")
    return Clip(tone_pcm(frequencies, on_ms, off_ms, level_dbov=level_dbov, rate=rate) * repeat, rate)


def entry_tone() -> Clip:
    """Two rising beeps: someone joined."""
    return Clip(tone_pcm([660.0], 120, 60) + tone_pcm([880.0], 160, 0), 8000)


def exit_tone() -> Clip:
    """Two falling beeps: someone left."""
    return Clip(tone_pcm([880.0], 120, 60) + tone_pcm([660.0], 160, 0), 8000)


__all__ = ["entry_tone", "exit_tone", "tone_clip", "tone_pcm"]
