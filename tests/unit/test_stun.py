"""STUN messages (uc_media.stun over csrc/stun.c): the RFC 5769 test vectors, invalid and
truncated variants, building, and hypothesis round trips."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uc_media import (
    InvalidArgumentError,
    MalformedPacketError,
    PacketError,
    StunAttr,
    StunClass,
    StunFingerprintError,
    StunIntegrityError,
    StunMessage,
    StunMethod,
    TruncatedPacketError,
    UnsupportedError,
    is_stun,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "stun"
# RFC 5769 section 2: the short-term password of all three vectors.
PASSWORD = b"VOkJxbRl1RmTxUk/WvJxBt"
TXID = bytes.fromhex("b7e7a701bc34d686fa87dfae")


def fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.bin").read_bytes()


def test_rfc5769_request_fields_and_integrity() -> None:
    data = fixture("rfc5769_request")
    msg = StunMessage.parse(data)
    assert msg.method == StunMethod.BINDING
    assert msg.message_class == StunClass.REQUEST
    assert msg.transaction_id == TXID
    assert [t for t, _ in msg.attributes] == [
        StunAttr.SOFTWARE, StunAttr.PRIORITY, StunAttr.ICE_CONTROLLED, StunAttr.USERNAME,
        StunAttr.MESSAGE_INTEGRITY, StunAttr.FINGERPRINT,
    ]
    assert msg.software == "STUN test client"
    assert msg.username == "evtj:h6vY"
    assert msg.priority == 0x6E0001FF
    assert msg.ice_controlled == 0x932FF9B151263B36
    assert msg.ice_controlling is None
    assert not msg.use_candidate
    msg.verify(integrity_key=PASSWORD, fingerprint=True)
    with pytest.raises(StunIntegrityError):
        msg.verify(integrity_key=b"VOkJxbRl1RmTxUk/WvJxBu")
    with pytest.raises(StunIntegrityError):  # absent
        msg.verify(integrity_sha256_key=PASSWORD)
    assert is_stun(data)


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("rfc5769_response_ipv4", ("192.0.2.1", 32853)),
        ("rfc5769_response_ipv6", ("2001:db8:1234:5678:11:2233:4455:6677", 32853)),
    ],
)
def test_rfc5769_responses(name: str, address: tuple[str, int]) -> None:
    data = fixture(name)
    msg = StunMessage.parse(data)
    assert msg.message_class == StunClass.SUCCESS
    assert msg.software == "test vector"
    assert msg.xor_mapped_address == address
    msg.verify(integrity_key=PASSWORD, fingerprint=True)
    # Rebuilt from typed values: identical up to the SOFTWARE padding byte (a space in the
    # RFC, zero here) and in XOR-MAPPED-ADDRESS; integrity and fingerprint are computed
    # (over the zero padding) and verify. The C test rebuilds the vectors byte for byte.
    rebuilt = StunMessage(StunMethod.BINDING, StunClass.SUCCESS, TXID)
    rebuilt.add(StunAttr.SOFTWARE, b"test vector")
    rebuilt.add_xor_mapped_address(address)
    out = rebuilt.encode(integrity_key=PASSWORD, fingerprint=True)
    assert len(out) == len(data)
    assert out[:35] == data[:35] and out[35] == 0
    assert out[36:-32] == data[36:-32]
    StunMessage.parse(out).verify(integrity_key=PASSWORD, fingerprint=True)


def test_rfc5769_values_match_python_hmac_and_crc32() -> None:
    # Recompute MESSAGE-INTEGRITY and FINGERPRINT with Python's hmac/zlib over the
    # vector's own bytes: the same values the RFC prints, so C and RFC agree.
    for name in ("rfc5769_request", "rfc5769_response_ipv4", "rfc5769_response_ipv6"):
        data = fixture(name)
        head = bytearray(data[:-32])
        head[2:4] = struct.pack("!H", len(data) - 20 - 8)
        assert hmac.new(PASSWORD, bytes(head), hashlib.sha1).digest() == data[-28:-8]
        assert struct.pack("!I", zlib.crc32(data[:-8]) ^ 0x5354554E) == data[-4:]


def test_round_trip_bytes_and_encode() -> None:
    data = fixture("rfc5769_request")
    msg = StunMessage.parse(data)
    again = StunMessage.parse(bytes(msg))
    assert again == msg
    # USERNAME padding: the RFC uses spaces, we write zeros; all else is identical.
    assert bytes(msg)[:73] == data[:73]
    signed = StunMessage.parse(msg.encode(integrity_key=PASSWORD, fingerprint=True))
    signed.verify(integrity_key=PASSWORD, fingerprint=True)
    assert signed.attributes[:4] == msg.attributes[:4]


def test_fingerprint_and_integrity_failures() -> None:
    with pytest.raises(StunFingerprintError):
        StunMessage.parse(fixture("rfc5769_request_invalid_fingerprint")).verify(fingerprint=True)
    bad = StunMessage.parse(fixture("rfc5769_request_invalid_integrity"))
    bad.verify(fingerprint=True)
    with pytest.raises(StunIntegrityError):
        bad.verify(integrity_key=PASSWORD)
    with pytest.raises(StunFingerprintError):
        StunMessage(attributes=[(StunAttr.USERNAME, b"a:b")]).verify(fingerprint=True)


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("rfc5769_request_truncated", TruncatedPacketError),
        ("rfc5769_request_invalid_cookie", MalformedPacketError),
        ("rfc5769_request_invalid_attribute_length", MalformedPacketError),
    ],
)
def test_invalid_fixtures(name: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        StunMessage.parse(fixture(name))


def test_every_truncation_is_an_error() -> None:
    data = fixture("rfc5769_response_ipv6")
    for n in range(len(data)):
        with pytest.raises((TruncatedPacketError, MalformedPacketError)):
            StunMessage.parse(data[:n])


def test_structural_errors() -> None:
    good = fixture("rfc5769_response_ipv4")
    with pytest.raises(MalformedPacketError, match="STUN message of 84 bytes"):
        StunMessage.parse(good + b"\0\0\0\0")  # datagram longer than the message
    with pytest.raises(MalformedPacketError):
        StunMessage.parse(b"\x40" + good[1:])  # top bits
    # Order: nothing after FINGERPRINT; only FINGERPRINT after MESSAGE-INTEGRITY.
    after_fp = StunMessage().add_u32(StunAttr.FINGERPRINT, 0).add_u32(StunAttr.PRIORITY, 1)
    with pytest.raises(MalformedPacketError):
        StunMessage.parse(bytes(after_fp))
    after_mi = StunMessage().add(StunAttr.MESSAGE_INTEGRITY, bytes(20)).add(StunAttr.SOFTWARE, b"x")
    with pytest.raises(MalformedPacketError):
        StunMessage.parse(bytes(after_mi))
    short_mi = StunMessage().add(StunAttr.MESSAGE_INTEGRITY, bytes(16))
    with pytest.raises(MalformedPacketError):
        StunMessage.parse(bytes(short_mi))
    many = StunMessage(attributes=[(StunAttr.USE_CANDIDATE, b"")] * 33)
    with pytest.raises(UnsupportedError):
        StunMessage.parse(bytes(many))
    assert not is_stun(good[:19])
    assert not is_stun(b"\x80" + good[1:])  # RTP first byte (RFC 7983)


def test_error_response_and_unknown_attributes() -> None:
    msg = StunMessage(StunMethod.BINDING, StunClass.ERROR)
    msg.add_error_code(420, "Unknown Attribute")
    msg.add(StunAttr.UNKNOWN_ATTRIBUTES, struct.pack("!HHH", 0x0031, 0x7F00, 0x0002))
    parsed = StunMessage.parse(msg.encode(integrity_key=b"k", integrity_sha256_key=b"k", fingerprint=True))
    assert parsed.error_code == (420, "Unknown Attribute")
    assert parsed.unknown_attributes == (0x0031, 0x7F00, 0x0002)
    parsed.verify(integrity_key=b"k", integrity_sha256_key=b"k", fingerprint=True)
    with pytest.raises(StunIntegrityError):
        parsed.verify(integrity_sha256_key=b"other")
    with pytest.raises(InvalidArgumentError):  # 700 is not an error class
        msg.add_error_code(700, "x")
    with pytest.raises(InvalidArgumentError):  # RFC 8489: reason at most 763 bytes
        msg.add_error_code(400, "x" * 764)


# ---- hypothesis ----

attribute = st.tuples(
    st.integers(0, 0xFFFF).filter(
        lambda t: t not in (StunAttr.MESSAGE_INTEGRITY, StunAttr.MESSAGE_INTEGRITY_SHA256,
                            StunAttr.FINGERPRINT)),
    st.binary(max_size=40),
)
message = st.builds(
    StunMessage,
    method=st.integers(0, 0xFFF),
    message_class=st.sampled_from(list(StunClass)),
    transaction_id=st.binary(min_size=12, max_size=12),
    attributes=st.lists(attribute, max_size=12),
)


@given(message)
def test_build_parse_round_trip(msg: StunMessage) -> None:
    assert StunMessage.parse(bytes(msg)) == msg


@given(message, st.binary(min_size=1, max_size=64), st.booleans())
def test_signed_round_trip(msg: StunMessage, key: bytes, sha256: bool) -> None:
    data = msg.encode(integrity_key=key, integrity_sha256_key=key if sha256 else None, fingerprint=True)
    parsed = StunMessage.parse(data)
    parsed.verify(integrity_key=key, integrity_sha256_key=key if sha256 else None, fingerprint=True)
    assert parsed.attributes[: len(msg.attributes)] == msg.attributes
    # Any single flipped bit after the header is caught.
    flipped = bytearray(data)
    flipped[-5] ^= 0x01
    with pytest.raises((StunFingerprintError, MalformedPacketError)):
        StunMessage.parse(bytes(flipped)).verify(fingerprint=True)


@given(st.tuples(st.ip_addresses(), st.integers(0, 0xFFFF)), st.binary(min_size=12, max_size=12))
def test_xor_mapped_address_round_trip(address: tuple[object, int], txid: bytes) -> None:
    host, port = str(address[0]), address[1]
    msg = StunMessage(StunMethod.BINDING, StunClass.SUCCESS, txid).add_xor_mapped_address((host, port))
    parsed = StunMessage.parse(bytes(msg)).xor_mapped_address
    assert parsed is not None
    # Compare addresses, not spellings: inet_ntop writes ::ffff:0:0 as ::ffff:0.0.0.0.
    assert (ipaddress.ip_address(parsed[0]), parsed[1]) == (address[0], port)


@given(st.binary(max_size=200))
def test_arbitrary_bytes_parse_or_packet_error(data: bytes) -> None:
    try:
        msg = StunMessage.parse(data)
    except (PacketError, UnsupportedError):
        return
    assert bytes(msg)[:20] == data[:20]


@given(st.binary(min_size=0, max_size=120))
def test_arbitrary_body_behind_a_valid_header(body: bytes) -> None:
    body = body[: len(body) - len(body) % 4]
    data = struct.pack("!HHI", 0x0001, len(body), 0x2112A442) + TXID + body
    try:
        StunMessage.parse(data)
    except (PacketError, UnsupportedError):
        pass
