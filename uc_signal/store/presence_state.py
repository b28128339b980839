"""Presence publications and subscription dialogs in the store, written behind the SIP side.

The presence agent and the resource list server are sans-IO and synchronous; they report
their changes to a `PresenceStateSink` (uc_signal.presence.persistence).
`WriteBehindPresenceState` is that sink for ucd, with the registrar's
`WriteBehindBindingStore`'s writer (uc_signal.store.write_behind): changes are queued (the
newest per key wins) and one task writes them in one transaction at most once per
`flush_interval`; `flush()` at shutdown writes what is still queued. No store write happens on the NOTIFY path: a subscription is saved
when it is created, refreshed or ended, when its state changes, and when its CSeq has used
half the high-water margin saved with it. At start `preload(now)` reads what is still
valid and deletes what expired while the server was down; the writer deletes expired rows
with a batch at most once a minute.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import RowMapping, bindparam, delete, insert, select

from ..presence.persistence import StoredDialog, StoredPublication, StoredSubscription
from ..transport.peer import Peer
from .batch import BatchStatement
from .sql import SqlStore
from .tables import presence_publications, presence_subscriptions
from .write_behind import BatchWriter, requeue

log = logging.getLogger(__name__)

# Expired rows are never restored (load reads expires_at > now); deleting them is
# housekeeping, done with a write at most this often rather than with every batch.
PURGE_INTERVAL = 60.0


class SqlPresenceState:
    """The two tables: read at start, changed in batches."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    async def load(self, now: float) -> tuple[list[StoredPublication], list[StoredSubscription]]:
        """Every publication and subscription with expires_at > now."""
        async with self.store.engine.connect() as connection:
            publications = (await connection.execute(select(presence_publications).where(
                presence_publications.c.expires_at > now))).mappings().all()
            subscriptions = (await connection.execute(select(presence_subscriptions).where(
                presence_subscriptions.c.expires_at > now))).mappings().all()
        return [_publication(row) for row in publications], [_subscription(row) for row in subscriptions]

    async def purge_expired(self, now: float) -> int:
        """Delete rows with expires_at <= now; how many."""
        async with self.store.engine.begin() as connection:
            gone = (await connection.execute(delete(presence_publications).where(
                presence_publications.c.expires_at <= now))).rowcount or 0
            gone += (await connection.execute(delete(presence_subscriptions).where(
                presence_subscriptions.c.expires_at <= now))).rowcount or 0
        return gone

    async def apply(self, publications: Mapping[str, StoredPublication | None],
                    subscriptions: Mapping[tuple[str, str], StoredSubscription | None]) -> None:
        """A batch in one transaction: one executemany DELETE per table for every key
        touched, one executemany INSERT for the saves (None in a mapping: removed), each a
        compiled BatchStatement run with tuples."""
        async with self.store.engine.begin() as connection:
            if publications:
                await _DELETE_PUBLICATIONS.run(connection, [(etag,) for etag in publications])
                await _INSERT_PUBLICATIONS.run(connection, [_publication_row(row) for row in publications.values()
                                                            if row is not None])
            if subscriptions:
                await _DELETE_SUBSCRIPTIONS.run(connection, list(subscriptions))
                await _INSERT_SUBSCRIPTIONS.run(connection, [_subscription_row(row)
                                                             for row in subscriptions.values() if row is not None])


class WriteBehindPresenceState:
    """The PresenceStateSink of ucd: an in-memory view, writes queued and batched."""

    def __init__(self, sql: SqlPresenceState, flush_interval: float = 1.0) -> None:
        self.sql = sql
        self.publications: list[StoredPublication] = []      # as read at start
        self.subscriptions: list[StoredSubscription] = []
        # The live publications' records: a refresh keeps the document under a new tag.
        self._live: dict[str, StoredPublication] = {}
        self._pending_publications: dict[str, StoredPublication | None] = {}
        self._pending_subscriptions: dict[tuple[str, str], StoredSubscription | None] = {}
        self._writer = BatchWriter(self._write_pending, flush_interval, "presence-state-writer")
        self._purged_at = 0.0
        self.writes = 0
        self.write_errors = 0

    async def preload(self, now: float) -> None:
        purged = await self.sql.purge_expired(now)
        self._purged_at = now
        self.publications, self.subscriptions = await self.sql.load(now)
        self._live = {p.etag: p for p in self.publications}
        log.info("presence state: %d publications and %d subscriptions reloaded, %d expired rows purged",
                 len(self.publications), len(self.subscriptions), purged)

    def start(self) -> None:
        self._writer.start()

    # --- the PresenceStateSink protocol (sync, from the SIP side) -------------------------------

    def publication_saved(self, publication: StoredPublication, replaces: str | None) -> None:
        if replaces is not None and replaces != publication.etag:
            self._forget(replaces)
        self._live[publication.etag] = publication
        self._pending_publications[publication.etag] = publication
        self._writer.wake()

    def publication_refreshed(self, old_etag: str, etag: str, expires_at: float) -> None:
        old = self._live.get(old_etag)
        self._forget(old_etag)
        if old is not None:
            self.publication_saved(StoredPublication(etag, old.aor, old.document, old.endpoint, expires_at,
                                                     old.published_at, old.last_input), None)

    def publication_removed(self, etag: str) -> None:
        self._forget(etag)
        self._writer.wake()

    def _forget(self, etag: str) -> None:
        self._live.pop(etag, None)
        self._pending_publications[etag] = None

    def subscription_saved(self, subscription: StoredSubscription) -> None:
        self._pending_subscriptions[(subscription.application, subscription.key)] = subscription
        self._writer.wake()

    def subscription_removed(self, application: str, key: str) -> None:
        self._pending_subscriptions[(application, key)] = None
        self._writer.wake()

    # --- writing ----------------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        return len(self._pending_publications) + len(self._pending_subscriptions)

    async def _write_pending(self) -> None:
        if not self.pending:
            return
        publications, self._pending_publications = self._pending_publications, {}
        subscriptions, self._pending_subscriptions = self._pending_subscriptions, {}
        now = time.time()
        try:
            await self.sql.apply(publications, subscriptions)
            if now - self._purged_at >= PURGE_INTERVAL:
                self._purged_at = now
                for etag, record in list(self._live.items()):   # expired on its own (RFC 3903 4.1)
                    if record.expires_at <= now:
                        del self._live[etag]
                await self.sql.purge_expired(now)
            self.writes += len(publications) + len(subscriptions)
        except Exception:
            self.write_errors += 1
            log.exception("presence state: writing %d changes failed; kept for the next attempt",
                          len(publications) + len(subscriptions))
            requeue(self._pending_publications, publications)
            requeue(self._pending_subscriptions, subscriptions)

    async def flush(self) -> None:
        """Stop the writer and persist every queued change (shutdown)."""
        await self._writer.flush()


# --- rows -------------------------------------------------------------------------------------------


_PUBLICATION_COLUMNS = ("etag", "aor", "document", "endpoint", "expires_at", "published_at", "last_input")


def _publication_row(publication: StoredPublication) -> tuple[Any, ...]:
    return (publication.etag, publication.aor, publication.document, publication.endpoint[:300],
            publication.expires_at, publication.published_at, publication.last_input)


def _publication(row: RowMapping) -> StoredPublication:
    return StoredPublication(row["etag"], row["aor"], bytes(row["document"]), row["endpoint"], row["expires_at"],
                             row["published_at"], row["last_input"])


_SUBSCRIPTION_COLUMNS = ("application", "key", "package", "event", "resource", "list_uri", "watcher",
                         "display_name", "state", "call_id", "local_tag", "remote_tag", "local_uri", "remote_uri",
                         "remote_target", "route_set", "secure", "local_seq", "remote_seq", "transport", "peer_host",
                         "peer_port", "flow", "expires_at", "created_at", "version")


def _subscription_row(subscription: StoredSubscription) -> tuple[Any, ...]:
    dialog, peer = subscription.dialog, subscription.peer
    return (subscription.application, subscription.key, subscription.package, subscription.event,
            subscription.resource, subscription.list_uri, subscription.watcher, subscription.display_name,
            subscription.state, dialog.call_id, dialog.local_tag, dialog.remote_tag, dialog.local_uri,
            dialog.remote_uri, dialog.remote_target, json.dumps(list(dialog.route_set)), dialog.secure,
            dialog.local_seq, dialog.remote_seq, peer.transport, peer.host, peer.port, peer.flow,
            subscription.expires_at, subscription.created_at, subscription.version)


def _subscription(row: RowMapping) -> StoredSubscription:
    dialog = StoredDialog(row["call_id"], row["local_tag"], row["remote_tag"], row["local_uri"], row["remote_uri"],
                          row["remote_target"], tuple(json.loads(row["route_set"])), bool(row["secure"]),
                          row["local_seq"], row["remote_seq"])
    return StoredSubscription(row["application"], row["key"], row["package"], row["event"], row["resource"],
                              row["watcher"], row["display_name"], row["state"], dialog,
                              Peer(row["peer_host"], row["peer_port"], row["transport"], row["flow"]),
                              row["expires_at"], row["created_at"], row["version"], row["list_uri"])


# The batch statements (uc_signal.store.batch).
_DELETE_PUBLICATIONS = BatchStatement(
    delete(presence_publications).where(presence_publications.c.etag == bindparam("k_etag")), ("k_etag",),
    (presence_publications.c.etag,))
_INSERT_PUBLICATIONS = BatchStatement.insert_of(insert(presence_publications), presence_publications,
                                                _PUBLICATION_COLUMNS)
_DELETE_SUBSCRIPTIONS = BatchStatement(
    delete(presence_subscriptions).where(presence_subscriptions.c.application == bindparam("k_application"),
                                         presence_subscriptions.c.key == bindparam("k_key")),
    ("k_application", "k_key"), (presence_subscriptions.c.application, presence_subscriptions.c.key))
_INSERT_SUBSCRIPTIONS = BatchStatement.insert_of(insert(presence_subscriptions), presence_subscriptions,
                                                 _SUBSCRIPTION_COLUMNS)
