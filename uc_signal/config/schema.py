"""The configuration of ucd as frozen dataclasses: one per TOML table, every field with its
default. docs/configuration.md documents each key; `loader.py` reads TOML into these and
names the file and key of anything wrong.

Field metadata carries the validation: `check` is a function returning the value (possibly
normalised) or raising ValueError with the reason, worded as "must be ..., got ...".
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

Check = Callable[[Any], Any]


def _got(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # quoted, control characters escaped: one line
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def port(value: Any) -> int:
    """A TCP/UDP port; 0 asks the kernel for a free one (tests)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise ValueError(f"must be an integer 0-65535 (0: any free port), got {_got(value)}")
    return value


def positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"must be a positive integer, got {_got(value)}")
    return value


def positive_seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or value != value:
        raise ValueError(f"must be a positive number of seconds, got {_got(value)}")
    return float(value)


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string, got {_got(value)}")
    return value


def one_of(*choices: str) -> Check:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value.lower() not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, got {_got(value)}")
        return value.lower()
    return check


_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def domain(value: Any) -> str:
    """A DNS name (RFC 1035 labels) or an IP address literal: the SIP domain users live in."""
    if isinstance(value, str) and value:
        try:
            ipaddress.ip_address(value)
            return value
        except ValueError:
            pass
        if len(value) <= 253 and all(_LABEL.match(label) for label in value.split(".")):
            return value.lower()
    raise ValueError(f"must be a domain name such as example.test, got {_got(value)}")


def host(value: Any) -> str:
    """An IP address literal to listen on."""
    try:
        return str(ipaddress.ip_address(value))
    except (ValueError, TypeError):
        raise ValueError(f"must be an IP address such as 127.0.0.1 or ::, got {_got(value)}") from None


def hosts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"must be a non-empty list of IP addresses, got {_got(value)}")
    return tuple(host(item) for item in value)


TRANSPORT_NAMES = ("udp", "tcp", "tls", "ws", "wss")
DEFAULT_TRANSPORTS = ("udp", "tcp", "tls", "ws")


def transports(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"must be a list drawn from {', '.join(TRANSPORT_NAMES)}, got {_got(value)}")
    names = tuple(item.lower() for item in value)
    unknown = [name for name in names if name not in TRANSPORT_NAMES]
    if unknown or not names:
        raise ValueError(f"must be a non-empty list drawn from {', '.join(TRANSPORT_NAMES)}, got {_got(value)}")
    return names


def algorithms(value: Any) -> tuple[str, ...]:
    allowed = {"sha-256": "SHA-256", "md5": "MD5"}
    if (not isinstance(value, list) or not value
            or not all(isinstance(item, str) and item.lower() in allowed for item in value)):
        raise ValueError(f"must be a non-empty list drawn from SHA-256, MD5, got {_got(value)}")
    return tuple(allowed[item.lower()] for item in value)


def ws_path(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("/api"):
        raise ValueError(f"must be a URL path starting with / (not under /api), got {_got(value)}")
    return value


def admin_token(value: Any) -> str:
    if not isinstance(value, str) or (value and (len(value) < 16 or not value.isprintable() or " " in value)):
        raise ValueError("must be empty (generated into the data directory) or at least 16 printable "
                         "characters without spaces")
    return value


def positive_days(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or value != value:
        raise ValueError(f"must be a positive number of days, got {_got(value)}")
    return float(value)


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {_got(value)}")
    return value


def int_between(low: int, high: int) -> Check:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"must be an integer {low}-{high}, got {_got(value)}")
        return value
    return check


def dtmf_key(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 1 or value not in "0123456789":
        raise ValueError(f"must be one digit \"0\"-\"9\" (a string), got {_got(value)}")
    return value


def dtmf_command_character(value: Any) -> str:
    if value not in ("*", "#"):
        raise ValueError(f"must be \"*\" or \"#\", got {_got(value)}")
    return str(value)


def tick_ms(value: Any) -> int:
    if isinstance(value, bool) or value not in (10, 20):
        raise ValueError(f"must be 10 or 20 (milliseconds), got {_got(value)}")
    return int(value)


def address_or_empty(value: Any) -> str:
    return "" if value == "" else host(value)


def access_numbers(value: Any) -> tuple[str, ...]:
    """Dial-in access numbers: tel: URIs (tel:+15550100) or SIP URIs (sip:dialin@example.test)."""
    from ..sip import ParseError
    from ..sip.uri import parse_uri
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"must be a list of tel: or SIP URIs, got {_got(value)}")
    for item in value:
        try:
            parse_uri(item.strip())
        except ParseError as error:
            raise ValueError(f"{item!r} is not a tel: or SIP URI: {error}") from None
    return tuple(item.strip() for item in value)


def _key(default: Any, check: Check, doc: str) -> Any:
    return field(default=default, metadata={"check": check, "doc": doc})


@dataclass(frozen=True)
class DaemonSection:
    data_dir: str = _key("./var", text, "directory for the database, the admin token and TLS files")
    shutdown_grace: float = _key(5.0, positive_seconds, "seconds SIGTERM waits for open transactions")


@dataclass(frozen=True)
class SipSection:
    domain: str = _key("example.test", domain, "the SIP domain users are created in")
    listen: tuple[str, ...] = _key(("127.0.0.1",), hosts, "IP addresses every SIP transport listens on")
    transports: tuple[str, ...] = _key(DEFAULT_TRANSPORTS, transports, "the transports to open")
    udp_port: int = _key(5060, port, "SIP over UDP")
    tcp_port: int = _key(5060, port, "SIP over TCP")
    tls_port: int = _key(5061, port, "SIP over TLS")
    ws_port: int = _key(5065, port, "SIP over WebSocket (RFC 7118)")
    wss_port: int = _key(5066, port, "SIP over secure WebSocket, with the TLS certificate")
    ws_path: str = _key("/", ws_path, "URL path of the WebSocket endpoint")
    tls_cert: str = _key("", text, "PEM certificate; empty: self-signed, made in the data dir")
    tls_key: str = _key("", text, "PEM private key matching tls_cert")
    max_connections: int = _key(10000, positive_int, "TCP + TLS + WS connections at once")
    idle_timeout: float = _key(600.0, positive_seconds, "seconds before an idle connection is closed")
    udp_challenge_front: bool = _key(True, boolean, "answer digest challenges over UDP in C, before Python parses")


@dataclass(frozen=True)
class AuthSection:
    algorithms: tuple[str, ...] = _key(("MD5",), algorithms, "digest algorithms offered, in order")


@dataclass(frozen=True)
class RegistrarSection:
    min_expires: int = _key(60, positive_int, "shortest registration accepted (423 below it)")
    max_expires: int = _key(3600, positive_int, "longest registration granted")
    default_expires: int = _key(3600, positive_int, "expiry when the REGISTER names none")


@dataclass(frozen=True)
class StoreSection:
    backend: str = _key("sqlite", one_of("sqlite"), "store backend")
    path: str = _key("ucd.sqlite3", text, "SQLite file, relative to the data dir")
    bindings_flush_interval: float = _key(1.0, positive_seconds, "seconds registration changes are gathered "
                                          "into one store transaction")


@dataclass(frozen=True)
class HttpSection:
    host: str = _key("127.0.0.1", host, "address of the admin API, /healthz and /metrics")
    port: int = _key(8080, port, "port of the admin API")
    admin_token: str = _key("", admin_token, "bearer token; empty: generated into data_dir/admin-token")


@dataclass(frozen=True)
class LogSection:
    format: str = _key("text", one_of("text", "json"), "log line format")
    level: str = _key("info", one_of("debug", "info", "warning", "error"), "lowest level logged")


def custom_states(value: Any) -> tuple[tuple[str, str], ...]:
    """Up to 4 tables {text = "...", availability = "available" | "busy" | "do-not-disturb"}."""
    if not isinstance(value, list) or len(value) > 4:
        raise ValueError(f"must be a list of at most 4 tables {{text, availability}}, got {_got(value)}")
    states = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"text", "availability"}:
            raise ValueError(f"each custom state is a table with text and availability, got {_got(item)}")
        text_value, base = item["text"], item["availability"]
        if not isinstance(text_value, str) or not 0 < len(text_value) <= 64 or not text_value.isprintable():
            raise ValueError(f"a custom state's text must be 1-64 printable characters, got {_got(text_value)}")
        if not isinstance(base, str) or base.lower() not in ("available", "busy", "do-not-disturb"):
            raise ValueError(f"a custom state's availability must be one of available, busy, do-not-disturb, "
                             f"got {_got(base)}")
        states.append((text_value, base.lower()))
    return tuple(states)


@dataclass(frozen=True)
class PresenceSection:
    min_expires: int = _key(60, positive_int, "shortest SUBSCRIBE or PUBLISH accepted (423 below it)")
    max_expires: int = _key(3600, positive_int, "longest subscription or publication granted")
    default_expires: int = _key(3600, positive_int, "expiry when a SUBSCRIBE or PUBLISH names none")
    idle_timeout: float = _key(300.0, positive_seconds, "seconds without user input before Available shows Away")
    default_authorization: str = _key("open", one_of("open", "confirm"),
                                      "new watchers: open (allowed) or confirm (pending until a relationship is set)")
    custom_states: tuple[tuple[str, str], ...] = _key((), custom_states, "up to 4 {text, availability} tables")
    state_flush_interval: float = _key(1.0, positive_seconds, "seconds publication and subscription changes "
                                       "are gathered into one store transaction")


def non_negative_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"must be a number >= 0, got {_got(value)}")
    return float(value)


def string_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ValueError(f"must be a list of non-empty strings, got {_got(value)}")
    return tuple(value)


def sip_user(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9._~-]{1,64}", value):
        raise ValueError(f"must be a SIP user name (letters, digits, . _ ~ -), got {_got(value)}")
    return value


def byte_count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"must be a byte count >= 0, got {_got(value)}")
    return value


@dataclass(frozen=True)
class ImSection:
    enabled: bool = _key(True, boolean, "the IM application in the chain; false: MESSAGE is only proxied")
    max_size: int = _key(8192, positive_int, "largest MESSAGE body in bytes (413 above)")
    factory_user: str = _key("chat", sip_user, "user part of the conversation factory URI sip:<user>@<domain>")
    delivery_timeout: float = _key(10.0, positive_seconds, "seconds without an endpoint's answer before a "
                                   "MESSAGE is stored offline (202)")
    offline_retry_interval: float = _key(30.0, positive_seconds, "seconds between delivery attempts of a "
                                         "stored message")
    offline_max_attempts: int = _key(5, positive_int, "attempts per registration before waiting for the next")
    retention_days: float = _key(0.0, non_negative_number, "days the history is kept; 0: forever")
    purge_interval: float = _key(3600.0, positive_seconds, "seconds between retention purges")
    flush_interval: float = _key(0.02, positive_seconds, "seconds IM store writes are gathered into one "
                                 "transaction")
    history_flush_interval: float = _key(1.0, positive_seconds, "seconds history rows wait to be written "
                                         "together when no stored message is waiting")
    filter_block_urls: tuple[str, ...] = _key((), string_list, "URL globs that block a message (403)")
    filter_warn_urls: tuple[str, ...] = _key((), string_list, "URL globs that prefix a warning to a message")
    filter_warn_prefix: str = _key("[Warning: this message contains a link to a site flagged by your "
                                   "administrator] ", text, "the warning put before a flagged message")
    blocked_extensions: tuple[str, ...] = _key((), string_list, "file extensions a message may not name (403)")


@dataclass(frozen=True)
class MediaSection:
    enabled: bool = _key(True, boolean, "run the media engine (the conferencing focus needs it)")
    workers: int = _key(1, positive_int, "engine worker threads (one per core at most)")
    bind: str = _key("127.0.0.1", host, "address the media sockets bind to")
    advertise: str = _key("", address_or_empty, "address put in our SDP; empty: media.bind")
    port_min: int = _key(40000, port, "lowest UDP port of a media leg")
    port_max: int = _key(49999, port, "highest UDP port of a media leg")
    tick_ms: int = _key(20, tick_ms, "mixing tick and packet time, 10 or 20 ms")


@dataclass(frozen=True)
class FocusSection:
    top_k: int = _key(3, positive_int, "loudest talkers mixed per tick")
    announcements: bool = _key(True, boolean, "entry and exit tones into the mix")


@dataclass(frozen=True)
class ConferencingSection:
    conference_id_digits: int = _key(7, int_between(4, 16), "digits of a new meeting's dial-in conference ID")
    meeting_keep_days: float = _key(14.0, positive_days, "days a meeting is kept after its end (a meet-now: "
                                    "after it was made)")
    presenters: str = _key("company", one_of("none", "company", "everyone"), "default presenter policy")
    lobby: str = _key("outside-company", one_of("nobody", "unauthenticated", "outside-company"),
                      "default lobby policy: who waits")
    pstn_bypass_lobby: bool = _key(True, boolean, "default: dial-in callers get in directly")
    lobby_timeout: float = _key(900.0, positive_seconds, "seconds in the lobby before the caller is let go")
    events_min_expires: int = _key(60, positive_int, "shortest conference-event subscription (423 below it)")
    events_max_expires: int = _key(3600, positive_int, "longest conference-event subscription granted")
    max_participants: int = _key(250, positive_int, "participants in one meeting")
    pin_min_length: int = _key(5, int_between(4, 24), "shortest leader PIN")
    pin_max_attempts: int = _key(5, positive_int, "failed PIN checks in a row before the PIN locks")
    pin_allow_common_patterns: bool = _key(False, boolean, "allow 11111, 12345, the user's own number")
    dialin_max_tries: int = _key(3, positive_int, "wrong or missing conference IDs (or PINs) per call")
    dialin_digit_timeout: float = _key(10.0, positive_seconds, "seconds to wait for the next digit")
    dialin_record_names: bool = _key(True, boolean, "ask guests on the phone to record their name")
    dtmf_command_character: str = _key("*", dtmf_command_character, "key that starts an in-meeting command")
    dtmf_help: str = _key("1", dtmf_key, "in-meeting key: help")
    dtmf_roll_call: str = _key("3", dtmf_key, "in-meeting key: private roll call")
    dtmf_audience_mute: str = _key("4", dtmf_key, "in-meeting key: mute/unmute the audience")
    dtmf_self_mute: str = _key("6", dtmf_key, "in-meeting key: mute/unmute yourself")
    dtmf_lock: str = _key("7", dtmf_key, "in-meeting key: lock/unlock the meeting")
    dtmf_admit_all: str = _key("8", dtmf_key, "in-meeting key: admit everyone from the lobby")
    dtmf_announcements: str = _key("9", dtmf_key, "in-meeting key: entry/exit announcements on/off")
    dialin_numbers: tuple[str, ...] = _key((), access_numbers, "dial-in access numbers the auto attendant answers "
                                           "(tel: or SIP URIs)")


@dataclass(frozen=True)
class RlsSection:
    notify_interval: float = _key(5.0, positive_seconds, "least seconds between two state-change NOTIFYs to one "
                                  "list subscription (RFC 3856 6.10); changes meanwhile are merged")
    min_expires: int = _key(60, positive_int, "shortest list subscription accepted (423 below it)")
    max_expires: int = _key(3600, positive_int, "longest list subscription granted")
    default_expires: int = _key(3600, positive_int, "list subscription length when the SUBSCRIBE names none")


_POLICY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")


@dataclass(frozen=True)
class ContactsPolicySection:
    max_contacts: int = _key(1000, positive_int, "most contacts a user of this policy may keep")


def _named_tables(section_type: Any) -> Check:
    """A table of named policy tables ([policies.<kind>.<name>]), each checked key by key."""
    def check(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ValueError(f"must be a table of named policies, got {_got(value)}")
        fields = {f.name: f for f in dataclasses.fields(section_type)}
        named: dict[str, Any] = {}
        for name, settings in value.items():
            if not _POLICY_NAME.match(name):
                raise ValueError(f"policy name {_got(name)} must be 1-64 letters, digits, spaces or ._-")
            if not isinstance(settings, dict):
                raise ValueError(f"{name}: must be a table, got {_got(settings)}")
            kwargs = {}
            for key, item in settings.items():
                if key not in fields:
                    raise ValueError(f"{name}.{key}: unknown key (known: {', '.join(fields)})")
                try:
                    kwargs[key] = fields[key].metadata["check"](item)
                except ValueError as error:
                    raise ValueError(f"{name}.{key}: {error}") from None
            named[name] = section_type(**kwargs)
        return named
    return check


@dataclass(frozen=True)
class PresencePolicySection:
    authorization: str = _key("", one_of("open", "confirm"), "new watchers: open or confirm (unset: "
                              "presence.default_authorization)")
    privacy_mode: bool = _key(False, boolean, "only contacts see presence")


@dataclass(frozen=True)
class ImPolicySection:
    enabled: bool = _key(True, boolean, "may send and receive instant messages")
    offline: bool = _key(True, boolean, "messages may be stored while the user is offline")
    archive: bool = _key(True, boolean, "this user's messages go to the history")
    max_size: int = _key(0, byte_count, "largest body in bytes this user sends or receives; 0: im.max_size")


@dataclass(frozen=True)
class ConferencingPolicySection:
    meet_now: bool = _key(True, boolean, "may make meet-now meetings from a client (SERVICE addConference)")


@dataclass(frozen=True)
class PoliciesSection:
    contacts: dict[str, ContactsPolicySection] = field(
        default_factory=dict, metadata={"check": _named_tables(ContactsPolicySection),
                                        "doc": "contacts policies by name: [policies.contacts.<name>]"})
    presence: dict[str, PresencePolicySection] = field(
        default_factory=dict, metadata={"check": _named_tables(PresencePolicySection),
                                        "doc": "presence policies by name: [policies.presence.<name>]"})
    im: dict[str, ImPolicySection] = field(
        default_factory=dict, metadata={"check": _named_tables(ImPolicySection),
                                        "doc": "IM policies by name: [policies.im.<name>]"})
    conferencing: dict[str, ConferencingPolicySection] = field(
        default_factory=dict, metadata={"check": _named_tables(ConferencingPolicySection),
                                        "doc": "conferencing policies by name: [policies.conferencing.<name>]"})


@dataclass(frozen=True)
class Config:
    daemon: DaemonSection = field(default_factory=DaemonSection)
    sip: SipSection = field(default_factory=SipSection)
    auth: AuthSection = field(default_factory=AuthSection)
    registrar: RegistrarSection = field(default_factory=RegistrarSection)
    store: StoreSection = field(default_factory=StoreSection)
    http: HttpSection = field(default_factory=HttpSection)
    log: LogSection = field(default_factory=LogSection)
    media: MediaSection = field(default_factory=MediaSection)
    focus: FocusSection = field(default_factory=FocusSection)
    conferencing: ConferencingSection = field(default_factory=ConferencingSection)
    rls: RlsSection = field(default_factory=RlsSection)
    policies: PoliciesSection = field(default_factory=PoliciesSection)
    presence: PresenceSection = field(default_factory=PresenceSection)
    im: ImSection = field(default_factory=ImSection)
