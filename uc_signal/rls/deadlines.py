"""Deadlines by key, earliest first: a heap with lazy deletion, so that rescheduling one
of thousands of subscriptions costs O(log n) and `next()` is O(1) amortised (the core
asks for the next deadline after every SIP event)."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class Deadlines(Generic[K]):
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, K]] = []
        self._at: dict[K, float] = {}
        self._order = itertools.count()

    def __len__(self) -> int:
        return len(self._at)

    def set(self, key: K, at: float | None) -> None:
        """Schedule `key` at `at` (replacing its deadline), or cancel it with None."""
        if at is None:
            self._at.pop(key, None)
            return
        if self._at.get(key) == at:
            return
        self._at[key] = at
        heapq.heappush(self._heap, (at, next(self._order), key))

    def next(self) -> float | None:
        while self._heap:
            at, _, key = self._heap[0]
            if self._at.get(key) == at:
                return at
            heapq.heappop(self._heap)   # stale: rescheduled or cancelled since
        return None

    def pop_due(self, now: float) -> list[K]:
        """Every key whose deadline is <= now, earliest first (each is unscheduled)."""
        due: list[K] = []
        while (at := self.next()) is not None and at <= now:
            _, _, key = heapq.heappop(self._heap)
            del self._at[key]
            due.append(key)
        return due
