"""Fuzz the C front of SIP over UDP (csrc/sip_front.c under uc_signal._sipfront): mutated
REGISTER / INVITE / MESSAGE / ACK datagrams and raw bytes. The front must never crash and
never answer (or absorb) what the Python path would refuse: whatever it answers parses
(parse_datagram) and validates (Message.validate(), the proxy core's check), and its
answer parses as the 401 / 407 it claims to be.

    python fuzz/fuzz_sip_front.py -atheris_runs=20000
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout, not an install
sys.path.insert(0, str(ROOT / "fuzz"))

with atheris.instrument_imports():
    from uc_signal._sipfront import ABSORB, ANSWER, PASS, RESEND
    from uc_signal.sip import DigestAuthenticator, ParseError, Request, Response, parse_datagram
    from uc_signal.sip.digest import InMemoryCredentials
    from uc_signal.sip.transaction_layer import STATELESS_TAG_PREFIX
    from uc_signal.transport.challenge_front import challenge_front

SECRET = b"fuzz-front-secret-0123456789abcdef"
NOW = 1_800_000_000.0
FRONT = challenge_front(
    SECRET, {"example.com": DigestAuthenticator("example.com", SECRET, InMemoryCredentials())},
    {"example.com": DigestAuthenticator("example.com", SECRET, InMemoryCredentials(), proxy=True)},
    ["5550100@example.com"])
_HEAD = ("Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKf{n};rport\r\nMax-Forwards: 70\r\n"
         "From: <sip:alice@example.com>;tag=1\r\nTo: <sip:{to}@example.com>{tag}\r\nCall-ID: c{n}@x\r\n")
SEEDS = [
    (f"REGISTER sip:example.com SIP/2.0\r\n{_HEAD.format(n=1, to='alice', tag='')}CSeq: 1 REGISTER\r\n"
     "Contact: <sip:alice@192.0.2.1:5060;transport=udp>;expires=60\r\nExpires: 60\r\nContent-Length: 0\r\n\r\n"),
    (f"REGISTER sip:example.com SIP/2.0\r\n{_HEAD.format(n=4, to='alice', tag='')}CSeq: 2 REGISTER\r\n"
     'Contact: <sip:alice@192.0.2.1:5060>;+sip.instance="<urn:uuid:00000000-0000-4000-8000-000000000001>";reg-id=1\r\n'
     "User-Agent: ua 1.0 (linux)\r\nAllow: INVITE,ACK\r\nSupported: gruu, path\r\nContent-Length: 0\r\n\r\n"),
    (f"INVITE sip:bob@example.com SIP/2.0\r\n{_HEAD.format(n=2, to='bob', tag='')}CSeq: 1 INVITE\r\n"
     "Contact: <sip:alice@192.0.2.1>\r\nContent-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\r\n"),
    (f"MESSAGE sip:bob@example.com SIP/2.0\r\n{_HEAD.format(n=3, to='bob', tag='')}CSeq: 7 MESSAGE\r\n"
     "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi"),
    (f"ACK sip:bob@example.com SIP/2.0\r\n"   # the ACK to a 407 the front sent
     f"{_HEAD.format(n=2, to='bob', tag=';tag=' + STATELESS_TAG_PREFIX + '0a1b2c3d')}"
     "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"),
]
SEED_BYTES = [seed.encode() for seed in SEEDS]
_clock = [NOW]


def _payload(fdp: atheris.FuzzedDataProvider) -> bytes:
    """A seed with up to four bytes overwritten (seed 0 unchanged for an empty input, so
    even libFuzzer's first, tiny inputs reach the answering paths), or raw bytes one time
    in eight (_seeded.seeded_payload's shape, the other way round)."""
    choice = fdp.ConsumeIntInRange(0, 7)
    if choice == 7:
        return fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 600))
    seed = bytearray(SEED_BYTES[choice % len(SEED_BYTES)])
    for _ in range(fdp.ConsumeIntInRange(0, 4)):
        seed[fdp.ConsumeIntInRange(0, len(seed) - 1)] = fdp.ConsumeInt(1) & 0xFF
    return bytes(seed)


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    payload = _payload(fdp)
    _clock[0] += 0.5   # answers are remembered 4 s: some inputs are retransmissions
    verdict = FRONT.handle(payload, "192.0.2.1", 5060, _clock[0])
    if verdict == PASS:
        return
    try:
        message = parse_datagram(payload)
        assert isinstance(message, Request), payload
        message.check_required_headers()
        if verdict != ABSORB:
            message.validate()
    except ParseError as error:
        raise AssertionError(f"front verdict {verdict} for a malformed request {payload!r}: {error}") from None
    if verdict in (ANSWER, RESEND):
        answer = FRONT.answer
        assert answer is not None
        response = parse_datagram(answer)
        assert isinstance(response, Response) and response.status in (401, 407), answer
        response.validate()
        assert (response.status == 401) == (message.method == "REGISTER"), (payload, answer)
    else:
        assert verdict == ABSORB and message.method == "ACK", payload


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
