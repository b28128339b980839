"""ffmpeg hears a prompt: a leg in no conference (the auto-attendant case) plays a looping
clip to ffmpeg, which receives Opus over SRTP with its own RTP code (libavformat) and
records it to a WAV; the recording must hold the prompt's tone. A missing ffmpeg fails."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

import uc_media
from uc_media import CryptoAttribute, PlaybackFinished, SdesKey

from engine_participant import SUITE, leg_keys, tone_magnitudes
from peers import ffmpeg_srtp_recorder, free_port, stop, wait_udp_bound

pytestmark = pytest.mark.peer

RATE = 48000


def free_udp_port() -> int:
    for _ in range(100):
        port = free_port()
        if not 47500 <= port <= 47599 and port % 2 == 0:  # ffmpeg takes port + 1 for RTCP
            return port
    raise AssertionError("no free UDP port")


def test_ffmpeg_hears_a_prompt_from_a_leg_in_no_conference(tmp_path: Path) -> None:
    with uc_media.Engine(workers=1, port_range=(47500, 47599), tick_ms=20) as engine:
        keys, _, engine_send_key = leg_keys()
        leg = engine.create_leg("opus", srtp=keys)
        port = free_udp_port()
        leg.set_remote(("127.0.0.1", port))
        crypto = CryptoAttribute(1, SUITE, (SdesKey(engine_send_key),))
        wav = tmp_path / "prompt.wav"
        recorder = ffmpeg_srtp_recorder(tmp_path / "prompt.sdp", port, crypto.to_sdp(), wav, 3)
        try:
            wait_udp_bound(port, recorder)
            # 600 ms of 1 kHz then 400 ms of silence, repeated: a prompt with pauses.
            leg.play(uc_media.tone_clip([1000.0], 600, 400, level_dbov=-10.0, rate=16000), id=42, loop=True)
            _, stderr = recorder.communicate(timeout=30)
            assert recorder.returncode == 0, stderr
            assert leg.stop_playback() is True
            ends = [e for e in engine.poll_events() if isinstance(e, PlaybackFinished)]
            assert [(e.id, e.reason) for e in ends] == [(42, "stopped")]
        finally:
            stop((recorder,))
        assert leg.stats().packets_sent >= 140

    with wave.open(str(wav)) as out:
        audio = np.frombuffer(out.readframes(out.getnframes()), dtype=np.int16)
    assert len(audio) >= 2 * RATE
    mags = tone_magnitudes(audio, [1000.0, 440.0, 2000.0])
    assert mags[1000.0] > 300 and mags[440.0] < 20 and mags[2000.0] < 20, mags
    # The cadence repeats: loud and quiet 100 ms blocks both appear, more than once.
    blocks = np.sqrt((audio[: len(audio) // 4800 * 4800].astype(np.float64).reshape(-1, 4800) ** 2).mean(axis=1))
    loud = blocks > 1000
    assert int(np.count_nonzero(loud[1:] & ~loud[:-1])) >= 2, blocks.round()
