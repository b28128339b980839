"""The focus's lookup over the meeting directory (real SQL store, SQLite file): meetings
created and deleted through the directory are found and forgotten at once, a restart
reloads them, expired ones are not found, and admission follows each meeting's policies."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from uc_signal.focus import JoinDecision
from uc_signal.focus.meetings import (DirectoryConferences, MeetingHandle, WatchedMeetingDirectory,
                                     meeting_admission)
from uc_signal.store import SqlStore, UserRecord, sqlite_url
from uc_signal.store.meetings import SqlMeetingStore

NOW = 1_800_000_000.0


def run(tmp_path: Path, body: Any, view: DirectoryConferences) -> Any:
    async def go() -> Any:
        store = SqlStore(sqlite_url(tmp_path / "ucd.sqlite3"))
        await store.open()
        try:
            if await store.get_user("alice", "example.test") is None:
                await store.create_user(UserRecord("alice", "example.test", "Alice"))
            directory = WatchedMeetingDirectory(SqlMeetingStore(store), store, view=view)
            await view.load(directory, NOW)
            return await body(directory)
        finally:
            await store.close()
    return asyncio.run(go())


def test_meetings_are_found_as_they_are_created_and_deleted(tmp_path: Path) -> None:
    clock = [NOW]
    view = DirectoryConferences(clock=lambda: clock[0])

    async def body(directory: WatchedMeetingDirectory) -> str:
        meeting = await directory.create("sip:alice@example.test", NOW)
        found = view.find(meeting.conference_uri + ";transport=udp")
        assert isinstance(found, MeetingHandle)
        assert found.uri == meeting.conference_uri and found.conference_id == meeting.conference_id
        gone = await directory.create("sip:alice@example.test", NOW)
        await directory.delete(gone.meeting_id)
        assert view.find(gone.conference_uri) is None
        return meeting.conference_uri

    uri = run(tmp_path, body, view)
    # A restart: a new view loaded from the store finds the meeting that is left.
    reloaded = DirectoryConferences(clock=lambda: clock[0])

    async def nothing(directory: WatchedMeetingDirectory) -> None:
        return None

    run(tmp_path, nothing, reloaded)
    assert len(reloaded) == 1 and reloaded.find(uri) is not None
    clock[0] = NOW + 400 * 86400.0     # long after a meet-now's expiry
    assert reloaded.find(uri) is None


def test_roles_and_the_lobby_come_from_the_meetings_admission_table(tmp_path: Path) -> None:
    view = DirectoryConferences(clock=lambda: NOW)

    async def body(directory: WatchedMeetingDirectory) -> str:
        return (await directory.create("sip:alice@example.test", NOW)).conference_uri

    handle = view.find(run(tmp_path, body, view))
    assert handle is not None
    # Defaults: presenters "company", lobby "outside-company".
    assert meeting_admission(handle, "sip:alice@example.test", True) == JoinDecision("organizer", False)
    assert meeting_admission(handle, "sip:bob@example.test", True) == JoinDecision("presenter", False)  # company
    assert meeting_admission(handle, "sip:guest@elsewhere.invalid", False) == JoinDecision("attendee", True)
