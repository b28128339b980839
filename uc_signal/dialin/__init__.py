"""Dial-in conferencing (issue 7): the access numbers' calls through the auto attendant
(`uc_signal.conferencing.attendant`) into a meeting on the focus.

- media.py: the attendant's narrow media interface (a leg in no conference: prompts,
  name recording, handover to the focus's room); engine_media.py: it on the engine, and
  `route_event` for the engine's DTMF, playback and recording events.
- application.py: `DialInApplication`, the chain application (INVITE to an access
  number, digits by RFC 4733 and SIP INFO, the join by `FocusApplication.adopt`, the
  in-meeting keypad).
- meetings.py: `DirectoryAccess`, the meeting directory as ucd gives it to the attendant.
"""

from .application import DialInApplication, DialInCall, MeetingAccess, access_key
from .media import AttendantLeg, AttendantMedia

__all__ = ["AttendantLeg", "AttendantMedia", "DialInApplication", "DialInCall", "MeetingAccess", "access_key"]
