"""The admin API's IM routes as an ASGI app (no sockets): the history from a real SQLite
IM store, the conversations and waiting messages from the service's view; a user's IM
policy assigned through the users API reaches the SIP directory."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from uc_signal.admin import AdminContext, create_admin_app
from uc_signal.admin.im_routes import ImAdmin
from uc_signal.im import ArchivedMessage, Conversation, StoredMessage
from uc_signal.store import CachedUserDirectory, SqlStore, UserService, sqlite_url
from uc_signal.store.im_store import SqlImStore, WriteBehindImStore

TOKEN = "unit-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHAT = "sip:chat-0011223344556677@example.test"


def run_with_api(tmp_path: Path, body: Any) -> Any:
    async def go() -> Any:
        store = SqlStore(sqlite_url(tmp_path / "ucd.sqlite3"))
        await store.open()
        im_store = WriteBehindImStore(SqlImStore(store.engine), 0.001, 0.001)
        im_store.start()
        for i, (sender, recipient, text) in enumerate([
                ("sip:alice@example.test", "sip:bob@example.test", "first: hello bob"),
                ("sip:bob@example.test", "sip:alice@example.test", "second: hi alice, 50% done"),
                ("sip:carol@example.test", "sip:alice@example.test", "third: in the chat")]):
            im_store.archive(ArchivedMessage(sender, recipient, "text/plain", text, 100.0 + i, 100.0 + i,
                                             CHAT if i == 2 else None))
        await im_store.sync()
        directory = CachedUserDirectory()
        conversations = [Conversation(CHAT, "sip:carol@example.test", 1.0,
                                      ["sip:carol@example.test", "sip:alice@example.test"])]
        waiting = [StoredMessage(7, "sip:dave@example.test", "<sip:alice@example.test>", "sip:alice@example.test",
                                 "text/plain", b"later", 5.0)]

        async def history(query):  # type: ignore[no-untyped-def]
            await im_store.sync()
            return await im_store.sql.search(query)
        context = AdminContext(
            users=UserService(store, directory), domain="example.test", token=TOKEN, version="0.1.0",
            registrations=lambda now: [], listening=lambda: {}, metrics=lambda: (b"", "text/plain"),
            draining=lambda: False, im=ImAdmin(history, lambda: conversations, lambda: waiting))
        app = create_admin_app(context)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ucd") as client:
                return await body(client, directory)
        finally:
            await im_store.flush()
            await store.close()
    return asyncio.run(go())


def test_history_filters(tmp_path: Path) -> None:
    async def body(client: httpx.AsyncClient, _directory: Any) -> None:
        async def texts(**params: Any) -> list[str]:
            response = await client.get("/api/v1/im/history", headers=AUTH, params=params)
            assert response.status_code == 200, response.text
            return [entry["text"].split(":")[0] for entry in response.json()]
        assert await texts() == ["first", "second", "third"]
        assert await texts(user="bob") == ["first", "second"]
        assert await texts(user="alice", peer="sip:bob@example.test") == ["first", "second"]
        assert await texts(peer=CHAT) == ["third"]
        assert await texts(text="50%") == ["second"]
        assert await texts(since=101, until=102) == ["second"]
        assert await texts(limit=1) == ["third"]
        bad = await client.get("/api/v1/im/history", headers=AUTH, params={"user": "not a user!"})
        assert bad.status_code == 422 and bad.json()["field"] == "user"
        assert (await client.get("/api/v1/im/history")).status_code == 401
    run_with_api(tmp_path, body)


def test_conversations_and_waiting_messages(tmp_path: Path) -> None:
    async def body(client: httpx.AsyncClient, _directory: Any) -> None:
        everyone = (await client.get("/api/v1/im/conversations", headers=AUTH)).json()
        assert [c["uri"] for c in everyone] == [CHAT]
        assert (await client.get("/api/v1/im/conversations", headers=AUTH, params={"user": "bob"})).json() == []
        waiting = (await client.get("/api/v1/im/offline", headers=AUTH, params={"user": "dave"})).json()
        assert waiting == [{"id": 7, "recipient": "sip:dave@example.test", "sender": "sip:alice@example.test",
                            "content_type": "text/plain", "size": 5, "received_at": 5.0, "conversation": None}]
    run_with_api(tmp_path, body)


def test_an_im_policy_set_through_the_api_reaches_the_sip_directory(tmp_path: Path) -> None:
    async def body(client: httpx.AsyncClient, directory: CachedUserDirectory) -> None:
        await client.post("/api/v1/users", headers=AUTH, json={"user": "alice", "password": "pw",
                                                               "policies": {"im": "NoOffline"}})
        assert directory.find_user("alice", "example.test").policy("im") == "NoOffline"   # type: ignore[union-attr]
        await client.patch("/api/v1/users/alice", headers=AUTH, json={"policies": {}})
        assert directory.find_user("alice", "example.test").policy("im") is None   # type: ignore[union-attr]
    run_with_api(tmp_path, body)
