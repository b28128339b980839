"""Requests the server's own applications send: presence NOTIFYs, IM delivery, the
conferencing focus's INVITEs and REFERs (a UAC core, RFC 3261 8.1). Sans-IO.

Each request gets our Via for the transport it leaves on and a client transaction; what
comes back is handed to the callback its sender gave: every response, provisional ones
included, and a response made here when none will come: 408 when Timer B or F fires,
503 when the transport fails or the request cannot be sent at all (8.1.3.1, pjsip's
convention), so an application handles one kind of outcome. The core asks `owns(key)`
before giving a response to the proxy router.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..sip import Request, Response, TransactionError, TransactionKey, Via, make_response, parse_message
from ..sip.random_tokens import token_hex
from ..transport.peer import Peer
from .sender import Sender

ResponseCallback = Callable[[Response, float], None]

# The reason phrases of the 503s made here when a request could not be sent or its
# transport failed: what tells them from a 503 the peer sent (`is_transport_failure`).
NOT_SENT = "Service Unavailable (not sent)"
TRANSPORT_FAILED = "Service Unavailable (transport failed)"


@dataclass(eq=False)
class _Pending:
    request: Request | bytes      # bytes: sent with send_encoded (parsed only to answer a failure)
    on_response: ResponseCallback | None

    def failure(self, status: int, reason: str | None = None) -> Response:
        request = self.request
        if isinstance(request, bytes):
            parsed = parse_message(request)
            assert isinstance(parsed, Request)   # we encoded it
            request = parsed
        return make_response(request, status, reason)


class RequestOriginator:
    """Client transactions for the applications, and the answers routed back to them."""

    def __init__(self, sender: Sender, listen: Mapping[str, tuple[str, int]]) -> None:
        self.sender = sender
        self.listen = listen
        self._pending: dict[TransactionKey, _Pending] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def sent_by(self, transport: str) -> tuple[str, int]:
        """Our address on `transport` (the UDP one when we do not listen on it)."""
        return self.listen.get(transport) or self.listen.get("UDP") or next(iter(self.listen.values()))

    def via(self, transport: str) -> Via:
        """A top Via with a fresh branch for a request leaving on `transport` (8.1.1.7)."""
        host, port = self.sent_by(transport)
        host = f"[{host}]" if ":" in host else host        # an IPv6 sent-by is bracketed (25.1)
        return Via(transport, host, port, {"branch": new_branch(), "rport": None})

    def contact(self, transport: str, user: str | None = None) -> str:
        """A Contact URI at this server for dialogs an application holds (a focus, a
        presence agent): where the peer sends its in-dialog requests."""
        host, port = self.sent_by(transport)
        host = f"[{host}]" if ":" in host else host
        userinfo = f"{user}@" if user else ""
        return f"sip:{userinfo}{host}:{port};transport={transport.lower()}"

    def send(self, request: Request, peer: Peer, on_response: ResponseCallback | None, now: float) -> bool:
        """Send `request` to `peer` in a client transaction; False (after the callback got
        its 503) when it could not be sent. A request without a Via gets ours."""
        if request.top_via is None:
            request.headers.prepend("Via", str(self.via(peer.transport)))
        try:
            key = self.sender.send_request(request, peer)
        except (TransactionError, OSError):
            key = None
        if key is None:
            if on_response is not None:
                on_response(make_response(request, 503, NOT_SENT), now)
            return False
        self._pending[key] = _Pending(request, on_response)
        return True

    def send_encoded(self, data: bytes, method: str, branch: str, peer: Peer, on_response: ResponseCallback | None,
                     now: float) -> bool:
        """Send a request encoded by the application (a DialogRequestTemplate's, with our Via
        for `peer.transport` and `branch` in it) in a client transaction, as `send` does."""
        pending = _Pending(data, on_response)
        try:
            key = self.sender.send_encoded(data, method, branch, peer, peer.transport not in ("UDP", "DTLS"))
        except (TransactionError, OSError):
            key = None
        if key is None:
            if on_response is not None:
                on_response(pending.failure(503, NOT_SENT), now)
            return False
        self._pending[key] = pending
        return True

    def owns(self, key: TransactionKey) -> bool:
        return key in self._pending

    def on_response(self, key: TransactionKey, response: Response, now: float) -> None:
        pending = self._pending.get(key) if response.status < 200 else self._pending.pop(key, None)
        if pending is not None and pending.on_response is not None:
            pending.on_response(response, now)

    def on_failed(self, key: TransactionKey, status: int, now: float) -> None:
        """Timer B/F (408) or a transport error (503) for one of our transactions."""
        pending = self._pending.pop(key, None)
        if pending is not None and pending.on_response is not None:
            pending.on_response(pending.failure(status, TRANSPORT_FAILED if status == 503 else None), now)

    def forget(self, key: TransactionKey) -> None:
        """The transaction is over (its final response was passed on already)."""
        self._pending.pop(key, None)


def is_transport_failure(response: Response) -> bool:
    """Whether `response` is the 503 made here because the request never reached the peer
    (no connection, the flow gone, the send failed), not one the peer answered."""
    return response.status == 503 and response.reason in (NOT_SENT, TRANSPORT_FAILED)


def new_branch() -> str:
    """A Via branch for a request we originate: the magic cookie and 64 random bits
    (8.1.1.7), from the buffered kernel random octets."""
    return "z9hG4bK" + token_hex(8)
