"""ucd's presence state across restarts: the write-behind store of publications and
subscription dialogs, read at start and handed to the presence service, the presence
agent and the resource list server, which report their changes back to it."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from ..application import Application
from ..presence import PresenceApplication, PresenceService
from ..presence.persistence import publications_of
from ..rls import ResourceListServer
from ..store.presence_state import WriteBehindPresenceState

log = logging.getLogger("ucd")


def restore_presence_state(state: WriteBehindPresenceState, service: PresenceService,
                           chain: Iterable[Application], now: float) -> None:
    """Publications into the service (documents parsed again), then each application's
    subscriptions; from here on the applications save their changes to `state`. Called
    once the chain is built and before its timer runs: the restored subscriptions'
    first NOTIFYs go from the first timer."""
    publications = service.restore_publications(publications_of(state.publications, service.config.custom_states),
                                                now)
    subscriptions = 0
    for application in chain:
        if isinstance(application, (PresenceApplication, ResourceListServer)):
            application.persistence = state
            subscriptions += application.restore(state.subscriptions, now)
    log.info("presence state restored", extra={"publications": publications, "subscriptions": subscriptions})
    state.publications, state.subscriptions = [], []   # read once; the applications hold them now
