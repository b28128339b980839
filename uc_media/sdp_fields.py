"""The values of SDP's structural lines (RFC 8866 section 5): o= (Origin), c=
(Connection), b= (Bandwidth), t= with its r= lines (Timing), and the text and address
checks they share with uc_media.sdp."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from uc_media.sdp_attributes import TOKEN, parse_int
from uc_media.sdp_errors import SdpError

_WS = re.compile(r"[ \t]+")
_TEXT_FORBIDDEN = re.compile(r"[\x00\r\n]")
_TIME = re.compile(r"-?[0-9]{1,20}[dhms]?\Z")
_FQDN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-_]*\Z")
_DOTTED = re.compile(r"[0-9.]+\Z")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}\Z")


def check_text(value: str, what: str) -> str:
    """`value` as a line's text: no NUL, CR or LF inside."""
    if "\x00" in value or "\r" in value or "\n" in value:
        raise SdpError(f"{what} contains NUL, CR or LF")
    return value


def _check_address(addrtype: str, address: str) -> None:
    """IP4/IP6 literals must be valid; anything else must look like a host name (RFC 8866
    section 9 allows FQDNs and extension address types)."""
    if addrtype == "IP4" and _DOTTED.match(address):
        if not _IPV4.match(address):
            raise SdpError(f"{address!r} is not an IPv4 address")
    elif addrtype == "IP6" and ":" in address:
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            raise SdpError(f"{address!r} is not an IPv6 address") from None
    elif not _FQDN.match(address):
        raise SdpError(f"{address!r} is not an address or host name")


def address_type(address: str) -> str:
    """'IP4' or 'IP6' for an IP literal (used when building descriptions)."""
    return "IP6" if ipaddress.ip_address(address).version == 6 else "IP4"


@dataclass(frozen=True, slots=True)
class Origin:
    """`o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`."""

    username: str
    session_id: int
    session_version: int
    address: str
    addrtype: str = "IP4"
    nettype: str = "IN"

    def __post_init__(self) -> None:
        if not self.username or any(c.isspace() for c in self.username) or _TEXT_FORBIDDEN.search(self.username):
            raise SdpError(f"origin username {self.username!r} is empty or has white space")
        for what, n in (("session id", self.session_id), ("session version", self.session_version)):
            if not 0 <= n < 10**20:
                raise SdpError(f"origin {what} {n} is not a number of up to 20 digits")
        for what, tok in (("nettype", self.nettype), ("addrtype", self.addrtype)):
            if not TOKEN.match(tok):
                raise SdpError(f"origin {what} {tok!r} is not a token")
        _check_address(self.addrtype, self.address)

    @classmethod
    def parse(cls, value: str) -> Origin:
        fields = _WS.split(value.strip())
        if len(fields) != 6:
            raise SdpError(f"o= needs 6 fields (username, id, version, nettype, addrtype, address), has {len(fields)}")
        user, sess_id, version, nettype, addrtype, address = fields
        return cls(user, parse_int(sess_id, "origin session id", 0, 10**20 - 1),
                   parse_int(version, "origin session version", 0, 10**20 - 1), address, addrtype, nettype)

    def __str__(self) -> str:
        return (f"{self.username} {self.session_id} {self.session_version} "
                f"{self.nettype} {self.addrtype} {self.address}")


@dataclass(frozen=True, slots=True)
class Connection:
    """`c=<nettype> <addrtype> <address>[/<ttl>][/<count>]` (TTL for IPv4 multicast only)."""

    address: str
    addrtype: str = "IP4"
    nettype: str = "IN"
    ttl: int | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        for what, tok in (("nettype", self.nettype), ("addrtype", self.addrtype)):
            if not TOKEN.match(tok):
                raise SdpError(f"connection {what} {tok!r} is not a token")
        _check_address(self.addrtype, self.address)
        if self.ttl is not None and not 0 <= self.ttl <= 255:
            raise SdpError(f"connection TTL {self.ttl} outside 0..255")
        if self.count is not None and self.count < 1:
            raise SdpError("connection address count must be at least 1")

    @classmethod
    def for_address(cls, address: str) -> Connection:
        return cls(address, address_type(address))

    @classmethod
    def parse(cls, value: str) -> Connection:
        fields = _WS.split(value.strip())
        if len(fields) != 3:
            raise SdpError(f"c= needs '<nettype> <addrtype> <address>', got {value!r}")
        nettype, addrtype, spec = fields
        address, *suffixes = spec.split("/")
        if len(suffixes) > 2:
            raise SdpError(f"connection address {spec!r} has too many '/' parts")
        numbers = [parse_int(s, "connection TTL/count", 0, 2**31) for s in suffixes]
        ttl: int | None = None
        count: int | None = None
        # IPv4 multicast carries a TTL first (RFC 8866 5.7); IPv6 has only the count.
        if addrtype == "IP4" and numbers:
            ttl = numbers[0]
            count = numbers[1] if len(numbers) == 2 else None
        elif numbers:
            if len(numbers) == 2:
                raise SdpError(f"{addrtype} connection address {spec!r} cannot carry a TTL")
            count = numbers[0]
        return cls(address, addrtype, nettype, ttl, count)

    def __str__(self) -> str:
        text = f"{self.nettype} {self.addrtype} {self.address}"
        if self.ttl is not None:
            text += f"/{self.ttl}"
        if self.count is not None:
            text += f"/{self.count}"
        return text

    @property
    def is_hold_address(self) -> bool:
        """0.0.0.0: RFC 2543-style hold, still sent by old phones (RFC 3264 section 8.4)."""
        return self.address in ("0.0.0.0", "::")


@dataclass(frozen=True, slots=True)
class Bandwidth:
    """`b=<bwtype>:<bandwidth>` (AS and CT in kbit/s, TIAS in bit/s, RR/RS RFC 3556)."""

    type: str
    value: int

    def __post_init__(self) -> None:
        if not TOKEN.match(self.type):
            raise SdpError(f"bandwidth type {self.type!r} is not a token")
        if not 0 <= self.value < 10**20:
            raise SdpError(f"bandwidth {self.value} out of range")

    @classmethod
    def parse(cls, value: str) -> Bandwidth:
        bwtype, sep, number = value.partition(":")
        if not sep:
            raise SdpError(f"b= {value!r} is not '<bwtype>:<bandwidth>'")
        return cls(bwtype, parse_int(number, "bandwidth", 0, 10**20 - 1))

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"


@dataclass(frozen=True, slots=True)
class Timing:
    """`t=<start> <stop>` (NTP seconds; 0 0 = unbounded) with its `r=` repeat lines."""

    start: int = 0
    stop: int = 0
    repeats: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for n in (self.start, self.stop):
            if not 0 <= n < 10**20:
                raise SdpError(f"time {n} out of range")
        for r in self.repeats:
            if not is_typed_times(r):
                raise SdpError(f"r= {r!r} is not a list of typed times")

    @classmethod
    def parse(cls, value: str) -> Timing:
        fields = _WS.split(value.strip())
        if len(fields) != 2:
            raise SdpError(f"t= needs '<start> <stop>', got {value!r}")
        return cls(parse_int(fields[0], "start time", 0, 10**20 - 1), parse_int(fields[1], "stop time", 0, 10**20 - 1))

    def __str__(self) -> str:
        return f"{self.start} {self.stop}"


def is_typed_times(text: str) -> bool:
    """r= and z= values: typed times (RFC 8866 5.10/5.11: digits with an optional d/h/m/s
    unit; z= offsets may be negative) separated by single spaces."""
    return bool(text) and all(_TIME.match(t) for t in text.split(" "))


__all__ = ["Bandwidth", "Connection", "Origin", "Timing", "address_type", "check_text", "is_typed_times"]
