"""Fuzz the SDP parser and offer/answer: raw bytes, and real peers' SDP with lines
dropped, repeated, swapped or edited. Whatever parses must re-serialise to a fixed point
and be answered or refused; SdpError and NegotiationError are the only exceptions allowed.

    python fuzz/fuzz_sdp.py -atheris_runs=20000
"""

import sys
from pathlib import Path

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["uc_media"]):
    from uc_media import (
        IceCredentials,
        LocalCapabilities,
        NegotiationError,
        SdpError,
        SessionDescription,
        build_offer,
        negotiate_answer,
        process_answer,
    )

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "sdp"
SEEDS = [p.read_bytes() for p in sorted(FIXTURES.glob("*.sdp"))]
CAPS = LocalCapabilities("192.0.2.10", 40000, ice=IceCredentials("uc01", "ucserverIcePassword0001x"))
OFFER = build_offer(CAPS, session_id=1)


def mutated_seed(fdp: atheris.FuzzedDataProvider) -> bytes:
    lines = SEEDS[fdp.ConsumeIntInRange(0, len(SEEDS) - 1)].split(b"\r\n")
    for _ in range(fdp.ConsumeIntInRange(0, 4)):
        if not lines:
            break
        i = fdp.ConsumeIntInRange(0, len(lines) - 1)
        action = fdp.ConsumeIntInRange(0, 3)
        if action == 0:
            del lines[i]
        elif action == 1:
            lines.insert(i, lines[i])
        elif action == 2:
            j = fdp.ConsumeIntInRange(0, len(lines) - 1)
            lines[i], lines[j] = lines[j], lines[i]
        else:
            at = fdp.ConsumeIntInRange(0, len(lines[i]))
            lines[i] = lines[i][:at] + fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 6)) + lines[i][at + 1:]
    return b"\r\n".join(lines)


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    text = mutated_seed(fdp) if fdp.ConsumeBool() else fdp.ConsumeBytes(2000)
    try:
        desc = SessionDescription.parse(text)
    except SdpError:
        return
    assert SessionDescription.parse(str(desc)) == desc
    try:
        answer = negotiate_answer(desc, CAPS)
        assert SessionDescription.parse(bytes(answer)) == answer.sdp
    except NegotiationError:
        pass
    try:
        process_answer(OFFER, desc)
    except NegotiationError:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
