"""One conference on one worker: N SRTP Opus legs, 3 of them talking (RFC 6464 levels in
every packet), the rest silent listeners whose mix goes to a sink socket. Measures the
worker thread's CPU time per participant per tick (WorkerStats.cpu_ns) for the engine's
selective mixing (decode only the talkers, encode once per distinct mix) beside the same
engine in naive mode (decode every leg, encode a personal N-1 mix for every leg, as Janus
AudioBridge and FreeSWITCH do), in the same run. Late ticks are reported too.

This is a provisional probe ahead of the C load generator and benchmarks/mcu_capacity.py:
the talkers are Python (3 senders), the listeners send nothing, so it measures the
engine's tick and send path, not a full receive load.

    python benchmarks/engine_conference.py [--quick]
"""

from __future__ import annotations

import math
import secrets
import socket
import struct
import sys
import time
from pathlib import Path

# Run as a script: measure the tree this file is in.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

import uc_media  # noqa: E402
from benchmarks._common import emit, quick_flag, target  # noqa: E402

SUITE = "AES_CM_128_HMAC_SHA1_80"
FRAME = 960


class Talker:
    def __init__(self, engine: uc_media.Engine, conf: uc_media.AudioConference, freq: float) -> None:
        ours, theirs = secrets.token_bytes(30), secrets.token_bytes(30)
        self.leg = engine.create_leg("opus", srtp=uc_media.SrtpKeys(SUITE, ours, theirs), audio_level_id=1)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.leg.set_remote(self.sock.getsockname())
        conf.add_leg(self.leg)
        self.tx = uc_media.SrtpSession(SUITE, theirs, "outbound")
        encoder = uc_media.OpusEncoder(48000, 1)
        t = np.arange(50 * FRAME) / 48000
        pcm = (8000 * np.sin(2 * math.pi * freq * t)).astype(np.int16)
        self.frames = [encoder.encode(pcm[i * FRAME:(i + 1) * FRAME].tobytes()) for i in range(50)]
        self.level = uc_media.audio_level(pcm[:FRAME].tobytes())
        self.seq, self.ts, self.n = 0, 0, 0

    def send(self) -> None:
        ext = struct.pack("!HHBBBB", 0xBEDE, 1, 0x10, 0x80 | self.level, 0, 0)
        header = struct.pack("!BBHII", 0x90, 111, self.seq, self.ts, 0x7A1C)
        packet = self.tx.protect(header + ext + self.frames[self.n % 50])
        self.sock.sendto(packet, ("127.0.0.1", self.leg.local_port))
        self.seq, self.ts, self.n = (self.seq + 1) & 0xFFFF, (self.ts + FRAME) & 0xFFFFFFFF, self.n + 1
        try:
            while True:
                self.sock.recv(2048)
        except BlockingIOError:
            pass


def measure(n: int, naive: bool, ticks: int) -> dict:
    with uc_media.Engine(workers=1, port_range=(50000, 59999)) as engine:
        conf = engine.create_conference(max_participants=n, top_k=3, naive=naive)
        talkers = [Talker(engine, conf, f) for f in (440.0, 660.0, 880.0)]
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.bind(("127.0.0.1", 0))
        for _ in range(n - 3):
            leg = engine.create_leg("opus", srtp=uc_media.SrtpKeys(SUITE, secrets.token_bytes(30), secrets.token_bytes(30)),
                                    audio_level_id=1)
            leg.set_remote(sink.getsockname())
            conf.add_leg(leg)

        def drive(count: int) -> None:
            start = time.monotonic()
            for i in range(count):
                for t in talkers:
                    t.send()
                delay = start + (i + 1) * 0.02 - time.monotonic()
                if delay > 0:
                    time.sleep(delay)

        drive(25)  # warm-up: jitter buffers fill, talkers get selected
        w0, c0 = engine.worker_stats(0), conf.stats()
        drive(ticks)
        w1, c1 = engine.worker_stats(0), conf.stats()
        done = max(1, w1.ticks - w0.ticks)
        cpu_us = (w1.cpu_ns - w0.cpu_ns) / done / 1000
        sink.close()
        for t in talkers:
            t.sock.close()
        return {
            "us_per_participant_tick": round(cpu_us / n, 3),
            "us_per_tick": round(cpu_us, 1),
            "late_ticks": w1.late_ticks - w0.late_ticks,
            "ticks": done,
            "decodes_per_tick": round((c1.decodes - c0.decodes) / done, 2),
            "encodes_per_tick": round((c1.own_encodes - c0.own_encodes + c1.shared_encodes - c0.shared_encodes) / done, 2),
        }


def main() -> None:
    quick = quick_flag()
    sizes = (50,) if quick else (50, 200)
    ticks = 100 if quick else 250
    figures: dict = {}
    targets: dict = {}
    for n in sizes:
        selective = measure(n, False, ticks)
        naive = measure(n, True, ticks)
        ratio = naive["us_per_participant_tick"] / selective["us_per_participant_tick"]
        figures[f"n{n}"] = {"selective": selective, "naive": naive, "naive_over_selective": round(ratio, 2)}
        print(f"N={n}: selective {selective['us_per_participant_tick']} us, naive "
              f"{naive['us_per_participant_tick']} us per participant-tick ({ratio:.2f}x); late ticks "
              f"{selective['late_ticks']} / {naive['late_ticks']}", file=sys.stderr)
        targets[f"cpu_per_participant_vs_naive_n{n}"] = target(ratio, 1.5, ">= 1.5x naive", higher_is_better=True)
    emit(figures, targets)


if __name__ == "__main__":
    main()
