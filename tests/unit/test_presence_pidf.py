"""PIDF/RPID parsing and building (RFC 3863, RFC 4479, RFC 4480): the state a document
means, refused XML (DTDs, entities, external references, malformed), and what we build
reads back as the same state. Hypothesis: the parser raises nothing but PidfError."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uc_signal.presence import (Activity, Availability, CustomState, PidfError, WatcherView, build_pidf,
                                parse_pidf)

from presence_network import AWAY, BUSY, DND, pidf

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "presence"


@pytest.mark.parametrize(("basic", "activities", "expected", "user_set"), [
    ("open", "", Availability.AVAILABLE, False),
    ("open", BUSY, Availability.BUSY, True),
    ("open", "<rpid:on-the-phone/>", Availability.BUSY, True),
    ("open", "<rpid:meeting/>", Availability.BUSY, True),
    ("open", DND, Availability.DO_NOT_DISTURB, True),
    ("open", BUSY + DND, Availability.DO_NOT_DISTURB, True),
    ("closed", BUSY, Availability.DO_NOT_DISTURB, True),      # linphone's Do Not Disturb
    ("open", "<rpid:in-transit/>", Availability.BE_RIGHT_BACK, True),
    ("open", "<rpid:other>Be Right Back</rpid:other>", Availability.BE_RIGHT_BACK, True),
    ("open", AWAY, Availability.AWAY, True),
    ("open", "<rpid:lunch/>", Availability.AWAY, True),
    ("open", "<rpid:other>Off Work</rpid:other>", Availability.OFF_WORK, True),
    ("closed", "", Availability.OFFLINE, True),
])
def test_rpid_activities_map_to_lync_states(basic: str, activities: str, expected: Availability,
                                            user_set: bool) -> None:
    state = parse_pidf(pidf("alice", basic, activities).encode())
    assert (state.availability, state.user_set) == (expected, user_set)


def test_the_lync_number_is_exact_and_user_set() -> None:
    body = pidf("alice", person_extra="<ucs:availability>12500</ucs:availability>")
    state = parse_pidf(body.encode())
    assert (state.availability, state.user_set) == (Availability.BE_RIGHT_BACK, True)
    with pytest.raises(PidfError):
        parse_pidf(pidf("alice", person_extra="<ucs:availability>lots</ucs:availability>").encode())


def test_note_idle_location_and_custom_state() -> None:
    custom = (CustomState("Working from home", Availability.AVAILABLE),)
    body = pidf("alice", activities="<rpid:other>working FROM home</rpid:other>", note="back at 3",
                person_extra="<rpid:user-input>idle</rpid:user-input><ucs:location>Building 7</ucs:location>")
    state = parse_pidf(body.encode(), custom)
    assert state.custom == "Working from home" and state.availability is Availability.AVAILABLE and state.user_set
    assert (state.note, state.idle, state.location) == ("back at 3", True, "Building 7")


@pytest.mark.parametrize("name", ["billion_laughs_invalid.xml", "external_entity_invalid.xml",
                                  "external_dtd_invalid.xml", "truncated_invalid.xml", "wrong_root_invalid.xml",
                                  "no_entity_invalid.xml", "bad_basic_invalid.xml"])
def test_unsafe_or_malformed_documents_are_refused(name: str) -> None:
    with pytest.raises(PidfError):
        parse_pidf((FIXTURES / name).read_bytes())


def test_oversized_documents_are_refused() -> None:
    with pytest.raises(PidfError, match="bytes"):
        parse_pidf(pidf("alice", note="x" * 70_000).encode())


@pytest.mark.parametrize("availability", list(Availability))
def test_built_documents_read_back_as_the_same_state(availability: Availability) -> None:
    body = build_pidf("sip:alice@example.com", WatcherView(availability, note="hi & <bye>"))
    state = parse_pidf(body)
    assert state.availability is availability
    assert state.note == "hi & <bye>"


def test_built_activities_use_rpid_tokens() -> None:
    call = build_pidf("sip:a@example.com", WatcherView(Availability.BUSY, Activity.IN_A_CALL)).decode()
    assert "<rpid:on-the-phone/>" in call and "<ucs:state>In a Call</ucs:state>" in call
    meeting = build_pidf("sip:a@example.com", WatcherView(Availability.BUSY, Activity.IN_A_MEETING,
                                                          meeting_until=1_800_000_000.0)).decode()
    assert "<rpid:meeting/>" in meeting and "<ucs:meeting-until>2027-01-15T08:00:00Z</ucs:meeting-until>" in meeting
    offline = build_pidf("sip:a@example.com", WatcherView(Availability.OFFLINE)).decode()
    assert "<basic>closed</basic>" in offline and "rpid:activities" not in offline


@given(st.binary(max_size=2048))
def test_arbitrary_bytes_raise_only_pidf_error(data: bytes) -> None:
    try:
        parse_pidf(data)
    except PidfError:
        pass


_texts = st.text(st.characters(min_codepoint=32, max_codepoint=0xD7FF), max_size=40)


# Aggregation only ever adds an activity to Busy (docs/presence.md, rules 4 and 5).
_states = st.one_of(st.tuples(st.sampled_from(list(Availability)), st.none()),
                    st.tuples(st.just(Availability.BUSY), st.sampled_from(list(Activity))))


@given(_states, _texts, _texts)
def test_any_view_builds_a_document_that_parses(state_and_activity: tuple[Availability, Activity | None],
                                                note: str, location: str) -> None:
    availability, activity = state_and_activity
    body = build_pidf("sip:alice@example.com", WatcherView(availability, activity, note=note, location=location))
    state = parse_pidf(body)
    assert state.availability is availability
    assert state.note == " ".join(note.split())


@given(st.lists(st.sampled_from(["<rpid:busy/>", "<rpid:away/>", "<rpid:other>x</rpid:other>",
                                 "<rpid:on-the-phone/>", "<rpid:in-transit/>", "<ucs:foo/>", "<rpid:meeting/>"]),
                max_size=5), st.sampled_from(["open", "closed", ""]))
def test_any_combination_of_activities_has_a_state(activities: list[str], basic: str) -> None:
    state = parse_pidf(pidf("alice", basic, "".join(activities)).encode())
    assert isinstance(state.availability, Availability)
