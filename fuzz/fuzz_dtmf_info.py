"""Fuzz the SIP INFO DTMF body parsers (application/dtmf-relay, application/dtmf) and the
auto attendant fed with whatever digits come out: DtmfBodyError is the only exception
allowed, and the attendant never raises on a valid digit.

    PYTHONPATH=. python fuzz/fuzz_dtmf_info.py -atheris_runs=20000
"""

import sys
from pathlib import Path

import atheris  # type: ignore[import-untyped]

from _seeded import seeded_payload

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout, not an install

with atheris.instrument_imports(include=["uc_signal.conferencing"]):
    from uc_signal.conferencing import AutoAttendant, DtmfBodyError, PinResult, parse_info_body
    from uc_signal.conferencing.attendant import LookupConference, VerifyPin

SEEDS = [b"Signal=5\r\nDuration=160\r\n", b"Signal=#\r\n", b"signal=11\r\nduration=80\r\n", b"7", b"10\r\n"]
TYPES = ["application/dtmf-relay", "application/dtmf", "application/DTMF-Relay; x=y", "text/plain"]


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    attendant = AutoAttendant(caller_user="sip:alice@example.test")
    attendant.answered(0.0)
    now = 0.0
    for _ in range(fdp.ConsumeIntInRange(1, 12)):
        content_type = TYPES[fdp.ConsumeIntInRange(0, len(TYPES) - 1)]
        body = seeded_payload(fdp, SEEDS, raw_one_in=4)
        try:
            digit = parse_info_body(content_type, body)
        except DtmfBodyError:
            continue
        assert len(digit.digit) == 1 and digit.digit in "0123456789*#ABCD"
        now += fdp.ConsumeIntInRange(0, 20) / 2
        for action in attendant.timer(now) + attendant.digit(digit.digit, now):
            if isinstance(action, LookupConference):
                attendant.conference_found("MEET2345", now)
            elif isinstance(action, VerifyPin):
                result = list(PinResult)[fdp.ConsumeIntInRange(0, len(PinResult) - 1)]
                attendant.pin_result(result, now, "sip:alice@example.test")


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
