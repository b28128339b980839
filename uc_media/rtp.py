"""RTP packets (RFC 3550 5.1) with RFC 8285 header extensions and the RFC 6464 audio level.

The parsing and serialising is done in C (csrc/rtp.c); this module gives it a typed
dataclass in the manner of aiortc's `rtp.py`. Bad input raises TruncatedPacketError or
MalformedPacketError (both PacketError), with a message naming the part that failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from uc_media._core import (
    rtp_audio_level_read,
    rtp_audio_level_write,
    rtp_build,
    rtp_parse,
)

RTP_VERSION = 2
# RFC 8285 4.2 and 4.3: the "defined by profile" values of the two element forms.
EXTENSION_PROFILE_ONE_BYTE = 0xBEDE
EXTENSION_PROFILE_TWO_BYTE = 0x1000
_ONE_BYTE_MAX_ID = 14
_ONE_BYTE_MAX_LEN = 16


class AudioLevel(NamedTuple):
    """RFC 6464 client-to-mixer audio level: voice activity and level in -dBov (0..127)."""

    voice: bool
    level: int


def is_rfc8285_profile(profile: int) -> bool:
    """True for the one-byte (0xBEDE) and two-byte (0x100x) header extension forms."""
    return profile == EXTENSION_PROFILE_ONE_BYTE or profile & 0xFFF0 == EXTENSION_PROFILE_TWO_BYTE


@dataclass
class RtpPacket:
    """One RTP packet.

    `extensions` maps RFC 8285 element ids to their data, in packet order (a repeated id
    keeps its first element). `extension_profile` is the header extension's profile field:
    None means no extension when `extensions` is empty, otherwise the smallest RFC 8285 form
    that fits is chosen on serialisation. A profile outside RFC 8285 carries its body opaque
    in `extension_data` (RFC 3550 5.3.1). `padding_size` counts the trailing padding bytes,
    the count byte included (0: no P bit).
    """

    payload_type: int = 0
    marker: bool = False
    sequence_number: int = 0
    timestamp: int = 0
    ssrc: int = 0
    csrc: list[int] = field(default_factory=list)
    extensions: dict[int, bytes] = field(default_factory=dict)
    extension_profile: int | None = None
    extension_data: bytes = b""
    payload: bytes = b""
    padding_size: int = 0

    @property
    def version(self) -> int:
        return RTP_VERSION

    @property
    def padding(self) -> bool:
        return self.padding_size > 0

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        (marker, payload_type, sequence_number, timestamp, ssrc, csrc, profile, elements,
         extension_data, payload, padding_size) = rtp_parse(data)
        extensions: dict[int, bytes] = {}
        for ext_id, value in elements:
            extensions.setdefault(ext_id, value)
        # positional, in field order: the cheapest dataclass construction
        return cls(payload_type, marker, sequence_number, timestamp, ssrc, csrc, extensions,
                   profile, extension_data, payload, padding_size)

    def _profile_for_serialisation(self) -> int | None:
        if self.extension_profile is not None:
            return self.extension_profile
        if not self.extensions and not self.extension_data:
            return None
        one_byte_fits = all(
            1 <= ext_id <= _ONE_BYTE_MAX_ID and 1 <= len(value) <= _ONE_BYTE_MAX_LEN
            for ext_id, value in self.extensions.items()
        )
        return EXTENSION_PROFILE_ONE_BYTE if one_byte_fits else EXTENSION_PROFILE_TWO_BYTE

    def __bytes__(self) -> bytes:
        return rtp_build(
            self.marker,
            self.payload_type,
            self.sequence_number,
            self.timestamp,
            self.ssrc,
            self.csrc,
            self._profile_for_serialisation(),
            self.extensions,
            self.extension_data,
            self.payload,
            self.padding_size,
        )

    def audio_level(self, ext_id: int) -> AudioLevel | None:
        """The RFC 6464 audio level carried under `ext_id` (as negotiated in SDP), or None."""
        value = self.extensions.get(ext_id)
        if value is None:
            return None
        voice, level = rtp_audio_level_read(value)
        return AudioLevel(voice, level)

    def set_audio_level(self, ext_id: int, voice: bool, level: int) -> None:
        """Carry an RFC 6464 audio level (level in -dBov, 0..127) under `ext_id`."""
        self.extensions[ext_id] = rtp_audio_level_write(voice, level)

    def __repr__(self) -> str:
        extras = ""
        if self.csrc:
            extras += f", csrc={self.csrc}"
        if self.extensions:
            extras += f", extensions={self.extensions}"
        if self.padding_size:
            extras += f", padding={self.padding_size}"
        return (
            f"RtpPacket(pt={self.payload_type}, seq={self.sequence_number}, ts={self.timestamp}, "
            f"ssrc=0x{self.ssrc:08X}, marker={int(self.marker)}{extras}, "
            f"payload={len(self.payload)} bytes)"
        )
