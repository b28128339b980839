"""Presence state that must survive a restart: privacy relationships and per-user settings
(privacy mode, watcher authorization, contact card, imported calendar).

The admin API writes here first and then to the in-memory `PresenceService` (as
`UserService` does for users); the daemon loads everything into the service at start.
Publications and subscriptions are kept apart, written behind the SIP side
(store/presence_state.py). The resource list server reads who a user's contacts are with
`relationships_of` (a relationship set means "a contact of mine").
"""

from __future__ import annotations

import json
import time

from sqlalchemy import delete, insert, select

from ..presence.calendar import BusyInterval
from ..presence.model import CARD_FIELDS, ContactCard, UserPresenceSettings, WatcherAuthorization
from ..presence.privacy import Relationship
from ..presence.service import PresenceService
from .sql import SqlStore
from .tables import presence_relationships, presence_settings


class PresenceStore:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    async def load_into(self, service: PresenceService) -> int:
        """Every stored relationship and setting into `service`; how many rows."""
        async with self.store.engine.connect() as connection:
            relationships = (await connection.execute(select(presence_relationships))).mappings().all()
            settings = (await connection.execute(select(presence_settings))).mappings().all()
        service.load_relationships((row["presentity"], row["watcher"], Relationship(row["relationship"]))
                                   for row in relationships)
        service.load_settings((row["aor"], _settings(row), _intervals(row["calendar"])) for row in settings)
        return len(relationships) + len(settings)

    async def relationships_of(self, presentity: str) -> dict[str, Relationship]:
        async with self.store.engine.connect() as connection:
            rows = (await connection.execute(select(presence_relationships).where(
                presence_relationships.c.presentity == presentity))).mappings().all()
        return {row["watcher"]: Relationship(row["relationship"]) for row in rows}

    async def set_relationship(self, presentity: str, watcher: str, relationship: Relationship | None) -> None:
        async with self.store.engine.begin() as connection:
            await connection.execute(delete(presence_relationships).where(
                (presence_relationships.c.presentity == presentity) & (presence_relationships.c.watcher == watcher)))
            if relationship is not None:
                await connection.execute(insert(presence_relationships).values(
                    presentity=presentity, watcher=watcher, relationship=relationship.value, updated_at=time.time()))

    async def save_settings(self, aor: str, settings: UserPresenceSettings,
                            calendar: tuple[BusyInterval, ...]) -> None:
        async with self.store.engine.begin() as connection:
            await connection.execute(delete(presence_settings).where(presence_settings.c.aor == aor))
            await connection.execute(insert(presence_settings).values(
                aor=aor, privacy_mode=settings.privacy_mode,
                authorization=settings.authorization.value if settings.authorization is not None else "",
                card=json.dumps(settings.card.as_dict(), sort_keys=True),
                calendar=json.dumps([[i.start, i.end] for i in calendar]), updated_at=time.time()))


def _settings(row: object) -> UserPresenceSettings:
    card = json.loads(row["card"])   # type: ignore[index]
    privacy_mode = row["privacy_mode"]   # type: ignore[index]
    authorization = row["authorization"]   # type: ignore[index]
    return UserPresenceSettings(
        privacy_mode=None if privacy_mode is None else bool(privacy_mode),
        authorization=WatcherAuthorization(authorization) if authorization else None,
        card=ContactCard(**{name: str(card.get(name, "")) for name in CARD_FIELDS}))


def _intervals(text: str) -> tuple[BusyInterval, ...]:
    return tuple(BusyInterval(float(start), float(end)) for start, end in json.loads(text))
