"""One subscriber's view of a conference's event package (RFC 4575).

Versions are scoped to a subscription (RFC 4575 4.6): the first NOTIFY carries the full
state as version 1, and each later one the partial changes since the previous, its
version one higher, so the subscriber can tell a lost notification and resubscribe.
"""

from __future__ import annotations

from dataclasses import replace

from .conference_info import ConferenceInfo, DocState, diff, is_empty_update
from .conference_info_xml import build


class ConferenceSubscription:
    def __init__(self) -> None:
        self.version = 0
        self._sent: ConferenceInfo | None = None

    def notify(self, snapshot: ConferenceInfo) -> bytes | None:
        """The body of the next NOTIFY for the conference now in `snapshot`, or None when
        nothing this subscriber has seen changed."""
        current = replace(snapshot, version=self.version + 1, state=DocState.FULL)
        if self._sent is None:
            document = current
        else:
            document = diff(self._sent, current)
            if is_empty_update(document):
                return None
        self.version += 1
        self._sent = current
        return build(document)

    def refresh(self, snapshot: ConferenceInfo) -> bytes:
        """A full document (a re-SUBSCRIBE, or a subscriber that reported a gap)."""
        self.version += 1
        self._sent = replace(snapshot, version=self.version, state=DocState.FULL)
        return build(self._sent)
