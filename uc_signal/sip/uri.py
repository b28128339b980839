"""SIP, SIPS and TEL URIs (RFC 3261 19.1, RFC 3966) and opaque absolute URIs.

`parse_uri(text)` returns a SipUri, a TelUri or, for any other scheme, an AbsoluteUri
(a Request-URI with an unknown scheme parses; the server answers 416, RFC 3261 8.2.2.1).
Components keep their %-escapes as received (`user`, parameter values, header values);
`unescape()` decodes them when a caller needs the octets. Parameter names are lower-cased
(they compare case-insensitively, RFC 3261 19.1.4).
"""

from __future__ import annotations

import re
from typing import Callable
from urllib.parse import unquote_to_bytes

from .. import _sipscan
from .grammar import Params
from .parse_error import ParseError

_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# unreserved = alphanum / mark; mark = - _ . ! ~ * ' ( )
_UNRESERVED = r"A-Za-z0-9\-_.!~*'()"
_ESCAPED = r"%[0-9A-Fa-f]{2}"
_USER_RE = re.compile(f"(?:[{_UNRESERVED}&=+$,;?/]|{_ESCAPED})+")
_PASSWORD_RE = re.compile(f"(?:[{_UNRESERVED}&=+$,]|{_ESCAPED})*")
_HOST_RE = re.compile(r"\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-_.]+")
_PARAMCHAR = f"(?:[{_UNRESERVED}\\[\\]/:&+$]|{_ESCAPED})"
_URI_PARAM_RE = re.compile(f";({_PARAMCHAR}+)(?:=({_PARAMCHAR}*))?")
_HNVCHAR = f"(?:[{_UNRESERVED}\\[\\]/?:+$]|{_ESCAPED})"
_URI_HEADER_RE = re.compile(f"({_HNVCHAR}+)=({_HNVCHAR}*)")
# The common case, one pass: sip:user@host:port;params (no password, no headers).
_SIP_FAST_RE = re.compile(
    r"(sips?):(?:([A-Za-z0-9\-_.!~*'()&=+$,;?/%]+)@)?"
    r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-_.]+)(?::([0-9]{1,5}))?((?:;[^?]*)?)", re.I)
_TEL_NUMBER_RE = re.compile(r"\+[0-9\-.()]*[0-9][0-9\-.()]*|[0-9A-Fa-f*#\-.()]*[0-9A-Fa-f*#][0-9A-Fa-f*#\-.()]*")
_PLAIN_NAME_RE = re.compile(f"[{_UNRESERVED}]+")
_BAD_ESCAPE_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def unescape(text: str) -> bytes:
    """%HH escapes decoded to octets (RFC 3261 19.1.2); may contain NUL (RFC 4475 3.1.1.4)."""
    return unquote_to_bytes(text)


def _parse_uri_params(text: str, uri: str) -> Params:
    params: Params = {}
    pos = 0
    end = len(text)
    while pos < end:
        m = _URI_PARAM_RE.match(text, pos)
        if m is None:
            raise ParseError(f"malformed URI parameter in {uri!r}")
        name = m.group(1).lower()
        if "%" in name:
            # RFC 3261 19.1.4: escaped and unescaped forms compare equal (RFC 4475 3.1.1.3)
            decoded = unescape(name).decode("latin-1")
            if _PLAIN_NAME_RE.fullmatch(decoded):
                name = decoded
        params[name] = m.group(2)
        pos = m.end()
    return params


def _format_params(params: Params) -> str:
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params.items())


class SipUri:
    """sip: or sips: URI. `headers` are the `?name=value&...` part (RFC 3261 19.1.1)."""

    __slots__ = ("scheme", "user", "password", "host", "port", "params", "headers")

    def __init__(self, host: str, user: str | None = None, port: int | None = None, *,
                 scheme: str = "sip", password: str | None = None,
                 params: Params | None = None, headers: dict[str, str] | None = None) -> None:
        self.scheme = scheme.lower()
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.params: Params = dict(params) if params else {}
        self.headers: dict[str, str] = dict(headers) if headers else {}

    @classmethod
    def parse(cls, text: str) -> SipUri:
        uri = _sipscan.parse_sip_uri_simple(cls, text)  # the plain common form, in one pass
        if uri is not None:
            return uri
        return cls._parse_regex(text)

    @classmethod
    def _parse_regex(cls, text: str) -> SipUri:
        """Any SIP URI, by regular expressions (what parse_sip_uri_simple must agree with)."""
        m = _SIP_FAST_RE.fullmatch(text)
        if m is not None:
            scheme, user, host, port, params = m.groups()
            if user is not None and ("%" in user and _BAD_ESCAPE_RE.search(user)):
                raise ParseError(f"bad %-escape in URI {text!r}")
            # What __init__ does, without copying the fresh params dict (every message's
            # From, To, Contact and Request-URI come here).
            uri = cls.__new__(cls)
            uri.scheme = scheme.lower()
            uri.user = user
            uri.password = None
            uri.host = host
            uri.port = int(port) if port else None
            uri.params = _parse_uri_params(params, text) if params else {}
            uri.headers = {}
            if uri.port is not None and uri.port > 65535:
                raise ParseError(f"port out of range in URI {text!r}")
            return uri
        return cls._parse_slow(text)

    @classmethod
    def _parse_slow(cls, text: str) -> SipUri:
        m = _SCHEME_RE.match(text)
        if m is None or m.group(1).lower() not in ("sip", "sips"):
            raise ParseError(f"not a SIP URI: {text!r}")
        rest = text[m.end():]
        user = password = None
        at = rest.find("@")
        if at >= 0:
            userinfo, rest = rest[:at], rest[at + 1:]
            user, colon, pw = userinfo.partition(":")
            if _USER_RE.fullmatch(user) is None or (colon and _PASSWORD_RE.fullmatch(pw) is None):
                raise ParseError(f"malformed userinfo in URI {text!r}")
            password = pw if colon else None
        rest, qmark, header_text = rest.partition("?")
        hm = _HOST_RE.match(rest)
        if hm is None:
            raise ParseError(f"malformed host in URI {text!r}")
        pos = hm.end()
        port = None
        if rest[pos:pos + 1] == ":":
            pm = re.compile(r"[0-9]{1,5}").match(rest, pos + 1)
            if pm is None or int(pm.group()) > 65535:
                raise ParseError(f"malformed port in URI {text!r}")
            port = int(pm.group())
            pos = pm.end()
        params = _parse_uri_params(rest[pos:], text)
        headers: dict[str, str] = {}
        if qmark:
            for item in header_text.split("&"):
                hm2 = _URI_HEADER_RE.fullmatch(item)
                if hm2 is None:
                    raise ParseError(f"malformed URI header in {text!r}")
                headers[hm2.group(1)] = hm2.group(2)
        return cls(hm.group(), user, port, scheme=m.group(1), password=password,
                   params=params, headers=headers)

    # The parameters RFC 3261 19.1.1 gives a meaning to.
    @property
    def transport(self) -> str | None:
        value = self.params.get("transport")
        return value.lower() if value else None

    @property
    def lr(self) -> bool:
        return "lr" in self.params

    @property
    def maddr(self) -> str | None:
        return self.params.get("maddr")

    @property
    def user_param(self) -> str | None:
        return self.params.get("user")

    @property
    def secure(self) -> bool:
        return self.scheme == "sips"

    def host_port(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def replace(self, **changes: object) -> SipUri:
        """A copy with some components changed (params/headers replace the whole dict)."""
        kwargs: dict = {name: getattr(self, name) for name in self.__slots__}
        kwargs.update(changes)
        host = kwargs.pop("host")
        return SipUri(host, **kwargs)

    def __str__(self) -> str:
        out = [self.scheme, ":"]
        if self.user is not None:
            out.append(self.user)
            if self.password is not None:
                out += [":", self.password]
            out.append("@")
        out.append(self.host)
        if self.port is not None:
            out += [":", str(self.port)]
        if self.params:
            out.append(_format_params(self.params))
        if self.headers:
            out += ["?", "&".join(f"{k}={v}" for k, v in self.headers.items())]
        return "".join(out)

    def __repr__(self) -> str:
        return f"SipUri({str(self)!r})"

    def comparison_key(self) -> tuple:
        """What __eq__ and __hash__ compare: equal keys, equal URIs (RFC 3261 19.1.4)."""
        return self._key()

    def _key(self) -> tuple:
        # RFC 3261 19.1.4 in outline: scheme, userinfo compared case-sensitively after
        # unescaping, host case-insensitively, parameters by name case-insensitively.
        return (self.scheme, unescape(self.user) if self.user else None, self.password,
                self.host.lower(), self.port,
                tuple(sorted((k, (v or "").lower()) for k, v in self.params.items())),
                tuple(sorted(self.headers.items())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SipUri) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


class TelUri:
    """tel: URI (RFC 3966): a global number (+E.164 digits and visual separators) or a local
    number, which must carry a phone-context parameter."""

    __slots__ = ("number", "params")

    def __init__(self, number: str, params: Params | None = None) -> None:
        self.number = number
        self.params: Params = dict(params) if params else {}

    @classmethod
    def parse(cls, text: str) -> TelUri:
        if text[:4].lower() != "tel:":
            raise ParseError(f"not a TEL URI: {text!r}")
        number, semi, param_text = text[4:].partition(";")
        if _TEL_NUMBER_RE.fullmatch(number) is None:
            raise ParseError(f"malformed telephone number in {text!r}")
        uri = cls(number, _parse_uri_params(semi + param_text, text) if semi else None)
        if not uri.is_global and "phone-context" not in uri.params:
            raise ParseError(f"local number without phone-context in {text!r} (RFC 3966 5.1.5)")
        return uri

    @property
    def is_global(self) -> bool:
        return self.number.startswith("+")

    @property
    def digits(self) -> str:
        """The number without visual separators (RFC 3966 5.1.1)."""
        return "".join(ch for ch in self.number if ch not in "-.()")

    @property
    def scheme(self) -> str:
        return "tel"

    def __str__(self) -> str:
        return "tel:" + self.number + _format_params(self.params)

    def __repr__(self) -> str:
        return f"TelUri({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TelUri) and self.digits == other.digits
                and {k: (v or "").lower() for k, v in self.params.items()}
                == {k: (v or "").lower() for k, v in other.params.items()})

    def __hash__(self) -> int:
        return hash(self.digits)


class AbsoluteUri:
    """Any other scheme (RFC 3986 absolute URI), kept opaque."""

    __slots__ = ("scheme", "rest")

    def __init__(self, scheme: str, rest: str) -> None:
        self.scheme = scheme.lower()
        self.rest = rest

    def __str__(self) -> str:
        return f"{self.scheme}:{self.rest}"

    def __repr__(self) -> str:
        return f"AbsoluteUri({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AbsoluteUri) and (self.scheme, self.rest) == (other.scheme, other.rest)

    def __hash__(self) -> int:
        return hash((self.scheme, self.rest))


Uri = SipUri | TelUri | AbsoluteUri
_OPAQUE_RE = re.compile(r"[^\s<>\"]+")


def _parse_uri(text: str) -> Uri:
    """A URI of any scheme; raises ParseError when even the generic syntax is broken.
    (parse_uri: the scanner's module takes the plain sip:/sips: form itself.)"""
    if text.startswith("sip:"):  # nearly every URI: what the scheme match below concludes
        return SipUri.parse(text)
    m = _SCHEME_RE.match(text)
    if m is None:
        raise ParseError(f"not a URI: {text!r}")
    scheme = m.group(1).lower()
    if scheme in ("sip", "sips"):
        return SipUri.parse(text)
    if scheme == "tel":
        return TelUri.parse(text)
    rest = text[m.end():]
    if _OPAQUE_RE.fullmatch(rest) is None:
        raise ParseError(f"malformed URI {text!r}")
    return AbsoluteUri(scheme, rest)


# parse_uri(text): a URI of any scheme, ParseError when even the generic syntax is broken.
# The common case (sip:/sips: in the plain form) is built by the scanner's module without
# a Python call; anything else goes to _parse_uri.
_sipscan.configure_uris(SipUri, _parse_uri)
parse_uri: Callable[[str], Uri] = _sipscan.parse_uri
