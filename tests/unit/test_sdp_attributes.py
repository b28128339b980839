"""Typed views of audio attributes: rtpmap, fmtp (Opus, telephone-event), ptime, direction,
rtcp-mux/rtcp, crypto, ICE, extmap, ssrc, mid, setup/fingerprint."""

from __future__ import annotations

from pathlib import Path

import pytest

from uc_media import (
    AUDIO_LEVEL_URI,
    CryptoAttribute,
    Direction,
    ExtMap,
    FormatParameters,
    IceCandidate,
    OpusParameters,
    RtpMap,
    SdpError,
    SessionDescription,
    parse_sdp,
)
from uc_media.sdp_attributes import (
    Fingerprint,
    RtcpAddress,
    SsrcAttribute,
    format_telephone_events,
    parse_telephone_events,
)
from uc_media.sdp_ice import host_candidate_priority

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sdp"


def fixture(name: str) -> SessionDescription:
    return SessionDescription.parse((FIXTURES / f"{name}.sdp").read_bytes())


def test_rtpmap_with_and_without_channels_and_static_types() -> None:
    audio = fixture("baresip_opus_g722_pcmu").media[0]
    assert audio.payload_types == (96, 9, 0, 101)
    assert audio.rtpmaps[96] == RtpMap(96, "opus", 48000, 2)
    assert audio.codec(9) == RtpMap(9, "G722", 8000, None)
    # ffmpeg's G.722 SDP has no rtpmap: the static table (RFC 3551) fills in.
    g722 = fixture("ffmpeg_g722").media[0]
    assert g722.rtpmaps == {} and g722.codec(9) == RtpMap(9, "G722", 8000, 1)
    assert g722.codec(96) is None
    assert str(RtpMap.parse("111 opus/48000/2")) == "111 opus/48000/2"
    for bad in ("111", "111 opus", "111 opus/x", "300 opus/48000", "111 opus/48000/2/1", "111 op us/48000"):
        with pytest.raises(SdpError):
            RtpMap.parse(bad)


def test_opus_fmtp_parameters() -> None:
    webrtc = fixture("webrtc_sdes").media[0]
    fmtp = webrtc.fmtp(111)
    assert fmtp is not None and fmtp.get("USEINBANDFEC") == "1"
    opus = OpusParameters.from_fmtp(fmtp)
    assert opus == OpusParameters(minptime=10, maxaveragebitrate=32000, useinbandfec=True, usedtx=True)
    baresip = OpusParameters.from_fmtp(FormatParameters.parse("96 stereo=1;sprop-stereo=1"))
    assert baresip.stereo is True and baresip.sprop_stereo is True and baresip.useinbandfec is None
    mixed = OpusParameters.from_fmtp(FormatParameters.parse("111 ptime=40; maxptime=60 ;cbr=0;x-vendor=7;"))
    assert (mixed.ptime, mixed.maxptime, mixed.cbr) == (40, 60, False)
    assert str(OpusParameters(useinbandfec=True, maxaveragebitrate=24000).to_fmtp(111)) == \
        "111 maxaveragebitrate=24000;useinbandfec=1"
    for bad in ("111 stereo=yes", "111 maxplaybackrate=100", "111 maxaveragebitrate=", "111 ptime=0"):
        with pytest.raises(SdpError):
            OpusParameters.from_fmtp(FormatParameters.parse(bad))


def test_telephone_event_ranges() -> None:
    assert parse_telephone_events(FormatParameters.parse("101 0-16")) == frozenset(range(17))
    assert parse_telephone_events(FormatParameters.parse("101 0-11,16, 32-33")) == frozenset([*range(12), 16, 32, 33])
    assert format_telephone_events(frozenset([*range(12), 16, 32, 33])) == "0-11,16,32-33"
    assert format_telephone_events(frozenset(range(17))) == "0-16"
    for bad in ("101 0-256", "101 5-2", "101 a", "101 1,,2"):
        with pytest.raises(SdpError):
            parse_telephone_events(FormatParameters.parse(bad))


def test_ptime_maxptime_direction_rtcp() -> None:
    desc = parse_sdp("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\na=sendonly\r\n"
                     "m=audio 5000 RTP/AVP 0\r\na=ptime:30.0\r\na=maxptime:60\r\na=rtcp:5011 IN IP4 192.0.2.9\r\n"
                     "m=audio 5002 RTP/AVP 0\r\na=inactive\r\na=rtcp-mux\r\n")
    first, second = desc.media
    assert (first.ptime, first.maxptime) == (30, 60)
    assert first.direction is None and desc.direction_of(first) is Direction.SENDONLY
    assert desc.direction_of(second) is Direction.INACTIVE
    assert first.rtcp == RtcpAddress(5011, "IN", "IP4", "192.0.2.9") and not first.rtcp_mux
    assert second.rtcp is None and second.rtcp_mux
    assert str(RtcpAddress.parse("53020")) == "53020"
    with pytest.raises(SdpError):
        RtcpAddress.parse("53020 IN IP4")


def test_direction_algebra() -> None:
    assert [d.reversed() for d in Direction] == [Direction.SENDRECV, Direction.RECVONLY, Direction.SENDONLY,
                                                 Direction.INACTIVE]
    assert Direction.of(True, False) is Direction.SENDONLY and Direction.of(False, False) is Direction.INACTIVE
    assert Direction.SENDRECV.sends and Direction.SENDRECV.receives and not Direction.RECVONLY.sends


def test_crypto_view_keeps_unsupported_suites_out_but_listed() -> None:
    audio = fixture("linphone_srtp").media[0]
    assert audio.crypto_suites == ("AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
                                   "AES_256_CM_HMAC_SHA1_80", "AES_256_CM_HMAC_SHA1_32")
    assert [c.tag for c in audio.crypto] == [1, 2]
    assert all(isinstance(c, CryptoAttribute) and len(c.key_salt) == 30 for c in audio.crypto)


def test_ice_attributes_session_and_media_level() -> None:
    baresip = fixture("baresip_ice")
    audio = baresip.media[0]
    # baresip puts its credentials at session level; the media section inherits them.
    assert audio.first("ice-ufrag") is None and baresip.first("ice-ufrag") is not None
    assert baresip.ice_credentials_of(audio) == (baresip.first("ice-ufrag"), baresip.first("ice-pwd"))
    assert [(c.component, c.type, c.is_udp) for c in audio.candidates] == [(1, "host", True), (2, "host", True)]
    assert not audio.end_of_candidates and not baresip.ice_lite
    chrome = fixture("webrtc_chrome_dtls")
    media = chrome.media[0]
    assert chrome.ice_credentials_of(media) == ("ETEn", "OtSK0WpNtpUjkY4+86js7ZQl")
    assert chrome.ice_options_of(media) == ("trickle",)
    (candidate,) = media.candidates
    assert candidate.address.endswith(".local") and candidate.transport == "udp" and candidate.is_udp
    assert candidate.extensions == (("generation", "0"), ("network-id", "1"))


def test_candidate_grammar() -> None:
    line = "2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998 generation 0"
    cand = IceCandidate.parse(line)
    assert (cand.foundation, cand.priority, cand.type, cand.related_address, cand.related_port) == \
        ("2", 1694498815, "srflx", "10.0.1.1", 8998)
    assert str(cand) == line
    tcp = IceCandidate.parse("3 1 TCP 1518280447 2001:db8::5 9 typ host tcptype active")
    assert tcp.extensions == (("tcptype", "active"),) and not tcp.is_udp
    assert host_candidate_priority(1) == 2130706431 and host_candidate_priority(2) == 2130706430
    for bad in ("1 1 UDP 1 192.0.2.1 5000", "1 0 UDP 1 192.0.2.1 5000 typ host", "1 1 UDP 99999999999 a 1 typ host",
                "1 1 UDP 1 192.0.2.1 5000 typ host raddr", "1 1 UDP 1 192.0.2.1 5000 typ host generation",
                "f@o 1 UDP 1 192.0.2.1 5000 typ host", "1 1 UDP 1 bad/addr 5000 typ host"):
        with pytest.raises(SdpError):
            IceCandidate.parse(bad)


def test_extmap_and_audio_level_vad() -> None:
    webrtc = fixture("webrtc_sdes")
    (level,) = webrtc.extmaps_of(webrtc.media[0])
    assert level == ExtMap(1, AUDIO_LEVEL_URI, Direction.SENDRECV, "vad=on") and level.vad is True
    assert ExtMap.parse("3 urn:ietf:params:rtp-hdrext:ssrc-audio-level vad=off").vad is False
    assert ExtMap.parse("3 urn:ietf:params:rtp-hdrext:ssrc-audio-level").vad is None
    assert str(ExtMap.parse("4096/recvonly urn:x a b")) == "4096/recvonly urn:x a b"
    for bad in ("0 urn:x", "15 urn:x", "300 urn:x", "1/both urn:x", "1"):
        with pytest.raises(SdpError):
            ExtMap.parse(bad)


def test_ssrc_mid_setup_fingerprint() -> None:
    chrome = fixture("webrtc_chrome_dtls")
    media = chrome.media[0]
    assert [s.attribute for s in media.ssrcs] == ["cname", "msid"]
    assert media.ssrcs[0] == SsrcAttribute(3570614608, "cname", "4TOk42mSjXCkVIa6")
    assert media.mid == "0" and media.setup == "actpass"
    (fp,) = media.fingerprints
    assert fp.hash_function == "sha-256" and fp.fingerprint.count(":") == 31
    baresip = fixture("baresip_dtls_srtp")  # session-level setup/fingerprint
    assert baresip.setup_of(baresip.media[0]) == "actpass"
    assert baresip.fingerprints_of(baresip.media[0])[0].hash_function == "sha-256"
    assert str(Fingerprint.parse("SHA-1 ab:cd")) == "sha-1 AB:CD"
