"""The meeting directory service: what the admin API (and later the focus and the dial-in
attendant) call to make, find and remove meetings and to set and check leader PINs.

It draws meeting and conference IDs (again on the rare collision), fills in the
configured defaults and expiry, applies the PIN policy against the user's own numbers,
and keeps PIN failures in the store so a lockout survives a restart. PIN hashing (scrypt,
tens of milliseconds by design) runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from functools import lru_cache

from ..store.base import Store
from ..store.meetings import DuplicateMeetingError, MeetingNotFoundError, MeetingStore, PinRecord
from ..store.model import UserNotFoundError, UserRecord
from .attendant import PinResult
from .meeting import (InvalidMeetingError, LobbyPolicy, Meeting, MeetingKind, PresenterPolicy, default_expiry, new_conference_id,
                      new_meeting_id, parse_conference_uri, split_aor)
from .pin import PinPolicy, check_pin, hash_pin, numbers_of, verify_pin

_ID_DRAWS = 20   # collisions are rare (10^7 IDs); a bounded number of draws, then an error


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_pin("00000000")


@dataclass(frozen=True)
class DirectorySettings:
    conference_id_digits: int = 7
    keep_seconds: float = 14 * 86400.0
    presenter_policy: PresenterPolicy = PresenterPolicy.COMPANY
    lobby_policy: LobbyPolicy = LobbyPolicy.OUTSIDE_COMPANY
    pstn_bypass_lobby: bool = True
    pin_policy: PinPolicy = field(default_factory=PinPolicy)


@dataclass(frozen=True)
class PinCheck:
    result: PinResult
    user: str | None = None


class MeetingDirectory:
    def __init__(self, meetings: MeetingStore, users: Store, settings: DirectorySettings | None = None) -> None:
        self.meetings = meetings
        self.users = users
        self.settings = settings or DirectorySettings()

    async def create(self, organizer: str, now: float, *, kind: MeetingKind = MeetingKind.MEET_NOW,
                     subject: str = "", start: float | None = None, end: float | None = None,
                     presenter_policy: PresenterPolicy | None = None, lobby_policy: LobbyPolicy | None = None,
                     pstn_bypass_lobby: bool | None = None) -> Meeting:
        settings = self.settings
        kind = MeetingKind(kind)
        for _ in range(_ID_DRAWS):
            meeting = Meeting(
                meeting_id=new_meeting_id(), conference_id=new_conference_id(settings.conference_id_digits),
                organizer=organizer, kind=kind, subject=subject, start=start, end=end,
                expires_at=default_expiry(kind, now, end, settings.keep_seconds),
                presenter_policy=presenter_policy or settings.presenter_policy,
                lobby_policy=lobby_policy or settings.lobby_policy,
                pstn_bypass_lobby=settings.pstn_bypass_lobby if pstn_bypass_lobby is None else pstn_bypass_lobby,
                created_at=now)
            try:
                return await self.meetings.create_meeting(meeting)
            except DuplicateMeetingError:
                continue
        raise DuplicateMeetingError(f"no free conference ID after {_ID_DRAWS} draws: raise "
                                    "conferencing.conference_id_digits")

    async def get(self, reference: str, now: float | None = None) -> Meeting:
        """By meeting ID, conference ID (all digits) or conference URI; expired ones are gone."""
        reference = reference.strip()
        if reference.lower().startswith("sip:"):
            # a URI names the meeting ID, even one drawn all digits
            reference = parse_conference_uri(reference)[1]
            found = await self.meetings.get_meeting(reference)
        else:
            found = (await self.meetings.find_by_conference_id(reference) if reference.isdigit()
                     else await self.meetings.get_meeting(reference))
        if found is None or (now is not None and found.is_expired(now)):
            raise MeetingNotFoundError(reference)
        return found

    async def list(self, now: float, organizer: str | None = None) -> list[Meeting]:
        return [m for m in await self.meetings.list_meetings(organizer) if not m.is_expired(now)]

    async def modify(self, reference: str, now: float, *, subject: str | None = None, end: float | None = None,
                     expires_at: float | None = None, presenter_policy: PresenterPolicy | None = None,
                     lobby_policy: LobbyPolicy | None = None, pstn_bypass_lobby: bool | None = None,
                     locked: bool | None = None) -> Meeting:
        """Change a meeting's settings (None: unchanged). A new end of a scheduled meeting
        moves its expiry with it (kept `keep_seconds` after), unless an expiry is given.
        InvalidMeetingError if the result fails validation (an end on a meet-now, an
        expiry before the end), MeetingNotFoundError if there is no such meeting."""
        meeting = await self.get(reference, now)
        if end is not None and meeting.kind is not MeetingKind.SCHEDULED:
            # the meeting's own validation would name "start"; the change asked for is the end
            raise InvalidMeetingError("end", "a meet-now meeting has no end (only a scheduled one's can change)")
        changes: dict[str, object] = {}
        if subject is not None:
            changes["subject"] = subject
        if end is not None:
            changes["end"] = end
            if expires_at is None and meeting.kind is MeetingKind.SCHEDULED:
                changes["expires_at"] = default_expiry(meeting.kind, meeting.created_at, end,
                                                       self.settings.keep_seconds)
        if expires_at is not None:
            changes["expires_at"] = expires_at
        for name, value in (("presenter_policy", presenter_policy), ("lobby_policy", lobby_policy),
                            ("pstn_bypass_lobby", pstn_bypass_lobby), ("locked", locked)):
            if value is not None:
                changes[name] = value
        return await self.meetings.update_meeting(replace(meeting, **changes))  # type: ignore[arg-type]

    async def delete(self, reference: str) -> Meeting:
        meeting = await self.get(reference)
        await self.meetings.delete_meeting(meeting.meeting_id)
        return meeting

    async def purge_expired(self, now: float) -> int:
        return await self.meetings.purge_expired_meetings(now)

    # --- PINs ------------------------------------------------------------------------------

    async def _user(self, aor: str) -> UserRecord:
        username, domain = split_aor(aor)
        record = await self.users.get_user(username, domain)
        if record is None:
            raise UserNotFoundError(f"sip:{username}@{domain}")
        return record

    async def set_pin(self, user: str, pin: str, now: float) -> PinRecord:
        """WeakPinError if the PIN breaks the policy (the user's own numbers included)."""
        record = await self._user(user)
        check_pin(pin, self.settings.pin_policy, numbers_of(record.line_uri))
        return await self.meetings.set_pin(record.aor, await asyncio.to_thread(hash_pin, pin), now)

    async def user_by_extension(self, digits: str) -> UserRecord | None:
        """The user whose line URI's extension, or whole number, is `digits` (what a caller
        keys in when the caller ID names nobody)."""
        for record in await self.users.list_users():
            numbers = numbers_of(record.line_uri)
            if digits and any(number.lstrip("+") == digits.lstrip("+") for number in numbers):
                return record
        return None

    async def check_pin(self, pin: str, now: float, *, user: str | None = None,
                        extension: str | None = None) -> PinCheck:
        """Verify a dial-in leader's PIN; counts failures and locks at the policy's maximum."""
        record: UserRecord | None
        try:
            record = await self._user(user) if user is not None else None
        except UserNotFoundError:
            record = None
        if record is None and extension is not None:
            record = await self.user_by_extension(extension)
        stored = await self.meetings.get_pin(record.aor) if record is not None else None
        if record is None or stored is None:
            # the same work for an unknown user: no timing oracle
            await asyncio.to_thread(verify_pin, pin, await asyncio.to_thread(_dummy_hash))
            return PinCheck(PinResult.REJECTED)
        if stored.locked_out:
            return PinCheck(PinResult.LOCKED_OUT, record.aor)
        ok = await asyncio.to_thread(verify_pin, pin, stored.pin_hash)
        after = await self.meetings.record_pin_attempt(record.aor, ok, self.settings.pin_policy.max_attempts, now)
        if ok:
            return PinCheck(PinResult.ACCEPTED, record.aor)
        return PinCheck(PinResult.LOCKED_OUT if after.locked_out else PinResult.REJECTED, record.aor)
