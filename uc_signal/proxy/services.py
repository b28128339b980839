"""What the server gives each application of the chain when it is built.

pjsip hands its modules the endpoint; Kamailio's modules share the core's usrloc and auth
APIs. Here an application gets this one object: it never reaches into the router, the
registrar or the transport.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..application import Application
from ..directory import UserDirectory
from ..local_domains import LocalDomains
from ..registrar import LocationService
from ..sip import Dialog
from ..transport.peer import Peer
from .call_events import CallEvents
from .caller_auth import CallerAuthentication
from .originator import RequestOriginator
from .dialog_peer import current_peer, dialog_target
from .targets import Destination, destination_groups


@dataclass(frozen=True)
class ApplicationServices:
    users: UserDirectory
    domains: LocalDomains
    location: LocationService            # bindings; `subscribe()` for registrations coming and going
    caller_auth: CallerAuthentication    # 407 for local users without credentials (22.3)
    originator: RequestOriginator        # requests the application sends, answers routed back
    flow_alive: Callable[[str], bool] | None = None
    calls: CallEvents = field(default_factory=CallEvents)   # calls the proxy router saw answered/ended

    def destinations(self, aor: str, now: float) -> list[Destination]:
        """Where a local user's registered endpoints are reached now, every q group
        together (an application delivering to all points of presence: NOTIFY, MESSAGE)."""
        groups = destination_groups(self.location.lookup(aor, now), self.flow_alive)
        return [destination for group in groups for destination in group]

    def dialog_peer(self, peer: Peer, dialog: Dialog, now: float, aor: str | None = None,
                    instance: str | None = None) -> Peer | None:
        """Where a request in `dialog` (a NOTIFY) goes now that the last one went to `peer`:
        `peer` while its flow lives, else the watcher's current registration (see
        uc_signal.proxy.dialog_peer); None when it cannot be reached now."""
        if not peer.is_stream:
            return peer
        return current_peer(peer, dialog_target(dialog), location=self.location, flow_alive=self.flow_alive,
                            now=now, aor=aor, instance=instance)


ApplicationFactory = Callable[[ApplicationServices], Application]
