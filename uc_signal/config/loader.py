"""Read ucd's TOML configuration into `Config`, or fail with one line naming the file, the
key and the reason (`/etc/ucd.toml: sip.udp_port: must be an integer 0-65535, got "abc"`).

Unknown tables and keys are errors too: a misspelt key silently ignored is a setting the
operator believes in and does not have. A key an earlier version had (`RETIRED_KEYS`) fails
the same way, with what to do instead.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path
from typing import Any

from .schema import Config

EMBEDDED = "<embedded defaults>"

# Keys ucd no longer reads, and what replaces each.
RETIRED_KEYS = {
    "focus.conferences": "removed: every meeting is a stored meeting with its roster, lobby and roles; "
                         "create each one with `ucctl meeting add ORGANIZER --lobby nobody` (or POST "
                         "/api/v1/meetings) and join it at the conference URI that prints, then delete this key",
}


class ConfigError(Exception):
    """A configuration that cannot be used; str() is the one line ucd prints."""

    def __init__(self, source: str, key: str | None, reason: str) -> None:
        self.source = source
        self.key = key
        self.reason = reason
        super().__init__(f"{source}: {key}: {reason}" if key else f"{source}: {reason}")


def load_config(path: str | Path | None = None) -> Config:
    """The configuration in `path`, each missing key at its default; None: all defaults."""
    if path is None:
        return Config()
    source = str(path)
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(source, None, "no such file") from None
    except PermissionError:
        raise ConfigError(source, None, "permission denied") from None
    except IsADirectoryError:
        raise ConfigError(source, None, "is a directory, not a TOML file") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(source, None, f"not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise ConfigError(source, None, "not valid TOML: not UTF-8") from None
    return config_from_dict(document, source)


def config_from_dict(document: dict[str, Any], source: str = EMBEDDED) -> Config:
    sections: dict[str, Any] = {}
    known = {f.name: f for f in dataclasses.fields(Config)}
    for table, values in document.items():
        if table not in known:
            raise ConfigError(source, table, f"unknown table (known: {', '.join(known)})")
        if not isinstance(values, dict):
            raise ConfigError(source, table, "must be a table ([" + table + "])")
        section_type = known[table].default_factory
        sections[table] = _section(section_type, values, table, source)
    config = Config(**sections)
    _cross_checks(config, source)
    return config


def _section(section_type: Any, values: dict[str, Any], table: str, source: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(section_type)}
    kwargs: dict[str, Any] = {}
    for name, value in values.items():
        if f"{table}.{name}" in RETIRED_KEYS:
            raise ConfigError(source, f"{table}.{name}", RETIRED_KEYS[f"{table}.{name}"])
        if name not in fields:
            raise ConfigError(source, f"{table}.{name}", f"unknown key (known: {', '.join(fields)})")
        try:
            kwargs[name] = fields[name].metadata["check"](value)
        except ValueError as error:
            raise ConfigError(source, f"{table}.{name}", str(error)) from None
    return section_type(**kwargs)


def _cross_checks(config: Config, source: str) -> None:
    registrar = config.registrar
    if registrar.min_expires > registrar.max_expires:
        raise ConfigError(source, "registrar.min_expires",
                          f"must not exceed registrar.max_expires ({registrar.max_expires}), got {registrar.min_expires}")
    if not registrar.min_expires <= registrar.default_expires <= registrar.max_expires:
        raise ConfigError(source, "registrar.default_expires",
                          f"must lie between registrar.min_expires and registrar.max_expires "
                          f"({registrar.min_expires}-{registrar.max_expires}), got {registrar.default_expires}")
    presence = config.presence
    if not presence.min_expires <= presence.default_expires <= presence.max_expires:
        raise ConfigError(source, "presence.default_expires",
                          f"must lie between presence.min_expires and presence.max_expires "
                          f"({presence.min_expires}-{presence.max_expires}), got {presence.default_expires}")
    if bool(config.sip.tls_cert) != bool(config.sip.tls_key):
        key = "sip.tls_key" if config.sip.tls_cert else "sip.tls_cert"
        raise ConfigError(source, key, "must be set together with " +
                          ("sip.tls_cert" if key == "sip.tls_key" else "sip.tls_key"))
    for key in ("tls_cert", "tls_key"):
        value = getattr(config.sip, key)
        if value and {"tls", "wss"} & set(config.sip.transports) and not Path(value).is_file():
            raise ConfigError(source, f"sip.{key}", f"no such file: {json.dumps(value, ensure_ascii=False)}")
    media = config.media
    if media.port_min < 1 or media.port_min > media.port_max:
        raise ConfigError(source, "media.port_min",
                          f"must be 1-{media.port_max} (at most media.port_max), got {media.port_min}")
    rls = config.rls
    if not rls.min_expires <= rls.default_expires <= rls.max_expires:
        raise ConfigError(source, "rls.default_expires",
                          f"must lie between rls.min_expires and rls.max_expires "
                          f"({rls.min_expires}-{rls.max_expires}), got {rls.default_expires}")
    if not config.daemon.data_dir:
        raise ConfigError(source, "daemon.data_dir", "must not be empty")
    if not config.store.path:
        raise ConfigError(source, "store.path", "must not be empty")
    sip = config.sip
    stream_ports = {"tcp": sip.tcp_port, "tls": sip.tls_port, "ws": sip.ws_port, "wss": sip.wss_port}
    seen: dict[int, str] = {}
    for name, number in stream_ports.items():
        if name in sip.transports and number != 0:
            if number in seen:
                raise ConfigError(source, f"sip.{name}_port",
                                  f"must differ from sip.{seen[number]}_port (both {number} over TCP)")
            seen[number] = name
    # The admin API and SIP over WebSocket share one uvicorn, told apart by local port.
    if config.http.port != 0 and config.http.port in seen:
        raise ConfigError(source, "http.port",
                          f"must differ from sip.{seen[config.http.port]}_port ({config.http.port})")
    _conferencing_checks(config, source)


def _conferencing_checks(config: Config, source: str) -> None:
    conferencing = config.conferencing
    seen: dict[str, str] = {}
    for name in ("dtmf_help", "dtmf_roll_call", "dtmf_audience_mute", "dtmf_self_mute", "dtmf_lock",
                 "dtmf_admit_all", "dtmf_announcements"):
        key = getattr(conferencing, name)
        if key in seen:
            raise ConfigError(source, f"conferencing.{name}",
                              f"must differ from conferencing.{seen[key]} (both \"{key}\")")
        seen[key] = name
