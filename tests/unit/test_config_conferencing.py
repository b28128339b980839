"""The [conferencing] section: defaults, validation, and the settings built from it."""

from __future__ import annotations

import pytest

from uc_signal.conferencing.keypad import KeypadCommand
from uc_signal.conferencing.meeting import LobbyPolicy, PresenterPolicy
from uc_signal.conferencing.meeting import Meeting, MeetingKind
from uc_signal.conferencing.settings import (attendant_settings, conference_for, directory_settings, key_map,
                                             pin_policy)
from uc_signal.config import ConfigError, config_from_dict


def test_defaults_build_lync_like_settings():
    section = config_from_dict({}).conferencing
    directory = directory_settings(section)
    assert directory.conference_id_digits == 7 and directory.keep_seconds == 14 * 86400.0
    assert (directory.presenter_policy, directory.lobby_policy, directory.pstn_bypass_lobby) == (
        PresenterPolicy.COMPANY, LobbyPolicy.OUTSIDE_COMPANY, True)
    assert pin_policy(section).min_length == 5
    assert key_map(section).command_for("6") is KeypadCommand.SELF_MUTE
    assert attendant_settings(section).max_tries == 3


def test_values_are_applied():
    section = config_from_dict({"conferencing": {
        "presenters": "everyone", "lobby": "nobody", "pin_min_length": 6, "dtmf_self_mute": "5",
        "dtmf_command_character": "#", "dialin_max_tries": 2, "dialin_record_names": False,
        "meeting_keep_days": 1}}).conferencing
    assert directory_settings(section).presenter_policy is PresenterPolicy.EVERYONE
    assert directory_settings(section).keep_seconds == 86400.0
    assert pin_policy(section).min_length == 6
    assert key_map(section).command_for("5") is KeypadCommand.SELF_MUTE
    assert key_map(section).command_character == "#"
    assert attendant_settings(section).max_tries == 2 and not attendant_settings(section).record_names


@pytest.mark.parametrize("values, key, reason", [
    ({"conference_id_digits": 3}, "conferencing.conference_id_digits", "must be an integer 4-16"),
    ({"presenters": "boss"}, "conferencing.presenters", "must be one of none, company, everyone"),
    ({"lobby": "all"}, "conferencing.lobby", "must be one of nobody"),
    ({"pstn_bypass_lobby": "yes"}, "conferencing.pstn_bypass_lobby", "must be true or false"),
    ({"pin_min_length": 30}, "conferencing.pin_min_length", "must be an integer 4-24"),
    ({"meeting_keep_days": 0}, "conferencing.meeting_keep_days", "positive number of days"),
    ({"dtmf_help": 1}, "conferencing.dtmf_help", "one digit"),
    ({"dtmf_help": "*"}, "conferencing.dtmf_help", "one digit"),
    ({"dtmf_command_character": "0"}, "conferencing.dtmf_command_character", "must be"),
    ({"dtmf_lock": "6"}, "conferencing.dtmf_lock", "must differ from conferencing.dtmf_self_mute"),
    ({"pin_lenght": 5}, "conferencing.pin_lenght", "unknown key"),
])
def test_bad_values_name_the_key(values, key, reason):
    with pytest.raises(ConfigError) as error:
        config_from_dict({"conferencing": values})
    assert error.value.key == key
    assert reason in error.value.reason


def test_a_conference_gets_the_configured_lobby_timeout_and_size():
    section = config_from_dict({"conferencing": {"lobby_timeout": 60, "max_participants": 1000}}).conferencing
    meeting = Meeting("ABCD2345", "1234567", "sip:alice@example.test", MeetingKind.MEET_NOW, expires_at=1.0)
    conference = conference_for(meeting, section)
    assert (conference.lobby_timeout, conference.max_participants) == (60.0, 1000)
