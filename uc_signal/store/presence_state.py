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
        touched, one executemany INSERT for the saves (None in a mapping: removed)."""
        async with self.store.engine.begin() as connection:
            if publications:
                await connection.execute(delete(presence_publications).where(
                    presence_publications.c.etag == bindparam("k_etag")),
                    [{"k_etag": etag} for etag in publications])
                rows = [_publication_row(row) for row in publications.values() if row is not None]
                if rows:
                    await connection.execute(insert(presence_publications), rows)
            if subscriptions:
                await connection.execute(delete(presence_subscriptions).where(
                    presence_subscriptions.c.application == bindparam("k_application"),
                    presence_subscriptions.c.key == bindparam("k_key")),
                    [{"k_application": application, "k_key": key} for application, key in subscriptions])
                rows = [_subscription_row(row) for row in subscriptions.values() if row is not None]
                if rows:
                    await connection.execute(insert(presence_subscriptions), rows)


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


def _publication_row(publication: StoredPublication) -> dict[str, Any]:
    return {"etag": publication.etag, "aor": publication.aor, "document": publication.document,
            "endpoint": publication.endpoint[:300], "expires_at": publication.expires_at,
            "published_at": publication.published_at, "last_input": publication.last_input}


def _publication(row: RowMapping) -> StoredPublication:
    return StoredPublication(row["etag"], row["aor"], bytes(row["document"]), row["endpoint"], row["expires_at"],
                             row["published_at"], row["last_input"])


def _subscription_row(subscription: StoredSubscription) -> dict[str, Any]:
    dialog, peer = subscription.dialog, subscription.peer
    return {"application": subscription.application, "key": subscription.key, "package": subscription.package,
            "event": subscription.event, "resource": subscription.resource, "list_uri": subscription.list_uri,
            "watcher": subscription.watcher, "display_name": subscription.display_name,
            "state": subscription.state, "call_id": dialog.call_id, "local_tag": dialog.local_tag,
            "remote_tag": dialog.remote_tag, "local_uri": dialog.local_uri, "remote_uri": dialog.remote_uri,
            "remote_target": dialog.remote_target, "route_set": json.dumps(list(dialog.route_set)),
            "secure": dialog.secure, "local_seq": dialog.local_seq, "remote_seq": dialog.remote_seq,
            "transport": peer.transport, "peer_host": peer.host, "peer_port": peer.port, "flow": peer.flow,
            "expires_at": subscription.expires_at, "created_at": subscription.created_at,
            "version": subscription.version}


def _subscription(row: RowMapping) -> StoredSubscription:
    dialog = StoredDialog(row["call_id"], row["local_tag"], row["remote_tag"], row["local_uri"], row["remote_uri"],
                          row["remote_target"], tuple(json.loads(row["route_set"])), bool(row["secure"]),
                          row["local_seq"], row["remote_seq"])
    return StoredSubscription(row["application"], row["key"], row["package"], row["event"], row["resource"],
                              row["watcher"], row["display_name"], row["state"], dialog,
                              Peer(row["peer_host"], row["peer_port"], row["transport"], row["flow"]),
                              row["expires_at"], row["created_at"], row["version"], row["list_uri"])
