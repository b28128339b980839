"""The aggregation table of docs/presence.md, one test per row (rows A1-A14), on the pure
function; the rows time drives (idle, expiry, calendar) are also run end to end in
test_presence_agent.py."""

from __future__ import annotations

from uc_signal.presence import Activity, Aggregate, Availability, Endpoint, PublishedState, aggregate

IDLE = 300.0
NOW = 1_800_000_000.0


def endpoint(availability: Availability, *, user_set: bool | None = None, at: float = NOW - 10,
             last_input: float | None = None, idle: bool = False, note: str = "") -> Endpoint:
    if user_set is None:
        user_set = availability is not Availability.AVAILABLE
    return Endpoint(PublishedState(availability, user_set, idle, note), at, at if last_input is None else last_input)


def agg(*endpoints: Endpoint, call: Activity | None = None, meeting_until: float | None = None) -> Aggregate:
    return aggregate(endpoints, NOW, IDLE, call=call, meeting_until=meeting_until)


def test_a1_no_endpoint_is_offline() -> None:
    assert agg().availability is Availability.OFFLINE


def test_a2_one_available_endpoint_is_available() -> None:
    assert agg(endpoint(Availability.AVAILABLE)).availability is Availability.AVAILABLE


def test_a3_no_input_for_the_idle_timeout_is_away() -> None:
    assert agg(endpoint(Availability.AVAILABLE, last_input=NOW - IDLE)).availability is Availability.AWAY
    assert agg(endpoint(Availability.AVAILABLE, last_input=NOW - IDLE + 1)).availability is Availability.AVAILABLE


def test_a4_rpid_user_input_idle_is_away() -> None:
    assert agg(endpoint(Availability.AVAILABLE, idle=True)).availability is Availability.AWAY


def test_a5_the_most_available_machine_state_wins() -> None:
    idle_pc = endpoint(Availability.AVAILABLE, last_input=NOW - 2 * IDLE, at=NOW - 5)
    phone = endpoint(Availability.AVAILABLE, at=NOW - 20)
    assert agg(idle_pc, phone).availability is Availability.AVAILABLE


def test_a6_a_user_set_state_overrides_machine_state() -> None:
    busy = endpoint(Availability.BUSY, at=NOW - 100)
    fresh_machine = endpoint(Availability.AVAILABLE, at=NOW - 1)
    assert agg(busy, fresh_machine).availability is Availability.BUSY


def test_a7_the_newest_user_set_state_wins() -> None:
    older = endpoint(Availability.BUSY, at=NOW - 100)
    newer = endpoint(Availability.BE_RIGHT_BACK, at=NOW - 5)
    assert agg(older, newer).availability is Availability.BE_RIGHT_BACK
    assert agg(newer, older).availability is Availability.BE_RIGHT_BACK


def test_a8_appear_offline_overrides_other_endpoints() -> None:
    assert agg(endpoint(Availability.AVAILABLE), endpoint(Availability.OFFLINE)).availability is Availability.OFFLINE


def test_a9_a_call_shows_in_a_call() -> None:
    result = agg(endpoint(Availability.AVAILABLE), call=Activity.IN_A_CALL)
    assert (result.availability, result.activity) == (Availability.BUSY, Activity.IN_A_CALL)
    away = agg(endpoint(Availability.AWAY), call=Activity.IN_A_CALL)
    assert (away.availability, away.activity) == (Availability.BUSY, Activity.IN_A_CALL)


def test_a10_a_conference_shows_in_a_conference() -> None:
    result = agg(endpoint(Availability.BUSY), call=Activity.IN_A_CONFERENCE)
    assert (result.availability, result.activity) == (Availability.BUSY, Activity.IN_A_CONFERENCE)


def test_a11_do_not_disturb_stays_through_a_call() -> None:
    result = agg(endpoint(Availability.DO_NOT_DISTURB), call=Activity.IN_A_CALL)
    assert (result.availability, result.activity) == (Availability.DO_NOT_DISTURB, None)


def test_a12_a_call_shows_without_any_endpoint() -> None:
    result = agg(call=Activity.IN_A_CALL)
    assert (result.availability, result.activity) == (Availability.BUSY, Activity.IN_A_CALL)


def test_a13_a_calendar_meeting_makes_available_or_busy_in_a_meeting() -> None:
    for state in (Availability.AVAILABLE, Availability.BUSY):
        result = agg(endpoint(state), meeting_until=NOW + 600)
        assert (result.availability, result.activity, result.meeting_until) == (
            Availability.BUSY, Activity.IN_A_MEETING, NOW + 600)
        assert result.base_availability is state


def test_a14_a_meeting_leaves_away_dnd_and_offline_alone() -> None:
    for state in (Availability.AWAY, Availability.DO_NOT_DISTURB, Availability.BE_RIGHT_BACK):
        assert agg(endpoint(state), meeting_until=NOW + 600).availability is state
    assert agg(meeting_until=NOW + 600).availability is Availability.OFFLINE


def test_the_note_is_the_newest_endpoints_and_goes_when_offline() -> None:
    result = agg(endpoint(Availability.AVAILABLE, at=NOW - 50, note="old"),
                 endpoint(Availability.AVAILABLE, at=NOW - 5, note="new"))
    assert result.note == "new"
    assert agg().note == ""
