"""The store interface: async and backend-neutral.

The daemon, the admin API and the SIP directory adapters see storage only through `Store`.
`SqlStore` (sql.py) implements it with SQLAlchemy 2's async engine: SQLite through
aiosqlite today; a PostgreSQL pool is the same class over an asyncpg URL (the SQL is
dialect-neutral; only the connection set-up differs).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any

from ..directory import Binding
from .model import UserRecord


class Store(abc.ABC):
    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema to the newest migration."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def schema_version(self) -> str | None:
        """The applied migration's revision id (None: an empty database)."""

    # --- users ----------------------------------------------------------------------------

    @abc.abstractmethod
    async def create_user(self, user: UserRecord) -> UserRecord:
        """Insert; DuplicateUserError if username@domain exists."""

    @abc.abstractmethod
    async def get_user(self, username: str, domain: str) -> UserRecord | None: ...

    @abc.abstractmethod
    async def list_users(self, domain: str | None = None) -> list[UserRecord]: ...

    @abc.abstractmethod
    async def update_user(self, username: str, domain: str, changes: Mapping[str, Any]) -> UserRecord:
        """Change display_name, line_uri, enabled, policies and/or credentials;
        UserNotFoundError if absent."""

    @abc.abstractmethod
    async def delete_user(self, username: str, domain: str) -> None:
        """UserNotFoundError if absent."""

    # --- registration bindings ------------------------------------------------------------

    @abc.abstractmethod
    async def save_binding(self, binding: Binding) -> None:
        """Insert, or replace the binding with the same (aor, contact)."""

    @abc.abstractmethod
    async def apply_binding_changes(self, saves: list[Binding], removes: list[tuple[str, str]]) -> None:
        """Removes, then saves, in one transaction (the write-behind queue's batch)."""

    @abc.abstractmethod
    async def remove_binding(self, aor: str, contact: str) -> None: ...

    @abc.abstractmethod
    async def load_bindings(self, now: float) -> list[Binding]:
        """Every binding with expires_at > now."""

    @abc.abstractmethod
    async def purge_expired(self, now: float) -> int:
        """Delete bindings with expires_at <= now; how many."""
