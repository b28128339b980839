"""Registrar, proxy and the applications on a transport manager of their own: the SIP
server without the rest of ucd (store, admin API), for tests, benchmarks and embedders.
Everything SIP happens in the sans-IO services; `ServicesDriver` feeds them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from ..directory import BindingStore, UserDirectory
from ..local_domains import LocalDomains
from ..registrar import RegistrarConfig
from ..sip import DigestAlgorithm, TransactionEvent, TransactionLayer
from ..transport import TransportConfig, TransportManager
from .assembly import SipServices, build_services
from .driver import ServicesDriver
from .services import ApplicationFactory

log = logging.getLogger(__name__)


class SipServer:
    """Registrar and proxy on the transports of `transport_config`."""

    def __init__(self, transport_config: TransportConfig, *, domains: Sequence[str], users: UserDirectory,
                 store: BindingStore, secret: bytes, registrar_config: RegistrarConfig | None = None,
                 applications: Sequence[ApplicationFactory] = (), aliases: Sequence[str] = (),
                 digest_algorithms: tuple[DigestAlgorithm, ...] = (DigestAlgorithm.SHA_256, DigestAlgorithm.MD5),
                 clock: Callable[[], float] = time.time) -> None:
        self.manager = TransportManager(transport_config, self._on_event,
                                        TransactionLayer(send_100_trying=True, retransmit_2xx=False))
        self._domains = tuple(domains)
        self._aliases = tuple(aliases)
        self._users = users
        self._store = store
        self._secret = secret
        self._registrar_config = registrar_config
        self._applications = tuple(applications)
        self._clock = clock
        self._digest_algorithms = digest_algorithms
        self.driver: ServicesDriver | None = None

    @property
    def services(self) -> SipServices | None:
        return self.driver.services if self.driver is not None else None

    async def start(self) -> None:
        await self.manager.start()
        listening = self.manager.listening
        listen = {transport: addresses[0] for transport, addresses in listening.items()}
        addresses = tuple(a for addresses in listening.values() for a in addresses)
        domains = LocalDomains(self._domains, addresses=addresses, aliases=self._aliases)
        services = build_services(self.manager, domains=domains, users=self._users, store=self._store,
                                  secret=self._secret, listen=listen, now=self._clock(),
                                  registrar_config=self._registrar_config,
                                  applications=self._applications,
                                  digest_algorithms=self._digest_algorithms,
                                  flow_alive=lambda token: self.manager.flow(token) is not None)
        log.info("SIP services for %s on %s: chain %s", self._domains, listen,
                 [app.name for app in services.core.chain])
        self.driver = ServicesDriver(services, self._clock)
        self.driver.start()

    async def stop(self) -> None:
        if self.driver is not None:
            self.driver.stop()
        await self.manager.stop()

    def _on_event(self, event: TransactionEvent) -> None:
        if self.driver is not None:  # before start() finished nothing can be routed yet
            self.driver.on_event(event)
