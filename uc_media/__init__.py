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
