"""The IM tables on SQLite behind the write-behind adapter: 202 only after commit, offline
messages and conversations read back after a restart, history search and purge in SQL
agreeing with HistoryQuery.matches, and the IM service over it across a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from uc_signal.im import ArchivedMessage, Conversation, HistoryQuery, ImSettings, StoredMessage
from uc_signal.store import SqlStore, sqlite_url
from uc_signal.store.im_store import SqlImStore, WriteBehindImStore

from im_network import ImNetwork, aor, bodies


async def opened(db: Path) -> tuple[SqlStore, WriteBehindImStore]:
    store = SqlStore(sqlite_url(db))
    await store.open()
    im_store = WriteBehindImStore(SqlImStore(store.engine), flush_interval=0.001, history_flush_interval=0.01)
    await im_store.preload()
    im_store.start()
    return store, im_store


async def closed(store: SqlStore, im_store: WriteBehindImStore) -> None:
    await im_store.flush()
    await store.close()


def test_offline_messages_are_durable_before_the_callback_and_survive_reopening(tmp_path: Path) -> None:
    async def go() -> None:
        store, im_store = await opened(tmp_path / "db")
        durable: list[int] = []
        for n in (1, 2, 3):
            message = StoredMessage(n, "sip:bob@x.test", "<sip:alice@x.test>", "sip:alice@x.test", "text/plain",
                                    f"m{n}".encode(), 100.0 + n)
            im_store.store_offline(message, lambda n=n: durable.append(n))
        assert durable == []                     # nothing answered before the commit
        for _ in range(200):
            if len(durable) == 3:
                break
            await asyncio.sleep(0.005)
        assert durable == [1, 2, 3]
        assert [m.body for m in await im_store.sql.offline_messages()] == [b"m1", b"m2", b"m3"]
        im_store.delete_offline(2)
        await closed(store, im_store)
        store, im_store = await opened(tmp_path / "db")
        assert [m.id for m in im_store.offline_messages()] == [1, 3]
        await closed(store, im_store)
    asyncio.run(go())


def test_history_search_and_purge_in_sql(tmp_path: Path) -> None:
    entries = [
        ArchivedMessage("sip:alice@x.test", "sip:bob@x.test", "text/plain", "Lunch at noon?", 10.0, 10.0),
        ArchivedMessage("sip:bob@x.test", "sip:alice@x.test", "text/plain", "yes, 100% lunch_ok", 20.0, 20.0),
        ArchivedMessage("sip:carol@x.test", "sip:alice@x.test", "text/plain", "hi", 30.0, 30.0,
                        "sip:chat-0011223344556677@x.test"),
    ]
    queries = [HistoryQuery(), HistoryQuery(user="sip:bob@x.test"), HistoryQuery(text="LUNCH"),
               HistoryQuery(text="100%"), HistoryQuery(text="_ok"), HistoryQuery(text="%"),
               HistoryQuery(since=15.0), HistoryQuery(until=20.0),
               HistoryQuery(user="sip:alice@x.test", peer="sip:chat-0011223344556677@x.test"),
               HistoryQuery(limit=1)]

    async def go() -> None:
        store, im_store = await opened(tmp_path / "db")
        for entry in entries:
            im_store.archive(entry)
        await im_store.flush()
        for query in queries:
            expected = [e.text for e in entries if query.matches(e)][-query.limit:]
            assert [e.text for e in await im_store.sql.search(query)] == expected, query
        im_store = WriteBehindImStore(im_store.sql, 0.001, 0.01)
        im_store.start()
        im_store.purge_history(before=20.0)
        await im_store.flush()
        assert [e.text for e in await im_store.sql.search(HistoryQuery())] == ["yes, 100% lunch_ok", "hi"]
        await store.close()
    asyncio.run(go())


def test_conversations_are_saved_and_read_back(tmp_path: Path) -> None:
    async def go() -> None:
        store, im_store = await opened(tmp_path / "db")
        conversation = Conversation("sip:chat-00aa@x.test", "sip:a@x.test", 5.0, ["sip:a@x.test", "sip:b@x.test"])
        im_store.save_conversation(conversation)
        conversation.participants.append("sip:c@x.test")
        im_store.save_conversation(conversation)
        await closed(store, im_store)
        store, im_store = await opened(tmp_path / "db")
        assert [c.participants for c in im_store.conversations()] == [["sip:a@x.test", "sip:b@x.test",
                                                                         "sip:c@x.test"]]
        await closed(store, im_store)
    asyncio.run(go())


def test_the_service_over_sqlite_answers_202_after_commit_and_delivers_after_a_restart(tmp_path: Path) -> None:
    """The daemon's arrangement without sockets: the IM service on the in-memory network,
    its store in SQLite; the 'restart' rebuilds both the service and the write-behind
    store from the database."""
    async def go() -> None:
        store, im_store = await opened(tmp_path / "db")
        im = ImNetwork(settings=ImSettings(), store=im_store)  # type: ignore[arg-type]
        alice = im.user("alice", "192.0.2.10")
        bob = im.user("bob", "192.0.2.20")
        alice.send(alice.request("MESSAGE", aor("bob"), body="survives"))
        im.net.run()
        challenge = alice.final("MESSAGE")
        auth = alice.digest.authorize(challenge.headers.get_all("Proxy-Authenticate")[-1], "MESSAGE", aor("bob"))
        alice.send(alice.request("MESSAGE", aor("bob"), body="survives", extra=f"Proxy-Authorization: {auth}\r\n"))
        im.net.run()
        assert alice.final("MESSAGE").status == 407          # not yet: the write is pending
        await closed(store, im_store)                          # commit, then the 202 goes out
        im.net.run()
        assert alice.final("MESSAGE").status == 202
        store, im_store = await opened(tmp_path / "db")      # ucd restarts
        assert [m.body for m in im_store.offline_messages()] == [b"survives"]
        im.restart(store=im_store)
        bob.register()
        im.net.advance(1)
        assert bodies(bob) == ["survives"]
        await closed(store, im_store)
        store, im_store = await opened(tmp_path / "db")
        assert im_store.offline_messages() == []
        assert [e.text for e in await im_store.sql.search(HistoryQuery(user=aor("bob")))] == ["survives"]
        await closed(store, im_store)
    asyncio.run(go())

