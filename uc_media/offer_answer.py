"""SDP offer/answer for one audio stream (RFC 3264), with SDES-SRTP, ICE-lite, rtcp-mux,
RFC 6464 audio levels and RFC 4733 telephone-event.

Stable API (what the engine calls):

    caps = LocalCapabilities(address="192.0.2.10", port=40000, ice=IceCredentials.generate())

    # Answering (inbound leg): SdpError if the offer is malformed, NegotiationError
    # (DtlsUnsupportedError for DTLS-SRTP-only offers) if nothing in it is acceptable:
    answer = negotiate_answer(offer_sdp, caps)        # offer_sdp: str | bytes | SessionDescription
    # A re-offer (hold/resume) in the same session keeps the origin and our SRTP key:
    again = negotiate_answer(reoffer_sdp, caps, session_id=answer.sdp.origin.session_id,
                             session_version=2, previous=answer.audio)
    bytes(answer)          # the answer SDP to send (answer.sdp is the SessionDescription)
    answer.audio           # NegotiatedAudio: configure the Leg from it

    # Offering (outbound leg):
    offer = build_offer(caps)
    bytes(offer)           # the offer SDP to send; keep `offer` (it holds our SRTP keys)
    audio = process_answer(offer, answer_sdp)         # NegotiatedAudio, or NegotiationError

Answer rules, each from RFC 3264 section 6.1 unless noted:
- The answer has one m= line per offered one, in order. The first audio stream we can
  serve is accepted; every other stream (video, a second audio, unsupported profiles) is
  rejected with port 0 and its offered formats.
- Codec: the first offered payload type (offerer's preference) that is one of our codecs;
  its payload type number is kept. telephone-event is the offered one whose clock rate
  equals the codec's (the events share the audio's RTP timestamp clock, RFC 4733), with the
  events both sides support.
- Direction: sendonly -> recvonly, recvonly -> sendonly, inactive -> inactive, further
  limited by our own `direction`; c=0.0.0.0 (RFC 2543 hold) means the peer receives
  nothing (RFC 3264 section 8.4).
- Profile: RTP/SAVP(F) needs an acceptable a=crypto line (RFC 4568 section 7.1.2: the
  first offered one whose suite we support, with no session parameters we would have to
  honour); we answer with the same tag and suite and a fresh key of ours. RTP/AVP(F) with
  a=crypto is best-effort SRTP (as baresip, Asterisk and FreeSWITCH do): accepted when we
  have SRTP suites. UDP/TLS/RTP/SAVP(F), or RTP/SAVP(F) with a=fingerprint and no
  acceptable crypto, is DTLS-SRTP, which the engine does not implement yet: refused whole
  (DtlsUnsupportedError) rather than half-accepted.
- ptime: the offered a=ptime when the codec can frame it (Opus 10/20/40/60, the others
  10..60 in 10 ms steps), never above a=maxptime; else ours.
- ICE: when the offer carries ice-ufrag/ice-pwd and we have credentials, we answer as an
  ICE-lite agent (RFC 8445 section 2.5): a=ice-lite, our ufrag/pwd, host candidates for
  our socket (component 2 only without rtcp-mux), a=end-of-candidates; if the offer's
  default destination is none of its candidates we answer a=ice-mismatch instead
  (RFC 8839 sections 4.2.5 and 5.3) and send to the default destination.
- rtcp-mux (RFC 5761 5.1.1) when offered and allowed; extmap audio-level (RFC 8285)
  echoed with the offered id; a=mid echoed (RFC 5888).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from uc_media._core import MediaError, UnsupportedError
from uc_media.audio_session import (
    SUPPORTED_TELEPHONE_EVENTS,
    TELEPHONE_EVENT_PAYLOAD_TYPES,
    Codec,
    IceCredentials,
    LocalCapabilities,
    NegotiatedAudio,
    RemoteIce,
    SdesKeys,
)
from uc_media.sdes import CryptoAttribute, generate_crypto_attribute
from uc_media.sdp import Attribute, MediaDescription, SessionDescription
from uc_media.sdp_attributes import (
    AUDIO_LEVEL_URI,
    Direction,
    ExtMap,
    OpusParameters,
    RtcpAddress,
    RtpMap,
    format_telephone_events,
    parse_telephone_events,
)
from uc_media.sdp_fields import Connection, Origin, address_type
from uc_media.sdp_ice import IceCandidate, host_candidate_priority

PLAIN_PROFILES = ("RTP/AVP", "RTP/AVPF")
SECURE_PROFILES = ("RTP/SAVP", "RTP/SAVPF")


class NegotiationError(MediaError, ValueError):
    """Well-formed SDP with nothing we can accept (a SIP UA answers 488 Not Acceptable
    Here, RFC 3261 section 13.3.1.3), or an answer that does not fit our offer."""


class DtlsUnsupportedError(NegotiationError, UnsupportedError):
    """The offer secures media only with DTLS-SRTP (RFC 5763), which the engine does not
    implement yet."""


@dataclass(frozen=True)
class Answer:
    """The answer SDP and what it agreed."""

    sdp: SessionDescription
    audio: NegotiatedAudio

    def __bytes__(self) -> bytes:
        return bytes(self.sdp)

    def __str__(self) -> str:
        return str(self.sdp)


@dataclass(frozen=True)
class Offer:
    """An offer we built; keep it until the answer comes (it holds our SRTP keys)."""

    sdp: SessionDescription
    capabilities: LocalCapabilities
    crypto: tuple[CryptoAttribute, ...]

    def __bytes__(self) -> bytes:
        return bytes(self.sdp)

    def __str__(self) -> str:
        return str(self.sdp)


def _ptime_choices(codec: Codec) -> tuple[int, ...]:
    # Opus frames are 2.5..60 ms; 10/20/40/60 are the ones RTP peers use (RFC 6716).
    return (10, 20, 40, 60) if codec.is_opus else (10, 20, 30, 40, 50, 60)


def _choose_ptime(codec: Codec, wanted: int | None, maxptime: int | None, default: int) -> int:
    choices = _ptime_choices(codec)
    ptime = wanted if wanted in choices else default
    if maxptime is not None and ptime > maxptime:
        fitting = [p for p in choices if p <= maxptime]
        ptime = fitting[-1] if fitting else choices[0]
    return ptime


def _first_common_codec(media: MediaDescription, codecs: tuple[Codec, ...],
                        fallback: MediaDescription | None = None) -> tuple[int, RtpMap, Codec] | None:
    """The first payload type of `media` (in its order) that maps to one of `codecs`."""
    for pt in media.payload_types:
        rtpmap = media.codec(pt) or (fallback.codec(pt) if fallback is not None else None)
        if rtpmap is None:
            continue  # a dynamic payload type without rtpmap means nothing
        for codec in codecs:
            if codec.matches(rtpmap):
                return pt, rtpmap, codec
    return None


def _telephone_event(media: MediaDescription, clock_rate: int) -> tuple[int | None, frozenset[int], int | None]:
    """The telephone-event PT to use with an audio codec of `clock_rate`, the events both
    sides support, and the event clock. RFC 4733 section 2.1 wants the audio's clock; when
    the peer offers telephone-event only at 8000 Hz beside a codec of another clock (baresip
    and WebRTC beside opus/48000), that one is taken: the engine counts event durations in
    the event clock and keeps the audio's timestamps (Leg.dtmf_clock_rate)."""
    for rate in dict.fromkeys((clock_rate, 8000)):
        for pt in media.payload_types:
            rtpmap = media.codec(pt)
            if rtpmap is None or rtpmap.encoding.casefold() != "telephone-event" or rtpmap.clock_rate != rate:
                continue
            fmtp = media.fmtp(pt)
            offered = parse_telephone_events(fmtp) if fmtp is not None else frozenset(range(16))
            events = offered & SUPPORTED_TELEPHONE_EVENTS
            if events:
                return pt, events, rate
    return None, frozenset(), None


def _remote_addresses(desc: SessionDescription, media: MediaDescription, mux: bool) -> tuple[tuple[str, int], tuple[str, int]]:
    connection = desc.connection_of(media)
    if connection is None:  # SessionDescription refuses this for a live stream
        raise NegotiationError(f"{media.media} stream has no connection address")
    rtp = (connection.address, media.port)
    if mux:
        return rtp, rtp
    rtcp = media.rtcp
    if rtcp is not None:
        return rtp, (rtcp.address or connection.address, rtcp.port)
    return rtp, (connection.address, media.port + 1)


def ice_mismatch(desc: SessionDescription, media: MediaDescription) -> bool:
    """RFC 8839 section 4.2.5 (verifying ICE support): the offer's default destination
    (c= and m= port) is none of its component-1 candidates, so something on the path
    rewrote the SDP: the answer says a=ice-mismatch (section 5.3) and ICE is not used.
    Trickle ICE's placeholder 0.0.0.0 port 9 (RFC 8840) and an offer without candidates
    are not mismatches."""
    connection = desc.connection_of(media)
    if desc.ice_credentials_of(media) is None or connection is None or not media.candidates:
        return False
    if connection.is_hold_address or media.port == 9:
        return False
    return not any(c.component == 1 and c.address == connection.address and c.port == media.port
                   for c in media.candidates)


def _remote_ice(desc: SessionDescription, media: MediaDescription) -> RemoteIce | None:
    creds = desc.ice_credentials_of(media)
    if creds is None or ice_mismatch(desc, media):
        return None
    return RemoteIce(creds[0], creds[1], desc.ice_lite, desc.ice_options_of(media), media.candidates,
                     media.end_of_candidates)


def _audio_level(desc: SessionDescription, media: MediaDescription) -> ExtMap | None:
    for extmap in desc.extmaps_of(media):
        if extmap.uri == AUDIO_LEVEL_URI:
            return extmap
    return None


def _remote_ssrcs(media: MediaDescription) -> tuple[int, ...]:
    return tuple(dict.fromkeys(s.ssrc for s in media.ssrcs))


def _peer_direction(desc: SessionDescription, media: MediaDescription) -> Direction:
    direction = desc.direction_of(media)
    connection = desc.connection_of(media)
    if connection is not None and connection.is_hold_address:
        return Direction.of(direction.sends, False)
    return direction


def _our_direction(local: Direction, peer: Direction) -> Direction:
    return Direction.of(local.sends and peer.receives, local.receives and peer.sends)


def _acceptable_crypto(media: MediaDescription, suites: tuple[str, ...]) -> CryptoAttribute | None:
    for attr in media.crypto:
        # Session parameters (KDR, UNENCRYPTED_SRTP, ...) would change the keying we do:
        # refuse such a line (RFC 4568 section 6.3); SrtpSession takes one master key.
        if attr.suite in suites and not attr.session_params and len(attr.keys) == 1:
            return attr
    return None


@dataclass(frozen=True)
class _Accepted:
    audio: NegotiatedAudio
    rtpmap: RtpMap


def _agreement(desc: SessionDescription, index: int, local: LocalCapabilities, pt: int, codec: Codec,
               srtp: SdesKeys | None) -> NegotiatedAudio:
    """Everything else both sides agreed, read from the peer's side of the exchange
    (`desc`: the offer when we answer, the answer when we offered)."""
    media = desc.media[index]
    te_pt, events, te_rate = (_telephone_event(media, codec.clock_rate) if local.telephone_event
                              else (None, frozenset(), None))
    mux = media.rtcp_mux and local.rtcp_mux
    remote_rtp, remote_rtcp = _remote_addresses(desc, media, mux)
    remote_ice = _remote_ice(desc, media) if local.ice is not None else None
    extmap = _audio_level(desc, media) if local.audio_level else None
    remote_opus: OpusParameters | None = None
    if codec.is_opus:
        fmtp = media.fmtp(pt)
        remote_opus = OpusParameters.from_fmtp(fmtp) if fmtp is not None else OpusParameters()
    wanted = media.ptime or (remote_opus.ptime if remote_opus is not None else None)
    maxptime = media.maxptime or (remote_opus.maxptime if remote_opus is not None else None)
    return NegotiatedAudio(
        media_index=index, mid=media.mid, codec=codec, payload_type=pt, clock_rate=codec.clock_rate,
        channels=codec.channels, ptime=_choose_ptime(codec, wanted, maxptime, local.ptime),
        telephone_event_payload_type=te_pt, telephone_events=events, remote_opus=remote_opus, srtp=srtp,
        remote_rtp=remote_rtp, remote_rtcp=remote_rtcp, rtcp_mux=mux,
        direction=_our_direction(local.direction, _peer_direction(desc, media)),
        local_ice=local.ice if remote_ice is not None else None, remote_ice=remote_ice,
        audio_level_id=extmap.id if extmap is not None else None,
        remote_audio_level_vad=extmap.vad if extmap is not None else None,
        remote_ssrcs=_remote_ssrcs(media), telephone_event_clock_rate=te_rate)


def _our_crypto(remote: CryptoAttribute, previous: NegotiatedAudio | None) -> CryptoAttribute:
    """A fresh key under the offer's tag, or, in a re-offer answered with the same suite,
    the key we already send with, so a hold or resume does not rekey the stream (RFC 4568
    section 7.1.4, modifying the session, leaves keeping or changing keys to each side)."""
    if previous is not None and previous.srtp is not None and previous.srtp.suite == remote.suite:
        return CryptoAttribute(remote.tag, remote.suite, previous.srtp.local.keys)
    return generate_crypto_attribute(remote.tag, remote.suite)


def _negotiate_stream(offer: SessionDescription, index: int, local: LocalCapabilities,
                      previous: NegotiatedAudio | None) -> _Accepted:
    media = offer.media[index]
    where = f"m-line {index + 1} ({media.media} {media.proto})"
    if media.media != "audio":
        raise NegotiationError(f"{where}: only audio is supported")
    if media.rejected:
        raise NegotiationError(f"{where}: disabled by the offerer (port 0)")
    if "TLS" in media.proto.split("/"):
        raise DtlsUnsupportedError(f"{where}: DTLS-SRTP is not supported (offer SDES a=crypto with RTP/SAVP)")
    if media.proto not in PLAIN_PROFILES + SECURE_PROFILES:
        raise NegotiationError(f"{where}: transport profile {media.proto} is not supported")
    chosen = _first_common_codec(media, local.codecs)
    if chosen is None:
        offered = ", ".join(str(media.codec(pt) or pt) for pt in media.payload_types)
        ours = ", ".join(f"{c.name}/{c.clock_rate}" for c in local.codecs)
        raise NegotiationError(f"{where}: no common codec (offered {offered}; we support {ours})")
    pt, rtpmap, codec = chosen

    srtp: SdesKeys | None = None
    remote_crypto = _acceptable_crypto(media, local.srtp_suites)
    secure = media.proto in SECURE_PROFILES
    if remote_crypto is not None:
        local_crypto = _our_crypto(remote_crypto, previous)
        srtp = SdesKeys(remote_crypto.suite, local_crypto, remote_crypto)
    elif secure and offer.fingerprints_of(media) and not media.crypto_suites:
        raise DtlsUnsupportedError(f"{where}: only DTLS-SRTP (a=fingerprint) secures this stream; "
                                   "DTLS-SRTP is not supported")
    elif secure:
        offered = ", ".join(media.crypto_suites) or "none"
        raise NegotiationError(f"{where}: no acceptable a=crypto (offered {offered}; "
                               f"we support {', '.join(local.srtp_suites) or 'none'})")
    elif local.require_srtp:
        raise NegotiationError(f"{where}: plain RTP offered and SRTP is required")

    audio = _agreement(offer, index, local, pt, codec, srtp)
    return _Accepted(audio, rtpmap)


def _ice_attributes(local: LocalCapabilities, creds: IceCredentials, mux: bool) -> list[Attribute]:
    attrs = [Attribute("ice-ufrag", creds.ufrag), Attribute("ice-pwd", creds.pwd)]
    ports = [(1, local.port)] if mux else [(1, local.port), (2, local.local_rtcp_port)]
    for component, port in ports:
        candidate = IceCandidate("1", component, "UDP", host_candidate_priority(component), local.address, port, "host")
        attrs.append(Attribute("candidate", str(candidate)))
    attrs.append(Attribute("end-of-candidates"))
    return attrs


def _codec_attributes(local: LocalCapabilities, codec: Codec, rtpmap: RtpMap, pt: int) -> list[Attribute]:
    attrs = [Attribute("rtpmap", str(RtpMap(pt, rtpmap.encoding, rtpmap.clock_rate, rtpmap.channels)))]
    if codec.is_opus:
        fmtp = local.opus.to_fmtp(pt)
        if fmtp.params:
            attrs.append(Attribute("fmtp", str(fmtp)))
    return attrs


def _telephone_event_attributes(pt: int, clock_rate: int, events: frozenset[int]) -> list[Attribute]:
    return [Attribute("rtpmap", f"{pt} telephone-event/{clock_rate}"),
            Attribute("fmtp", f"{pt} {format_telephone_events(events)}")]


def _origin(local: LocalCapabilities, session_id: int | None, session_version: int) -> Origin:
    sid = session_id if session_id is not None else secrets.randbits(62)
    return Origin(local.username, sid, session_version, local.address, address_type(local.address))


def _answer_media(local: LocalCapabilities, accepted: _Accepted, offer: SessionDescription) -> MediaDescription:
    audio = accepted.audio
    offered = offer.media[audio.media_index]
    extmap = _audio_level(offer, offered) if audio.audio_level_id is not None else None
    formats = [str(audio.payload_type)]
    attrs: list[Attribute] = []
    if audio.mid is not None:
        attrs.append(Attribute("mid", audio.mid))
    attrs += _codec_attributes(local, audio.codec, accepted.rtpmap, audio.payload_type)
    if audio.telephone_event_payload_type is not None:
        formats.append(str(audio.telephone_event_payload_type))
        attrs += _telephone_event_attributes(audio.telephone_event_payload_type,
                                             audio.telephone_event_clock_rate or audio.clock_rate,
                                             audio.telephone_events)
    attrs.append(Attribute("ptime", str(audio.ptime)))
    attrs.append(Attribute(audio.direction.value))
    if audio.rtcp_mux:
        attrs.append(Attribute("rtcp-mux"))
    elif local.rtcp_port is not None:
        attrs.append(Attribute("rtcp", str(RtcpAddress(local.rtcp_port))))
    if audio.srtp is not None:
        attrs.append(Attribute("crypto", str(audio.srtp.local)))
    if extmap is not None:
        # The answerer's direction on an extmap is the reverse of the offerer's (RFC 8285 offer/answer).
        direction = extmap.direction.reversed() if extmap.direction is not None else None
        attrs.append(Attribute("extmap", str(ExtMap(extmap.id, AUDIO_LEVEL_URI, direction))))
    if audio.local_ice is not None:
        attrs += _ice_attributes(local, audio.local_ice, audio.rtcp_mux)
    elif local.ice is not None and ice_mismatch(offer, offered):
        attrs.append(Attribute("ice-mismatch"))
    return MediaDescription("audio", local.port, offered.proto, tuple(formats), attributes=tuple(attrs))


def _rejected(media: MediaDescription) -> MediaDescription:
    attrs = (Attribute("mid", media.mid),) if media.mid is not None else ()
    return MediaDescription(media.media, 0, media.proto, media.formats, attributes=attrs)


def negotiate_answer(offer: SessionDescription | str | bytes, local: LocalCapabilities, *,
                     session_id: int | None = None, session_version: int = 1,
                     previous: NegotiatedAudio | None = None) -> Answer:
    """Answer an offer (RFC 3264 section 6); see the module docstring for the rules.
    Raises SdpError (malformed offer) or NegotiationError; never returns a partial answer.

    For a re-offer in an established session (hold, resume, RFC 3264 section 8) pass the
    session's `session_id`, the next `session_version` and the `previous` agreement: our
    SRTP key is then kept when the suite is unchanged."""
    desc = offer if isinstance(offer, SessionDescription) else SessionDescription.parse(offer)
    accepted: _Accepted | None = None
    reasons: list[NegotiationError] = []
    for index in range(len(desc.media)):
        try:
            accepted = _negotiate_stream(desc, index, local, previous)
            break
        except NegotiationError as exc:
            reasons.append(exc)
    if accepted is None:
        detail = "; ".join(str(r) for r in reasons) or "the offer has no m= line"
        audio_reasons = [r for r in reasons if not str(r).endswith("only audio is supported")]
        if audio_reasons and all(isinstance(r, DtlsUnsupportedError) for r in audio_reasons):
            raise DtlsUnsupportedError(f"no acceptable audio stream: {detail}")
        raise NegotiationError(f"no acceptable audio stream: {detail}")
    media = tuple(
        _answer_media(local, accepted, desc) if i == accepted.audio.media_index else _rejected(m)
        for i, m in enumerate(desc.media))
    uses_ice = accepted.audio.local_ice is not None
    sdp = SessionDescription(
        _origin(local, session_id, session_version), local.session_name,
        connection=Connection.for_address(local.address),
        attributes=(Attribute("ice-lite"),) if uses_ice else (), media=media)
    return Answer(sdp, accepted.audio)


def build_offer(local: LocalCapabilities, *, session_id: int | None = None, session_version: int = 1) -> Offer:
    """An offer of one audio stream with everything `local` supports: each codec, one
    telephone-event per clock rate, one a=crypto line per SRTP suite (tags 1, 2, ...),
    RTP/SAVP when SRTP is required else RTP/AVP (with best-effort a=crypto when suites
    are set), ICE-lite attributes when `local.ice` is set."""
    formats: list[str] = []
    attrs: list[Attribute] = []
    for codec in local.codecs:
        formats.append(str(codec.payload_type))
        attrs += _codec_attributes(local, codec, RtpMap(codec.payload_type, codec.name, codec.clock_rate,
                                                        codec.channels if codec.channels > 1 else None),
                                   codec.payload_type)
    if local.telephone_event:
        used = {c.payload_type for c in local.codecs}
        # telephone-event/8000 as well: peers that know events only at 8 kHz (baresip)
        # pair it with Opus's 48 kHz audio (see _telephone_event).
        for rate in dict.fromkeys([*(c.clock_rate for c in local.codecs), 8000]):
            pt = TELEPHONE_EVENT_PAYLOAD_TYPES.get(rate)
            if pt is not None and pt not in used:
                formats.append(str(pt))
                attrs += _telephone_event_attributes(pt, rate, SUPPORTED_TELEPHONE_EVENTS)
    attrs.append(Attribute("ptime", str(local.ptime)))
    attrs.append(Attribute(local.direction.value))
    if local.rtcp_mux:
        attrs.append(Attribute("rtcp-mux"))
    if local.rtcp_port is not None:
        attrs.append(Attribute("rtcp", str(RtcpAddress(local.rtcp_port))))
    crypto = tuple(generate_crypto_attribute(tag, suite) for tag, suite in enumerate(local.srtp_suites, start=1))
    attrs += [Attribute("crypto", str(c)) for c in crypto]
    if local.audio_level:
        attrs.append(Attribute("extmap", str(ExtMap(local.audio_level_id, AUDIO_LEVEL_URI))))
    if local.ice is not None:
        # The peer may refuse rtcp-mux, so the offer lists an RTCP component too
        # (RFC 5761 section 5.1.3).
        attrs += _ice_attributes(local, local.ice, False)
    proto = "RTP/SAVP" if local.require_srtp else "RTP/AVP"
    media = MediaDescription("audio", local.port, proto, tuple(formats), attributes=tuple(attrs))
    sdp = SessionDescription(
        _origin(local, session_id, session_version), local.session_name,
        connection=Connection.for_address(local.address),
        attributes=(Attribute("ice-lite"),) if local.ice is not None else (), media=(media,))
    return Offer(sdp, local, crypto)


def process_answer(offer: Offer, answer: SessionDescription | str | bytes) -> NegotiatedAudio:
    """What the peer's answer to our `offer` agreed (RFC 3264 section 7). Raises SdpError
    (malformed) or NegotiationError (rejected, or not a valid answer to this offer)."""
    desc = answer if isinstance(answer, SessionDescription) else SessionDescription.parse(answer)
    local = offer.capabilities
    if len(desc.media) != len(offer.sdp.media):
        raise NegotiationError(f"the answer has {len(desc.media)} m= lines, the offer {len(offer.sdp.media)}")
    media = desc.media[0]
    ours = offer.sdp.media[0]
    where = f"answer m-line 1 ({media.media} {media.proto})"
    if media.media != "audio":
        raise NegotiationError(f"{where}: the answer turned the audio stream into {media.media}")
    if media.rejected:
        raise NegotiationError(f"{where}: the peer rejected the audio stream (port 0)")
    if media.proto != ours.proto:
        raise NegotiationError(f"{where}: profile differs from the offered {ours.proto}")
    # Some answers list a dynamic payload type without repeating its rtpmap: the offer's
    # mapping of that number applies.
    chosen = _first_common_codec(media, local.codecs, fallback=ours)
    if chosen is None:
        raise NegotiationError(f"{where}: no codec we offered ({' '.join(media.formats)})")
    pt, _, codec = chosen

    srtp: SdesKeys | None = None
    if offer.crypto:
        theirs = _acceptable_crypto(media, local.srtp_suites)
        if theirs is not None:
            mine = next((c for c in offer.crypto if c.tag == theirs.tag and c.suite == theirs.suite), None)
            if mine is None:
                raise NegotiationError(f"{where}: a=crypto tag {theirs.tag} {theirs.suite} was not offered")
            srtp = SdesKeys(theirs.suite, mine, theirs)
        elif media.proto in SECURE_PROFILES or media.crypto_suites:
            raise NegotiationError(f"{where}: no acceptable a=crypto in the answer")
    return _agreement(desc, 0, local, pt, codec, srtp)

__all__ = [
    "Answer",
    "DtlsUnsupportedError",
    "NegotiationError",
    "Offer",
    "build_offer",
    "negotiate_answer",
    "process_answer",
]
