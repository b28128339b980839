"""One asyncio timer on a moving deadline: the adapter between a sans-IO core's
`get_timer()` and the event loop.

A sans-IO core (the transaction layer, the proxy core with its applications) says when it
next needs `handle_timer()`; after every input its deadline may have moved. Keeping one
loop handle and moving it only when the deadline changes costs a comparison per input
instead of a cancel and a new handle (aioquic's asyncio/protocol.py does the same).

Deadlines are in the clock the core runs on: the loop's monotonic clock by default (the
transaction layer), or any other clock given as `clock` (the services run on wall-clock
time, `time.time()`), converted to a delay when the handle is made. With a `granularity`
the deadline is rounded up to that grid, so the deadlines of many objects that fall
within one grid step end in one wake-up (the transport manager's Timer J and friends).

With `keep_earlier`, a deadline that moves *later* (or goes away) leaves the armed handle
where it is: the callback then runs early, finds nothing due and arms the real deadline.
For a core whose `handle_timer()` only acts on what is due (the transaction layer), that
trades a move per input (a cancel, a new handle, a heap push; under load nearly every
message ends a transaction and moves the earliest deadline) for at most one idle wake-up
per armed deadline.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable


class DeadlineTimer:
    """`arm(deadline)` after each input; `callback` runs once the (rounded) deadline is
    reached, with the timer already disarmed, so it can `arm()` the next one."""

    __slots__ = ("_callback", "_clock", "_granularity", "_keep_earlier", "_loop", "_handle", "_at")

    def __init__(self, callback: Callable[[], None], *, clock: Callable[[], float] | None = None,
                 granularity: float = 0.0, keep_earlier: bool = False,
                 loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._callback = callback
        self._keep_earlier = keep_earlier
        self._clock = clock            # None: the loop's own clock (loop.time())
        self._granularity = granularity
        self._loop = loop              # None: the running loop, whichever runs at arm()
        self._handle: asyncio.TimerHandle | None = None
        self._at: float | None = None

    @property
    def deadline(self) -> float | None:
        """The deadline armed (after rounding), None when disarmed."""
        return self._at

    def arm(self, deadline: float | None) -> None:
        """Fire at `deadline` (None: never). A no-op when it equals the armed one (or, with
        `keep_earlier`, when it is later than the armed one)."""
        if deadline is not None and self._granularity:
            deadline = math.ceil(deadline / self._granularity) * self._granularity
        at = self._at
        if deadline == at or (self._keep_earlier and at is not None and (deadline is None or deadline > at)):
            return
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._at = deadline
        if deadline is None:
            return
        loop = self._loop or asyncio.get_running_loop()
        if self._clock is None:
            self._handle = loop.call_at(deadline, self._fire)
        else:
            self._handle = loop.call_later(max(0.0, deadline - self._clock()), self._fire)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle = self._at = None

    def _fire(self) -> None:
        self._handle = self._at = None
        self._callback()
