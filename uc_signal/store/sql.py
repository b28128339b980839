"""`SqlStore`: the Store interface over SQLAlchemy 2's async engine.

SQLite (the embedded default) goes through aiosqlite, in WAL mode so the admin API's
reads do not wait behind the registrar's writes, with foreign keys on. The statements are
SQLAlchemy Core and dialect-neutral, so `postgresql+asyncpg://` is a URL away; only
`_on_connect` is SQLite-specific, and the binding writes' upsert (INSERT ... ON CONFLICT DO
UPDATE, spelled alike by SQLite and PostgreSQL: a refresh rewrites its row in place instead
of a DELETE and an INSERT, a third less CPU per binding), with the delete-and-insert kept for
any other dialect.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, event, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from ..directory import Binding
from . import migrate
from .batch import BatchStatement
from .base import Store
from .model import (DuplicateUserError, InvalidUserError, UserNotFoundError, UserRecord, check_display_name,
                    check_line_uri, check_policies)
from .tables import bindings, credentials, user_policies, users

_CHANGEABLE = {"display_name", "line_uri", "enabled", "policies", "credentials"}


_BINDING_COLUMNS = ("aor", "contact", "expires_at", "q", "call_id", "cseq", "params", "path", "transport",
                    "source_host", "source_port", "flow", "instance", "reg_id", "user_agent", "registered_at")


class JsonTexts:
    """The JSON text of a binding's params or path, remembered: a refresh brings the
    same tuple again (a client's +sip.instance, reg-id, methods...), and looking it up costs
    a tenth of json.dumps. Bounded: emptied when it reaches `limit` entries."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._texts: dict[tuple[Any, ...], str] = {}

    def __len__(self) -> int:
        return len(self._texts)

    def text(self, value: tuple[Any, ...]) -> str:
        if not value:
            return "[]"
        text = self._texts.get(value)
        if text is None:
            if len(self._texts) >= self.limit:
                self._texts.clear()
            text = self._texts[value] = json.dumps([list(item) if isinstance(item, tuple) else item
                                                    for item in value])
        return text


def _binding_row(binding: Binding, json_texts: JsonTexts) -> tuple[Any, ...]:
    """The binding's values in _BINDING_COLUMNS order."""
    return (binding.aor, binding.contact, binding.expires_at, binding.q, binding.call_id, binding.cseq,
            json_texts.text(binding.params), json_texts.text(binding.path),
            binding.transport, binding.source_host, binding.source_port, binding.flow, binding.instance,
            binding.reg_id, binding.user_agent, binding.registered_at)


def _binding_upsert(insert_of: Any) -> Any:
    """INSERT ... ON CONFLICT (aor, contact) DO UPDATE: a refresh rewrites its row in place
    (SQLite and PostgreSQL spell it alike)."""
    statement = insert_of(bindings)
    return statement.on_conflict_do_update(
        index_elements=[bindings.c.aor, bindings.c.contact],
        set_={column.name: statement.excluded[column.name] for column in bindings.c if not column.primary_key})


# The batch statements (uc_signal.store.batch): the upsert for SQLite and PostgreSQL, the
# DELETE and plain INSERT for any other dialect.
_UPSERTS = {"sqlite": BatchStatement.insert_of(_binding_upsert(sqlite_insert), bindings, _BINDING_COLUMNS),
            "postgresql": BatchStatement.insert_of(_binding_upsert(postgresql_insert), bindings, _BINDING_COLUMNS)}
_INSERT_BINDINGS = BatchStatement.insert_of(insert(bindings), bindings, _BINDING_COLUMNS)
_DELETE_BINDINGS = BatchStatement(
    delete(bindings).where(bindings.c.aor == bindparam("k_aor"), bindings.c.contact == bindparam("k_contact")),
    ("k_aor", "k_contact"), (bindings.c.aor, bindings.c.contact))


def sqlite_url(path: str | Path) -> str:
    return f"sqlite+aiosqlite:///{Path(path)}"


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")      # readers never block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")    # durable at checkpoints; WAL keeps it consistent
    cursor.execute("PRAGMA foreign_keys=ON")       # credentials/policies go with their user
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class SqlStore(Store):
    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: AsyncEngine | None = None
        self._json_texts = JsonTexts()
        self.revision: str | None = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("store not open")
        return self._engine

    async def open(self) -> None:
        engine = create_async_engine(self.url)
        if engine.dialect.name == "sqlite":
            event.listen(engine.sync_engine, "connect", _on_connect)
        self._engine = engine
        self.revision = await migrate.upgrade(engine)

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def schema_version(self) -> str | None:
        return await migrate.current_revision(self.engine)

    async def journal_mode(self) -> str:
        async with self.engine.connect() as connection:
            if self.engine.dialect.name != "sqlite":
                return ""
            return str((await connection.exec_driver_sql("PRAGMA journal_mode")).scalar())

    # --- users ----------------------------------------------------------------------------

    async def create_user(self, user: UserRecord) -> UserRecord:
        user = user.validated()
        now = time.time()
        async with self.engine.begin() as connection:
            try:
                result = await connection.execute(insert(users).values(
                    username=user.username, domain=user.domain, display_name=user.display_name,
                    line_uri=user.line_uri, enabled=user.enabled, created_at=now, updated_at=now))
            except IntegrityError:
                raise DuplicateUserError(user.aor) from None
            assert result.inserted_primary_key is not None
            user_id = result.inserted_primary_key[0]
            await self._write_children(connection, user_id, user.credentials, user.policies)
        found = await self.get_user(user.username, user.domain)
        assert found is not None
        return found

    async def _write_children(self, connection: AsyncConnection, user_id: int, creds: Mapping[str, str] | None,
                              policies: Mapping[str, str] | None) -> None:
        if creds is not None:
            await connection.execute(delete(credentials).where(credentials.c.user_id == user_id))
            if creds:
                await connection.execute(insert(credentials), [
                    {"user_id": user_id, "algorithm": algorithm, "ha1": ha1} for algorithm, ha1 in creds.items()])
        if policies is not None:
            await connection.execute(delete(user_policies).where(user_policies.c.user_id == user_id))
            if policies:
                await connection.execute(insert(user_policies), [
                    {"user_id": user_id, "kind": kind, "name": name} for kind, name in policies.items()])

    async def get_user(self, username: str, domain: str) -> UserRecord | None:
        found = await self._select_users(username=username, domain=domain.lower())
        return found[0] if found else None

    async def list_users(self, domain: str | None = None) -> list[UserRecord]:
        return await self._select_users(domain=domain.lower() if domain else None)

    async def _select_users(self, *, username: str | None = None, domain: str | None = None) -> list[UserRecord]:
        query = select(users).order_by(users.c.domain, users.c.username)
        if username is not None:
            query = query.where(users.c.username == username)
        if domain is not None:
            query = query.where(users.c.domain == domain)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
            if not rows:
                return []
            ids = [row["id"] for row in rows]
            creds: dict[int, dict[str, str]] = {}
            for row in (await connection.execute(select(credentials).where(credentials.c.user_id.in_(ids)))):
                creds.setdefault(row.user_id, {})[row.algorithm] = row.ha1
            pols: dict[int, dict[str, str]] = {}
            for row in (await connection.execute(select(user_policies).where(user_policies.c.user_id.in_(ids)))):
                pols.setdefault(row.user_id, {})[row.kind] = row.name
        return [UserRecord(username=row["username"], domain=row["domain"], display_name=row["display_name"],
                           line_uri=row["line_uri"], enabled=bool(row["enabled"]),
                           policies=dict(sorted(pols.get(row["id"], {}).items())),
                           credentials=creds.get(row["id"], {}), created_at=row["created_at"],
                           updated_at=row["updated_at"]) for row in rows]

    async def update_user(self, username: str, domain: str, changes: Mapping[str, Any]) -> UserRecord:
        unknown = set(changes) - _CHANGEABLE
        if unknown:
            raise InvalidUserError(sorted(unknown)[0], "cannot be changed")
        values: dict[str, Any] = {}
        if "display_name" in changes:
            values["display_name"] = check_display_name(changes["display_name"])
        if "line_uri" in changes:
            values["line_uri"] = check_line_uri(changes["line_uri"])
        if "enabled" in changes:
            if not isinstance(changes["enabled"], bool):
                raise InvalidUserError("enabled", "must be true or false")
            values["enabled"] = changes["enabled"]
        policies = check_policies(changes["policies"]) if "policies" in changes else None
        creds = changes.get("credentials")
        domain = domain.lower()
        async with self.engine.begin() as connection:
            user_id = (await connection.execute(select(users.c.id).where(
                users.c.username == username, users.c.domain == domain))).scalar()
            if user_id is None:
                raise UserNotFoundError(f"sip:{username}@{domain}")
            await connection.execute(update(users).where(users.c.id == user_id).values(
                updated_at=time.time(), **values))
            await self._write_children(connection, user_id, creds, policies)
        found = await self.get_user(username, domain)
        assert found is not None
        return found

    async def delete_user(self, username: str, domain: str) -> None:
        domain = domain.lower()
        async with self.engine.begin() as connection:
            result = await connection.execute(delete(users).where(
                users.c.username == username, users.c.domain == domain))
            if result.rowcount == 0:
                raise UserNotFoundError(f"sip:{username}@{domain}")

    # --- bindings -------------------------------------------------------------------------

    async def save_binding(self, binding: Binding) -> None:
        await self.apply_binding_changes([binding], [])

    async def apply_binding_changes(self, saves: list[Binding], removes: list[tuple[str, str]]) -> None:
        """A batch of writes in one transaction (the write-behind queue's flush): one
        executemany DELETE of the removed keys and one executemany upsert of the saves (a
        dialect without upsert: the DELETE covers every key touched, then an INSERT), each a
        compiled BatchStatement run with tuples."""
        upsert = _UPSERTS.get(self.engine.dialect.name)
        deleted = removes if upsert is not None else [*removes, *((b.aor, b.contact) for b in saves)]
        if not saves and not deleted:
            return
        async with self.engine.begin() as connection:
            await _DELETE_BINDINGS.run(connection, deleted)
            await (upsert or _INSERT_BINDINGS).run(connection, [_binding_row(b, self._json_texts) for b in saves])

    async def remove_binding(self, aor: str, contact: str) -> None:
        await self.apply_binding_changes([], [(aor, contact)])

    async def load_bindings(self, now: float) -> list[Binding]:
        async with self.engine.connect() as connection:
            rows = (await connection.execute(select(bindings).where(bindings.c.expires_at > now)
                                             .order_by(bindings.c.aor, bindings.c.contact))).mappings().all()
        return [Binding(aor=row["aor"], contact=row["contact"], expires_at=row["expires_at"], q=row["q"],
                        call_id=row["call_id"], cseq=row["cseq"],
                        params=tuple((name, value) for name, value in json.loads(row["params"])),
                        path=tuple(json.loads(row["path"])), transport=row["transport"],
                        source_host=row["source_host"], source_port=row["source_port"], flow=row["flow"],
                        instance=row["instance"], reg_id=row["reg_id"], user_agent=row["user_agent"],
                        registered_at=row["registered_at"]) for row in rows]

    async def purge_expired(self, now: float) -> int:
        async with self.engine.begin() as connection:
            result = await connection.execute(delete(bindings).where(bindings.c.expires_at <= now))
            return int(result.rowcount or 0)
