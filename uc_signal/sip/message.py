"""SIP requests and responses: parse, typed access, build, serialize (RFC 3261 7, 8.2.6).

Parsing is two-speed. `parse_message()` does one pass over the header block in C
(csrc/sip_scan.c through uc_signal._sipscan): it checks the start line, unfolds
continuation lines, splits every field into name and value, and applies the Content-Length
rules; nothing else. Typed values (`msg.via`, `msg.cseq`, ...) are
parsed on first access and cached. `validate()` parses every header this package knows,
the Request-URI and the CSeq method: what a server runs before acting on a request.

`bytes(msg)` writes the start line, each field as `Name: value` in order and the body; it
never adds or rewrites fields. So serialize(parse(x)) is a fixed point: a parse of it equals
the first parse, and serialising again gives the same bytes.
"""

from __future__ import annotations

from typing import Any

from . import fields as _fields  # registers the typed parsers  # noqa: F401
from .address import Contact, NameAddr
from .auth_headers import Challenge, Credentials
from .fields import CSeq, ContentType, Event, Replaces, SubscriptionState, parse_content_length
from .. import _sipscan
from .headers import Headers
from .parse_error import ParseError
from .uri import SipUri, Uri
from .via import Via

SIP_VERSION = "SIP/2.0"

# RFC 3261 21 reason phrases, for responses built without one.
REASON_PHRASES = {
    100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued",
    183: "Session Progress", 199: "Early Dialog Terminated", 200: "OK", 202: "Accepted",
    204: "No Notification", 300: "Multiple Choices", 301: "Moved Permanently",
    302: "Moved Temporarily", 305: "Use Proxy", 380: "Alternative Service", 400: "Bad Request",
    401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 406: "Not Acceptable", 407: "Proxy Authentication Required",
    408: "Request Timeout", 410: "Gone", 412: "Conditional Request Failed",
    413: "Request Entity Too Large", 414: "Request-URI Too Long", 415: "Unsupported Media Type",
    416: "Unsupported URI Scheme", 420: "Bad Extension", 421: "Extension Required",
    423: "Interval Too Brief", 480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist", 482: "Loop Detected", 483: "Too Many Hops",
    484: "Address Incomplete", 485: "Ambiguous", 486: "Busy Here", 487: "Request Terminated",
    488: "Not Acceptable Here", 489: "Bad Event", 491: "Request Pending", 493: "Undecipherable",
    500: "Server Internal Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Server Time-out", 505: "Version Not Supported",
    513: "Message Too Large", 600: "Busy Everywhere", 603: "Decline",
    604: "Does Not Exist Anywhere", 606: "Not Acceptable",
}

# A request cannot be processed without these (RFC 3261 8.1.1; RFC 4475 3.3.1).
REQUIRED_HEADERS = ("to", "from", "call-id", "cseq", "via")
# Headers that may appear at most once (RFC 3261 7.3.1; RFC 4475 3.3.8, 3.3.9).
SINGLE_HEADERS = ("to", "from", "call-id", "cseq", "max-forwards", "content-length", "content-type", "expires")
# (_sipscan.required_fields_error checks both, in this order.)
_sipscan.configure_addresses(NameAddr, Contact)


class Message:
    """What requests and responses share: version, headers, body and typed accessors."""

    __slots__ = ("headers", "body", "version")

    def __init__(self, headers: Headers | list[tuple[str, object]] | None, body: bytes,
                 version: str) -> None:
        self.headers = headers if isinstance(headers, Headers) else Headers(headers or ())
        self.body = body
        self.version = version

    # Typed access. Each raises ParseError (status hint 400) if the header is malformed.
    def header(self, name: str) -> Any:
        """The typed value of a header registered in fields.TYPED_PARSERS."""
        try:
            return self.headers.typed(name)
        except ParseError as exc:
            raise self._annotate(exc)

    # The accessors below inline header() (one call level less).

    @property
    def via(self) -> list[Via]:
        try:
            return self.headers.typed("via")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def top_via(self) -> Via | None:
        try:
            vias = self.headers.typed("via")
        except ParseError as exc:
            raise self._annotate(exc)
        return vias[0] if vias else None

    @property
    def from_(self) -> NameAddr | None:
        try:
            return self.headers.typed("from")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def to(self) -> NameAddr | None:
        try:
            return self.headers.typed("to")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def call_id(self) -> str | None:
        try:
            return self.headers.typed("call-id")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def cseq(self) -> CSeq | None:
        try:
            return self.headers.typed("cseq")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def contact(self) -> list[Contact]:
        try:
            return self.headers.typed("contact")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def route(self) -> list[NameAddr]:
        try:
            return self.headers.typed("route")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def record_route(self) -> list[NameAddr]:
        try:
            return self.headers.typed("record-route")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def path(self) -> list[NameAddr]:
        try:
            return self.headers.typed("path")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def max_forwards(self) -> int | None:
        try:
            return self.headers.typed("max-forwards")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def content_length(self) -> int | None:
        try:
            return self.headers.typed("content-length")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def content_type(self) -> ContentType | None:
        try:
            return self.headers.typed("content-type")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def expires(self) -> int | None:
        try:
            return self.headers.typed("expires")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def authorization(self) -> list[Credentials]:
        try:
            return self.headers.typed("authorization")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def proxy_authorization(self) -> list[Credentials]:
        try:
            return self.headers.typed("proxy-authorization")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def www_authenticate(self) -> list[Challenge]:
        try:
            return self.headers.typed("www-authenticate")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def proxy_authenticate(self) -> list[Challenge]:
        try:
            return self.headers.typed("proxy-authenticate")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def event(self) -> Event | None:
        try:
            return self.headers.typed("event")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def subscription_state(self) -> SubscriptionState | None:
        try:
            return self.headers.typed("subscription-state")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def allow_events(self) -> list[str]:
        try:
            return self.headers.typed("allow-events")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def supported(self) -> list[str]:
        try:
            return self.headers.typed("supported")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def require(self) -> list[str]:
        try:
            return self.headers.typed("require")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def proxy_require(self) -> list[str]:
        try:
            return self.headers.typed("proxy-require")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def unsupported(self) -> list[str]:
        try:
            return self.headers.typed("unsupported")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def allow(self) -> list[str]:
        try:
            return self.headers.typed("allow")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def refer_to(self) -> NameAddr | None:
        try:
            return self.headers.typed("refer-to")
        except ParseError as exc:
            raise self._annotate(exc)

    @property
    def replaces(self) -> Replaces | None:
        try:
            return self.headers.typed("replaces")
        except ParseError as exc:
            raise self._annotate(exc)

    def set_body(self, body: bytes, content_type: str | ContentType | None = None) -> None:
        """Set the body and its Content-Length (and Content-Type when given)."""
        self.body = body
        self.headers.set("Content-Length", len(body))
        if content_type is not None:
            self.headers.set("Content-Type", content_type)

    def validate(self) -> Message:
        """Parse every known header, the URIs in the address headers and, for a request,
        the Request-URI and the CSeq method; raise the first ParseError. Returns self."""
        try:
            _sipscan.validate_message(self)  # validate_typed, the Contact '*' and _validate_start
        except ParseError as exc:
            raise self._annotate(exc)
        return self

    def _validate_start(self) -> None:
        """Checks of the start line beyond its syntax (requests override this; the
        scanner's validate_message does Request's itself)."""

    def check_required_headers(self) -> None:
        """Raise ParseError (400) if a mandatory header is missing or a single-valued one is
        repeated with different values (what a server checks before processing)."""
        # One pass in the scanner's module (every message received passes here).
        problem = _sipscan.required_fields_error(self.headers._fields)
        if problem is not None:
            raise self._annotate(ParseError(problem))

    def _annotate(self, exc: ParseError) -> ParseError:
        if exc.headers is None:
            exc.headers = self.headers
            exc.is_request = isinstance(self, Request)
            exc.method = self.method if isinstance(self, Request) else None
        return exc

    def _start_line(self) -> str:
        raise NotImplementedError

    def __bytes__(self) -> bytes:
        data = _sipscan.serialize_message(self)  # a plain Request or Response, in one join
        if data is not None:
            return data
        head = f"{self._start_line()}\r\n{self.headers.serialize()}\r\n"
        return head.encode("utf-8", "surrogateescape") + self.body

    def serialize(self) -> bytes:
        return self.__bytes__()

    def _eq_key(self) -> tuple:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        assert isinstance(other, Message)
        return self._eq_key() == other._eq_key()

    __hash__ = None  # type: ignore[assignment]


class Request(Message):
    """A request: method, Request-URI (typed `uri`, raw `uri_text`), headers, body."""

    __slots__ = ("method", "_uri_text", "_uri")
    _uri: Uri | None

    def __init__(self, method: str, uri: Uri | str,
                 headers: Headers | list[tuple[str, object]] | None = None,
                 body: bytes = b"", version: str = SIP_VERSION) -> None:
        super().__init__(headers, body, version)
        self.method = method
        self.uri = uri

    @property
    def uri(self) -> Uri:
        uri = self._uri
        if uri is None:
            try:
                uri = self._uri = _sipscan.parse_uri(self._uri_text)  # uri.parse_uri
            except ParseError as exc:
                raise self._annotate(exc)
        return uri

    @uri.setter
    def uri(self, value: Uri | str) -> None:
        self._uri_text = value if isinstance(value, str) else str(value)
        self._uri = None if isinstance(value, str) else value

    @property
    def uri_text(self) -> str:
        return self._uri_text

    def _validate_start(self) -> None:
        uri = self.uri
        # RFC 3261 19.1.1 table 1: headers are not allowed in a Request-URI (RFC 4475 3.1.2.11)
        if isinstance(uri, SipUri) and uri.headers:
            raise ParseError("Request-URI carries headers")
        cseq = self.headers.typed("cseq")
        if cseq is not None and cseq.method != self.method:
            raise ParseError(f"CSeq method {cseq.method!r} differs from {self.method!r} (RFC 3261 8.1.1.5)")

    def _start_line(self) -> str:
        return f"{self.method} {self._uri_text} {self.version}"

    def _eq_key(self) -> tuple:
        return (self.method, self._uri_text, self.version, self.headers, self.body)

    def __repr__(self) -> str:
        return f"<Request {self.method} {self._uri_text}>"


class Response(Message):
    """A response: status code, reason phrase, headers, body."""

    __slots__ = ("status", "reason")

    def __init__(self, status: int, reason: str | None = None,
                 headers: Headers | list[tuple[str, object]] | None = None,
                 body: bytes = b"", version: str = SIP_VERSION) -> None:
        super().__init__(headers, body, version)
        if not 100 <= status <= 699:
            raise ValueError(f"status code out of range: {status}")
        self.status = status
        self.reason = REASON_PHRASES.get(status, "") if reason is None else reason

    @property
    def is_provisional(self) -> bool:
        return self.status < 200

    def _start_line(self) -> str:
        return f"{self.version} {self.status} {self.reason}"

    def _eq_key(self) -> tuple:
        return (self.status, self.reason, self.version, self.headers, self.body)

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.reason}>"


_sipscan.configure_messages(Request, Response, Headers, REASON_PHRASES)


def parse_head(head: bytes) -> Request | Response:
    """Start line and header fields (no body): the block before the empty line, without
    its final CRLFCRLF. One pass (csrc/sip_scan.c); header values stay raw until typed
    access."""
    return _build(*_sipscan.scan_head(head))


def parse_message(data: bytes) -> Request | Response:
    """One whole message (a datagram, a file). RFC 3261 18.3: octets beyond Content-Length
    are discarded; fewer octets than it announces are an error. Leading CRLFs are skipped
    (RFC 3261 7.5). Without Content-Length the body is everything after the empty line."""
    msg = _sipscan.parse_datagram(data)  # a message without a complaint, built in one call
    if msg is not None:
        return msg
    start, fields, bad_line, content_length, body = _sipscan.scan_message(data)
    msg = _build(start, fields, bad_line, content_length)
    if content_length == -2:  # not one plain value: the field text decides
        lengths = [value for key, _, value in fields if key == "content-length"]
        if len(set(lengths)) > 1:
            # Conflicting Content-Lengths (RFC 4475 3.3.9): keep every octet;
            # check_required_headers() reports the conflict.
            msg.body = body
            return msg
        try:
            content_length = parse_content_length(lengths[0])
        except ParseError as exc:
            raise msg._annotate(exc)
    if content_length >= 0:
        if content_length > len(body):
            raise msg._annotate(ParseError(
                f"Content-Length {content_length} larger than the {len(body)} octets received"))
        body = body[:content_length]
    msg.body = body
    return msg


def _build(start: tuple, fields: list[tuple[str, str, str]], bad_line: str | None,
           content_length: int) -> Request | Response:
    """A Request or Response from the scanner's output; ParseError (with the headers, so
    a 400 can be answered) if the start line or a header line is malformed."""
    kind, a, b, c = start
    msg: Request | Response
    error: ParseError | None = None
    if kind == 1:
        msg = Request.__new__(Request)
        msg.method, msg._uri_text, msg.version = a, b, c
        msg._uri = None
    elif kind == 2:
        msg = Response.__new__(Response)
        msg.version, msg.status, msg.reason = a, b, c
    else:
        # Still read the header fields: a request with a bad Request-Line gets a 400
        # that needs its Via, From, To, Call-ID and CSeq (RFC 4475 3.1.2.7-3.1.2.10).
        is_request = not a[:4].upper().startswith("SIP/")
        error = ParseError(f"malformed {'request' if is_request else 'status'} line: {a[:200]!r}",
                           is_request=is_request)
        method = a.split(" ", 1)[0]
        error.method = method if is_request and _sipscan.is_token(method) else None
        msg = Request.__new__(Request) if is_request else Response.__new__(Response)
        msg.version = SIP_VERSION
    msg.body = b""
    msg.headers = Headers._from_parsed(fields)
    if error is None and bad_line is not None:
        error = ParseError(f"malformed header line: {bad_line[:200]!r}")
    if error is None and msg.version.upper() != SIP_VERSION:
        error = ParseError(f"unsupported version {msg.version!r}", 505)
    if error is not None:
        if error.headers is None:
            error.headers = msg.headers
            if error.is_request is None:
                error.is_request = isinstance(msg, Request)
                error.method = msg.method if isinstance(msg, Request) else None
        raise error
    return msg


def check_request(request: Request, *, uri_schemes: tuple[str, ...] = ("sip", "sips", "tel"),
                  supported: tuple[str, ...] = (), proxy: bool = False) -> None:
    """What a server checks before processing a request (RFC 3261 8.2.2, 16.3), as a
    ParseError with the status to answer: 400 (bad or missing headers), 416 (Request-URI
    scheme not served, 8.2.2.1), 420 (Require, or Proxy-Require for a proxy, names an
    option not in `supported`, 8.2.2.3 / 16.3 item 6: answer with Unsupported listing
    `unsupported_options()`)."""
    request.validate()
    request.check_required_headers()
    if request.uri.scheme not in uri_schemes:
        raise request._annotate(ParseError(f"Request-URI scheme {request.uri.scheme!r} not served", 416))
    if unsupported_options(request, supported, proxy=proxy):
        raise request._annotate(ParseError("request requires unsupported extensions", 420))


def unsupported_options(request: Request, supported: tuple[str, ...], *, proxy: bool = False) -> list[str]:
    """Option tags in Require (and Proxy-Require when `proxy`) missing from `supported`;
    Require does not apply to CANCEL or ACK (RFC 3261 8.2.2.3)."""
    required = [] if request.method in ("CANCEL", "ACK") else list(request.require)
    if proxy:
        required += request.proxy_require
    known = {option.lower() for option in supported}
    return [option for option in required if option.lower() not in known]


def make_response(request: Request | Headers, status: int, reason: str | None = None, *,
                  to_tag: str | None = None) -> Response:
    """A response to `request` (RFC 3261 8.2.6.2): Via, From, Call-ID, CSeq copied, To
    copied with `to_tag` added when it has none; 100 Trying echoes Timestamp (8.2.6.1);
    Content-Length: 0.
    Accepts a ParseError's headers, to answer a request that failed to parse."""
    headers = request.headers if isinstance(request, Request) else request
    # The To with its tag from the request's parsed To when validate() or a read cached it.
    fields, _ = _sipscan.response_fields(headers._fields, status == 100, to_tag, headers._typed)
    # set_body() updates it; streams require it (RFC 3261 18.3)
    fields.append(("content-length", "Content-Length", "0"))
    response: Response = _sipscan.response_of(status, reason, fields)  # Response(...) without __init__
    # The fields copied are the request's very fields: so are their parsed values (typed
    # values are treated as immutable; a list is copied), which the transaction layer and
    # the metrics read again (the CSeq of every response sent, its Via without a key).
    parsed, typed = headers._typed, response.headers._typed
    for key in _COPIED_TYPED:
        value = parsed.get(key, _NOT_PARSED)
        if value is not _NOT_PARSED:
            typed[key] = list(value) if isinstance(value, list) else value
    return response


# What make_response copies in whole (every field of these headers, _sipscan.response_fields).
_COPIED_TYPED = ("via", "from", "call-id", "cseq")
_NOT_PARSED = object()
