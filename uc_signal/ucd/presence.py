"""ucd's presence: the `[presence]` section as a PresenceConfig, the service loaded from
the store, and what the admin API gets to change it."""

from __future__ import annotations

from ..config import Config
from ..presence import Availability, CustomState, PresenceConfig, PresenceService, WatcherAuthorization
from ..presence.model import PresencePolicy
from ..rls import ContactDirectory, ContactList
from ..store import CachedUserDirectory, SqlStore
from ..store.presence import PresenceStore


def presence_config(config: Config) -> PresenceConfig:
    section = config.presence
    return PresenceConfig(
        min_expires=section.min_expires, max_expires=section.max_expires, default_expires=section.default_expires,
        idle_timeout=section.idle_timeout,
        custom_states=tuple(CustomState(text, Availability.parse(base)) for text, base in section.custom_states),
        default_authorization=WatcherAuthorization(section.default_authorization),
        policies=tuple((name, PresencePolicy(WatcherAuthorization(policy.authorization) if policy.authorization
                                             else None, policy.privacy_mode))
                       for name, policy in config.policies.presence.items()))


class ContactIndex:
    """(owner, watcher) -> (in the owner's contact list, relationship hint), from the
    resource list server's ContactDirectory, indexed per list (a fan-out asks once per
    watcher; a list is replaced, never changed in place, so its identity says when to
    index it again)."""

    def __init__(self, contacts: ContactDirectory) -> None:
        self.contacts = contacts
        self._index: dict[str, tuple[ContactList, dict[str, str | None]]] = {}

    def __call__(self, owner: str, watcher: str) -> tuple[bool, str | None]:
        current = self.contacts.get(owner)
        if current is None or not current.contacts:
            return False, None   # no list (or an empty one): nothing to index
        cached = self._index.get(owner)
        if cached is None or cached[0] is not current:
            cached = self._index[owner] = (current, {c.uri: c.relationship for c in current.contacts})
        if watcher not in cached[1]:
            return False, None
        return True, cached[1][watcher]


async def load_presence(config: Config, store: SqlStore, directory: CachedUserDirectory,
                        contacts: ContactDirectory) -> tuple[PresenceService, PresenceStore]:
    """The service with every stored relationship and setting in it; users' presence
    policies are read from `directory` when asked (a policy changed with ucctl applies at
    once); their contact lists from `contacts` (a contact counts for privacy mode and
    authorization, its relationship hint applies when no relationship was set)."""
    service = PresenceService(presence_config(config), (config.sip.domain,))

    def policy_of(aor: str) -> str | None:
        username, _, domain = aor.partition(":")[2].rpartition("@")
        user = directory.find_user(username, domain)
        return user.policy("presence") if user is not None else None

    service.policy_of = policy_of
    service.contact_of = ContactIndex(contacts)
    contacts.add_observer(service.contacts_changed)
    presence_store = PresenceStore(store)
    await presence_store.load_into(service)
    return service, presence_store
