"""A meeting in the directory: who organised it, when it runs, how it is reached, and the
policies that decide who presents and who waits in the lobby.

Lync gives every meeting two addresses: a conference URI the clients join over SIP, which
is the organizer's GRUU with an opaque focus id (`sip:alice@example.test;gruu;opaque=
app:conf:focus:id:F3K4X9Q2`), and a numeric conference ID callers key in on the phone.
Both are made here; the store keeps them unique.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from ..store.model import check_domain, check_username

# Lync's meeting ids are 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L).
MEETING_ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MEETING_ID_LENGTH = 8
_MEETING_ID = re.compile(r"^[A-Z0-9]{4,32}$")
_CONFERENCE_ID = re.compile(r"^[0-9]{4,16}$")
FOCUS_OPAQUE_PREFIX = "app:conf:focus:id:"
_CONFERENCE_URI = re.compile(
    r"^sip:(?P<user>[^@;]+)@(?P<domain>[^;>]+);gruu;opaque=app:conf:focus:id:(?P<id>[A-Za-z0-9]+)$")
SUBJECT_MAX = 256


class MeetingKind(StrEnum):
    MEET_NOW = "meet-now"     # ad hoc: starts when created, no end time
    SCHEDULED = "scheduled"   # start and end set by the organizer


class PresenterPolicy(StrEnum):
    """Who joins as a presenter (Lync's "Who's a presenter?")."""

    NONE = "none"             # only the organizer; others are promoted in the meeting
    COMPANY = "company"       # authenticated people from the company
    EVERYONE = "everyone"     # everyone, anonymous and federated callers included


class LobbyPolicy(StrEnum):
    """Who waits in the lobby until a presenter admits them (Lync's "Who gets in directly?")."""

    NOBODY = "nobody"                     # everyone gets in directly
    UNAUTHENTICATED = "unauthenticated"   # anonymous callers wait; federated users do not
    OUTSIDE_COMPANY = "outside-company"   # anyone not authenticated as a company user waits


class InvalidMeetingError(ValueError):
    """A meeting field that fails validation; `field` names it (for a 422)."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


def new_meeting_id() -> str:
    return "".join(secrets.choice(MEETING_ID_ALPHABET) for _ in range(MEETING_ID_LENGTH))


def new_conference_id(digits: int) -> str:
    """A numeric conference ID without a leading zero (some gateways strip it)."""
    if not 4 <= digits <= 16:
        raise ValueError(f"conference ID length must be 4-16 digits, got {digits}")
    return str(secrets.randbelow(9 * 10 ** (digits - 1)) + 10 ** (digits - 1))


def conference_uri(organizer: str, meeting_id: str) -> str:
    """The focus URI clients join: the organizer's GRUU with the meeting's opaque id."""
    username, domain = split_aor(organizer)
    return f"sip:{username}@{domain};gruu;opaque={FOCUS_OPAQUE_PREFIX}{meeting_id}"


def parse_conference_uri(uri: str) -> tuple[str, str]:
    """(organizer AOR, meeting id) from a conference URI; InvalidMeetingError otherwise."""
    found = _CONFERENCE_URI.match(uri.strip().strip("<>"))
    if not found:
        raise InvalidMeetingError("conference_uri", "must look like sip:user@domain;gruu;opaque="
                                  f"{FOCUS_OPAQUE_PREFIX}ID, got {uri!r}")
    return f"sip:{found['user']}@{found['domain'].lower()}", found["id"].upper()


def split_aor(aor: str) -> tuple[str, str]:
    rest = aor[4:] if aor.lower().startswith("sip:") else aor
    username, at, domain = rest.partition("@")
    if not at:
        raise InvalidMeetingError("organizer", f"must be sip:user@domain, got {aor!r}")
    try:
        return check_username(username), check_domain(domain)
    except ValueError as error:
        raise InvalidMeetingError("organizer", str(error)) from None


@dataclass(frozen=True)
class Meeting:
    meeting_id: str
    conference_id: str
    organizer: str                     # sip:user@domain
    kind: MeetingKind
    subject: str = ""
    start: float | None = None         # epoch seconds; None for meet now
    end: float | None = None
    expires_at: float = 0.0            # after this the directory forgets the meeting
    presenter_policy: PresenterPolicy = PresenterPolicy.COMPANY
    lobby_policy: LobbyPolicy = LobbyPolicy.OUTSIDE_COMPANY
    pstn_bypass_lobby: bool = True     # callers on the phone get in directly
    locked: bool = False
    created_at: float = 0.0

    @property
    def conference_uri(self) -> str:
        return conference_uri(self.organizer, self.meeting_id)

    def is_expired(self, now: float) -> bool:
        return now >= self.expires_at

    def validated(self) -> Meeting:
        if not _MEETING_ID.match(self.meeting_id):
            raise InvalidMeetingError("meeting_id", f"must be 4-32 letters or digits, got {self.meeting_id!r}")
        if not _CONFERENCE_ID.match(self.conference_id):
            raise InvalidMeetingError("conference_id", f"must be 4-16 digits, got {self.conference_id!r}")
        username, domain = split_aor(self.organizer)
        if not isinstance(self.subject, str) or len(self.subject) > SUBJECT_MAX or not self.subject.isprintable():
            raise InvalidMeetingError("subject", f"must be at most {SUBJECT_MAX} printable characters")
        kind = _enum(MeetingKind, self.kind, "kind")
        if kind is MeetingKind.SCHEDULED:
            if self.start is None or self.end is None:
                raise InvalidMeetingError("start", "a scheduled meeting needs a start and an end")
            if self.end <= self.start:
                raise InvalidMeetingError("end", "must be after the start")
        elif self.start is not None or self.end is not None:
            raise InvalidMeetingError("start", "a meet-now meeting has no start or end")
        if self.expires_at <= (self.end if self.end is not None else self.created_at):
            raise InvalidMeetingError("expires_at", "must be after the end (or the creation of a meet-now)")
        return replace(self, organizer=f"sip:{username}@{domain}", kind=kind,
                       presenter_policy=_enum(PresenterPolicy, self.presenter_policy, "presenter_policy"),
                       lobby_policy=_enum(LobbyPolicy, self.lobby_policy, "lobby_policy"))

    def public(self) -> dict[str, Any]:
        return {"meeting_id": self.meeting_id, "conference_id": self.conference_id,
                "conference_uri": self.conference_uri, "organizer": self.organizer, "kind": self.kind.value,
                "subject": self.subject, "start": self.start, "end": self.end, "expires_at": self.expires_at,
                "presenter_policy": self.presenter_policy.value, "lobby_policy": self.lobby_policy.value,
                "pstn_bypass_lobby": self.pstn_bypass_lobby, "locked": self.locked, "created_at": self.created_at}


def _enum(kind: Any, value: Any, field_name: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise InvalidMeetingError(field_name, f"must be one of {', '.join(m.value for m in kind)}, "
                                  f"got {value!r}") from None


def default_expiry(kind: MeetingKind, created_at: float, end: float | None, keep_seconds: float) -> float:
    """Lync keeps a scheduled meeting for 14 days after its end; a meet-now has no end, so it
    is kept that long after it was made."""
    return (end if kind is MeetingKind.SCHEDULED and end is not None else created_at) + keep_seconds
