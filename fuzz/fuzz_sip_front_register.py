"""Fuzz the C front's authenticated REGISTERs (csrc/sip_front.c, VERIFIED): mutated
REGISTERs with credentials, and raw bytes. Whenever the front hands a REGISTER to the
registrar (register_handler), the Python stack must agree that it was right to: the
datagram parses and validates, it is a REGISTER from and to the AOR it names, with one
Contact whose URI and parameters are the ones handed over, and DigestAuthenticator (a fresh
nonce-count record) accepts its credentials for that user. Nothing may raise.

    python fuzz/fuzz_sip_front_register.py -atheris_runs=20000
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout, not an install

with atheris.instrument_imports():
    from uc_signal.sip import DigestAuthenticator, DigestChallenge, ParseError, Request, parse_datagram
    from uc_signal.sip.digest import InMemoryCredentials, build_credentials
    from uc_signal.transport.challenge_front import challenge_front, set_credentials

SECRET = b"fuzz-front-register-secret-0123456789"
NOW = 1_800_000_000.0
STORE = InMemoryCredentials()
STORE.add_password("alice", "example.com", "secret")
AUTH = DigestAuthenticator("example.com", SECRET, STORE)
FRONT = challenge_front(SECRET, {"example.com": AUTH}, {})
set_credentials(FRONT, "alice", "example.com", {a.value: STORE.ha1("alice", "example.com", a) or "" for a in AUTH.algorithms})
FRONT.register = True
FRONT.register_memory = -1.0  # answers not kept: every mutant of a seed is verified anew, not resent
HANDED: list[tuple] = []
FRONT.register_handler = lambda *values: HANDED.append(values) or "Supported: path\r\n\r\n"


def _seed(index: int) -> bytes:
    challenge = DigestChallenge.parse(AUTH.challenges(NOW - 1)[index % 2])
    credentials = build_credentials(challenge, "alice", "secret", "REGISTER", "sip:example.com", cnonce="c0ffee",
                                    nc=1)
    return ("REGISTER sip:example.com SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKf{index};rport\r\nMax-Forwards: 70\r\n"
            "From: <sip:alice@example.com>;tag=1\r\nTo: <sip:alice@example.com>\r\nCall-ID: c1@x\r\n"
            f"CSeq: {index + 1} REGISTER\r\nContact: <sip:alice@192.0.2.1:5060;transport=udp>;expires=60;x=y\r\n"
            f"Expires: 60\r\nSupported: path\r\nUser-Agent: ua 1.0\r\nAuthorization: {credentials}\r\n"
            "Content-Length: 0\r\n\r\n").encode()


SEEDS = [_seed(0), _seed(1)]


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    choice = fdp.ConsumeIntInRange(0, 7)
    if choice == 7:
        payload = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 900))
    else:
        seed = bytearray(SEEDS[choice % 2])
        for _ in range(fdp.ConsumeIntInRange(0, 3)):
            seed[fdp.ConsumeIntInRange(0, len(seed) - 1)] = fdp.ConsumeInt(1) & 0xFF
        payload = bytes(seed)
    HANDED.clear()
    FRONT.handle(payload, "192.0.2.1", 5060, NOW, "udp0")
    if not HANDED:
        return
    (user, host, contact_uri, contact_params, _expires, _call_id, _cseq, _h, _p, _flow, _ua, _supported,
     _nonce, _issued_at, _nc, _now) = HANDED[0]
    try:
        message = parse_datagram(payload)
        assert isinstance(message, Request) and message.method == "REGISTER", payload
        message.check_required_headers()
        message.validate()
    except ParseError as error:
        raise AssertionError(f"handed over, but Python refuses it: {error}: {payload!r}") from None
    assert message.to is not None and message.from_ is not None
    assert (message.to.uri.user, message.to.uri.host.lower()) == (user, host.lower()) == (
        message.from_.uri.user, message.from_.uri.host.lower()), payload
    [contact] = message.contact
    assert contact.uri_text == contact_uri and contact.q is None, payload
    assert "+sip.instance" not in contact.params and "reg-id" not in contact.params, payload
    fresh = DigestAuthenticator("example.com", SECRET, STORE)
    verdict = fresh.verify_request(message, NOW)
    assert verdict.accepted and verdict.username == user, (verdict, payload)


def main() -> None:
    FRONT.handle(SEEDS[0], "192.0.2.1", 5060, NOW, "udp0")
    if not HANDED:  # the seeds must reach the handler, or nothing is tested
        raise SystemExit("the seed was not verified")
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
