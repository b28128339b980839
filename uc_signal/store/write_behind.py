"""The writer task behind the store's write-behind queues (the registrar's bindings, the
presence state).

The SIP side queues changes synchronously, keyed so that the newest change per key wins;
a `BatchWriter` wakes on the first change, lets the changes of the next `flush_interval`
join it, and has the queue write them as one batch (one transaction): at most one batch
per interval, as Kamailio's usrloc write-back mode (db_mode 2) writes on a timer. A batch
that fails is put back under the changes queued since (`requeue`) for the next attempt.
`flush()` at shutdown stops the task and writes what is still queued.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BatchWriter:
    """Calls `write_pending` once per batch of changes, from one task."""

    def __init__(self, write_pending: Callable[[], Awaitable[None]], flush_interval: float, name: str) -> None:
        self.write_pending = write_pending
        self.flush_interval = flush_interval
        self.name = name
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    def wake(self) -> None:
        """A change was queued."""
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            await self._wake.wait()
            try:  # gather the changes of the next flush_interval into this batch
                await asyncio.wait_for(self._stop.wait(), self.flush_interval)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            await self.write_pending()

    async def flush(self) -> None:
        """Stop the task and persist every queued change (shutdown)."""
        self._stopping = True
        self._stop.set()
        self._wake.set()
        if self._task is not None:
            await self._task  # finishes the batch it is writing, then ends
            self._task = None
        await self.write_pending()


def requeue(pending: dict[K, V], failed: dict[K, V]) -> None:
    """Put a batch that failed back into the queue; a change queued since is newer and wins."""
    for key, change in failed.items():
        pending.setdefault(key, change)
