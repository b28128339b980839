"""SDP glue for the engine: a conference joined from an SDP offer (RFC 3264), and a leg
configured from whatever offer/answer agreed (`uc_media.offer_answer`).

    leg, answer = conference.add_leg(offer_sdp)   # answer: send bytes(answer) back

The leg's socket is bound first (its port goes into the answer), the answer is negotiated
for the engine's capabilities (Opus, G.722, PCMU, PCMA; telephone-event; SDES-SRTP;
ICE-lite; rtcp-mux; RFC 6464 audio levels; ptime = the engine's tick), then the leg takes
the negotiated codec, keys, ICE credentials, remote address and direction before it joins.
Malformed SDP raises SdpError and an unacceptable offer NegotiationError; in both cases the
leg is closed again, so nothing is left half-built.

Not covered: a peer refusing rtcp-mux still gets our RTCP on its RTP port, and we listen
for its RTCP only there (the engine has one socket per leg); a negotiated ptime other than
the engine's tick is honoured on receive (the jitter buffer takes any packet duration) but
we send packets of one tick.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from uc_media.audio_session import DEFAULT_SRTP_SUITES, LocalCapabilities, NegotiatedAudio
from uc_media.engine import Codec, SrtpKeys
from uc_media.ice import IceCredentials
from uc_media.offer_answer import Answer, negotiate_answer
from uc_media.sdp import SessionDescription

if TYPE_CHECKING:
    from uc_media._core import AudioConference, Leg

_ENGINE_CODECS: dict[str, Codec] = {"opus": "opus", "g722": "g722", "pcmu": "pcmu", "pcma": "pcma"}


def configure_leg(leg: Leg, audio: NegotiatedAudio) -> None:
    """Give a leg (in no conference or bridge yet) what offer/answer agreed."""
    leg.set_codec(
        _ENGINE_CODECS[audio.codec.name.casefold()],
        audio.payload_type,
        dtmf_payload_type=-1 if audio.telephone_event_payload_type is None else audio.telephone_event_payload_type,
        audio_level_id=audio.audio_level_id or 0,
        dtmf_clock_rate=(audio.telephone_event_clock_rate or 0)
        if audio.telephone_event_clock_rate != audio.clock_rate else 0,
    )
    if audio.srtp is not None:
        leg.set_srtp(SrtpKeys(audio.srtp.suite, audio.srtp.local_key, audio.srtp.remote_key))
    if audio.local_ice is not None and audio.remote_ice is not None:
        leg.set_ice(audio.local_ice, audio.remote_ice)
    host, port = audio.remote_rtp
    # c=0.0.0.0 (RFC 2543 hold) or port 0: nowhere to send; the peer may still be latched.
    if port and not ipaddress.ip_address(host).is_unspecified:
        leg.set_remote((host, port))
    leg.direction = audio.direction.value


def join_from_offer(conference: AudioConference, offer: SessionDescription | str | bytes, *,
                    address: str | None = None, srtp_suites: tuple[str, ...] = DEFAULT_SRTP_SUITES,
                    require_srtp: bool = False, ice: bool = True) -> tuple[Leg, Answer]:
    """Answer `offer` with a new leg of this conference. `address` is the one our SDP
    announces (default: the engine's bind address)."""
    engine = conference.engine
    leg = engine.create_leg("opus", worker=conference.worker)
    try:
        caps = LocalCapabilities(
            address=address or engine.bind, port=leg.local_port, srtp_suites=srtp_suites,
            require_srtp=require_srtp, ice=IceCredentials.generate() if ice else None,
            ptime=engine.tick_ms,
        )
        answer = negotiate_answer(offer, caps)
        configure_leg(leg, answer.audio)
        conference.add_leg(leg)
    except BaseException:
        leg.close()
        raise
    return leg, answer
