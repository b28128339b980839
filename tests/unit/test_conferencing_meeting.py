"""Meetings: IDs, the conference URI, validation and expiry; active speakers."""

from __future__ import annotations

import pytest

from uc_signal.conferencing.meeting import (MEETING_ID_ALPHABET, InvalidMeetingError, LobbyPolicy, Meeting,
                                            MeetingKind, PresenterPolicy, conference_uri, default_expiry,
                                            new_conference_id, new_meeting_id, parse_conference_uri)
from uc_signal.conferencing.speakers import ActiveSpeakers

DAY = 86400.0


def meet_now(**changes) -> Meeting:
    fields = dict(meeting_id="ABCD2345", conference_id="1234567", organizer="sip:alice@example.test",
                  kind=MeetingKind.MEET_NOW, expires_at=100.0 + 14 * DAY, created_at=100.0)
    fields.update(changes)
    return Meeting(**fields)


def test_meeting_ids_avoid_look_alike_characters():
    for _ in range(50):
        meeting_id = new_meeting_id()
        assert len(meeting_id) == 8 and set(meeting_id) <= set(MEETING_ID_ALPHABET)
    assert not set("01ILO") & set(MEETING_ID_ALPHABET)


def test_conference_ids_are_numeric_without_a_leading_zero():
    for digits in (4, 7, 16):
        conference_id = new_conference_id(digits)
        assert len(conference_id) == digits and conference_id.isdigit() and conference_id[0] != "0"
    with pytest.raises(ValueError):
        new_conference_id(3)


def test_conference_uri_is_the_organizers_gruu_with_the_focus_id():
    uri = conference_uri("sip:alice@Example.TEST", "ABCD2345")
    assert uri == "sip:alice@example.test;gruu;opaque=app:conf:focus:id:ABCD2345"
    assert parse_conference_uri(f"<{uri}>") == ("sip:alice@example.test", "ABCD2345")
    assert meet_now().conference_uri == uri


@pytest.mark.parametrize("uri", ["sip:alice@example.test", "sip:alice@example.test;gruu;opaque=app:conf:chat:id:X",
                                 "tel:+1425;gruu;opaque=app:conf:focus:id:X"])
def test_not_conference_uris(uri):
    with pytest.raises(InvalidMeetingError):
        parse_conference_uri(uri)


def test_valid_meetings_normalise():
    meeting = meet_now(organizer="alice@EXAMPLE.test", kind="meet-now", presenter_policy="everyone",
                       lobby_policy="nobody").validated()
    assert meeting.organizer == "sip:alice@example.test"
    assert (meeting.kind, meeting.presenter_policy, meeting.lobby_policy) == (
        MeetingKind.MEET_NOW, PresenterPolicy.EVERYONE, LobbyPolicy.NOBODY)
    scheduled = meet_now(kind=MeetingKind.SCHEDULED, start=1000.0, end=4600.0, expires_at=4600.0 + DAY).validated()
    assert scheduled.public()["kind"] == "scheduled"


@pytest.mark.parametrize("changes, field", [
    ({"meeting_id": "ab"}, "meeting_id"),
    ({"conference_id": "12a4"}, "conference_id"),
    ({"organizer": "alice"}, "organizer"),
    ({"organizer": "sip:al ice@example.test"}, "organizer"),
    ({"subject": "x" * 257}, "subject"),
    ({"subject": "line\nbreak"}, "subject"),
    ({"kind": "webinar"}, "kind"),
    ({"presenter_policy": "boss"}, "presenter_policy"),
    ({"lobby_policy": "all"}, "lobby_policy"),
    ({"start": 5.0}, "start"),
    ({"kind": MeetingKind.SCHEDULED}, "start"),
    ({"kind": MeetingKind.SCHEDULED, "start": 10.0, "end": 10.0}, "end"),
    ({"kind": MeetingKind.SCHEDULED, "start": 10.0, "end": 20.0, "expires_at": 20.0}, "expires_at"),
    ({"expires_at": 50.0}, "expires_at"),
])
def test_invalid_meetings_name_the_field(changes, field):
    with pytest.raises(InvalidMeetingError) as error:
        meet_now(**changes).validated()
    assert error.value.field == field


def test_expiry_follows_the_end_or_the_creation():
    assert default_expiry(MeetingKind.SCHEDULED, 100.0, 5000.0, 14 * DAY) == 5000.0 + 14 * DAY
    assert default_expiry(MeetingKind.MEET_NOW, 100.0, None, 14 * DAY) == 100.0 + 14 * DAY
    assert meet_now().is_expired(100.0 + 14 * DAY) and not meet_now().is_expired(100.0 + 14 * DAY - 1)


def test_speakers_most_recent_first_limited_and_held():
    speakers = ActiveSpeakers(hold=2.0, limit=2)
    assert speakers.update(["a"], 0.0) and speakers.current == ("a",)
    assert speakers.update(["b"], 1.0) and speakers.current == ("b", "a")
    assert speakers.update(["c"], 1.5) and speakers.current == ("c", "b")
    assert not speakers.update([], 1.6)
    assert speakers.next_expiry() == 2.0
    assert not speakers.expire(2.0) and speakers.current == ("c", "b")   # a expired, but was not shown
    assert speakers.expire(3.0) and speakers.current == ("c",)
    assert speakers.forget("c", 3.1) and speakers.current == ()
    assert speakers.next_expiry() is None
    with pytest.raises(ValueError):
        ActiveSpeakers(limit=0)
