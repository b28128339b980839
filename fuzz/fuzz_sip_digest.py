"""Fuzz the digest checks (csrc/sip_digest.c under uc_signal._sipfront.DigestChecker,
through DigestAuthenticator.verify): mutated Authorization values built from a correct one,
and raw text. Nothing may raise, and whatever is accepted must be accepted by the hashlib
model of the rules (tests/unit/test_sip_digest_c.py): a wrong accept is a bug.

    python fuzz/fuzz_sip_digest.py -atheris_runs=20000
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout, not an install
sys.path.insert(0, str(ROOT / "tests" / "unit"))

with atheris.instrument_imports():
    from test_sip_digest_c import LIFETIME, REALM, SECRET, _model
    from uc_signal.sip.digest import (
        DigestAlgorithm,
        DigestAuthenticator,
        DigestChallenge,
        DigestCredentials,
        DigestParseError,
        InMemoryCredentials,
        build_credentials,
    )

NOW = 1_800_000_000.0
STORE = InMemoryCredentials()
STORE.add_password("alice", REALM, "secret")
SERVER = DigestAuthenticator(REALM, SECRET, STORE, nonce_lifetime=LIFETIME, algorithms=tuple(DigestAlgorithm))
SEEDS = []
for _challenge in SERVER.challenges(NOW):
    for _uri in ("sip:example.com", "sip:bob@example.com"):
        SEEDS.append(str(build_credentials(DigestChallenge.parse(_challenge), "alice", "secret", "REGISTER",
                                           _uri, cnonce="c0ffee", nc=3)))


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    choice = fdp.ConsumeIntInRange(0, 7)
    if choice == 7:
        value = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 300))
    else:
        chars = list(SEEDS[choice % len(SEEDS)])
        for _ in range(fdp.ConsumeIntInRange(0, 4)):
            chars[fdp.ConsumeIntInRange(0, len(chars) - 1)] = chr(fdp.ConsumeIntInRange(32, 126))
        value = "".join(chars)
    request_uri = fdp.PickValueInList(["sip:example.com", "sip:bob@example.com", None])
    now = NOW + fdp.ConsumeIntInRange(-2, 70)
    server = DigestAuthenticator(REALM, SECRET, STORE, nonce_lifetime=LIFETIME, algorithms=SERVER.algorithms)
    verdict = server.verify("REGISTER", request_uri, [value], now)
    if not verdict.accepted:
        return
    parsed = DigestCredentials.parse(value)  # accepted, so it parsed
    fields = {name: getattr(parsed, name) for name in (
        "username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce", "opaque")}
    fields["algorithm"] = parsed.algorithm.value
    offered = tuple(algorithm.value for algorithm in SERVER.algorithms)
    ha1 = STORE.ha1(parsed.username, REALM, parsed.algorithm)
    assert _model(fields, "REGISTER", request_uri, ha1, now, offered, server.opaque) is None, value


def main() -> None:
    try:
        DigestCredentials.parse(SEEDS[0])
    except DigestParseError as error:  # the seeds must be good, or nothing is reached
        raise SystemExit(f"bad seed: {error}") from None
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
