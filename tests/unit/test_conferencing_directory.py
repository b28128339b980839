"""The meeting directory over the real SQL store (SQLite file): meetings, expiry, cascade
with the organizer, leader PINs with policy, hashing and lockout."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from uc_signal.conferencing import meeting as meeting_module
from uc_signal.conferencing.attendant import PinResult
from uc_signal.conferencing.directory import DirectorySettings, MeetingDirectory
from uc_signal.conferencing.meeting import LobbyPolicy, MeetingKind, PresenterPolicy
from uc_signal.conferencing.pin import PinPolicy, WeakPinError
from uc_signal.store import SqlStore, UserNotFoundError, UserRecord, sqlite_url
from uc_signal.store.meetings import DuplicateMeetingError, MeetingNotFoundError, SqlMeetingStore

DAY = 86400.0
NOW = 1_800_000_000.0


def with_directory(tmp_path: Path, body, settings: DirectorySettings | None = None):
    async def go():
        store = SqlStore(sqlite_url(tmp_path / "ucd.sqlite3"))
        await store.open()
        try:
            if await store.get_user("alice", "example.test") is None:   # a reopened file has them
                await store.create_user(UserRecord("alice", "example.test", "Alice",
                                                   line_uri="tel:+14255550100;ext=100"))
                await store.create_user(UserRecord("bob", "example.test", "Bob"))
            return await body(MeetingDirectory(SqlMeetingStore(store), store, settings), store)
        finally:
            await store.close()
    return asyncio.run(go())


def test_meet_now_and_scheduled_meetings_persist(tmp_path):
    async def body(directory, _store):
        now_meeting = await directory.create("sip:alice@example.test", NOW, subject="Sync")
        scheduled = await directory.create("sip:bob@example.test", NOW, kind=MeetingKind.SCHEDULED,
                                           start=NOW + 3600, end=NOW + 7200, presenter_policy=PresenterPolicy.NONE,
                                           lobby_policy=LobbyPolicy.NOBODY, pstn_bypass_lobby=False)
        return now_meeting, scheduled
    now_meeting, scheduled = with_directory(tmp_path, body)
    assert now_meeting.kind is MeetingKind.MEET_NOW and now_meeting.expires_at == NOW + 14 * DAY
    assert (now_meeting.presenter_policy, now_meeting.lobby_policy) == (PresenterPolicy.COMPANY,
                                                                         LobbyPolicy.OUTSIDE_COMPANY)
    assert scheduled.expires_at == NOW + 7200 + 14 * DAY and not scheduled.pstn_bypass_lobby

    async def reopen(directory, _store):   # a second open of the same file: still there
        return (await directory.get(now_meeting.meeting_id), await directory.get(scheduled.conference_id),
                await directory.get(scheduled.conference_uri), await directory.list(NOW),
                await directory.list(NOW, "sip:bob@example.test"))
    by_id, by_number, by_uri, everything, bobs = with_directory(tmp_path, reopen)
    assert by_id == now_meeting and by_number == scheduled and by_uri == scheduled
    assert [m.meeting_id for m in everything] == [now_meeting.meeting_id, scheduled.meeting_id]
    assert bobs == [scheduled]


def test_expired_meetings_are_not_found_or_listed_and_are_purged(tmp_path):
    async def body(directory, _store):
        meeting = await directory.create("sip:alice@example.test", NOW)
        later = NOW + 15 * DAY
        with pytest.raises(MeetingNotFoundError):
            await directory.get(meeting.meeting_id, later)
        assert await directory.list(later) == []
        assert await directory.purge_expired(later) == 1
        with pytest.raises(MeetingNotFoundError):
            await directory.get(meeting.meeting_id)
    with_directory(tmp_path, body)


def test_unknown_organizer_and_unknown_meeting(tmp_path):
    async def body(directory, _store):
        with pytest.raises(UserNotFoundError):
            await directory.create("sip:nobody@example.test", NOW)
        with pytest.raises(MeetingNotFoundError, match="no meeting 99999"):
            await directory.get("99999")
        with pytest.raises(MeetingNotFoundError):
            await directory.delete("ZZZZ9999")
    with_directory(tmp_path, body)


def test_delete_and_lock(tmp_path):
    async def body(directory, _store):
        meeting = await directory.create("sip:alice@example.test", NOW)
        locked = await directory.meetings.set_locked(meeting.meeting_id, True)
        assert locked.locked
        assert (await directory.delete(meeting.conference_id)).meeting_id == meeting.meeting_id
        assert await directory.list(NOW) == []
        with pytest.raises(MeetingNotFoundError):
            await directory.meetings.set_locked(meeting.meeting_id, False)
    with_directory(tmp_path, body)


def test_meetings_and_pins_go_with_their_user(tmp_path):
    async def body(directory, store):
        await directory.create("sip:alice@example.test", NOW)
        await directory.set_pin("sip:alice@example.test", "80417", NOW)
        await store.delete_user("alice", "example.test")
        return await directory.list(NOW)
    assert with_directory(tmp_path, body) == []
    connection = sqlite3.connect(tmp_path / "ucd.sqlite3")
    try:
        assert connection.execute("SELECT count(*) FROM user_pins").fetchone() == (0,)
    finally:
        connection.close()


def test_conference_id_collisions_draw_again_then_give_up(tmp_path, monkeypatch):
    async def body(directory, _store):
        draws = iter(["1111111", "1111111", "2222222"])
        monkeypatch.setattr("uc_signal.conferencing.directory.new_conference_id", lambda digits: next(draws))
        first = await directory.create("sip:alice@example.test", NOW)
        second = await directory.create("sip:alice@example.test", NOW)
        assert (first.conference_id, second.conference_id) == ("1111111", "2222222")
        monkeypatch.setattr("uc_signal.conferencing.directory.new_conference_id", lambda digits: "1111111")
        with pytest.raises(DuplicateMeetingError, match="no free conference ID"):
            await directory.create("sip:alice@example.test", NOW)
    with_directory(tmp_path, body)
    assert meeting_module.new_conference_id(7) != ""   # the real one is untouched


def test_pin_is_stored_as_a_hash_only(tmp_path):
    async def body(directory, _store):
        record = await directory.set_pin("sip:alice@example.test", "80417", NOW)
        assert record.user == "sip:alice@example.test" and not record.locked_out
    with_directory(tmp_path, body)
    connection = sqlite3.connect(tmp_path / "ucd.sqlite3")
    try:
        (stored,) = connection.execute("SELECT pin_hash FROM user_pins").fetchone()
    finally:
        connection.close()
    assert stored.startswith("scrypt$") and "80417" not in stored


@pytest.mark.parametrize("pin, reason", [("1234", "at least 5"), ("33333", "repeat"), ("00100", "extension"),
                                         ("55501", "phone number")])
def test_weak_pins_are_refused_against_the_users_numbers(tmp_path, pin, reason):
    async def body(directory, _store):
        with pytest.raises(WeakPinError, match=reason):
            await directory.set_pin("sip:alice@example.test", pin, NOW)
    with_directory(tmp_path, body)


def test_pin_for_an_unknown_user(tmp_path):
    async def body(directory, _store):
        with pytest.raises(UserNotFoundError):
            await directory.set_pin("sip:nobody@example.test", "80417", NOW)
    with_directory(tmp_path, body)


def test_pin_checks_by_user_or_extension_and_lockout(tmp_path):
    settings = DirectorySettings(pin_policy=PinPolicy(max_attempts=2))

    async def body(directory, _store):
        await directory.set_pin("sip:alice@example.test", "80417", NOW)
        results = [await directory.check_pin("80417", NOW, user="sip:alice@example.test"),
                   await directory.check_pin("80417", NOW, extension="100"),
                   await directory.check_pin("80417", NOW, extension="+14255550100"),
                   await directory.check_pin("80417", NOW, extension="999"),
                   await directory.check_pin("80417", NOW, user="sip:bob@example.test"),     # no PIN set
                   await directory.check_pin("80417", NOW, user="sip:nobody@example.test"),
                   await directory.check_pin("11111", NOW, user="sip:alice@example.test"),
                   await directory.check_pin("80417", NOW, user="sip:alice@example.test"),  # success resets
                   await directory.check_pin("11111", NOW, user="sip:alice@example.test"),
                   await directory.check_pin("11112", NOW, user="sip:alice@example.test"),  # second: locks
                   await directory.check_pin("80417", NOW, user="sip:alice@example.test")]
        await directory.set_pin("sip:alice@example.test", "80417", NOW)                     # unlocks
        results.append(await directory.check_pin("80417", NOW, user="sip:alice@example.test"))
        return [(r.result, r.user) for r in results]
    alice = "sip:alice@example.test"
    assert with_directory(tmp_path, body, settings) == [
        (PinResult.ACCEPTED, alice), (PinResult.ACCEPTED, alice), (PinResult.ACCEPTED, alice),
        (PinResult.REJECTED, None), (PinResult.REJECTED, None), (PinResult.REJECTED, None),
        (PinResult.REJECTED, alice), (PinResult.ACCEPTED, alice), (PinResult.REJECTED, alice),
        (PinResult.LOCKED_OUT, alice), (PinResult.LOCKED_OUT, alice), (PinResult.ACCEPTED, alice)]


def test_migration_0002_downgrades_and_upgrades_again(tmp_path):
    from alembic import command

    from uc_signal.store.migrate import alembic_config, head_revision

    async def go():
        store = SqlStore(sqlite_url(tmp_path / "ucd.sqlite3"))
        await store.open()
        async with store.engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), "0001"))
        down = await store.schema_version()
        await store.close()
        store = SqlStore(sqlite_url(tmp_path / "ucd.sqlite3"))
        await store.open()   # upgrades to the head again
        try:
            return down, await store.schema_version()
        finally:
            await store.close()
    assert asyncio.run(go()) == ("0001", head_revision())   # 0002, or a later revision chained after it
    connection = sqlite3.connect(tmp_path / "ucd.sqlite3")
    try:
        indexes = {row[1] for row in connection.execute("PRAGMA index_list(meetings)")}
    finally:
        connection.close()
    assert {"ix_meetings_organizer_id", "ix_meetings_expires_at"} <= indexes
