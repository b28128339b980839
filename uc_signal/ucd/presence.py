"""ucd's presence: the `[presence]` section as a PresenceConfig, the service loaded from
the store, and what the admin API gets to change it."""

from __future__ import annotations

from ..config import Config
from ..presence import Availability, CustomState, PresenceConfig, PresenceService, WatcherAuthorization
from ..presence.model import PresencePolicy
from ..store import CachedUserDirectory, SqlStore
from ..store.presence import PresenceStore


def presence_config(config: Config) -> PresenceConfig:
    section = config.presence
    return PresenceConfig(
        min_expires=section.min_expires, max_expires=section.max_expires, default_expires=section.default_expires,
        idle_timeout=section.idle_timeout,
        custom_states=tuple(CustomState(text, Availability.parse(base)) for text, base in section.custom_states),
        default_authorization=WatcherAuthorization(section.default_authorization),
        policies=tuple((name, PresencePolicy(WatcherAuthorization(authorization) if authorization else None,
                                             privacy_mode))
                       for name, authorization, privacy_mode in section.policies))


async def load_presence(config: Config, store: SqlStore,
                        directory: CachedUserDirectory) -> tuple[PresenceService, PresenceStore]:
    """The service with every stored relationship and setting in it; users' presence
    policies are read from `directory` when asked (a policy changed with ucctl applies at
    once)."""
    service = PresenceService(presence_config(config), (config.sip.domain,))

    def policy_of(aor: str) -> str | None:
        user, _, domain = aor.partition(":")[2].rpartition("@")
        return directory.policy(user, domain, "presence")

    service.policy_of = policy_of
    presence_store = PresenceStore(store)
    await presence_store.load_into(service)
    return service, presence_store
