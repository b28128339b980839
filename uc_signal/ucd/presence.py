"""ucd's presence: the `[presence]` section as a PresenceConfig, the service loaded from
the store, and what the admin API gets to change it."""

from __future__ import annotations

from ..config import Config
from ..presence import Availability, CustomState, PresenceConfig, PresenceService, WatcherAuthorization
from ..store import SqlStore
from ..store.presence import PresenceStore


def presence_config(config: Config) -> PresenceConfig:
    section = config.presence
    return PresenceConfig(
        min_expires=section.min_expires, max_expires=section.max_expires, default_expires=section.default_expires,
        idle_timeout=section.idle_timeout,
        custom_states=tuple(CustomState(text, Availability.parse(base)) for text, base in section.custom_states),
        default_authorization=WatcherAuthorization(section.default_authorization))


async def load_presence(config: Config, store: SqlStore) -> tuple[PresenceService, PresenceStore]:
    """The service with every stored relationship and setting in it."""
    service = PresenceService(presence_config(config), (config.sip.domain,))
    presence_store = PresenceStore(store)
    await presence_store.load_into(service)
    return service, presence_store
