"""SrtpSession: round trips, failures with libsrtp's reason, batches, MKI, properties."""

from __future__ import annotations

import struct
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uc_media import (
    SRTP_SUITES,
    InvalidArgumentError,
    MalformedPacketError,
    MediaError,
    SrtpAuthError,
    SrtpError,
    SrtpReplayError,
    SrtpSession,
    StateError,
    TruncatedPacketError,
    UnsupportedError,
    srtp_key_salt_length,
    srtp_suite_available,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "srtp"
KNOWN_KEY = bytes.fromhex("e1f97a0d3e018be0d64fa32c06de41390ec675ad498afeebb6960b3aabe6")
RTP_TAG = {"AES_CM_128_HMAC_SHA1_80": 10, "AES_CM_128_HMAC_SHA1_32": 4, "AEAD_AES_128_GCM": 16}
RTCP_TRAILER = {"AES_CM_128_HMAC_SHA1_80": 14, "AES_CM_128_HMAC_SHA1_32": 14, "AEAD_AES_128_GCM": 20}


def key_for(suite: str, seed: int = 1) -> bytes:
    return bytes((seed + 11 * i) & 0xFF for i in range(srtp_key_salt_length(suite)))


def rtp(seq: int, payload: bytes = b"\x01" * 160, ssrc: int = 0x1234, pt: int = 111) -> bytes:
    return struct.pack("!BBHII", 0x80, pt, seq & 0xFFFF, seq * 960 & 0xFFFFFFFF, ssrc) + payload


def rtcp_rr(ssrc: int = 0x1234) -> bytes:
    return struct.pack("!BBHI", 0x80, 201, 1, ssrc)


def pair(suite: str, seed: int = 1) -> tuple[SrtpSession, SrtpSession]:
    key = key_for(suite, seed)
    return SrtpSession(suite, key, "outbound"), SrtpSession(suite, key, "inbound")


def test_suites_listed_and_available() -> None:
    assert SRTP_SUITES == ("AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM")
    # libsrtp2 over OpenSSL (scripts/build-libsrtp2-openssl.sh) has AES-GCM.
    assert all(srtp_suite_available(s) for s in SRTP_SUITES)
    assert srtp_key_salt_length("AEAD_AES_128_GCM") == 28
    with pytest.raises(UnsupportedError, match="AES_256_CM_HMAC_SHA1_80"):
        srtp_suite_available("AES_256_CM_HMAC_SHA1_80")


def test_known_answer_fixture() -> None:
    plain = (FIXTURES / "libsrtp_aes_cm_80_plain.bin").read_bytes()
    protected = (FIXTURES / "libsrtp_aes_cm_80.bin").read_bytes()
    tx = SrtpSession("AES_CM_128_HMAC_SHA1_80", KNOWN_KEY)
    assert tx.protect(plain) == protected
    rx = SrtpSession("AES_CM_128_HMAC_SHA1_80", KNOWN_KEY, "inbound")
    assert rx.unprotect(protected) == plain


def test_fixture_variants_raise() -> None:
    rx = SrtpSession("AES_CM_128_HMAC_SHA1_80", KNOWN_KEY, "inbound")
    with pytest.raises(TruncatedPacketError):
        rx.unprotect((FIXTURES / "libsrtp_aes_cm_80_truncated.bin").read_bytes())
    with pytest.raises(SrtpAuthError) as info:
        rx.unprotect((FIXTURES / "libsrtp_aes_cm_80_invalid.bin").read_bytes())
    assert info.value.reason == "srtp_err_status_auth_fail"


@pytest.mark.parametrize("suite", SRTP_SUITES)
def test_round_trip_rtp_and_rtcp(suite: str) -> None:
    tx, rx = pair(suite)
    assert (tx.rtp_overhead, tx.rtcp_overhead) == (RTP_TAG[suite], RTCP_TRAILER[suite])
    for seq in range(1000, 1020):
        packet = rtp(seq, bytes(range(seq % 200)))
        protected = tx.protect(packet)
        assert len(protected) == len(packet) + RTP_TAG[suite]
        assert protected[:12] == packet[:12]
        if len(packet) > 12:
            assert protected[12 : len(packet)] != packet[12:]
        assert rx.unprotect(protected) == packet
    report = rtcp_rr()
    protected = tx.protect_rtcp(report)
    assert len(protected) == len(report) + RTCP_TRAILER[suite]
    assert rx.unprotect_rtcp(protected) == report


@pytest.mark.parametrize("suite", SRTP_SUITES)
def test_accepts_any_bytes_like(suite: str) -> None:
    tx, rx = pair(suite)
    packet = rtp(7)
    protected = tx.protect(bytearray(packet))
    assert rx.unprotect(memoryview(protected)) == packet


@pytest.mark.parametrize("suite", SRTP_SUITES)
def test_tamper_fails_authentication(suite: str) -> None:
    tx, rx = pair(suite)
    protected = bytearray(tx.protect(rtp(1)))
    protected[30] ^= 0x01
    with pytest.raises(SrtpAuthError) as info:
        rx.unprotect(bytes(protected))
    assert info.value.reason == "srtp_err_status_auth_fail"
    assert "srtp_err_status_auth_fail" in str(info.value)
    report = bytearray(tx.protect_rtcp(rtcp_rr()))
    report[6] ^= 0x01
    with pytest.raises(SrtpAuthError):
        rx.unprotect_rtcp(bytes(report))


@pytest.mark.parametrize("suite", SRTP_SUITES)
def test_wrong_key_fails_authentication(suite: str) -> None:
    tx, _ = pair(suite, seed=1)
    _, other = pair(suite, seed=2)
    with pytest.raises(SrtpAuthError) as info:
        other.unprotect(tx.protect(rtp(1)))
    assert info.value.reason == "srtp_err_status_auth_fail"


@pytest.mark.parametrize("suite", SRTP_SUITES)
def test_replay_rejected(suite: str) -> None:
    tx, rx = pair(suite)
    protected = tx.protect(rtp(5))
    rx.unprotect(protected)
    with pytest.raises(SrtpReplayError) as info:
        rx.unprotect(protected)
    assert info.value.reason == "srtp_err_status_replay_fail"
    report = tx.protect_rtcp(rtcp_rr())
    rx.unprotect_rtcp(report)
    with pytest.raises(SrtpReplayError):
        rx.unprotect_rtcp(report)


def test_too_old_and_sender_repeat() -> None:
    tx, rx = pair("AES_CM_128_HMAC_SHA1_80")
    early = tx.protect(rtp(1))
    rx.unprotect(tx.protect(rtp(400)))
    with pytest.raises(SrtpReplayError) as info:
        rx.unprotect(early)
    assert info.value.reason == "srtp_err_status_replay_old"
    # The sender never encrypts two packets under one index (keystream reuse).
    with pytest.raises(SrtpReplayError):
        tx.protect(rtp(400))


def test_replay_window_is_configurable() -> None:
    key = key_for("AES_CM_128_HMAC_SHA1_80")
    tx = SrtpSession("AES_CM_128_HMAC_SHA1_80", key)
    wide = SrtpSession("AES_CM_128_HMAC_SHA1_80", key, "inbound", window_size=1024)
    narrow = SrtpSession("AES_CM_128_HMAC_SHA1_80", key, "inbound")
    early = tx.protect(rtp(1))
    late = tx.protect(rtp(500))
    for rx in (wide, narrow):
        rx.unprotect(late)
    assert wide.unprotect(early) == rtp(1)
    with pytest.raises(SrtpReplayError):
        narrow.unprotect(early)


def test_direction_enforced() -> None:
    tx, rx = pair("AES_CM_128_HMAC_SHA1_80")
    with pytest.raises(StateError, match="outbound"):
        tx.unprotect(tx.protect(rtp(1)))
    with pytest.raises(StateError, match="inbound"):
        rx.protect(rtp(1))
    with pytest.raises(StateError):
        rx.protect_batch([bytearray(rtp(2))])


def test_bad_arguments() -> None:
    key = key_for("AES_CM_128_HMAC_SHA1_80")
    with pytest.raises(InvalidArgumentError, match="30 bytes"):
        SrtpSession("AES_CM_128_HMAC_SHA1_80", key[:-1])
    with pytest.raises(InvalidArgumentError, match="28 bytes"):
        SrtpSession("AEAD_AES_128_GCM", key)
    with pytest.raises(UnsupportedError):
        SrtpSession("F8_128_HMAC_SHA1_80", key)
    with pytest.raises(InvalidArgumentError):
        SrtpSession("AES_CM_128_HMAC_SHA1_80", key, "sideways")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        SrtpSession("AES_CM_128_HMAC_SHA1_80", key, window_size=10)
    with pytest.raises(InvalidArgumentError):
        SrtpSession("AES_CM_128_HMAC_SHA1_80", key, ssrc=1 << 32)
    with pytest.raises(InvalidArgumentError):
        SrtpSession("AES_CM_128_HMAC_SHA1_80", key, mki=bytes(129))
    with pytest.raises(TypeError):
        SrtpSession("AES_CM_128_HMAC_SHA1_80", key).protect(12)  # type: ignore[arg-type]


def test_malformed_headers_rejected_before_libsrtp() -> None:
    tx, rx = pair("AES_CM_128_HMAC_SHA1_80")
    with pytest.raises(TruncatedPacketError):
        tx.protect(b"\x80\x00\x00")
    with pytest.raises(MalformedPacketError):
        tx.protect(b"\x40" + rtp(1)[1:])
    with pytest.raises(TruncatedPacketError):
        rx.unprotect(rtp(1, b"")[:12] + b"\x00" * 9)  # header, then less than a tag
    with pytest.raises(TruncatedPacketError):
        rx.unprotect_rtcp(rtcp_rr() + b"\x00" * 13)


def test_fixed_ssrc_rejects_other_streams() -> None:
    key = key_for("AES_CM_128_HMAC_SHA1_80")
    tx = SrtpSession("AES_CM_128_HMAC_SHA1_80", key, ssrc=0x1234)
    tx.protect(rtp(1, ssrc=0x1234))
    with pytest.raises(SrtpError) as info:
        tx.protect(rtp(2, ssrc=0x9999))
    assert type(info.value) is SrtpError
    assert info.value.reason == "srtp_err_status_no_ctx"


def test_mki_carried_and_checked() -> None:
    key = key_for("AES_CM_128_HMAC_SHA1_80")
    tx = SrtpSession("AES_CM_128_HMAC_SHA1_80", key, mki=b"\x00\x07")
    rx = SrtpSession("AES_CM_128_HMAC_SHA1_80", key, "inbound", mki=b"\x00\x07")
    wrong = SrtpSession("AES_CM_128_HMAC_SHA1_80", key, "inbound", mki=b"\x00\x08")
    packet = rtp(3)
    protected = tx.protect(packet)
    assert tx.rtp_overhead == 12
    assert protected[len(packet) : len(packet) + 2] == b"\x00\x07"
    with pytest.raises(SrtpError) as info:
        wrong.unprotect(protected)
    assert info.value.reason == "srtp_err_status_bad_mki"
    assert rx.unprotect(protected) == packet


@pytest.mark.parametrize("suite", SRTP_SUITES)
def test_batches_in_place(suite: str) -> None:
    tx, rx = pair(suite)
    plain = [rtp(seq, bytes([seq]) * (100 + seq)) for seq in range(10, 18)]
    packets = [bytearray(p) for p in plain]
    assert tx.protect_batch(packets) == [None] * 8
    assert [len(p) for p in packets] == [len(p) + RTP_TAG[suite] for p in plain]
    packets[2][20] ^= 0xFF
    packets[5] = bytearray(b"\x80\x01")
    results = rx.unprotect_batch(packets)
    assert isinstance(results[2], SrtpAuthError) and results[2].reason == "srtp_err_status_auth_fail"
    assert isinstance(results[5], TruncatedPacketError)
    for i, result in enumerate(results):
        if i not in (2, 5):
            assert result is None and packets[i] == plain[i]
    assert len(packets[5]) == 2  # failed packets keep their length
    # Replaying the batch: every packet but the failed ones is a replay now.
    again = [bytearray(tx.protect(rtp(seq + 200))) for seq in range(2)]
    copies = [bytearray(p) for p in again]
    assert rx.unprotect_batch(again) == [None, None]
    replays = rx.unprotect_batch(copies)
    assert all(isinstance(r, SrtpReplayError) for r in replays)


@pytest.mark.parametrize("suite", SRTP_SUITES)
def test_rtcp_batches(suite: str) -> None:
    tx, rx = pair(suite)
    packets = [bytearray(rtcp_rr(ssrc)) for ssrc in range(5)]
    assert tx.protect_rtcp_batch(packets) == [None] * 5
    assert rx.unprotect_rtcp_batch(packets) == [None] * 5
    assert packets == [bytearray(rtcp_rr(ssrc)) for ssrc in range(5)]


def test_batch_rejects_non_bytearray_and_restores_lengths() -> None:
    tx, _ = pair("AES_CM_128_HMAC_SHA1_80")
    packets = [bytearray(rtp(1)), bytearray(rtp(2)), b"not a bytearray"]
    with pytest.raises(TypeError, match="packet 2"):
        tx.protect_batch(packets)  # type: ignore[arg-type]
    assert packets[:2] == [bytearray(rtp(1)), bytearray(rtp(2))]
    assert tx.protect_batch([]) == []


def test_batch_refuses_a_bytearray_listed_twice() -> None:
    tx, _ = pair("AES_CM_128_HMAC_SHA1_80")
    packet = bytearray(rtp(1))
    with pytest.raises(BufferError):
        tx.protect_batch([packet, packet])
    assert packet == bytearray(rtp(1))


def test_batch_pins_buffers_while_running() -> None:
    """Other threads may run while a batch holds no GIL; the packets stay pinned and the
    session refuses concurrent use instead of racing."""
    tx, rx = pair("AES_CM_128_HMAC_SHA1_80")
    packets = [bytearray(rtp(seq, b"\x02" * 1200)) for seq in range(2000)]
    errors: list[BaseException] = []

    def protect_all() -> None:
        try:
            tx.protect_batch(packets)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    worker = threading.Thread(target=protect_all)
    worker.start()
    outcomes = set()
    seq = 0
    while worker.is_alive() and seq < 1000:
        seq += 1
        try:
            tx.protect(rtp(seq, ssrc=0x9999))  # another stream of the same session
            outcomes.add("ran")
        except StateError:
            outcomes.add("refused")
    worker.join(30)
    assert not errors and not worker.is_alive()
    assert outcomes <= {"ran", "refused"}
    assert rx.unprotect_batch(packets) == [None] * len(packets)


RTP_PACKETS = st.builds(
    lambda marker, pt, seq, ts, ssrc, csrcs, ext, payload: (
        struct.pack("!BBHII", 0x80 | (0x10 if ext is not None else 0) | len(csrcs), marker << 7 | pt, seq, ts, ssrc)
        + b"".join(struct.pack("!I", c) for c in csrcs)
        + (struct.pack("!HH", 0xBEDE, len(ext) // 4) + ext if ext is not None else b"")
        + payload
    ),
    st.integers(0, 1),
    st.integers(0, 127),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFFFFFF),
    st.integers(0, 0xFFFFFFFF),
    st.lists(st.integers(0, 0xFFFFFFFF), max_size=15),
    st.one_of(st.none(), st.binary(max_size=40).map(lambda b: b[: len(b) // 4 * 4])),
    st.binary(max_size=1400),
)


@given(suite=st.sampled_from(SRTP_SUITES), packet=RTP_PACKETS)
def test_property_unprotect_inverts_protect(suite: str, packet: bytes) -> None:
    tx, rx = pair(suite)
    assert rx.unprotect(tx.protect(packet)) == packet


@given(suite=st.sampled_from(SRTP_SUITES), data=st.binary(max_size=300), rtcp=st.booleans())
def test_property_random_bytes_raise_media_errors_only(suite: str, data: bytes, rtcp: bool) -> None:
    _, rx = pair(suite)
    with pytest.raises(MediaError):
        rx.unprotect_rtcp(data) if rtcp else rx.unprotect(data)


def test_srtcp_tag_32_option() -> None:
    key = key_for("AES_CM_128_HMAC_SHA1_32")
    tx = SrtpSession("AES_CM_128_HMAC_SHA1_32", key, srtcp_tag_32=True)
    short = SrtpSession("AES_CM_128_HMAC_SHA1_32", key, "inbound", srtcp_tag_32=True)
    default = SrtpSession("AES_CM_128_HMAC_SHA1_32", key, "inbound")
    assert (tx.rtcp_overhead, default.rtcp_overhead) == (8, 14)
    report = struct.pack("!BBHI", 0x81, 201, 7, 0x1234) + bytes(24)  # RR with one block
    protected = tx.protect_rtcp(report)
    # Read with the 80-bit layout, the E flag lands inside the short tag.
    with pytest.raises(SrtpError):
        default.unprotect_rtcp(protected)
    assert short.unprotect_rtcp(protected) == report
    with pytest.raises(InvalidArgumentError):
        SrtpSession("AES_CM_128_HMAC_SHA1_80", key, srtcp_tag_32=True)
