"""DTMF from SIP INFO bodies and RFC 4733 events; the in-meeting keypad and its key map."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uc_signal.conferencing.dtmf import (DtmfBodyError, DtmfDigit, digit_from_event, parse_dtmf, parse_dtmf_relay,
                                         parse_info_body)
from uc_signal.conferencing.keypad import KeyMap, KeypadCommand, KeypadInterpreter


@pytest.mark.parametrize("event, digit", [(0, "0"), (9, "9"), (10, "*"), (11, "#"), (12, "A"), (15, "D")])
def test_rfc_4733_event_codes(event, digit):
    assert digit_from_event(event) == digit


@pytest.mark.parametrize("event", [-1, 16, 255])
def test_events_that_are_not_digits(event):
    with pytest.raises(DtmfBodyError):
        digit_from_event(event)


@pytest.mark.parametrize("body, expected", [
    (b"Signal=5\r\nDuration=160\r\n", DtmfDigit("5", 160)),
    (b"Signal=*\nDuration=100", DtmfDigit("*", 100)),
    (b"Signal= #\r\n", DtmfDigit("#", 250)),
    (b"signal=11\r\nduration=80\r\n", DtmfDigit("#", 80)),
    (b"Signal=a\r\nDuration=90\r\n", DtmfDigit("A", 90)),
])
def test_dtmf_relay_bodies(body, expected):
    assert parse_dtmf_relay(body) == expected
    assert parse_info_body("application/dtmf-relay", body) == expected


@pytest.mark.parametrize("body, reason", [
    (b"Duration=160\r\n", "no Signal"),
    (b"Signal=5\r\nDuration=ten\r\n", "Duration"),
    (b"Signal=55\r\n", "not a DTMF digit"),
    (b"Signal=16\r\n", "not a DTMF digit"),
    (b"Signal=\r\n", "not a DTMF digit"),
    (b"Signal 5\r\n", "name=value"),
    (b"Signal=\xff\r\n", "not ASCII"),
    (b"Signal=5\r\n" + b"x=y\r\n" * 100, "too long"),
])
def test_bad_dtmf_relay_bodies(body, reason):
    with pytest.raises(DtmfBodyError, match=reason):
        parse_dtmf_relay(body)


@pytest.mark.parametrize("body, digit", [(b"7", "7"), (b"7\r\n", "7"), (b"10", "*"), (b" 11 ", "#"), (b"d", "D")])
def test_application_dtmf_bodies(body, digit):
    assert parse_dtmf(body) == DtmfDigit(digit)
    assert parse_info_body("Application/DTMF; charset=us-ascii", body) == DtmfDigit(digit)


def test_other_content_types_carry_no_dtmf():
    with pytest.raises(DtmfBodyError, match="carries no DTMF"):
        parse_info_body("application/media_control+xml", b"<x/>")
    with pytest.raises(DtmfBodyError, match="no content type"):
        parse_info_body("", b"5")


@given(st.binary(max_size=300), st.sampled_from(["application/dtmf-relay", "application/dtmf", "text/plain"]))
def test_any_body_gives_a_digit_or_a_dtmf_body_error(body, content_type):
    try:
        found = parse_info_body(content_type, body)
    except DtmfBodyError:
        return
    assert found.digit in "0123456789*#ABCD" and len(found.digit) == 1


def test_lync_default_key_map():
    keys = KeyMap()
    assert keys.command_character == "*"
    assert {command: keys.command_for(key) for command, key in [
        ("help", "1"), ("roll-call", "3"), ("audience-mute", "4"), ("self-mute", "6"), ("lock", "7"),
        ("admit-all", "8"), ("announcements", "9")]} == {c: KeypadCommand(c) for c in (
            "help", "roll-call", "audience-mute", "self-mute", "lock", "admit-all", "announcements")}
    assert keys.command_for("2") is None and keys.command_for("0") is None


@pytest.mark.parametrize("kwargs, reason", [
    ({"command_character": "1"}, "command character"),
    ({"help": "*"}, "one digit"),
    ({"help": "12"}, "one digit"),
    ({"help": "6"}, "given to both"),
])
def test_bad_key_maps(kwargs, reason):
    with pytest.raises(ValueError, match=reason):
        KeyMap(**kwargs)


def test_interpreter_needs_the_command_character_first():
    keypad = KeypadInterpreter()
    assert keypad.digit("6", 0.0) is None
    assert keypad.digit("*", 1.0) is None
    assert keypad.deadline() == 4.0
    assert keypad.digit("6", 1.5) is KeypadCommand.SELF_MUTE
    assert keypad.deadline() is None


def test_interpreter_drops_a_stale_star_and_unmapped_keys():
    keypad = KeypadInterpreter(timeout=3.0)
    keypad.digit("*", 0.0)
    assert keypad.digit("6", 3.0) is None      # too late: the star expired
    keypad.digit("*", 4.0)
    assert keypad.digit("2", 4.5) is None      # unmapped
    keypad.digit("*", 5.0)
    assert keypad.digit("*", 5.5) is None      # a second star starts over
    assert keypad.digit("1", 6.0) is KeypadCommand.HELP


def test_interpreter_with_hash_as_the_command_character():
    keypad = KeypadInterpreter(KeyMap(command_character="#"))
    assert keypad.digit("*", 0.0) is None
    keypad.digit("#", 0.1)
    assert keypad.digit("7", 0.2) is KeypadCommand.LOCK


def test_interpreter_refuses_non_digits():
    with pytest.raises(ValueError):
        KeypadInterpreter().digit("x", 0.0)
