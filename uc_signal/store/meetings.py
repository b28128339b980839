"""The meeting directory's storage: meetings and leader PINs, behind `MeetingStore`.

Like `Store` (base.py) it is async and backend-neutral; `SqlMeetingStore` works on an open
`SqlStore`'s engine, so meetings and users share one database and one transaction scope
(a meeting and a PIN belong to a user row and go with it: ON DELETE CASCADE).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..conferencing.meeting import LobbyPolicy, Meeting, MeetingKind, PresenterPolicy, split_aor
from .model import StoreError, UserNotFoundError
from .sql import SqlStore
from .tables import meetings, user_pins, users


class MeetingNotFoundError(StoreError):
    def __init__(self, reference: str) -> None:
        super().__init__(f"no meeting {reference}")
        self.reference = reference


class DuplicateMeetingError(StoreError):
    """A meeting or conference ID already taken (the directory draws another)."""


@dataclass(frozen=True)
class PinRecord:
    user: str              # sip:user@domain
    pin_hash: str
    failed_attempts: int
    locked_out: bool
    updated_at: float


class MeetingStore(abc.ABC):
    @abc.abstractmethod
    async def create_meeting(self, meeting: Meeting) -> Meeting:
        """Insert; UserNotFoundError if the organizer is no user, DuplicateMeetingError if
        the meeting or conference ID is taken."""

    @abc.abstractmethod
    async def get_meeting(self, meeting_id: str) -> Meeting | None: ...

    @abc.abstractmethod
    async def find_by_conference_id(self, conference_id: str) -> Meeting | None: ...

    @abc.abstractmethod
    async def list_meetings(self, organizer: str | None = None) -> list[Meeting]: ...

    @abc.abstractmethod
    async def set_locked(self, meeting_id: str, locked: bool) -> Meeting:
        """MeetingNotFoundError if absent."""

    @abc.abstractmethod
    async def update_meeting(self, meeting: Meeting) -> Meeting:
        """Store a meeting's settings (subject, times, policies, lock; not its IDs or
        organizer); MeetingNotFoundError if absent."""

    @abc.abstractmethod
    async def delete_meeting(self, meeting_id: str) -> None:
        """MeetingNotFoundError if absent."""

    @abc.abstractmethod
    async def purge_expired_meetings(self, now: float) -> int:
        """Delete meetings with expires_at <= now; how many."""

    @abc.abstractmethod
    async def set_pin(self, user: str, pin_hash: str, now: float) -> PinRecord:
        """Replace the user's PIN hash, clearing failures and lockout; UserNotFoundError."""

    @abc.abstractmethod
    async def get_pin(self, user: str) -> PinRecord | None: ...

    @abc.abstractmethod
    async def record_pin_attempt(self, user: str, success: bool, max_attempts: int, now: float) -> PinRecord:
        """Count a failed check (locking at `max_attempts`) or clear the count on success."""


class SqlMeetingStore(MeetingStore):
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    async def _user_id(self, connection: AsyncConnection, aor: str) -> int:
        username, domain = split_aor(aor)
        user_id = (await connection.execute(select(users.c.id).where(
            users.c.username == username, users.c.domain == domain))).scalar()
        if user_id is None:
            raise UserNotFoundError(f"sip:{username}@{domain}")
        return int(user_id)

    async def create_meeting(self, meeting: Meeting) -> Meeting:
        meeting = meeting.validated()
        async with self.store.engine.begin() as connection:
            organizer_id = await self._user_id(connection, meeting.organizer)
            try:
                await connection.execute(insert(meetings).values(
                    meeting_id=meeting.meeting_id, conference_id=meeting.conference_id, organizer_id=organizer_id,
                    kind=meeting.kind.value, subject=meeting.subject, starts_at=meeting.start, ends_at=meeting.end,
                    expires_at=meeting.expires_at, presenter_policy=meeting.presenter_policy.value,
                    lobby_policy=meeting.lobby_policy.value, pstn_bypass_lobby=meeting.pstn_bypass_lobby,
                    locked=meeting.locked, created_at=meeting.created_at))
            except IntegrityError:
                raise DuplicateMeetingError(f"meeting {meeting.meeting_id} or conference ID "
                                            f"{meeting.conference_id} exists") from None
        return meeting

    async def _select(self, *conditions: ColumnElement[bool]) -> list[Meeting]:
        query = (select(meetings, users.c.username, users.c.domain)
                 .join(users, users.c.id == meetings.c.organizer_id)
                 .where(*conditions).order_by(meetings.c.created_at, meetings.c.id))
        async with self.store.engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [Meeting(meeting_id=row["meeting_id"], conference_id=row["conference_id"],
                        organizer=f"sip:{row['username']}@{row['domain']}", kind=MeetingKind(row["kind"]),
                        subject=row["subject"], start=row["starts_at"], end=row["ends_at"],
                        expires_at=row["expires_at"], presenter_policy=PresenterPolicy(row["presenter_policy"]),
                        lobby_policy=LobbyPolicy(row["lobby_policy"]), pstn_bypass_lobby=bool(row["pstn_bypass_lobby"]),
                        locked=bool(row["locked"]), created_at=row["created_at"]) for row in rows]

    async def get_meeting(self, meeting_id: str) -> Meeting | None:
        found = await self._select(meetings.c.meeting_id == meeting_id.upper())
        return found[0] if found else None

    async def find_by_conference_id(self, conference_id: str) -> Meeting | None:
        found = await self._select(meetings.c.conference_id == conference_id)
        return found[0] if found else None

    async def list_meetings(self, organizer: str | None = None) -> list[Meeting]:
        if organizer is None:
            return await self._select()
        username, domain = split_aor(organizer)
        return await self._select(users.c.username == username, users.c.domain == domain)

    async def set_locked(self, meeting_id: str, locked: bool) -> Meeting:
        async with self.store.engine.begin() as connection:
            result = await connection.execute(update(meetings).where(
                meetings.c.meeting_id == meeting_id.upper()).values(locked=locked))
            if result.rowcount == 0:
                raise MeetingNotFoundError(meeting_id)
        found = await self.get_meeting(meeting_id)
        assert found is not None
        return found

    async def update_meeting(self, meeting: Meeting) -> Meeting:
        meeting = meeting.validated()
        async with self.store.engine.begin() as connection:
            result = await connection.execute(update(meetings).where(
                meetings.c.meeting_id == meeting.meeting_id.upper()).values(
                    subject=meeting.subject, starts_at=meeting.start, ends_at=meeting.end,
                    expires_at=meeting.expires_at, presenter_policy=meeting.presenter_policy.value,
                    lobby_policy=meeting.lobby_policy.value, pstn_bypass_lobby=meeting.pstn_bypass_lobby,
                    locked=meeting.locked))
            if result.rowcount == 0:
                raise MeetingNotFoundError(meeting.meeting_id)
        found = await self.get_meeting(meeting.meeting_id)
        assert found is not None
        return found

    async def delete_meeting(self, meeting_id: str) -> None:
        async with self.store.engine.begin() as connection:
            result = await connection.execute(delete(meetings).where(meetings.c.meeting_id == meeting_id.upper()))
            if result.rowcount == 0:
                raise MeetingNotFoundError(meeting_id)

    async def purge_expired_meetings(self, now: float) -> int:
        async with self.store.engine.begin() as connection:
            result = await connection.execute(delete(meetings).where(meetings.c.expires_at <= now))
            return int(result.rowcount or 0)

    async def set_pin(self, user: str, pin_hash: str, now: float) -> PinRecord:
        async with self.store.engine.begin() as connection:
            user_id = await self._user_id(connection, user)
            await connection.execute(delete(user_pins).where(user_pins.c.user_id == user_id))
            await connection.execute(insert(user_pins).values(user_id=user_id, pin_hash=pin_hash, failed_attempts=0,
                                                              locked_out=False, updated_at=now))
        found = await self.get_pin(user)
        assert found is not None
        return found

    async def get_pin(self, user: str) -> PinRecord | None:
        username, domain = split_aor(user)
        query = (select(user_pins).join(users, users.c.id == user_pins.c.user_id)
                 .where(users.c.username == username, users.c.domain == domain))
        async with self.store.engine.connect() as connection:
            row = (await connection.execute(query)).mappings().first()
        if row is None:
            return None
        return PinRecord(f"sip:{username}@{domain}", row["pin_hash"], row["failed_attempts"], bool(row["locked_out"]),
                         row["updated_at"])

    async def record_pin_attempt(self, user: str, success: bool, max_attempts: int, now: float) -> PinRecord:
        async with self.store.engine.begin() as connection:
            user_id = await self._user_id(connection, user)
            row = (await connection.execute(select(user_pins).where(user_pins.c.user_id == user_id))).mappings().first()
            if row is None:
                raise UserNotFoundError(user)
            failures = 0 if success else row["failed_attempts"] + 1
            await connection.execute(update(user_pins).where(user_pins.c.user_id == user_id).values(
                failed_attempts=failures, locked_out=bool(row["locked_out"]) or failures >= max_attempts))
        found = await self.get_pin(user)
        assert found is not None
        return found
