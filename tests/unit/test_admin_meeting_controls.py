"""The admin API's roster and control routes on a running meeting (ASGI, no sockets), over
the sans-IO focus and roster of test_focus_roster; and ucctl's meeting commands."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from uc_signal.admin import AdminContext, create_admin_app
from uc_signal.focus.meetings import WatchedMeetingDirectory
from uc_signal.store import CachedUserDirectory, SqlStore, UserService, sqlite_url
from uc_signal.store.meetings import SqlMeetingStore
from uc_signal.ucctl.cli import app as ucctl_app

from uc_signal.conferencing import PresenterPolicy

from test_focus_roster import ORGANIZER, Setup, entity, external_join, join, make_setup

TOKEN = "unit-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def run_with_api(tmp_path: Path, setup: Setup | None, body):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        store = SqlStore(sqlite_url(tmp_path / "ucd.sqlite3"))
        await store.open()
        users = UserService(store, CachedUserDirectory())
        for name in ("alice", "bob"):
            await users.create(name, "example.com", "pw")
        meetings = WatchedMeetingDirectory(SqlMeetingStore(store), store, view=setup.view) if setup else None
        context = AdminContext(
            users=users, domain="example.com", token=TOKEN, version="0.1.0", registrations=lambda now: [],
            listening=lambda: {}, metrics=lambda: (b"", "text/plain"), draining=lambda: False,
            roster=(lambda: setup.roster) if setup is not None else (lambda: None),
            focus=(lambda: setup.focus) if setup is not None else (lambda: None), meetings=meetings)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_admin_app(context)),
                                         base_url="http://ucd", headers=AUTH) as client:
                return await body(client)
        finally:
            await store.close()
    return asyncio.run(go())


def test_roster_and_controls_through_the_admin_api(tmp_path: Path) -> None:
    setup = make_setup(presenter_policy=PresenterPolicy.NONE)
    net = setup.net
    alice, bob = net.agent("alice", "192.0.2.10"), net.agent("bob", "192.0.2.11")
    guest = net.agent("guest", "192.0.2.12", user=False)
    join(setup, alice)
    join(setup, bob)
    guest.autoanswer = lambda event: (200, [])
    external_join(net, guest, setup.meeting.conference_uri)

    async def body(client: httpx.AsyncClient) -> None:
        roster = (await client.get("/api/v1/meetings/4711/roster")).json()
        assert roster["meeting_id"] == "R0STER" and not roster["locked"]
        people = {p["entity"]: (p["role"], p["state"]) for p in roster["participants"]}
        assert people == {ORGANIZER: ("organizer", "connected"), entity("bob"): ("attendee", "connected"),
                          "sip:guest@partner.test": ("attendee", "lobby")}
        # By meeting ID too.
        assert (await client.get("/api/v1/meetings/R0STER/roster")).status_code == 200
        mute = await client.post("/api/v1/meetings/4711/controls/mute", json={"participant": entity("bob")})
        assert mute.status_code == 200, mute.text
        assert setup.person("bob").muted
        admit = await client.post("/api/v1/meetings/4711/controls/admit",
                                  json={"participant": "sip:guest@partner.test"})
        assert admit.status_code == 200
        assert not [p for p in setup.running().participants.values() if p.in_lobby]
        again = await client.post("/api/v1/meetings/4711/controls/admit",
                                  json={"participant": "sip:guest@partner.test"})
        assert again.status_code == 409 and again.json()["error"] == "conflict"
        assert (await client.post("/api/v1/meetings/4711/controls/eject",
                                  json={"participant": ORGANIZER})).status_code == 403
        assert (await client.post("/api/v1/meetings/4711/controls/eject",
                                  json={"participant": "sip:nobody@example.com"})).status_code == 404
        assert (await client.post("/api/v1/meetings/4711/controls/eject")).status_code == 422
        assert (await client.post("/api/v1/meetings/4711/controls/explode")).status_code == 422
        assert (await client.post("/api/v1/meetings/9999/controls/lock")).status_code == 404
        assert (await client.post("/api/v1/meetings/4711/controls/lock")).status_code == 200
        assert (await client.get("/api/v1/meetings/4711/roster")).json()["locked"] is True
        assert (await client.post("/api/v1/meetings/4711/controls/end")).status_code == 200
        assert (await client.get("/api/v1/meetings/4711/roster")).status_code == 404

    run_with_api(tmp_path, setup, body)
    net.run()
    assert len(bob.requests("BYE")) == 1


def test_an_escalation_makes_a_meet_now_meeting_and_refers_both_parties(tmp_path: Path) -> None:
    setup = make_setup(view_clock=time.time)   # the API makes the meeting at wall-clock time
    net = setup.net
    alice, bob = net.agent("alice", "192.0.2.10"), net.agent("bob", "192.0.2.11")
    for ua in (alice, bob):
        assert ua.register().status == 200
        ua.autoanswer = lambda event: (202, []) if event.request.method == "REFER" else (200, [])
    created: list[dict] = []

    async def body(client: httpx.AsyncClient) -> None:
        response = await client.post("/api/v1/meetings/escalations",
                                     json={"organizer": "alice", "parties": ["alice", "bob"], "subject": "Escalated"})
        assert response.status_code == 201, response.text
        created.append(response.json())
        bad = await client.post("/api/v1/meetings/escalations", json={"organizer": "nobody", "parties": ["bob"]})
        assert bad.status_code == 422 and bad.json()["field"] == "organizer"

    run_with_api(tmp_path, setup, body)
    net.run()
    [escalation] = created
    uri = escalation["conference_uri"]
    assert escalation["referred"] == {entity("alice"): ["sip:alice@192.0.2.10:5060"],
                                      entity("bob"): ["sip:bob@192.0.2.11:5060"]}
    for ua in (alice, bob):
        [refer] = [e.request for e in ua.requests("REFER")]
        assert refer.headers.get("Refer-To") == f"<{uri}>"
    # The referred party INVITEs the new meeting: the focus knows it at once.
    from test_focus_dialogs import invite, offer_sdp
    assert invite(net, bob, uri, offer_sdp("192.0.2.11")).status == 200
    assert setup.roster.roster(uri) is not None
    assert alice.requests("INVITE") == []   # alice took the REFER: no dial-out


def test_a_party_refusing_the_escalation_refer_is_dialled_in(tmp_path: Path) -> None:
    setup = make_setup(view_clock=time.time)
    net = setup.net
    bob = net.agent("bob", "192.0.2.11")
    assert bob.register().status == 200
    bob.autoanswer = lambda event: (501, []) if event.request.method == "REFER" else None

    async def body(client: httpx.AsyncClient) -> None:
        response = await client.post("/api/v1/meetings/escalations", json={"organizer": "alice", "parties": ["bob"]})
        assert response.status_code == 201, response.text

    run_with_api(tmp_path, setup, body)
    net.run()
    [refer] = bob.requests("REFER")
    [dial] = bob.requests("INVITE")          # the focus calls bob in instead
    assert dial.request.from_ is not None and "opaque=app:conf:focus:id:" in dial.request.from_.uri_text


def test_controls_are_503_without_the_focus(tmp_path: Path) -> None:
    async def body(client: httpx.AsyncClient) -> None:
        response = await client.post("/api/v1/meetings/4711/controls/lock")
        assert response.status_code == 503 and response.json()["error"] == "unavailable"
    run_with_api(tmp_path, None, body)


def test_ucctl_meeting_commands_call_the_routes(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[tuple[str, str, object]] = []

    class Recording:
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            pass

        def meeting_control(self, meeting: str, control: str, participant: str | None = None) -> dict:
            calls.append((meeting, control, participant))
            return {"control": control, "participant": participant}

        def close(self) -> None:
            pass

    import uc_signal.ucctl.cli as cli
    monkeypatch.setattr(cli, "AdminClient", Recording, raising=False)
    runner = CliRunner()
    for args in (["mute", "4711", "sip:bob@example.com"], ["mute", "4711", "--unmute", "p2"], ["mute", "4711"],
                 ["eject", "4711", "p3"], ["lock", "4711"], ["lock", "4711", "--unlock"], ["admit", "4711"],
                 ["admit", "4711", "p4", "--deny"], ["promote", "4711", "p2"], ["end", "4711"]):
        result = runner.invoke(ucctl_app, ["--url", "http://ucd", "--token", TOKEN, "meeting", *args, "--json"])
        assert result.exit_code == 0, result.output
    assert calls == [("4711", "mute", "sip:bob@example.com"), ("4711", "unmute", "p2"), ("4711", "audience-mute", None),
                     ("4711", "eject", "p3"), ("4711", "lock", None), ("4711", "unlock", None),
                     ("4711", "admit-all", None), ("4711", "deny", "p4"), ("4711", "promote", "p2"),
                     ("4711", "end", None)]
