"""Aggregation across a user's endpoints (Lync's multiple points of presence).

Each publication (one SIP-ETag lineage, RFC 3903) is one endpoint. The rules, in order
(docs/presence.md, "Aggregation", one test per row):

1. No endpoint and no call: Offline.
2. Any endpoint with a user-set state: the most recently published one wins, whatever
   the machine states say (a custom state counts as its base state).
3. Otherwise the machine states: an Available endpoint with no user input for
   `idle_timeout` seconds (or publishing RPID user-input idle) counts as Away; the most
   available endpoint wins.
4. A call or conference through this server makes it Busy "In a Call" / "In a
   Conference" (a conference before a call), unless the state is Do Not Disturb; with no
   endpoint at all the call still shows (the user is on a phone).
5. Otherwise a calendar meeting now makes Available or Busy into Busy "In a Meeting".

Pure functions of their inputs and `now`: no clock is read here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .model import Activity, Availability
from .pidf import PublishedState


@dataclass(frozen=True)
class Endpoint:
    """One endpoint's current publication."""

    state: PublishedState
    published_at: float   # when this state was last published (modified), for rule 2
    last_input: float     # last sign of the user at this endpoint, for the idle rule


@dataclass(frozen=True)
class Aggregate:
    availability: Availability
    base_availability: Availability          # before rules 4 and 5 (calendar hidden: privacy)
    activity: Activity | None = None
    custom: str = ""
    note: str = ""
    location: str = ""
    meeting_until: float | None = None
    endpoints: int = 0


OFFLINE = Aggregate(Availability.OFFLINE, Availability.OFFLINE)


def is_idle(endpoint: Endpoint, now: float, idle_timeout: float) -> bool:
    return endpoint.state.idle or now - endpoint.last_input >= idle_timeout


def machine_state(endpoint: Endpoint, now: float, idle_timeout: float) -> Availability:
    state = endpoint.state.availability
    if state is Availability.AVAILABLE and is_idle(endpoint, now, idle_timeout):
        return Availability.AWAY
    return state


def aggregate(endpoints: Iterable[Endpoint], now: float, idle_timeout: float, *,
              call: Activity | None = None, meeting_until: float | None = None) -> Aggregate:
    """The presentity's state now. `call` is IN_A_CALL or IN_A_CONFERENCE while one is up;
    `meeting_until` is the end of the calendar meeting going on now, if any."""
    found = sorted(endpoints, key=lambda e: e.published_at)
    if not found:
        # Rule 1, then rule 4 (rule 5 needs Available or Busy): a user who publishes
        # nothing, asked at every call's start and end.
        if call is not None:
            return Aggregate(Availability.BUSY, Availability.OFFLINE, call, "", "", "", None, 0)
        return Aggregate(Availability.OFFLINE, Availability.OFFLINE, None, "", "", "", None, 0)
    newest_first = found[::-1]
    note = next((e.state.note for e in newest_first if e.state.note), "")
    location = next((e.state.location for e in newest_first if e.state.location), "")
    custom = ""
    user_set = [e for e in found if e.state.user_set]
    if user_set:                                                       # rule 2
        base = user_set[-1].state.availability
        custom = user_set[-1].state.custom
    elif found:                                                        # rule 3
        base = min((machine_state(e, now, idle_timeout) for e in found), key=lambda s: s.rank)
    else:                                                              # rule 1
        base = Availability.OFFLINE
        note = location = ""
    result = Aggregate(base, base, None, custom, note, location, None, len(found))
    if call is not None and base is not Availability.DO_NOT_DISTURB:   # rule 4
        return Aggregate(Availability.BUSY, base, call, "", note, location, None, len(found))
    if meeting_until is not None and base in (Availability.AVAILABLE, Availability.BUSY):   # rule 5
        return Aggregate(Availability.BUSY, base, Activity.IN_A_MEETING, "", note, location, meeting_until,
                         len(found))
    return result


def next_idle_transition(endpoints: Iterable[Endpoint], now: float, idle_timeout: float) -> float | None:
    """When the next Available endpoint turns idle (rule 3), if one will."""
    times = [e.last_input + idle_timeout for e in endpoints
             if e.state.availability is Availability.AVAILABLE and not is_idle(e, now, idle_timeout)]
    return min(times, default=None)
