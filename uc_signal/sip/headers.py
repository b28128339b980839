"""The header fields of a SIP message: raw values kept in order, typed values parsed lazily.

Each field is stored as received (its name as written, its value unfolded and stripped).
Lookups take any spelling of a name: long or compact form (RFC 3261 7.3.3), any case.
`typed(name)` parses a header with the parser registered for it on first access and caches
the result until that header is changed. List headers (RFC 3261 7.3.1: Via, Contact,
Route, ...) give a list of every element across every field line; single headers give the
first field's value or None.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

from .. import _sipscan
from .grammar import split_commas
from .parse_error import ParseError

# Compact forms (RFC 3261 7.3.3 and the IANA SIP header registry).
COMPACT_FORMS: dict[str, str] = {
    "a": "Accept-Contact", "b": "Referred-By", "c": "Content-Type", "d": "Request-Disposition",
    "e": "Content-Encoding", "f": "From", "i": "Call-ID", "j": "Reject-Contact", "k": "Supported",
    "l": "Content-Length", "m": "Contact", "n": "Identity-Info", "o": "Event", "r": "Refer-To",
    "s": "Subject", "t": "To", "u": "Allow-Events", "v": "Via", "x": "Session-Expires",
    "y": "Identity",
}

# Canonical spelling of the headers this package knows, keyed by lower-case long name.
_KNOWN = [
    "Accept", "Accept-Contact", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow",
    "Allow-Events", "Authentication-Info", "Authorization", "Call-ID", "Call-Info", "Contact",
    "Content-Disposition", "Content-Encoding", "Content-Language", "Content-Length",
    "Content-Type", "CSeq", "Date", "Error-Info", "Event", "Expires", "From", "Identity",
    "Identity-Info", "In-Reply-To", "Max-Forwards", "Min-Expires", "MIME-Version",
    "Organization", "Path", "Priority", "Proxy-Authenticate", "Proxy-Authorization",
    "Proxy-Require", "Reason", "Record-Route", "Refer-To", "Referred-By", "Reject-Contact",
    "Replaces", "Reply-To", "Request-Disposition", "Require", "Retry-After", "Route",
    "RSeq", "RAck", "Server", "Session-Expires", "Min-SE", "SIP-ETag", "SIP-If-Match", "Subject",
    "Subscription-State", "Supported", "Timestamp", "To", "Unsupported", "User-Agent", "Via",
    "Warning", "WWW-Authenticate", "P-Asserted-Identity", "P-Preferred-Identity",
    "Service-Route", "Security-Client", "Security-Server", "Security-Verify",
]
CANONICAL: dict[str, str] = {name.lower(): name for name in _KNOWN}

# Lower-case name (any spelling) -> key: the lower-case long name.
_KEYS: dict[str, str] = {name: name for name in CANONICAL}
_KEYS.update({short: long.lower() for short, long in COMPACT_FORMS.items()})
# The spellings code uses ("Via", "CSeq", "Content-Length"...) -> key, without lower().
_KEY_OF_SPELLING: dict[str, str] = {**_KEYS, **{name: key for key, name in CANONICAL.items()}}

# Headers whose grammar is a comma-separated list (RFC 3261 7.3.1), split element-wise.
# WWW-Authenticate and friends are lists too, but of challenges containing commas: their
# own parser splits them.
LIST_HEADERS = frozenset({
    "accept", "accept-encoding", "accept-language", "alert-info", "allow", "allow-events",
    "call-info", "contact", "content-encoding", "content-language", "error-info", "in-reply-to",
    "path", "proxy-require", "record-route", "require", "route", "supported", "unsupported",
    "via", "warning", "accept-contact", "reject-contact", "p-asserted-identity",
    "p-preferred-identity", "service-route", "reason", "security-client",
    "security-server", "security-verify",
})




def header_key(name: str) -> str:
    """The lookup key of a header name: its long form, lower-cased."""
    key = _KEY_OF_SPELLING.get(name)
    if key is not None:
        return key
    lower = name.lower()
    return _KEYS.get(lower, lower)


def canonical_name(name: str) -> str:
    """The conventional spelling of a header name ("i" -> "Call-ID", "cseq" -> "CSeq")."""
    key = header_key(name)
    return CANONICAL.get(key, name)


# Typed parsers: key -> (parser, mode), mode "one" (first field line), "list" (each
# comma-separated element), "lines" (the parser splits a line into a list itself).
# Filled in by fields.py at import.
Parser = Callable[[str], Any]
TYPED_PARSERS: dict[str, tuple[Parser, str]] = {}


class Headers:
    """An ordered multi-dict of header fields: (key, name as written, value)."""

    __slots__ = ("_fields", "_typed")

    def __init__(self, fields: Iterable[tuple[str, object]] = ()) -> None:
        self._fields: list[tuple[str, str, str]] = [
            (header_key(name), name, str(value)) for name, value in fields]
        self._typed: dict[str, Any] = {}

    @classmethod
    def _from_parsed(cls, fields: list[tuple[str, str, str]]) -> Headers:
        headers = cls.__new__(cls)
        headers._fields = fields
        headers._typed = {}
        return headers

    # Reading raw values
    def get(self, name: str, default: str | None = None) -> str | None:
        """The value of the first field with this name."""
        key = _KEY_OF_SPELLING.get(name) or header_key(name)
        for k, _, value in self._fields:
            if k == key:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        """Every field line with this name, in order (not split on commas)."""
        key = _KEY_OF_SPELLING.get(name) or header_key(name)
        return [value for k, _, value in self._fields if k == key]

    def values(self, name: str) -> list[str]:
        """Every list element of this header across all its lines (split on commas)."""
        out: list[str] = []
        for value in self.get_all(name):
            out.extend(split_commas(value))
        return out

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = _KEY_OF_SPELLING.get(name) or header_key(name)
        return any(k == key for k, _, _ in self._fields)

    def count(self, name: str) -> int:
        key = _KEY_OF_SPELLING.get(name) or header_key(name)
        return sum(1 for k, _, _ in self._fields if k == key)

    def items(self) -> list[tuple[str, str]]:
        """(name as written, value) for every field, in order."""
        return [(name, value) for _, name, value in self._fields]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.items())

    def __len__(self) -> int:
        return len(self._fields)

    # Typed values: typed(name) -> the parsed value, a list for list headers, else the
    # first field's value or None; ParseError (status hint 400) if malformed. Parsed on
    # first access with TYPED_PARSERS and cached until that header changes. In
    # uc_signal/_sipscan.pyx: every typed accessor runs it.
    typed = _sipscan.headers_typed

    # Changing fields (each change drops that header's cached typed value)
    def add(self, name: str, value: object) -> None:
        """Append a field (after any with the same name)."""
        key = _KEY_OF_SPELLING.get(name) or header_key(name)
        self._fields.append((key, name, str(value)))
        self._typed.pop(key, None)

    def insert(self, index: int, name: str, value: object) -> None:
        """Insert a field at a position in the whole list (0: first, e.g. a new top Via)."""
        key = _KEY_OF_SPELLING.get(name) or header_key(name)
        self._fields.insert(index, (key, name, str(value)))
        self._typed.pop(key, None)

    def prepend(self, name: str, value: object) -> None:
        """Put a field before the first field of the same name (or at the end if none):
        how a proxy adds its Via or Record-Route (RFC 3261 16.6 steps 4 and 8)."""
        key = _KEY_OF_SPELLING.get(name) or header_key(name)
        for i, (k, _, _) in enumerate(self._fields):
            if k == key:
                self.insert(i, name, value)
                return
        self.add(name, value)

    def set(self, name: str, value: object) -> None:
        """Replace every field with this name by one (in the first one's place)."""
        key = _KEY_OF_SPELLING.get(name) or header_key(name)
        new = (key, name, str(value))
        out: list[tuple[str, str, str]] = []
        placed = False
        for field in self._fields:
            if field[0] == key:
                if not placed:
                    out.append(new)
                    placed = True
            else:
                out.append(field)
        if not placed:
            out.append(new)
        self._fields = out
        self._typed.pop(key, None)

    def remove(self, name: str) -> int:
        """Delete every field with this name; returns how many were removed."""
        key = _KEY_OF_SPELLING.get(name) or header_key(name)
        before = len(self._fields)
        self._fields = [f for f in self._fields if f[0] != key]
        self._typed.pop(key, None)
        return before - len(self._fields)

    def pop_first(self, name: str) -> str | None:
        """Remove the first list element of this header and return it (a proxy stripping
        its own top Via, RFC 3261 16.7 step 3); the rest of that field line stays."""
        key = _KEY_OF_SPELLING.get(name) or header_key(name)
        for i, (k, written, value) in enumerate(self._fields):
            if k == key:
                elements = split_commas(value)
                if len(elements) > 1:
                    self._fields[i] = (k, written, ", ".join(elements[1:]))
                else:
                    del self._fields[i]
                self._typed.pop(key, None)
                return elements[0]
        return None

    def replace_first_element(self, name: str, value: object) -> None:
        """Put `value` in place of the first list element of this header, as a field line
        of its own where that field was, the rest of that line (if any) after it: a server
        transport stamping received/rport on the top Via (RFC 3261 18.2.1, 7.3.1). The
        same result as pop_first() then insert() at that field's index, in one pass.
        KeyError if there is no such field."""
        key = _KEY_OF_SPELLING.get(name) or header_key(name)
        fields = self._fields
        for i, (k, written, line) in enumerate(fields):
            if k == key:
                new = (k, written, str(value))
                elements = split_commas(line) if "," in line else None
                if elements is not None and len(elements) > 1:
                    fields[i:i + 1] = [new, (k, written, ", ".join(elements[1:]))]
                else:
                    fields[i] = new
                self._typed.pop(key, None)
                return
        raise KeyError(name)

    def copy(self) -> Headers:
        return Headers._from_parsed(list(self._fields))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return [f[1:] for f in self._fields] == [f[1:] for f in other._fields]

    def __repr__(self) -> str:
        return f"Headers({self.items()!r})"

    def serialize(self) -> str:
        return _sipscan.serialize_fields(self._fields)  # `Name: value` CRLF per field


def _split_checked(raw: str, key: str) -> list[str]:
    if not raw:
        return []  # e.g. "Supported:" with no option tags is allowed (RFC 3261 20.37)
    elements = split_commas(raw)
    for element in elements:
        if not element:
            raise ParseError(f"empty element in {canonical_name(key)}: {raw!r}")
    return elements


# The scanner keys the commonest headers itself (enum sip_header_id), the rest by _KEYS;
# Headers.typed() (in the scanner's module) uses the parser table and splitter above.
_sipscan.configure(_KEYS, ParseError, TYPED_PARSERS, _split_checked)
