"""RtpPacket over csrc/rtp.c: ffmpeg fixtures, extensions, audio level, errors, properties."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pylibsrtp
import pytest
from aiortc.rtp import RtpPacket as AiortcRtpPacket
from aiortc.rtp import pack_header_extensions, unpack_header_extensions
from hypothesis import given
from hypothesis import strategies as st

from uc_media import (
    AudioLevel,
    InvalidArgumentError,
    MalformedPacketError,
    PacketError,
    RtpPacket,
    TruncatedPacketError,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rtp"
CAPTURE = json.loads((FIXTURES / "capture.json").read_text())
SSRC = CAPTURE["ssrc"]


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def stream() -> list[bytes]:
    data, packets = load("opus_stream.bin"), []
    pos = 0
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 2], "big")
        packets.append(data[pos + 2:pos + 2 + n])
        pos += 2 + n
    return packets


# ---- fixtures captured from ffmpeg ----

def test_ffmpeg_first_packet_fields() -> None:
    data = load("opus_first.bin")
    packet = RtpPacket.parse(data)
    assert packet.version == 2
    assert packet.padding is False and packet.padding_size == 0
    assert packet.marker is True
    assert packet.payload_type == 111
    assert packet.sequence_number == 65530
    assert packet.ssrc == SSRC
    assert packet.csrc == []
    assert packet.extension_profile is None and packet.extensions == {}
    assert packet.payload == data[12:]
    assert len(packet.payload) == 115
    # the timestamp ffmpeg chose, read independently from the wire
    assert packet.timestamp == int.from_bytes(data[4:8], "big")


def test_ffmpeg_first_packet_repr() -> None:
    packet = RtpPacket.parse(load("opus_first.bin"))
    assert repr(packet) == (
        f"RtpPacket(pt=111, seq=65530, ts={packet.timestamp}, ssrc=0x1A2B3C4D, marker=1, "
        "payload=115 bytes)"
    )


def test_ffmpeg_stream_wraps_and_reserialises_exactly() -> None:
    packets = stream()
    assert len(packets) == 20
    parsed = [RtpPacket.parse(p) for p in packets]
    assert [p.sequence_number for p in parsed[:8]] == [65530, 65531, 65532, 65533, 65534, 65535, 0, 1]
    # 20 ms Opus frames at the 48 kHz RTP clock
    assert {(b.timestamp - a.timestamp) % 2**32 for a, b in zip(parsed, parsed[1:])} == {960}
    for raw, packet in zip(packets, parsed):
        assert bytes(packet) == raw


@pytest.mark.parametrize("name", ["opus_first.bin", "opus_seq_65535.bin", "opus_seq_0.bin"])
def test_fixture_agrees_with_aiortc(name: str) -> None:
    data = load(name)
    ours, theirs = RtpPacket.parse(data), AiortcRtpPacket.parse(data)
    assert (ours.sequence_number, ours.timestamp, ours.ssrc, ours.payload_type, ours.marker) == (
        theirs.sequence_number, theirs.timestamp, theirs.ssrc, theirs.payload_type, bool(theirs.marker))
    assert ours.payload == theirs.payload
    assert bytes(ours) == data


def test_srtp_capture_decrypts_to_the_plain_capture() -> None:
    """ffmpeg's SRTP output, unprotected with its key by libsrtp (pylibsrtp), parses to the
    same packet as the plain capture apart from the random initial timestamp."""
    key = json.loads(load("srtp_key.json"))
    policy = pylibsrtp.Policy(key=base64.b64decode(key["key_and_salt_base64"]),
                              ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND,
                              srtp_profile=pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80)
    session = pylibsrtp.Session(policy)
    decrypted = RtpPacket.parse(session.unprotect(load("srtp_opus_first.bin")))
    plain = RtpPacket.parse(load("opus_first.bin"))
    assert decrypted.ssrc == plain.ssrc == key["ssrc"]
    assert decrypted.sequence_number == plain.sequence_number == key["first_sequence_number"]
    assert decrypted.payload == plain.payload
    second = RtpPacket.parse(session.unprotect(load("srtp_opus_second.bin")))
    assert second.sequence_number == 65531
    assert second.timestamp == (decrypted.timestamp + 960) % 2**32


def test_srtp_ciphertext_is_not_plain() -> None:
    # The protected packet parses as RTP (the header is in clear) but carries an
    # encrypted payload and the 10-byte auth tag.
    protected = RtpPacket.parse(load("srtp_opus_first.bin"))
    plain = RtpPacket.parse(load("opus_first.bin"))
    assert len(protected.payload) == len(plain.payload) + 10
    assert protected.payload[:len(plain.payload)] != plain.payload


def test_truncated_fixture() -> None:
    with pytest.raises(TruncatedPacketError, match="11 bytes, the fixed header needs 12"):
        RtpPacket.parse(load("opus_first_truncated.bin"))


def test_invalid_version_fixture() -> None:
    with pytest.raises(MalformedPacketError, match="RTP version 1, expected 2"):
        RtpPacket.parse(load("opus_first_invalid.bin"))


def test_invalid_padding_fixture() -> None:
    with pytest.raises(MalformedPacketError, match="padding count 127 with 115 bytes"):
        RtpPacket.parse(load("opus_padding_invalid.bin"))


# ---- header extensions (RFC 8285) and audio level (RFC 6464) ----

def test_one_byte_extensions_with_audio_level() -> None:
    packet = RtpPacket(payload_type=111, sequence_number=7, timestamp=960, ssrc=1, payload=b"op")
    packet.set_audio_level(1, voice=True, level=30)
    packet.extensions[3] = b"\x01\x02\x03"
    data = bytes(packet)
    assert data[12:16] == b"\xbe\xde\x00\x02"
    # id 1 len 0 (1 byte): V=1, level 30; id 3 len 2 (3 bytes); two bytes of zero padding
    assert data[16:24] == bytes([0x10, 0x80 | 30, 0x32, 1, 2, 3, 0, 0])
    parsed = RtpPacket.parse(data)
    assert parsed.extension_profile == 0xBEDE
    assert parsed.extensions == {1: b"\x9e", 3: b"\x01\x02\x03"}
    assert parsed.audio_level(1) == AudioLevel(voice=True, level=30)
    assert parsed.audio_level(2) is None
    assert bytes(parsed) == data


def test_two_byte_form_chosen_when_one_byte_cannot_hold() -> None:
    packet = RtpPacket(extensions={1: b"", 20: b"x" * 17})
    data = bytes(packet)
    parsed = RtpPacket.parse(data)
    assert parsed.extension_profile == 0x1000
    assert parsed.extensions == {1: b"", 20: b"x" * 17}


def test_extensions_agree_with_aiortc() -> None:
    elements = [(1, b"\x85"), (4, b"mid0"), (9, b"\x00\x01\x02")]
    profile, value = pack_header_extensions(elements)
    theirs = AiortcRtpPacket(payload_type=96, sequence_number=1, timestamp=2, ssrc=3, payload=b"p")
    data = bytes(RtpPacket(payload_type=96, sequence_number=1, timestamp=2, ssrc=3,
                           extensions=dict(elements), payload=b"p"))
    expected = theirs.serialize()[:12] + profile.to_bytes(2, "big") + (len(value) // 4).to_bytes(2, "big")
    expected = bytes([expected[0] | 0x10]) + expected[1:] + value + b"p"
    assert data == expected
    parsed = RtpPacket.parse(data)
    assert list(parsed.extensions.items()) == unpack_header_extensions(profile, value)


def test_padding_bytes_and_id_15_in_one_byte_form() -> None:
    # padding between elements is skipped; id 15 ends processing (RFC 8285 4.2)
    header = bytes([0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    body = bytes([0, 0, 0x20, 0xAA, 0, 0xF3, 0x10, 0xBB])
    packet = RtpPacket.parse(header + b"\xbe\xde\x00\x02" + body)
    assert packet.extensions == {2: b"\xaa"}


def test_other_profile_kept_opaque() -> None:
    data = bytes([0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]) + b"\x12\x34\x00\x01abcd" + b"pl"
    packet = RtpPacket.parse(data)
    assert packet.extension_profile == 0x1234
    assert packet.extensions == {} and packet.extension_data == b"abcd"
    assert packet.payload == b"pl"
    assert bytes(packet) == data


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (bytes([0x3F, 0, 0, 0]), TruncatedPacketError, "header extension element"),
        (bytes([0x05, 0, 0, 0]), MalformedPacketError, "header extension element"),
    ],
)
def test_bad_one_byte_elements(body: bytes, error: type, message: str) -> None:
    data = bytes([0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]) + b"\xbe\xde\x00\x01" + body
    with pytest.raises(error, match=message):
        RtpPacket.parse(data)


def test_two_byte_element_overrun() -> None:
    data = bytes([0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]) + b"\x10\x00\x00\x01" + bytes([5, 9, 1, 2])
    with pytest.raises(TruncatedPacketError):
        RtpPacket.parse(data)


def test_audio_level_element_must_be_one_byte() -> None:
    packet = RtpPacket(extensions={1: b"\x01\x02"})
    with pytest.raises(MalformedPacketError, match="audio level element of 2 bytes"):
        packet.audio_level(1)


@pytest.mark.parametrize(
    ("packet", "message"),
    [
        (RtpPacket(payload_type=128), "payload type 128"),
        (RtpPacket(sequence_number=65536), "sequence number 65536"),
        (RtpPacket(timestamp=-1), "timestamp -1"),
        (RtpPacket(ssrc=2**70), "SSRC 1180591620717411303424"),
        (RtpPacket(csrc=list(range(16))), "CSRC list of 16"),
        (RtpPacket(padding_size=256), "padding size 256"),
        (RtpPacket(extensions={15: b"x"}, extension_profile=0xBEDE), "id 15"),
        (RtpPacket(extensions={1: b"x" * 17}, extension_profile=0xBEDE), "17 bytes"),
        (RtpPacket(extensions={1: b"x"}, extension_profile=0x1234), "profile 0x1234"),
        (RtpPacket(extension_data=b"abcd"), "opaque body of a profile other than RFC 8285"),
    ],
)
def test_build_rejects_bad_fields(packet: RtpPacket, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        bytes(packet)


def test_set_audio_level_range() -> None:
    with pytest.raises(InvalidArgumentError, match="audio level 128"):
        RtpPacket().set_audio_level(1, voice=False, level=128)


# ---- properties ----

extension_id_one = st.integers(1, 14)
extension_value_one = st.binary(min_size=1, max_size=16)


@st.composite
def rtp_packets(draw: st.DrawFn) -> RtpPacket:
    form = draw(st.sampled_from(["none", "one", "two"]))
    if form == "one":
        extensions = draw(st.dictionaries(extension_id_one, extension_value_one, max_size=6))
    elif form == "two":
        extensions = draw(st.dictionaries(st.integers(1, 255), st.binary(max_size=40), max_size=6))
    else:
        extensions = {}
    return RtpPacket(
        payload_type=draw(st.integers(0, 127)),
        marker=draw(st.booleans()),
        sequence_number=draw(st.integers(0, 0xFFFF)),
        timestamp=draw(st.integers(0, 0xFFFFFFFF)),
        ssrc=draw(st.integers(0, 0xFFFFFFFF)),
        csrc=draw(st.lists(st.integers(0, 0xFFFFFFFF), max_size=15)),
        extensions=extensions,
        extension_profile={"none": None, "one": 0xBEDE, "two": 0x1000 | draw(st.integers(0, 15))}[form],
        payload=draw(st.binary(max_size=200)),
        padding_size=draw(st.integers(0, 255)),
    )


@given(rtp_packets())
def test_build_parse_round_trip(packet: RtpPacket) -> None:
    data = bytes(packet)
    parsed = RtpPacket.parse(data)
    assert parsed == packet
    assert bytes(parsed) == data
    # an independent parser reads the same fixed fields and payload
    theirs = AiortcRtpPacket.parse(data)
    assert (theirs.sequence_number, theirs.timestamp, theirs.ssrc, theirs.csrc, theirs.payload,
            theirs.padding_size) == (packet.sequence_number, packet.timestamp, packet.ssrc,
                                     packet.csrc, packet.payload, packet.padding_size)


@given(st.binary(max_size=120))
def test_arbitrary_bytes_parse_or_raise_packet_error(data: bytes) -> None:
    try:
        packet = RtpPacket.parse(data)
    except PacketError:
        return
    # the fixed header survives re-serialisation unchanged
    assert bytes(packet)[:12] == data[:12]


@given(st.binary(min_size=12, max_size=80))
def test_version_2_bytes_parse_or_raise_packet_error(data: bytes) -> None:
    data = bytes([0x80 | (data[0] & 0x3F)]) + data[1:]
    try:
        RtpPacket.parse(data)
    except PacketError:
        pass
