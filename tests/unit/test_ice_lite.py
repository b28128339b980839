"""ICE-lite responder (csrc/ice_lite.c through uc_media.IceLiteResponder): answers,
error responses, nomination and consent, with time passed by hand. No sockets."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uc_media import (
    ICE_CONSENT_TIMEOUT,
    IceCredentials,
    IceLiteResponder,
    InvalidArgumentError,
    StunAttr,
    StunClass,
    StunMessage,
    StunMethod,
    generate_password,
    generate_ufrag,
)
from uc_media.ice import ICE_CHARS

LOCAL = IceCredentials("srvU", "serverpasswordserverpass")
REMOTE = IceCredentials("cliU", "clientpasswordclientpass")
CLIENT = ("198.51.100.7", 40000)


def check(
    username: str = "srvU:cliU",
    password: str = LOCAL.pwd,
    *,
    priority: int | None = 1_000_000,
    use_candidate: bool = False,
    role: StunAttr = StunAttr.ICE_CONTROLLING,
    extra: list[tuple[int, bytes]] | None = None,
) -> tuple[StunMessage, bytes]:
    """A Binding request as a full controlling agent sends it (RFC 8445 section 7.2.2)."""
    msg = StunMessage(StunMethod.BINDING, StunClass.REQUEST)
    msg.add(StunAttr.USERNAME, username.encode())
    if priority is not None:
        msg.add_u32(StunAttr.PRIORITY, priority)
    msg.add_u64(role, secrets.randbits(64))
    if use_candidate:
        msg.add(StunAttr.USE_CANDIDATE)
    for t, v in extra or []:
        msg.add(t, v)
    return msg, msg.encode(integrity_key=password.encode(), fingerprint=True)


def answer(responder: IceLiteResponder, data: bytes, now: float, src: tuple[str, int] = CLIENT) -> StunMessage:
    out = responder.handle(data, src, now)
    assert out is not None
    resp = StunMessage.parse(out)
    resp.verify(fingerprint=True)
    return resp


def test_success_response() -> None:
    r = LOCAL.responder(REMOTE)
    req, data = check()
    resp = answer(r, data, now=1.0)
    assert resp.message_class == StunClass.SUCCESS and resp.method == StunMethod.BINDING
    assert resp.transaction_id == req.transaction_id
    assert resp.xor_mapped_address == CLIENT
    resp.verify(integrity_key=LOCAL.pwd.encode())
    assert [t for t, _ in resp.attributes] == [
        StunAttr.XOR_MAPPED_ADDRESS, StunAttr.MESSAGE_INTEGRITY, StunAttr.FINGERPRINT]
    assert r.nominated is None and r.state(1.0) == "waiting"
    assert r.counters["success"] == 1


def test_use_candidate_nominates_and_consent_expires() -> None:
    r = LOCAL.responder(REMOTE)
    _, data = check(use_candidate=True)
    answer(r, data, now=10.0)
    assert r.selection_changed
    assert r.nominated == CLIENT
    assert r.state(10.0) == "connected"
    # Consent checks (no USE-CANDIDATE) keep it fresh.
    for t in (14.0, 19.0, 24.5):
        answer(r, check()[1], now=t)
        assert not r.selection_changed
    assert r.last_check == 24.5
    assert not r.consent_expired(24.5 + ICE_CONSENT_TIMEOUT - 0.001)
    assert r.consent_expired(24.5 + ICE_CONSENT_TIMEOUT)
    assert r.state(60.0) == "expired"
    # A valid check restores consent.
    answer(r, check()[1], now=61.0)
    assert r.state(61.0) == "connected"


def test_renomination_by_priority() -> None:
    r = LOCAL.responder(REMOTE)
    other = ("198.51.100.7", 40002)
    answer(r, check(use_candidate=True, priority=2000)[1], now=0.0)
    answer(r, check(use_candidate=True, priority=1000)[1], now=1.0, src=other)
    assert r.nominated == CLIENT  # lower priority while the selected pair has consent
    answer(r, check(use_candidate=True, priority=2000)[1], now=2.0, src=other)
    assert r.selection_changed and r.nominated == other  # equal priority: newer wins


@pytest.mark.parametrize(
    "username", ["srvU:cliX", "srvX:cliU", "cliU:srvU", "srvU", "srvU:", "srvU:cliUU", ":cliU"])
def test_wrong_username_401(username: str) -> None:
    r = LOCAL.responder(REMOTE)
    resp = answer(r, check(username, use_candidate=True)[1], now=0.0)
    assert resp.error_code == (401, "Unauthorized")
    assert resp.get(StunAttr.MESSAGE_INTEGRITY) is None
    assert r.counters["unknown_user"] == 1 and r.nominated is None


def test_wrong_password_401() -> None:
    r = LOCAL.responder(REMOTE)
    resp = answer(r, check(password=REMOTE.pwd, use_candidate=True)[1], now=0.0)
    assert resp.error_code == (401, "Unauthorized")
    assert r.counters["bad_integrity"] == 1 and r.nominated is None


def test_role_conflict_487() -> None:
    # A lite agent is always controlled; a peer claiming controlled must switch.
    r = LOCAL.responder(REMOTE)
    resp = answer(r, check(role=StunAttr.ICE_CONTROLLED)[1], now=0.0)
    assert resp.error_code == (487, "Role Conflict")
    resp.verify(integrity_key=LOCAL.pwd.encode())
    assert r.counters["role_conflict"] == 1


def test_bad_requests_400_and_420() -> None:
    r = LOCAL.responder(REMOTE)
    resp = answer(r, check(priority=None)[1], now=0.0)
    assert resp.error_code is not None and resp.error_code[0] == 400
    no_integrity = StunMessage().add(StunAttr.USERNAME, b"srvU:cliU").add_u32(StunAttr.PRIORITY, 1)
    resp = answer(r, no_integrity.encode(fingerprint=True), now=0.0)
    assert resp.error_code is not None and resp.error_code[0] == 400
    sha256_only = StunMessage().add(StunAttr.USERNAME, b"srvU:cliU").add_u32(StunAttr.PRIORITY, 1)
    resp = answer(r, sha256_only.encode(integrity_sha256_key=LOCAL.pwd.encode(), fingerprint=True), now=0.0)
    assert resp.error_code is not None and resp.error_code[0] == 400  # ICE checks use HMAC-SHA1
    resp = answer(r, check(extra=[(0x0031, b"x"), (0x7ABC, b"")])[1], now=0.0)
    assert resp.error_code == (420, "Unknown Attribute")
    assert resp.unknown_attributes == (0x0031, 0x7ABC)
    # Unknown comprehension-optional attributes are fine.
    assert answer(r, check(extra=[(0xC001, b"x")])[1], now=0.0).message_class == StunClass.SUCCESS
    assert r.counters["bad_request"] == 3 and r.counters["unknown_attribute"] == 1


def test_dropped_silently() -> None:
    r = LOCAL.responder(REMOTE)
    _, data = check()
    assert r.handle(data[:-1] + bytes([data[-1] ^ 1]), CLIENT, 0.0) is None  # FINGERPRINT
    unsigned = StunMessage().add(StunAttr.USERNAME, b"srvU:cliU")
    assert r.handle(unsigned.encode(integrity_key=LOCAL.pwd.encode()), CLIENT, 0.0) is None
    assert r.handle(b"\x80\x00" + bytes(30), CLIENT, 0.0) is None  # RTP
    indication = StunMessage(StunMethod.BINDING, StunClass.INDICATION)
    assert r.handle(indication.encode(fingerprint=True), CLIENT, 0.0) is None
    c = r.counters
    assert (c["bad_fingerprint"], c["malformed"], c["ignored"], c["success"]) == (2, 1, 1, 0)


def test_remote_credentials_learned_later() -> None:
    r = IceLiteResponder(LOCAL.ufrag, LOCAL.pwd)
    assert answer(r, check("srvU:anything")[1], now=0.0).message_class == StunClass.SUCCESS
    r.set_remote(REMOTE.ufrag, REMOTE.pwd)
    assert answer(r, check("srvU:anything")[1], now=0.0).error_code == (401, "Unauthorized")
    assert answer(r, check()[1], now=0.0).message_class == StunClass.SUCCESS


def test_ipv6_source() -> None:
    r = LOCAL.responder(REMOTE)
    src = ("2001:db8::7", 5004)
    resp = answer(r, check(use_candidate=True)[1], now=0.0, src=src)
    assert resp.xor_mapped_address == src and r.nominated == src


def test_arguments() -> None:
    with pytest.raises(InvalidArgumentError):
        IceLiteResponder("", "pw")
    with pytest.raises(InvalidArgumentError):
        IceLiteResponder("a:b", "passwordpasswordpassword")
    with pytest.raises(InvalidArgumentError):
        IceLiteResponder("x" * 257, "passwordpasswordpassword")
    r = LOCAL.responder()
    with pytest.raises(InvalidArgumentError):
        r.handle(b"", ("not-an-ip", 1), 0.0)
    with pytest.raises(InvalidArgumentError):
        r.handle(b"", ("127.0.0.1", 70000), 0.0)


def test_generated_credentials() -> None:
    creds = {IceCredentials.generate() for _ in range(50)}
    assert len(creds) == 50
    for c in creds:
        assert len(c.ufrag) == 8 and len(c.pwd) == 24
        assert set(c.ufrag + c.pwd) <= set(ICE_CHARS)
    with pytest.raises(ValueError):
        generate_ufrag(3)
    with pytest.raises(ValueError):
        generate_password(21)


@given(st.binary(max_size=300), st.floats(0, 1e6))
def test_arbitrary_datagrams_never_crash(data: bytes, now: float) -> None:
    r = LOCAL.responder(REMOTE)
    out = r.handle(data, CLIENT, now)
    if out is not None:  # only a request with a good FINGERPRINT gets an answer
        StunMessage.parse(out).verify(fingerprint=True)
    assert r.nominated is None
