"""Multipart bodies (RFC 2046 5.1; RFC 5621 for SIP): multipart/mixed, /alternative,
/related, /signed carried in a SIP message.

Parts are bytes with their own header fields (Content-Type, Content-ID,
Content-Disposition...). Part bodies are binary-safe (RFC 4475 3.1.1.11 carries a binary
part); a part's headers use the same raw/typed Headers as a SIP message.
"""

from __future__ import annotations

import re

from .fields import ContentType
from .grammar import quote_if_needed
from .headers import Headers
from .parse_error import ParseError

# RFC 2046 5.1.1: boundary := 0*69<bchars> bcharsnospace
_BOUNDARY_RE = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")
_FOLD_RE = re.compile(rb"[ \t]*\r\n[ \t]+")


class BodyPart:
    """One part: its header fields and its content."""

    __slots__ = ("headers", "body")

    def __init__(self, body: bytes, headers: Headers | list[tuple[str, object]] | None = None) -> None:
        self.headers = headers if isinstance(headers, Headers) else Headers(headers or ())
        self.body = body

    @property
    def content_type(self) -> ContentType | None:
        return self.headers.typed("content-type")

    def __bytes__(self) -> bytes:
        return self.headers.serialize().encode("utf-8", "surrogateescape") + b"\r\n" + self.body

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BodyPart) and (self.headers, self.body) == (other.headers, other.body)

    def __repr__(self) -> str:
        ct = self.headers.get("Content-Type")
        return f"<BodyPart {ct} {len(self.body)} octets>"


def _parse_part(raw: bytes) -> BodyPart:
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        if raw.startswith(b"\r\n"):  # no header fields: the part starts with its empty line
            return BodyPart(raw[2:])
        raise ParseError("multipart part without a header/body separator")
    if not head:
        return BodyPart(body)
    text = _FOLD_RE.sub(b" ", head).decode("utf-8", "surrogateescape")
    fields = []
    for line in text.split("\r\n"):
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise ParseError(f"malformed part header line: {line[:200]!r}")
        fields.append((name.rstrip(" \t"), value.strip(" \t")))
    return BodyPart(body, Headers(fields))


def parse_multipart(body: bytes, content_type: ContentType) -> list[BodyPart]:
    """The parts of a multipart body; the boundary comes from the Content-Type."""
    if content_type.type != "multipart":
        raise ParseError(f"not a multipart type: {content_type.mime_type}", 415)
    boundary = content_type.param("boundary")
    if not boundary or _BOUNDARY_RE.fullmatch(boundary) is None:
        raise ParseError("multipart body without a valid boundary parameter")
    delimiter = b"--" + boundary.encode("ascii")
    # The first delimiter may start the body; every later one follows a CRLF (RFC 2046 5.1.1).
    if body.startswith(delimiter):
        pos = 0
    else:
        pos = body.find(b"\r\n" + delimiter)
        if pos < 0:
            raise ParseError("multipart boundary not found in body")
        pos += 2
    parts: list[BodyPart] = []
    while True:
        pos += len(delimiter)
        if body.startswith(b"--", pos):
            return parts  # close-delimiter; anything after it is the epilogue
        line_end = body.find(b"\r\n", pos)
        if line_end < 0 or body[pos:line_end].strip(b" \t"):
            raise ParseError("malformed multipart delimiter line")
        nxt = body.find(b"\r\n" + delimiter, line_end)
        if nxt < 0:
            raise ParseError("multipart body without a close delimiter")
        parts.append(_parse_part(body[line_end + 2:nxt]))
        pos = nxt + 2


def build_multipart(parts: list[BodyPart], subtype: str = "mixed",
                    boundary: str = "uc-boundary-7f3a9c") -> tuple[bytes, ContentType]:
    """A multipart body and its Content-Type; the boundary must not occur in any part."""
    delimiter = b"--" + boundary.encode("ascii")
    for part in parts:
        if delimiter in part.body:
            raise ValueError("boundary occurs inside a part")
    out = bytearray()
    for part in parts:
        out += delimiter + b"\r\n" + bytes(part) + b"\r\n"
    out += delimiter + b"--\r\n"
    return bytes(out), ContentType("multipart", subtype, {"boundary": quote_if_needed(boundary)})
