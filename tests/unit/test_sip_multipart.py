"""Multipart bodies (RFC 2046 5.1, RFC 5621) carried in SIP messages."""

from __future__ import annotations

import pytest

from uc_signal.sip import BodyPart, ContentType, ParseError, build_multipart, parse_message, parse_multipart

ALTERNATIVE = (
    b"This is the preamble.\r\n"
    b"--boundary42\r\n"
    b"Content-Type: text/plain\r\n\r\n"
    b"plain version\r\n"
    b"--boundary42\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Disposition: session;\r\n handling=required\r\n\r\n"
    b"v=0\r\n\r\n"
    b"--boundary42\r\n"
    b"\r\n"
    b"no headers: text/plain by default\r\n"
    b"--boundary42--\r\n"
    b"This is the epilogue.\r\n")


def test_alternative_with_preamble_epilogue_folding_and_headerless_part() -> None:
    parts = parse_multipart(ALTERNATIVE, ContentType.parse('multipart/alternative; boundary="boundary42"'))
    assert [p.headers.get("Content-Type") for p in parts] == ["text/plain", "application/sdp", None]
    assert parts[0].body == b"plain version"
    assert parts[1].body == b"v=0\r\n"  # the CRLF before the delimiter belongs to it
    assert parts[1].headers.get("content-disposition") == "session; handling=required"
    assert parts[1].content_type == ContentType("application", "sdp")
    assert parts[2].body == b"no headers: text/plain by default"


def test_binary_parts_round_trip_through_a_message() -> None:
    binary = bytes(range(256)) * 2
    body, ctype = build_multipart([BodyPart(b"hi", [("Content-Type", "text/plain")]),
                                   BodyPart(binary, [("Content-Type", "application/octet-stream"),
                                                     ("Content-ID", "<x@y>")])])
    assert ctype.mime_type == "multipart/mixed" and ctype.param("boundary")
    msg = parse_message(b"MESSAGE sip:a@b SIP/2.0\r\nContent-Type: " + str(ctype).encode()
                        + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    assert msg.content_type is not None
    parts = parse_multipart(msg.body, msg.content_type)
    assert parts[1].body == binary and parts[1].headers.get("Content-ID") == "<x@y>"
    assert parts[0] == BodyPart(b"hi", [("Content-Type", "text/plain")])


@pytest.mark.parametrize("ctype,body", [
    ("multipart/mixed", b"--x\r\n\r\na\r\n--x--"),                     # no boundary parameter
    ("multipart/mixed;boundary=x", b"no delimiter at all"),
    ("multipart/mixed;boundary=x", b"--x\r\n\r\nunterminated"),        # no close delimiter
    ("multipart/mixed;boundary=x", b"--xjunk\r\n\r\na\r\n--x--"),      # junk on the delimiter line
    ("multipart/mixed;boundary=x", b"--x\r\nNo-Colon\r\n\r\na\r\n--x--"),
    ("text/plain", b"--x--"),
])
def test_malformed_multipart(ctype: str, body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_multipart(body, ContentType.parse(ctype))


def test_boundary_inside_a_part_is_refused_when_building() -> None:
    with pytest.raises(ValueError):
        build_multipart([BodyPart(b"--b")], boundary="b")
