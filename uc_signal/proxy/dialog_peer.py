"""Where an in-dialog request the server sends as notifier (a NOTIFY) goes when the flow
its dialog was using is gone. Sans-IO.

A subscription's NOTIFYs follow the flow its last SUBSCRIBE came in on (RFC 5626 4.5 /
RFC 3261 18.2.2 for the watcher behind a NAT). A connection (TCP, TLS, WS) dies with the
server's process, or the watcher's network: the subscription itself lives on (RFC 6665:
it is soft state the watcher refreshes), and its NOTIFYs go the way the proxy reaches the
same target (`uc_signal.proxy.targets`, the router's in-dialog routing):

1. over UDP, or over a flow that is still open: where they went;
2. the dialog's target (first route, else the remote target, RFC 3261 12.2.1.1) is a
   registered Contact: over that registration's flow (RFC 5626 5.3; after the watcher
   registered again on a new connection, the new one), or to its Contact URI when it
   registered without a flow; a registration whose flow is gone is unreachable until the
   UA registers again (5.3: no new connection towards a flow);
3. the watcher is an outbound UA instance (+sip.instance, RFC 5626 4.1) that registered
   again under a new Contact URI: that instance's registration;
4. no registration: over TCP or TLS a new connection to the address the target names
   (what the proxy does for a target that is no registered contact, 16.6 item 7); a WS
   target names no address anyone could connect to.

None means unreachable now: the caller keeps what it would have sent as pending state
and tries again when the watcher registers (`LocationService.subscribe`).
"""

from __future__ import annotations

from collections.abc import Callable

from ..directory import Binding
from ..registrar import LocationService
from ..sip import Dialog, NameAddr, ParseError, SipUri
from ..transport.peer import Peer
from .targets import destination_for_binding, peer_for_uri

FlowAlive = Callable[[str], bool]


def dialog_target(dialog: Dialog) -> str:
    """The URI an in-dialog request is sent towards (RFC 3261 12.2.1.1 with loose routing):
    the first route of the route set, else the remote target."""
    if dialog.route_set:
        try:
            return NameAddr.parse(dialog.route_set[0]).uri_text
        except ParseError:
            return dialog.remote_target
    return dialog.remote_target


def watcher_instance(location: LocationService, target: str, now: float) -> str | None:
    """The UA instance (+sip.instance) registered under the Contact `target`, if any: kept
    with a subscription so that its NOTIFYs find the instance under a new Contact."""
    binding = location.find_contact(target, now)
    return binding.instance if binding is not None else None


def _flow_open(peer: Peer, flow_alive: FlowAlive | None) -> bool:
    return not peer.is_stream or not peer.flow or flow_alive is None or flow_alive(peer.flow)


def _binding_peer(binding: Binding, flow_alive: FlowAlive | None) -> Peer | None:
    destination = destination_for_binding(binding)
    if destination is None or destination.routes:
        # A Path (RFC 3327) would have to go in front of the dialog's route set: not reachable this way.
        return None
    return destination.peer if _flow_open(destination.peer, flow_alive) else None


def current_peer(peer: Peer, target: str, *, location: LocationService, flow_alive: FlowAlive | None, now: float,
                 aor: str | None = None, instance: str | None = None) -> Peer | None:
    """Where the dialog's next request goes (see the module docstring): `peer` is where
    the last one went, `target` the dialog's (`dialog_target`), `aor` and `instance` the
    watcher's address of record and UA instance when known. None: unreachable now."""
    if not peer.is_stream or (peer.flow and (flow_alive is None or flow_alive(peer.flow))):
        return peer
    binding = location.find_contact(target, now)
    if binding is not None:
        found = _binding_peer(binding, flow_alive)
        if found is not None:
            return found
        instance = instance or binding.instance
        aor = aor or binding.aor
    if instance is not None and aor is not None:
        for candidate in location.lookup(aor, now):      # most recent first within a q value
            if candidate.instance == instance and candidate is not binding:
                found = _binding_peer(candidate, flow_alive)
                if found is not None:
                    return found
    if binding is not None:
        return None   # registered, over a flow that is gone: it must register again
    if peer.transport not in ("TCP", "TLS"):
        return None
    try:
        uri = NameAddr.parse(f"<{target}>").uri
    except ParseError:
        return None
    found = peer_for_uri(uri) if isinstance(uri, SipUri) else None
    return found if found is not None and found.transport in ("TCP", "TLS") else None
