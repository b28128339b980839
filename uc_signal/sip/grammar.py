"""Lexical pieces of RFC 3261 section 25 shared by the typed header parsers.

Everything here works on already unfolded header values (str); LWS inside a value is
plain spaces and tabs. Parameters are kept as an ordered dict of lower-cased names to raw
values (a quoted value keeps its quotes), so a typed header serialises back to what was
received, give or take LWS.
"""

from __future__ import annotations

import re
from typing import Callable

from .. import _sipscan
from .parse_error import ParseError

# token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
TOKEN_CHARS = r"A-Za-z0-9\-.!%*_+`'~"
TOKEN = f"[{TOKEN_CHARS}]+"
_QUOTED_PAIR_RE = re.compile(r"\\(.)", re.S)
_NEEDS_QUOTES_RE = re.compile(f"[^{TOKEN_CHARS}]")

Params = dict[str, str | None]


def is_token(text: str) -> bool:
    return _sipscan.is_token(text)


def parse_params(text: str, pos: int = 0, what: str = "parameter") -> Params:
    """`*( SEMI generic-param )` from `pos` to the end of `text`; anything else is an error.
    gen-value = token / host / quoted-string (LWS allowed around ";" and "=", RFC 4475
    3.1.1.1); scanned by csrc/sip_scan.c."""
    return _sipscan.parse_params(text, pos, what)


def format_params(params: Params) -> str:
    """`;name` or `;name=value` per parameter, in order (in the scanner's module: every
    Via, To and Contact a server writes passes here)."""
    if type(params) is not dict:
        return "".join(f";{name}" if value is None else f";{name}={value}" for name, value in params.items())
    return _sipscan.format_params(params)


def unquote(value: str) -> str:
    """The content of a quoted-string with its quoted-pairs resolved; a token is returned as is."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        inner = value[1:-1]
        return _QUOTED_PAIR_RE.sub(r"\1", inner) if "\\" in inner else inner
    return value


def quote(text: str) -> str:
    """A quoted-string carrying `text` (backslash and double quote escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_if_needed(text: str) -> str:
    return text if text and _NEEDS_QUOTES_RE.search(text) is None else quote(text)


def split_commas(value: str) -> list[str]:
    """Split a header value on the commas that separate list elements (RFC 3261 7.3.1),
    ignoring commas inside quoted strings and <...>; elements are stripped.

    An empty element (",,") is kept as "" so the caller can reject it: the grammar never
    allows empty list elements in the headers this is used for.
    """
    if "," not in value:
        return [value.strip()]
    if '"' not in value and "<" not in value:
        return [part.strip() for part in value.split(",")]
    parts: list[str] = []
    start = 0
    in_quotes = in_angle = False
    i = 0
    end = len(value)
    while i < end:
        ch = value[i]
        if in_quotes:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_quotes = False
        elif ch == '"':
            in_quotes = True
        elif ch == "<":
            in_angle = True
        elif ch == ">":
            in_angle = False
        elif ch == "," and not in_angle:
            parts.append(value[start:i].strip())
            start = i + 1
        i += 1
    if in_quotes:
        raise ParseError(f"unterminated quoted string in {value!r}")
    parts.append(value[start:].strip())
    return parts


def _parse_uint(text: str, what: str, limit: int) -> int:
    """1*DIGIT no greater than `limit` (RFC 4475 3.1.2.4: overlarge scalars are errors).
    (parse_uint: the scanner's module reads the plain form itself.)"""
    if not (text.isdigit() and text.isascii()):
        text = text.strip(" \t")
        if not (text.isdigit() and text.isascii()):
            raise ParseError(f"{what} is not a number: {text!r}")
    if len(text) > 20 or int(text) > limit:
        raise ParseError(f"{what} too large: {text!r}")
    return int(text)


# parse_uint(text, what, limit): 1*DIGIT no greater than `limit` (RFC 4475 3.1.2.4:
# overlarge scalars are errors). The plain form is read by the scanner's module without a
# Python call (Contact expires, Via rport and ttl, Subscription-State...); anything else by
# _parse_uint, which raises.
_sipscan.configure_uint(_parse_uint)
parse_uint: Callable[[str, str, int], int] = _sipscan.parse_uint
