"""uc_media: the ucserver media engine (RTP/RTCP, jitter buffering, mixing, codecs, SRTP).

Usable on its own, without any SIP. Everything public is re-exported here; the compiled
module `uc_media._core` is private.
"""

from uc_media._core import (
    BufferTooSmallError,
    CodecError,
    InvalidArgumentError,
    MalformedPacketError,
    MediaError,
    PacketError,
    ReceiveStatistics,
    SrtpAuthError,
    SrtpError,
    SrtpReplayError,
    StateError,
    TruncatedPacketError,
    UnsupportedError,
    library_versions,
)

from uc_media.rtcp import (
    App,
    Bye,
    FirEntry,
    FullIntraRequest,
    GenericNack,
    PictureLossIndication,
    ReceiverReport,
    ReportBlock,
    RtcpPacket,
    Sdes,
    SdesChunk,
    SdesItem,
    SenderReport,
    UnknownRtcpPacket,
    parse_rtcp,
    serialize_rtcp,
)
from uc_media.rtp import AudioLevel, RtpPacket

__version__ = "0.1.0"

__all__ = [
    "App",
    "AudioLevel",
    "Bye",
    "FirEntry",
    "FullIntraRequest",
    "GenericNack",
    "PictureLossIndication",
    "ReceiveStatistics",
    "ReceiverReport",
    "ReportBlock",
    "RtcpPacket",
    "RtpPacket",
    "Sdes",
    "SdesChunk",
    "SdesItem",
    "SenderReport",
    "UnknownRtcpPacket",
    "parse_rtcp",
    "serialize_rtcp",
    "BufferTooSmallError",
    "CodecError",
    "InvalidArgumentError",
    "MalformedPacketError",
    "MediaError",
    "PacketError",
    "SrtpAuthError",
    "SrtpError",
    "SrtpReplayError",
    "StateError",
    "TruncatedPacketError",
    "UnsupportedError",
    "library_versions",
]
