"""Properties of the RFC 4575 documents: build -> parse is the identity, and partial
updates applied to the previous full state give the new full state, through XML."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from uc_signal.conferencing.conference_info import (ConferenceInfo, DescriptionInfo, DocState, EndpointInfo,
                                                    MediaInfo, StateInfo, UserInfo, apply, diff)
from uc_signal.conferencing.conference_info_xml import build, parse
from uc_signal.conferencing.subscription import ConferenceEvents

URI = "sip:alice@example.test;gruu;opaque=app:conf:focus:id:ABCD2345"
# Text XML carries unchanged: no control characters, no CR; no surrogates.
text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
token = st.text("abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=1, max_size=8)
entity = st.builds(lambda user, host: f"sip:{user}@{host}.test", token, token)

media = st.builds(MediaInfo, id=token, type=st.sampled_from(["audio", "video"]), label=st.none() | token,
                  status=st.sampled_from(["sendrecv", "sendonly", "recvonly", "inactive"]))
endpoint = st.builds(EndpointInfo, entity=entity, display_text=text,
                     status=st.sampled_from(["connected", "muted-via-focus", "pending", "dialing-in"]),
                     joining_method=st.none() | st.sampled_from(["dialed-in", "dialed-out"]),
                     media=st.lists(media, max_size=2).map(tuple))
user = st.builds(UserInfo, entity=entity, display_text=text,
                 roles=st.lists(st.sampled_from(["organizer", "presenter", "attendee"]), max_size=2).map(tuple),
                 endpoints=st.lists(endpoint, max_size=2).map(tuple))
users = st.lists(user, max_size=5, unique_by=lambda u: u.entity).map(
    lambda found: tuple(sorted(found, key=lambda u: u.entity)))
description = st.builds(DescriptionInfo, subject=text, conf_uri=st.none() | st.just(URI),
                        maximum_user_count=st.none() | st.integers(0, 10_000))
state = st.builds(StateInfo, user_count=st.integers(0, 1000), active=st.booleans(), locked=st.booleans(),
                  active_speakers=st.lists(entity, max_size=3).map(tuple))
full = st.builds(ConferenceInfo, entity=st.just(URI), version=st.integers(0, 2 ** 31), state=st.just(DocState.FULL),
                 description=description, conference_state=state, users=users)


@settings(max_examples=150, deadline=None)
@given(full)
def test_build_then_parse_is_the_identity(info):
    assert parse(build(info)) == info


@settings(max_examples=150, deadline=None)
@given(st.lists(full, min_size=2, max_size=5))
def test_partial_updates_applied_in_turn_rebuild_each_full_state(states):
    events = ConferenceEvents(states[0])
    subscription = events.subscribe()
    held = parse(subscription.notify())
    for new in states[1:]:
        events.publish(new)
        body = subscription.notify()
        if body is None:   # nothing changed: the subscriber already holds it
            continue
        update = parse(body)
        assert update.state is DocState.PARTIAL
        held = apply(held, update)
        assert held == ConferenceInfo(URI, subscription.version, DocState.FULL, new.description,
                                      new.conference_state, new.users)


@settings(max_examples=100, deadline=None)
@given(full, full)
def test_diff_then_apply_is_the_new_state(old, new):
    new = ConferenceInfo(URI, old.version + 1, DocState.FULL, new.description, new.conference_state, new.users)
    assert apply(old, diff(old, new)) == new
