"""The smaller typed headers, and the table that tells Headers.typed() how to parse each one.

CSeq (RFC 3261 20.16), Call-ID (20.8), Max-Forwards (20.22), Content-Length (20.14),
Expires (20.19), Content-Type (20.15), Date (20.17), option-tag lists (Supported, Require,
Proxy-Require, Unsupported: 20.37, 20.32, 20.29, 20.40), Event / Allow-Events /
Subscription-State (RFC 6665 8.2), Replaces (RFC 3891 6.1).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from .. import _sipscan
from .address import Contact, NameAddr
from .auth_headers import Challenge, Credentials, parse_challenges, parse_credentials
from .grammar import TOKEN, Params, format_params, is_token, parse_params, parse_uint, unquote
from .headers import TYPED_PARSERS
from .parse_error import ParseError
from .via import Via

MAX_DELTA_SECONDS = 2**32 - 1
MAX_CONTENT_LENGTH = 2**31 - 1

# word = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" /
#           "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}")
_WORD = r"[A-Za-z0-9\-.!%*_+`'~()<>:\\\"/\[\]?{}]+"
_CALL_ID_RE = re.compile(rf"{_WORD}(?:@{_WORD})?")
_MEDIA_TYPE_RE = re.compile(rf"[ \t]*({TOKEN})[ \t]*/[ \t]*({TOKEN})[ \t]*")
_EVENT_RE = re.compile(rf"[ \t]*({TOKEN})[ \t]*")
# rfc1123-date = wkday "," SP date1 SP time SP "GMT" (RFC 3261 20.17 allows only GMT)
_DATE_RE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" ([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


class CSeq:
    __slots__ = ("seq", "method")

    def __init__(self, seq: int, method: str) -> None:
        self.seq = seq
        self.method = method

    @classmethod
    def parse(cls, text: str) -> CSeq:
        """`1*DIGIT LWS method`, the number below 2**31 (csrc/sip_scan.c)."""
        return _sipscan.parse_cseq(cls, text)

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"

    def __repr__(self) -> str:
        return f"CSeq({self.seq}, {self.method!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CSeq) and (self.seq, self.method) == (other.seq, other.method)

    def __hash__(self) -> int:
        return hash((self.seq, self.method))


class ContentType:
    """media-type: type "/" subtype *(SEMI m-parameter); type and subtype lower-cased."""

    __slots__ = ("type", "subtype", "params")

    def __init__(self, type: str, subtype: str, params: Params | None = None) -> None:
        self.type = type.lower()
        self.subtype = subtype.lower()
        self.params: Params = dict(params) if params else {}

    @classmethod
    def parse(cls, text: str) -> ContentType:
        m = _MEDIA_TYPE_RE.match(text)
        if m is None:
            raise ParseError(f"malformed media type: {text!r}")
        params = parse_params(text, m.end(), "media type parameter") if m.end() < len(text) else {}
        return cls(m.group(1), m.group(2), params)

    @property
    def mime_type(self) -> str:
        return f"{self.type}/{self.subtype}"

    def param(self, name: str) -> str | None:
        """A parameter's value with its quotes removed (e.g. boundary, charset)."""
        value = self.params.get(name.lower())
        return None if value is None else unquote(value)

    def __str__(self) -> str:
        return f"{self.type}/{self.subtype}{format_params(self.params)}"

    def __repr__(self) -> str:
        return f"ContentType({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ContentType) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


class Event:
    """Event (RFC 6665 8.2.1): an event package (with template suffixes) and params (id)."""

    __slots__ = ("package", "params")

    def __init__(self, package: str, params: Params | None = None) -> None:
        self.package = package
        self.params: Params = dict(params) if params else {}

    @classmethod
    def parse(cls, text: str) -> Event:
        m = _EVENT_RE.match(text)
        if m is None:
            raise ParseError(f"malformed Event: {text!r}")
        params = parse_params(text, m.end(), "Event parameter") if m.end() < len(text) else {}
        return cls(m.group(1), params)

    @property
    def id(self) -> str | None:
        return self.params.get("id")

    def __str__(self) -> str:
        return self.package + format_params(self.params)

    def __repr__(self) -> str:
        return f"Event({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Event) and self.package.lower() == other.package.lower()
                and self.params == other.params)

    def __hash__(self) -> int:
        return hash(self.package.lower())


class SubscriptionState:
    """Subscription-State (RFC 6665 8.2.3): active / pending / terminated and params."""

    __slots__ = ("state", "params")

    def __init__(self, state: str, params: Params | None = None) -> None:
        self.state = state.lower()
        self.params: Params = dict(params) if params else {}

    @classmethod
    def parse(cls, text: str) -> SubscriptionState:
        m = _EVENT_RE.match(text)
        if m is None:
            raise ParseError(f"malformed Subscription-State: {text!r}")
        params = parse_params(text, m.end(), "Subscription-State parameter") if m.end() < len(text) else {}
        state = cls(m.group(1), params)
        state.expires, state.retry_after  # validate the scalars now
        return state

    @property
    def expires(self) -> int | None:
        value = self.params.get("expires")
        return None if value is None else parse_uint(value, "Subscription-State expires", MAX_DELTA_SECONDS)

    @property
    def retry_after(self) -> int | None:
        value = self.params.get("retry-after")
        return None if value is None else parse_uint(value, "Subscription-State retry-after", MAX_DELTA_SECONDS)

    @property
    def reason(self) -> str | None:
        return self.params.get("reason")

    def __str__(self) -> str:
        return self.state + format_params(self.params)

    def __repr__(self) -> str:
        return f"SubscriptionState({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SubscriptionState) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.state)


class Replaces:
    """Replaces (RFC 3891 6.1): callid *(SEMI (to-tag / from-tag / early-flag / param))."""

    __slots__ = ("call_id", "params")

    def __init__(self, call_id: str, params: Params | None = None) -> None:
        self.call_id = call_id
        self.params: Params = dict(params) if params else {}

    @classmethod
    def parse(cls, text: str) -> Replaces:
        call_id, semi, rest = text.strip().partition(";")
        call_id = call_id.strip()
        if _CALL_ID_RE.fullmatch(call_id) is None:
            raise ParseError(f"malformed Replaces call-id: {text!r}")
        return cls(call_id, parse_params(semi + rest, 0, "Replaces parameter") if semi else None)

    @property
    def to_tag(self) -> str | None:
        return self.params.get("to-tag")

    @property
    def from_tag(self) -> str | None:
        return self.params.get("from-tag")

    @property
    def early_only(self) -> bool:
        return "early-only" in self.params

    def __str__(self) -> str:
        return self.call_id + format_params(self.params)

    def __repr__(self) -> str:
        return f"Replaces({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Replaces) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.call_id)


def parse_call_id(text: str) -> str:
    if _CALL_ID_RE.fullmatch(text) is None:
        raise ParseError(f"malformed Call-ID: {text!r}")
    return text


def parse_option_tag(text: str) -> str:
    if not is_token(text):
        raise ParseError(f"malformed option tag: {text!r}")
    return text


def parse_max_forwards(text: str) -> int:
    return parse_uint(text, "Max-Forwards", 255)


def parse_content_length(text: str) -> int:
    return parse_uint(text, "Content-Length", MAX_CONTENT_LENGTH)


def parse_delta_seconds(text: str) -> int:
    return parse_uint(text, "delta-seconds", MAX_DELTA_SECONDS)


def parse_date(text: str) -> datetime:
    """rfc1123-date in GMT only (RFC 3261 20.17; RFC 4475 3.1.2.12 rejects other zones)."""
    m = _DATE_RE.fullmatch(text.strip())
    if m is None:
        raise ParseError(f"malformed Date: {text!r}")
    day, month, year, hh, mm, ss = m.group(2, 3, 4, 5, 6, 7)
    try:
        return datetime(int(year), _MONTHS.index(month) + 1, int(day), int(hh), int(mm), int(ss),
                        tzinfo=timezone.utc)
    except ValueError as exc:
        raise ParseError(f"impossible Date: {text!r}") from exc


def format_date(when: datetime) -> str:
    """A Date header value for `when` (RFC 3261 20.17)."""
    when = when.astimezone(timezone.utc)
    return (f"{['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][when.weekday()]}, "
            f"{when.day:02d} {_MONTHS[when.month - 1]} {when.year:04d} "
            f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} GMT")


# How Headers.typed() parses each header: "one" (first field line), "list" (every
# comma-separated element of every line), "lines" (the parser splits a line itself).
TYPED_PARSERS.update({
    "via": (Via.parse, "list"),
    "from": (NameAddr.parse, "one"),
    "to": (NameAddr.parse, "one"),
    "call-id": (parse_call_id, "one"),
    "cseq": (CSeq.parse, "one"),
    "contact": (Contact.parse, "list"),
    "route": (NameAddr.parse, "list"),
    "record-route": (NameAddr.parse, "list"),
    "path": (NameAddr.parse, "list"),
    "service-route": (NameAddr.parse, "list"),
    "refer-to": (NameAddr.parse, "one"),
    "referred-by": (NameAddr.parse, "one"),
    "reply-to": (NameAddr.parse, "one"),
    "p-asserted-identity": (NameAddr.parse, "list"),
    "max-forwards": (parse_max_forwards, "one"),
    "content-length": (parse_content_length, "one"),
    "expires": (parse_delta_seconds, "one"),
    "min-expires": (parse_delta_seconds, "one"),
    "content-type": (ContentType.parse, "one"),
    "date": (parse_date, "one"),
    "event": (Event.parse, "one"),
    "allow-events": (parse_option_tag, "list"),
    "subscription-state": (SubscriptionState.parse, "one"),
    "supported": (parse_option_tag, "list"),
    "require": (parse_option_tag, "list"),
    "proxy-require": (parse_option_tag, "list"),
    "unsupported": (parse_option_tag, "list"),
    "allow": (parse_option_tag, "list"),
    "replaces": (Replaces.parse, "one"),
    "authorization": (parse_credentials, "lines"),
    "proxy-authorization": (parse_credentials, "lines"),
    "www-authenticate": (parse_challenges, "lines"),
    "proxy-authenticate": (parse_challenges, "lines"),
})

# The same parsers run as their C-level twins in the scanner's module (Headers.typed() uses
# a twin while TYPED_PARSERS holds the function it was registered for): the scanners build
# the objects directly; the character checks hand anything but the plain valid form back
# to the function here, which decides and raises.
_FAST_KINDS: dict[str, tuple[str, type | None, int]] = {
    "via": ("via", Via, 0),
    "contact": ("contact", Contact, 0),
    "cseq": ("cseq", CSeq, 0),
    "call-id": ("call-id", None, 0),
    "content-type": ("content-type", ContentType, 0),
    "max-forwards": ("uint", None, 255),
    "content-length": ("uint", None, MAX_CONTENT_LENGTH),
    "expires": ("uint", None, MAX_DELTA_SECONDS),
    "min-expires": ("uint", None, MAX_DELTA_SECONDS),
    "authorization": ("auth", Credentials, 0),
    "proxy-authorization": ("auth", Credentials, 0),
    "www-authenticate": ("auth", Challenge, 0),
    "proxy-authenticate": ("auth", Challenge, 0),
}
for _key in ("from", "to", "route", "record-route", "path", "service-route", "refer-to", "referred-by",
             "reply-to", "p-asserted-identity"):
    _FAST_KINDS[_key] = ("name-addr", NameAddr, 0)
for _key in ("allow-events", "supported", "require", "proxy-require", "unsupported", "allow"):
    _FAST_KINDS[_key] = ("option-tag", None, 0)
for _key, (_kind, _cls, _limit) in _FAST_KINDS.items():
    _sipscan.register_fast(_key, TYPED_PARSERS[_key][0], _kind, _cls, _limit)
