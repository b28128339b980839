"""How the proxy core puts messages on their way: through a transaction layer.

`TransportManager` (uc_signal.transport) is a `Sender` as it is, with its own clock. For
sans-IO use (tests, a virtual clock), `LayerSender` drives a bare `TransactionLayer` at the
time the caller last set.
"""

from __future__ import annotations

from typing import Protocol

from ..sip import Request, Response, TransactionKey, TransactionLayer
from ..transport.peer import Peer


class Sender(Protocol):
    def send_request(self, request: Request, target: Peer) -> TransactionKey | None: ...

    def send_response(self, response: Response, transaction: TransactionKey | None = None,
                      *, stateless: bool = False) -> None: ...

    def send_stateless(self, message: Request | Response, target: Peer) -> None: ...

    def send_encoded(self, data: bytes, method: str, branch: str, target: Peer,
                     reliable: bool) -> TransactionKey | None: ...


class LayerSender:
    """A Sender over a TransactionLayer; `now` is set by whoever drives the clock."""

    def __init__(self, layer: TransactionLayer, now: float = 0.0) -> None:
        self.layer = layer
        self.now = now

    def send_request(self, request: Request, target: Peer) -> TransactionKey | None:
        return self.layer.send_request(request, target, self.now)

    def send_response(self, response: Response, transaction: TransactionKey | None = None,
                      *, stateless: bool = False) -> None:
        self.layer.send_response(response, self.now, transaction, stateless=stateless)

    def send_stateless(self, message: Request | Response, target: Peer) -> None:
        self.layer.send_stateless(message, target)

    def send_encoded(self, data: bytes, method: str, branch: str, target: Peer,
                     reliable: bool) -> TransactionKey | None:
        return self.layer.send_encoded(data, method, branch, target, reliable, self.now)
