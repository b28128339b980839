"""Which hosts mean "this server": the SIP domains it serves and the addresses it listens on.

The registrar accepts REGISTERs for these domains (RFC 3261 10.3 step 1); the proxy treats
a Request-URI or Route naming one of these as addressed to itself (16.4, 16.5).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .sip import SipUri


@dataclass(frozen=True)
class LocalDomains:
    """`domains`: the SIP domains served (user@domain AORs, digest realm = domain).
    `addresses`: (host, port) pairs this server listens on; `aliases`: other host names of
    this server. Hosts compare case-blind; a URI without a port matches any local port."""

    domains: tuple[str, ...]
    addresses: tuple[tuple[str, int], ...] = ()
    aliases: tuple[str, ...] = field(default=())
    # The listening addresses by normalised host (lower case, no IPv6 brackets): the proxy
    # asks is_this_server() several times per request.
    _ports_of_host: dict[str, frozenset[int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.domains:
            raise ValueError("serve at least one SIP domain")
        object.__setattr__(self, "domains", tuple(d.lower() for d in self.domains))
        object.__setattr__(self, "aliases", tuple(a.lower() for a in self.aliases))
        ports: dict[str, set[int]] = {}
        for host, port in self.addresses:
            ports.setdefault(host.lower().strip("[]"), set()).add(port)
        object.__setattr__(self, "_ports_of_host", {host: frozenset(p) for host, p in ports.items()})

    def is_domain(self, host: str) -> bool:
        return host.lower() in self.domains

    def is_this_server(self, uri: object) -> bool:
        """True when `uri` (a SipUri) names this server itself: one of its listening
        addresses, an alias, or a served domain with no user part."""
        if not isinstance(uri, SipUri):
            return False
        host = uri.host.lower().strip("[]")
        if host in self.aliases:
            return True
        ports = self._ports_of_host.get(host)
        if ports is not None and (uri.port is None or uri.port in ports):
            return True
        return uri.user is None and host in self.domains

    def realm_for(self, host: str) -> str | None:
        """The digest realm for a request to `host`: the domain itself, else None."""
        host = host.lower()
        return host if host in self.domains else None

    @property
    def default_domain(self) -> str:
        return self.domains[0]
