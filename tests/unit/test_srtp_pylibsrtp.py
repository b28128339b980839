"""Interop with pylibsrtp (its own libsrtp build, over OpenSSL): same keys, same packets,
both directions, SRTP and SRTCP, for every suite both sides implement."""

from __future__ import annotations

import struct

import pylibsrtp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from uc_media import SRTP_SUITES, SrtpAuthError, SrtpSession, srtp_key_salt_length

PROFILES = {
    "AES_CM_128_HMAC_SHA1_80": pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    "AES_CM_128_HMAC_SHA1_32": pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_32,
    "AEAD_AES_128_GCM": pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
}


def key_for(suite: str) -> bytes:
    return bytes((3 + 29 * i) & 0xFF for i in range(srtp_key_salt_length(suite)))


def theirs(suite: str, inbound: bool) -> pylibsrtp.Session:
    ssrc_type = pylibsrtp.Policy.SSRC_ANY_INBOUND if inbound else pylibsrtp.Policy.SSRC_ANY_OUTBOUND
    return pylibsrtp.Session(pylibsrtp.Policy(key=key_for(suite), ssrc_type=ssrc_type, srtp_profile=PROFILES[suite]))


def rtp(seq: int, payload_len: int = 160, ssrc: int = 0xDEADBEEF) -> bytes:
    payload = bytes((seq + i) & 0xFF for i in range(payload_len))
    return struct.pack("!BBHII", 0x80, 111, seq, seq * 960, ssrc) + payload


def sender_report(ssrc: int = 0xDEADBEEF, packets: int = 5) -> bytes:
    # RFC 3550 section 6.4.1 SR without report blocks, then an SDES CNAME chunk.
    sr = struct.pack("!BBHIIIIII", 0x80, 200, 6, ssrc, 0xE000_0000, 0, 4800, packets, packets * 160)
    cname = b"\x01\x05uc-me\x00\x00"
    sdes = struct.pack("!BBHI", 0x81, 202, (4 + len(cname)) // 4, ssrc) + cname
    return sr + sdes


def test_pylibsrtp_covers_our_suites() -> None:
    assert set(PROFILES) == set(SRTP_SUITES)


@pytest.mark.parametrize("suite", SRTP_SUITES)
def test_we_protect_pylibsrtp_unprotects(suite: str) -> None:
    ours = SrtpSession(suite, key_for(suite), "outbound")
    peer = theirs(suite, inbound=True)
    for seq in range(65530, 65536):  # up to the sequence-number wrap
        packet = rtp(seq, 160 + seq % 7)
        assert peer.unprotect(ours.protect(packet)) == packet
    for seq in range(0, 40):  # rollover counter now 1 on both sides
        packet = rtp(seq, 1200 if seq % 5 == 0 else 160)
        assert peer.unprotect(ours.protect(packet)) == packet
    for n in range(3):
        report = sender_report(packets=n)
        assert peer.unprotect_rtcp(ours.protect_rtcp(report)) == report


@pytest.mark.parametrize("suite", SRTP_SUITES)
def test_pylibsrtp_protects_we_unprotect(suite: str) -> None:
    peer = theirs(suite, inbound=False)
    ours = SrtpSession(suite, key_for(suite), "inbound")
    for seq in range(100, 140):
        packet = rtp(seq, 1200 if seq % 5 == 0 else 160)
        assert ours.unprotect(peer.protect(packet)) == packet
    for n in range(3):
        report = sender_report(packets=n)
        assert ours.unprotect_rtcp(peer.protect_rtcp(report)) == report


@pytest.mark.parametrize("suite", SRTP_SUITES)
def test_identical_bytes_on_the_wire(suite: str) -> None:
    """Deterministic transforms: the same key and packet give the same SRTP bytes."""
    ours = SrtpSession(suite, key_for(suite), "outbound")
    peer = theirs(suite, inbound=False)
    for seq in (1, 2, 3):
        packet = rtp(seq)
        assert ours.protect(packet) == peer.protect(packet)
    report = sender_report()
    assert ours.protect_rtcp(report) == peer.protect_rtcp(report)


@pytest.mark.parametrize("suite", SRTP_SUITES)
def test_batch_output_unprotected_by_pylibsrtp(suite: str) -> None:
    ours = SrtpSession(suite, key_for(suite), "outbound")
    peer = theirs(suite, inbound=True)
    plain = [rtp(seq, 160) for seq in range(500, 532)]
    packets = [bytearray(p) for p in plain]
    assert ours.protect_batch(packets) == [None] * len(packets)
    assert [peer.unprotect(bytes(p)) for p in packets] == plain


def test_tampered_pylibsrtp_packet_fails_here() -> None:
    peer = theirs("AES_CM_128_HMAC_SHA1_80", inbound=False)
    ours = SrtpSession("AES_CM_128_HMAC_SHA1_80", key_for("AES_CM_128_HMAC_SHA1_80"), "inbound")
    protected = bytearray(peer.protect(rtp(9)))
    protected[-1] ^= 1
    with pytest.raises(SrtpAuthError):
        ours.unprotect(bytes(protected))


@given(suite=st.sampled_from(SRTP_SUITES), payloads=st.lists(st.binary(max_size=1300), min_size=1, max_size=8))
def test_property_cross_implementation_round_trip(suite: str, payloads: list[bytes]) -> None:
    ours = SrtpSession(suite, key_for(suite), "outbound")
    peer = theirs(suite, inbound=True)
    for seq, payload in enumerate(payloads):
        packet = struct.pack("!BBHII", 0x80, 96, seq, 0, 7) + payload
        assert peer.unprotect(ours.protect(packet)) == packet
