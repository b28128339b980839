"""Calls the proxy router sees answered and ended, for the applications that show them
(presence's "In a Call"). The router reports two facts and nothing more: a 2xx to an
INVITE went upstream (RFC 3261 16.7 item 5) and a BYE came through (15.1). Observers must
be quick and must not raise: they run on the router's path.
"""

from __future__ import annotations

from typing import Protocol

from ..sip import Request, Response


class CallObserver(Protocol):
    def call_answered(self, invite: Request, response: Response, now: float) -> None: ...

    def call_ended(self, bye: Request, now: float) -> None: ...


class CallEvents:
    """The fan-out the router calls; empty unless an application subscribed."""

    def __init__(self) -> None:
        self.observers: list[CallObserver] = []

    def subscribe(self, observer: CallObserver) -> None:
        self.observers.append(observer)

    def answered(self, invite: Request, response: Response, now: float) -> None:
        for observer in self.observers:
            observer.call_answered(invite, response, now)

    def ended(self, bye: Request, now: float) -> None:
        for observer in self.observers:
            observer.call_ended(bye, now)
