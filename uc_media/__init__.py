"""uc_media: the ucserver media engine (RTP/RTCP, jitter buffering, mixing, codecs, SRTP).

Usable on its own, without any SIP. Everything public is re-exported here; the compiled
module `uc_media._core` is private.
"""

from uc_media._core import (
    LEVEL_SILENT,
    AudioMixer,
    BufferTooSmallError,
    CodecError,
    G711Decoder,
    G711Encoder,
    G722Decoder,
    G722Encoder,
    InvalidArgumentError,
    MalformedPacketError,
    MediaError,
    OpusDecoder,
    OpusEncoder,
    PacketError,
    Resampler,
    ReceiveStatistics,
    SrtpAuthError,
    SrtpError,
    SrtpReplayError,
    StateError,
    TruncatedPacketError,
    UnsupportedError,
    audio_level,
    library_versions,
)
from uc_media._core import SRTP_MAX_OVERHEAD, SRTP_SUITES, SrtpSession, srtp_key_salt_length, srtp_suite_available
from uc_media.sdes import CryptoAttribute, SdesError, SdesKey, UnsupportedSuiteError, generate_crypto_attribute

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
    "LEVEL_SILENT",
    "AudioMixer",
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
    "G711Decoder",
    "G711Encoder",
    "G722Decoder",
    "G722Encoder",
    "InvalidArgumentError",
    "MalformedPacketError",
    "MediaError",
    "OpusDecoder",
    "OpusEncoder",
    "PacketError",
    "Resampler",
    "SrtpAuthError",
    "SrtpError",
    "SrtpReplayError",
    "StateError",
    "TruncatedPacketError",
    "UnsupportedError",
    "audio_level",
    "library_versions",
]
# SRTP and SDES
__all__ += [
    "CryptoAttribute",
    "SRTP_MAX_OVERHEAD",
    "SRTP_SUITES",
    "SdesError",
    "SdesKey",
    "SrtpSession",
    "UnsupportedSuiteError",
    "generate_crypto_attribute",
    "srtp_key_salt_length",
    "srtp_suite_available",
]
