"""Putting the SIP services together: location service, registrar, proxy router and the
core with its application chain, over one user directory and one binding store. The
applications between registrar and proxy are built here from their factories, each given
the same `ApplicationServices`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..directory import BindingStore, UserDirectory
from ..local_domains import LocalDomains
from ..registrar import LocationService, Registrar, RegistrarConfig
from ..sip import DigestAlgorithm, DigestAuthenticator
from .caller_auth import CallerAuthentication
from .core import ProxyCore
from .originator import RequestOriginator
from .router import ProxyConfig, ProxyRouter
from .sender import Sender
from .services import ApplicationFactory, ApplicationServices


@dataclass(frozen=True)
class SipServices:
    core: ProxyCore
    registrar: Registrar
    router: ProxyRouter
    location: LocationService
    applications: ApplicationServices


def build_services(sender: Sender, *, domains: LocalDomains, users: UserDirectory, store: BindingStore,
                   secret: bytes, listen: Mapping[str, tuple[str, int]], now: float,
                   registrar_config: RegistrarConfig | None = None, timer_c: float = 180.0,
                   applications: Sequence[ApplicationFactory] = (),
                   digest_algorithms: tuple[DigestAlgorithm, ...] = (DigestAlgorithm.SHA_256, DigestAlgorithm.MD5),
                   flow_alive: Callable[[str], bool] | None = None) -> SipServices:
    """The chain is [registrar, *applications, proxy]. `secret` (>= 16 bytes) keys the
    digest nonces and temporary GRUUs: keep it across restarts. Bindings are reloaded
    from `store` at `now` (wall-clock seconds). `digest_algorithms` are the challenges
    offered, preferred first (RFC 8760: SHA-256 before MD5; a UA that only reads the
    first challenge and knows only MD5, such as sipp 3.6, needs MD5 alone). `flow_alive`
    tells whether a connection flow token still has its connection (the transport
    manager's `flow(token)`)."""
    location = LocationService(store)
    registrar_auth = {d: DigestAuthenticator(d, secret, users, algorithms=digest_algorithms)
                      for d in domains.domains}
    proxy_auth = {d: DigestAuthenticator(d, secret, users, proxy=True, algorithms=digest_algorithms)
                  for d in domains.domains}
    registrar = Registrar(location, users, domains, registrar_auth, secret, registrar_config)
    caller_auth = CallerAuthentication(domains, users, proxy_auth)
    router = ProxyRouter(sender, ProxyConfig(listen=dict(listen), timer_c=timer_c), domains, location, users,
                         caller_auth, registrar, flow_alive)
    originator = RequestOriginator(sender, dict(listen))
    services = ApplicationServices(users, domains, location, caller_auth, originator, flow_alive)
    router.call_events = services.calls
    core = ProxyCore(sender, router, (registrar, *(build(services) for build in applications)), location,
                     originator)
    location.load(now)
    return SipServices(core, registrar, router, location, services)
