"""The proxy core: the transaction user of a server. Sans-IO.

It takes the transaction layer's events with `handle_event(event, now)` (`now` in
wall-clock seconds), offers each new request to the application chain in order, and
sends through a `Sender`. Its own deadlines (the proxy's Timer C and CANCEL guards, the
location service's binding expiries) are read with `get_timer()` and run with
`handle_timer(now)`, with those of the applications that have deadlines.

Responses to requests an application sent (through the `RequestOriginator`) go back to
that application; every other response belongs to the proxy router's branches.

What the core does itself, before the chain: read every header of a request once
(`validate()`: a malformed header is a 400 here, never an exception further up, RFC 4475
section 3.1.2), and CANCEL (9.2: answered 200 when it matches an INVITE we hold, else
481; the branches are cancelled by the router).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ..registrar import LocationService
from ..sip import (AckTimedOut, MalformedMessageReceived, ParseError, RequestReceived, Response,
                   ResponseReceived, TransactionError, TransactionEvent, TransactionKey, TransactionTerminated,
                   TransactionTimedOut, TransportErrorOccurred)
from ..sip.transaction_table import Timer
from ..transport.peer import as_peer
from ..application import Application, RequestContext, TimedApplication
from .errors import REPLIES, ProxyError
from .originator import RequestOriginator
from .router import ProxyRouter
from .sender import Sender

log = logging.getLogger(__name__)


class ProxyCore:
    """Events in, the application chain, responses and forwarded requests out."""

    def __init__(self, sender: Sender, router: ProxyRouter, applications: Sequence[Application],
                 location: LocationService, originator: RequestOriginator) -> None:
        self.sender = sender
        self.router = router
        self.location = location
        self.originator = originator
        # The chain, visible and ordered: applications first, the proxy router last.
        self.chain: tuple[Application, ...] = (*applications, router)
        self._timed = tuple(app for app in self.chain if isinstance(app, TimedApplication))
        self.requests_handled = 0

    # --- events --------------------------------------------------------------------------------

    def handle_event(self, event: TransactionEvent, now: float) -> bool:
        """Take one event. False when the event cannot have brought a deadline earlier (a
        transaction ended and nothing followed from it): the caller may skip re-reading
        `get_timer()`; a deadline that went away only costs a wake-up with nothing due."""
        if isinstance(event, TransactionTerminated):
            self.originator.forget(event.transaction)
            return self.router.forget(event.transaction, now)
        if isinstance(event, RequestReceived):
            self._on_request(event, now)
        elif isinstance(event, ResponseReceived):
            if event.transaction is not None and self.originator.owns(event.transaction):
                self.originator.on_response(event.transaction, event.response, now)
            else:
                self.router.on_response(event.response, event.transaction, now)
        elif isinstance(event, TransactionTimedOut):
            if event.timer in (Timer.B, Timer.F):
                self._client_failed(event.transaction, 408, now)
        elif isinstance(event, TransportErrorOccurred):
            if event.transaction.is_client:
                self._client_failed(event.transaction, 503, now)
        elif isinstance(event, (AckTimedOut, MalformedMessageReceived)):
            pass  # a proxy sends no 2xx of its own; the transport answers malformed input
        return True

    def _client_failed(self, transaction: TransactionKey, status: int, now: float) -> None:
        if self.originator.owns(transaction):
            self.originator.on_failed(transaction, status, now)
        else:
            self.router.on_branch_failed(transaction, status, now)

    def _on_request(self, event: RequestReceived, now: float) -> None:
        request = event.request
        context = RequestContext(request, as_peer(event.source), event.transaction, now, self)
        try:
            request.validate()
        except ParseError as error:
            if request.method != "ACK":
                context.respond(error.status_hint if error.status_hint >= 400 else 400, _reason(error))
            return
        self.requests_handled += 1
        if request.method == "CANCEL":
            self._on_cancel(context, event)
            return
        try:
            for application in self.chain:
                if application.on_request(context):
                    return
        except ParseError as error:  # a header the validation did not reach (URI params...)
            if request.method != "ACK" and not context.answered:
                context.respond(400, _reason(error))

    def _on_cancel(self, context: RequestContext, event: RequestReceived) -> None:
        if event.cancels is None:
            status, reason = REPLIES[ProxyError.NO_TRANSACTION]
            context.respond(status, reason)
            return
        context.respond(200)
        self.router.cancel(event.cancels, context.now, context.request.headers.get("Reason"))

    # --- the Responder of RequestContext ---------------------------------------------------------

    def reply(self, context: RequestContext, response: Response, *, stateless: bool = False) -> None:
        if context.transaction is None:
            return  # an ACK is never answered
        try:
            self.sender.send_response(response, context.transaction, stateless=stateless)
        except TransactionError as error:
            log.debug("response %d not sent: %s", response.status, error)

    # --- timers ----------------------------------------------------------------------------------

    def get_timer(self) -> float | None:
        # Read after every event (ServicesDriver): a plain loop, no lists.
        deadline = self.location.get_timer()
        for app in self._timed:
            t = app.get_timer()
            if t is not None and (deadline is None or t < deadline):
                deadline = t
        return deadline

    def handle_timer(self, now: float) -> None:
        for app in self._timed:
            app.handle_timer(now)
        self.location.expire(now)


def _reason(error: ParseError) -> str:
    """A reason phrase naming what was wrong (no CR/LF can slip into the status line)."""
    text = str(error).replace("\r", " ").replace("\n", " ")
    return ("Bad Request (" + text[:80] + ")") if text else "Bad Request"

