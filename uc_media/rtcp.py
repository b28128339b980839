"""RTCP packets (RFC 3550 6, RFC 4585, RFC 5104) as dataclasses over the C parser.

`parse_rtcp(data)` validates a compound packet (RFC 3550 A.2; reduced-size RFC 5506 on
request) and returns one object per packet; `serialize_rtcp(packets)` builds a compound,
and every packet class has `__bytes__` for itself alone. Packets the engine does not model
(XR, REMB, transport-wide feedback...) come back as UnknownRtcpPacket and serialise
unchanged. RTCP padding (the P bit) is accepted on parse and not reproduced on output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence, Union

from uc_media._core import rtcp_build, rtcp_parse

# RFC 3550 6.5: SDES item types.
SDES_CNAME = 1
SDES_NAME = 2
SDES_EMAIL = 3
SDES_PHONE = 4
SDES_LOC = 5
SDES_TOOL = 6
SDES_NOTE = 7
SDES_PRIV = 8


@dataclass
class ReportBlock:
    """RFC 3550 6.4.1 report block. `packets_lost` is cumulative (24-bit signed)."""

    ssrc: int
    fraction_lost: int = 0
    packets_lost: int = 0
    highest_sequence: int = 0
    jitter: int = 0
    lsr: int = 0
    dlsr: int = 0

    def _fields(self) -> tuple[int, ...]:
        return (self.ssrc, self.fraction_lost, self.packets_lost, self.highest_sequence,
                self.jitter, self.lsr, self.dlsr)


@dataclass
class SenderReport:
    """RFC 3550 6.4.1 SR. `ntp_timestamp` is 32.32 fixed point; `extension` is the opaque
    profile-specific extension after the report blocks."""

    ssrc: int
    ntp_timestamp: int = 0
    rtp_timestamp: int = 0
    packet_count: int = 0
    octet_count: int = 0
    reports: list[ReportBlock] = field(default_factory=list)
    extension: bytes = b""

    def _tuple(self) -> tuple[Any, ...]:
        return ("sr", self.ssrc, self.ntp_timestamp, self.rtp_timestamp, self.packet_count,
                self.octet_count, [r._fields() for r in self.reports], self.extension)

    def __bytes__(self) -> bytes:
        return rtcp_build([self._tuple()])


@dataclass
class ReceiverReport:
    """RFC 3550 6.4.2 RR."""

    ssrc: int
    reports: list[ReportBlock] = field(default_factory=list)
    extension: bytes = b""

    def _tuple(self) -> tuple[Any, ...]:
        return ("rr", self.ssrc, [r._fields() for r in self.reports], self.extension)

    def __bytes__(self) -> bytes:
        return rtcp_build([self._tuple()])


@dataclass
class SdesItem:
    type: int
    value: bytes


@dataclass
class SdesChunk:
    ssrc: int
    items: list[SdesItem] = field(default_factory=list)

    @property
    def cname(self) -> bytes | None:
        for item in self.items:
            if item.type == SDES_CNAME:
                return item.value
        return None


@dataclass
class Sdes:
    """RFC 3550 6.5 source description: chunks of (type, value) items per source."""

    chunks: list[SdesChunk] = field(default_factory=list)

    def _tuple(self) -> tuple[Any, ...]:
        return ("sdes", [(c.ssrc, [(i.type, i.value) for i in c.items]) for c in self.chunks])

    def __bytes__(self) -> bytes:
        return rtcp_build([self._tuple()])


@dataclass
class Bye:
    """RFC 3550 6.6 goodbye; `reason` None when the packet carries none."""

    sources: list[int] = field(default_factory=list)
    reason: bytes | None = None

    def _tuple(self) -> tuple[Any, ...]:
        return ("bye", self.sources, self.reason)

    def __bytes__(self) -> bytes:
        return rtcp_build([self._tuple()])


@dataclass
class App:
    """RFC 3550 6.7 application-defined packet; `data` is a multiple of 4 bytes."""

    ssrc: int
    name: bytes
    subtype: int = 0
    data: bytes = b""

    def _tuple(self) -> tuple[Any, ...]:
        return ("app", self.subtype, self.ssrc, self.name, self.data)

    def __bytes__(self) -> bytes:
        return rtcp_build([self._tuple()])


@dataclass
class GenericNack:
    """RFC 4585 6.2.1 generic NACK; `lost` lists sequence numbers, packed into PID/BLP
    pairs in the order given."""

    sender_ssrc: int
    media_ssrc: int
    lost: list[int] = field(default_factory=list)

    def _tuple(self) -> tuple[Any, ...]:
        return ("nack", self.sender_ssrc, self.media_ssrc, self.lost)

    def __bytes__(self) -> bytes:
        return rtcp_build([self._tuple()])


@dataclass
class PictureLossIndication:
    """RFC 4585 6.3.1 PLI."""

    sender_ssrc: int
    media_ssrc: int

    def _tuple(self) -> tuple[Any, ...]:
        return ("pli", self.sender_ssrc, self.media_ssrc)

    def __bytes__(self) -> bytes:
        return rtcp_build([self._tuple()])


@dataclass
class FirEntry:
    ssrc: int
    sequence_number: int


@dataclass
class FullIntraRequest:
    """RFC 5104 4.3.1 FIR (the media source field is 0 by the RFC, so not modelled)."""

    sender_ssrc: int
    entries: list[FirEntry] = field(default_factory=list)

    def _tuple(self) -> tuple[Any, ...]:
        return ("fir", self.sender_ssrc, [(e.ssrc, e.sequence_number) for e in self.entries])

    def __bytes__(self) -> bytes:
        return rtcp_build([self._tuple()])


@dataclass
class UnknownRtcpPacket:
    """A packet type or feedback FMT the engine does not model, kept byte for byte.
    `count` is the 5-bit field after P (RC, SC, FMT or subtype)."""

    packet_type: int
    count: int
    body: bytes

    def _tuple(self) -> tuple[Any, ...]:
        return ("raw", self.packet_type, self.count, self.body)

    def __bytes__(self) -> bytes:
        return rtcp_build([self._tuple()])


RtcpPacket = Union[SenderReport, ReceiverReport, Sdes, Bye, App, GenericNack,
                   PictureLossIndication, FullIntraRequest, UnknownRtcpPacket]


def _blocks(raw: list[tuple[int, ...]]) -> list[ReportBlock]:
    return [ReportBlock(*fields) for fields in raw]


def _from_tuple(t: tuple[Any, ...]) -> RtcpPacket:
    tag = t[0]
    if tag == "sr":
        return SenderReport(ssrc=t[1], ntp_timestamp=t[2], rtp_timestamp=t[3], packet_count=t[4],
                            octet_count=t[5], reports=_blocks(t[6]), extension=t[7])
    if tag == "rr":
        return ReceiverReport(ssrc=t[1], reports=_blocks(t[2]), extension=t[3])
    if tag == "sdes":
        return Sdes([SdesChunk(ssrc, [SdesItem(k, v) for k, v in items]) for ssrc, items in t[1]])
    if tag == "bye":
        return Bye(sources=t[1], reason=t[2])
    if tag == "app":
        return App(subtype=t[1], ssrc=t[2], name=t[3], data=t[4])
    if tag == "nack":
        return GenericNack(sender_ssrc=t[1], media_ssrc=t[2], lost=t[3])
    if tag == "pli":
        return PictureLossIndication(sender_ssrc=t[1], media_ssrc=t[2])
    if tag == "fir":
        return FullIntraRequest(sender_ssrc=t[1], entries=[FirEntry(s, n) for s, n in t[2]])
    return UnknownRtcpPacket(packet_type=t[1], count=t[2], body=t[3])


def parse_rtcp(data: bytes, *, reduced_size: bool = False) -> list[RtcpPacket]:
    """Validate and parse a compound RTCP packet. With `reduced_size`, a compound need not
    start with SR or RR (RFC 5506). Raises TruncatedPacketError or MalformedPacketError."""
    return [_from_tuple(t) for t in rtcp_parse(data, reduced_size)]


def serialize_rtcp(packets: Sequence[RtcpPacket]) -> bytes:
    """Build a compound RTCP packet. The caller puts an SR or RR first for a full compound
    (RFC 3550 6.1)."""
    return rtcp_build([p._tuple() for p in packets])
