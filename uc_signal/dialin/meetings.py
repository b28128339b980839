"""The dial-in attendant's view of the meeting directory in ucd (`MeetingAccess`).

Conference IDs are looked up in the focus's in-memory meetings (`DirectoryConferences`),
so the attendant answers at once; PIN checks run on the event loop as tasks
(`MeetingDirectory.check_pin`: scrypt in a worker thread, failures counted in the store)
and come back through `done`, after which `poke` lets the SIP core re-read its deadlines
and send what the attendant decided. Lock changes write the view at once and the store
behind it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from ..conferencing.admission import Joiner, MeetingPolicies, Role, decide
from ..conferencing.attendant import PinResult
from ..conferencing.directory import MeetingDirectory
from ..focus.directory import ConferenceHandle
from ..focus.meetings import DirectoryConferences, MeetingHandle

log = logging.getLogger(__name__)


class DirectoryAccess:
    def __init__(self, view: DirectoryConferences, directory: MeetingDirectory, poke: Callable[[], None]) -> None:
        self.view = view
        self.directory = directory
        self.poke = poke
        self._tasks: set[asyncio.Task[None]] = set()

    def find(self, conference_id: str) -> ConferenceHandle | None:
        return self.view.by_conference_id(conference_id)

    def check_pin(self, pin: str, *, user: str | None, extension: str | None,
                  done: Callable[[PinResult, str | None, float], None]) -> None:
        async def check() -> None:
            try:
                result = await self.directory.check_pin(pin, time.time(), user=user, extension=extension)
                done(result.result, result.user, time.time())
            except Exception:   # the store failed: the caller hears "wrong PIN", never silence
                log.exception("dialin: PIN check failed")
                done(PinResult.REJECTED, None, time.time())
            self.poke()
        self._spawn(check())

    def admission(self, handle: ConferenceHandle, entity: str, *, leader: bool, dialed_in: bool) -> tuple[Role, bool]:
        assert isinstance(handle, MeetingHandle), handle   # every meeting is a stored one
        meeting = handle.meeting
        policies = MeetingPolicies(meeting.organizer, meeting.presenter_policy, meeting.lobby_policy,
                                   meeting.pstn_bypass_lobby, meeting.locked)
        admission = decide(policies, Joiner(entity, authenticated=leader, in_company=leader, via_pstn=dialed_in))
        return admission.role, admission.waits

    def locked(self, handle: ConferenceHandle) -> bool:
        return isinstance(handle, MeetingHandle) and self._current(handle).locked

    def set_locked(self, handle: ConferenceHandle, locked: bool) -> None:
        if not isinstance(handle, MeetingHandle):
            return
        meeting = replace(self._current(handle), locked=locked)
        self.view.add(meeting)

        async def store() -> None:
            try:
                await self.directory.meetings.set_locked(meeting.meeting_id, locked)
            except Exception:
                log.exception("dialin: storing the lock of %s failed", meeting.meeting_id)
        self._spawn(store())

    def _current(self, handle: MeetingHandle) -> Any:
        found = self.view.by_conference_id(handle.conference_id)
        return found.meeting if isinstance(found, MeetingHandle) else handle.meeting

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
