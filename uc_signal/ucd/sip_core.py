"""The SIP side of ucd: the SIP services (registrar, location service, proxy router and
core, `uc_signal.proxy.build_services`) bound once to the store's directory adapters and
the daemon's configuration, driven by `uc_signal.proxy.driver.ServicesDriver`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path

from ..config import Config
from ..directory import Binding
from ..local_domains import LocalDomains
from ..proxy import build_services
from ..proxy.driver import ServicesDriver
from ..proxy.services import ApplicationFactory
from ..registrar import BindingChange, RegistrarConfig
from ..sip import DigestAlgorithm
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


def build_sip_core(config: Config, manager: TransportManager, directory: CachedUserDirectory,
                   bindings: WriteBehindBindingStore, data_dir: Path,
                   applications: Sequence[ApplicationFactory] = ()) -> ServicesDriver:
    """Call after `manager.start()`: the proxy's Via and Record-Route need the bound ports.
    `applications` are the chain's services between registrar and proxy, in order."""
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
        applications=applications, flow_alive=lambda token: manager.flow(token) is not None)
    log.info("SIP services: chain %s, %d bindings reloaded",
             " -> ".join(app.name for app in services.core.chain), len(services.location))
    services.location.subscribe(log_binding_change)
    return ServicesDriver(services)
