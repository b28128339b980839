"""The roster and controls of a running meeting (Conference), sans-IO: every decision and
permission check, lobby timeouts, talkers, keypad commands and the RFC 4575 snapshot."""

from __future__ import annotations

import pytest

from uc_signal.conferencing.actions import (Announce, ConferenceEnded, ConnectToMix, Disconnect, PlayRollCall,
                                            PlayToEndpoint, SetMuted, SpeakersChanged, StartLobbyMusic, StateChanged)
from uc_signal.conferencing.admission import Joiner, MeetingPolicies, Role
from uc_signal.conferencing.conference import (Conference, ConferenceEndedError, ConferenceFullError,
                                               InvalidControlError, JoinState, NotPermittedError,
                                               UnknownParticipantError)
from uc_signal.conferencing.keypad import KeypadCommand
from uc_signal.conferencing.meeting import LobbyPolicy, PresenterPolicy
from uc_signal.conferencing.prompts import Prompt
from uc_signal.conferencing.speakers import ActiveSpeakers

ALICE = "sip:alice@example.test"     # organizer
BOB = "sip:bob@example.test"         # company user: presenter by policy
CAROL = "sip:carol@partner.test"     # federated: attendee, waits in the lobby
DAVE = "tel:+14255550123"            # PSTN guest: attendee, bypasses the lobby
URI = "sip:alice@example.test;gruu;opaque=app:conf:focus:id:ABCD2345"


def conference(**kwargs) -> Conference:
    policies = MeetingPolicies(ALICE, kwargs.pop("presenters", PresenterPolicy.COMPANY),
                               kwargs.pop("lobby", LobbyPolicy.OUTSIDE_COMPANY), kwargs.pop("bypass", True))
    return Conference(policies, entity=URI, subject="Plan", **kwargs)


def joined(conf: Conference | None = None) -> Conference:
    conf = conf or conference()
    conf.join(Joiner(ALICE, "Alice", True, True), "alice-1", 0.0)
    conf.join(Joiner(BOB, "Bob", True, True), "bob-1", 0.0)
    conf.join(Joiner(DAVE, "Dave", via_pstn=True), "dave-1", 0.0)
    return conf


def test_join_connects_to_the_mix_with_an_entry_tone():
    conf = conference()
    admission, actions = conf.join(Joiner(ALICE, "Alice", True, True), "alice-1", 0.0)
    assert admission.role is Role.ORGANIZER
    assert actions == [ConnectToMix(ALICE, "alice-1"), Announce(Prompt.ENTRY_TONE), StateChanged()]
    assert conf.participant(ALICE).state is JoinState.CONNECTED


def test_join_into_the_lobby_plays_the_notice_and_music():
    conf = joined()
    admission, actions = conf.join(Joiner(CAROL, "Carol", True, False), "carol-1", 5.0)
    assert admission.waits
    assert actions == [PlayToEndpoint(CAROL, "carol-1", Prompt.LOBBY_WAIT), StartLobbyMusic(CAROL, "carol-1"),
                       StateChanged()]
    assert conf.participant(CAROL).state is JoinState.LOBBY


def test_a_second_device_follows_the_first():
    conf = joined()
    admission, actions = conf.join(Joiner(BOB, "Bob", True, True), "bob-2", 1.0)
    assert admission.role is Role.PRESENTER
    assert actions == [ConnectToMix(BOB, "bob-2"), StateChanged()]   # no second entry tone
    conf.join(Joiner(CAROL, "Carol", True, False), "carol-1", 1.0)
    admission, actions = conf.join(Joiner(CAROL, "Carol", True, False), "carol-2", 2.0)
    assert admission.waits and isinstance(actions[1], StartLobbyMusic)
    assert len(conf.participant(CAROL).endpoints) == 2


def test_leave_removes_the_endpoint_then_the_participant_with_an_exit_tone():
    conf = joined()
    conf.join(Joiner(BOB, "Bob", True, True), "bob-2", 1.0)
    assert conf.leave(BOB, "bob-1", 2.0) == [StateChanged()]
    assert conf.leave(BOB, "bob-2", 3.0) == [Announce(Prompt.EXIT_TONE), StateChanged()]
    assert BOB not in conf.participants
    assert conf.leave(BOB, "bob-2", 3.0) == []   # already gone


def test_the_meeting_limit():
    conf = conference(max_participants=2)
    conf.join(Joiner(ALICE, "Alice", True, True), "a", 0.0)
    conf.join(Joiner(BOB, "Bob", True, True), "b", 0.0)
    with pytest.raises(ConferenceFullError) as error:
        conf.join(Joiner(DAVE, via_pstn=True), "d", 0.0)
    assert error.value.status == 486


def test_self_mute_and_unmute():
    conf = joined()
    assert conf.mute(DAVE, DAVE, 1.0) == [SetMuted(DAVE, "dave-1", True), StateChanged()]
    assert conf.mute(DAVE, DAVE, 1.0) == []   # already muted: nothing to do
    assert conf.mute(DAVE, DAVE, 2.0, muted=False) == [SetMuted(DAVE, "dave-1", False), StateChanged()]


def test_only_presenters_mute_others():
    conf = joined()
    with pytest.raises(NotPermittedError) as error:
        conf.mute(DAVE, BOB, 1.0)
    assert error.value.status == 403
    assert conf.mute(BOB, DAVE, 1.0) == [SetMuted(DAVE, "dave-1", True), StateChanged()]


def test_controls_on_unknown_participants():
    conf = joined()
    with pytest.raises(UnknownParticipantError):
        conf.mute(BOB, "sip:nobody@example.test", 1.0)
    with pytest.raises(UnknownParticipantError):
        conf.mute("sip:nobody@example.test", BOB, 1.0)


def test_audience_mute_mutes_attendees_now_and_later_and_stops_self_unmute():
    conf = joined()
    actions = conf.set_audience_mute(BOB, True, 1.0)
    assert actions == [SetMuted(DAVE, "dave-1", True), StateChanged()]   # presenters stay unmuted
    with pytest.raises(NotPermittedError):
        conf.mute(DAVE, DAVE, 2.0, muted=False)
    _, join_actions = conf.join(Joiner("tel:+14255550124", "Erin", via_pstn=True), "erin-1", 3.0)
    assert SetMuted("tel:+14255550124", "erin-1", True) in join_actions
    assert conf.mute(BOB, DAVE, 4.0, muted=False) == [SetMuted(DAVE, "dave-1", False), StateChanged()]
    conf.set_audience_mute(ALICE, False, 5.0)
    assert not conf.participant("tel:+14255550124").endpoints["erin-1"].muted


def test_attendees_cannot_audience_mute_lock_admit_promote_or_end():
    conf = joined()
    for control in (lambda: conf.set_audience_mute(DAVE, True, 1.0), lambda: conf.lock(DAVE, True, 1.0),
                    lambda: conf.admit_all(DAVE, 1.0), lambda: conf.promote(DAVE, DAVE, 1.0),
                    lambda: conf.eject(DAVE, BOB, 1.0), lambda: conf.end(DAVE, 1.0),
                    lambda: conf.set_announcements(DAVE, False, 1.0)):
        with pytest.raises(NotPermittedError):
            control()


def test_a_presenter_in_the_lobby_has_no_control_yet():
    conf = joined()
    conf.lock(ALICE, True, 1.0)
    conf.join(Joiner("sip:erin@example.test", "Erin", True, True), "erin-1", 2.0)   # presenter, locked out
    with pytest.raises(NotPermittedError):
        conf.mute("sip:erin@example.test", DAVE, 3.0)


def test_eject_plays_a_notice_and_hangs_up_but_never_the_organizer():
    conf = joined()
    assert conf.eject(BOB, DAVE, 1.0) == [Disconnect(DAVE, "dave-1", "ejected", Prompt.REMOVED),
                                          Announce(Prompt.EXIT_TONE), StateChanged()]
    with pytest.raises(NotPermittedError):
        conf.eject(BOB, ALICE, 2.0)


def test_lock_and_unlock():
    conf = joined()
    assert conf.lock(BOB, True, 1.0) == [StateChanged()]
    assert conf.lock(BOB, True, 1.0) == []
    admission, _ = conf.join(Joiner("sip:erin@example.test", "Erin", True, True), "erin-1", 2.0)
    assert admission.waits
    assert conf.lock(BOB, False, 3.0) == [StateChanged()]
    assert not conf.join(Joiner("sip:fred@example.test", "Fred", True, True), "fred-1", 4.0)[0].waits


def test_admit_and_deny_from_the_lobby():
    conf = joined()
    conf.join(Joiner(CAROL, "Carol", True, False), "carol-1", 1.0)
    with pytest.raises(InvalidControlError):
        conf.admit(BOB, DAVE, 2.0)   # not in the lobby
    assert conf.admit(BOB, CAROL, 2.0) == [ConnectToMix(CAROL, "carol-1"), Announce(Prompt.ENTRY_TONE),
                                           StateChanged()]
    assert conf.participant(CAROL).state is JoinState.CONNECTED
    conf.join(Joiner("sip:gus@partner.test", "Gus", True, False), "gus-1", 3.0)
    assert conf.deny(ALICE, "sip:gus@partner.test", 4.0) == [
        Disconnect("sip:gus@partner.test", "gus-1", "denied", Prompt.LOBBY_DENIED), StateChanged()]
    with pytest.raises(InvalidControlError):
        conf.deny(ALICE, CAROL, 5.0)


def test_admitted_attendees_are_muted_under_audience_mute():
    conf = joined()
    conf.set_audience_mute(ALICE, True, 0.5)
    conf.join(Joiner(CAROL, "Carol", True, False), "carol-1", 1.0)
    assert SetMuted(CAROL, "carol-1", True) in conf.admit(BOB, CAROL, 2.0)


def test_admit_all_in_arrival_order():
    conf = joined()
    conf.join(Joiner("sip:zed@partner.test", "Zed", True, False), "z", 1.0)
    conf.join(Joiner(CAROL, "Carol", True, False), "c", 2.0)
    actions = conf.admit_all(BOB, 3.0)
    assert [a.entity for a in actions if isinstance(a, ConnectToMix)] == ["sip:zed@partner.test", CAROL]
    assert conf.admit_all(BOB, 4.0) == []   # nobody left


def test_promote_and_demote():
    conf = joined()
    assert conf.promote(BOB, DAVE, 1.0) == [StateChanged()]
    assert conf.participant(DAVE).role is Role.PRESENTER
    assert conf.promote(BOB, DAVE, 1.0) == []
    assert conf.demote(DAVE, BOB, 2.0) == [StateChanged()]   # a promoted presenter may demote
    with pytest.raises(NotPermittedError):
        conf.demote(DAVE, ALICE, 3.0)


def test_promotion_lifts_audience_mute_and_demotion_applies_it():
    conf = joined()
    conf.set_audience_mute(ALICE, True, 1.0)
    assert conf.promote(ALICE, DAVE, 2.0) == [SetMuted(DAVE, "dave-1", False), StateChanged()]
    assert conf.demote(ALICE, DAVE, 3.0) == [SetMuted(DAVE, "dave-1", True), StateChanged()]


def test_end_meeting_hangs_up_everyone_and_refuses_more():
    conf = joined()
    actions = conf.end(BOB, 1.0)
    assert {a.entity for a in actions if isinstance(a, Disconnect)} == {ALICE, BOB, DAVE}
    assert all(a.prompt is Prompt.MEETING_ENDED for a in actions if isinstance(a, Disconnect))
    assert ConferenceEnded(f"ended by {BOB}") in actions and actions[-1] == StateChanged()
    assert conf.participants == {}
    with pytest.raises(ConferenceEndedError):
        conf.join(Joiner(ALICE, "Alice", True, True), "alice-2", 2.0)
    assert conf.snapshot().conference_state.active is False


def test_announcements_off_silences_entry_and_exit():
    conf = joined()
    conf.set_announcements(ALICE, False, 1.0)
    _, actions = conf.join(Joiner("sip:erin@example.test", "Erin", True, True), "e", 2.0)
    assert not any(isinstance(a, Announce) for a in actions)
    assert not any(isinstance(a, Announce) for a in conf.leave("sip:erin@example.test", "e", 3.0))


def test_lobby_timeout_lets_the_caller_go():
    conf = joined(conference(lobby_timeout=60.0))
    conf.join(Joiner(CAROL, "Carol", True, False), "carol-1", 10.0)
    assert conf.next_deadline() == 70.0
    assert conf.tick(69.9) == []
    assert conf.tick(70.0) == [Disconnect(CAROL, "carol-1", "lobby-timeout", Prompt.LOBBY_TIMEOUT), StateChanged()]
    assert conf.next_deadline() is None


def test_dialing_in_callers_show_on_the_roster_then_join():
    conf = joined()
    assert conf.dialing_in("tel:+14255550777", "call-7", "Caller") == [StateChanged()]
    info = conf.snapshot().user("tel:+14255550777")
    assert info.endpoints[0].status == "dialing-in"
    conf.join(Joiner("tel:+14255550777", "Caller", via_pstn=True), "call-7", 5.0)
    assert conf.participant("tel:+14255550777").state is JoinState.CONNECTED


def test_talkers_become_active_speakers_with_a_hold():
    conf = joined(conference(speakers=ActiveSpeakers(hold=1.0, limit=2)))
    assert conf.talkers([BOB], 1.0) == [SpeakersChanged((BOB,)), StateChanged()]
    assert conf.talkers([BOB], 1.5) == []
    assert conf.talkers([DAVE], 1.8) == [SpeakersChanged((DAVE, BOB)), StateChanged()]
    assert conf.next_deadline() == 2.5
    assert conf.tick(2.5) == [SpeakersChanged((DAVE,)), StateChanged()]
    assert conf.tick(2.9) == [SpeakersChanged(()), StateChanged()]


def test_muted_lobby_and_unknown_talkers_are_not_speakers():
    conf = joined()
    conf.mute(DAVE, DAVE, 0.5)
    conf.join(Joiner(CAROL, "Carol", True, False), "carol-1", 0.5)
    assert conf.talkers([DAVE, CAROL, "sip:ghost@example.test"], 1.0) == []


def test_muting_or_leaving_drops_a_speaker_at_once():
    conf = joined()
    conf.talkers([BOB, DAVE], 1.0)
    assert SpeakersChanged((DAVE,)) in conf.mute(ALICE, BOB, 1.1)
    assert SpeakersChanged(()) in conf.leave(DAVE, "dave-1", 1.2)


@pytest.mark.parametrize("command, prompt", [
    (KeypadCommand.HELP, Prompt.HELP),
])
def test_keypad_help(command, prompt):
    conf = joined()
    assert conf.keypad(DAVE, "dave-1", command, 1.0) == [PlayToEndpoint(DAVE, "dave-1", prompt)]


def test_keypad_self_mute_toggles():
    conf = joined()
    assert conf.keypad(DAVE, "dave-1", KeypadCommand.SELF_MUTE, 1.0) == [
        SetMuted(DAVE, "dave-1", True), StateChanged(), PlayToEndpoint(DAVE, "dave-1", Prompt.MUTED)]
    assert conf.keypad(DAVE, "dave-1", KeypadCommand.SELF_MUTE, 2.0)[-1] == PlayToEndpoint(DAVE, "dave-1",
                                                                                            Prompt.UNMUTED)


def test_keypad_self_unmute_refused_under_audience_mute():
    conf = joined()
    conf.set_audience_mute(ALICE, True, 0.5)
    assert conf.keypad(DAVE, "dave-1", KeypadCommand.SELF_MUTE, 1.0) == [
        PlayToEndpoint(DAVE, "dave-1", Prompt.NOT_PERMITTED)]


def test_keypad_roll_call_names_the_others():
    conf = joined()
    conf.participant(DAVE).name_recording = "names/dave.wav"
    assert conf.keypad(BOB, "bob-1", KeypadCommand.ROLL_CALL, 1.0) == [
        PlayToEndpoint(BOB, "bob-1", Prompt.ROLL_CALL), PlayRollCall(BOB, "bob-1", ("Alice", "names/dave.wav"))]


@pytest.mark.parametrize("command", [KeypadCommand.AUDIENCE_MUTE, KeypadCommand.LOCK, KeypadCommand.ADMIT_ALL,
                                     KeypadCommand.ANNOUNCEMENTS])
def test_presenter_keypad_commands_are_refused_to_attendees(command):
    conf = joined()
    assert command.presenters_only
    assert conf.keypad(DAVE, "dave-1", command, 1.0) == [PlayToEndpoint(DAVE, "dave-1", Prompt.NOT_PERMITTED)]


def test_presenter_keypad_commands_toggle():
    conf = joined()
    conf.promote(ALICE, DAVE, 0.1)
    assert conf.keypad(DAVE, "dave-1", KeypadCommand.AUDIENCE_MUTE, 1.0)[-1].prompt is Prompt.AUDIENCE_MUTED
    assert conf.keypad(DAVE, "dave-1", KeypadCommand.AUDIENCE_MUTE, 1.1)[-1].prompt is Prompt.AUDIENCE_UNMUTED
    assert conf.keypad(DAVE, "dave-1", KeypadCommand.LOCK, 1.2)[-1].prompt is Prompt.MEETING_LOCKED
    assert conf.locked
    assert conf.keypad(DAVE, "dave-1", KeypadCommand.LOCK, 1.3)[-1].prompt is Prompt.MEETING_UNLOCKED
    assert conf.keypad(DAVE, "dave-1", KeypadCommand.ANNOUNCEMENTS, 1.4)[-1].prompt is Prompt.ANNOUNCEMENTS_OFF
    assert conf.keypad(DAVE, "dave-1", KeypadCommand.ANNOUNCEMENTS, 1.5)[-1].prompt is Prompt.ANNOUNCEMENTS_ON
    conf.join(Joiner(CAROL, "Carol", True, False), "carol-1", 1.6)
    actions = conf.keypad(DAVE, "dave-1", KeypadCommand.ADMIT_ALL, 1.7)
    assert ConnectToMix(CAROL, "carol-1") in actions and actions[-1].prompt is Prompt.LOBBY_ADMITTED


def test_callers_in_the_lobby_cannot_run_commands():
    conf = joined()
    conf.join(Joiner(CAROL, "Carol", True, False), "carol-1", 1.0)
    assert conf.keypad(CAROL, "carol-1", KeypadCommand.HELP, 2.0) == []


def test_snapshot_maps_roles_states_and_mute():
    conf = joined()
    conf.join(Joiner(CAROL, "Carol", True, False), "carol-1", 1.0)
    conf.mute(BOB, DAVE, 2.0)
    conf.talkers([BOB], 2.0)
    info = conf.snapshot(version=4)
    assert info.entity == URI and info.version == 4
    assert info.description.subject == "Plan" and info.description.maximum_user_count == 250
    assert (info.conference_state.user_count, info.conference_state.locked) == (4, False)
    assert info.conference_state.active_speakers == (BOB,)
    assert [u.entity for u in info.users] == sorted([ALICE, BOB, CAROL, DAVE])
    assert info.user(ALICE).roles == ("organizer",)
    assert info.user(BOB).roles == ("presenter",)
    assert info.user(CAROL).endpoints[0].status == "pending"
    assert info.user(DAVE).endpoints[0].status == "muted-via-focus"
    assert info.user(DAVE).endpoints[0].media[0].status == "recvonly"
    assert info.user(BOB).endpoints[0].media[0].status == "sendrecv"


def test_controls_after_the_end_are_refused():
    conf = joined()
    conf.end(ALICE, 1.0)
    for control in (lambda: conf.mute(ALICE, ALICE, 2.0), lambda: conf.lock(ALICE, True, 2.0),
                    lambda: conf.dialing_in(DAVE, "d", "Dave")):
        with pytest.raises(ConferenceEndedError):
            control()
    assert conf.leave(BOB, "bob-1", 2.0) == []   # the BYEs that follow the end change nothing


def test_a_conference_for_a_directory_meeting():
    from uc_signal.conferencing.meeting import Meeting, MeetingKind
    meeting = Meeting("ABCD2345", "1234567", ALICE, MeetingKind.MEET_NOW, subject="Plan", expires_at=10.0,
                      presenter_policy=PresenterPolicy.NONE, lobby_policy=LobbyPolicy.NOBODY, locked=True)
    conf = Conference.for_meeting(meeting, lobby_timeout=30.0, max_participants=5)
    assert (conf.entity, conf.subject, conf.locked, conf.lobby_timeout, conf.max_participants) == (
        URI, "Plan", True, 30.0, 5)
    assert conf.join(Joiner(BOB, "Bob", True, True), "b", 0.0)[0].waits   # locked
