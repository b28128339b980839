"""The inputs and the outcome of an audio offer/answer exchange (see uc_media.offer_answer).

`LocalCapabilities` is what this side can do and where it listens; `NegotiatedAudio` is
what both sides agreed for one audio stream, everything the engine needs to configure a
Leg: codec and payload type, ptime, telephone-event, SRTP keys for both directions, the
remote RTP/RTCP address, ICE credentials and candidates, the RFC 6464 extmap id, and the
direction this side may use.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal

from uc_media._core import InvalidArgumentError, SrtpSession
from uc_media.sdes import SUITE_KEY_SALT_LENGTHS, CryptoAttribute
from uc_media.sdp_attributes import Direction, OpusParameters, RtpMap
from uc_media.sdp_errors import SdpError
from uc_media.ice import IceCredentials
from uc_media.sdp_ice import IceCandidate, check_ice_attribute


@dataclass(frozen=True)
class Codec:
    """An audio codec as SDP names it. `clock_rate` is the RTP clock rate, which for G.722
    is 8000 although it samples at 16 kHz (RFC 3551 section 4.5.2). `payload_type` is the
    number this side puts in its offers (static where RFC 3551 assigns one)."""

    name: str
    clock_rate: int
    channels: int
    payload_type: int

    def matches(self, rtpmap: RtpMap) -> bool:
        """Same encoding (names are case-insensitive, RFC 8866 6.6), rate and channels
        (absent means 1)."""
        return (rtpmap.encoding.casefold() == self.name.casefold() and rtpmap.clock_rate == self.clock_rate
                and (rtpmap.channels or 1) == self.channels)

    @property
    def is_opus(self) -> bool:
        return self.name.casefold() == "opus"


# Opus is always signalled as opus/48000/2 whatever it carries (RFC 7587 section 7).
OPUS = Codec("opus", 48000, 2, 111)
G722 = Codec("G722", 8000, 1, 9)
PCMU = Codec("PCMU", 8000, 1, 0)
PCMA = Codec("PCMA", 8000, 1, 8)
DEFAULT_CODECS = (OPUS, G722, PCMU, PCMA)

# telephone-event payload types in our offers, one per audio clock rate in use: events
# share the RTP timestamp clock of the audio they accompany (RFC 4733).
TELEPHONE_EVENT_PAYLOAD_TYPES = {48000: 101, 8000: 100, 16000: 102}
# DTMF 0-9, *, #, A-D (0-15) and flash (16): what the engine sends and receives.
SUPPORTED_TELEPHONE_EVENTS = frozenset(range(17))

DEFAULT_SRTP_SUITES = ("AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM")



@dataclass(frozen=True)
class LocalCapabilities:
    """What this side offers or accepts, and where its RTP socket listens.

    codecs        in our order of preference (used for offers; an answer follows the
                  offerer's order, RFC 3264 section 6.1)
    srtp_suites   SDES suites we accept, preferred first; empty means plain RTP only
    require_srtp  refuse plain RTP (answer) / offer RTP/SAVP instead of best-effort RTP/AVP
    ice           our ICE-lite credentials (uc_media.ice.IceCredentials, checked against
                  RFC 8839's lengths and alphabet); None leaves ICE out
    rtcp_port     where we take RTCP when the peer refuses rtcp-mux (None: port + 1)
    ptime         packet time we send and ask for, unless the peer asks otherwise
    opus          our Opus receive preferences (the fmtp we send)
    direction     what we want: sendrecv normally, sendonly to put the peer on hold

    Inconsistent values raise InvalidArgumentError.
    """

    address: str
    port: int
    codecs: tuple[Codec, ...] = DEFAULT_CODECS
    telephone_event: bool = True
    srtp_suites: tuple[str, ...] = DEFAULT_SRTP_SUITES
    require_srtp: bool = False
    ice: IceCredentials | None = None
    rtcp_mux: bool = True
    rtcp_port: int | None = None
    audio_level: bool = True
    audio_level_id: int = 1
    ptime: int = 20
    opus: OpusParameters = field(default_factory=lambda: OpusParameters(useinbandfec=True))
    direction: Direction = Direction.SENDRECV
    username: str = "-"
    session_name: str = "-"

    def __post_init__(self) -> None:
        if not self.codecs:
            raise InvalidArgumentError("local capabilities list no codec")
        if len({c.payload_type for c in self.codecs}) != len(self.codecs):
            raise InvalidArgumentError("two local codecs share a payload type")
        try:
            ipaddress.ip_address(self.address)
        except ValueError:
            raise InvalidArgumentError(f"local address {self.address!r} is not an IP address") from None
        if not 1 <= self.port <= 65535:
            raise InvalidArgumentError(f"local RTP port {self.port} outside 1..65535")
        if self.rtcp_port is not None and not 1 <= self.rtcp_port <= 65535:
            raise InvalidArgumentError(f"local RTCP port {self.rtcp_port} outside 1..65535")
        for suite in self.srtp_suites:
            if suite not in SUITE_KEY_SALT_LENGTHS:
                raise InvalidArgumentError(f"SRTP suite {suite!r} is not supported")
        if self.require_srtp and not self.srtp_suites:
            raise InvalidArgumentError("require_srtp needs at least one SRTP suite")
        if not 1 <= self.audio_level_id <= 14:
            raise InvalidArgumentError(f"audio-level extmap id {self.audio_level_id} outside 1..14")
        if self.ice is not None:
            try:
                check_ice_attribute("ice-ufrag", self.ice.ufrag)
                check_ice_attribute("ice-pwd", self.ice.pwd)
            except SdpError as exc:
                raise InvalidArgumentError(f"ICE credentials: {exc.problem}") from None
        if self.ptime not in (10, 20, 30, 40, 60):
            raise InvalidArgumentError(f"ptime {self.ptime} is not 10, 20, 30, 40 or 60 ms")

    @property
    def local_rtcp_port(self) -> int:
        return self.rtcp_port if self.rtcp_port is not None else self.port + 1


@dataclass(frozen=True)
class SdesKeys:
    """The SDES outcome: `local` keys what we send (our a=crypto line), `remote` what we
    receive (the peer's), both with the same suite and tag (RFC 4568 section 7). Named
    apart from the engine's per-leg key value: this one keeps the whole a=crypto lines."""

    suite: str
    local: CryptoAttribute
    remote: CryptoAttribute

    @property
    def local_key(self) -> bytes:
        """Master key || salt we protect with (what an engine Leg takes as its local key)."""
        return self.local.key_salt

    @property
    def remote_key(self) -> bytes:
        """Master key || salt the peer protects with (we unprotect with it)."""
        return self.remote.key_salt

    def session(self, direction: Literal["outbound", "inbound"], *, srtcp_tag_32: bool = False) -> SrtpSession:
        """An SrtpSession for sending ('outbound', our key) or receiving ('inbound')."""
        attr = self.local if direction == "outbound" else self.remote
        return attr.srtp_session(direction, srtcp_tag_32=srtcp_tag_32)


@dataclass(frozen=True)
class RemoteIce:
    """The peer's ICE parameters for the negotiated stream."""

    ufrag: str
    pwd: str
    lite: bool
    options: tuple[str, ...]
    candidates: tuple[IceCandidate, ...]
    end_of_candidates: bool


@dataclass(frozen=True)
class NegotiatedAudio:
    """What offer/answer agreed for one audio stream: everything a Leg needs.

    media_index      position of the stream's m= line (the same in offer and answer)
    payload_type     the PT this stream uses for `codec` (as offered, RFC 3264 6.1)
    clock_rate       RTP clock rate of `codec` (8000 for G.722)
    ptime            milliseconds of audio per packet we send
    telephone_event_payload_type   None when no telephone-event was agreed
    telephone_event_clock_rate     its clock: `clock_rate`, or 8000 when the peer offered
                                   only telephone-event/8000 beside a codec of another clock
    remote_opus      the peer's Opus fmtp (its receive preferences); None if not Opus
    srtp             None for plain RTP
    remote_rtp       where to send RTP (the default candidate; ICE may find a better one)
    remote_rtcp      where to send RTCP (== remote_rtp when rtcp_mux)
    direction        OUR direction: sends = we may send, receives = we expect media
    local_ice / remote_ice   None when ICE is not in use on this stream
    audio_level_id   RFC 6464 extmap id both sides use; None if not agreed
    remote_audio_level_vad   the peer's vad=on/off for that extension (None: unstated)
    remote_ssrcs     the SSRCs the peer announced with a=ssrc (RFC 5576)
    """

    media_index: int
    mid: str | None
    codec: Codec
    payload_type: int
    clock_rate: int
    channels: int
    ptime: int
    telephone_event_payload_type: int | None
    telephone_events: frozenset[int]
    remote_opus: OpusParameters | None
    srtp: SdesKeys | None
    remote_rtp: tuple[str, int]
    remote_rtcp: tuple[str, int]
    rtcp_mux: bool
    direction: Direction
    local_ice: IceCredentials | None
    remote_ice: RemoteIce | None
    audio_level_id: int | None
    remote_audio_level_vad: bool | None
    remote_ssrcs: tuple[int, ...]
    telephone_event_clock_rate: int | None = None


__all__ = [
    "DEFAULT_CODECS",
    "DEFAULT_SRTP_SUITES",
    "G722",
    "OPUS",
    "PCMA",
    "PCMU",
    "SUPPORTED_TELEPHONE_EVENTS",
    "TELEPHONE_EVENT_PAYLOAD_TYPES",
    "Codec",
    "LocalCapabilities",
    "NegotiatedAudio",
    "RemoteIce",
    "SdesKeys",
]
