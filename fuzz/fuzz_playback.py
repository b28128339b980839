"""Fuzz clips, tones and the engine's players and recorders.

    PYTHONPATH=. python fuzz/fuzz_playback.py -atheris_runs=20000

Each input is a program: make clips from arbitrary bytes at arbitrary rates, tones from
arbitrary parameters, then play, replace, stop, record, stop recording and join or leave a
conference in arbitrary order on one engine's legs (one in a conference, one idle, one
whose peer sends arbitrary telephone-events with an 8 kHz event clock beside Opus). The
only acceptable exceptions are InvalidArgumentError (bad arguments) and StateError
(a second recording, a leg in a bridge); every finished event must name a known id with a
known reason, and a recording never reports more samples than its buffer holds.
"""

import socket
import struct
import sys
from array import array
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with atheris.instrument_imports():
    import uc_media

ENGINE = uc_media.Engine(workers=1, port_range=(47600, 47699), tick_ms=10)
SINK = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
SINK.bind(("127.0.0.1", 0))
SINK.setblocking(False)
CONF = ENGINE.create_conference()
LEGS = [ENGINE.create_leg("opus", dtmf_clock_rate=8000), ENGINE.create_leg("pcmu"), ENGINE.create_leg("g722")]
for _leg in LEGS:
    _leg.set_remote(SINK.getsockname())
CONF.add_leg(LEGS[0])
REASONS = {"completed", "stopped", "replaced"}
CAPACITY: dict[tuple[int, int], int] = {}  # (leg id, id): the largest buffer given


def drain() -> None:
    for _ in range(200):
        try:
            SINK.recv(2048)
        except BlockingIOError:
            break
    for event in ENGINE.poll_events():
        if isinstance(event, uc_media.PlaybackFinished):
            assert event.reason in REASONS and event.source in (CONF, *LEGS), event
        elif isinstance(event, uc_media.RecordingFinished):
            assert event.reason in REASONS - {"replaced"} and event.leg in LEGS, event
            assert event.samples <= CAPACITY.get((event.leg.id, event.id), 0), event


def make_clip(fdp: atheris.FuzzedDataProvider) -> uc_media.Clip | None:
    try:
        if fdp.ConsumeBool():
            return uc_media.Clip(fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 4000)),
                                 fdp.PickValueInList([8000, 16000, 48000, fdp.ConsumeIntInRange(0, 100000)]))
        freqs = [fdp.ConsumeFloat() for _ in range(fdp.ConsumeIntInRange(0, 5))]
        return uc_media.tone_clip(freqs, fdp.ConsumeIntInRange(-5, 300), fdp.ConsumeIntInRange(-5, 300),
                                  level_dbov=fdp.ConsumeFloat(), repeat=fdp.ConsumeIntInRange(0, 3),
                                  rate=fdp.PickValueInList([8000, 16000, 48000, 44100]))
    except uc_media.InvalidArgumentError:
        return None


# The code under test is C (uc_media._core, built without sanitizer coverage), so atheris's
# Python coverage comes from this function's own branches, which follow what the C returned.
@atheris.instrument_func
def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    for step in range(fdp.ConsumeIntInRange(0, 12)):
        op = fdp.ConsumeIntInRange(0, 7)
        leg = LEGS[fdp.ConsumeIntInRange(0, len(LEGS) - 1)]
        ident = fdp.ConsumeIntInRange(0, 0xFFFFFFFF)
        try:
            if op <= 1:
                clip = make_clip(fdp)
                if clip is not None:
                    (CONF if op == 1 else leg).play(clip, id=ident, loop=fdp.ConsumeBool())
            elif op == 2:
                (CONF if fdp.ConsumeBool() else leg).stop_playback()
            elif op == 3:
                samples = fdp.ConsumeIntInRange(0, 2000)
                leg.record(array("h", bytes(2 * samples)), rate=fdp.PickValueInList([8000, 16000, 48000, 22050]),
                           id=ident)
                CAPACITY[(leg.id, ident)] = max(samples, CAPACITY.get((leg.id, ident), 0))
            elif op == 4:
                n = leg.stop_recording()
                assert n is None or n >= 0
            elif op == 5:
                if leg in CONF.legs:
                    CONF.remove_leg(leg)
                else:
                    CONF.add_leg(leg)
            elif op == 6:
                end = fdp.ConsumeBool()
                payload = struct.pack("!BBH", fdp.ConsumeIntInRange(0, 255), (0x80 if end else 0) | 10,
                                      fdp.ConsumeIntInRange(0, 0xFFFF))
                header = struct.pack("!BBHII", 0x80, fdp.PickValueInList([101, 111, 0]),
                                     step, fdp.ConsumeIntInRange(0, 0xFFFFFFFF), 0x1234)
                SINK.sendto(header + payload, leg.local_address)
            else:
                leg.send_dtmf(fdp.PickValueInList(list("0123456789*#ABCD")), fdp.ConsumeIntInRange(10, 300))
        except (uc_media.InvalidArgumentError, uc_media.StateError):
            pass
    drain()


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
