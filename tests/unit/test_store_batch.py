"""The write-behind queues' batch statements (uc_signal.store.batch): a batch written with
compiled statements and tuples leaves exactly the rows SQLAlchemy Core's executemany of
parameter dicts (the store's former path) leaves, for every table the queues write; the
statements compile for PostgreSQL too (asyncpg positional, psycopg named)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, bindparam, delete, insert
from sqlalchemy.dialects.postgresql import asyncpg, psycopg2

from uc_signal.directory import Binding
from uc_signal.im.model import ArchivedMessage, Conversation, HistoryQuery, StoredMessage
from uc_signal.presence.persistence import StoredDialog, StoredPublication, StoredSubscription
from uc_signal.store import SqlStore, sqlite_url
from uc_signal.store.batch import BatchStatement
from uc_signal.store.im_store import (_ARCHIVE, _DELETE, _DELETE_CONVERSATION, _SAVE_CONVERSATION, _STORE,
                                      SqlImStore, WriteBehindImStore)
from uc_signal.store.presence_state import (_DELETE_PUBLICATIONS, _DELETE_SUBSCRIPTIONS, _INSERT_PUBLICATIONS,
                                            _INSERT_SUBSCRIPTIONS, SqlPresenceState)
from uc_signal.store.sql import _DELETE_BINDINGS, _INSERT_BINDINGS, _UPSERTS, JsonTexts
from uc_signal.store.tables import (bindings, im_conversations, im_history, im_offline, presence_publications,
                                    presence_subscriptions)
from uc_signal.transport.peer import Peer

NOW = 1_800_000_000.0

BINDINGS = [
    Binding(aor="sip:alice@example.test", contact="sip:alice@192.0.2.1:5060", expires_at=NOW + 3600, q=None,
            call_id="c1", cseq=7, transport="UDP", source_host="192.0.2.1", source_port=5060,
            registered_at=NOW),
    Binding(aor="sip:alice@example.test", contact="sip:alice@192.0.2.2:5061;transport=tls", expires_at=NOW + 60,
            q=0.5, call_id="c2", cseq=1, params=(("+sip.instance", '"<urn:uuid:1>"'), ("reg-id", "1"),
                                                 ("expires", None)),
            path=("<sip:edge.example.test;lr>",), transport="TLS", source_host="192.0.2.2", source_port=5061,
            flow="tls:7", instance="<urn:uuid:1>", reg_id=1, user_agent="Ünïcode UA", registered_at=NOW - 1),
    Binding(aor="sip:bob@example.test", contact="sip:bob@[2001:db8::1]:5060", expires_at=int(NOW) + 30, q=1,
            call_id="c3", cseq=2, registered_at=int(NOW)),   # ints in Float columns
]

HISTORY = [ArchivedMessage("sip:alice@example.test", "sip:bob@example.test", "text/plain", f"hello {n} ☺",
                           NOW + n, NOW + n + 0.25, "sip:chat-1@example.test" if n % 2 else None)
           for n in range(5)]

OFFLINE = [StoredMessage(n, "sip:bob@example.test", '"Alice" <sip:alice@example.test>', "sip:alice@example.test",
                         "text/plain", b"\x00binary\xff" + bytes([n]), NOW + n, None) for n in (1, 2, 3)]


def dialog(n: int, remote_seq: int | None) -> StoredDialog:
    return StoredDialog(f"call-{n}", "lt", "rt", "<sip:alice@example.test>;tag=lt", "<sip:bob@example.test>",
                        "sip:bob@192.0.2.9:5070", ("<sip:p1;lr>", "<sip:p2;lr>") if n else (), n % 2 == 0,
                        256 + n, remote_seq)


PUBLICATIONS = [StoredPublication(f"etag{n}", "sip:alice@example.test", b"<presence>\x00</presence>",
                                  "udp:192.0.2.1:5060", NOW + 600, NOW - 1, NOW - 2) for n in range(3)]
SUBSCRIPTIONS = [StoredSubscription("presence" if n else "rls", f"key{n}", "presence", "presence;id=1",
                                    "sip:alice@example.test", "sip:bob@example.test", "Bob", "active",
                                    dialog(n, None if n == 1 else 5), Peer("192.0.2.9", 5070, "UDP", ""),
                                    NOW + 300, NOW - 10, n, "sip:list@example.test" if not n else "")
                 for n in range(3)]


# The former path's parameter dicts, spelled out as it wrote them.

def binding_dict(b: Binding) -> dict[str, Any]:
    return {"aor": b.aor, "contact": b.contact, "expires_at": b.expires_at, "q": b.q, "call_id": b.call_id,
            "cseq": b.cseq, "params": json.dumps([list(p) for p in b.params]) if b.params else "[]",
            "path": json.dumps(list(b.path)) if b.path else "[]", "transport": b.transport,
            "source_host": b.source_host, "source_port": b.source_port, "flow": b.flow, "instance": b.instance,
            "reg_id": b.reg_id, "user_agent": b.user_agent, "registered_at": b.registered_at}


def history_dict(e: ArchivedMessage) -> dict[str, Any]:
    return {"sender": e.sender, "recipient": e.recipient, "conversation": e.conversation,
            "content_type": e.content_type, "text": e.text, "sent_at": e.sent_at, "delivered_at": e.delivered_at}


def offline_dict(m: StoredMessage) -> dict[str, Any]:
    return {"id": m.id, "recipient": m.recipient, "sender": m.sender, "sender_aor": m.sender_aor,
            "content_type": m.content_type, "body": m.body, "received_at": m.received_at,
            "conversation": m.conversation}


def publication_dict(p: StoredPublication) -> dict[str, Any]:
    return {"etag": p.etag, "aor": p.aor, "document": p.document, "endpoint": p.endpoint[:300],
            "expires_at": p.expires_at, "published_at": p.published_at, "last_input": p.last_input}


def subscription_dict(s: StoredSubscription) -> dict[str, Any]:
    d, peer = s.dialog, s.peer
    return {"application": s.application, "key": s.key, "package": s.package, "event": s.event,
            "resource": s.resource, "list_uri": s.list_uri, "watcher": s.watcher, "display_name": s.display_name,
            "state": s.state, "call_id": d.call_id, "local_tag": d.local_tag, "remote_tag": d.remote_tag,
            "local_uri": d.local_uri, "remote_uri": d.remote_uri, "remote_target": d.remote_target,
            "route_set": json.dumps(list(d.route_set)), "secure": d.secure, "local_seq": d.local_seq,
            "remote_seq": d.remote_seq, "transport": peer.transport, "peer_host": peer.host,
            "peer_port": peer.port, "flow": peer.flow, "expires_at": s.expires_at, "created_at": s.created_at,
            "version": s.version}


def conversation_dict(c: Conversation) -> dict[str, Any]:
    return {"uri": c.uri, "created_by": c.created_by, "created_at": c.created_at,
            "participants": json.dumps(list(c.participants))}


CONVERSATIONS = [Conversation("sip:chat-1@example.test", "sip:alice@example.test", NOW,
                              ["sip:alice@example.test", "sip:bob@example.test"])]


async def write_batches(store: SqlStore) -> None:
    """Every queue's batch, through the store's batch statements."""
    await store.apply_binding_changes(BINDINGS, [])
    im = WriteBehindImStore(SqlImStore(store.engine))
    for message in OFFLINE:
        im.store_offline(message, lambda: None)
    im.delete_offline(2)
    for entry in HISTORY:
        im.archive(entry)
    for conversation in CONVERSATIONS:
        im.save_conversation(conversation)
    await im.sync()
    await SqlPresenceState(store).apply({p.etag: p for p in PUBLICATIONS},
                                        {(s.application, s.key): s for s in SUBSCRIPTIONS})


async def write_dicts(store: SqlStore) -> None:
    """The same rows through Core executemany with parameter dicts (the former path)."""
    async with store.engine.begin() as connection:
        for table, rows in ((bindings, [binding_dict(b) for b in BINDINGS]),
                            (im_offline, [offline_dict(m) for m in OFFLINE]),
                            (im_history, [history_dict(e) for e in HISTORY]),
                            (im_conversations, [conversation_dict(c) for c in CONVERSATIONS]),
                            (presence_publications, [publication_dict(p) for p in PUBLICATIONS]),
                            (presence_subscriptions, [subscription_dict(s) for s in SUBSCRIPTIONS])):
            await connection.execute(insert(table), rows)
        await connection.execute(delete(im_offline).where(im_offline.c.id.in_([2])))


def rows_of(path: Path, table: Table) -> list[tuple[Any, ...]]:
    """Every row with each value's SQLite storage class, so an int where a float was
    written shows."""
    connection = sqlite3.connect(path)
    try:
        names = ", ".join(f"{c.name}, typeof({c.name})" for c in table.columns)
        return sorted(connection.execute(f"SELECT {names} FROM {table.name}").fetchall(), key=repr)
    finally:
        connection.close()


def test_batch_statements_write_the_rows_the_dict_executemany_wrote(tmp_path: Path) -> None:
    async def go(path: Path, write: Any) -> None:
        store = SqlStore(sqlite_url(path))
        await store.open()
        try:
            await write(store)
        finally:
            await store.close()
    asyncio.run(go(tmp_path / "batch.sqlite3", write_batches))
    asyncio.run(go(tmp_path / "dicts.sqlite3", write_dicts))
    for table in (bindings, im_offline, im_history, im_conversations, presence_publications,
                  presence_subscriptions):
        written = rows_of(tmp_path / "batch.sqlite3", table)
        assert written, table.name
        assert written == rows_of(tmp_path / "dicts.sqlite3", table), table.name


def test_what_the_batches_wrote_reads_back_as_it_was_saved(tmp_path: Path) -> None:
    async def go() -> tuple[list[Binding], list[ArchivedMessage], list[StoredMessage], Any]:
        store = SqlStore(sqlite_url(tmp_path / "ucd.sqlite3"))
        await store.open()
        try:
            await write_batches(store)
            await store.apply_binding_changes([], [(BINDINGS[0].aor, BINDINGS[0].contact)])
            sql = SqlImStore(store.engine)
            return (await store.load_bindings(NOW), await sql.search(HistoryQuery(limit=100)),
                    await sql.offline_messages(), await SqlPresenceState(store).load(NOW))
        finally:
            await store.close()
    loaded, history, offline, (publications, subscriptions) = asyncio.run(go())
    assert loaded == sorted(BINDINGS[1:], key=lambda b: (b.aor, b.contact))
    assert [(e.sender, e.recipient, e.conversation, e.text, e.sent_at, e.delivered_at) for e in history] == \
        [(e.sender, e.recipient, e.conversation, e.text, e.sent_at, e.delivered_at) for e in HISTORY]
    assert offline == [OFFLINE[0], OFFLINE[2]]
    assert sorted(publications, key=lambda p: p.etag) == PUBLICATIONS
    assert sorted(subscriptions, key=lambda s: s.key) == SUBSCRIPTIONS


def test_a_statement_compiles_for_postgresql_positional_and_named() -> None:
    statement = BatchStatement(
        delete(bindings).where(bindings.c.aor == bindparam("k_aor"), bindings.c.contact == bindparam("k_contact")),
        ("k_aor", "k_contact"), (bindings.c.aor, bindings.c.contact))
    sql, parameters = statement.compiled(asyncpg.dialect())
    assert "$1" in sql and "$2" in sql
    assert parameters([("a", "c")]) == [("a", "c")]
    sql, parameters = statement.compiled(psycopg2.dialect())
    assert "%(k_aor)s" in sql
    assert parameters([("a", "c")]) == [{"k_aor": "a", "k_contact": "c"}]


def test_rows_in_another_order_than_the_statement_are_refused() -> None:
    statement = BatchStatement(
        delete(bindings).where(bindings.c.aor == bindparam("k_aor"), bindings.c.contact == bindparam("k_contact")),
        ("k_contact", "k_aor"), (bindings.c.contact, bindings.c.aor))
    with pytest.raises(ValueError):
        statement.compiled(asyncpg.dialect())


def test_remembered_json_texts_are_json_dumps_and_stay_bounded() -> None:
    texts = JsonTexts(limit=3)
    params = BINDINGS[1].params
    assert texts.text(params) == json.dumps([list(p) for p in params])
    assert texts.text(params) is texts.text(params)        # remembered
    assert texts.text(BINDINGS[1].path) == json.dumps(list(BINDINGS[1].path))
    assert texts.text(()) == "[]"
    for n in range(10):
        assert texts.text((("reg-id", str(n)),)) == json.dumps([["reg-id", str(n)]])
        assert len(texts) <= 3


def test_a_refresh_with_the_same_params_rewrites_the_row_in_place(tmp_path: Path) -> None:
    refreshed = replace(BINDINGS[1], expires_at=NOW + 7200, cseq=2, call_id="c2")

    async def go() -> list[Binding]:
        store = SqlStore(sqlite_url(tmp_path / "ucd.sqlite3"))
        await store.open()
        try:
            await store.apply_binding_changes([BINDINGS[1]], [])
            await store.apply_binding_changes([refreshed], [])
            return await store.load_bindings(NOW)
        finally:
            await store.close()
    assert asyncio.run(go()) == [refreshed]


def test_no_batch_statement_reads_anything_back_on_postgresql() -> None:
    statements = [_UPSERTS["postgresql"], _INSERT_BINDINGS, _DELETE_BINDINGS, _STORE, _DELETE, _ARCHIVE,
                  _DELETE_CONVERSATION, _SAVE_CONVERSATION, _DELETE_PUBLICATIONS, _INSERT_PUBLICATIONS,
                  _DELETE_SUBSCRIPTIONS, _INSERT_SUBSCRIPTIONS]
    for statement in statements:
        sql, _ = statement.compiled(asyncpg.dialect())
        assert "RETURNING" not in sql.upper(), sql
        assert "$1" in sql, sql
