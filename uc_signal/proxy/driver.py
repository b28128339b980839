"""The one asyncio adapter of the sans-IO SIP services: transaction events in, with the
wall-clock time read for each, and one loop timer (a `DeadlineTimer`) on the core's next
deadline, moved only when that deadline changes.

The transaction layer runs on the loop's monotonic clock (inside the transport manager);
the services run on wall-clock time (`time.time()`), in which bindings are persisted and
nonces issued, so both survive a restart. `SipServer` (server.py) and ucd's SIP side both
drive their services through this class.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from ..deadline_timer import DeadlineTimer
from ..directory import Binding
from ..registrar import LocationService
from ..sip import TransactionEvent
from .assembly import SipServices

log = logging.getLogger(__name__)


class ServicesDriver:
    def __init__(self, services: SipServices, clock: Callable[[], float] = time.time) -> None:
        self.services = services
        self._clock = clock
        # keep_earlier: every handle_timer() of the core and its applications acts only on
        # what is due (all of them run whenever any deadline fires), so a deadline that moved
        # later (a Timer C ended by the answer, per call) need not move the loop timer.
        self._timer = DeadlineTimer(self._fire, clock=clock, keep_earlier=True)
        self._stopped = False

    @property
    def location(self) -> LocationService:
        return self.services.location

    def registrations(self, now: float) -> list[Binding]:
        location = self.services.location
        return [binding for aor in location.aors() for binding in location.lookup(aor, now)]

    def start(self) -> None:
        self._stopped = False
        self._arm()

    def stop(self) -> None:
        self._stopped = True
        self._timer.cancel()

    def poke(self) -> None:
        """Something other than a SIP event changed the services (the admin API set a
        calendar or a relationship): re-read the core's next deadline."""
        self._arm()

    def on_event(self, event: TransactionEvent) -> None:
        core = self.services.core
        if core.handle_event(event, self._clock()) and not self._stopped:
            self._timer.arm(core.get_timer())   # _arm() inline: once or twice per datagram

    def _arm(self) -> None:
        if not self._stopped:
            self._timer.arm(self.services.core.get_timer())

    def _fire(self) -> None:
        try:
            self.services.core.handle_timer(self._clock())
        except Exception:
            log.exception("SIP services timer failed")
        self._arm()
