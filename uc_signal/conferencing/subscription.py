"""A conference's event package (RFC 4575) shared by its subscribers.

`ConferenceEvents` keeps the conference's last published state; `publish(snapshot)` works
out what changed once per change, however many subscribers there are (one diff and one
partial document, not one per subscriber: at 1,000 participants a diff is about 1 ms).
Each `ConferenceSubscription` numbers its own documents, since versions are scoped to a
subscription (RFC 4575 4.6): its first NOTIFY carries the full state as version 1, each
later one the partial change since the previous, one version higher. A subscriber that
missed a change (the focus skipped a NOTIFY) gets the full state instead, which RFC 4575
allows at any time.
"""

from __future__ import annotations

from dataclasses import replace

from .conference_info import ConferenceInfo, DocState, diff, is_empty_update
from .conference_info_xml import build

# Documents are built once with version 0 and numbered per subscriber. The first
# ' version="0"' is the root's: an attribute value cannot hold a raw quote.
_VERSION_HOLE = b' version="0"'


def _numbered(template: bytes, version: int) -> bytes:
    return template.replace(_VERSION_HOLE, b' version="%d"' % version, 1)


class ConferenceEvents:
    def __init__(self, snapshot: ConferenceInfo) -> None:
        self.state = replace(snapshot, version=0, state=DocState.FULL)
        self.generation = 0
        self._partial: bytes | None = None   # from generation - 1 to generation
        self._full: bytes | None = None

    def publish(self, snapshot: ConferenceInfo) -> bool:
        """Take the conference's new state; False if no subscriber would see a change."""
        new = replace(snapshot, version=0, state=DocState.FULL)
        partial = diff(self.state, new)
        if is_empty_update(partial):
            return False
        self.state = new
        self.generation += 1
        self._partial = build(partial)
        self._full = None
        return True

    def full_template(self) -> bytes:
        if self._full is None:
            self._full = build(self.state)
        return self._full

    def partial_template(self) -> bytes | None:
        return self._partial

    def subscribe(self) -> ConferenceSubscription:
        return ConferenceSubscription(self)


class ConferenceSubscription:
    def __init__(self, events: ConferenceEvents) -> None:
        self.events = events
        self.version = 0
        self._generation: int | None = None   # the state this subscriber holds

    def notify(self) -> bytes | None:
        """The body of this subscriber's next NOTIFY, or None if it holds the current state."""
        events = self.events
        if self._generation == events.generation:
            return None
        partial = events.partial_template()
        if self._generation == events.generation - 1 and partial is not None:
            template = partial
        else:
            template = events.full_template()
        return self._send(template)

    def refresh(self) -> bytes:
        """A full document (a re-SUBSCRIBE, or a subscriber that reported a gap)."""
        return self._send(self.events.full_template())

    def _send(self, template: bytes) -> bytes:
        self.version += 1
        self._generation = self.events.generation
        return _numbered(template, self.version)
