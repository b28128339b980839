"""The one asyncio adapter of the sans-IO SIP services: transaction events in, with the
wall-clock time read for each, and a single `loop.call_later` handle on the core's next
deadline, moved only when that deadline changes.

The transaction layer runs on the loop's monotonic clock (inside the transport manager);
the services run on wall-clock time (`time.time()`), in which bindings are persisted and
nonces issued, so both survive a restart. `SipServer` (server.py) and ucd's SIP side both
drive their services through this class.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from ..directory import Binding
from ..registrar import LocationService
from ..sip import TransactionEvent
from .assembly import SipServices

log = logging.getLogger(__name__)


class ServicesDriver:
    def __init__(self, services: SipServices, clock: Callable[[], float] = time.time) -> None:
        self.services = services
        self._clock = clock
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
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
        if self._timer is not None:
            self._timer.cancel()
            self._timer = self._timer_at = None

    def poke(self) -> None:
        """Something other than a SIP event changed the services (the admin API set a
        calendar or a relationship): re-read the core's next deadline."""
        self._arm()

    def on_event(self, event: TransactionEvent) -> None:
        self.services.core.handle_event(event, self._clock())
        self._arm()

    def _arm(self) -> None:
        if self._stopped:
            return
        deadline = self.services.core.get_timer()
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = deadline
        if deadline is not None:
            delay = max(0.0, deadline - self._clock())
            self._timer = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        self._timer = self._timer_at = None
        try:
            self.services.core.handle_timer(self._clock())
        except Exception:
            log.exception("SIP services timer failed")
        self._arm()
