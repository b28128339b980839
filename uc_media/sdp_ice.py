"""ICE in SDP (RFC 8839 section 5): candidates and the credential/option attributes.

    a=ice-ufrag:8hhY                        4..256 ice-chars
    a=ice-pwd:asd88fgpdd777uzjYhagZg        22..256 ice-chars
    a=ice-lite                              session level: this agent only answers checks
    a=ice-options:trickle ice2              space-separated tokens
    a=candidate:1 1 UDP 2130706431 10.0.1.1 8998 typ host
    a=candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998 generation 0
    a=end-of-candidates                     RFC 8840 (trickle ICE)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from uc_media.sdp_errors import SdpError

_ICE_CHARS = re.compile(r"[A-Za-z0-9+/]+\Z")
_TOKEN = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+\Z")
_DIGITS = re.compile(r"[0-9]{1,10}\Z")
# A connection address: IPv4, IPv6 or an FQDN (browsers hide host addresses behind
# mDNS names such as 1f2e...-...local, RFC 8839 section 5.1 allows FQDNs).
_ADDRESS = re.compile(r"[0-9A-Za-z.:\-_%]+\Z")
CANDIDATE_TYPES = ("host", "srflx", "prflx", "relay")


def _number(text: str, what: str, high: int) -> int:
    if not _DIGITS.match(text) or int(text) > high:
        raise SdpError(f"candidate {what} {text!r} is not a number in 0..{high}")
    return int(text)


def _address(text: str) -> str:
    if not _ADDRESS.match(text):
        raise SdpError(f"candidate address {text!r} is not an IP address or host name")
    return text


@dataclass(frozen=True, slots=True)
class IceCandidate:
    """One `a=candidate` line. `extensions` keeps the trailing name/value pairs
    (generation, network-id, tcptype, ufrag...) in order so the line round-trips."""

    foundation: str
    component: int
    transport: str
    priority: int
    address: str
    port: int
    type: str
    related_address: str | None = None
    related_port: int | None = None
    extensions: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not 1 <= len(self.foundation) <= 32 or not _ICE_CHARS.match(self.foundation):
            raise SdpError(f"candidate foundation {self.foundation!r} is not 1..32 ice-chars")
        if not 1 <= self.component <= 256:
            raise SdpError(f"candidate component {self.component} outside 1..256")
        if not _TOKEN.match(self.transport):
            raise SdpError(f"candidate transport {self.transport!r} is not a token")
        if not 0 <= self.priority <= 2**32 - 1:
            raise SdpError(f"candidate priority {self.priority} outside 0..2^32-1")
        if not 0 <= self.port <= 65535:
            raise SdpError(f"candidate port {self.port} outside 0..65535")
        if not _TOKEN.match(self.type):
            raise SdpError(f"candidate type {self.type!r} is not a token")
        _address(self.address)
        if self.related_address is not None:
            _address(self.related_address)
        for name, value in self.extensions:
            if not _TOKEN.match(name) or not value or any(c.isspace() for c in value):
                raise SdpError(f"candidate extension {name!r} {value!r} is not '<name> <value>'")

    @classmethod
    def parse(cls, value: str) -> IceCandidate:
        fields = value.split()
        if len(fields) < 8 or fields[6] != "typ":
            raise SdpError(f"candidate {value!r} is not '<foundation> <component> <transport> "
                           "<priority> <address> <port> typ <type> ...'")
        foundation, component, transport, priority, address, port, _, cand_type = fields[:8]
        rest = fields[8:]
        related_address: str | None = None
        related_port: int | None = None
        if rest[:1] == ["raddr"]:
            if len(rest) < 2:
                raise SdpError("candidate raddr without an address")
            related_address = _address(rest[1])
            rest = rest[2:]
        if rest[:1] == ["rport"]:
            if len(rest) < 2:
                raise SdpError("candidate rport without a port")
            related_port = _number(rest[1], "rport", 65535)
            rest = rest[2:]
        if len(rest) % 2:
            raise SdpError(f"candidate extension {rest[-1]!r} has no value")
        extensions = tuple((rest[i], rest[i + 1]) for i in range(0, len(rest), 2))
        return cls(foundation, _number(component, "component", 256), transport,
                   _number(priority, "priority", 2**32 - 1), address, _number(port, "port", 65535),
                   cand_type, related_address, related_port, extensions)

    def __str__(self) -> str:
        text = (f"{self.foundation} {self.component} {self.transport} {self.priority} "
                f"{self.address} {self.port} typ {self.type}")
        if self.related_address is not None:
            text += f" raddr {self.related_address}"
        if self.related_port is not None:
            text += f" rport {self.related_port}"
        for name, value in self.extensions:
            text += f" {name} {value}"
        return text

    @property
    def is_udp(self) -> bool:
        return self.transport.upper() == "UDP"


def host_candidate_priority(component: int, local_preference: int = 65535) -> int:
    """RFC 8445 section 5.1.2.1 priority of a host candidate (type preference 126)."""
    return (126 << 24) | (local_preference << 8) | (256 - component)


def check_ice_attribute(name: str, value: str | None) -> None:
    """Raise SdpError if an ICE attribute breaks RFC 8839's grammar; other names pass."""
    if name == "ice-ufrag":
        if value is None or not 4 <= len(value) <= 256 or not _ICE_CHARS.match(value):
            raise SdpError(f"ice-ufrag {value!r} is not 4..256 ice-chars")
    elif name == "ice-pwd":
        if value is None or not 22 <= len(value) <= 256 or not _ICE_CHARS.match(value):
            raise SdpError("ice-pwd is not 22..256 ice-chars")
    elif name == "ice-options":
        if value is None or not value.split() or not all(_TOKEN.match(t) for t in value.split()):
            raise SdpError(f"ice-options {value!r} is not a list of tokens")
    elif name in ("ice-lite", "end-of-candidates", "ice-mismatch"):
        if value is not None:
            raise SdpError(f"a={name} takes no value")


__all__ = ["CANDIDATE_TYPES", "IceCandidate", "check_ice_attribute", "host_candidate_priority"]
