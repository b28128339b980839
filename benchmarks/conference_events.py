"""Conference events (RFC 4575) at meeting scale: the focus's cost of one roster change
(a join) when every participant subscribes, with the change worked out once and shared
(uc_signal.conferencing.ConferenceEvents) beside the reference of working it out per
subscriber (one snapshot per change, then one diff and one document per subscription).

    python benchmarks/conference_events.py [--quick]

Figures: milliseconds per join at 250 participants (Lync's default meeting) and 1,000
(its large meeting), everyone subscribed; the target is the shared path's ratio to the
per-subscriber reference at 1,000.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import best_of, emit, quick_flag, target  # noqa: E402

from uc_signal.conferencing import (Conference, ConferenceEvents, Joiner, LobbyPolicy,  # noqa: E402
                                    MeetingPolicies, PresenterPolicy, build, conference_uri, diff)

ORGANIZER = "sip:alice@example.test"


def meeting(size: int) -> Conference:
    conference = Conference(MeetingPolicies(ORGANIZER, PresenterPolicy.COMPANY, LobbyPolicy.NOBODY, True),
                            entity=conference_uri(ORGANIZER, "BENCH234"), max_participants=size + 100)
    for i in range(size):
        conference.join(Joiner(f"sip:user{i}@example.test", f"User {i}", True, True), f"ep{i}", 0.0)
    return conference


def shared_join_ms(size: int, joins: int) -> float:
    conference = meeting(size)
    events = ConferenceEvents(conference.snapshot())
    subscribers = [events.subscribe() for _ in range(size)]
    for subscriber in subscribers:
        subscriber.notify()
    counter = iter(range(10**9))

    def one_join() -> None:
        n = next(counter)
        conference.join(Joiner(f"sip:new{n}@example.test", "New", True, True), f"new{n}", 1.0)
        events.publish(conference.snapshot())
        for subscriber in subscribers:
            subscriber.notify()
    return best_of(one_join, joins) * 1e3


def per_subscriber_join_ms(size: int, joins: int) -> float:
    conference = meeting(size)
    first = conference.snapshot(version=1)
    held = [first] * size
    counter = iter(range(10**9))

    def one_join() -> None:
        n = next(counter)
        conference.join(Joiner(f"sip:new{n}@example.test", "New", True, True), f"new{n}", 1.0)
        snapshot = conference.snapshot()
        for i, old in enumerate(held):   # each subscription diffs and builds its own document
            new = replace(snapshot, version=old.version + 1)
            build(diff(old, new))
            held[i] = new
    return best_of(one_join, joins) * 1e3


def main() -> None:
    joins = 3 if quick_flag() else 10
    figures: dict[str, float] = {}
    for size in (250, 1000):
        figures[f"shared_ms_per_join_{size}"] = round(shared_join_ms(size, joins), 3)
        figures[f"per_subscriber_ms_per_join_{size}"] = round(per_subscriber_join_ms(size, joins), 3)
    ratio = figures["shared_ms_per_join_1000"] / figures["per_subscriber_ms_per_join_1000"]
    figures["ratio_1000"] = round(ratio, 4)
    emit(figures, {"shared_vs_per_subscriber_1000": target(ratio, 0.1, "<= 0.1x the per-subscriber diff")})


if __name__ == "__main__":
    main()
