"""What the resource list server needs from presence: the document a watcher may see,
and word of every presentity whose view changed. `uc_signal.presence.PresenceService`
provides both; the RLS codes against this Protocol only, so it never reaches further in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

PresenceObserver = Callable[[str, float], None]   # (presentity_aor, now)


class PresenceSource(Protocol):
    def document_for(self, presentity_aor: str, watcher_aor: str | None, now: float) -> bytes:
        """The PIDF document (RFC 3863) of `presentity_aor` as `watcher_aor` may see it."""
        ...

    def add_observer(self, callback: PresenceObserver) -> None:
        """Call `callback(presentity_aor, now)` whenever what a presentity shows changes."""
        ...


# Built when the application is: the presence service may be made after the RLS (it sits
# later in the chain), so the RLS asks for it at its first use.
PresenceProvider = Callable[[], PresenceSource]
