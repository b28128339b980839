"""ffmpeg as a third-party conference participant (its own RTP/SRTP code, libavformat).

One ffmpeg process sends a 1100 Hz tone as Opus over SRTP into a conference leg, in real
time; a second ffmpeg process receives what the conference sends to that participant
(the leg's remote address is set to it; the SDP it reads carries the leg's a=crypto key)
and records it to a WAV. Two Python participants send 440 and 660 Hz. The recording must
hold 440 and 660 Hz and not ffmpeg's own 1100 Hz (an N-1 mix), and the engine must have
authenticated and decoded ffmpeg's packets. A missing ffmpeg fails the test.
"""

from __future__ import annotations

import base64
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

import uc_media
from uc_media import CryptoAttribute, SdesKey

from engine_participant import SUITE, Participant, leg_keys, run, tone_magnitudes
from peers import ffmpeg_srtp_recorder, free_port, require, stop, wait_udp_bound

pytestmark = pytest.mark.peer

RATE = 48000


def free_udp_port() -> int:
    """A port no one holds right now, outside the engine's range (ffmpeg binds it)."""
    for _ in range(100):
        port = free_port()
        if not 44000 <= port <= 44999 and port % 2 == 0:  # ffmpeg takes port + 1 for RTCP
            return port
    raise AssertionError("no free UDP port")


def test_ffmpeg_participant_hears_the_others(tmp_path: Path) -> None:
    with uc_media.Engine(workers=1, port_range=(44000, 44999), tick_ms=20) as engine:
        conf = engine.create_conference(max_participants=8, top_k=3)
        people = []
        for freq in (440.0, 660.0):
            keys, send_key, recv_key = leg_keys()
            leg = engine.create_leg("opus", srtp=keys)
            p = Participant(leg, freq, srtp=(send_key, recv_key))
            leg.set_remote(p.address)
            conf.add_leg(leg)
            people.append(p)

        ffmpeg_leg_keys, ffmpeg_send_key, engine_send_key = leg_keys()
        leg = engine.create_leg("opus", srtp=ffmpeg_leg_keys)
        conf.add_leg(leg)
        record_port = free_udp_port()
        leg.set_remote(("127.0.0.1", record_port))
        crypto = CryptoAttribute(1, SUITE, (SdesKey(engine_send_key),))
        wav = tmp_path / "heard.wav"
        recorder = ffmpeg_srtp_recorder(tmp_path / "record.sdp", record_port, crypto.to_sdp(), wav, 3)
        sender = None
        try:
            wait_udp_bound(record_port, recorder)
            sender = subprocess.Popen(
                [require("ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "error", "-re",
                 "-f", "lavfi", "-i", "sine=frequency=1100:sample_rate=48000:duration=5",
                 "-c:a", "libopus", "-b:a", "32k", "-ac", "1", "-f", "rtp", "-payload_type", "111",
                 "-srtp_out_suite", SUITE, "-srtp_out_params", base64.b64encode(ffmpeg_send_key).decode(),
                 f"srtp://127.0.0.1:{leg.local_port}"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            run(people, 250)  # 5 s of the two tones
            _, stderr = recorder.communicate(timeout=30)
            assert recorder.returncode == 0, stderr
            sender.communicate(timeout=30)
        finally:
            stop((recorder, sender))
            for p in people:
                p.close()

        stats = leg.stats()
        assert stats.rtp_received >= 100 and stats.auth_failed == 0, repr(stats)[200:]
        assert stats.decodes > 0
        # The Python participants hear ffmpeg's tone (its packets were mixed in).
        heard = tone_magnitudes(people[0].decoded(last_packets=60), [660.0, 1100.0])
        assert heard[1100.0] > 200 and heard[660.0] > 200

    with wave.open(str(wav)) as out:
        audio = np.frombuffer(out.readframes(out.getnframes()), dtype=np.int16)
    assert len(audio) >= 2 * RATE
    mags = tone_magnitudes(audio[RATE // 2 :], [440.0, 660.0, 1100.0])
    assert mags[440.0] > 200 and mags[660.0] > 200, mags
    assert mags[440.0] > 10 * mags[1100.0] and mags[660.0] > 10 * mags[1100.0], mags
