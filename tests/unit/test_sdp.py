"""RFC 8866 session descriptions: parse, serialize, real-peer fixtures, errors with line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from uc_media import (
    Attribute,
    Connection,
    MediaDescription,
    MediaError,
    Origin,
    SdpError,
    SessionDescription,
    parse_sdp,
)
from uc_media.sdp import Bandwidth, Timing

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sdp"
VALID = sorted(p for p in FIXTURES.glob("*.sdp") if not p.stem.endswith(("_invalid", "_truncated")))
BROKEN = sorted(p for p in FIXTURES.glob("*.sdp") if p.stem.endswith(("_invalid", "_truncated")))

# RFC 8866 section 5's example, with every other line type added in its place
# (b, r, z, k, session-level a, multicast c, a port count).
EVERY_LINE_TYPE = (
    "v=0\r\n"
    "o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\n"
    "s=Call to John Smith\r\n"
    "i=SDP Offer #1\r\n"
    "u=http://www.jdoe.example.com/home.html\r\n"
    "e=Jane Doe <jane@jdoe.example.com>\r\n"
    "p=+1 617 555-6011\r\n"
    "c=IN IP4 233.252.0.1/127/3\r\n"
    "b=CT:256\r\n"
    "t=3724394400 3724398000\r\n"
    "r=7d 1h 0 25h\r\n"
    "t=0 0\r\n"
    "z=2882844526 -1h 2898848070 0\r\n"
    "k=prompt\r\n"
    "a=recvonly\r\n"
    "a=x-unknown:keep me  exactly\r\n"
    "m=audio 49170/2 RTP/AVP 0\r\n"
    "i=the audio\r\n"
    "c=IN IP4 198.51.100.1\r\n"
    "b=AS:64\r\n"
    "b=TIAS:64000\r\n"
    "k=prompt\r\n"
    "a=rtcp-rsize\r\n"
    "m=video 51372 RTP/AVP 99\r\n"
    "c=IN IP6 2001:db8::2\r\n"
    "c=IN IP6 ff15::101/3\r\n"
    "a=rtpmap:99 h263-1998/90000\r\n"
)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_fixture_round_trips_byte_exact(path: Path) -> None:
    data = path.read_bytes()
    desc = SessionDescription.parse(data)
    assert bytes(desc) == data
    assert SessionDescription.parse(str(desc)) == desc


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_fixture_names_its_line(path: Path) -> None:
    data = path.read_bytes()
    with pytest.raises(SdpError) as info:
        SessionDescription.parse(data)
    err = info.value
    assert err.line is not None and str(err).startswith(f"line {err.line}: ")
    bad_line = data.decode().split("\r\n")[err.line - 1]
    if path.stem.endswith("_invalid"):
        assert bad_line.startswith("m=audio 70000") and "70000" in err.problem
    else:
        assert bad_line.startswith("a=rtpmap:") and "rtpmap" in err.problem


def test_every_line_type_parses_into_fields_and_round_trips() -> None:
    desc = parse_sdp(EVERY_LINE_TYPE)
    assert desc.origin == Origin("jdoe", 3724394400, 3724394405, "198.51.100.1")
    assert (desc.session_name, desc.information) == ("Call to John Smith", "SDP Offer #1")
    assert desc.uri == "http://www.jdoe.example.com/home.html"
    assert desc.emails == ("Jane Doe <jane@jdoe.example.com>",) and desc.phones == ("+1 617 555-6011",)
    assert desc.connection == Connection("233.252.0.1", ttl=127, count=3)
    assert desc.bandwidths == (Bandwidth("CT", 256),)
    assert desc.timings == (Timing(3724394400, 3724398000, ("7d 1h 0 25h",)), Timing(0, 0))
    assert desc.time_zones == "2882844526 -1h 2898848070 0" and desc.key == "prompt"
    assert desc.attributes == (Attribute("recvonly"), Attribute("x-unknown", "keep me  exactly"))
    audio, video = desc.media
    assert (audio.media, audio.port, audio.port_count, audio.proto, audio.formats) == ("audio", 49170, 2, "RTP/AVP", ("0",))
    assert audio.title == "the audio" and audio.key == "prompt"
    assert audio.bandwidths == (Bandwidth("AS", 64), Bandwidth("TIAS", 64000))
    assert video.connections == (Connection("2001:db8::2", "IP6"), Connection("ff15::101", "IP6", count=3))
    assert video.rtpmaps[99].encoding == "h263-1998"
    assert str(desc) == EVERY_LINE_TYPE


def test_lf_only_missing_final_newline_and_trailing_blank_lines_are_tolerated() -> None:
    lf = EVERY_LINE_TYPE.replace("\r\n", "\n")
    for text in (lf, lf.rstrip("\n"), lf + "\n\n", EVERY_LINE_TYPE + "\r\n"):
        assert str(parse_sdp(text)) == EVERY_LINE_TYPE


def test_extra_spaces_and_out_of_order_lines_are_normalised() -> None:
    messy = ("v=0\no=-  1  2 IN  IP4 192.0.2.1\ns=-\nt=0 0\nc=IN IP4 192.0.2.1\n"
             "m=audio  5000 RTP/AVP  0 8\na=sendonly\nb=AS:80\n")
    canonical = ("v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
                 "m=audio 5000 RTP/AVP 0 8\r\nb=AS:80\r\na=sendonly\r\n")
    assert str(parse_sdp(messy)) == canonical
    assert str(parse_sdp(canonical)) == canonical


def test_unknown_attributes_keep_their_order_and_text() -> None:
    text = (
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
        "m=audio 5000 RTP/AVP 0\r\na=zzz\r\na=rtpmap:0 PCMU/8000\r\na=aaa: value with : colons\r\n"
        "a=x-empty:\r\na=zzz\r\n"
    )
    media = parse_sdp(text).media[0]
    assert [str(a) for a in media.attributes] == ["zzz", "rtpmap:0 PCMU/8000", "aaa: value with : colons", "x-empty:", "zzz"]
    assert media.attributes[3] == Attribute("x-empty", "")  # 'a=x:' (empty value) differs from 'a=x'
    assert str(parse_sdp(text)) == text


def test_ipv6_origin_and_connection() -> None:
    desc = SessionDescription.parse((FIXTURES / "linphone.sdp").read_bytes())
    assert desc.origin.addrtype == "IP6" and desc.origin.address == "fd00::2"
    assert desc.connection_of(desc.media[0]) == Connection("fd00::2", "IP6")


def test_bytes_and_str_inputs_agree_and_non_utf8_is_refused() -> None:
    text = (FIXTURES / "sipp_uac.sdp").read_text()
    assert parse_sdp(text.encode()) == parse_sdp(text)
    with pytest.raises(SdpError, match="line 3: text is not UTF-8"):
        parse_sdp(b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=\xff\r\n")
    with pytest.raises(SdpError, match="line 3: text holds a lone surrogate"):
        parse_sdp("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=\ud800\r\n")


def test_building_a_description_in_code() -> None:
    media = MediaDescription("audio", 4000, "RTP/AVP", ("0",), attributes=(Attribute("rtpmap", "0 PCMU/8000"),))
    desc = SessionDescription(Origin("-", 5, 6, "2001:db8::1", "IP6"), connection=Connection.for_address("2001:db8::1"),
                              media=(media,))
    assert str(desc) == ("v=0\r\no=- 5 6 IN IP6 2001:db8::1\r\ns=-\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\n"
                         "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
    assert parse_sdp(bytes(desc)) == desc


HEAD = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("", 1, "empty session description"),
        ("v=1\r\n", 1, "starts with v=0"),
        ("o=- 1 1 IN IP4 192.0.2.1\r\n", 1, "starts with v=0"),
        ("v=0\r\ns=-\r\n", 2, "o= must follow v="),
        ("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nt=0 0\r\n", 3, "s= must follow o="),
        ("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n", 2, "needs v=, o= and s="),
        ("v=0\r\no=- x 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n", 2, "session id 'x'"),
        ("v=0\r\no=- 1 1 IN IP4 192.0.2.300\r\ns=-\r\nt=0 0\r\n", 2, "not an IPv4 address"),
        ("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n", 3, "at least one t="),
        (HEAD + "x=unknown\r\n", 6, "unknown line type x="),
        (HEAD + "\r\na=foo\r\n", 6, "empty line"),
        (HEAD + "a foo\r\n", 6, "is not '<type>=<value>'"),
        (HEAD + "c=IN IP4 192.0.2.2\r\n", 6, "second session-level c="),
        (HEAD + "v=0\r\n", 6, "second v="),
        (HEAD + "r=1d\r\n".replace("r=", "a=ok\r\nr=x"), 7, "typed times"),
        (HEAD + "b=AS\r\n", 6, "'<bwtype>:<bandwidth>'"),
        (HEAD + "a=bad name\r\n", 6, "not a token"),
        (HEAD + "m=audio 5000 RTP/AVP\r\n", 6, "m= needs"),
        (HEAD + "m=audio 5000 RTP/AVP 128\r\n", 6, "payload type 128 outside 0..127"),
        (HEAD + "m=audio 5000 RTP/AVP PCMU\r\n", 6, "payload type 'PCMU'"),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\ni=a\r\ni=b\r\n", 8, "second i="),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\nt=0 0\r\n", 7, "t= is not allowed in a media section"),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\nc=IN IP6 2001:db8::zz\r\n", 7, "not an IPv6 address"),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\nc=IN IP6 ff15::1/3/1\r\n", 7, "cannot carry a TTL"),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n", 7, "rtpmap encoding"),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\na=ptime:abc\r\n", 7, "ptime 'abc'"),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\na=sendrecv:x\r\n", 7, "takes no value"),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\na=rtcp-mux:1\r\n", 7, "takes no value"),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\na=rtcp:99999\r\n", 7, "RTCP port 99999"),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\na=extmap:15 urn:x\r\n", 7, "extmap id 15"),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\na=ssrc:1\r\n", 7, "ssrc '1' needs"),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\na=setup:both\r\n", 7, "setup 'both'"),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\na=fingerprint:sha-256 XYZ\r\n", 7, "not hex pairs"),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\na=ice-ufrag:abc\r\n", 7, "ice-ufrag 'abc'"),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\na=ice-pwd:short\r\n", 7, "ice-pwd"),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\na=candidate:1 1 UDP 1 192.0.2.1 5000 host\r\n", 7, "candidate"),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:short\r\n", 7, "a=crypto"),
        (HEAD + "m=audio 5000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=2\r\n", 8,
         "useinbandfec=2"),
        (HEAD + "m=audio 5000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 maxaveragebitrate=1\r\n", 8,
         "maxaveragebitrate 1 outside"),
        (HEAD + "m=audio 5000 RTP/AVP 101\r\na=fmtp:101 9-3\r\na=rtpmap:101 telephone-event/8000\r\n", 7,
         "runs backwards"),
        ("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=sendrecv\r\n", 5,
         "no c= line"),
        ("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n"
         "m=video 5002 RTP/AVP 96\r\n", 7, "video section has no c= line"),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\na=sendrecv\r\na=recvonly\r\n", 8, "second direction attribute"),
        (HEAD + "a=sendonly\r\na=inactive\r\n", 7, "second direction attribute"),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\na=ptime:20\r\na=ptime:30\r\n", 8, "second a=ptime"),
        (HEAD + "m=audio 5000 RTP/AVP 0\r\na=mid:a\r\na=mid:b\r\n", 8, "second a=mid"),
        (HEAD + "m=audio 5000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\na=rtpmap:96 PCMU/8000\r\n", 8,
         "second rtpmap for payload type 96"),
        (HEAD + "m=audio 5000 RTP/AVP 96\r\na=fmtp:96 a=1\r\na=fmtp:96 b=2\r\n", 8, "second fmtp for format 96"),
        (HEAD + "a=tool:x\x00y\r\n", 6, "NUL, CR or LF"),
        (HEAD + "a=tool:x\ry\r\n", 6, "NUL, CR or LF"),
    ],
)
def test_malformed_descriptions_fail_naming_the_line(text: str, line: int, problem: str) -> None:
    with pytest.raises(SdpError) as info:
        parse_sdp(text)
    assert info.value.line == line, str(info.value)
    assert problem in info.value.problem
    assert isinstance(info.value, MediaError) and isinstance(info.value, ValueError)


def test_disabled_stream_needs_no_connection() -> None:
    text = ("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n"
            "m=video 0 RTP/AVP 96\r\n")
    assert parse_sdp(text).media[1].rejected


def test_values_built_in_code_are_checked_too() -> None:
    with pytest.raises(SdpError, match="port 70000"):
        MediaDescription("audio", 70000, "RTP/AVP", ("0",))
    with pytest.raises(SdpError, match="not a token"):
        Attribute("two words")
    with pytest.raises(SdpError, match="NUL, CR or LF"):
        Attribute("tool", "a\r\nm=evil 0 RTP/AVP 0")
    with pytest.raises(SdpError, match="a=crypto"):
        Attribute("crypto", "1 AES_CM_128_HMAC_SHA1_80 inline:short")
    with pytest.raises(SdpError, match="second direction"):
        MediaDescription("audio", 4000, "RTP/AVP", ("0",), attributes=(Attribute("sendonly"), Attribute("recvonly")))
    with pytest.raises(SdpError, match="has no c= line"):
        SessionDescription(Origin("-", 1, 1, "192.0.2.1"), media=(MediaDescription("audio", 4000, "RTP/AVP", ("0",)),))
    with pytest.raises(SdpError) as info:
        Origin("-", 1, 1, "192.0.2.1", "IP4", "IN x")
    assert info.value.line is None and str(info.value) == info.value.problem
