"""The IM service's storage in the database (uc_signal.im.store.ImStore), written behind
like the bindings (sip_directory.WriteBehindBindingStore): the service calls synchronous
methods that queue the change; one task writes the queue in order, a batch per
transaction. An offline message's `on_durable` runs after the transaction holding it has
committed, and only then does its sender get 202. `flush()` on shutdown writes the rest.

The admin API reads the history through `SqlImStore` directly (async).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..im.model import ArchivedMessage, Conversation, HistoryQuery, StoredMessage
from .batch import BatchStatement
from .tables import im_conversations, im_history, im_offline

log = logging.getLogger(__name__)


def _like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqlImStore:
    """The IM tables over the store's engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def offline_messages(self) -> list[StoredMessage]:
        async with self.engine.connect() as connection:
            rows = (await connection.execute(select(im_offline).order_by(im_offline.c.id))).mappings().all()
        return [StoredMessage(row["id"], row["recipient"], row["sender"], row["sender_aor"], row["content_type"],
                              bytes(row["body"]), row["received_at"], row["conversation"]) for row in rows]

    async def conversations(self) -> list[Conversation]:
        async with self.engine.connect() as connection:
            rows = (await connection.execute(select(im_conversations))).mappings().all()
        return [Conversation(row["uri"], row["created_by"], row["created_at"], list(json.loads(row["participants"])))
                for row in rows]

    async def search(self, query: HistoryQuery) -> list[ArchivedMessage]:
        """The newest `query.limit` matches, oldest first (HistoryQuery.matches in SQL)."""
        statement = select(im_history)
        if query.user is not None:
            statement = statement.where(or_(im_history.c.sender == query.user, im_history.c.recipient == query.user))
        if query.peer is not None:
            statement = statement.where(or_(im_history.c.sender == query.peer, im_history.c.recipient == query.peer,
                                            im_history.c.conversation == query.peer))
        if query.since is not None:
            statement = statement.where(im_history.c.delivered_at >= query.since)
        if query.until is not None:
            statement = statement.where(im_history.c.delivered_at < query.until)
        if query.text:
            statement = statement.where(im_history.c.text.ilike(_like_pattern(query.text), escape="\\"))
        statement = statement.order_by(im_history.c.delivered_at.desc(), im_history.c.id.desc()).limit(query.limit)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(statement)).mappings().all()
        entries = [ArchivedMessage(row["sender"], row["recipient"], row["content_type"], row["text"], row["sent_at"],
                                   row["delivered_at"], row["conversation"], row["id"]) for row in rows]
        return [entry for entry in reversed(entries) if query.matches(entry)]

    async def write(self, operations: list[_Operation]) -> None:
        """In order, in one transaction; a run of operations of one kind is one statement
        (executemany), so a batch of history rows costs one INSERT, not one each."""
        async with self.engine.begin() as connection:
            run: list[_Operation] = []
            for operation in operations:
                if run and operation.kind != run[0].kind:
                    await _apply(connection, run)
                    run = []
                run.append(operation)
            if run:
                await _apply(connection, run)


@dataclass
class _Operation:
    kind: str            # "store", "delete", "archive", "purge", "conversation"
    payload: Any
    on_durable: Callable[[], None] | None = None


# The batch statements (uc_signal.store.batch), rows as tuples in these orders.
_STORE = BatchStatement.insert_of(insert(im_offline), im_offline, (
    "id", "recipient", "sender", "sender_aor", "content_type", "body", "received_at", "conversation"))
_DELETE = BatchStatement(delete(im_offline).where(im_offline.c.id == bindparam("k_id")), ("k_id",),
                         (im_offline.c.id,))
_ARCHIVE = BatchStatement.insert_of(insert(im_history), im_history, (
    "sender", "recipient", "conversation", "content_type", "text", "sent_at", "delivered_at"))
_DELETE_CONVERSATION = BatchStatement(delete(im_conversations).where(im_conversations.c.uri == bindparam("k_uri")),
                                      ("k_uri",), (im_conversations.c.uri,))
_SAVE_CONVERSATION = BatchStatement.insert_of(insert(im_conversations), im_conversations, (
    "uri", "created_by", "created_at", "participants"))


async def _apply(connection: AsyncConnection, run: list[_Operation]) -> None:
    """A run of operations of one kind."""
    kind = run[0].kind
    payloads = [operation.payload for operation in run]
    if kind == "store":
        await _STORE.run(connection, [(m.id, m.recipient, m.sender, m.sender_aor, m.content_type, m.body,
                                       m.received_at, m.conversation) for m in payloads])
    elif kind == "delete":
        await _DELETE.run(connection, [(message_id,) for message_id in payloads])
    elif kind == "archive":
        await _ARCHIVE.run(connection, [(e.sender, e.recipient, e.conversation, e.content_type, e.text, e.sent_at,
                                         e.delivered_at) for e in payloads])
    elif kind == "purge":
        await connection.execute(delete(im_history).where(im_history.c.delivered_at < max(payloads)))
    elif kind == "conversation":
        latest = {c.uri: c for c in payloads}
        await _DELETE_CONVERSATION.run(connection, [(uri,) for uri in latest])
        await _SAVE_CONVERSATION.run(connection, [(c.uri, c.created_by, c.created_at, json.dumps(list(c.participants)))
                                                  for c in latest.values()])


class WriteBehindImStore:
    """uc_signal.im.ImStore for the daemon: reads from what `preload` found, writes queued."""

    def __init__(self, sql: SqlImStore, flush_interval: float = 0.02, history_flush_interval: float = 1.0) -> None:
        self.sql = sql
        self.flush_interval = flush_interval                  # when someone waits for the write (a 202)
        self.history_flush_interval = history_flush_interval  # when nobody does (history, deletes)
        self._offline: list[StoredMessage] = []
        self._conversations: list[Conversation] = []
        self._queue: list[_Operation] = []
        self._wake = asyncio.Event()      # something is queued
        self._urgent = asyncio.Event()    # something queued is waited for (or we stop)
        self._stopping = False
        self._writing = asyncio.Lock()    # one batch at a time: the queue's order is the commit order
        self._task: asyncio.Task[None] | None = None
        self.writes = 0
        self.write_errors = 0

    async def preload(self) -> None:
        self._offline = await self.sql.offline_messages()
        self._conversations = await self.sql.conversations()
        log.info("im: %d offline messages and %d conversations reloaded", len(self._offline),
                 len(self._conversations))

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="im-writer")

    # --- ImStore (sync) -------------------------------------------------------------------------

    def offline_messages(self) -> list[StoredMessage]:
        return list(self._offline)

    def conversations(self) -> list[Conversation]:
        return [Conversation(c.uri, c.created_by, c.created_at, list(c.participants)) for c in self._conversations]

    def store_offline(self, message: StoredMessage, on_durable: Callable[[], None]) -> None:
        self._push(_Operation("store", message, on_durable))
        self._urgent.set()

    def delete_offline(self, message_id: int) -> None:
        self._push(_Operation("delete", message_id))

    def archive(self, entry: ArchivedMessage) -> None:
        self._push(_Operation("archive", entry))

    def purge_history(self, before: float) -> None:
        self._push(_Operation("purge", before))

    def save_conversation(self, conversation: Conversation) -> None:
        snapshot = Conversation(conversation.uri, conversation.created_by, conversation.created_at,
                                list(conversation.participants))
        self._push(_Operation("conversation", snapshot))

    def _push(self, operation: _Operation) -> None:
        self._queue.append(operation)
        self._wake.set()

    # --- writing --------------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        return len(self._queue)

    async def _run(self) -> None:
        while not self._stopping:
            await self._wake.wait()
            # History rows wait up to history_flush_interval and go in one INSERT; a
            # stored message (its sender waits for the 202) cuts the wait short.
            try:
                await asyncio.wait_for(self._urgent.wait(), self.history_flush_interval)
            except asyncio.TimeoutError:
                pass
            if not self._stopping:
                await asyncio.sleep(self.flush_interval)   # gather what comes with it
            self._wake.clear()
            self._urgent.clear()
            await self._write_pending()

    async def sync(self) -> None:
        """Write what is queued now (the admin API reads the history after this)."""
        await self._write_pending()

    async def _write_pending(self) -> None:
        async with self._writing:
            await self._write_batch()

    async def _write_batch(self) -> None:
        if not self._queue:
            return
        batch, self._queue = self._queue, []
        try:
            await self.sql.write(batch)
            self.writes += len(batch)
        except Exception:
            self.write_errors += 1
            log.exception("im: writing %d changes failed; kept for the next attempt", len(batch))
            self._queue = batch + self._queue
            if not self._stopping:
                await asyncio.sleep(self.flush_interval)
                self._wake.set()
            return
        for operation in batch:
            if operation.on_durable is not None:
                try:
                    operation.on_durable()
                except Exception:
                    log.exception("im: answering a stored message failed")

    async def flush(self) -> None:
        """Stop the writer and write what is queued (shutdown)."""
        self._stopping = True
        self._urgent.set()
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self._write_pending()
