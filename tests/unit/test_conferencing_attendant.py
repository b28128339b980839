"""The dial-in auto attendant, one transition at a time (time is an argument; no I/O)."""

from __future__ import annotations

import pytest

from uc_signal.conferencing.attendant import (ATTENDANT_PROMPTS, AttendantSettings, AttendantState,
                                              AttendantStateError, AutoAttendant, HangUp, JoinMeeting,
                                              LookupConference, PinResult, PlayPrompt, RecordName, RunCommand,
                                              StopPrompt, StopRecording, VerifyPin)
from uc_signal.conferencing.keypad import KeyMap, KeypadCommand
from uc_signal.conferencing.prompts import Prompt

ALICE = "sip:alice@example.test"


def finish_prompts(attendant: AutoAttendant, actions, now: float = 0.0) -> list:
    """Report every prompt as finished until the attendant asks for something else."""
    out = []
    for _ in range(20):
        plays = [a for a in actions if isinstance(a, PlayPrompt)]
        out += [a for a in actions if not isinstance(a, PlayPrompt)]
        if not plays:
            return out
        actions = attendant.prompt_finished(plays[-1].prompt, now)
    raise AssertionError("prompts never ended")


def keys(attendant: AutoAttendant, digits: str, now: float = 1.0) -> list:
    out = []
    for digit in digits:
        out += attendant.digit(digit, now)
    return out


def at_pin(caller_user: str | None = ALICE, **settings) -> AutoAttendant:
    attendant = AutoAttendant(AttendantSettings(**settings), caller_user=caller_user)
    finish_prompts(attendant, attendant.answered(0.0))
    assert keys(attendant, "1234567#") == [LookupConference("1234567")]
    assert attendant.conference_found("MEET2345", 1.0) == [PlayPrompt(Prompt.ENTER_PIN)]
    finish_prompts(attendant, [PlayPrompt(Prompt.ENTER_PIN)])
    return attendant


def test_answer_plays_welcome_then_asks_for_the_conference_id():
    attendant = AutoAttendant()
    assert attendant.answered(0.0) == [PlayPrompt(Prompt.WELCOME)]
    assert attendant.state is AttendantState.CONFERENCE_ID
    assert attendant.prompt_finished(Prompt.WELCOME, 1.0) == [PlayPrompt(Prompt.ENTER_CONFERENCE_ID)]
    assert attendant.next_timer() is None       # no digit timer while a prompt plays
    assert attendant.prompt_finished(Prompt.ENTER_CONFERENCE_ID, 2.0) == []
    assert attendant.next_timer() == 12.0       # digit_timeout after the prompt ends


def test_answered_twice_is_a_driver_bug():
    attendant = AutoAttendant()
    attendant.answered(0.0)
    with pytest.raises(AttendantStateError):
        attendant.answered(1.0)


def test_digits_barge_in_and_hash_looks_the_id_up():
    attendant = AutoAttendant()
    attendant.answered(0.0)
    assert attendant.digit("1", 0.5) == [StopPrompt()]
    assert attendant.prompt_finished(Prompt.WELCOME, 0.6) == []   # the stopped prompt's late report
    assert keys(attendant, "234") == []
    assert attendant.digit("#", 2.0) == [LookupConference("1234")]
    assert attendant.state is AttendantState.LOOKUP
    assert attendant.next_timer() is None


def test_star_starts_the_entry_over():
    attendant = AutoAttendant()
    finish_prompts(attendant, attendant.answered(0.0))
    assert keys(attendant, "99*123#")[-1] == LookupConference("123")


def test_each_digit_restarts_the_digit_timer():
    attendant = AutoAttendant(AttendantSettings(digit_timeout=5.0))
    finish_prompts(attendant, attendant.answered(0.0))
    attendant.digit("1", 3.0)
    assert attendant.next_timer() == 8.0
    assert attendant.timer(7.9) == []


def test_unknown_conference_id_reprompts_then_gives_up():
    attendant = AutoAttendant(AttendantSettings(max_tries=2))
    finish_prompts(attendant, attendant.answered(0.0))
    keys(attendant, "111#")
    assert attendant.conference_not_found(1.0) == [PlayPrompt(Prompt.INVALID_CONFERENCE_ID)]
    assert attendant.prompt_finished(Prompt.INVALID_CONFERENCE_ID, 2.0) == [PlayPrompt(Prompt.ENTER_CONFERENCE_ID)]
    attendant.prompt_finished(Prompt.ENTER_CONFERENCE_ID, 3.0)
    keys(attendant, "222#")
    assert attendant.conference_not_found(4.0) == [PlayPrompt(Prompt.TOO_MANY_ATTEMPTS)]
    assert attendant.state is AttendantState.GOODBYE
    assert attendant.digit("5", 4.5) == []      # no input while saying goodbye
    assert attendant.prompt_finished(Prompt.TOO_MANY_ATTEMPTS, 5.0) == [PlayPrompt(Prompt.GOODBYE)]
    assert attendant.prompt_finished(Prompt.GOODBYE, 6.0) == [HangUp("conference ID not entered")]
    assert attendant.state is AttendantState.ENDED


def test_silence_counts_as_a_try():
    attendant = AutoAttendant(AttendantSettings(max_tries=2, digit_timeout=5.0))
    finish_prompts(attendant, attendant.answered(0.0))
    assert attendant.timer(5.0) == [PlayPrompt(Prompt.NO_INPUT)]
    finish_prompts(attendant, [PlayPrompt(Prompt.NO_INPUT)], 6.0)
    assert attendant.timer(20.0) == [PlayPrompt(Prompt.TOO_MANY_ATTEMPTS)]


def test_hash_alone_for_the_id_is_no_input():
    attendant = AutoAttendant()
    finish_prompts(attendant, attendant.answered(0.0))
    assert attendant.digit("#", 1.0) == [PlayPrompt(Prompt.NO_INPUT)]
    assert attendant.id_tries == 1


def test_an_overlong_id_is_refused_without_a_lookup():
    attendant = AutoAttendant(AttendantSettings(max_conference_id_digits=4))
    finish_prompts(attendant, attendant.answered(0.0))
    assert keys(attendant, "12345") == [PlayPrompt(Prompt.INVALID_CONFERENCE_ID)]


def test_lookup_results_outside_lookup_are_driver_bugs():
    attendant = AutoAttendant()
    attendant.answered(0.0)
    with pytest.raises(AttendantStateError):
        attendant.conference_found("X", 1.0)
    with pytest.raises(AttendantStateError):
        attendant.conference_not_found(1.0)
    with pytest.raises(AttendantStateError):
        attendant.pin_result(PinResult.ACCEPTED, 1.0, ALICE)


def test_leader_with_a_known_caller_id_joins_with_the_pin():
    attendant = at_pin(ALICE)
    assert keys(attendant, "80417#") == [VerifyPin("MEET2345", "80417", user=ALICE)]
    assert attendant.pin_result(PinResult.ACCEPTED, 2.0, ALICE) == [PlayPrompt(Prompt.JOINING)]
    assert attendant.prompt_finished(Prompt.JOINING, 3.0) == [JoinMeeting("MEET2345", ALICE, None)]
    assert attendant.state is AttendantState.JOINED


def test_accepted_pin_without_a_user_is_a_driver_bug():
    attendant = at_pin(ALICE)
    keys(attendant, "80417#")
    with pytest.raises(AttendantStateError):
        attendant.pin_result(PinResult.ACCEPTED, 2.0)


def test_unknown_caller_is_asked_for_the_extension():
    attendant = at_pin(None)
    assert keys(attendant, "80417#") == [PlayPrompt(Prompt.ENTER_EXTENSION)]
    assert attendant.state is AttendantState.EXTENSION
    finish_prompts(attendant, [PlayPrompt(Prompt.ENTER_EXTENSION)])
    assert keys(attendant, "100#") == [VerifyPin("MEET2345", "80417", extension="100")]


def test_empty_extension_counts_against_the_pin_tries():
    attendant = at_pin(None)
    keys(attendant, "80417#")
    finish_prompts(attendant, [PlayPrompt(Prompt.ENTER_EXTENSION)])
    assert attendant.digit("#", 2.0) == [PlayPrompt(Prompt.NO_INPUT)]
    assert attendant.pin_tries == 1
    assert attendant.state is AttendantState.PIN


def test_wrong_pin_reprompts_then_goodbye():
    attendant = at_pin(ALICE, max_tries=2)
    keys(attendant, "11223#")
    assert attendant.pin_result(PinResult.REJECTED, 2.0) == [PlayPrompt(Prompt.INVALID_PIN)]
    assert attendant.prompt_finished(Prompt.INVALID_PIN, 3.0) == [PlayPrompt(Prompt.ENTER_PIN)]
    attendant.prompt_finished(Prompt.ENTER_PIN, 3.5)
    keys(attendant, "11224#")
    assert attendant.pin_result(PinResult.REJECTED, 4.0) == [PlayPrompt(Prompt.TOO_MANY_ATTEMPTS)]
    finish_prompts(attendant, [PlayPrompt(Prompt.TOO_MANY_ATTEMPTS)])
    assert attendant.hangup_reason == "PIN not accepted"
    assert attendant.state is AttendantState.ENDED


def test_pin_timeout_reprompts():
    attendant = at_pin(ALICE, digit_timeout=4.0)
    deadline = attendant.next_timer()
    assert deadline is not None
    assert attendant.timer(deadline) == [PlayPrompt(Prompt.NO_INPUT)]
    assert attendant.pin_tries == 1


def test_overlong_pin_is_invalid():
    attendant = at_pin(ALICE, max_pin_digits=6)
    assert keys(attendant, "1234567") == [PlayPrompt(Prompt.INVALID_PIN)]


def test_locked_pin_joins_as_a_guest():
    attendant = at_pin(ALICE)
    keys(attendant, "80417#")
    assert attendant.pin_result(PinResult.LOCKED_OUT, 2.0) == [PlayPrompt(Prompt.PIN_LOCKED)]
    assert attendant.state is AttendantState.NAME_PROMPT


def test_guest_records_a_name_then_joins():
    attendant = at_pin(ALICE, max_name_seconds=4.0)
    assert attendant.digit("#", 2.0) == [PlayPrompt(Prompt.RECORD_NAME)]
    assert attendant.prompt_finished(Prompt.RECORD_NAME, 3.0) == [PlayPrompt(Prompt.BEEP)]
    assert attendant.prompt_finished(Prompt.BEEP, 3.2) == [RecordName(4.0)]
    assert attendant.state is AttendantState.RECORDING
    assert attendant.digit("#", 5.0) == [StopRecording()]
    assert attendant.recording_finished("names/call-1.wav", 5.1) == [PlayPrompt(Prompt.JOINING)]
    assert attendant.prompt_finished(Prompt.JOINING, 6.0) == [JoinMeeting("MEET2345", None, "names/call-1.wav")]


def test_a_recording_that_runs_long_is_stopped_then_given_up_on():
    attendant = at_pin(ALICE, max_name_seconds=4.0, stop_grace=1.0)
    attendant.digit("#", 2.0)
    finish_prompts(attendant, [PlayPrompt(Prompt.RECORD_NAME)], 3.0)
    assert attendant.timer(3.0 + 4.0 + 1.0) == [StopRecording()]
    assert attendant.state is AttendantState.RECORDING_STOPPING
    assert attendant.timer(9.0) == [PlayPrompt(Prompt.JOINING)]
    assert attendant.prompt_finished(Prompt.JOINING, 10.0) == [JoinMeeting("MEET2345", None, None)]
    assert attendant.recording_finished("late.wav", 11.0) == []   # too late: ignored


def test_without_name_recording_guests_join_at_once():
    attendant = at_pin(ALICE, record_names=False)
    assert attendant.digit("#", 2.0) == [PlayPrompt(Prompt.JOINING)]


def test_joined_callers_keys_become_commands():
    attendant = at_pin(ALICE, record_names=False)
    attendant.digit("#", 2.0)
    attendant.prompt_finished(Prompt.JOINING, 3.0)
    assert attendant.digit("*", 4.0) == []
    assert attendant.next_timer() == 7.0          # the keypad's command timeout
    assert attendant.digit("6", 4.5) == [RunCommand(KeypadCommand.SELF_MUTE)]
    assert keys(attendant, "*1", 5.0) == [RunCommand(KeypadCommand.HELP)]


def test_joined_caller_with_a_custom_key_map():
    attendant = AutoAttendant(AttendantSettings(record_names=False), caller_user=ALICE,
                              key_map=KeyMap(command_character="#", self_mute="5", announcements="0"))
    attendant.state = AttendantState.JOINED
    assert keys(attendant, "#5", 1.0) == [RunCommand(KeypadCommand.SELF_MUTE)]


def test_hang_up_ends_everything():
    attendant = at_pin(ALICE)
    assert attendant.hung_up(2.0) == []
    assert attendant.state is AttendantState.ENDED
    assert attendant.next_timer() is None
    assert attendant.digit("1", 3.0) == []


def test_not_a_dtmf_digit():
    with pytest.raises(ValueError):
        AutoAttendant().digit("x", 0.0)


def test_every_prompt_the_attendant_plays_is_listed(monkeypatch):
    # Walk the flows above, noting every prompt asked for; ATTENDANT_PROMPTS must cover them
    # (and test_conferencing_prompts.py checks each of those has audio).
    asked: set[Prompt] = set()
    original = AutoAttendant._play

    def noting(self, *prompts):
        asked.update(prompts)
        return original(self, *prompts)
    monkeypatch.setattr(AutoAttendant, "_play", noting)
    for flow in (test_unknown_conference_id_reprompts_then_gives_up, test_wrong_pin_reprompts_then_goodbye,
                 test_guest_records_a_name_then_joins, test_locked_pin_joins_as_a_guest,
                 test_unknown_caller_is_asked_for_the_extension, test_silence_counts_as_a_try,
                 test_leader_with_a_known_caller_id_joins_with_the_pin):
        flow()
    assert asked == ATTENDANT_PROMPTS


def test_keys_during_a_lookup_or_verification_are_not_input():
    attendant = AutoAttendant()
    finish_prompts(attendant, attendant.answered(0.0))
    keys(attendant, "123#")
    assert keys(attendant, "45#") == []
    assert attendant.state is AttendantState.LOOKUP
    attendant.conference_found("MEET2345", 2.0)
    finish_prompts(attendant, [PlayPrompt(Prompt.ENTER_PIN)])
    attendant.caller_user = ALICE
    keys(attendant, "80417#")
    assert keys(attendant, "9#") == [] and attendant.state is AttendantState.VERIFY
