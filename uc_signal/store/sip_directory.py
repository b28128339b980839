"""The store seen through uc_signal.directory's synchronous protocols.

The registrar and proxy call `UserDirectory` and `BindingStore` on the signaling hot path,
synchronously. So, as Kamailio's usrloc keeps contacts in shared memory and writes to the
database behind them:

- `CachedUserDirectory` holds every user and HA1 in memory, loaded from the store at
  start; the admin API (`UserService`) writes to the store first and then to the cache, so
  a user added with ucctl can register at once.
- `WriteBehindBindingStore` answers `load_all` from what it read at start, and queues
  `save`/`remove`; one task writes the queue to the store in batches, at most one batch
  per `flush_interval` (Kamailio's usrloc write-back mode, db_mode 2, does the same on a
  timer): a crash loses at most that much of the registrations' changes, and a
  registration costs a share of one transaction instead of one each. `flush()` on
  shutdown persists whatever is still queued.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..directory import Binding, User
from ..sip.digest import DigestAlgorithm
from .base import Store
from .model import UserRecord, credentials_for
from .write_behind import BatchWriter, requeue

log = logging.getLogger(__name__)


class CachedUserDirectory:
    """uc_signal.directory.UserDirectory (and so a digest CredentialStore) from memory."""

    def __init__(self) -> None:
        self._users: dict[tuple[str, str], User] = {}
        self._ha1: dict[tuple[str, str, str], str] = {}
        # Told (username, domain, {algorithm: HA1} or None) of every change: the C front's
        # HA1 table (uc_signal._sipfront) follows an enabled user's credentials, and
        # forgets a user removed or disabled.
        self.on_credentials: Callable[[str, str, Mapping[str, str] | None], None] | None = None

    def __len__(self) -> int:
        return len(self._users)

    async def load(self, store: Store) -> None:
        for record in await store.list_users():
            self.put(record)

    def put(self, record: UserRecord) -> None:
        self.drop(record.username, record.domain)
        self._users[(record.username, record.domain)] = User(record.username, record.domain, record.display_name,
                                                             record.enabled, tuple(sorted(record.policies.items())))
        for algorithm, ha1 in record.credentials.items():
            self._ha1[(record.username, record.domain, algorithm)] = ha1
        if self.on_credentials is not None and record.enabled:
            self.on_credentials(record.username, record.domain, dict(record.credentials))

    def drop(self, username: str, domain: str) -> None:
        self._users.pop((username, domain), None)
        for algorithm in DigestAlgorithm:
            self._ha1.pop((username, domain, algorithm.value), None)
        if self.on_credentials is not None:
            self.on_credentials(username, domain, None)

    def enabled_credentials(self) -> Iterator[tuple[str, str, dict[str, str]]]:
        """(username, domain, {algorithm: HA1}) of every enabled user."""
        for (username, domain), user in self._users.items():
            if user.enabled:
                yield username, domain, {algorithm.value: ha1 for algorithm in DigestAlgorithm
                                         if (ha1 := self._ha1.get((username, domain, algorithm.value))) is not None}

    def find_user(self, username: str, domain: str) -> User | None:
        return self._users.get((username, domain.lower()))

    def ha1(self, username: str, realm: str, algorithm: DigestAlgorithm) -> str | None:
        # The realm of a user's credentials is the user's domain (model.credentials_for).
        return self._ha1.get((username, realm.lower(), algorithm.value))


class UserService:
    """User changes for the admin API: the store first (it validates and may refuse), then
    the in-memory directory the SIP side reads."""

    def __init__(self, store: Store, directory: CachedUserDirectory) -> None:
        self.store = store
        self.directory = directory

    async def create(self, username: str, domain: str, password: str, *, display_name: str = "",
                     line_uri: str | None = None, enabled: bool = True,
                     policies: Mapping[str, str] | None = None) -> UserRecord:
        record = UserRecord(username=username, domain=domain.lower(), display_name=display_name, line_uri=line_uri,
                            enabled=enabled, policies=dict(policies or {})).validated()
        record = await self.store.create_user(UserRecord(
            **{**record.__dict__, "credentials": credentials_for(record.username, record.domain, password)}))
        self.directory.put(record)
        return record

    async def update(self, username: str, domain: str, changes: Mapping[str, Any]) -> UserRecord:
        changes = dict(changes)
        password = changes.pop("password", None)
        if password is not None:
            changes["credentials"] = credentials_for(username, domain.lower(), password)
        record = await self.store.update_user(username, domain, changes)
        self.directory.put(record)
        return record

    async def delete(self, username: str, domain: str) -> None:
        await self.store.delete_user(username, domain)
        self.directory.drop(username, domain.lower())


class WriteBehindBindingStore:
    """uc_signal.directory.BindingStore over an async Store, writes queued and batched."""

    def __init__(self, store: Store, flush_interval: float = 1.0) -> None:
        self.store = store
        self._loaded: list[Binding] = []
        # (aor, contact) -> the binding to save, or None to remove; newest change wins.
        self._pending: dict[tuple[str, str], Binding | None] = {}
        self._writer = BatchWriter(self._write_pending, flush_interval, "binding-writer")
        self.writes = 0
        self.write_errors = 0

    async def preload(self, now: float) -> None:
        self._loaded = await self.store.load_bindings(now)
        purged = await self.store.purge_expired(now)
        log.info("bindings: %d reloaded from the store, %d expired ones purged", len(self._loaded), purged)

    def start(self) -> None:
        self._writer.start()

    # --- the BindingStore protocol (sync, called by the location service) ------------------

    def save(self, binding: Binding) -> None:
        self._pending[(binding.aor, binding.contact)] = binding
        self._writer.wake()

    def remove(self, aor: str, contact: str) -> None:
        self._pending[(aor, contact)] = None
        self._writer.wake()

    def load_all(self, now: float) -> list[Binding]:
        return [binding for binding in self._loaded if binding.expires_at > now]

    # --- writing ----------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def _write_pending(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, {}
        saves = [binding for binding in batch.values() if binding is not None]
        removes = [key for key, binding in batch.items() if binding is None]
        try:
            await self.store.apply_binding_changes(saves, removes)
            self.writes += len(batch)
        except Exception:
            self.write_errors += 1
            log.exception("bindings: writing %d changes failed; kept for the next attempt", len(batch))
            requeue(self._pending, batch)

    async def flush(self) -> None:
        """Stop the writer and persist every queued change (shutdown)."""
        await self._writer.flush()
