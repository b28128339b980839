"""uc_signal.conferencing: the conferencing workload's sans-IO parts.

- meeting.py: meetings (meet now, scheduled), conference URI and numeric conference ID,
  presenter and lobby policies; pin.py: leader PIN policy and hashing.
- admission.py: who joins as what and who waits in the lobby (one decision table).
- conference.py: a running meeting's roster and permission-checked controls, returning
  actions (actions.py); speakers.py: active speakers with a hold time.
- conference_info.py / conference_info_xml.py / subscription.py: the RFC 4575 event
  package (data, XML both ways with safe parsing, per-subscriber full and partial documents).
- dtmf.py: DTMF digits from SIP INFO bodies; keypad.py: in-meeting commands and key map;
  attendant.py: the dial-in auto attendant; prompts.py: prompt names, text and audio.
- directory.py: the meeting directory service over the store (async), used by the admin API.
"""

from .actions import (Action, Announce, ConferenceEnded, ConnectToMix, Disconnect, PlayRollCall, PlayToEndpoint,
                      SetMuted, SpeakersChanged, StartLobbyMusic, StateChanged)
from .admission import Admission, Joiner, LobbyReason, MeetingPolicies, Role, decide, role_for
from .attendant import (ATTENDANT_PROMPTS, AttendantSettings, AttendantState, AttendantStateError, AutoAttendant,
                        HangUp, JoinMeeting, LookupConference, PinResult, PlayPrompt, RecordName, RunCommand,
                        StopPrompt, StopRecording, VerifyPin)
from .conference import (Conference, ConferenceEndedError, ConferenceFullError, ControlError, Endpoint,
                         InvalidControlError, JoinState, NotPermittedError, Participant, UnknownParticipantError)
from .conference_info import (ConferenceInfo, ConferenceInfoMismatch, DescriptionInfo, DocState, EndpointInfo,
                              MediaInfo, StateInfo, UserInfo, apply, diff)
from .conference_info_xml import CONTENT_TYPE, ConferenceInfoError, build, parse
from .dtmf import DtmfBodyError, DtmfDigit, digit_from_event, parse_info_body
from .keypad import KeyMap, KeypadCommand, KeypadInterpreter
from .meeting import (InvalidMeetingError, LobbyPolicy, Meeting, MeetingKind, PresenterPolicy, conference_uri,
                      parse_conference_uri)
from .pin import PinPolicy, WeakPinError, check_pin, hash_pin, verify_pin
from .prompts import Prompt, PromptAudio, PromptError, load_prompt
from .speakers import ActiveSpeakers
from .subscription import ConferenceEvents, ConferenceSubscription

__all__ = [
    "ATTENDANT_PROMPTS", "Action", "ActiveSpeakers", "Admission", "Announce", "AttendantSettings", "AttendantState",
    "AttendantStateError", "AutoAttendant", "CONTENT_TYPE", "Conference", "ConferenceEnded", "ConferenceEndedError",
    "ConferenceEvents", "ConferenceFullError", "ConferenceInfo", "ConferenceInfoError", "ConferenceInfoMismatch",
    "ConferenceSubscription", "ConnectToMix", "ControlError", "DescriptionInfo", "Disconnect", "DocState",
    "DtmfBodyError", "DtmfDigit", "Endpoint", "EndpointInfo", "HangUp", "InvalidControlError",
    "InvalidMeetingError", "JoinMeeting", "JoinState", "Joiner", "KeyMap", "KeypadCommand", "KeypadInterpreter",
    "LobbyPolicy", "LobbyReason", "LookupConference", "MediaInfo", "Meeting", "MeetingKind", "MeetingPolicies",
    "NotPermittedError", "Participant", "PinPolicy", "PinResult", "PlayPrompt", "PlayRollCall", "PlayToEndpoint",
    "PresenterPolicy", "Prompt", "PromptAudio", "PromptError", "RecordName", "Role", "RunCommand", "SetMuted",
    "SpeakersChanged", "StartLobbyMusic", "StateChanged", "StateInfo", "StopPrompt", "StopRecording",
    "UnknownParticipantError", "UserInfo", "VerifyPin", "WeakPinError", "apply", "build", "check_pin",
    "conference_uri", "decide", "diff", "digit_from_event", "hash_pin", "load_prompt", "parse",
    "parse_conference_uri", "parse_info_body", "role_for", "verify_pin",
]
