"""Authorization, Proxy-Authorization (credentials) and WWW-Authenticate,
Proxy-Authenticate (challenges): RFC 3261 20.7, 20.27, 20.28, 20.44, 22.4; RFC 7616 params.

This file only reads and writes the header syntax: `scheme auth-param, auth-param...`
(or `scheme token68`; several challenges may share a line, RFC 7235 4.1), scanned by
csrc/sip_scan.c (`sip_scan_auth`). Parameter values are stored unquoted; which ones were quoted is remembered so the header
serialises as it came. Computing and checking digests belongs to the layer above.
An unknown scheme still parses (RFC 4475 3.3.7: the server ignores it and challenges).
"""

from __future__ import annotations

from .. import _sipscan
from .grammar import quote


class AuthHeader:
    """A scheme and its auth-params (names lower-cased, values unquoted)."""

    __slots__ = ("scheme", "params", "token68", "_quoted")
    # Parameters written without quotes by default (RFC 3261 25.1 digest-response /
    # challenge grammar); everything else is quoted.
    _BARE: frozenset[str] = frozenset({"algorithm", "nc", "stale", "qop"})

    def __init__(self, scheme: str, params: dict[str, str] | None = None, *,
                 token68: str | None = None, quoted: frozenset[str] | None = None) -> None:
        self.scheme = scheme
        self.params: dict[str, str] = dict(params) if params else {}
        self.token68 = token68
        self._quoted = quoted if quoted is not None else frozenset(
            name for name in self.params if name not in self._BARE)

    @property
    def is_digest(self) -> bool:
        return self.scheme.lower() == "digest"

    def get(self, name: str) -> str | None:
        return self.params.get(name.lower())

    # The digest parameters the layer above uses most (RFC 3261 22.4, RFC 7616 3.3-3.4).
    @property
    def realm(self) -> str | None:
        return self.params.get("realm")

    @property
    def nonce(self) -> str | None:
        return self.params.get("nonce")

    @property
    def algorithm(self) -> str | None:
        return self.params.get("algorithm")

    @property
    def opaque(self) -> str | None:
        return self.params.get("opaque")

    def __str__(self) -> str:
        if self.token68 is not None:
            return f"{self.scheme} {self.token68}"
        parts = [f"{name}={quote(value) if name in self._quoted else value}"
                 for name, value in self.params.items()]
        return f"{self.scheme} {', '.join(parts)}" if parts else self.scheme

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return (type(self) is type(other) and isinstance(other, AuthHeader)
                and (self.scheme.lower(), self.params, self.token68)
                == (other.scheme.lower(), other.params, other.token68))

    def __hash__(self) -> int:
        return hash((self.scheme.lower(), self.token68))


class Credentials(AuthHeader):
    """Authorization / Proxy-Authorization: username, realm, nonce, uri, response..."""

    __slots__ = ()

    @property
    def username(self) -> str | None:
        return self.params.get("username")

    @property
    def uri(self) -> str | None:
        return self.params.get("uri")

    @property
    def response(self) -> str | None:
        return self.params.get("response")

    @property
    def qop(self) -> str | None:
        return self.params.get("qop")

    @property
    def nc(self) -> str | None:
        return self.params.get("nc")

    @property
    def cnonce(self) -> str | None:
        return self.params.get("cnonce")


class Challenge(AuthHeader):
    """WWW-Authenticate / Proxy-Authenticate: realm, nonce, qop options, stale, domain..."""

    __slots__ = ()
    # In a challenge qop-options is a quoted list (RFC 3261 25.1).
    _BARE = frozenset({"algorithm", "stale"})

    @property
    def qop_options(self) -> list[str]:
        value = self.params.get("qop")
        return [item.strip() for item in value.split(",") if item.strip()] if value else []

    @property
    def stale(self) -> bool:
        return (self.params.get("stale") or "").lower() == "true"


def parse_credentials(text: str) -> list[Credentials]:
    return _sipscan.parse_auth(Credentials, text)


def parse_challenges(text: str) -> list[Challenge]:
    return _sipscan.parse_auth(Challenge, text)
