"""Privacy relationships (Lync's access levels): what each kind of watcher is shown.

A relationship is set per (presentity, watcher). Without one, a watcher of our own domain
is a Colleague and anyone else an External Contact. Blocked watchers see Offline and
nothing else (RFC 3856 section 5 "polite blocking": the block itself is not revealed).
Privacy mode: only watchers the user gave a relationship (the user's contacts) see
presence; everyone else sees Offline. docs/presence.md has the table; `VISIBILITY` is it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .aggregation import Aggregate
from .model import Availability, ContactCard
from .pidf import WatcherView, card_pairs


class Relationship(enum.Enum):
    FRIENDS_AND_FAMILY = "friends-and-family"
    WORKGROUP = "workgroup"
    COLLEAGUE = "colleague"
    EXTERNAL = "external"
    BLOCKED = "blocked"

    @classmethod
    def parse(cls, text: str) -> Relationship:
        key = text.strip().lower().replace("_", "-").replace(" ", "-")
        key = {"friends": "friends-and-family", "family": "friends-and-family",
               "external-contacts": "external", "colleagues": "colleague"}.get(key, key)
        try:
            return cls(key)
        except ValueError:
            raise ValueError(f"unknown relationship {text!r} (one of: "
                             f"{', '.join(r.value for r in cls)})") from None


@dataclass(frozen=True)
class Visibility:
    state: bool            # availability, and the call/conference activity
    note: bool
    phones: frozenset[str]
    calendar: bool         # In a Meeting and until when (free/busy)
    location: bool         # published location and the card's office
    card: frozenset[str]   # other card fields: title, email


_BASIC_CARD = frozenset({"title", "email"})
VISIBILITY: dict[Relationship, Visibility] = {
    Relationship.FRIENDS_AND_FAMILY: Visibility(True, True, frozenset({"work_phone", "mobile_phone", "home_phone"}),
                                                True, True, _BASIC_CARD),
    Relationship.WORKGROUP: Visibility(True, True, frozenset({"work_phone", "mobile_phone"}), True, True, _BASIC_CARD),
    Relationship.COLLEAGUE: Visibility(True, True, frozenset({"work_phone"}), True, False, _BASIC_CARD),
    Relationship.EXTERNAL: Visibility(True, False, frozenset(), False, False, _BASIC_CARD),
    Relationship.BLOCKED: Visibility(False, False, frozenset(), False, False, frozenset()),
}

OFFLINE_VIEW = WatcherView(Availability.OFFLINE)


def watcher_view(aggregate: Aggregate, card: ContactCard, relationship: Relationship) -> WatcherView:
    """What a watcher with `relationship` sees of `aggregate` and `card`."""
    seen = VISIBILITY[relationship]
    if not seen.state:
        return OFFLINE_VIEW
    fields = seen.card | seen.phones | ({"office"} if seen.location else frozenset())
    pairs = card_pairs(card, fields)
    activity = aggregate.activity
    availability = aggregate.availability
    meeting_until = aggregate.meeting_until
    if activity is not None and activity.value == "in-a-meeting" and not seen.calendar:
        # Free/busy is calendar information: without it the watcher sees what the
        # endpoints say, not the meeting.
        activity, availability, meeting_until = None, aggregate.base_availability, None
    elif not seen.calendar:
        meeting_until = None
    return WatcherView(
        availability=availability, activity=activity,
        custom=aggregate.custom if activity is None else "",
        note=aggregate.note if seen.note else "",
        location=aggregate.location if seen.location else "",
        meeting_until=meeting_until, card=pairs)
