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
    JitterBuffer,
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
from uc_media.jitter import JitterAction, JitterOutput, JitterStats, PutOutcome
from uc_media._core import AudioConference, Bridge, Engine, Leg
from uc_media.engine import (
    ConferenceStats,
    DtmfReceived,
    EngineError,
    IceStateChanged,
    LegStats,
    LevelReport,
    RemoteLatched,
    SrtpKeys,
    StreamStats,
    TalkersChanged,
    WorkerStats,
)

__version__ = "0.1.0"

__all__ = [
    "AudioConference",
    "Bridge",
    "ConferenceStats",
    "DtmfReceived",
    "Engine",
    "EngineError",
    "IceStateChanged",
    "Leg",
    "LegStats",
    "LevelReport",
    "RemoteLatched",
    "SrtpKeys",
    "StreamStats",
    "TalkersChanged",
    "WorkerStats",
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
    "JitterAction",
    "JitterBuffer",
    "JitterOutput",
    "JitterStats",
    "MalformedPacketError",
    "MediaError",
    "OpusDecoder",
    "OpusEncoder",
    "PacketError",
    "Resampler",
    "PutOutcome",
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
# STUN and ICE
from uc_media._core import StunFingerprintError, StunIntegrityError
from uc_media.ice import (
    ICE_CONSENT_TIMEOUT,
    ControllingIceAgent,
    IceCredentials,
    IceLiteResponder,
    generate_password,
    generate_ufrag,
)
from uc_media.stun import StunAttr, StunClass, StunMessage, StunMethod, is_stun

__all__ += [
    "ICE_CONSENT_TIMEOUT",
    "ControllingIceAgent",
    "IceCredentials",
    "IceLiteResponder",
    "StunAttr",
    "StunClass",
    "StunFingerprintError",
    "StunIntegrityError",
    "StunMessage",
    "StunMethod",
    "generate_password",
    "generate_ufrag",
    "is_stun",
]
# uc_media.IceCredentials is uc_media.ice's (it also makes responders); the SDP layer's
# own class (uc_media.audio_session.IceCredentials) has the same ufrag/pwd fields.
# SDP and offer/answer
from uc_media.audio_session import (
    DEFAULT_CODECS,
    G722,
    OPUS,
    PCMA,
    PCMU,
    Codec,
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
