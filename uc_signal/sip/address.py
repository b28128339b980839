"""name-addr / addr-spec headers: From, To, Contact, Route, Record-Route, Path, Refer-To
(RFC 3261 20.10, 20.20, 20.39, 20.30, 20.34; RFC 3327; RFC 3515).

`"Display" <sip:uri;uri-param>;header-param` or the bare `sip:uri;header-param`: in the
bare form every parameter belongs to the header, and a URI holding a comma, semicolon or
question mark must be written in angle brackets (RFC 3261 20; RFC 4475 3.1.2.13). The URI
is kept as text and parsed on first access of `.uri`.
"""

from __future__ import annotations

import re

from .grammar import (QUOTED, SIMPLE_PARAMS, TOKEN, Params, format_params, parse_params, parse_uint, quote,
                      split_simple_params, unquote)
from .parse_error import ParseError
from .uri import Uri, parse_uri

_NAME_ADDR_RE = re.compile(
    rf"[ \t]*(?:({QUOTED})|({TOKEN}(?:[ \t]+{TOKEN})*))?[ \t]*<([A-Za-z][A-Za-z0-9+.\-]*:[^<>\s]*)>[ \t]*")
_ADDR_SPEC_RE = re.compile(r"[ \t]*([A-Za-z][A-Za-z0-9+.\-]*:[^\s;,<>\"?]+)[ \t]*")
# The usual shapes in one match: ["Name" ]<uri>;params  or  uri;params (no LWS in params).
_FAST_RE = re.compile(
    rf'(?:"([^"\\\r\n]*)" ?|({TOKEN}(?: {TOKEN})*) ?)?<([A-Za-z][A-Za-z0-9+.\-]*:[^<>\s]*)>({SIMPLE_PARAMS})'
    rf'|([A-Za-z][A-Za-z0-9+.\-]*:[^\s;,<>\"?]+)({SIMPLE_PARAMS})')


class NameAddr:
    """An address with optional display name and header parameters (tag, expires, q...).

    Treat it as immutable: `with_tag()` and `with_params()` give copies.
    """

    __slots__ = ("display_name", "params", "_uri_text", "_uri")

    def __init__(self, uri: Uri | str, display_name: str | None = None,
                 params: Params | None = None) -> None:
        self._uri_text = uri if isinstance(uri, str) else str(uri)
        self._uri: Uri | None = None if isinstance(uri, str) else uri
        self.display_name = display_name
        self.params: Params = dict(params) if params else {}

    @classmethod
    def parse(cls, text: str) -> NameAddr:
        m = _FAST_RE.fullmatch(text)
        if m is not None:
            display, token_display, uri_text, param_text, spec_text, spec_params = m.groups()
            addr = cls.__new__(cls)
            addr._uri = None
            if uri_text is not None:
                addr._uri_text = uri_text
                addr.display_name = display if token_display is None else token_display
                addr.params = split_simple_params(param_text)
            else:
                addr._uri_text, addr.display_name = spec_text, None
                addr.params = split_simple_params(spec_params)
            return addr
        return cls._parse_slow(text)

    @classmethod
    def _parse_slow(cls, text: str) -> NameAddr:
        m = _NAME_ADDR_RE.match(text)
        if m is not None:
            quoted, tokens, uri_text = m.groups()
            display = unquote(quoted) if quoted is not None else tokens
        else:
            m = _ADDR_SPEC_RE.match(text)
            if m is None:
                raise ParseError(f"malformed address: {text!r}")
            display, uri_text = None, m.group(1)
        addr = cls.__new__(cls)
        addr._uri_text = uri_text
        addr._uri = None
        addr.display_name = display
        addr.params = parse_params(text, m.end(), "header parameter") if m.end() < len(text) else {}
        return addr

    @property
    def uri(self) -> Uri:
        """The parsed URI (ParseError if it is malformed)."""
        if self._uri is None:
            self._uri = parse_uri(self._uri_text)
        return self._uri

    @property
    def uri_text(self) -> str:
        return self._uri_text

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    def with_tag(self, tag: str) -> NameAddr:
        return self.with_params(tag=tag)

    def with_params(self, **params: str | None) -> NameAddr:
        merged = dict(self.params)
        merged.update(params)
        copy = type(self).__new__(type(self))
        copy._uri_text, copy._uri = self._uri_text, self._uri
        copy.display_name, copy.params = self.display_name, merged
        return copy

    def __str__(self) -> str:
        if self.display_name is not None:
            head = f"{quote(self.display_name)} <{self._uri_text}>"
        else:
            head = f"<{self._uri_text}>"
        return head + format_params(self.params)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, NameAddr) and type(self) is type(other)
                and (self.display_name, self._uri_text, self.params)
                == (other.display_name, other._uri_text, other.params))

    def __hash__(self) -> int:
        return hash(self._uri_text)


class Contact(NameAddr):
    """A Contact element: an address with expires and q, or the wildcard `*` that a
    REGISTER uses to remove every binding (RFC 3261 10.2.2)."""

    __slots__ = ()

    @classmethod
    def parse(cls, text: str) -> Contact:
        if text.strip() == "*":
            return cls.star()
        addr = super().parse(text)
        params = addr.params
        if params:
            assert isinstance(addr, Contact)
            if "expires" in params:
                addr.expires  # validate now: RFC 4475 3.1.2.4
            if "q" in params:
                addr.q
        return addr  # type: ignore[return-value]

    @classmethod
    def star(cls) -> Contact:
        return cls("*")

    @property
    def is_star(self) -> bool:
        return self._uri_text == "*"

    @property
    def uri(self) -> Uri:
        if self.is_star:
            raise ValueError("the wildcard Contact has no URI")
        return super().uri

    @property
    def expires(self) -> int | None:
        value = self.params.get("expires")
        if value is None:
            return None
        return parse_uint(unquote(value), "Contact expires", 2**32 - 1)

    @property
    def q(self) -> float | None:
        """qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) (RFC 3261 20.10)."""
        value = self.params.get("q")
        if value is None:
            return None
        if re.fullmatch(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?", value) is None:
            raise ParseError(f"malformed q value: {value!r}")
        return float(value)

    def __str__(self) -> str:
        return "*" if self.is_star else super().__str__()
