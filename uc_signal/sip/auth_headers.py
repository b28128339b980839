"""Authorization, Proxy-Authorization (credentials) and WWW-Authenticate,
Proxy-Authenticate (challenges): RFC 3261 20.7, 20.27, 20.28, 20.44, 22.4; RFC 7616 params.

This file only reads and writes the header syntax: `scheme auth-param, auth-param...`.
Parameter values are stored unquoted; which ones were quoted is remembered so the header
serialises as it came. Computing and checking digests belongs to the layer above.
An unknown scheme still parses (RFC 4475 3.3.7: the server ignores it and challenges).
"""

from __future__ import annotations

import re

from .grammar import QUOTED, TOKEN, quote, unquote
from .parse_error import ParseError

_SCHEME_RE = re.compile(rf"[ \t]*({TOKEN})(?:[ \t]+|$)")
_PARAM_RE = re.compile(rf"[ \t]*({TOKEN})[ \t]*=[ \t]*({QUOTED}|{TOKEN})[ \t]*")
_COMMA_RE = re.compile(r"[ \t]*,[ \t]*")
# After a comma: does a new challenge ("scheme param=") start here?
_NEW_SCHEME_RE = re.compile(rf"[ \t]*{TOKEN}[ \t]+{TOKEN}[ \t]*=")
_TOKEN68_RE = re.compile(r"[A-Za-z0-9\-._~+/]+=*[ \t]*")
# The params after the scheme in one findall: each element is a param followed by a comma
# or the end, or (group 3) a stray character that makes the list malformed.
_SCHEME_FAST_RE = re.compile(rf"[ \t]*({TOKEN})[ \t]+")
# The commonest spelling (", " between params, no LWS around "=", no quoted-pairs) in a
# cheaper pattern: value in group 2 (quoted, quotes dropped) or 3 (token); 4 = stray.
_SIMPLE_LIST_RE = re.compile(
    rf' ?({TOKEN})=(?:"([^"\\\r\n]*)"|({TOKEN}))(?:,|$)|(.)', re.S)
_PARAM_LIST_RE = re.compile(rf"[ \t]*({TOKEN})[ \t]*=[ \t]*({QUOTED}|{TOKEN})[ \t]*(?:,|$)|(.)", re.S)

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


def _parse_auth_list(text: str, cls: type[AuthHeader]) -> list[AuthHeader]:
    """Every `scheme params` in one field line (challenges may share a line, RFC 7235 4.1)."""
    m = _SCHEME_FAST_RE.match(text)
    if m is None or text.endswith(","):
        return _parse_auth_list_slow(text, cls)
    found = _SIMPLE_LIST_RE.findall(text, m.end())
    params = {name.lower(): quoted_value or token for name, quoted_value, token, _ in found}
    if params and "" not in params:  # "": a stray character, so not this simple form
        header = cls.__new__(cls)
        header.scheme, header.params, header.token68 = m.group(1), params, None
        header._quoted = frozenset(name.lower() for name, _, token, _ in found if not token)
        return [header]
    params = {name.lower(): value for name, value, _ in _PARAM_LIST_RE.findall(text, m.end())}
    if params and "" not in params:  # "": a stray character (token68, two challenges, junk)
        quoted = frozenset(name for name, value in params.items() if value[0] == '"')
        for name in quoted:
            params[name] = unquote(params[name])
        return [cls(m.group(1), params, quoted=quoted)]
    return _parse_auth_list_slow(text, cls)


def _parse_auth_list_slow(text: str, cls: type[AuthHeader]) -> list[AuthHeader]:
    what = cls.__name__.lower()
    out: list[AuthHeader] = []
    pos = 0
    end = len(text.rstrip())
    while pos < end:
        m = _SCHEME_RE.match(text, pos)
        if m is None:
            raise ParseError(f"malformed {what}: {text!r}")
        scheme = m.group(1)
        pos = m.end()
        params: dict[str, str] = {}
        quoted: set[str] = set()
        token68 = None
        next_scheme = False
        while pos < end:
            pm = _PARAM_RE.match(text, pos)
            if pm is None:
                if params:
                    raise ParseError(f"malformed auth-param in {text!r}")
                tm = _TOKEN68_RE.match(text, pos)
                if tm is None:
                    raise ParseError(f"malformed {what}: {text!r}")
                token68 = tm.group().strip()
                pos = tm.end()
                cm = _COMMA_RE.match(text, pos)
                if cm is not None and _NEW_SCHEME_RE.match(text, cm.end()):
                    pos, next_scheme = cm.end(), True
                break
            name, value = pm.group(1).lower(), pm.group(2)
            if value[0] == '"':
                quoted.add(name)
                value = unquote(value)
            params[name] = value
            pos = pm.end()
            cm = _COMMA_RE.match(text, pos)
            if cm is None:
                break
            pos = cm.end()
            if _NEW_SCHEME_RE.match(text, pos):
                next_scheme = True
                break
        out.append(cls(scheme, params, token68=token68, quoted=frozenset(quoted)))
        if pos < end and not next_scheme:
            raise ParseError(f"trailing characters in {what}: {text!r}")
    if not out:
        raise ParseError(f"empty {what}")
    return out


def parse_credentials(text: str) -> list[Credentials]:
    return _parse_auth_list(text, Credentials)  # type: ignore[return-value]


def parse_challenges(text: str) -> list[Challenge]:
    return _parse_auth_list(text, Challenge)  # type: ignore[return-value]
