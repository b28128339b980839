"""The conferencing focus (RFC 4353, RFC 4579): the SIP dialogs of a meeting's
participants and their legs in the media engine's audio mix.

- directory.py: `ConferenceLookup` (what the meeting directory implements), conference
  URI keys; meetings.py: the lookup over the stored meetings.
- media.py: the narrow media interface (rooms and legs, SDP in and out);
  engine_media.py: it on `uc_media.Engine`.
- conference.py: running conferences, participants, mute, active speakers, observers.
- application.py: `FocusApplication`, the chain application (INVITE/ACK/BYE/re-INVITE,
  REFER for escalation).
"""

from .application import (AdmissionDecision, DialOut, FocusApplication, JoinDecision, Referral, UnknownConference,
                          UnknownParticipant)
from .conference import ConferenceObserver, Participant, ParticipantState, RunningConference
from .directory import ConferenceHandle, ConferenceLookup, conference_key, looks_like_conference_uri
from .media import MediaLeg, MediaRoom, MediaRooms, OfferRejected, RoomFull

__all__ = [
    "AdmissionDecision", "ConferenceHandle", "ConferenceLookup", "DialOut", "JoinDecision", "ConferenceObserver", "FocusApplication", "MediaLeg", "MediaRoom",
    "MediaRooms", "OfferRejected", "Participant", "ParticipantState", "Referral", "RoomFull", "RunningConference",
    "UnknownConference", "UnknownParticipant", "conference_key",
    "looks_like_conference_uri",
]
