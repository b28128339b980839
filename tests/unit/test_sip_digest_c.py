"""The C digest checks (csrc/sip_digest.c via uc_signal._sipfront.DigestChecker) against a
Python model of the rules with hashlib as the oracle: the same verdict for the same
credentials, including every kind of damage, for MD5, SHA-256 and SHA-512-256."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uc_signal._sipfront import DigestChecker, digest_hash_hex
from uc_signal.sip.digest import (
    DigestAlgorithm,
    DigestAuthenticator,
    DigestCredentials,
    DigestError,
    InMemoryCredentials,
    compute_ha1,
)

REALM = "example.com"
SECRET = b"0123456789abcdef-differential-secret"
LIFETIME = 60.0
HASHES = {
    "MD5": hashlib.md5,
    "SHA-256": hashlib.sha256,
    "SHA-512-256": lambda data: hashlib.new("sha512_256", data),
}


def _h(algorithm: str, text: str) -> str:
    return HASHES[algorithm](text.encode("utf-8", "surrogatepass")).hexdigest()  # type: ignore[no-any-return]


def _nonce(secret: bytes, realm: str, issued_ms: int, salt: bytes) -> str:
    head = struct.pack("!Q", issued_ms) + salt
    mac = hmac.digest(secret, head + realm.encode(), "sha256")[:16]
    return base64.urlsafe_b64encode(head + mac).decode("ascii").rstrip("=")


def _issued_at(secret: bytes, realm: str, nonce: str) -> float | None:
    """The model's nonce check: exactly the 43 base64url characters _nonce writes."""
    if len(nonce) != 43 or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in nonce):
        return None
    raw = base64.urlsafe_b64decode(nonce + "=")
    if base64.urlsafe_b64encode(raw).decode().rstrip("=") != nonce:
        return None  # spare bits set: not the text the server wrote
    head, mac = raw[:16], raw[16:]
    if not hmac.compare_digest(mac, hmac.digest(secret, head + realm.encode(), "sha256")[:16]):
        return None
    return float(struct.unpack("!Q", head[:8])[0]) / 1000.0


def _model(c: dict[str, str | None], method: str, request_uri: str | None, ha1: str | None, now: float,
           offered: tuple[str, ...], opaque: str) -> DigestError | None:
    """DigestAuthenticator's rules before the nonce-count record, in Python with hashlib."""
    algorithm = (c["algorithm"] or "MD5").upper()
    if algorithm not in HASHES:
        return DigestError.MALFORMED_CREDENTIALS
    if c["realm"] != REALM:
        return DigestError.REALM_MISMATCH
    if algorithm not in offered:
        return DigestError.UNSUPPORTED_ALGORITHM
    if c["qop"] is None or c["qop"].lower() != "auth":
        return DigestError.UNSUPPORTED_QOP
    nc = c["nc"]
    if nc is None or c["cnonce"] is None or len(nc) != 8 or any(ch not in "0123456789abcdefABCDEF" for ch in nc) \
            or int(nc, 16) < 1:
        return DigestError.MALFORMED_CREDENTIALS
    if request_uri is not None and c["uri"] != request_uri:
        return DigestError.URI_MISMATCH
    issued_at = _issued_at(SECRET, REALM, c["nonce"] or "")
    if issued_at is None or issued_at > now:
        return DigestError.INVALID_NONCE
    if c["opaque"] is not None and c["opaque"] != opaque:
        return DigestError.OPAQUE_MISMATCH
    if ha1 is None:
        return DigestError.UNKNOWN_USER
    ha2 = _h(algorithm, f"{method}:{c['uri']}")
    expected = _h(algorithm, f"{ha1}:{c['nonce']}:{nc}:{c['cnonce']}:auth:{ha2}")
    if (c["response"] or "").lower() != expected:
        return DigestError.WRONG_RESPONSE
    if now - issued_at > LIFETIME:
        return DigestError.STALE_NONCE
    return None


VERDICTS = (None, DigestError.MALFORMED_CREDENTIALS, DigestError.REALM_MISMATCH,
            DigestError.UNSUPPORTED_ALGORITHM, DigestError.UNSUPPORTED_QOP, DigestError.URI_MISMATCH,
            DigestError.INVALID_NONCE, DigestError.OPAQUE_MISMATCH, DigestError.UNKNOWN_USER,
            DigestError.WRONG_RESPONSE, DigestError.STALE_NONCE)

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


DAMAGE = st.sampled_from([
    "realm", "realm-case", "algorithm-unknown", "algorithm-absent", "qop-int", "qop-upper", "qop-absent",
    "nc-zero", "nc-short", "nc-long", "nc-not-hex", "nc-upper", "nc-absent", "cnonce-absent", "uri",
    "request-uri-absent", "nonce-text", "nonce-last", "nonce-flip", "nonce-secret", "opaque-wrong",
    "opaque-absent", "user-unknown", "password", "response-upper", "response-short", "response-empty",
    "future", "lifetime", "stale",
])


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, str | None], str, str | None, str | None, float, tuple[str, ...]]:
    """Good credentials, then none, one or two kinds of damage (so every verdict is reached)."""
    damage = set(draw(st.lists(DAMAGE, max_size=2)))
    offered = draw(st.sampled_from([("SHA-256", "MD5"), ("MD5",), ("SHA-512-256", "SHA-256", "MD5")]))
    algorithm: str | None = draw(st.sampled_from(offered + ("MD5", "SHA-512-256", "md5", "sha-256")))
    if "algorithm-unknown" in damage:
        algorithm = "SHA-999"
    elif "algorithm-absent" in damage:
        algorithm = None
    issued_ms = draw(st.integers(0, 10_000_000))
    nonce = _nonce(SECRET, REALM, issued_ms, draw(st.binary(min_size=8, max_size=8)))
    if "nonce-text" in damage:
        nonce = draw(_text)
    elif "nonce-last" in damage:  # a spare bit set in the last character
        nonce = nonce[:-1] + ("B" if nonce[-1] == "A" else chr(ord(nonce[-1]) | 1))
    elif "nonce-flip" in damage:
        nonce = nonce[:20] + ("-" if nonce[20] != "-" else "A") + nonce[21:]
    elif "nonce-secret" in damage:
        nonce = _nonce(b"another-secret-0123456", REALM, issued_ms, b"\0" * 8)
    method = draw(st.sampled_from(["REGISTER", "INVITE", "MESSAGE"]))
    uri = draw(st.sampled_from(["sip:example.com", "sip:bob@example.com;transport=udp", "sip:\u00e9t\u00e9@x"]))
    nc: str | None = f"{draw(st.integers(1, 0xFFFFFFFF)):08x}"
    nc = {"nc-zero": "00000000", "nc-short": "0000001", "nc-long": "000000001", "nc-not-hex": "0000000g",
          "nc-upper": "0000ABCD", "nc-absent": None}.get(next(iter(damage & {
              "nc-zero", "nc-short", "nc-long", "nc-not-hex", "nc-upper", "nc-absent"}), ""), nc)
    cnonce = None if "cnonce-absent" in damage else draw(_text)
    real = (algorithm or "MD5").upper()
    password = "wrong" if "password" in damage else "secret"
    response = draw(_text)
    if real in HASHES:
        key = _h(real, f"alice:{REALM}:{password}")
        response = _h(real, f"{key}:{nonce}:{nc}:{cnonce}:auth:{_h(real, f'{method}:{uri}')}")
        response = response.upper() if "response-upper" in damage else response
        response = response[:-1] if "response-short" in damage else response
        response = "" if "response-empty" in damage else response
    ha1 = None if "user-unknown" in damage or real not in HASHES else _h(real, f"alice:{REALM}:secret")
    c: dict[str, str | None] = {
        "username": "alice",
        "realm": "other.org" if "realm" in damage else "EXAMPLE.COM" if "realm-case" in damage else REALM,
        "nonce": nonce, "uri": uri, "algorithm": algorithm,
        "qop": "auth-int" if "qop-int" in damage else "AUTH" if "qop-upper" in damage else
               None if "qop-absent" in damage else "auth",
        "nc": nc, "cnonce": cnonce, "response": response,
        "opaque": "wrong" if "opaque-wrong" in damage else None if "opaque-absent" in damage else "opaque-value",
    }
    request_uri = "sip:elsewhere" if "uri" in damage else None if "request-uri-absent" in damage else uri
    now = issued_ms / 1000.0 + (-1.0 if "future" in damage else LIFETIME if "lifetime" in damage
                                else LIFETIME + 0.5 if "stale" in damage else draw(st.floats(0.0, LIFETIME)))
    return c, method, request_uri, ha1, now, offered


@settings(max_examples=400, deadline=None)
@given(cases())
def test_c_checks_agree_with_the_hashlib_model(case: tuple) -> None:
    c, method, request_uri, ha1, now, offered = case
    checker = DigestChecker(SECRET, REALM, "opaque-value", offered, LIFETIME)
    verdict, issued_at, nc = checker.check(
        c["username"], c["realm"], c["nonce"], c["uri"], c["response"], c["algorithm"], c["qop"], c["nc"],
        c["cnonce"], c["opaque"], method, request_uri, ha1, now)
    expected = _model(c, method, request_uri, ha1, now, offered, "opaque-value")
    assert VERDICTS[verdict] is expected
    if expected is None:
        assert nc == int(c["nc"] or "0", 16) and issued_at == _issued_at(SECRET, REALM, c["nonce"] or "")


@given(st.sampled_from(sorted(HASHES)), st.binary(max_size=300))
def test_c_hashes_match_hashlib(algorithm: str, data: bytes) -> None:
    assert digest_hash_hex(algorithm, data) == HASHES[algorithm](data).hexdigest()


@given(st.integers(0, 2**53), st.binary(min_size=8, max_size=8))
def test_c_nonces_are_the_model_nonces(issued_ms: int, salt: bytes) -> None:
    checker = DigestChecker(SECRET, REALM, "o", ["MD5"], LIFETIME)
    nonce = checker.make_nonce(issued_ms / 1000.0, salt)
    assert nonce == _nonce(SECRET, REALM, int(issued_ms / 1000.0 * 1000), salt)
    assert checker.nonce_issued_at(nonce) == _issued_at(SECRET, REALM, nonce)


def test_long_secret_is_hashed_first_as_hmac_says() -> None:
    secret = bytes(range(100))
    checker = DigestChecker(secret, REALM, "o", ["MD5"], LIFETIME)
    head = struct.pack("!Q", 5000) + b"saltsalt"
    mac = hmac.digest(secret, head + REALM.encode(), "sha256")[:16]
    nonce = base64.urlsafe_b64encode(head + mac).decode().rstrip("=")
    assert checker.nonce_issued_at(nonce) == 5.0


@pytest.mark.parametrize("bad", [
    dict(secret=b"short"), dict(realm="r" * 300), dict(opaque="o" * 200), dict(algorithms=[])])
def test_checker_refuses_bad_set_up(bad: dict) -> None:
    args = dict(secret=SECRET, realm=REALM, opaque="o", algorithms=["MD5"], nonce_lifetime=1.0) | bad
    with pytest.raises(ValueError):
        DigestChecker(args["secret"], args["realm"], args["opaque"], args["algorithms"], args["nonce_lifetime"])


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(list(DigestAlgorithm)), st.integers(1, 50), st.text("abcdefXYZ0123456789/+=", min_size=1, max_size=20))
def test_authenticator_accepts_its_own_challenges_then_refuses_the_replay(
        algorithm: DigestAlgorithm, nc: int, cnonce: str) -> None:
    store = InMemoryCredentials()
    store.add_password("alice", REALM, "pw")
    server = DigestAuthenticator(REALM, SECRET, store, nonce_lifetime=LIFETIME, algorithms=tuple(DigestAlgorithm))
    nonce = server.make_nonce(100.0)
    ha1 = compute_ha1(algorithm, "alice", REALM, "pw")
    ha2 = _h(algorithm.value, "REGISTER:sip:example.com")
    response = _h(algorithm.value, f"{ha1}:{nonce}:{nc:08x}:{cnonce}:auth:{ha2}")
    value = str(DigestCredentials("alice", REALM, nonce, "sip:example.com", response, algorithm, "auth",
                                  f"{nc:08x}", cnonce, server.opaque))
    assert server.verify("REGISTER", "sip:example.com", [value], 101.0).accepted
    assert server.verify("REGISTER", "sip:example.com", [value], 101.0).error is DigestError.REPLAYED_NONCE_COUNT
