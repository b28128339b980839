"""The thin asyncio glue: a TransportManager feeding the proxy core, one timer for the
core's deadlines. Everything SIP happens in the sans-IO core; this file only adapts.

The transaction layer runs on the loop's monotonic clock (inside the manager); the core
runs on wall-clock time (`time.time()`), in which bindings are persisted and nonces
issued, so both survive a restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from ..application import Application
from ..directory import BindingStore, UserDirectory
from ..local_domains import LocalDomains
from ..registrar import RegistrarConfig
from ..sip import DigestAlgorithm, TransactionEvent, TransactionLayer
from ..transport import TransportConfig, TransportManager
from .assembly import SipServices, build_services

log = logging.getLogger(__name__)


class SipServer:
    """Registrar and proxy on the transports of `transport_config`."""

    def __init__(self, transport_config: TransportConfig, *, domains: Sequence[str], users: UserDirectory,
                 store: BindingStore, secret: bytes, registrar_config: RegistrarConfig | None = None,
                 applications: Sequence[Application] = (), aliases: Sequence[str] = (),
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
        self.services: SipServices | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None

    async def start(self) -> None:
        await self.manager.start()
        listening = self.manager.listening
        listen = {transport: addresses[0] for transport, addresses in listening.items()}
        addresses = tuple(a for addresses in listening.values() for a in addresses)
        domains = LocalDomains(self._domains, addresses=addresses, aliases=self._aliases)
        self.services = build_services(self.manager, domains=domains, users=self._users, store=self._store,
                                       secret=self._secret, listen=listen, now=self._clock(),
                                       registrar_config=self._registrar_config,
                                       applications=self._applications,
                                       digest_algorithms=self._digest_algorithms,
                                       flow_alive=lambda token: self.manager.flow(token) is not None)
        log.info("SIP services for %s on %s: chain %s", self._domains, listen,
                 [app.name for app in self.services.core.chain])
        self._arm()

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = self._timer_at = None
        await self.manager.stop()

    def _on_event(self, event: TransactionEvent) -> None:
        if self.services is None:
            return  # before start() finished: nothing can be routed yet
        self.services.core.handle_event(event, self._clock())
        self._arm()

    def _arm(self) -> None:
        assert self.services is not None
        deadline = self.services.core.get_timer()
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = deadline
        if deadline is not None:
            delay = max(0.0, deadline - self._clock())
            self._timer = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        self._timer = self._timer_at = None
        assert self.services is not None
        try:
            self.services.core.handle_timer(self._clock())
        except Exception:
            log.exception("proxy timer failed")
        self._arm()
