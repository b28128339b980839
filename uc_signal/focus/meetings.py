"""The focus's conference lookup over the meeting directory (uc_signal.conferencing).

The directory lives in the store and is async; the focus runs sans-IO and needs an answer
at once, so `DirectoryConferences` keeps the meetings in memory (the pattern of the
bindings): loaded at start-up, and kept current by `WatchedMeetingDirectory`, the
directory the admin API and ucctl use, which tells it of every meeting it creates or
deletes. Expired meetings are not found (the directory's own rule, `Meeting.is_expired`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..conferencing.admission import Joiner, MeetingPolicies, decide
from ..conferencing.directory import MeetingDirectory
from ..conferencing.meeting import Meeting
from .application import JoinDecision
from .directory import ConferenceHandle, conference_key, might_have_opaque


@dataclass(frozen=True)
class MeetingHandle:
    """A meeting as the focus sees it (ConferenceHandle), with the meeting for the rest
    (policies, organizer) that admission will read."""

    meeting: Meeting

    @property
    def uri(self) -> str:
        return self.meeting.conference_uri

    @property
    def conference_id(self) -> str:
        return self.meeting.conference_id


class DirectoryConferences:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._by_key: dict[str, Meeting] = {}

    def __len__(self) -> int:
        return len(self._by_key)

    async def load(self, directory: MeetingDirectory, now: float) -> None:
        for meeting in await directory.list(now):
            self.add(meeting)

    def add(self, meeting: Meeting) -> None:
        self._by_key[conference_key(meeting.conference_uri)] = meeting

    def remove(self, meeting: Meeting) -> None:
        self._by_key.pop(conference_key(meeting.conference_uri), None)

    def by_conference_id(self, conference_id: str) -> ConferenceHandle | None:
        """The meeting a dial-in caller keyed in (its numeric conference ID), if not expired."""
        now = self._clock()
        for meeting in self._by_key.values():
            if meeting.conference_id == conference_id and not meeting.is_expired(now):
                return MeetingHandle(meeting)
        return None

    def find(self, uri: str) -> ConferenceHandle | None:
        if not might_have_opaque(uri):
            return None   # every stored meeting's conference URI has one (conference_uri())
        meeting = self._by_key.get(conference_key(uri))
        if meeting is None or meeting.is_expired(self._clock()):
            return None
        return MeetingHandle(meeting)


log = logging.getLogger(__name__)


class WatchedMeetingDirectory(MeetingDirectory):
    """The meeting directory, telling `view` of the meetings it creates and deletes."""

    def __init__(self, *args: Any, view: DirectoryConferences, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.view = view
        self._writes: set[asyncio.Task[None]] = set()

    async def create(self, organizer: str, now: float, **kwargs: Any) -> Meeting:
        meeting = await super().create(organizer, now, **kwargs)
        self.view.add(meeting)
        return meeting

    async def modify(self, reference: str, now: float, **changes: Any) -> Meeting:
        """A meeting's settings changed (the focus factory's modifyConference): the view
        follows at once, so the next joiner sees them (a running meeting's roster takes a
        changed lock at its next join, as for the dial-in keypad's)."""
        meeting = await super().modify(reference, now, **changes)
        self.view.add(meeting)
        return meeting

    async def delete(self, reference: str) -> Meeting:
        meeting = await super().delete(reference)
        self.view.remove(meeting)
        return meeting

    async def get(self, reference: str, now: float | None = None) -> Meeting:
        await self.drain()   # a read sees every lock change made before it
        return await super().get(reference, now)

    async def list(self, now: float, organizer: str | None = None) -> list[Meeting]:
        await self.drain()
        return await super().list(now, organizer)

    def store_lock(self, meeting: Meeting) -> None:
        """A running meeting was locked or unlocked (C3P, the admin API, the dial-in
        keypad): the view at once, the store behind it (a task on the running loop), so a
        restarted ucd loads the meeting as it was left."""
        self.view.add(meeting)

        async def write() -> None:
            try:
                await self.meetings.set_locked(meeting.meeting_id, meeting.locked)
            except Exception:   # the meeting was deleted meanwhile, or the store failed
                log.exception("focus: storing the lock of meeting %s failed", meeting.meeting_id)
        task = asyncio.get_running_loop().create_task(write())
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def drain(self) -> None:
        """Wait for the lock writes still running (before the store closes)."""
        while self._writes:
            await asyncio.gather(*list(self._writes), return_exceptions=True)


def meeting_admission(handle: ConferenceHandle, entity: str, authenticated: bool) -> JoinDecision:
    """The focus's admission for a directory meeting: the meeting's table
    (`uc_signal.conferencing.decide`: the role, then organizer and presenters in, the lobby
    policy for the rest). An authenticated caller is a user of this server, so in the
    company. Every handle the focus gets in ucd is a stored meeting's (`DirectoryConferences`)."""
    assert isinstance(handle, MeetingHandle), handle
    meeting = handle.meeting
    policies = MeetingPolicies(meeting.organizer, meeting.presenter_policy, meeting.lobby_policy,
                               meeting.pstn_bypass_lobby, meeting.locked)
    admission = decide(policies, Joiner(entity, authenticated=authenticated, in_company=authenticated))
    return JoinDecision(admission.role.value, admission.waits)
