"""The admin API's meeting and PIN routes as an ASGI app (no sockets) over a real SqlStore."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from uc_signal.admin import AdminContext, create_admin_app
from uc_signal.conferencing.directory import MeetingDirectory
from uc_signal.focus.meetings import DirectoryConferences, WatchedMeetingDirectory
from uc_signal.store import CachedUserDirectory, SqlStore, UserService, sqlite_url
from uc_signal.store.meetings import SqlMeetingStore

TOKEN = "unit-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def run_with_api(tmp_path: Path, body, *, conferencing: bool = True, view: DirectoryConferences | None = None):
    async def go():
        store = SqlStore(sqlite_url(tmp_path / "ucd.sqlite3"))
        await store.open()
        users = UserService(store, CachedUserDirectory())
        await users.create("alice", "example.test", "pw", line_uri="tel:+14255550100;ext=100")
        context = AdminContext(
            users=users, domain="example.test", token=TOKEN, version="0.1.0", registrations=lambda now: [],
            listening=lambda: {}, metrics=lambda: (b"", "text/plain"), draining=lambda: False,
            meetings=(None if not conferencing else MeetingDirectory(SqlMeetingStore(store), store) if view is None
                      else WatchedMeetingDirectory(SqlMeetingStore(store), store, view=view)))
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


def test_patch_changes_a_meeting_and_the_focus_view_follows(tmp_path):
    view = DirectoryConferences()

    async def body(client):
        created = (await client.post("/api/v1/meetings", json={
            "organizer": "alice", "subject": "Review", "start": "2026-12-01T15:00Z", "end": "2026-12-01T16:00Z",
            "lobby_policy": "nobody"})).json()
        response = await client.patch(f"/api/v1/meetings/{created['conference_id']}", json={
            "subject": "Design review", "lobby_policy": "outside-company", "presenter_policy": "everyone",
            "pstn_bypass_lobby": False, "end": "2026-12-01T17:00Z", "locked": True})
        assert response.status_code == 200, response.text
        changed = response.json()
        assert (changed["subject"], changed["lobby_policy"], changed["presenter_policy"]) == (
            "Design review", "outside-company", "everyone")
        assert changed["pstn_bypass_lobby"] is False and changed["locked"] is True
        assert changed["end"] == 1796144400.0 and changed["start"] == created["start"]
        assert changed["expires_at"] == 1796144400.0 + 14 * 86400   # the expiry moved with the end
        assert (await client.get(f"/api/v1/meetings/{created['meeting_id']}")).json() == changed
        # what the focus decides the next joiner by (a running meeting's roster follows it)
        seen = view.find(created["conference_uri"]).meeting
        assert (seen.lobby_policy.value, seen.locked, seen.subject) == ("outside-company", True, "Design review")
        expiry = await client.patch(f"/api/v1/meetings/{created['meeting_id']}",
                                    json={"expires_at": "2026-12-31T00:00Z", "lobby_policy": "nobody"})
        assert expiry.json()["expires_at"] == 1798675200.0 and expiry.json()["subject"] == "Design review"
    run_with_api(tmp_path, body, view=view)


def test_patch_errors_name_the_field(tmp_path):
    async def body(client):
        now_meeting = (await client.post("/api/v1/meetings", json={"organizer": "alice"})).json()
        scheduled = (await client.post("/api/v1/meetings", json={
            "organizer": "alice", "start": "2026-12-01T15:00Z", "end": "2026-12-01T16:00Z"})).json()
        cases = [(now_meeting, {"lobby_policy": "all"}, "lobby_policy", None),
                 (now_meeting, {"presenter_policy": "boss"}, "presenter_policy", None),
                 (now_meeting, {"end": "2026-12-01T16:00Z"}, "end", "a meet-now meeting has no end"),
                 (now_meeting, {"subject": "x" * 300}, "subject", None),
                 (now_meeting, {"locked": "maybe"}, "locked", None),
                 (now_meeting, {"organizer": "bob"}, "organizer", None),
                 (scheduled, {"end": "2026-12-01T14:00Z"}, "end", "after the start"),
                 (scheduled, {"expires_at": "2026-12-01T15:30Z"}, "expires_at", "after the end"),
                 (scheduled, {"end": "later"}, "end", None)]
        for meeting, payload, field, detail in cases:
            response = await client.patch(f"/api/v1/meetings/{meeting['meeting_id']}", json=payload)
            assert response.status_code == 422, (payload, response.text)
            assert response.json()["field"] == field, (payload, response.text)
            if detail:
                assert detail in response.json()["detail"], response.text
        unchanged = (await client.get(f"/api/v1/meetings/{scheduled['meeting_id']}")).json()
        assert unchanged == scheduled
        missing = await client.patch("/api/v1/meetings/NOSUCH99", json={"subject": "x"})
        assert missing.status_code == 404 and missing.json()["detail"] == "no meeting NOSUCH99"
        refused = await client.patch(f"/api/v1/meetings/{scheduled['meeting_id']}", json={"subject": "x"},
                                     headers={"Authorization": "Bearer wrong-wrong-wrong"})
        assert refused.status_code == 401
        schema = (await client.get("/api/openapi.json")).json()
        assert "patch" in schema["paths"]["/api/v1/meetings/{meeting}"]
    run_with_api(tmp_path, body)
