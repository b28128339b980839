"""The cheap checks ucd's applications make before passing on a request that is not theirs
(a plain call's INVITE, ACK and BYE go through every application of the chain): each still
serves what it must.

- the focus finds a meeting only by a URI that can carry `opaque` (every stored meeting's
  conference URI does); an escaped parameter name still counts (RFC 3261 19.1.4);
- the focus passes in-dialog requests on while it has no participant dialog;
- a call's start and end change a user's presence without moving the deadlines
  (publication expiry, calendar) the presence service keeps.
"""

from __future__ import annotations

from uc_signal.conferencing.meeting import Meeting, MeetingKind
from uc_signal.focus.directory import looks_like_conference_uri, might_have_opaque
from uc_signal.focus.meetings import DirectoryConferences
from uc_signal.presence import Activity, Availability, PresenceService, PublishedState
from uc_signal.presence.calendar import BusyInterval

DOMAIN = "example.com"
NOW = 1_000_000.0
ALICE = f"sip:alice@{DOMAIN}"


def _meeting() -> Meeting:
    return Meeting("AB12CD", "4711", ALICE, MeetingKind.MEET_NOW, expires_at=NOW + 3600)


def test_might_have_opaque() -> None:
    assert might_have_opaque(f"sip:alice@{DOMAIN};gruu;opaque=app:conf:focus:id:AB12CD")
    assert might_have_opaque(f"sip:alice@{DOMAIN};gruu;OPAQUE=app:conf:focus:id:AB12CD")
    assert might_have_opaque(f"sip:alice@{DOMAIN};gruu;%6Fpaque=app:conf:focus:id:AB12CD")
    assert not might_have_opaque(f"sip:bob@{DOMAIN}")
    assert not might_have_opaque(f"sip:bob@127.0.0.1:5070;transport=udp")


def test_conference_uri_with_escaped_opaque_still_looks_like_one() -> None:
    assert looks_like_conference_uri(f"sip:alice@{DOMAIN};gruu;%6Fpaque=app:conf:focus:id:NOPE99")
    assert looks_like_conference_uri(f"sip:alice@{DOMAIN};gruu;opaque=app:conf:focus:id:NOPE99")
    assert not looks_like_conference_uri(f"sip:alice@{DOMAIN}")


def test_directory_conferences_find_a_meeting_and_not_a_user() -> None:
    view = DirectoryConferences(clock=lambda: NOW)
    meeting = _meeting()
    view.add(meeting)
    found = view.find(meeting.conference_uri)
    assert found is not None and found.conference_id == "4711"
    upper = meeting.conference_uri.replace("opaque=", "OPAQUE=").replace(DOMAIN, DOMAIN.upper())
    assert view.find(upper) is not None
    escaped = meeting.conference_uri.replace("opaque=", "%6Fpaque=")
    assert view.find(escaped) is not None
    assert view.find(f"<{meeting.conference_uri};transport=udp>") is not None
    assert view.find(ALICE) is None            # the organizer's own AOR: a user, not the meeting
    assert view.find(f"sip:bob@{DOMAIN}") is None


def test_call_changes_presence_and_keeps_deadlines() -> None:
    service = PresenceService(local_domains=[DOMAIN])
    service.publish(ALICE, PublishedState(Availability.AVAILABLE, False), 600, NOW)
    service.set_calendar(ALICE, [BusyInterval(NOW + 300, NOW + 900)], NOW)
    deadline = service.get_timer()
    assert deadline is not None and deadline <= NOW + 300
    changes: list[str] = []
    service.add_observer(lambda aor, _now: changes.append(aor))
    service.calls.call_started(ALICE, "call-1", NOW + 10)
    assert service.aggregate(ALICE, NOW + 10).activity is Activity.IN_A_CALL
    assert service.get_timer() == deadline
    service.calls.call_ended(ALICE, "call-1", NOW + 20)
    assert service.aggregate(ALICE, NOW + 20).activity is not Activity.IN_A_CALL
    assert service.get_timer() == deadline
    assert changes == [ALICE, ALICE]
    # The deadline still fires (the endpoint goes idle) and the next one is scheduled.
    before = service.aggregate(ALICE, deadline - 1)
    service.handle_timer(deadline)
    assert changes == [ALICE, ALICE, ALICE]
    assert service.aggregate(ALICE, deadline) != before
    later = service.get_timer()
    assert later is not None and later > deadline


def test_a_user_without_endpoints_in_a_call_is_busy_and_otherwise_offline() -> None:
    from uc_signal.presence.aggregation import Aggregate, aggregate
    from uc_signal.presence.calendar import Calendar

    for meeting in (None, NOW + 600):
        assert aggregate([], NOW, 300, call=Activity.IN_A_CALL, meeting_until=meeting) == Aggregate(
            Availability.BUSY, Availability.OFFLINE, Activity.IN_A_CALL, "", "", "", None, 0)
        assert aggregate(iter(()), NOW, 300, meeting_until=meeting) == Aggregate(
            Availability.OFFLINE, Availability.OFFLINE, None, "", "", "", None, 0)
    assert Calendar().meeting_until(NOW) is None
    assert Calendar((BusyInterval(NOW - 1, NOW + 1),)).meeting_until(NOW) == NOW + 1


def test_destination_for_binding_is_remembered_per_binding_object() -> None:
    from uc_signal.directory import Binding
    from uc_signal.proxy import targets

    first = Binding("sip:bob@example.com", "sip:bob@127.0.0.1:5070", NOW + 60, flow="udp0")
    assert targets.destination_for_binding(first) == targets._destination_for_binding(first)
    assert targets.destination_for_binding(first) is targets.destination_for_binding(first)
    peer = targets.destination_for_binding(first).peer   # type: ignore[union-attr]
    assert (peer.host, peer.port, peer.transport, peer.flow) == ("127.0.0.1", 5070, "UDP", "udp0")
    # A refreshed or moved registration is a new object: asked afresh, never the old answer.
    moved = Binding("sip:bob@example.com", "sip:bob@127.0.0.2:5080;transport=tcp", NOW + 60)
    destination = targets.destination_for_binding(moved)
    assert destination is not None and (destination.peer.host, destination.peer.port,
                                        destination.peer.transport) == ("127.0.0.2", 5080, "TCP")
    assert targets.destination_for_binding(Binding("sip:x@example.com", "sip:x@host.example", NOW)) is None
    for i in range(targets._DESTINATIONS_KEPT + 10):   # bounded
        targets.destination_for_binding(Binding("sip:u@example.com", f"sip:u@127.0.0.1:{1024 + i}", NOW))
    assert len(targets._DESTINATIONS) <= targets._DESTINATIONS_KEPT
