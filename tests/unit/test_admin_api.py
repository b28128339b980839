"""The admin API as an ASGI app (no sockets): a real SqlStore on a temporary SQLite file,
bindings handed in as the location service would."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from uc_signal.admin import AdminContext, create_admin_app
from uc_signal.directory import Binding
from uc_signal.sip.digest import DigestAlgorithm
from uc_signal.store import CachedUserDirectory, SqlStore, UserService, sqlite_url

TOKEN = "unit-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def run_with_api(tmp_path: Path, body, *, draining: bool = False, bindings: list[Binding] | None = None):
    async def go():
        store = SqlStore(sqlite_url(tmp_path / "ucd.sqlite3"))
        await store.open()
        directory = CachedUserDirectory()
        context = AdminContext(
            users=UserService(store, directory), domain="example.test", token=TOKEN, version="0.1.0",
            registrations=lambda now: [b for b in (bindings or []) if b.expires_at > now],
            listening=lambda: {"UDP": ["127.0.0.1:5060"]}, metrics=lambda: (b"ucd_users 0.0\n", "text/plain"),
            draining=lambda: draining)
        app = create_admin_app(context)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ucd") as client:
                return await body(client, directory)
        finally:
            await store.close()
    return asyncio.run(go())


def test_created_user_is_in_the_sip_directory_at_once(tmp_path):
    async def body(client, directory):
        response = await client.post("/api/v1/users", headers=AUTH, json={"user": "alice", "password": "pw"})
        assert response.status_code == 201
        assert directory.find_user("alice", "example.test") is not None
        assert directory.ha1("alice", "example.test", DigestAlgorithm.MD5) is not None
        await client.patch("/api/v1/users/alice", headers=AUTH, json={"enabled": False})
        assert directory.find_user("alice", "example.test").enabled is False
        await client.delete("/api/v1/users/alice", headers=AUTH)
        assert directory.find_user("alice", "example.test") is None
    run_with_api(tmp_path, body)


def test_null_for_a_required_field_is_a_422_naming_it(tmp_path):
    async def body(client, _directory):
        await client.post("/api/v1/users", headers=AUTH, json={"user": "alice", "password": "pw"})
        for field in ("display_name", "enabled", "policies", "password"):
            response = await client.patch("/api/v1/users/alice", headers=AUTH, json={field: None})
            assert response.status_code == 422
            assert response.json()["field"] == field
        bad_policy = await client.patch("/api/v1/users/alice", headers=AUTH, json={"policies": {"voice": "!!"}})
        assert bad_policy.status_code == 422 and bad_policy.json()["field"] == "policies"
    run_with_api(tmp_path, body)


def test_registrations_filter_by_user_and_report_seconds_left(tmp_path):
    now = time.time()
    bindings = [Binding("sip:alice@example.test", "sip:alice@10.0.0.1:5070", now + 300, source_host="10.0.0.1",
                        source_port=5070, user_agent="phone"),
                Binding("sip:bob@example.test", "sip:bob@10.0.0.2", now + 60),
                Binding("sip:carol@example.test", "sip:carol@10.0.0.3", now - 1)]

    async def body(client, _directory):
        everyone = (await client.get("/api/v1/registrations", headers=AUTH)).json()
        assert [r["aor"] for r in everyone] == ["sip:alice@example.test", "sip:bob@example.test"]
        alice = (await client.get("/api/v1/registrations", headers=AUTH, params={"user": "alice"})).json()
        assert len(alice) == 1
        assert alice[0]["source"] == "10.0.0.1:5070"
        assert 290 <= alice[0]["expires_in"] <= 300
    run_with_api(tmp_path, body, bindings=bindings)


def test_healthz_says_draining_and_metrics_need_no_token(tmp_path):
    async def body(client, _directory):
        health = await client.get("/healthz")
        metrics = await client.get("/metrics")
        server = (await client.get("/api/v1/server", headers=AUTH)).json()
        return health, metrics, server
    health, metrics, server = run_with_api(tmp_path, body, draining=True)
    assert (health.status_code, health.text) == (503, "draining\n")
    assert metrics.status_code == 200 and metrics.text == "ucd_users 0.0\n"
    assert server["draining"] is True and server["listening"] == {"UDP": ["127.0.0.1:5060"]}


def test_unknown_paths_are_json_404s(tmp_path):
    async def body(client, _directory):
        return await client.get("/api/v1/nothing", headers=AUTH)
    response = run_with_api(tmp_path, body)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
