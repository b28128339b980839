"""Fuzz the jitter buffer with arbitrary put/get sequences.

    python fuzz/fuzz_jitter.py -atheris_runs=20000

Each input is a program: a buffer configuration, then operations (put with arbitrary
sequence number, timestamp, SSRC, marker, payload and arrival time; get at an arbitrary
time; reset). Besides crashes in C, it checks the buffer's own promises: the target delay
stays within [min, max], a PLAY's payload fits a slot, and every packet put is accounted
for exactly once (played, duplicate, discarded or still buffered). The only acceptable
exception is the documented BufferTooSmallError for an oversized payload.
"""

import sys
from pathlib import Path

import atheris

# Test the tree this file is in, not whatever uc_media the interpreter would find first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with atheris.instrument_imports():
    import uc_media


# The code under test is C (uc_media._core, built without sanitizer coverage), so atheris's
# Python coverage comes from this function's own branches, which follow what the C returned.
@atheris.instrument_func
def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    min_delay = fdp.ConsumeIntInRange(0, 300)
    max_delay = fdp.ConsumeIntInRange(min_delay, 600)
    capacity = fdp.ConsumeIntInRange(1, 64)
    max_payload = fdp.ConsumeIntInRange(1, 64)
    jb = uc_media.JitterBuffer(clock_rate=fdp.PickValueInList([8000, 16000, 48000]),
                               frame_ms=fdp.PickValueInList([10, 20]), min_delay_ms=min_delay,
                               max_delay_ms=max_delay, capacity=capacity, max_payload=max_payload)
    now = 0.0
    played = 0
    for _ in range(fdp.ConsumeIntInRange(0, 300)):
        op = fdp.ConsumeIntInRange(0, 9)
        now += fdp.ConsumeIntInRange(0, 60) / 1000.0
        if op < 6:
            payload = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 80))
            try:
                jb.put(payload, fdp.ConsumeIntInRange(0, 0xFFFF), fdp.ConsumeIntInRange(0, 0xFFFFFFFF),
                       fdp.ConsumeIntInRange(0, 3), fdp.ConsumeBool(), now)
            except uc_media.BufferTooSmallError:
                assert len(payload) > max_payload
        elif op < 9:
            out = jb.get(now)
            if out.action == uc_media.JitterAction.PLAY:
                played += 1
                assert out.seq is not None and out.payload is not None and len(out.payload) <= max_payload
        else:
            jb.reset()
        assert min_delay <= jb.target_delay_ms <= max_delay
        s = jb.stats
        assert played + s.packetsDuplicated + s.packetsDiscarded + jb.buffered == s.packetsReceived


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
