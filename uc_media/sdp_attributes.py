"""Typed values of the SDP attributes an audio leg uses.

Each class parses one attribute's value (the text after `a=name:`) and prints it back with
`str()`. The session description keeps every attribute as text (`Attribute`), so unknown
ones round-trip untouched; these types are views over that text, and `check_attribute`
runs the right one at parse time so a malformed known attribute is an `SdpError` naming
its line, never a surprise later.

    rtpmap        RFC 8866 6.6      a=rtpmap:111 opus/48000/2
    fmtp          RFC 8866 6.15     a=fmtp:111 minptime=10;useinbandfec=1  (Opus: RFC 7587 7;
                                    telephone-event: RFC 4733)
    ptime/maxptime RFC 8866 6.4/6.5 a=ptime:20
    direction     RFC 8866 6.7      a=sendrecv | sendonly | recvonly | inactive
    rtcp-mux      RFC 5761 5.1.1    a=rtcp-mux
    rtcp          RFC 3605          a=rtcp:53020 IN IP4 126.16.64.4
    extmap        RFC 8285          a=extmap:1/recvonly urn:ietf:params:rtp-hdrext:ssrc-audio-level vad=on
    ssrc          RFC 5576 4.1      a=ssrc:3895354936 cname:user@host
    mid           RFC 5888 4        a=mid:0
    setup         RFC 4145 4        a=setup:actpass
    fingerprint   RFC 8122 5        a=fingerprint:sha-256 4A:AD:...
    ice-*         RFC 8839 5        see uc_media.sdp_ice
    crypto        RFC 4568          see uc_media.sdes (CryptoAttribute)
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from uc_media.sdes import CryptoAttribute, SdesError, UnsupportedSuiteError
from uc_media.sdp_errors import SdpError
from uc_media.sdp_ice import IceCandidate, check_ice_attribute

# RFC 8866 section 9: token-char = %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E
TOKEN = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+\Z")
_RTPMAP = re.compile(r"(1[01][0-9]|12[0-7]|[1-9]?[0-9]) +([!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+)/([1-9][0-9]{0,6})"
                     r"(?:/([1-9][0-9]?|1[0-9][0-9]|2[0-4][0-9]|25[0-5]))? *\Z")
_DECIMAL_MS = re.compile(r"([0-9]{1,6})(?:\.([0-9]{1,6}))?\Z")
_WS = re.compile(r"[ \t]+")

# The one RFC 6464 header extension the mixer uses to skip silent participants.
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"


def parse_int(text: str, what: str, low: int, high: int) -> int:
    """A decimal integer in [low, high], or SdpError naming `what`."""
    # isascii() + isdigit() is the regex [0-9]+ without the regex cost (isdigit alone
    # accepts other scripts' digits, which int() would then take).
    if not (text.isascii() and text.isdigit() and len(text) <= 20):
        raise SdpError(f"{what} {text!r} is not a decimal number")
    value = int(text)
    if not low <= value <= high:
        raise SdpError(f"{what} {value} outside {low}..{high}")
    return value


def check_token(text: str, what: str) -> str:
    if not TOKEN.match(text):
        raise SdpError(f"{what} {text!r} is not an SDP token")
    return text


@dataclass(frozen=True, slots=True)
class RtpMap:
    """`a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]`."""

    payload_type: int
    encoding: str
    clock_rate: int
    channels: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.payload_type <= 127:
            raise SdpError(f"payload type {self.payload_type} outside 0..127")
        if "/" in self.encoding:
            raise SdpError(f"encoding name {self.encoding!r} contains '/'")
        check_token(self.encoding, "encoding name")
        if not 1 <= self.clock_rate <= 10_000_000:
            raise SdpError(f"clock rate {self.clock_rate} out of range")
        if self.channels is not None and not 1 <= self.channels <= 255:
            raise SdpError(f"channel count {self.channels} outside 1..255")

    @classmethod
    def parse(cls, value: str) -> RtpMap:
        m = _RTPMAP.match(value)
        if m is not None:  # the usual shape, in one match
            pt, name, rate, channels = m.groups()
            return cls(int(pt), name, int(rate), int(channels) if channels else None)
        pt_text, sep, rest = value.partition(" ")
        if not sep:
            raise SdpError(f"rtpmap {value!r} needs '<payload type> <encoding>/<clock rate>'")
        parts = rest.strip().split("/")
        if len(parts) not in (2, 3):
            raise SdpError(f"rtpmap encoding {rest!r} is not <name>/<rate>[/<channels>]")
        channels = parse_int(parts[2], "channel count", 1, 255) if len(parts) == 3 else None
        return cls(parse_int(pt_text, "payload type", 0, 127), check_token(parts[0], "encoding name"),
                   parse_int(parts[1], "clock rate", 1, 10_000_000), channels)

    def __str__(self) -> str:
        tail = f"/{self.channels}" if self.channels is not None else ""
        return f"{self.payload_type} {self.encoding}/{self.clock_rate}{tail}"


@dataclass(frozen=True, slots=True)
class FormatParameters:
    """`a=fmtp:<format> <parameters>`: `;`-separated `name=value` pairs (a bare item such as
    telephone-event's `0-16` has value None). Names compare case-insensitively (RFC 8866
    6.15 leaves the syntax to each format; every audio format here uses this one)."""

    format: str
    params: tuple[tuple[str, str | None], ...]

    @classmethod
    def parse(cls, value: str) -> FormatParameters:
        fmt, sep, rest = value.partition(" ")
        if not sep or not rest.strip():
            raise SdpError(f"fmtp {value!r} needs '<format> <parameters>'")
        check_token(fmt, "fmtp format")
        params: list[tuple[str, str | None]] = []
        for item in rest.split(";"):
            item = item.strip()
            if not item:
                continue  # a trailing ';' is common (Asterisk, some phones)
            name, eq, val = item.partition("=")
            params.append((name.strip(), val.strip() if eq else None))
        return cls(fmt, tuple(params))

    def get(self, name: str) -> str | None:
        """The value of parameter `name` (case-insensitive), None if absent or bare."""
        folded = name.casefold()
        for key, val in self.params:
            if key.casefold() == folded:
                return val
        return None

    def __str__(self) -> str:
        items = (k if v is None else f"{k}={v}" for k, v in self.params)
        return f"{self.format} {';'.join(items)}"


@dataclass(frozen=True, slots=True)
class OpusParameters:
    """RFC 7587 section 7 fmtp parameters of an Opus payload type. They state what the
    side that sent them prefers to *receive* (maxplaybackrate, stereo, useinbandfec, usedtx,
    cbr, maxaveragebitrate) or what it will send (sprop-*). None means not stated."""

    maxplaybackrate: int | None = None
    sprop_maxcapturerate: int | None = None
    maxptime: int | None = None
    ptime: int | None = None
    minptime: int | None = None
    maxaveragebitrate: int | None = None
    stereo: bool | None = None
    sprop_stereo: bool | None = None
    cbr: bool | None = None
    useinbandfec: bool | None = None
    usedtx: bool | None = None

    _RANGES: ClassVar[dict[str, tuple[int, int]]] = {  # the integer ones: name -> (low, high)
        "maxplaybackrate": (8000, 48000), "sprop-maxcapturerate": (8000, 48000),
        "maxptime": (3, 120), "ptime": (3, 120), "minptime": (3, 120),
        "maxaveragebitrate": (6000, 510000),
    }
    _FLAGS: ClassVar[tuple[str, ...]] = ("stereo", "sprop-stereo", "cbr", "useinbandfec", "usedtx")

    @classmethod
    def from_fmtp(cls, fmtp: FormatParameters) -> OpusParameters:
        values: dict[str, int | bool] = {}
        for key, val in fmtp.params:
            name = key.casefold()
            if name in cls._RANGES:
                low, high = cls._RANGES[name]
                values[name.replace("-", "_")] = parse_int(val or "", f"Opus {name}", low, high)
            elif name in cls._FLAGS:
                if val not in ("0", "1"):
                    raise SdpError(f"Opus {name}={val} is not 0 or 1")
                values[name.replace("-", "_")] = val == "1"
            # Other names are extensions a receiver ignores (RFC 7587 section 7).
        return cls(**values)  # type: ignore[arg-type]

    def to_fmtp(self, payload_type: int) -> FormatParameters:
        params: list[tuple[str, str | None]] = []
        for name in (*self._RANGES, *self._FLAGS):
            val = getattr(self, name.replace("-", "_"))
            if val is not None:
                params.append((name, str(int(val))))
        return FormatParameters(str(payload_type), tuple(params))


def parse_telephone_events(fmtp: FormatParameters) -> frozenset[int]:
    """RFC 4733: the events a telephone-event payload type carries, e.g.
    `0-15` or `0-11,16`; an fmtp line is optional and its absence means 0-15."""
    events: set[int] = set()
    text = ",".join(k if v is None else f"{k}={v}" for k, v in fmtp.params)
    for item in text.split(","):
        low_text, dash, high_text = item.strip().partition("-")
        low = parse_int(low_text, "telephone-event", 0, 255)
        high = parse_int(high_text, "telephone-event", 0, 255) if dash else low
        if high < low:
            raise SdpError(f"telephone-event range {item.strip()!r} runs backwards")
        events.update(range(low, high + 1))
    return frozenset(events)


def format_telephone_events(events: frozenset[int]) -> str:
    """Events as ranges: {0..16} -> '0-16'."""
    runs: list[str] = []
    ordered = sorted(events)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        runs.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(runs)


def parse_ptime(value: str, what: str = "ptime") -> int:
    """`a=ptime` / `a=maxptime` in milliseconds; decimals are allowed (RFC 8866 6.4) and
    rounded to the whole milliseconds audio framing uses."""
    m = _DECIMAL_MS.match(value.strip())
    if not m:
        raise SdpError(f"{what} {value!r} is not a number of milliseconds")
    ms = round(float(value))
    if not 1 <= ms <= 10_000:
        raise SdpError(f"{what} {value} ms outside 1..10000")
    return ms


class Direction(enum.Enum):
    """RFC 8866 6.7 media direction; absent means sendrecv."""

    SENDRECV = "sendrecv"
    SENDONLY = "sendonly"
    RECVONLY = "recvonly"
    INACTIVE = "inactive"

    @property
    def sends(self) -> bool:
        return self in (Direction.SENDRECV, Direction.SENDONLY)

    @property
    def receives(self) -> bool:
        return self in (Direction.SENDRECV, Direction.RECVONLY)

    @classmethod
    def of(cls, sends: bool, receives: bool) -> Direction:
        if sends:
            return cls.SENDRECV if receives else cls.SENDONLY
        return cls.RECVONLY if receives else cls.INACTIVE

    def reversed(self) -> Direction:
        """The same stream seen from the other end: sendonly <-> recvonly."""
        return Direction.of(self.receives, self.sends)


DIRECTION_NAMES = frozenset(d.value for d in Direction)


@dataclass(frozen=True, slots=True)
class RtcpAddress:
    """RFC 3605 `a=rtcp:<port> [<nettype> <addrtype> <address>]`."""

    port: int
    nettype: str | None = None
    addrtype: str | None = None
    address: str | None = None

    @classmethod
    def parse(cls, value: str) -> RtcpAddress:
        fields = _WS.split(value.strip())
        port = parse_int(fields[0], "RTCP port", 0, 65535)
        if len(fields) == 1:
            return cls(port)
        if len(fields) != 4:
            raise SdpError(f"rtcp {value!r} is not '<port> [IN IP4|IP6 <address>]'")
        return cls(port, check_token(fields[1], "nettype"), check_token(fields[2], "addrtype"),
                   check_token(fields[3], "RTCP address"))

    def __str__(self) -> str:
        if self.address is None:
            return str(self.port)
        return f"{self.port} {self.nettype} {self.addrtype} {self.address}"


@dataclass(frozen=True, slots=True)
class ExtMap:
    """RFC 8285: `a=extmap:<id>[/<direction>] <URI> [<extension attributes>]`."""

    id: int
    uri: str
    direction: Direction | None = None
    attributes: str | None = None

    @classmethod
    def parse(cls, value: str) -> ExtMap:
        fields = _WS.split(value.strip(), maxsplit=2)
        if len(fields) < 2:
            raise SdpError(f"extmap {value!r} needs '<id>[/<direction>] <URI>'")
        id_text, slash, dir_text = fields[0].partition("/")
        # 1-14 fit the one-byte header, 16-255 need the two-byte one; 15 is reserved and
        # 4096-4351 are for negotiation only (RFC 8285).
        ext_id = parse_int(id_text, "extmap id", 1, 4351)
        if ext_id == 15 or 256 <= ext_id < 4096:
            raise SdpError(f"extmap id {ext_id} is reserved or out of range")
        direction = None
        if slash:
            if dir_text not in DIRECTION_NAMES:
                raise SdpError(f"extmap direction {dir_text!r} is not sendrecv/sendonly/recvonly/inactive")
            direction = Direction(dir_text)
        return cls(ext_id, fields[1], direction, fields[2] if len(fields) == 3 else None)

    def __str__(self) -> str:
        head = f"{self.id}/{self.direction.value}" if self.direction is not None else str(self.id)
        tail = f" {self.attributes}" if self.attributes is not None else ""
        return f"{head} {self.uri}{tail}"

    @property
    def vad(self) -> bool | None:
        """For the RFC 6464 audio-level extension: `vad=on` (the V bit is set) or `vad=off`;
        None when not stated (then the V bit is meaningless, RFC 6464 section 4)."""
        if self.attributes is None:
            return None
        for item in self.attributes.split():
            if item == "vad=on":
                return True
            if item == "vad=off":
                return False
        return None


@dataclass(frozen=True, slots=True)
class SsrcAttribute:
    """RFC 5576 section 4.1: `a=ssrc:<ssrc-id> <attribute>[:<value>]`."""

    ssrc: int
    attribute: str
    value: str | None = None

    @classmethod
    def parse(cls, text: str) -> SsrcAttribute:
        ssrc_text, sep, rest = text.partition(" ")
        ssrc = parse_int(ssrc_text, "SSRC", 0, 2**32 - 1)
        if not sep or not rest:
            raise SdpError(f"ssrc {text!r} needs '<ssrc-id> <attribute>[:<value>]'")
        name, colon, value = rest.partition(":")
        return cls(ssrc, check_token(name, "ssrc attribute name"), value if colon else None)

    def __str__(self) -> str:
        return f"{self.ssrc} {self.attribute}" + (f":{self.value}" if self.value is not None else "")


_FINGERPRINT = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})+\Z")
SETUP_ROLES = frozenset({"active", "passive", "actpass", "holdconn"})


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """RFC 8122 section 5: `a=fingerprint:<hash function> <hex pairs joined by ':'>` (DTLS
    certificate fingerprint; parsed so a DTLS-SRTP offer can be recognised and refused)."""

    hash_function: str
    fingerprint: str

    @classmethod
    def parse(cls, value: str) -> Fingerprint:
        fields = _WS.split(value.strip())
        if len(fields) != 2:
            raise SdpError(f"fingerprint {value!r} is not '<hash function> <fingerprint>'")
        if not _FINGERPRINT.match(fields[1]):
            raise SdpError(f"fingerprint {fields[1]!r} is not hex pairs separated by ':'")
        return cls(check_token(fields[0], "hash function").lower(), fields[1].upper())

    def __str__(self) -> str:
        return f"{self.hash_function} {self.fingerprint}"


def _flag(name: str) -> Callable[[str | None], object]:
    def check(value: str | None) -> None:
        if value is not None:
            raise SdpError(f"a={name} takes no value")
    return check


def _valued(name: str, parse: Callable[[str], object]) -> Callable[[str | None], object]:
    def check(value: str | None) -> object:
        if value is None:
            raise SdpError(f"a={name} needs a value")
        return parse(value)
    return check


def _parse_crypto(value: str) -> CryptoAttribute | None:
    try:
        return CryptoAttribute.parse(value)
    except UnsupportedSuiteError:
        return None  # a well-formed line with a suite we do not implement: kept, skipped by the answerer
    except SdesError as exc:
        raise SdpError(f"a=crypto: {exc}") from None


def _check_setup(value: str) -> str:
    if value not in SETUP_ROLES:
        raise SdpError(f"setup {value!r} is not active/passive/actpass/holdconn")
    return value


_CHECKS: dict[str, Callable[[str | None], object]] = {
    "rtpmap": _valued("rtpmap", RtpMap.parse),
    "fmtp": _valued("fmtp", FormatParameters.parse),
    "ptime": _valued("ptime", parse_ptime),
    "maxptime": _valued("maxptime", lambda v: parse_ptime(v, "maxptime")),
    "rtcp": _valued("rtcp", RtcpAddress.parse),
    "extmap": _valued("extmap", ExtMap.parse),
    "ssrc": _valued("ssrc", SsrcAttribute.parse),
    "mid": _valued("mid", lambda v: check_token(v, "mid")),
    "setup": _valued("setup", _check_setup),
    "fingerprint": _valued("fingerprint", Fingerprint.parse),
    "crypto": _valued("crypto", _parse_crypto),
    "candidate": _valued("candidate", IceCandidate.parse),
    "rtcp-mux": _flag("rtcp-mux"),
    **{name: _flag(name) for name in DIRECTION_NAMES},
}


def check_attribute(name: str, value: str | None) -> object:
    """Parse the value of an attribute this package understands (RtpMap, FormatParameters,
    ExtMap, IceCandidate, CryptoAttribute, ptime int...; None for flags, unknown
    attributes and unsupported crypto suites), or raise SdpError if it breaks its grammar."""
    check = _CHECKS.get(name)
    if check is not None:
        return check(value)
    check_ice_attribute(name, value)
    return None


# Attributes that mean one thing per section (RFC 8866 6.4/6.5/6.7, RFC 3605, RFC 5888,
# RFC 8839 5.4, RFC 4145): a second copy is contradictory, not a preference list.
_ONCE = {"ptime", "maxptime", "rtcp", "mid", "ice-ufrag", "ice-pwd", "ice-options", "setup"}


class SectionError(SdpError):
    """An SdpError about one attribute of a section: `index` says which, so the parser
    can name its line."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


def check_section(attributes: Sequence[tuple[str, object]]) -> None:
    """Checks across the attributes of one section (or of the session level), each given
    as (name, value parsed by check_attribute) and valid on its own: single-valued
    attributes appear once, at most one direction, one rtpmap per payload type and one
    fmtp per format, and the fmtp of an Opus or telephone-event payload type follows
    RFC 7587 / RFC 4733. Raises SectionError."""
    seen: set[str] = set()
    rtpmaps: dict[int, RtpMap] = {}
    fmtps: dict[str, tuple[FormatParameters, int]] = {}
    for line, (name, parsed) in enumerate(attributes):
        key = "direction" if name in DIRECTION_NAMES else name
        if key in _ONCE or key == "direction":
            if key in seen:
                raise SectionError(f"a second {'direction attribute' if key == 'direction' else 'a=' + name} "
                                   "in one section", line)
            seen.add(key)
        elif isinstance(parsed, RtpMap):
            rtpmap = parsed
            if rtpmap.payload_type in rtpmaps:
                raise SectionError(f"a second rtpmap for payload type {rtpmap.payload_type}", line)
            rtpmaps[rtpmap.payload_type] = rtpmap
        elif isinstance(parsed, FormatParameters):
            fmtp = parsed
            if fmtp.format in fmtps:
                raise SectionError(f"a second fmtp for format {fmtp.format}", line)
            fmtps[fmtp.format] = (fmtp, line)
    for fmt, (fmtp, line) in fmtps.items():
        rtpmap_of = rtpmaps.get(int(fmt)) if fmt.isdigit() and len(fmt) <= 3 else None
        encoding = rtpmap_of.encoding.lower() if rtpmap_of is not None else ""
        try:
            if encoding == "opus":
                OpusParameters.from_fmtp(fmtp)
            elif encoding == "telephone-event":
                parse_telephone_events(fmtp)
        except SdpError as exc:
            raise SectionError(exc.problem, line) from None


__all__ = [
    "AUDIO_LEVEL_URI",
    "Direction",
    "ExtMap",
    "Fingerprint",
    "FormatParameters",
    "OpusParameters",
    "RtcpAddress",
    "RtpMap",
    "SsrcAttribute",
    "check_attribute",
    "check_section",
    "format_telephone_events",
    "parse_telephone_events",
    "parse_ptime",
]
