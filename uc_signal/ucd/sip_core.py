"""The SIP side of ucd: the proxy helper's services (registrar, location service, proxy
router and core, `uc_signal.proxy.build_services`) bound once to the store's directory
adapters, driven by the transport manager's events and one wall-clock timer.

The services are sans-IO and keep time in wall-clock seconds (bindings survive a
restart); this adapter reads `time.time()` for each event and keeps a single
`loop.call_later` handle on the core's next deadline, moved only when it changes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

from ..config import Config
from ..directory import Binding
from ..local_domains import LocalDomains
from ..proxy import SipServices, build_services
from ..registrar import BindingChange, LocationService, RegistrarConfig
from ..sip import DigestAlgorithm, TransactionEvent
from ..store import CachedUserDirectory, WriteBehindBindingStore
from ..transport import TransportManager

log = logging.getLogger(__name__)

SECRET_FILE = "sip-secret"
_WILDCARDS = ("0.0.0.0", "::")


def ensure_secret(data_dir: Path) -> bytes:
    """The key of digest nonces and temporary GRUUs: made once (32 random bytes, mode
    0600) and kept, so nonces and GRUUs handed out before a restart stay valid."""
    path = data_dir / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = bytes.fromhex(path.read_text().strip())
        if len(secret) < 16:
            raise ValueError(f"{path}: too short (delete it to make a new one)") from None
        return secret
    secret = os.urandom(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret.hex() + "\n")
    return secret


def log_binding_change(change: BindingChange, binding: Binding) -> None:
    """Registrations coming and going, for the operator (usrloc's callbacks, RFC 3261 10.3);
    refreshes only at debug level."""
    level = logging.DEBUG if change in (BindingChange.UPDATED, BindingChange.LOADED) else logging.INFO
    if log.isEnabledFor(level):
        log.log(level, "registration %s", change.value, extra={
            "aor": binding.aor, "contact": binding.contact, "transport": binding.transport,
            "source": f"{binding.source_host}:{binding.source_port}", "expires_at": int(binding.expires_at)})


class SipCore:
    def __init__(self, services: SipServices) -> None:
        self.services = services
        services.location.subscribe(log_binding_change)
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._stopped = False

    @property
    def location(self) -> LocationService:
        return self.services.location

    def registrations(self, now: float) -> list[Binding]:
        location = self.services.location
        return [binding for aor in location.aors() for binding in location.lookup(aor, now)]

    def start(self) -> None:
        self._arm()

    def stop(self) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = self._timer_at = None

    def on_event(self, event: TransactionEvent) -> None:
        self.services.core.handle_event(event, time.time())
        self._arm()

    def _arm(self) -> None:
        if self._stopped:
            return
        deadline = self.services.core.get_timer()
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = deadline
        if deadline is not None:
            self._timer = asyncio.get_running_loop().call_later(max(0.0, deadline - time.time()), self._fire)

    def _fire(self) -> None:
        self._timer = self._timer_at = None
        try:
            self.services.core.handle_timer(time.time())
        except Exception:
            log.exception("proxy core timer failed")
        self._arm()


def build_sip_core(config: Config, manager: TransportManager, directory: CachedUserDirectory,
                   bindings: WriteBehindBindingStore, data_dir: Path) -> SipCore:
    """Call after `manager.start()`: the proxy's Via and Record-Route need the bound ports."""
    listen: dict[str, tuple[str, int]] = {}
    for transport, addresses in manager.listening.items():
        host, port = addresses[0]
        listen[transport] = (config.sip.domain if host in _WILDCARDS else host, port)
    local = tuple((host, port) for found in manager.listening.values() for host, port in found)
    domains = LocalDomains((config.sip.domain,), addresses=local)
    registrar = config.registrar
    services = build_services(
        manager, domains=domains, users=directory, store=bindings, secret=ensure_secret(data_dir),
        listen=listen, now=time.time(),
        registrar_config=RegistrarConfig(min_expires=registrar.min_expires, max_expires=registrar.max_expires,
                                         default_expires=registrar.default_expires),
        digest_algorithms=tuple(DigestAlgorithm.from_token(name) for name in config.auth.algorithms),
        flow_alive=lambda token: manager.flow(token) is not None)
    log.info("SIP services: chain %s, %d bindings reloaded",
             " -> ".join(app.name for app in services.core.chain), len(services.location))
    return SipCore(services)
