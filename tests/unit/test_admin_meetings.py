"""The admin API's meeting and PIN routes as an ASGI app (no sockets) over a real SqlStore."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from uc_signal.admin import AdminContext, create_admin_app
from uc_signal.conferencing.directory import MeetingDirectory
from uc_signal.store import CachedUserDirectory, SqlStore, UserService, sqlite_url
from uc_signal.store.meetings import SqlMeetingStore

TOKEN = "unit-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def run_with_api(tmp_path: Path, body, *, conferencing: bool = True):
    async def go():
        store = SqlStore(sqlite_url(tmp_path / "ucd.sqlite3"))
        await store.open()
        users = UserService(store, CachedUserDirectory())
        await users.create("alice", "example.test", "pw", line_uri="tel:+14255550100;ext=100")
        context = AdminContext(
            users=users, domain="example.test", token=TOKEN, version="0.1.0", registrations=lambda now: [],
            listening=lambda: {}, metrics=lambda: (b"", "text/plain"), draining=lambda: False,
            meetings=MeetingDirectory(SqlMeetingStore(store), store) if conferencing else None)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_admin_app(context)),
                                         base_url="http://ucd", headers=AUTH) as client:
                return await body(client)
        finally:
            await store.close()
    return asyncio.run(go())


def test_scheduled_meeting_from_iso_times(tmp_path):
    async def body(client):
        response = await client.post("/api/v1/meetings", json={
            "organizer": "alice", "subject": "Review", "start": "2026-12-01T15:00:00Z",
            "end": "2026-12-01T16:00:00+00:00", "lobby_policy": "nobody"})
        assert response.status_code == 201, response.text
        meeting = response.json()
        assert meeting["kind"] == "scheduled" and meeting["lobby_policy"] == "nobody"
        assert meeting["start"] == 1796137200.0 and meeting["end"] == 1796140800.0
        naive = await client.post("/api/v1/meetings", json={"organizer": "alice", "start": "2026-12-01T15:00",
                                                            "end": "2026-12-01T16:00"})
        assert naive.json()["start"] == 1796137200.0   # no offset: UTC
    run_with_api(tmp_path, body)


def test_meeting_errors_name_the_field(tmp_path):
    async def body(client):
        cases = [({"organizer": "nobody"}, "organizer", "no user sip:nobody@example.test"),
                 ({"organizer": "al ice"}, "organizer", None),
                 ({"organizer": "alice", "start": "2026-12-01T15:00Z"}, "start", "needs a start and an end"),
                 ({"organizer": "alice", "start": "2026-12-01T16:00Z", "end": "2026-12-01T15:00Z"}, "end",
                  "after the start"),
                 ({"organizer": "alice", "kind": "meet-now", "start": "2026-12-01T15:00Z"}, "start", None),
                 ({"organizer": "alice", "presenter_policy": "boss"}, "presenter_policy", None),
                 ({"organizer": "alice", "subject": "x" * 300}, "subject", None),
                 ({"organizer": "alice", "colour": "red"}, "colour", None)]
        for payload, field, detail in cases:
            response = await client.post("/api/v1/meetings", json=payload)
            assert response.status_code == 422, (payload, response.text)
            assert response.json()["field"] == field, payload
            if detail:
                assert detail in response.json()["detail"]
        missing = await client.get("/api/v1/meetings/NOSUCH99")
        assert missing.status_code == 404 and missing.json()["detail"] == "no meeting NOSUCH99"
    run_with_api(tmp_path, body)


def test_pin_set_and_weak_pin(tmp_path):
    async def body(client):
        ok = await client.put("/api/v1/users/alice/pin", json={"pin": "80417"})
        assert ok.status_code == 200
        assert ok.json()["user"] == "sip:alice@example.test" and ok.json()["pin_set"] is True
        assert "80417" not in ok.text
        weak = await client.put("/api/v1/users/alice/pin", json={"pin": "12345"})
        assert weak.status_code == 422
        assert weak.json() == {"error": "invalid", "detail": "a PIN must not be an ascending run of digits",
                               "field": "pin"}
        unknown = await client.put("/api/v1/users/nobody/pin", json={"pin": "80417"})
        assert unknown.status_code == 404 and unknown.json()["detail"] == "no user sip:nobody@example.test"
    run_with_api(tmp_path, body)


def test_without_conferencing_the_routes_say_so(tmp_path):
    async def body(client):
        response = await client.get("/api/v1/meetings")
        assert response.status_code == 503
        assert response.json()["detail"] == "conferencing is not enabled on this server"
    run_with_api(tmp_path, body, conferencing=False)


def test_routes_want_the_token(tmp_path):
    async def body(client):
        response = await client.get("/api/v1/meetings", headers={"Authorization": "Bearer wrong-wrong-wrong"})
        assert response.status_code == 401
    run_with_api(tmp_path, body)
