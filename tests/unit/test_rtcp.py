"""RTCP over csrc/rtcp.c: ffmpeg fixtures, every packet type, compound rules, properties."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiortc.rtp import RtcpPacket as AiortcRtcpPacket
from aiortc.rtp import RtcpByePacket, RtcpPsfbPacket, RtcpRtpfbPacket, RtcpSrPacket
from hypothesis import given
from hypothesis import strategies as st

from uc_media import (
    App,
    Bye,
    FirEntry,
    FullIntraRequest,
    GenericNack,
    InvalidArgumentError,
    MalformedPacketError,
    PacketError,
    PictureLossIndication,
    ReceiverReport,
    ReportBlock,
    RtcpPacket,
    Sdes,
    SdesChunk,
    SdesItem,
    SenderReport,
    TruncatedPacketError,
    UnknownRtcpPacket,
    parse_rtcp,
    serialize_rtcp,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rtp"
CAPTURE = json.loads((FIXTURES / "capture.json").read_text())
SSRC = CAPTURE["ssrc"]


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# ---- fixtures captured from ffmpeg ----

def test_ffmpeg_sr_sdes() -> None:
    data = load("rtcp_sr_sdes.bin")
    packets = parse_rtcp(data)
    assert len(packets) == 2
    sr, sdes = packets
    assert isinstance(sr, SenderReport) and isinstance(sdes, Sdes)
    assert sr.ssrc == SSRC
    assert sr.ntp_timestamp == int.from_bytes(data[8:16], "big")
    assert sr.rtp_timestamp == int.from_bytes(data[16:20], "big")
    assert (sr.packet_count, sr.octet_count, sr.reports, sr.extension) == (0, 0, [], b"")
    assert sdes.chunks == [SdesChunk(ssrc=SSRC, items=[SdesItem(type=1, value=b"ucserver-fixture")])]
    assert sdes.chunks[0].cname == b"ucserver-fixture"
    assert serialize_rtcp(packets) == data


def test_ffmpeg_sr_sdes_repr() -> None:
    sr, sdes = parse_rtcp(load("rtcp_sr_sdes.bin"))
    assert isinstance(sr, SenderReport)
    assert repr(sdes) == (
        f"Sdes(chunks=[SdesChunk(ssrc={SSRC}, items=[SdesItem(type=1, value=b'ucserver-fixture')])])"
    )
    assert repr(sr).startswith(f"SenderReport(ssrc={SSRC}, ntp_timestamp={sr.ntp_timestamp}, ")


def test_ffmpeg_final_compound_has_bye_and_counts() -> None:
    data = load("rtcp_sr_sdes_bye.bin")
    sr, sdes, bye = parse_rtcp(data)
    assert isinstance(sr, SenderReport)
    # ffmpeg sent every packet of the one-second capture before this SR
    assert sr.packet_count == CAPTURE["rtp_packets"]
    assert sr.octet_count > 0
    assert bye == Bye(sources=[SSRC], reason=None)
    assert serialize_rtcp([sr, sdes, bye]) == data


def test_fixtures_agree_with_aiortc() -> None:
    data = load("rtcp_sr_sdes_bye.bin")
    theirs = AiortcRtcpPacket.parse(data)
    ours = parse_rtcp(data)
    assert isinstance(theirs[0], RtcpSrPacket) and isinstance(ours[0], SenderReport)
    assert isinstance(theirs[2], RtcpByePacket)
    assert theirs[0].sender_info.ntp_timestamp == ours[0].ntp_timestamp
    assert theirs[0].sender_info.octet_count == ours[0].octet_count
    assert theirs[2].sources == [SSRC]


def test_truncated_fixture() -> None:
    with pytest.raises(TruncatedPacketError, match="RTCP packet 1 at byte 28: length field says 28 bytes, 25 remain"):
        parse_rtcp(load("rtcp_sr_sdes_truncated.bin"))


def test_invalid_fixture_sdes_first() -> None:
    data = load("rtcp_sdes_first_invalid.bin")
    with pytest.raises(MalformedPacketError, match="starts with packet type 202, not SR or RR"):
        parse_rtcp(data)
    # allowed as reduced-size RTCP (RFC 5506)
    assert parse_rtcp(data, reduced_size=True) == [
        Sdes([SdesChunk(ssrc=SSRC, items=[SdesItem(1, b"ucserver-fixture")])])
    ]


# ---- each packet type ----

def test_receiver_report_exact_bytes() -> None:
    rr = ReceiverReport(ssrc=0x01020304, reports=[
        ReportBlock(ssrc=0x0A0B0C0D, fraction_lost=64, packets_lost=-2, highest_sequence=0x10005,
                    jitter=30, lsr=0x11223344, dlsr=0x8000)])
    data = bytes(rr)
    assert data == bytes.fromhex(
        "81c90007" "01020304" "0a0b0c0d" "40fffffe" "00010005" "0000001e" "11223344" "00008000")
    assert parse_rtcp(data) == [rr]


def test_sender_report_with_profile_extension() -> None:
    sr = SenderReport(ssrc=1, ntp_timestamp=(5 << 32) | 7, rtp_timestamp=9, packet_count=3,
                      octet_count=300, reports=[ReportBlock(ssrc=2, packets_lost=0x7FFFFF)],
                      extension=b"EXT!")
    data = bytes(sr)
    assert len(data) == 8 + 20 + 24 + 4
    assert parse_rtcp(data) == [sr]


def test_bye_with_reason_is_padded() -> None:
    data = bytes(Bye(sources=[1, 2], reason=b"bye"))
    assert data == bytes.fromhex("82cb0003" "00000001" "00000002" "03627965")
    assert parse_rtcp(data, reduced_size=True) == [Bye([1, 2], b"bye")]
    assert parse_rtcp(bytes(Bye([7], b"")), reduced_size=True) == [Bye([7], b"")]


def test_app() -> None:
    app = App(ssrc=5, name=b"UCSV", subtype=17, data=b"12345678")
    data = bytes(app)
    assert data[:4] == bytes([0x80 | 17, 204, 0, 4])
    assert parse_rtcp(data, reduced_size=True) == [app]
    with pytest.raises(InvalidArgumentError, match="APP data of 3 bytes"):
        bytes(App(ssrc=5, name=b"UCSV", data=b"abc"))


def test_generic_nack_packs_pid_blp() -> None:
    nack = GenericNack(sender_ssrc=1, media_ssrc=2, lost=[65534, 65535, 0, 14, 15, 100])
    data = bytes(nack)
    # 65534 with BLP bits for 65535 (bit 0), 0 (bit 1), 14 (bit 15); then 15; then 100
    assert data[12:] == bytes.fromhex("fffe8003" "000f0000" "00640000")
    assert parse_rtcp(data, reduced_size=True) == [nack]
    # aiortc reads the same PID/BLP pairs (it does not wrap pid + i + 1 at 2**16)
    theirs = RtcpRtpfbPacket.parse(data[4:], 1)
    assert [seq % 65536 for seq in theirs.lost] == [65534, 65535, 0, 14, 15, 100]


def test_pli_and_fir() -> None:
    data = serialize_rtcp([PictureLossIndication(sender_ssrc=1, media_ssrc=2),
                           FullIntraRequest(sender_ssrc=1, entries=[FirEntry(2, 7), FirEntry(3, 255)])])
    assert data[:12] == bytes.fromhex("81ce0002" "00000001" "00000002")
    assert data[12:24] == bytes.fromhex("84ce0006" "00000001" "00000000")
    assert data[24:] == bytes.fromhex("0000000207000000" "00000003ff000000")
    pli, fir = parse_rtcp(data, reduced_size=True)
    assert pli == PictureLossIndication(1, 2)
    assert fir == FullIntraRequest(1, [FirEntry(2, 7), FirEntry(3, 255)])
    assert RtcpPsfbPacket.parse(data[4:12], 1).media_ssrc == 2


def test_unknown_packets_round_trip() -> None:
    # REMB (PSFB FMT 15) and XR (207) are kept as they are
    data = serialize_rtcp([ReceiverReport(ssrc=1),
                           UnknownRtcpPacket(packet_type=206, count=15, body=b"\x00" * 8 + b"REMB"),
                           UnknownRtcpPacket(packet_type=207, count=0, body=b"\x00\x00\x00\x01")])
    packets = parse_rtcp(data)
    assert packets[1] == UnknownRtcpPacket(206, 15, b"\x00" * 8 + b"REMB")
    assert serialize_rtcp(packets) == data


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b"", TruncatedPacketError, "compound of 0 bytes"),
        (bytes.fromhex("80c9"), TruncatedPacketError, "2 bytes, a header needs 4"),
        (bytes.fromhex("40c90001" "00000001"), MalformedPacketError, "version 1"),
        (bytes.fromhex("a0c90001" "00000001" "81ce0002" "00000001" "00000002"), MalformedPacketError,
         "padding bit set on a packet not last"),
        (bytes.fromhex("a0c90001" "00000000"), MalformedPacketError, "padding count 0"),
        (bytes.fromhex("81c90001" "00000001"), TruncatedPacketError, "RTCP RR"),
        (bytes.fromhex("80c90001" "00000001" "81cd0002" "00000001" "00000002"), MalformedPacketError,
         "RTCP RTPFB"),
        (bytes.fromhex("80c90001" "00000001" "81ca0001" "00000001"), TruncatedPacketError,
         "SDES .* chunk 0"),
        (bytes.fromhex("80c90001" "00000001" "81cb0002" "00000001" "09000000"), TruncatedPacketError,
         "RTCP BYE"),
    ],
)
def test_malformed_compounds(data: bytes, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        parse_rtcp(data)


def test_build_rejects_bad_fields() -> None:
    with pytest.raises(InvalidArgumentError, match="cumulative lost 8388608"):
        bytes(ReceiverReport(ssrc=1, reports=[ReportBlock(ssrc=2, packets_lost=0x800000)]))
    with pytest.raises(InvalidArgumentError, match="32 blocks"):
        bytes(ReceiverReport(ssrc=1, reports=[ReportBlock(ssrc=2)] * 32))
    with pytest.raises(InvalidArgumentError, match="SDES item of 256 bytes"):
        bytes(Sdes([SdesChunk(1, [SdesItem(1, b"x" * 256)])]))
    with pytest.raises(InvalidArgumentError, match="RTCP sr packet: a field is out of range"):
        bytes(SenderReport(ssrc=2**32))
    with pytest.raises(InvalidArgumentError, match="RTCP rr packet: a field is out of range"):
        bytes(ReceiverReport(ssrc=1, reports=[ReportBlock(ssrc=1, fraction_lost=256)]))
    with pytest.raises(InvalidArgumentError, match="NACK sequence number 65536"):
        bytes(GenericNack(1, 2, [65536]))
    with pytest.raises(InvalidArgumentError, match="NACK with no lost"):
        bytes(GenericNack(1, 2, []))
    with pytest.raises(InvalidArgumentError, match="FIR with no entries"):
        bytes(FullIntraRequest(1, []))


def test_large_nack_round_trips() -> None:
    # 300 PID/BLP pairs with every BLP bit set: 5100 lost sequence numbers, wrapping
    lost = [(60000 + k) % 65536 for k in range(300 * 17)]
    nack = GenericNack(sender_ssrc=1, media_ssrc=2, lost=lost)
    data = bytes(nack)
    assert len(data) == 12 + 4 * 300
    assert parse_rtcp(data, reduced_size=True) == [nack]


# ---- properties ----

u32 = st.integers(0, 0xFFFFFFFF)
report_blocks = st.builds(ReportBlock, ssrc=u32, fraction_lost=st.integers(0, 255),
                          packets_lost=st.integers(-0x800000, 0x7FFFFF), highest_sequence=u32,
                          jitter=u32, lsr=u32, dlsr=u32)
extensions = st.binary(max_size=12).map(lambda b: b[: len(b) // 4 * 4])


@st.composite
def nack_lists(draw: st.DrawFn) -> list[int]:
    start = draw(st.integers(0, 0xFFFF))
    offsets = sorted(draw(st.sets(st.integers(0, 200), min_size=1, max_size=30)))
    return [(start + k) & 0xFFFF for k in offsets]


rtcp_packets = st.one_of(
    st.builds(SenderReport, ssrc=u32, ntp_timestamp=st.integers(0, 2**64 - 1), rtp_timestamp=u32,
              packet_count=u32, octet_count=u32, reports=st.lists(report_blocks, max_size=4),
              extension=extensions),
    st.builds(ReceiverReport, ssrc=u32, reports=st.lists(report_blocks, max_size=4), extension=extensions),
    st.builds(Sdes, chunks=st.lists(st.builds(SdesChunk, ssrc=u32, items=st.lists(
        st.builds(SdesItem, type=st.integers(1, 255), value=st.binary(max_size=20)), max_size=4)),
        max_size=4)),
    st.builds(Bye, sources=st.lists(u32, max_size=5), reason=st.none() | st.binary(max_size=30)),
    st.builds(App, ssrc=u32, name=st.binary(min_size=4, max_size=4), subtype=st.integers(0, 31),
              data=extensions),
    st.builds(GenericNack, sender_ssrc=u32, media_ssrc=u32, lost=nack_lists()),
    st.builds(PictureLossIndication, sender_ssrc=u32, media_ssrc=u32),
    st.builds(FullIntraRequest, sender_ssrc=u32, entries=st.lists(
        st.builds(FirEntry, ssrc=u32, sequence_number=st.integers(0, 255)), min_size=1, max_size=4)),
)


@given(st.one_of(st.builds(SenderReport, ssrc=u32), st.builds(ReceiverReport, ssrc=u32)),
       st.lists(rtcp_packets, max_size=5))
def test_compound_round_trip(first: RtcpPacket, rest: list[RtcpPacket]) -> None:
    packets = [first, *rest]
    data = serialize_rtcp(packets)
    assert len(data) % 4 == 0
    assert parse_rtcp(data) == packets
    assert serialize_rtcp(parse_rtcp(data)) == data
    # aiortc reads the same packet boundaries and the types it knows. Left out: APP (aiortc
    # has none), SR/RR profile extensions (it refuses them) and SDES (it does not align
    # chunks to 32 bits, RFC 3550 6.5), all RFC 3550-legal.
    if not any(getattr(p, "extension", b"") or isinstance(p, Sdes) for p in packets):
        assert len(AiortcRtcpPacket.parse(data)) == sum(not isinstance(p, App) for p in packets)


@given(st.binary(max_size=160), st.booleans())
def test_arbitrary_bytes_parse_or_raise_packet_error(data: bytes, reduced_size: bool) -> None:
    try:
        packets = parse_rtcp(data, reduced_size=reduced_size)
    except PacketError:
        return
    assert packets


@given(st.lists(st.tuples(st.integers(200, 206), st.integers(0, 31), st.binary(max_size=40)),
                min_size=1, max_size=4))
def test_rtcp_shaped_bytes_parse_or_raise_packet_error(parts: list[tuple[int, int, bytes]]) -> None:
    data = b""
    for packet_type, count, body in parts:
        body = body[: len(body) // 4 * 4]
        data += bytes([0x80 | count, packet_type]) + (len(body) // 4).to_bytes(2, "big") + body
    try:
        packets = parse_rtcp(data, reduced_size=True)
    except PacketError:
        return
    assert len(packets) == len(parts)
