"""What prompts cost: (a) music on hold to N legs in no conference, each encoding and
sending the shared clip every tick, beside the floor of that work (benchmarks/cref/
mcu_floor.c: one Opus encode, one SRTP protect, one one-datagram sendmmsg per leg per
tick, in plain C loops); (b) making a clip (resampling 8 kHz PCM to 48 kHz once) beside
uc_media.Resampler doing the same conversion over the same samples.

    python benchmarks/playback_prompts.py [--quick]

(a) reads the worker's own CPU time (WorkerStats.cpu_ns) over a steady window, divided by
legs x ticks. (c) is (a) done as a hold conference: the held legs, muted, in one
conference playing the clip, so one Opus encode a tick serves all of them; its floor is
that encode divided by N plus protect and sendmmsg per leg. Targets: (a) <= 1.3x its
floor; (b) <= 1.2x the resampler alone; (c) <= 2x its floor (the tick's per-leg work
that is not in the floor weighs more when the encode is shared).
"""

from __future__ import annotations

import secrets
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

import uc_media  # noqa: E402
from benchmarks import _common  # noqa: E402

FLOOR_SOURCE = Path(__file__).resolve().parent / "cref" / "mcu_floor.c"
SUITE = "AES_CM_128_HMAC_SHA1_80"


def music_on_hold(legs: int, seconds: float, *, hold_conference: bool = False) -> dict:
    """Worker CPU per leg per tick while `legs` SRTP Opus legs hear one looping clip: each
    leg playing it itself (in no conference), or, with `hold_conference`, all of them
    muted in one conference that plays it (one shared encode a tick for all)."""
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))  # never read: the kernel drops what overflows
    n = np.arange(48000 * 2)
    music = (6000 * np.sin(2 * np.pi * 440 * n / 48000) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * n / 48000)))
    clip = uc_media.Clip(music.astype(np.int16), 48000)
    with uc_media.Engine(workers=1, port_range=(30000, 30000 + legs + 10), tick_ms=20,
                         max_legs_per_worker=legs + 10) as engine:
        created = []
        conference = engine.create_conference(max_participants=legs) if hold_conference else None
        for _ in range(legs):
            keys = uc_media.SrtpKeys(SUITE, secrets.token_bytes(30), secrets.token_bytes(30))
            leg = engine.create_leg("opus", srtp=keys)
            leg.set_remote(sink.getsockname())
            if conference is not None:
                leg.muted = True  # held callers do not hear each other
                conference.add_leg(leg)
            else:
                leg.play(clip, loop=True)
            created.append(leg)
        if conference is not None:
            conference.play(clip, loop=True)
        time.sleep(0.5)  # steady state
        before = engine.worker_stats(0)
        time.sleep(seconds)
        after = engine.worker_stats(0)
        sent = sum(leg.stats().packets_sent for leg in created)
    sink.close()
    ticks = after.ticks - before.ticks
    cpu_us = (after.cpu_ns - before.cpu_ns) / 1000
    return {"legs": legs, "ticks": ticks, "late_ticks": after.late_ticks - before.late_ticks,
            "packets_sent": sent, "us_per_leg_tick": cpu_us / max(ticks * legs, 1)}


def clip_vs_resampler(seconds: int, repeat: int) -> dict:
    pcm8 = (8000 * np.sin(2 * np.pi * 440 * np.arange(8000 * seconds) / 8000)).astype(np.int16)
    clip_s = _common.best_of(lambda: uc_media.Clip(pcm8, 8000), repeat)

    def resample() -> None:
        r = uc_media.Resampler(8000, 48000)
        r.process(pcm8)
        r.process(np.zeros(64, np.int16))  # the tail Clip flushes too

    ref_s = _common.best_of(resample, repeat)
    return {"seconds_of_audio": seconds, "clip_ms": clip_s * 1000, "resampler_ms": ref_s * 1000}


def main() -> None:
    quick = _common.quick_flag()
    unit = _common.run_c(_common.build_c(FLOOR_SOURCE), "10" if quick else "40")
    moh = music_on_hold(100 if quick else 400, 2.0 if quick else 6.0)
    floor_us = unit["encode_speech_us"] + unit["protect_us"] + unit["sendmmsg_us"]
    held = music_on_hold(100 if quick else 400, 2.0 if quick else 6.0, hold_conference=True)
    # The floor of a hold conference: one encode a tick shared by all, then protect + send.
    held_floor_us = unit["encode_speech_us"] / held["legs"] + unit["protect_us"] + unit["sendmmsg_us"]
    clip = clip_vs_resampler(10 if quick else 60, 3 if quick else 7)
    figures = {
        "a_music_on_hold": moh,
        "a_floor_us_per_leg_tick": round(floor_us, 3),
        "a_ratio_vs_floor": round(moh["us_per_leg_tick"] / floor_us, 3),
        "c_hold_conference": held,
        "c_floor_us_per_leg_tick": round(held_floor_us, 3),
        "c_ratio_vs_floor": round(held["us_per_leg_tick"] / held_floor_us, 3),
        "c_speedup_vs_a": round(moh["us_per_leg_tick"] / held["us_per_leg_tick"], 2),
        "b_clip_creation": clip,
        "b_ratio_vs_resampler": round(clip["clip_ms"] / clip["resampler_ms"], 3),
        "floor_unit_us": unit,
        "quick": quick,
    }
    targets = {
        "a_music_on_hold_vs_floor": _common.target(moh["us_per_leg_tick"] / floor_us, 1.3,
                                                   "<= 1.3x encode + protect + sendmmsg in plain C"),
        "b_clip_vs_resampler": _common.target(clip["clip_ms"] / clip["resampler_ms"], 1.2,
                                              "<= 1.2x uc_media.Resampler alone"),
    }
    targets["c_hold_conference_vs_floor"] = _common.target(
        held["us_per_leg_tick"] / held_floor_us, 2.0, "<= 2x encode/N + protect + sendmmsg in plain C")
    _common.emit(figures, targets)


if __name__ == "__main__":
    main()
