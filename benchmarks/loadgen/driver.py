"""Drive benchmarks/loadgen/loadgen.c against conferences made through uc_media's API.

The driver creates the legs (one UDP port and SDES-SRTP key pair each), puts them in
conferences, writes one CSV line per leg (port, the key the generator protects with = the
leg's remote key, the key it unprotects with = the leg's local key, conference index,
talker signature or -1) and runs the generator, which prints one JSON line. The legs learn
the generator's address from its first authenticated packet (symmetric RTP), so no
address goes the other way.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import uc_media
from uc_media.engine import SrtpKeys

from benchmarks import _common

SOURCE = Path(__file__).resolve().parent / "loadgen.c"
SUITE = "AES_CM_128_HMAC_SHA1_80"
LEVEL_EXT_ID = 1  # the a=extmap id for RFC 6464 the engine's SDP answer echoes


def build() -> Path:
    return _common.build_c(SOURCE)


@dataclass
class Participant:
    leg: uc_media.Leg
    group: int
    signature: int  # -1: listener
    send_key: bytes  # the generator protects with it (the leg's remote key)
    recv_key: bytes  # the generator unprotects with it (the leg's local key)

    def csv_line(self) -> str:
        return f"{self.leg.local_port},{self.send_key.hex()},{self.recv_key.hex()},{self.group},{self.signature}\n"


def add_conference(engine: uc_media.Engine, group: int, size: int, talkers: int, *, naive: bool = False,
                   levels: bool = True, top_k: int = 3) -> tuple[uc_media.AudioConference, list[Participant]]:
    """One conference of `size` SRTP Opus legs, the first `talkers` of them talking
    (signatures 0..talkers-1). `levels=False`: the legs ignore RFC 6464 levels, so the
    engine decodes every leg to rank talkers."""
    conf = engine.create_conference(max_participants=size, top_k=top_k, naive=naive)
    people = []
    for i in range(size):
        leg_key, peer_key = secrets.token_bytes(30), secrets.token_bytes(30)
        leg = engine.create_leg("opus", srtp=SrtpKeys(SUITE, leg_key, peer_key),
                                audio_level_id=LEVEL_EXT_ID if levels else 0)
        conf.add_leg(leg)
        people.append(Participant(leg, group, i if i < talkers else -1, peer_key, leg_key))
    return conf, people


class Run:
    """One generator run in progress (`start`); `finish()` waits for its JSON result."""

    def __init__(self, binary: Path, people: list[Participant], duration_ms: int, *, cpus: set[int] | None = None,
                 listeners_checked: int = 2, groups_checked: int = 16, verbose: bool = False) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            f.write("# port,send_key,recv_key,group,signature\n")
            f.writelines(p.csv_line() for p in people)
            self.path = f.name
        self.proc = subprocess.Popen([str(binary), "-c", self.path, "-d", str(duration_ms), "-x", str(LEVEL_EXT_ID),
                                      "-l", str(listeners_checked), "-G", str(groups_checked),
                                      *(["-v"] if verbose else [])],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if cpus:
            try:
                os.sched_setaffinity(self.proc.pid, cpus)
            except ProcessLookupError:
                pass

    def finish(self, timeout_s: float = 90.0) -> dict:
        try:
            out, err = self.proc.communicate(timeout=timeout_s)
        finally:
            os.unlink(self.path)
        if self.proc.returncode != 0:
            raise RuntimeError(f"loadgen exited {self.proc.returncode}: {err.strip()}")
        return json.loads(out.strip().splitlines()[-1])


def run(binary: Path, people: list[Participant], duration_ms: int, *, cpus: set[int] | None = None,
        listeners_checked: int = 2, groups_checked: int = 16, verbose: bool = False) -> dict:
    """Run the generator for duration_ms against these legs; its JSON result. `cpus`: pin
    the generator there (os.sched_setaffinity), away from the engine worker. `verbose`:
    list every content check, not only the failed ones."""
    return Run(binary, people, duration_ms, cpus=cpus, listeners_checked=listeners_checked,
               groups_checked=groups_checked, verbose=verbose).finish()
