"""The focus's conference lookup over the meeting directory (uc_signal.conferencing).

The directory lives in the store and is async; the focus runs sans-IO and needs an answer
at once, so `DirectoryConferences` keeps the meetings in memory (the pattern of the
bindings): loaded at start-up, and kept current by `WatchedMeetingDirectory`, the
directory the admin API and ucctl use, which tells it of every meeting it creates or
deletes. Expired meetings are not found (the directory's own rule, `Meeting.is_expired`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..conferencing.admission import Joiner, MeetingPolicies, decide
from ..conferencing.directory import MeetingDirectory
from ..conferencing.meeting import Meeting
from .application import JoinDecision
from .directory import ConferenceHandle, conference_key


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
        meeting = self._by_key.get(conference_key(uri))
        if meeting is None or meeting.is_expired(self._clock()):
            return None
        return MeetingHandle(meeting)


class WatchedMeetingDirectory(MeetingDirectory):
    """The meeting directory, telling `view` of the meetings it creates and deletes."""

    def __init__(self, *args: Any, view: DirectoryConferences, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.view = view

    async def create(self, organizer: str, now: float, **kwargs: Any) -> Meeting:
        meeting = await super().create(organizer, now, **kwargs)
        self.view.add(meeting)
        return meeting

    async def delete(self, reference: str) -> Meeting:
        meeting = await super().delete(reference)
        self.view.remove(meeting)
        return meeting


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
