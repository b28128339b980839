"""SDP session descriptions (RFC 8866, which obsoletes RFC 4566): parse and serialize.

    desc = SessionDescription.parse(text_or_bytes)      # SdpError("line 7: ...") if malformed
    str(desc) / bytes(desc)                               # canonical text, CRLF line ends
    audio = desc.media[0]                                 # MediaDescription
    audio.rtpmaps, audio.fmtp(111), audio.ptime, audio.crypto, audio.candidates, ...
    desc.direction_of(audio), desc.connection_of(audio), desc.ice_credentials_of(audio)

Everything is a frozen dataclass. Attributes are kept as `Attribute(name, value)` in the
order they came, known or not, so `str(parse(x))` is a fixed point and equals `x` for
canonical input (CRLF, single spaces, lines in RFC 8866 section 5's order). A known
attribute's typed value (`uc_media.sdp_attributes`, `uc_media.sdp_ice`, `uc_media.sdes`)
is parsed when the Attribute is made, so a malformed one fails with its line number
instead of half-building a description; a section's typed views are collected from those
values once, on first use.

Tolerated on input, normalised on output: LF-only line ends, a missing final line end,
trailing blank lines, runs of spaces between fields, session- or media-level lines out of
RFC order (except v, o, s first). Refused: anything else RFC 8866 calls invalid, unknown
line types (section 5: a parser "MUST completely ignore" such a description, so we refuse
it whole), text that is not UTF-8, NUL/CR inside a line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import TypeVar

from uc_media.sdes import CryptoAttribute
from uc_media.sdp_attributes import (
    DIRECTION_NAMES,
    TOKEN,
    Direction,
    ExtMap,
    Fingerprint,
    FormatParameters,
    RtcpAddress,
    RtpMap,
    SectionError,
    SsrcAttribute,
    check_attribute,
    check_section,
    parse_int,
    parse_ptime,
)
from uc_media.sdp_errors import SdpError
from uc_media.sdp_fields import Bandwidth, Connection, Origin, Timing, check_text, is_typed_times
from uc_media.sdp_ice import IceCandidate

# RFC 3551 table 4: audio payload types with a static meaning (no rtpmap needed).
STATIC_PAYLOAD_TYPES: dict[int, RtpMap] = {
    pt: RtpMap(pt, name, rate, channels)
    for pt, name, rate, channels in [
        (0, "PCMU", 8000, 1), (3, "GSM", 8000, 1), (4, "G723", 8000, 1), (5, "DVI4", 8000, 1),
        (6, "DVI4", 16000, 1), (7, "LPC", 8000, 1), (8, "PCMA", 8000, 1), (9, "G722", 8000, 1),
        (10, "L16", 44100, 2), (11, "L16", 44100, 1), (12, "QCELP", 8000, 1), (13, "CN", 8000, 1),
        (14, "MPA", 90000, None), (15, "G728", 8000, 1), (16, "DVI4", 11025, 1),
        (17, "DVI4", 22050, 1), (18, "G729", 8000, 1),
    ]
}

_T = TypeVar("_T")
_WS = re.compile(r"[ \t]+")


@dataclass(frozen=True, slots=True)
class Attribute:
    """`a=<name>` (a property attribute, value None) or `a=<name>:<value>`; the value is
    kept verbatim so unknown attributes round-trip. A known attribute's value is checked
    against its grammar (uc_media.sdp_attributes) when the Attribute is made."""

    name: str
    value: str | None = None
    # The typed value of a known attribute (RtpMap, ExtMap, CryptoAttribute...), parsed
    # once here; None for flags and unknown attributes.
    parsed: object = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not TOKEN.match(self.name):
            raise SdpError(f"attribute name {self.name!r} is not a token")
        value = self.value
        if value is not None and ("\r" in value or "\n" in value or "\x00" in value):
            raise SdpError(f"a={self.name} value contains NUL, CR or LF")
        object.__setattr__(self, "parsed", check_attribute(self.name, self.value))

    @classmethod
    def parse(cls, text: str) -> Attribute:
        name, sep, value = text.partition(":")
        return cls(name, value if sep else None)

    def __str__(self) -> str:
        return self.name if self.value is None else f"{self.name}:{self.value}"


class _AttributeAccess:
    """Generic `a=` lookups, the same for a media section and for the session level."""

    attributes: tuple[Attribute, ...]

    def values(self, name: str) -> list[str | None]:
        """Values of every `a=<name>`, in order."""
        return [a.value for a in self.attributes if a.name == name]

    def first(self, name: str) -> str | None:
        for a in self.attributes:
            if a.name == name:
                return a.value
        return None

    def has(self, name: str) -> bool:
        return any(a.name == name for a in self.attributes)


def _parsed(attributes: tuple[Attribute, ...], kind: type[_T]) -> tuple[_T, ...]:
    """The typed values of the attributes that parsed to `kind`, in order."""
    return tuple(a.parsed for a in attributes if isinstance(a.parsed, kind))


def _direction(attributes: tuple[Attribute, ...]) -> Direction | None:
    for a in attributes:
        if a.name in DIRECTION_NAMES:
            return Direction(a.name)
    return None


def is_rtp_profile(proto: str) -> bool:
    """RTP/AVP, RTP/SAVP, RTP/AVPF, RTP/SAVPF, UDP/TLS/RTP/SAVPF...: formats are payload types."""
    return proto.startswith("RTP/") or "/RTP/" in proto


@dataclass(frozen=True)
class MediaDescription(_AttributeAccess):
    """One `m=<media> <port>[/<count>] <proto> <fmt> ...` section and its i/c/b/k/a lines.
    Typed views are computed from the attribute text once, on first use."""

    media: str
    port: int
    proto: str
    formats: tuple[str, ...]
    port_count: int | None = None
    title: str | None = None
    connections: tuple[Connection, ...] = ()
    bandwidths: tuple[Bandwidth, ...] = ()
    key: str | None = None
    attributes: tuple[Attribute, ...] = ()

    def __post_init__(self) -> None:
        if not TOKEN.match(self.media):
            raise SdpError(f"media type {self.media!r} is not a token")
        if not 0 <= self.port <= 65535:
            raise SdpError(f"media port {self.port} outside 0..65535")
        if self.port_count is not None and self.port_count < 1:
            raise SdpError("media port count must be at least 1")
        if not all(TOKEN.match(p) for p in self.proto.split("/")):
            raise SdpError(f"media proto {self.proto!r} is not tokens joined by '/'")
        if not self.formats:
            raise SdpError("m= line lists no formats")
        if is_rtp_profile(self.proto):
            if not all(f.isascii() and f.isdigit() and len(f) <= 3 and int(f) <= 127 for f in self.formats):
                for fmt in self.formats:
                    parse_int(fmt, "payload type", 0, 127)  # raises, naming the bad one
        elif not all(TOKEN.match(f) for f in self.formats):
            raise SdpError(f"media formats {' '.join(self.formats)!r} are not all tokens")
        if self.title is not None:
            check_text(self.title, "i=")
        if self.key is not None:
            check_text(self.key, "k=")
        check_section([(a.name, a.parsed) for a in self.attributes])

    def m_line(self) -> str:
        port = f"{self.port}/{self.port_count}" if self.port_count is not None else str(self.port)
        return f"{self.media} {port} {self.proto} {' '.join(self.formats)}"

    def lines(self) -> list[str]:
        out = [f"m={self.m_line()}"]
        if self.title is not None:
            out.append(f"i={self.title}")
        out += [f"c={c}" for c in self.connections]
        out += [f"b={b}" for b in self.bandwidths]
        if self.key is not None:
            out.append(f"k={self.key}")
        out += [f"a={a}" for a in self.attributes]
        return out

    # ---- typed views --------------------------------------------------------------
    @property
    def rejected(self) -> bool:
        """Port 0 marks a stream the answerer rejected or the offerer disabled (RFC 3264 6)."""
        return self.port == 0

    @cached_property
    def payload_types(self) -> tuple[int, ...]:
        if not is_rtp_profile(self.proto):
            return ()
        return tuple(int(f) for f in self.formats)

    @cached_property
    def rtpmaps(self) -> Mapping[int, RtpMap]:
        return MappingProxyType({m.payload_type: m for m in _parsed(self.attributes, RtpMap)})

    def codec(self, payload_type: int) -> RtpMap | None:
        """The rtpmap of a payload type, or its RFC 3551 static meaning."""
        return self.rtpmaps.get(payload_type) or STATIC_PAYLOAD_TYPES.get(payload_type)

    def fmtp(self, fmt: int | str) -> FormatParameters | None:
        return self._fmtps.get(str(fmt))

    @cached_property
    def _fmtps(self) -> dict[str, FormatParameters]:
        return {p.format: p for p in _parsed(self.attributes, FormatParameters)}

    @property
    def ptime(self) -> int | None:
        value = self.first("ptime")
        return parse_ptime(value) if value is not None else None

    @property
    def maxptime(self) -> int | None:
        value = self.first("maxptime")
        return parse_ptime(value, "maxptime") if value is not None else None

    @property
    def direction(self) -> Direction | None:
        """This section's own direction attribute (see SessionDescription.direction_of)."""
        return _direction(self.attributes)

    @property
    def rtcp_mux(self) -> bool:
        return self.has("rtcp-mux")

    @property
    def rtcp(self) -> RtcpAddress | None:
        value = self.first("rtcp")
        return RtcpAddress.parse(value) if value is not None else None

    @cached_property
    def crypto(self) -> tuple[CryptoAttribute, ...]:
        """The `a=crypto` lines whose suite uc_media implements, in offer order."""
        return _parsed(self.attributes, CryptoAttribute)

    @cached_property
    def crypto_suites(self) -> tuple[str, ...]:
        """The suite named by every `a=crypto` line, supported or not."""
        return tuple((v or "").split()[1] for v in self.values("crypto"))

    @cached_property
    def candidates(self) -> tuple[IceCandidate, ...]:
        return _parsed(self.attributes, IceCandidate)

    @property
    def end_of_candidates(self) -> bool:
        return self.has("end-of-candidates")

    @cached_property
    def extmaps(self) -> tuple[ExtMap, ...]:
        return _parsed(self.attributes, ExtMap)

    @cached_property
    def ssrcs(self) -> tuple[SsrcAttribute, ...]:
        return _parsed(self.attributes, SsrcAttribute)

    @property
    def mid(self) -> str | None:
        return self.first("mid")

    @property
    def setup(self) -> str | None:
        return self.first("setup")

    @cached_property
    def fingerprints(self) -> tuple[Fingerprint, ...]:
        return _parsed(self.attributes, Fingerprint)


@dataclass(frozen=True)
class SessionDescription(_AttributeAccess):
    """A whole SDP body. `version` is always 0 (RFC 8866 5.1)."""

    origin: Origin
    session_name: str = "-"
    information: str | None = None
    uri: str | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    connection: Connection | None = None
    bandwidths: tuple[Bandwidth, ...] = ()
    timings: tuple[Timing, ...] = (Timing(),)
    time_zones: str | None = None
    key: str | None = None
    attributes: tuple[Attribute, ...] = ()
    media: tuple[MediaDescription, ...] = field(default=())

    def __post_init__(self) -> None:
        check_text(self.session_name, "s=")
        for what, text in (("i=", self.information), ("u=", self.uri), ("k=", self.key)):
            if text is not None:
                check_text(text, what)
        for text in (*self.emails, *self.phones):
            check_text(text, "e=/p=")
        if self.time_zones is not None and not is_typed_times(self.time_zones):
            raise SdpError(f"z= {self.time_zones!r} is not '<adjustment time> <offset> ...'")
        if not self.timings:
            raise SdpError("a session description needs at least one t= line")
        check_section([(a.name, a.parsed) for a in self.attributes])
        # RFC 8866 5.7: c= at session level or in every media section. A disabled stream
        # (port 0) carries no media, so one without c= is tolerated.
        if self.connection is None:
            for index, m in enumerate(self.media):
                if not m.connections and not m.rejected:
                    raise SdpError(f"media section {index + 1} ({m.media}) has no c= line and the session has none")

    @classmethod
    def parse(cls, data: str | bytes) -> SessionDescription:
        """Parse SDP text (or UTF-8 bytes); SdpError names the first bad line."""
        return parse_sdp(data)

    def lines(self) -> list[str]:
        out = ["v=0", f"o={self.origin}", f"s={self.session_name}"]
        if self.information is not None:
            out.append(f"i={self.information}")
        if self.uri is not None:
            out.append(f"u={self.uri}")
        out += [f"e={e}" for e in self.emails]
        out += [f"p={p}" for p in self.phones]
        if self.connection is not None:
            out.append(f"c={self.connection}")
        out += [f"b={b}" for b in self.bandwidths]
        for timing in self.timings:
            out.append(f"t={timing}")
            out += [f"r={r}" for r in timing.repeats]
        if self.time_zones is not None:
            out.append(f"z={self.time_zones}")
        if self.key is not None:
            out.append(f"k={self.key}")
        out += [f"a={a}" for a in self.attributes]
        for m in self.media:
            out += m.lines()
        return out

    def __str__(self) -> str:
        return "\r\n".join(self.lines()) + "\r\n"

    def __bytes__(self) -> bytes:
        return str(self).encode("utf-8")

    # ---- session-level fallbacks ----------------------------------------------------
    def connection_of(self, media: MediaDescription) -> Connection | None:
        """The media section's first c= line, else the session's."""
        return media.connections[0] if media.connections else self.connection

    def direction_of(self, media: MediaDescription) -> Direction:
        """Media-level direction, else session-level, else sendrecv (RFC 8866 6.7)."""
        return media.direction or _direction(self.attributes) or Direction.SENDRECV

    def ice_credentials_of(self, media: MediaDescription) -> tuple[str, str] | None:
        """(ufrag, pwd) at media level, else session level (RFC 8839 5.4); None if absent."""
        ufrag = media.first("ice-ufrag") or self.first("ice-ufrag")
        pwd = media.first("ice-pwd") or self.first("ice-pwd")
        if ufrag is None or pwd is None:
            return None
        return ufrag, pwd

    def ice_options_of(self, media: MediaDescription) -> tuple[str, ...]:
        value = media.first("ice-options") or self.first("ice-options")
        return tuple(value.split()) if value else ()

    @property
    def ice_lite(self) -> bool:
        return self.has("ice-lite")

    def fingerprints_of(self, media: MediaDescription) -> tuple[Fingerprint, ...]:
        return media.fingerprints or _parsed(self.attributes, Fingerprint)

    def setup_of(self, media: MediaDescription) -> str | None:
        return media.setup or self.first("setup")

    def extmaps_of(self, media: MediaDescription) -> tuple[ExtMap, ...]:
        """Media-level extmaps, then session-level ones (RFC 8285 allows both levels)."""
        return media.extmaps + _parsed(self.attributes, ExtMap)


# ---- parsing ------------------------------------------------------------------------
# Session-level lines that may appear at most once, and the media-level ones.
_SESSION_ONCE = {"i": "information", "u": "uri", "c": "connection", "z": "time_zones", "k": "key"}
_MEDIA_ONCE = {"i": "title", "k": "key"}


def _parse_m_line(value: str) -> tuple[str, int, str, tuple[str, ...], int | None]:
    """`<media> <port>[/<count>] <proto> <fmt> ...`; the fields are checked in full when
    the section's MediaDescription is made."""
    fields = _WS.split(value.strip())
    if len(fields) < 4:
        raise SdpError(f"m= needs '<media> <port> <proto> <fmt> ...', got {value!r}")
    media, port_spec, proto, *formats = fields
    port_text, slash, count_text = port_spec.partition("/")
    port = parse_int(port_text, "media port", 0, 65535)
    count = parse_int(count_text, "media port count", 1, 65535) if slash else None
    return media, port, proto, tuple(formats), count


class _MediaBuilder:
    def __init__(self, m_line: tuple[str, int, str, tuple[str, ...], int | None], line: int) -> None:
        self.m = m_line
        self.line = line
        self.once: dict[str, str] = {}
        self.connections: list[Connection] = []
        self.bandwidths: list[Bandwidth] = []
        self.attributes: list[Attribute] = []
        self.attribute_lines: list[int] = []

    def add(self, kind: str, value: str, line: int) -> None:
        if kind in _MEDIA_ONCE:
            if kind in self.once:
                raise SdpError(f"second {kind}= line in one media section")
            self.once[kind] = check_text(value, f"{kind}=")
        elif kind == "c":
            self.connections.append(Connection.parse(value))
        elif kind == "b":
            self.bandwidths.append(Bandwidth.parse(value))
        elif kind == "a":
            self.attributes.append(Attribute.parse(value))
            self.attribute_lines.append(line)
        else:
            raise SdpError(f"{kind}= is not allowed in a media section")

    def build(self) -> MediaDescription:
        kind, port, proto, formats, count = self.m
        try:
            media = MediaDescription(kind, port, proto, formats, count, self.once.get("i"),
                                     tuple(self.connections), tuple(self.bandwidths), self.once.get("k"),
                                     tuple(self.attributes))
        except SectionError as exc:
            raise exc.at_line(self.attribute_lines[exc.index]) from None
        except SdpError as exc:
            raise exc.at_line(self.line) from None
        return media


def _decode(data: str | bytes) -> str:
    if isinstance(data, str):
        if not data.isascii():
            try:  # a lone surrogate cannot be sent as UTF-8: refuse it now, not at bytes()
                data.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise SdpError("text holds a lone surrogate (not UTF-8)", data[: exc.start].count("\n") + 1) from None
        return data
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SdpError("text is not UTF-8", line) from None


def parse_sdp(data: str | bytes) -> SessionDescription:
    """Parse a whole session description; see SessionDescription.parse."""
    lines = _decode(data).split("\n")
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    while lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise SdpError("empty session description", 1)
    once: dict[str, str] = {}
    emails: list[str] = []
    phones: list[str] = []
    bandwidths: list[Bandwidth] = []
    timings: list[Timing] = []
    attributes: list[Attribute] = []
    attribute_lines: list[int] = []
    media: list[_MediaBuilder] = []
    origin: Origin | None = None
    name: str | None = None
    last_line = 0
    for number, line in enumerate(lines, start=1):
        last_line = number
        try:
            if len(line) < 2 or line[1] != "=" or not ("a" <= line[0] <= "z"):
                raise SdpError(f"{line[:20]!r} is not '<type>=<value>'" if line else "empty line")
            if "\r" in line or "\x00" in line:
                raise SdpError(f"{line[0]}= line contains NUL, CR or LF")
            kind, value = line[0], line[2:]
            # v, o and s open every description, in this order (RFC 8866 section 5).
            if number == 1:
                if kind != "v" or value != "0":
                    raise SdpError("a session description starts with v=0")
                continue
            if number == 2:
                if kind != "o":
                    raise SdpError("o= must follow v=")
                origin = Origin.parse(value)
                continue
            if number == 3:
                if kind != "s":
                    raise SdpError("s= must follow o=")
                name = value
                continue
            if kind == "m":
                media.append(_MediaBuilder(_parse_m_line(value), number))
            elif kind in "vos":
                raise SdpError(f"second {kind}= line")
            elif media:
                media[-1].add(kind, value, number)
            elif kind in _SESSION_ONCE:
                if kind in once:
                    raise SdpError(f"second session-level {kind}= line")
                once[kind] = value
                if kind == "c":
                    Connection.parse(value)
            elif kind == "e":
                emails.append(value)
            elif kind == "p":
                phones.append(value)
            elif kind == "b":
                bandwidths.append(Bandwidth.parse(value))
            elif kind == "t":
                timings.append(Timing.parse(value))
            elif kind == "r":
                if not timings:
                    raise SdpError("r= before any t= line")
                last = timings[-1]
                timings[-1] = Timing(last.start, last.stop, (*last.repeats, value))
            elif kind == "a":
                attributes.append(Attribute.parse(value))
                attribute_lines.append(number)
            else:
                raise SdpError(f"unknown line type {kind}= (RFC 8866 section 5: refuse the description)")
        except SdpError as exc:
            raise exc if exc.line is not None else exc.at_line(number) from None
    if origin is None or name is None:
        raise SdpError("a session description needs v=, o= and s= lines", last_line)
    built = [m.build() for m in media]
    if "c" not in once:
        for builder, m in zip(media, built):
            if not m.connections and not m.rejected:
                raise SdpError(f"{m.media} section has no c= line and the session has none", builder.line)
    try:
        return SessionDescription(
            origin, name, once.get("i"), once.get("u"), tuple(emails), tuple(phones),
            Connection.parse(once["c"]) if "c" in once else None, tuple(bandwidths), tuple(timings),
            once.get("z"), once.get("k"), tuple(attributes), tuple(built))
    except SectionError as exc:
        raise exc.at_line(attribute_lines[exc.index]) from None
    except SdpError as exc:
        # The remaining checks span lines (t= presence, c= coverage): point at the end.
        raise exc.at_line(last_line) from None


__all__ = [
    "STATIC_PAYLOAD_TYPES",
    "Attribute",
    "Bandwidth",
    "Connection",
    "MediaDescription",
    "Origin",
    "SdpError",
    "SessionDescription",
    "Timing",
    "is_rtp_profile",
    "parse_sdp",
]
