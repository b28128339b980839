"""uc_media: the ucserver media engine (RTP/RTCP, jitter buffering, mixing, codecs, SRTP).

Usable on its own, without any SIP. Everything public is re-exported here; the compiled
module `uc_media._core` is private.
"""

from uc_media._core import (
    BufferTooSmallError,
    CodecError,
    InvalidArgumentError,
    JitterBuffer,
    MalformedPacketError,
    MediaError,
    PacketError,
    SrtpAuthError,
    SrtpError,
    SrtpReplayError,
    StateError,
    TruncatedPacketError,
    UnsupportedError,
    library_versions,
)
from uc_media.jitter import JitterAction, JitterOutput, JitterStats, PutOutcome

__version__ = "0.1.0"

__all__ = [
    "BufferTooSmallError",
    "CodecError",
    "InvalidArgumentError",
    "JitterAction",
    "JitterBuffer",
    "JitterOutput",
    "JitterStats",
    "MalformedPacketError",
    "MediaError",
    "PacketError",
    "PutOutcome",
    "SrtpAuthError",
    "SrtpError",
    "SrtpReplayError",
    "StateError",
    "TruncatedPacketError",
    "UnsupportedError",
    "library_versions",
]
