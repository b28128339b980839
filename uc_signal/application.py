"""The application chain: ordered services that may claim a request (pjsip's modules).

Each new request (and each ACK without a transaction) is offered to the applications in
order; the first whose `on_request` returns True owns it and answers through the
context. The proxy router is always the last element: what nobody claims is proxied.
The chain is [registrar, *applications, proxy]; presence, IM, the conferencing focus and
voice routing go between them, each claiming only what it serves. An application is built
from the server's `ApplicationServices` (uc_signal.proxy.services): the location service,
the users, caller authentication, and a UAC core for the requests it sends itself. One with
deadlines of its own (subscription expiry, lobby timeouts) is a `TimedApplication`: the core
asks it for its next deadline and runs it, in wall-clock seconds like everything else.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .directory import User
from .sip import Request, Response, TransactionKey, make_response
from .sip.random_tokens import token_hex
from .transport.peer import Peer


class Responder(Protocol):
    """What sends a response through the server transaction of a request (the core)."""

    def reply(self, context: RequestContext, response: Response, *, stateless: bool = False) -> None: ...


class RequestContext:
    """One received request as the chain sees it."""

    __slots__ = ("request", "source", "transaction", "now", "responder", "_to_tag", "answered", "caller")

    def __init__(self, request: Request, source: Peer, transaction: TransactionKey | None, now: float,
                 responder: Responder, to_tag: str | None = None, answered: bool = False) -> None:
        self.request = request
        self.source = source
        self.transaction = transaction     # None for an ACK to a 2xx (no transaction)
        self.now = now                     # wall-clock seconds
        self.responder = responder
        self._to_tag = to_tag
        self.answered = answered
        # The local user whose credentials the request carried, once caller authentication
        # checked them (uc_signal.proxy.caller_auth); None before, or for anyone else.
        self.caller: User | None = None

    @property
    def to_tag(self) -> str:
        """Our To tag for responses to this request (8.2.6.2), drawn on first use: most
        requests through a proxy (ACK, BYE, a forwarded INVITE) are never answered here."""
        tag = self._to_tag
        if tag is None:
            tag = self._to_tag = token_hex(6)
        return tag

    @to_tag.setter
    def to_tag(self, tag: str) -> None:
        self._to_tag = tag

    def reply(self, response: Response) -> None:
        self.answered = self.answered or response.status >= 200
        self.responder.reply(self, response)

    def reply_statelessly(self, response: Response) -> None:
        """Answer with a final non-2xx response and keep no transaction for the request
        (RFC 3261 8.2.7: a digest challenge). A retransmission of the request comes back
        as a new request and is answered anew; a response to INVITE sent this way carries
        a `stateless_to_tag()` (uc_signal.sip) so the transaction layer absorbs its ACK."""
        self.answered = True
        self.responder.reply(self, response, stateless=True)

    def respond(self, status: int, reason: str | None = None,
                headers: list[tuple[str, str]] | None = None) -> Response:
        """Build, send and return a response with our To tag (8.2.6.2)."""
        response = make_response(self.request, status, reason, to_tag=self.to_tag)
        for name, value in headers or ():
            response.headers.add(name, value)
        self.reply(response)
        return response


class Application(Protocol):
    """A service in the chain. `on_request` returns True when it took the request."""

    name: str

    def on_request(self, context: RequestContext) -> bool: ...


@runtime_checkable
class TimedApplication(Application, Protocol):
    """An application with deadlines: `get_timer()` is the next one (None: none), and
    `handle_timer(now)` runs every one that is due."""

    def get_timer(self) -> float | None: ...

    def handle_timer(self, now: float) -> None: ...
