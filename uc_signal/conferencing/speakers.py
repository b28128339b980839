"""Active speakers from the engine's talker events, held so the list does not flicker.

The engine reports who is talking on each mixing decision; a speaker stays in the list for
`hold` seconds after the last report (speech has pauses between words), and the list keeps
at most `limit` entries, the most recent talkers first. Time is an argument.
"""

from __future__ import annotations

from collections.abc import Iterable


class ActiveSpeakers:
    def __init__(self, hold: float = 1.5, limit: int = 3) -> None:
        if hold < 0 or limit < 1:
            raise ValueError("hold must be >= 0 and limit >= 1")
        self.hold = hold
        self.limit = limit
        self._last_heard: dict[str, float] = {}
        self.current: tuple[str, ...] = ()

    def update(self, talking: Iterable[str], now: float) -> bool:
        """Record who talks at `now`; True if the list changed."""
        for entity in talking:
            self._last_heard[entity] = now
        return self._refresh(now)

    def forget(self, entity: str, now: float) -> bool:
        """`entity` left or was muted: out of the list at once."""
        self._last_heard.pop(entity, None)
        return self._refresh(now)

    def expire(self, now: float) -> bool:
        return self._refresh(now)

    def next_expiry(self) -> float | None:
        return min((heard + self.hold for heard in self._last_heard.values()), default=None)

    def _refresh(self, now: float) -> bool:
        self._last_heard = {e: t for e, t in self._last_heard.items() if now - t < self.hold or t >= now}
        ranked = sorted(self._last_heard, key=lambda e: (-self._last_heard[e], e))[:self.limit]
        changed = tuple(ranked) != self.current
        self.current = tuple(ranked)
        return changed
