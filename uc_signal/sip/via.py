"""The Via header (RFC 3261 20.42, 18.2.1) and RFC 3581's rport.

One Via element: sent-protocol (`SIP/2.0/UDP`), sent-by (host and optional port) and
parameters. LWS may surround the slashes, the colon and the semicolons (RFC 4475 3.1.1.1).
"""

from __future__ import annotations

import re

from .grammar import SIMPLE_PARAMS, TOKEN, Params, format_params, parse_params, parse_uint, split_simple_params
from .parse_error import ParseError

# RFC 3261 8.1.1.7: a branch starting with this cookie is unique per transaction.
MAGIC_COOKIE = "z9hG4bK"

_VIA_RE = re.compile(
    rf"[ \t]*({TOKEN})[ \t]*/[ \t]*({TOKEN})[ \t]*/[ \t]*({TOKEN})[ \t]+"
    r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-_.]+)(?:[ \t]*:[ \t]*([0-9]{1,5}))?[ \t]*")

# The usual shape, no LWS: "SIP/2.0/UDP host:port;params".
_VIA_FAST_RE = re.compile(
    rf"SIP/2\.0/([A-Za-z]+) ([A-Za-z0-9\-_.]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{{1,5}}))?({SIMPLE_PARAMS})")


class Via:
    """One Via element. Treat it as immutable: `with_params()` and `replace()` give copies."""

    __slots__ = ("transport", "host", "port", "params", "protocol")

    def __init__(self, transport: str, host: str, port: int | None = None,
                 params: Params | None = None, protocol: str = "SIP/2.0") -> None:
        self.transport = transport.upper()
        self.host = host
        self.port = port
        self.params: Params = dict(params) if params else {}
        self.protocol = protocol

    @classmethod
    def parse(cls, text: str) -> Via:
        m = _VIA_FAST_RE.fullmatch(text)
        if m is not None:
            transport, host, port, param_text = m.groups()
            via = cls.__new__(cls)
            via.transport = transport.upper()
            via.host = host
            via.port = int(port) if port else None
            via.params = params = split_simple_params(param_text)
            via.protocol = "SIP/2.0"
            if (port and via.port > 65535) or "ttl" in params or params.get("rport"):  # type: ignore[operator]
                cls._check(via, text)
            return via
        return cls._parse_slow(text)

    @staticmethod
    def _check(via: Via, text: str) -> None:
        if via.port is not None and via.port > 65535:
            raise ParseError(f"port out of range in Via: {text!r}")
        via.ttl  # 0..255
        via.rport  # a port number when it has a value

    @classmethod
    def _parse_slow(cls, text: str) -> Via:
        m = _VIA_RE.match(text)
        if m is None:
            raise ParseError(f"malformed Via: {text!r}")
        name, version, transport, host, port = m.groups()
        if name.upper() != "SIP":
            raise ParseError(f"unknown protocol in Via: {text!r}")
        if version != "2.0":
            raise ParseError(f"unsupported SIP version in Via: {text!r}", 505)
        params = parse_params(text, m.end(), "Via parameter") if m.end() < len(text) else {}
        via = cls(transport, host, int(port) if port else None, params, f"SIP/{version}")
        cls._check(via, text)
        return via

    # Parameters with a meaning (RFC 3261 20.42, RFC 3581 4)
    @property
    def branch(self) -> str | None:
        return self.params.get("branch")

    @property
    def is_rfc3261_branch(self) -> bool:
        """The branch carries the magic cookie (else RFC 2543 matching applies, 17.2.3)."""
        branch = self.params.get("branch")
        return branch is not None and branch.startswith(MAGIC_COOKIE)

    @property
    def received(self) -> str | None:
        return self.params.get("received")

    @property
    def rport(self) -> int | bool | None:
        """None: absent; True: present without value (a request asking for it); an int:
        the source port a server filled in."""
        if "rport" not in self.params:
            return None
        value = self.params["rport"]
        if value is None:
            return True
        return parse_uint(value, "Via rport", 65535)

    @property
    def maddr(self) -> str | None:
        return self.params.get("maddr")

    @property
    def ttl(self) -> int | None:
        value = self.params.get("ttl")
        return None if value is None else parse_uint(value, "Via ttl", 255)

    @property
    def sent_by(self) -> tuple[str, int | None]:
        return (self.host, self.port)

    @property
    def is_reliable(self) -> bool:
        """Transport is connection-oriented (RFC 3261 17: no retransmissions over it)."""
        return self.transport not in ("UDP", "DTLS")

    def with_params(self, **params: str | None) -> Via:
        """A copy with parameters added or replaced (value None: a flag like `rport`)."""
        merged = dict(self.params)
        merged.update(params)
        return Via(self.transport, self.host, self.port, merged, self.protocol)

    def replace(self, **changes: object) -> Via:
        kwargs: dict = {name: getattr(self, name) for name in self.__slots__}
        kwargs.update(changes)
        return Via(**kwargs)

    def __str__(self) -> str:
        host = self.host if self.port is None else f"{self.host}:{self.port}"
        return f"{self.protocol}/{self.transport} {host}{format_params(self.params)}"

    def __repr__(self) -> str:
        return f"Via({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Via) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))
