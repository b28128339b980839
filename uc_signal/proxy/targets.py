"""Where a request to a target goes: the next hop for a URI, or for a registered binding
(its Path, RFC 3327; its flow, RFC 5626; else its Contact URI, RFC 3261 16.6 item 7 with
RFC 3263 reduced to numeric hosts: there is no DNS in the core)."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..directory import Binding
from ..sip import NameAddr, ParseError, SipUri, parse_uri
from ..transport.peer import STREAM_TRANSPORTS, TRANSPORTS, Peer

_DEFAULT_PORT = {"UDP": 5060, "TCP": 5060, "TLS": 5061, "WS": 80, "WSS": 443}


@dataclass(frozen=True)
class Destination:
    """A forwarded request's Request-URI, the Route fields put in front of its own, and
    the peer it is sent to."""

    uri: str
    routes: tuple[str, ...]
    peer: Peer


def uri_transport(uri: SipUri) -> str:
    transport = (uri.transport or "").upper()
    if transport in TRANSPORTS:
        return "TLS" if uri.secure and transport == "TCP" else transport
    return "TLS" if uri.secure else "UDP"


@functools.lru_cache(maxsize=1024)  # ipaddress parses in Python; every routed request asks
def is_numeric_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def peer_for_uri(uri: SipUri) -> Peer | None:
    """The next hop named by a URI (maddr, host, port, transport); None for a host name
    (resolving one is RFC 3263's DNS work, not done here)."""
    host = (uri.maddr or uri.host).strip("[]")
    if not is_numeric_host(host):
        return None
    transport = uri_transport(uri)
    return Peer(host, uri.port or _DEFAULT_PORT[transport], transport)


# destination_for_binding per Binding object: a call asks it for the same binding three
# times (the INVITE's targets, then the ACK and the BYE to the contact), each time parsing
# the Contact URI. A Binding is frozen, so the answer for one object never changes; the
# entry holds the object, so its id() cannot be reused while the entry is there.
_DESTINATIONS: dict[int, tuple[Binding, Destination | None]] = {}
_DESTINATIONS_KEPT = 4096


def destination_for_binding(binding: Binding) -> Destination | None:
    """How to reach a registered contact (see `_destination_for_binding`); remembered per
    Binding object."""
    cached = _DESTINATIONS.get(id(binding))
    if cached is not None and cached[0] is binding:
        return cached[1]
    destination = _destination_for_binding(binding)
    if len(_DESTINATIONS) >= _DESTINATIONS_KEPT:
        _DESTINATIONS.clear()   # refreshed bindings are new objects: drop the old entries
    _DESTINATIONS[id(binding)] = (binding, destination)
    return destination


def _destination_for_binding(binding: Binding) -> Destination | None:
    """How to reach a registered contact.

    With a Path, the request goes to the first Path hop with the Path as Route (RFC 3327
    5.3). A contact that registered over a connection (TCP, TLS, WS), or over UDP with
    outbound's reg-id (RFC 5626 5.3), is reached over that flow: the address it came from.
    Otherwise the Contact URI itself says where (RFC 3261 16.6 item 7).
    """
    if binding.path:
        try:
            first = NameAddr.parse(binding.path[0]).uri
        except ParseError:
            return None
        peer = peer_for_uri(first) if isinstance(first, SipUri) else None
        return Destination(binding.contact, binding.path, peer) if peer else None
    if binding.flow and (binding.transport in STREAM_TRANSPORTS or binding.reg_id is not None):
        peer = Peer(binding.source_host, binding.source_port, binding.transport, binding.flow)
        return Destination(binding.contact, (), peer)
    try:
        uri = parse_uri(binding.contact)
    except ParseError:
        return None
    if not isinstance(uri, SipUri):
        return None
    peer = peer_for_uri(uri)
    if peer is None:
        return None
    if peer.transport == binding.transport == "UDP":
        peer = peer._replace(flow=binding.flow)  # out of the socket it registered over
    return Destination(binding.contact, (), peer)


def destination_groups(bindings: Iterable[Binding],
                       flow_alive: Callable[[str], bool] | None = None) -> list[list[Destination]]:
    """A user's registered contacts as destinations, grouped by q value, highest first
    (`bindings` come sorted that way from the location service): the proxy tries the groups
    in turn, each in parallel (16.6). A contact bound to a connection that is gone is left
    out (RFC 5626 5.3: unreachable until the UA registers again); `flow_alive` tells."""
    groups: list[list[Destination]] = []
    last_q: float | None = None
    for binding in bindings:
        if binding.flow and binding.transport in STREAM_TRANSPORTS and flow_alive is not None \
                and not flow_alive(binding.flow):
            continue
        destination = destination_for_binding(binding)
        if destination is None:
            continue
        q = 1.0 if binding.q is None else binding.q
        if not groups or q != last_q:
            groups.append([])
            last_q = q
        groups[-1].append(destination)
    return groups
