"""RFC 3264 offer/answer: answers to real peers' offers, the rules one by one, our offers,
and processing real answers to them."""

from __future__ import annotations

import dataclasses
import re
import struct
from pathlib import Path
from typing import Any

import pytest

from uc_media import (
    AUDIO_LEVEL_URI,
    OPUS,
    PCMA,
    PCMU,
    Direction,
    DtlsUnsupportedError,
    IceCredentials,
    InvalidArgumentError,
    LocalCapabilities,
    NegotiationError,
    Offer,
    SdpError,
    SessionDescription,
    build_offer,
    negotiate_answer,
    process_answer,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sdp"
ICE = IceCredentials("uc01", "ucserverIcePassword0001x")
CAPS = LocalCapabilities("192.0.2.10", 40000, ice=ICE)


def fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.sdp").read_bytes()


def offer_text(media: str, session: str = "", connection: str = "c=IN IP4 192.0.2.1\r\n") -> str:
    return f"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n{connection}t=0 0\r\n{session}{media}"


PCMU_OPUS = "m=audio 5000 RTP/AVP 0 111 101\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\n"


# name: (codec, payload type, telephone-event PT, SRTP suite, ICE, rtcp-mux)
ANSWERABLE = {
    "baresip_opus_g722_pcmu": ("opus", 96, 101, None, False, False),
    "baresip_srtp": ("opus", 96, 101, "AES_CM_128_HMAC_SHA1_80", False, False),
    "baresip_srtp_mandatory": ("opus", 96, 101, "AES_CM_128_HMAC_SHA1_80", False, False),
    "baresip_ice": ("opus", 96, 101, None, True, False),
    "linphone": ("opus", 96, 99, None, False, False),
    "linphone_srtp": ("opus", 96, 99, "AES_CM_128_HMAC_SHA1_80", False, False),
    "sipp_uac": ("PCMU", 0, None, None, False, False),
    "ffmpeg_opus": ("opus", 97, None, None, False, False),
    "ffmpeg_g722": ("G722", 9, None, None, False, False),
    "ffmpeg_pcmu": ("PCMU", 0, None, None, False, False),
    "ffmpeg_opus_srtp": ("opus", 97, None, "AES_CM_128_HMAC_SHA1_80", False, False),
    "webrtc_sdes": ("opus", 111, 126, "AES_CM_128_HMAC_SHA1_80", True, True),
    "ucserver_offer": ("opus", 111, 101, "AES_CM_128_HMAC_SHA1_80", True, True),
    "ucserver_offer_srtp": ("opus", 111, 101, "AES_CM_128_HMAC_SHA1_80", True, True),
}


@pytest.mark.parametrize("name", sorted(ANSWERABLE))
def test_answer_to_real_offer(name: str) -> None:
    codec, pt, te_pt, suite, ice, mux = ANSWERABLE[name]
    offer = SessionDescription.parse(fixture(name))
    answer = negotiate_answer(fixture(name), CAPS)
    audio = answer.audio
    assert (audio.codec.name, audio.payload_type, audio.telephone_event_payload_type) == (codec, pt, te_pt)
    assert (audio.srtp.suite if audio.srtp else None, audio.remote_ice is not None, audio.rtcp_mux) == (suite, ice, mux)
    assert audio.remote_rtp == (offer.connection_of(offer.media[0]).address, offer.media[0].port)  # type: ignore[union-attr]
    # The answer is well-formed SDP, one m= line per offered one, with the offered profile.
    sdp = SessionDescription.parse(bytes(answer))
    assert sdp == answer.sdp and len(sdp.media) == len(offer.media)
    ours = sdp.media[audio.media_index]
    assert ours.proto == offer.media[audio.media_index].proto and ours.port == 40000
    assert ours.payload_types[0] == pt and ours.codec(pt).encoding.lower() == codec.lower()  # type: ignore[union-attr]
    assert sdp.connection_of(ours).address == "192.0.2.10"  # type: ignore[union-attr]
    assert ours.direction is Direction.SENDRECV and ours.ptime == audio.ptime == 20
    if suite is not None:
        (mine,) = ours.crypto
        theirs = audio.srtp.remote  # type: ignore[union-attr]
        assert (mine.tag, mine.suite) == (theirs.tag, theirs.suite) and mine.key_salt != theirs.key_salt
        assert theirs in offer.media[0].crypto
    else:
        assert not ours.has("crypto")
    assert sdp.ice_lite is ice and (sdp.ice_credentials_of(ours) == (ICE.ufrag, ICE.pwd)) is ice
    assert ours.rtcp_mux is mux


@pytest.mark.parametrize("name", ["webrtc_chrome_dtls", "baresip_dtls_srtp"])
def test_dtls_only_offers_are_refused_whole(name: str) -> None:
    with pytest.raises(DtlsUnsupportedError, match="DTLS-SRTP is not supported") as info:
        negotiate_answer(fixture(name), CAPS)
    assert isinstance(info.value, NegotiationError)


def test_savp_with_fingerprint_and_no_crypto_is_dtls() -> None:
    media = ("m=audio 5000 RTP/SAVP 0\r\na=fingerprint:sha-256 AB:CD\r\na=setup:actpass\r\n")
    with pytest.raises(DtlsUnsupportedError, match="only DTLS-SRTP"):
        negotiate_answer(offer_text(media), CAPS)


def test_savp_with_fingerprint_and_crypto_takes_sdes() -> None:
    key = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
    media = f"m=audio 5000 RTP/SAVP 0\r\na=fingerprint:sha-256 AB:CD\r\na=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:{key}\r\n"
    answer = negotiate_answer(offer_text(media), CAPS)
    assert answer.audio.srtp is not None and answer.audio.srtp.local.tag == 3
    assert not answer.sdp.media[0].has("fingerprint") and not answer.sdp.media[0].has("setup")


def test_webrtc_answer_details() -> None:
    answer = negotiate_answer(fixture("webrtc_sdes"), CAPS, session_id=77, session_version=3)
    audio_answer, video_answer = answer.sdp.media
    assert answer.sdp.origin.session_id == 77 and answer.sdp.origin.session_version == 3
    assert (video_answer.port, video_answer.formats, video_answer.mid) == (0, ("100",), "video")
    # telephone-event/8000 beside opus/48000, as offered (durations in 8 kHz units).
    assert audio_answer.mid == "audio" and audio_answer.formats == ("111", "126")
    assert str(audio_answer.codec(126)) == "126 telephone-event/8000"
    # Our Opus receive preferences, not the peer's.
    assert audio_answer.fmtp(111).params == (("useinbandfec", "1"),)  # type: ignore[union-attr]
    assert [str(e) for e in audio_answer.extmaps] == [f"1/sendrecv {AUDIO_LEVEL_URI}"]
    assert [str(c) for c in audio_answer.candidates] == ["1 1 UDP 2130706431 192.0.2.10 40000 typ host"]
    assert audio_answer.end_of_candidates
    audio = answer.audio
    assert audio.mid == "audio" and audio.audio_level_id == 1 and audio.remote_audio_level_vad is True
    assert audio.remote_opus is not None and audio.remote_opus.usedtx and audio.remote_opus.maxaveragebitrate == 32000
    assert audio.remote_ice is not None and audio.remote_ice.ufrag == "F7gI" and audio.remote_ice.options == ("trickle",)
    assert audio.remote_ice.end_of_candidates and audio.local_ice == ICE
    assert audio.remote_ssrcs == (1101026881,) and audio.remote_rtcp == audio.remote_rtp == ("127.0.0.1", 54400)


def test_codec_follows_the_offerers_order_and_keeps_its_payload_type() -> None:
    media = "m=audio 5000 RTP/AVP 8 0 99\r\na=rtpmap:99 OPUS/48000/2\r\n"
    assert negotiate_answer(offer_text(media), CAPS).audio.codec == PCMA
    only_pcmu = LocalCapabilities("192.0.2.10", 40000, codecs=(PCMU,))
    assert negotiate_answer(offer_text(media), only_pcmu).audio.payload_type == 0
    only_opus = LocalCapabilities("192.0.2.10", 40000, codecs=(OPUS,))
    answer = negotiate_answer(offer_text(media), only_opus)
    assert answer.audio.payload_type == 99 and answer.sdp.media[0].first("rtpmap") == "99 OPUS/48000/2"


def test_no_common_codec() -> None:
    media = "m=audio 5000 RTP/AVP 18 97\r\na=rtpmap:97 speex/16000\r\na=rtpmap:96 opus/48000/2\r\n"
    with pytest.raises(NegotiationError, match=r"no common codec \(offered .*G729.*speex"):
        negotiate_answer(offer_text(media), CAPS)
    # opus must be signalled with 2 channels (RFC 7587 section 7).
    with pytest.raises(NegotiationError, match="no common codec"):
        negotiate_answer(offer_text("m=audio 5000 RTP/AVP 96\r\na=rtpmap:96 opus/48000\r\n"),
                         LocalCapabilities("192.0.2.10", 40000, codecs=(OPUS,)))


def test_telephone_event_matches_the_codec_clock_rate() -> None:
    linphone = fixture("linphone")  # te at 48000 (99), 16000 (100) and 8000 (101)
    assert negotiate_answer(linphone, CAPS).audio.telephone_event_payload_type == 99
    pcmu = negotiate_answer(linphone, LocalCapabilities("192.0.2.10", 40000, codecs=(PCMU,)))
    assert pcmu.audio.telephone_event_payload_type == 101 and pcmu.audio.telephone_events == frozenset(range(16))
    assert pcmu.sdp.media[0].formats == ("0", "101") and pcmu.sdp.media[0].fmtp(101).params == (("0-15", None),)  # type: ignore[union-attr]
    wide = offer_text("m=audio 5000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-255\r\n")
    assert negotiate_answer(wide, CAPS).audio.telephone_events == frozenset(range(17))
    none_shared = offer_text("m=audio 5000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 32-40\r\n")
    assert negotiate_answer(none_shared, CAPS).audio.telephone_event_payload_type is None
    no_dtmf = LocalCapabilities("192.0.2.10", 40000, telephone_event=False)
    assert negotiate_answer(offer_text(PCMU_OPUS), no_dtmf).sdp.media[0].formats == ("0",)


@pytest.mark.parametrize(
    ("offered", "local", "answered"),
    [
        ("sendrecv", Direction.SENDRECV, Direction.SENDRECV),
        ("sendonly", Direction.SENDRECV, Direction.RECVONLY),
        ("recvonly", Direction.SENDRECV, Direction.SENDONLY),
        ("inactive", Direction.SENDRECV, Direction.INACTIVE),
        ("sendrecv", Direction.SENDONLY, Direction.SENDONLY),
        ("sendonly", Direction.SENDONLY, Direction.INACTIVE),
        ("recvonly", Direction.RECVONLY, Direction.INACTIVE),
        (None, Direction.SENDRECV, Direction.SENDRECV),
    ],
)
def test_direction_answered_per_rfc3264(offered: str | None, local: Direction, answered: Direction) -> None:
    attr = f"a={offered}\r\n" if offered else ""
    caps = LocalCapabilities("192.0.2.10", 40000, direction=local)
    answer = negotiate_answer(offer_text("m=audio 5000 RTP/AVP 0\r\n" + attr), caps)
    assert answer.audio.direction is answered and answer.sdp.media[0].direction is answered


def test_session_level_direction_and_rfc2543_hold() -> None:
    held = negotiate_answer(offer_text("m=audio 5000 RTP/AVP 0\r\n", session="a=sendonly\r\n"), CAPS)
    assert held.audio.direction is Direction.RECVONLY
    old_hold = negotiate_answer(offer_text("m=audio 5000 RTP/AVP 0\r\n", connection="c=IN IP4 0.0.0.0\r\n"), CAPS)
    assert old_hold.audio.direction is Direction.RECVONLY and old_hold.audio.remote_rtp == ("0.0.0.0", 5000)


def test_other_streams_are_rejected_with_port_zero() -> None:
    media = ("m=video 5002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\nm=audio 5000 RTP/AVP 0\r\n"
             "m=audio 5004 RTP/AVP 8\r\nm=application 5006 UDP/BFCP *\r\n")
    answer = negotiate_answer(offer_text(media), CAPS)
    assert answer.audio.media_index == 1
    assert [(m.media, m.port, m.formats) for m in answer.sdp.media] == [
        ("video", 0, ("96",)), ("audio", 40000, ("0",)), ("audio", 0, ("8",)), ("application", 0, ("*",))]
    assert not answer.sdp.media[0].attributes  # a rejected stream carries nothing but its mid


def test_no_acceptable_stream() -> None:
    with pytest.raises(NegotiationError, match="only audio is supported"):
        negotiate_answer(offer_text("m=video 5002 RTP/AVP 96\r\n"), CAPS)
    with pytest.raises(NegotiationError, match="disabled by the offerer"):
        negotiate_answer(offer_text("m=audio 0 RTP/AVP 0\r\n"), CAPS)
    with pytest.raises(NegotiationError, match="transport profile udptl"):
        negotiate_answer(offer_text("m=audio 5000 udptl t38\r\n"), CAPS)
    with pytest.raises(NegotiationError, match="no m= line"):
        negotiate_answer(offer_text(""), CAPS)


KEY80 = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
KEY256 = "Np+4Gay5PYd5hpWzUfkjOb7LUlFzQgT5UXLj9AFidlEYoe3oy4RkEu761R5BTQ=="
GCM_KEY = "BtPYyFxaUoNZuO7C+AS/lXoFkeM7+QOWwWcy8w=="


def test_first_supported_crypto_wins_and_answer_keeps_its_tag() -> None:
    media = (f"m=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:{KEY256}\r\n"
             f"a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:{KEY80} KDR=1\r\n"
             f"a=crypto:5 AES_CM_128_HMAC_SHA1_32 inline:{KEY80}\r\n"
             f"a=crypto:6 AEAD_AES_128_GCM inline:{GCM_KEY}\r\n")
    srtp = negotiate_answer(offer_text(media), CAPS).audio.srtp
    assert srtp is not None and (srtp.local.tag, srtp.suite) == (5, "AES_CM_128_HMAC_SHA1_32")
    gcm_only = LocalCapabilities("192.0.2.10", 40000, srtp_suites=("AEAD_AES_128_GCM",))
    srtp = negotiate_answer(offer_text(media), gcm_only).audio.srtp
    assert srtp is not None and (srtp.local.tag, srtp.suite, len(srtp.local.key_salt)) == (6, "AEAD_AES_128_GCM", 28)


def test_savp_without_acceptable_crypto_fails() -> None:
    with pytest.raises(NegotiationError, match="no acceptable a=crypto .offered none"):
        negotiate_answer(offer_text("m=audio 5000 RTP/SAVP 0\r\n"), CAPS)
    with pytest.raises(NegotiationError, match="offered AES_256_CM_HMAC_SHA1_80"):
        negotiate_answer(offer_text(f"m=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:{KEY256}\r\n"),
                         CAPS)
    plain_only = LocalCapabilities("192.0.2.10", 40000, srtp_suites=())
    with pytest.raises(NegotiationError, match="we support none"):
        negotiate_answer(fixture("baresip_srtp_mandatory"), plain_only)


def test_best_effort_srtp_and_required_srtp_on_rtp_avp() -> None:
    plain_only = LocalCapabilities("192.0.2.10", 40000, srtp_suites=())
    answer = negotiate_answer(fixture("baresip_srtp"), plain_only)  # RTP/AVP + a=crypto
    assert answer.audio.srtp is None and not answer.sdp.media[0].has("crypto")
    required = LocalCapabilities("192.0.2.10", 40000, require_srtp=True)
    with pytest.raises(NegotiationError, match="SRTP is required"):
        negotiate_answer(fixture("sipp_uac"), required)
    assert negotiate_answer(fixture("baresip_srtp"), required).audio.srtp is not None


def test_negotiated_keys_protect_both_directions() -> None:
    answer = negotiate_answer(fixture("baresip_srtp_mandatory"), CAPS)
    srtp = answer.audio.srtp
    assert srtp is not None
    packet = struct.pack("!BBHII", 0x80, 96, 1, 160, 0x1234) + bytes(range(40))
    # What we send, the peer (keyed by our a=crypto line from the answer) can read...
    ours = srtp.session("outbound").protect(packet)
    peer_view = SessionDescription.parse(bytes(answer)).media[0].crypto[0]
    assert peer_view.srtp_session("inbound").unprotect(ours) == packet
    # ...and what the peer sends under its offered key, we can read.
    theirs = SessionDescription.parse(fixture("baresip_srtp_mandatory")).media[0].crypto[0]
    assert srtp.session("inbound").unprotect(theirs.srtp_session("outbound").protect(packet)) == packet
    assert (srtp.local_key, srtp.remote_key) == (srtp.local.key_salt, theirs.key_salt)


def test_reoffer_for_hold_keeps_our_key_and_origin() -> None:
    first = negotiate_answer(fixture("baresip_srtp_mandatory"), CAPS)
    hold = fixture("baresip_srtp_mandatory").replace(b"a=sendrecv", b"a=sendonly")
    again = negotiate_answer(hold, CAPS, session_id=first.sdp.origin.session_id, session_version=2,
                             previous=first.audio)
    assert again.audio.direction is Direction.RECVONLY
    assert again.sdp.origin.session_id == first.sdp.origin.session_id and again.sdp.origin.session_version == 2
    assert again.audio.srtp is not None and first.audio.srtp is not None
    assert again.audio.srtp.local_key == first.audio.srtp.local_key
    # A new suite gets a new key.
    gcm_key = "BtPYyFxaUoNZuO7C+AS/lXoFkeM7+QOWwWcy8w=="
    other = offer_text(f"m=audio 5000 RTP/SAVP 0\r\na=crypto:4 AEAD_AES_128_GCM inline:{gcm_key}\r\n")
    changed = negotiate_answer(other, CAPS, previous=first.audio).audio.srtp
    assert changed is not None and changed.suite == "AEAD_AES_128_GCM" and changed.local.tag == 4


def test_ice_only_when_both_sides_do_it() -> None:
    no_ice = LocalCapabilities("192.0.2.10", 40000)
    answer = negotiate_answer(fixture("webrtc_sdes"), no_ice)
    assert answer.audio.remote_ice is None and not answer.sdp.ice_lite and not answer.sdp.media[0].has("ice-ufrag")
    plain = negotiate_answer(fixture("sipp_uac"), CAPS)
    assert plain.audio.local_ice is None and not plain.sdp.media[0].has("candidate")
    # Without rtcp-mux the answer lists an RTCP component at port + 1 (or rtcp_port).
    answer = negotiate_answer(fixture("baresip_ice"), LocalCapabilities("192.0.2.10", 40000, ice=ICE, rtcp_port=40100))
    assert [(c.component, c.port) for c in answer.sdp.media[0].candidates] == [(1, 40000), (2, 40100)]
    assert answer.sdp.media[0].rtcp is not None and answer.sdp.media[0].rtcp.port == 40100
    remote = answer.audio.remote_ice
    assert remote is not None and [c.component for c in remote.candidates] == [1, 2] and not remote.lite


def test_ice_mismatch_when_the_default_destination_is_no_candidate() -> None:
    rewritten = fixture("baresip_ice").decode().replace("c=IN IP4 192.0.2.2", "c=IN IP4 198.51.100.7")
    answer = negotiate_answer(rewritten, CAPS)
    media = answer.sdp.media[0]
    assert answer.audio.remote_ice is None and answer.audio.local_ice is None
    assert media.has("ice-mismatch") and not media.has("ice-ufrag") and not answer.sdp.ice_lite
    assert answer.audio.remote_rtp[0] == "198.51.100.7"
    # Trickle's placeholder 0.0.0.0:9 is not a mismatch.
    trickle = offer_text("m=audio 9 RTP/AVP 0\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
                         "a=candidate:1 1 UDP 1 192.0.2.1 5000 typ host\r\n", connection="c=IN IP4 0.0.0.0\r\n")
    assert negotiate_answer(trickle, CAPS).audio.remote_ice is not None


def test_remote_rtcp_address() -> None:
    desc = SessionDescription.parse(fixture("baresip_ice"))
    audio = negotiate_answer(desc, CAPS).audio
    rtcp = desc.media[0].rtcp
    assert rtcp is not None and audio.remote_rtcp == ("192.0.2.2", rtcp.port) and not audio.rtcp_mux
    assert negotiate_answer(fixture("sipp_uac"), CAPS).audio.remote_rtcp == ("127.0.0.1", 26401)
    no_mux = LocalCapabilities("192.0.2.10", 40000, rtcp_mux=False)
    audio = negotiate_answer(fixture("webrtc_sdes"), no_mux).audio
    assert not audio.rtcp_mux and audio.remote_rtcp == ("127.0.0.1", 54400)  # from its a=rtcp


@pytest.mark.parametrize(
    ("media", "ptime"),
    [
        ("m=audio 5000 RTP/AVP 0\r\na=ptime:30\r\n", 30),
        ("m=audio 5000 RTP/AVP 0\r\na=ptime:25\r\n", 20),
        ("m=audio 5000 RTP/AVP 0\r\na=maxptime:10\r\n", 10),
        ("m=audio 5000 RTP/AVP 0\r\na=ptime:60\r\na=maxptime:40\r\n", 40),
        ("m=audio 5000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=ptime:30\r\n", 20),
        ("m=audio 5000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=ptime:60\r\n", 60),
        ("m=audio 5000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 ptime=40\r\n", 40),
        ("m=audio 5000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 maxptime=10\r\n", 10),
    ],
)
def test_ptime_honoured(media: str, ptime: int) -> None:
    answer = negotiate_answer(offer_text(media), CAPS)
    assert answer.audio.ptime == ptime and answer.sdp.media[0].ptime == ptime


def test_malformed_offer_is_an_sdp_error_not_a_partial_answer() -> None:
    with pytest.raises(SdpError, match="line 7"):
        negotiate_answer(fixture("baresip_srtp_invalid"), CAPS)


# ---- offers and answers to them ---------------------------------------------------------

def test_build_offer() -> None:
    offer = build_offer(CAPS, session_id=9)
    desc = SessionDescription.parse(bytes(offer))
    assert desc == offer.sdp and desc.origin.session_id == 9 and desc.ice_lite
    (audio,) = desc.media
    assert audio.proto == "RTP/AVP" and audio.formats == ("111", "9", "0", "8", "101", "100")
    assert audio.codec(101).clock_rate == 48000 and audio.codec(100).clock_rate == 8000  # type: ignore[union-attr]
    assert [(c.tag, c.suite) for c in audio.crypto] == [
        (1, "AES_CM_128_HMAC_SHA1_80"), (2, "AES_CM_128_HMAC_SHA1_32"), (3, "AEAD_AES_128_GCM")]
    assert audio.crypto == offer.crypto and audio.rtcp_mux and audio.ptime == 20
    assert [e.id for e in audio.extmaps] == [1] and audio.extmaps[0].uri == AUDIO_LEVEL_URI
    assert [c.component for c in audio.candidates] == [1, 2]
    secure = build_offer(LocalCapabilities("2001:db8::10", 40000, require_srtp=True, codecs=(PCMU,)))
    sdesc = secure.sdp
    assert sdesc.media[0].proto == "RTP/SAVP" and sdesc.origin.addrtype == "IP6" and not sdesc.ice_lite
    assert sdesc.media[0].formats == ("0", "100")


def test_our_offer_answered_by_ourselves_then_processed() -> None:
    alice = LocalCapabilities("192.0.2.10", 40000, ice=ICE, require_srtp=True)
    bob = LocalCapabilities("192.0.2.20", 42000, ice=IceCredentials("bob1", "bobIcePassword000000001"),
                            codecs=(PCMA, OPUS), srtp_suites=("AEAD_AES_128_GCM",))
    offer = build_offer(alice)
    answer = negotiate_answer(bytes(offer), bob)
    agreed = process_answer(offer, bytes(answer))
    assert agreed.codec == answer.audio.codec == OPUS and agreed.payload_type == 111
    assert agreed.telephone_event_payload_type == answer.audio.telephone_event_payload_type == 101
    assert agreed.srtp is not None and answer.audio.srtp is not None
    assert agreed.srtp.local == answer.audio.srtp.remote and agreed.srtp.remote == answer.audio.srtp.local
    assert agreed.srtp.suite == "AEAD_AES_128_GCM"
    assert agreed.remote_rtp == ("192.0.2.20", 42000) and answer.audio.remote_rtp == ("192.0.2.10", 40000)
    assert agreed.rtcp_mux and agreed.remote_ice is not None and agreed.remote_ice.ufrag == "bob1"
    assert agreed.remote_ice.lite and agreed.audio_level_id == 1 and agreed.direction is Direction.SENDRECV


def rebuilt_offer(name: str, caps: LocalCapabilities) -> Offer:
    """The offer the capture script sent, with the keys it carried."""
    sdp = SessionDescription.parse(fixture(name))
    return Offer(sdp, caps, sdp.media[0].crypto)


def test_process_real_baresip_answers() -> None:
    plain = process_answer(rebuilt_offer("ucserver_offer", LocalCapabilities("127.0.0.1", 26000, ice=ICE)),
                           fixture("baresip_answer"))
    answer = SessionDescription.parse(fixture("baresip_answer"))
    assert (plain.codec, plain.payload_type, plain.srtp, plain.rtcp_mux) == (OPUS, 111, None, False)
    # baresip answers telephone-event/8000 only: taken, with durations in its 8 kHz clock.
    assert (plain.telephone_event_payload_type, plain.telephone_event_clock_rate) == (100, 8000)
    assert plain.remote_rtp == ("127.0.0.1", answer.media[0].port) and plain.remote_ice is None
    caps = LocalCapabilities("127.0.0.1", 26010, ice=ICE, require_srtp=True)
    offer = rebuilt_offer("ucserver_offer_srtp", caps)
    secure = process_answer(offer, fixture("baresip_answer_srtp"))
    assert secure.srtp is not None and secure.srtp.suite == "AES_CM_128_HMAC_SHA1_80"
    assert secure.srtp.local == offer.crypto[0] and secure.srtp.remote.tag == 1


def test_process_answer_errors() -> None:
    caps = LocalCapabilities("127.0.0.1", 26010, ice=ICE, require_srtp=True)
    offer = rebuilt_offer("ucserver_offer_srtp", caps)
    answer = fixture("baresip_answer_srtp").decode()
    cases = [
        (answer.replace("a=crypto:1 ", "a=crypto:9 "), "tag 9 AES_CM_128_HMAC_SHA1_80 was not offered"),
        ("\r\n".join(line for line in answer.split("\r\n") if not line.startswith("a=crypto")), "no acceptable a=crypto"),
        (answer.replace("m=audio 26", "m=audio 0 RTP/SAVP 0\r\nm=audio 26"), "the answer has 2 m= lines"),
        (answer.replace("RTP/SAVP", "RTP/AVP"), "profile differs"),
        (re.sub(r"m=audio [0-9]+", "m=audio 0", answer), "rejected the audio stream"),
        (answer.replace("RTP/SAVP 111 9 0 100", "RTP/SAVP 18"), "no codec we offered"),
    ]
    for text, problem in cases:
        with pytest.raises(NegotiationError, match=problem):
            process_answer(offer, text)


def test_inconsistent_capabilities_are_refused() -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"codecs": ()}, "no codec"),
        ({"codecs": (PCMU, dataclasses.replace(PCMA, payload_type=0))}, "share a payload type"),
        ({"address": "media.example.com"}, "not an IP address"),
        ({"port": 0}, "port 0"),
        ({"srtp_suites": ("F8_128_HMAC_SHA1_80",)}, "not supported"),
        ({"require_srtp": True, "srtp_suites": ()}, "needs at least one"),
        ({"audio_level_id": 15}, "outside 1..14"),
        ({"ptime": 25}, "ptime 25"),
    ]
    for kwargs, problem in cases:
        args: dict[str, Any] = {"address": "192.0.2.10", "port": 40000, **kwargs}
        with pytest.raises(InvalidArgumentError, match=problem):
            LocalCapabilities(**args)
    with pytest.raises(InvalidArgumentError, match="ICE credentials: ice-ufrag 'ab'"):
        LocalCapabilities("192.0.2.10", 40000, ice=IceCredentials("ab", "x" * 22))
    with pytest.raises(InvalidArgumentError, match="ICE credentials: ice-pwd"):
        LocalCapabilities("192.0.2.10", 40000, ice=IceCredentials("abcd", "not-ice-chars-------------"))
    generated = IceCredentials.generate()
    assert len(generated.ufrag) == 8 and len(generated.pwd) == 24 and generated != IceCredentials.generate()
