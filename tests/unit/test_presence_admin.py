"""Presence through the admin API (ASGI, no sockets) over a real SqlStore: relationships
and settings are stored durably (reloaded into a fresh service), applied to the live
service at once, the calendar imported from iCalendar; and ucd's [presence] section."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from uc_signal.admin import AdminContext, create_admin_app
from uc_signal.admin.presence_routes import PresenceAdmin
from uc_signal.config import ConfigError, config_from_dict
from uc_signal.presence import (Activity, Availability, PresenceConfig, PresenceService, PublishedState,
                                Relationship, WatcherAuthorization, parse_busy)
from uc_signal.presence.calendar import CalendarError
from uc_signal.store import CachedUserDirectory, SqlStore, UserService, sqlite_url
from uc_signal.store.presence import PresenceStore
from uc_signal.ucd.presence import presence_config

TOKEN = "unit-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ALICE = "sip:alice@example.test"

ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
BEGIN:VFREEBUSY\r
FREEBUSY;FBTYPE=BUSY:20300101T100000Z/20300101T110000Z,20300101T150000Z/PT30M\r
FREEBUSY;FBTYPE=FREE:20300101T120000Z/20300101T130000Z\r
END:VFREEBUSY\r
BEGIN:VEVENT\r
SUMMARY:Standup\r
DTSTART:20300102T090000Z\r
DURATION:PT15M\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART:20300102T100000Z\r
DTEND:20300102T110000Z\r
TRANSP:TRANSPARENT\r
END:VEVENT\r
END:VCALENDAR\r
"""


def run_with_api(tmp_path: Path, body):
    async def go():
        store = SqlStore(sqlite_url(tmp_path / "ucd.sqlite3"))
        await store.open()
        service = PresenceService(PresenceConfig(), ("example.test",))
        pokes: list[int] = []
        context = AdminContext(
            users=UserService(store, CachedUserDirectory()), domain="example.test", token=TOKEN, version="0.1.0",
            registrations=lambda now: [], listening=lambda: {}, metrics=lambda: (b"", "text/plain"),
            draining=lambda: False, presence=PresenceAdmin(service, PresenceStore(store), lambda: pokes.append(1)))
        app = create_admin_app(context)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ucd") as client:
                result = await body(client, service)
            reloaded = PresenceService(PresenceConfig(), ("example.test",))
            await PresenceStore(store).load_into(reloaded)
            return result, reloaded, pokes
        finally:
            await store.close()
    return asyncio.run(go())


def test_relationships_are_set_listed_cleared_and_stored(tmp_path):
    async def body(client, service):
        response = await client.put("/api/v1/presence/alice/relationships/bob", headers=AUTH,
                                    json={"relationship": "Workgroup"})
        assert response.status_code == 200
        assert response.json() == {"presentity": ALICE, "watcher": "sip:bob@example.test", "relationship": "workgroup"}
        await client.put("/api/v1/presence/alice/relationships/sip:eve@partner.example", headers=AUTH,
                         json={"relationship": "blocked"})
        await client.put("/api/v1/presence/alice/relationships/carol", headers=AUTH, json={"relationship": "friends"})
        await client.delete("/api/v1/presence/alice/relationships/carol", headers=AUTH)
        assert service.relationship(ALICE, "sip:eve@partner.example") is Relationship.BLOCKED
        listed = (await client.get("/api/v1/presence/alice/relationships", headers=AUTH)).json()
        assert [(row["watcher"], row["relationship"]) for row in listed] == [
            ("sip:bob@example.test", "workgroup"), ("sip:eve@partner.example", "blocked")]
        bad = await client.put("/api/v1/presence/alice/relationships/bob", headers=AUTH, json={"relationship": "x"})
        assert bad.status_code == 422 and bad.json()["field"] == "relationship"
        assert (await client.get("/api/v1/presence/alice/relationships")).status_code == 401
    _, reloaded, pokes = run_with_api(tmp_path, body)
    assert reloaded.relationships_of(ALICE) == {"sip:bob@example.test": Relationship.WORKGROUP,
                                                "sip:eve@partner.example": Relationship.BLOCKED}
    assert len(pokes) == 4


def test_settings_and_card_are_stored_and_applied(tmp_path):
    async def body(client, service):
        response = await client.patch("/api/v1/presence/alice/settings", headers=AUTH, json={
            "privacy_mode": True, "authorization": "confirm", "card": {"title": "CTO", "work_phone": "+1 555 0100"}})
        assert response.status_code == 200
        assert response.json()["card"]["title"] == "CTO" and response.json()["privacy_mode"] is True
        assert service.settings_for(ALICE).authorization is WatcherAuthorization.CONFIRM
        bad = await client.patch("/api/v1/presence/alice/settings", headers=AUTH, json={"authorization": "maybe"})
        assert bad.status_code == 422
        back = await client.patch("/api/v1/presence/alice/settings", headers=AUTH, json={"authorization": "policy"})
        assert back.json()["authorization"] == "open" and back.json()["set_here"]["authorization"] is None
        await client.patch("/api/v1/presence/alice/settings", headers=AUTH, json={"authorization": "confirm"})
        state = (await client.get("/api/v1/presence/alice", headers=AUTH)).json()
        assert state["availability"] == "offline" and state["lync_availability"] == 18500
    _, reloaded, _ = run_with_api(tmp_path, body)
    settings = reloaded.settings_for(ALICE)
    assert settings.privacy_mode and settings.card.title == "CTO" and settings.card.work_phone == "+1 555 0100"


def test_a_calendar_is_imported_and_makes_in_a_meeting(tmp_path):
    async def body(client, service):
        response = await client.put("/api/v1/presence/alice/calendar",
                                    headers={**AUTH, "Content-Type": "text/calendar"}, content=ICS.encode())
        assert response.status_code == 200 and response.json()["calendar_intervals"] == 3
        bad = await client.put("/api/v1/presence/alice/calendar", headers=AUTH, content=b"BEGIN:VCARD\r\n")
        assert bad.status_code == 422 and bad.json()["field"] == "calendar"
        in_meeting = service.calendar(ALICE).intervals[0].start + 60
        return service.aggregate(ALICE, in_meeting)
    aggregate, reloaded, _ = run_with_api(tmp_path, body)
    assert aggregate.activity is None   # no endpoint: Offline, a meeting does not sign anyone in
    assert len(reloaded.calendar(ALICE).intervals) == 3


def test_icalendar_parsing() -> None:
    intervals = parse_busy(ICS)
    assert [(i.end - i.start) for i in intervals] == [3600, 1800, 900]
    with pytest.raises(CalendarError, match="TZID"):
        parse_busy("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;TZID=Europe/Paris:20300101T100000\nEND:VEVENT\n")
    with pytest.raises(CalendarError, match="impossible"):
        parse_busy("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20301301T100000Z\nEND:VEVENT\n")
    folded = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2030010\n 1T100000Z\nDTEND:20300101T103000Z\nEND:VEVENT\n"
    assert len(parse_busy(folded)) == 1


def test_meeting_from_the_calendar_shows_while_published() -> None:
    service = PresenceService(PresenceConfig(idle_timeout=1e9), ("example.test",))
    now = time.time()
    intervals = parse_busy(ICS)
    start = intervals[0].start
    service.publish(ALICE, PublishedState(Availability.AVAILABLE, False), start + 3600 - now, now)
    service.set_calendar(ALICE, intervals, now)
    assert service.aggregate(ALICE, start + 1).activity is Activity.IN_A_MEETING
    assert service.aggregate(ALICE, start - 1).activity is None


def test_the_presence_section_of_the_config() -> None:
    config = config_from_dict({"presence": {"idle_timeout": 60, "default_authorization": "confirm", "custom_states": [
        {"text": "Working from home", "availability": "available"},
        {"text": "Presenting", "availability": "do-not-disturb"}]},
        "policies": {"presence": {"Executive": {"authorization": "confirm", "privacy_mode": True},
                                  "Open": {"authorization": "open"}}}})
    built = presence_config(config)
    executive = built.policy("Executive")
    assert executive is not None and executive.privacy_mode is True
    assert executive.authorization is WatcherAuthorization.CONFIRM
    assert built.policy("Open").privacy_mode is False   # type: ignore[union-attr]
    assert built.idle_timeout == 60 and built.default_authorization is WatcherAuthorization.CONFIRM
    assert built.custom_state("presenting").availability is Availability.DO_NOT_DISTURB   # type: ignore[union-attr]
    for bad, key in (({"custom_states": [{"text": "x", "availability": "away"}]}, "presence.custom_states"),
                     ({"custom_states": [{"text": "y" * 65, "availability": "busy"}]}, "presence.custom_states"),
                     ({"custom_states": [{"text": str(i), "availability": "busy"} for i in range(5)]},
                      "presence.custom_states"),
                     ({"default_expires": 10}, "presence.default_expires")):
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            config_from_dict({"presence": bad})
    for bad_policy in ({"X": {"authorization": "maybe"}}, {"X": {"colour": "red"}}):
        with pytest.raises(ConfigError, match=r"policies\.presence"):
            config_from_dict({"policies": {"presence": bad_policy}})


def test_ucd_reads_each_users_presence_policy_from_the_directory(tmp_path):
    from uc_signal.rls import ContactDirectory
    from uc_signal.store import CachedUserDirectory, UserRecord
    from uc_signal.ucd.presence import load_presence

    config = config_from_dict({"sip": {"domain": "example.test"},
                               "policies": {"presence": {"Executive": {"authorization": "confirm"}}}})

    async def go():
        store = SqlStore(sqlite_url(tmp_path / "ucd.sqlite3"))
        await store.open()
        try:
            directory = CachedUserDirectory()
            contacts = ContactDirectory()
            service, _ = await load_presence(config, store, directory, contacts)
            before = service.authorization(ALICE)
            directory.put(UserRecord("alice", "example.test", policies={"presence": "Executive"}))
            return before, service.authorization(ALICE), service.authorization("sip:bob@example.test")
        finally:
            await store.close()
    before, after, bob = asyncio.run(go())
    assert (before, after, bob) == (WatcherAuthorization.OPEN, WatcherAuthorization.CONFIRM, WatcherAuthorization.OPEN)
