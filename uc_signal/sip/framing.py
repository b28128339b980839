"""Finding message boundaries: datagrams (UDP) and byte streams (TCP, TLS, WebSocket-like).

Datagrams carry one message each; Content-Length may be absent (RFC 3261 18.3), and
`parse_datagram` is `parse_message` plus RFC 5626 keep-alives.

Streams are h11-style: `receive_data(bytes)` stores, `next_event()` returns one event or
NEED_DATA. On a stream every message must carry Content-Length (RFC 3261 18.3, 20.14):

- a message that is malformed but whose extent is known (its header block ends and holds
  one readable Content-Length) is consumed and reported as MessageRejected; the stream
  stays in step;
- a message that cannot be delimited (no or bad Content-Length, a header block or body
  over the limits) raises FramingError: the connection must be closed. The framer stays
  broken and raises the same error on every later call.

Keep-alives between messages (RFC 5626 3.5.1, 4.4.1): CRLFCRLF is a ping (answer with
CRLF), a lone CRLF is a pong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .message import Request, Response, parse_head, parse_message
from .parse_error import FramingError, ParseError
from .fields import parse_content_length

DEFAULT_MAX_HEAD = 64 * 1024
DEFAULT_MAX_BODY = 4 * 1024 * 1024
_CONTENT_LENGTH_RE = re.compile(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*([0-9]{1,10})[ \t]*\r?$")


@dataclass(frozen=True)
class MessageReceived:
    message: Request | Response


@dataclass(frozen=True)
class MessageRejected:
    """A delimited message that did not parse: `error` carries the status hint and, when
    the header block could be split, the headers to answer it with."""
    error: ParseError
    data: bytes


@dataclass(frozen=True)
class KeepAliveReceived:
    """RFC 5626 keep-alive: `ping` (CRLFCRLF, answer with one CRLF) or a pong (CRLF)."""
    ping: bool


@dataclass(frozen=True)
class ConnectionClosed:
    """The peer closed the stream between messages (receive_data(b""))."""


class _NeedData:
    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA = _NeedData()
StreamEvent = MessageReceived | MessageRejected | KeepAliveReceived | ConnectionClosed


def parse_datagram(data: bytes) -> Request | Response | None:
    """One UDP datagram: a message, or None for a keep-alive (only CR/LF octets)."""
    if not data.strip(b"\r\n"):
        return None
    return parse_message(data)


class StreamFramer:
    """Splits one connection's byte stream into messages."""

    def __init__(self, max_head: int = DEFAULT_MAX_HEAD, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.max_head = max_head
        self.max_body = max_body
        self._buf = bytearray()
        self._pos = 0          # start of the next unread octet
        self._scanned = 0      # where to resume looking for the end of the header block
        self._pending: tuple[Request | Response, int, int] | None = None  # msg, body start, end
        self._closed = False
        self._error: FramingError | None = None

    def receive_data(self, data: bytes) -> None:
        """Store received octets; b"" means the peer closed the connection."""
        if data:
            if self._closed:
                raise RuntimeError("data received after close")
            self._buf += data
        else:
            self._closed = True

    @property
    def buffered(self) -> int:
        return len(self._buf) - self._pos

    def next_event(self) -> StreamEvent | _NeedData:
        if self._error is not None:
            raise self._error
        try:
            event = self._next()
        except FramingError as exc:
            self._error = exc
            raise
        if self._pending is None and self._pos > 65536 and self._pos * 2 > len(self._buf):
            del self._buf[:self._pos]
            self._scanned = max(0, self._scanned - self._pos)
            self._pos = 0
        return event

    def _next(self) -> StreamEvent | _NeedData:
        if self._pending is not None:
            return self._finish_pending()
        buf, pos = self._buf, self._pos
        available = len(buf) - pos
        if available == 0:
            return ConnectionClosed() if self._closed else NEED_DATA
        if buf[pos] == 0x0D:  # CR: a keep-alive, or the start of one (RFC 5626 4.4.1)
            if buf.startswith(b"\r\n\r\n", pos):
                self._pos += 4
                return KeepAliveReceived(ping=True)
            if available < 4 and b"\r\n\r\n".startswith(bytes(buf[pos:])) and not self._closed:
                return NEED_DATA  # a ping still arriving, or a pong: wait for the next octet
            if buf.startswith(b"\r\n", pos):
                self._pos += 2
                return KeepAliveReceived(ping=False)
        end = buf.find(b"\r\n\r\n", max(pos, self._scanned))
        if end < 0:
            if available > self.max_head:
                raise FramingError(f"header block longer than {self.max_head} octets", 413)
            if self._closed:
                raise FramingError("connection closed inside a message header")
            self._scanned = max(pos, len(buf) - 3)
            return NEED_DATA
        if end - pos > self.max_head:
            raise FramingError(f"header block longer than {self.max_head} octets", 413)
        head = bytes(buf[pos:end])
        body_start = end + 4
        try:
            msg = parse_head(head)
        except ParseError as exc:
            return self._skip_malformed(head, body_start, exc)
        length = self._content_length(msg)
        self._pending = (msg, body_start, body_start + length)
        return self._finish_pending()

    def _content_length(self, msg: Request | Response) -> int:
        values = {v.strip() for v in msg.headers.get_all("content-length")}
        if not values:
            raise FramingError("no Content-Length on a stream (RFC 3261 18.3)")
        if len(values) > 1:
            raise FramingError("conflicting Content-Length values on a stream")
        try:
            length = parse_content_length(values.pop())
        except ParseError as exc:
            raise FramingError(f"bad Content-Length on a stream: {exc.reason}") from exc
        if length > self.max_body:
            raise FramingError(f"body of {length} octets over the limit {self.max_body}", 413)
        return length

    def _finish_pending(self) -> StreamEvent | _NeedData:
        assert self._pending is not None
        msg, body_start, body_end = self._pending
        if len(self._buf) < body_end:
            if self._closed:
                raise FramingError("connection closed inside a message body")
            return NEED_DATA
        msg.body = bytes(self._buf[body_start:body_end])
        self._pending = None
        self._pos = self._scanned = body_end
        return MessageReceived(msg)

    def _skip_malformed(self, head: bytes, body_start: int, exc: ParseError) -> StreamEvent | _NeedData:
        lengths = set(_CONTENT_LENGTH_RE.findall(head))
        if len(lengths) != 1:
            raise FramingError(f"malformed message without a usable Content-Length: {exc.reason}",
                               exc.status_hint, is_request=exc.is_request, method=exc.method,
                               headers=exc.headers)
        length = int(lengths.pop())
        if length > self.max_body:
            raise FramingError(f"body of {length} octets over the limit {self.max_body}", 413)
        body_end = body_start + length
        if len(self._buf) < body_end:
            if self._closed:
                raise FramingError("connection closed inside a message body")
            return NEED_DATA  # head re-parsed when the body is complete (rare path)
        data = bytes(self._buf[self._pos:body_end])
        self._pos = self._scanned = body_end
        return MessageRejected(exc, data)
