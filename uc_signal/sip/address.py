"""name-addr / addr-spec headers: From, To, Contact, Route, Record-Route, Path, Refer-To
(RFC 3261 20.10, 20.20, 20.39, 20.30, 20.34; RFC 3327; RFC 3515).

`"Display" <sip:uri;uri-param>;header-param` or the bare `sip:uri;header-param`: in the
bare form every parameter belongs to the header, and a URI holding a comma, semicolon or
question mark must be written in angle brackets (RFC 3261 20; RFC 4475 3.1.2.13). The URI
is kept as text and parsed on first access of `.uri`.
"""

from __future__ import annotations

import re

from .. import _sipscan
from .grammar import Params, format_params, parse_uint, quote, unquote
from .parse_error import ParseError
from .uri import Uri

_QVALUE_RE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")


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
        """name-addr or addr-spec with header parameters (csrc/sip_scan.c)."""
        return _sipscan.parse_name_addr(cls, text)

    @property
    def uri(self) -> Uri:
        """The parsed URI (ParseError if it is malformed)."""
        if self._uri is None:
            self._uri = _sipscan.parse_uri(self._uri_text)  # uri.parse_uri
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
        if "*" in text and text.strip() == "*":
            return cls.star()
        addr = _sipscan.parse_name_addr(cls, text)
        params = addr.params
        if params:
            if "expires" in params:
                addr.expires  # validate now: RFC 4475 3.1.2.4
            if "q" in params:
                addr.q
        return addr

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
        if _QVALUE_RE.fullmatch(value) is None:
            raise ParseError(f"malformed q value: {value!r}")
        return float(value)

    def __str__(self) -> str:
        return "*" if self.is_star else super().__str__()
