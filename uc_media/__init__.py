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

__version__ = "0.1.0"

__all__ = [
    "LEVEL_SILENT",
    "AudioMixer",
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
# SDP and offer/answer
from uc_media.audio_session import (
    DEFAULT_CODECS,
    G722,
    OPUS,
    PCMA,
    PCMU,
    Codec,
    IceCredentials,
    LocalCapabilities,
    NegotiatedAudio,
    RemoteIce,
    SdesKeys,
)
from uc_media.offer_answer import (
    Answer,
    DtlsUnsupportedError,
    NegotiationError,
    Offer,
    build_offer,
    negotiate_answer,
    process_answer,
)
from uc_media.sdp import Attribute, Connection, MediaDescription, Origin, SessionDescription, parse_sdp
from uc_media.sdp_attributes import AUDIO_LEVEL_URI, Direction, ExtMap, FormatParameters, OpusParameters, RtpMap
from uc_media.sdp_errors import SdpError
from uc_media.sdp_ice import IceCandidate

__all__ += [
    "AUDIO_LEVEL_URI",
    "Answer",
    "Attribute",
    "Codec",
    "Connection",
    "DEFAULT_CODECS",
    "Direction",
    "DtlsUnsupportedError",
    "ExtMap",
    "FormatParameters",
    "G722",
    "IceCandidate",
    "IceCredentials",
    "LocalCapabilities",
    "MediaDescription",
    "NegotiatedAudio",
    "NegotiationError",
    "OPUS",
    "Offer",
    "OpusParameters",
    "Origin",
    "PCMA",
    "PCMU",
    "RemoteIce",
    "RtpMap",
    "SdpError",
    "SessionDescription",
    "SdesKeys",
    "build_offer",
    "negotiate_answer",
    "parse_sdp",
    "process_answer",
]
