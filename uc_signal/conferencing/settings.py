"""The [conferencing] configuration section turned into the settings each part takes."""

from __future__ import annotations

from ..config.schema import ConferencingSection
from .attendant import AttendantSettings
from .conference import Conference
from .directory import DirectorySettings
from .keypad import KeyMap
from .meeting import LobbyPolicy, Meeting, PresenterPolicy
from .pin import PinPolicy


def pin_policy(section: ConferencingSection) -> PinPolicy:
    return PinPolicy(min_length=section.pin_min_length, max_attempts=section.pin_max_attempts,
                     allow_common_patterns=section.pin_allow_common_patterns)


def directory_settings(section: ConferencingSection) -> DirectorySettings:
    return DirectorySettings(conference_id_digits=section.conference_id_digits,
                             keep_seconds=section.meeting_keep_days * 86400.0,
                             presenter_policy=PresenterPolicy(section.presenters),
                             lobby_policy=LobbyPolicy(section.lobby), pstn_bypass_lobby=section.pstn_bypass_lobby,
                             pin_policy=pin_policy(section))


def key_map(section: ConferencingSection) -> KeyMap:
    return KeyMap(command_character=section.dtmf_command_character, help=section.dtmf_help,
                  roll_call=section.dtmf_roll_call, audience_mute=section.dtmf_audience_mute,
                  self_mute=section.dtmf_self_mute, lock=section.dtmf_lock, admit_all=section.dtmf_admit_all,
                  announcements=section.dtmf_announcements)


def attendant_settings(section: ConferencingSection) -> AttendantSettings:
    return AttendantSettings(max_tries=section.dialin_max_tries, digit_timeout=section.dialin_digit_timeout,
                             max_pin_digits=24, record_names=section.dialin_record_names)


def conference_for(meeting: Meeting, section: ConferencingSection) -> Conference:
    """A running conference for a directory meeting, with the configured lobby timeout and size."""
    return Conference.for_meeting(meeting, lobby_timeout=section.lobby_timeout,
                                  max_participants=section.max_participants)
