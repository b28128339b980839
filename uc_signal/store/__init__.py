"""uc_signal.store: durable state behind one async, backend-neutral interface.

`Store` (base.py) is what the daemon and the admin API use; `SqlStore` implements it
over SQLAlchemy 2 async (SQLite + aiosqlite in WAL mode; PostgreSQL + asyncpg later), with
Alembic migrations applied by `open()`. sip_directory.py adapts it to the synchronous
`uc_signal.directory` protocols the registrar and proxy bind at start.
"""

from .base import Store
from .model import (STORED_ALGORITHMS, DuplicateUserError, InvalidUserError, StoreError, UserNotFoundError,
                    UserRecord, check_line_uri, credentials_for, parse_aor)
from .sip_directory import CachedUserDirectory, UserService, WriteBehindBindingStore
from .sql import SqlStore, sqlite_url

__all__ = [
    "CachedUserDirectory", "DuplicateUserError", "InvalidUserError", "STORED_ALGORITHMS", "SqlStore", "Store",
    "StoreError", "UserNotFoundError", "UserRecord", "UserService", "WriteBehindBindingStore", "check_line_uri",
    "credentials_for", "parse_aor", "sqlite_url",
]

from .contacts import ContactService, SqlContactStore

__all__ += ["ContactService", "SqlContactStore"]
