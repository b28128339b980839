"""The one exception the SIP message layer raises on bad input (h11's ProtocolError shape).

A ParseError says what was wrong, which status a server should answer with (`status_hint`,
RFC 3261 21.4), whether the bad message was a request (a response is never answered, only
dropped, RFC 3261 18.1.2 / RFC 4475 3.1.2.5) and, when the start line and header block
could be split, the raw headers, so a server can copy Via, From, To, Call-ID and CSeq into
its error response (RFC 3261 8.2.6.2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .headers import Headers


class ParseError(ValueError):
    """A SIP message (or one header of it) does not follow the grammar of RFC 3261 25."""

    def __init__(self, reason: str, status_hint: int = 400, *, is_request: bool | None = None,
                 method: str | None = None, headers: Headers | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_hint = status_hint
        self.is_request = is_request
        self.method = method
        self.headers = headers

    @property
    def can_respond(self) -> bool:
        """True when a server may answer: a request whose headers it could read (and no ACK,
        which is never answered, RFC 3261 17.1.1.3)."""
        return bool(self.is_request) and self.headers is not None and self.method != "ACK"

    def __repr__(self) -> str:
        return f"ParseError({self.reason!r}, status_hint={self.status_hint})"


class FramingError(ParseError):
    """A byte stream cannot be split into messages any more (RFC 3261 18.3): the connection
    that carried it must be closed. Only the stream framer raises it."""
