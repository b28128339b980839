"""The Via header (RFC 3261 20.42, 18.2.1) and RFC 3581's rport.

One Via element: sent-protocol (`SIP/2.0/UDP`), sent-by (host and optional port) and
parameters. LWS may surround the slashes, the colon and the semicolons (RFC 4475 3.1.1.1).
"""

from __future__ import annotations

from .. import _sipscan
from .grammar import Params, format_params, parse_uint
from .parse_error import ParseError

# RFC 3261 8.1.1.7: a branch starting with this cookie is unique per transaction.
MAGIC_COOKIE = "z9hG4bK"
_ABSENT = object()


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
        """One via-parm; the scanner (csrc/sip_scan.c) calls _check() when the port is
        over 65535 or ttl / a valued rport is present."""
        return _sipscan.parse_via(cls, text)

    @staticmethod
    def _check(via: Via, text: str) -> None:
        if via.port is not None and via.port > 65535:
            raise ParseError(f"port out of range in Via: {text!r}")
        via.ttl  # 0..255
        via.rport  # a port number when it has a value

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
        value = self.params.get("rport", _ABSENT)
        if value is None:
            return True
        if not isinstance(value, str):
            return None  # _ABSENT: no rport parameter
        if len(value) <= 5 and value.isdigit() and value.isascii() and int(value) <= 65535:
            return int(value)  # what parse_uint gives, read on every response routed
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
