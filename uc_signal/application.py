"""The application chain: ordered services that may claim a request (pjsip's modules).

Each new request (and each ACK without a transaction) is offered to the applications in
order; the first whose `on_request` returns True owns it and answers through the
context. The proxy router is always the last element: what nobody claims is proxied.
Today's chain is [registrar, proxy]; presence, IM, the conferencing focus and voice
routing are inserted between them, each claiming only what it serves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from .sip import Request, Response, TransactionKey, make_response
from .sip.random_tokens import token_hex
from .transport.peer import Peer


class Responder(Protocol):
    """What sends a response through the server transaction of a request (the core)."""

    def reply(self, context: RequestContext, response: Response) -> None: ...


@dataclass
class RequestContext:
    """One received request as the chain sees it."""

    request: Request
    source: Peer
    transaction: TransactionKey | None   # None for an ACK to a 2xx (no transaction)
    now: float                           # wall-clock seconds
    responder: Responder
    to_tag: str = field(default_factory=lambda: token_hex(6))
    answered: bool = False

    def reply(self, response: Response) -> None:
        self.answered = self.answered or response.status >= 200
        self.responder.reply(self, response)

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
