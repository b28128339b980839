"""Closing a connection that has been silent too long, without a timer reset per packet.

`touch()` only records the time; the one armed handle, when it fires, either finds the
connection idle for the whole timeout and calls `on_idle`, or re-arms itself at the
moved deadline (the same lazy re-arming aioquic uses for its single timer).
"""

from __future__ import annotations

import asyncio
from typing import Callable


class IdleTimer:
    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float, on_idle: Callable[[], None]) -> None:
        self._loop = loop
        self._timeout = timeout
        self._on_idle = on_idle
        self.last_activity = loop.time()
        self._handle: asyncio.TimerHandle | None = loop.call_at(self.last_activity + timeout, self._fire)

    def touch(self) -> None:
        self.last_activity = self._loop.time()

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fire(self) -> None:
        deadline = self.last_activity + self._timeout
        if self._loop.time() >= deadline:
            self._handle = None
            self._on_idle()
        else:
            self._handle = self._loop.call_at(deadline, self._fire)
