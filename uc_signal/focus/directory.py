"""How the focus finds the meeting behind a Request-URI.

The meeting directory (uc_signal.conferencing) implements `ConferenceLookup`; the focus
only needs a synchronous `find(uri)` from an in-memory view, like the location service's
bindings (the store behind it is async): `uc_signal.focus.meetings.DirectoryConferences`.
Every meeting the focus serves is a stored meeting, with its roster, lobby and roles.

Which URIs are the focus's at all: the ones the lookup knows, and any URI carrying Lync's
focus marker `opaque=app:conf:...` (a conference URI is the organizer's GRUU with that
opaque parameter, [MS-CONFBAS] 3.2.5.1); an unknown one of those is answered 404 here
rather than proxied to the organizer.
"""

from __future__ import annotations

from typing import Protocol

from ..sip import ParseError, SipUri

FOCUS_OPAQUE_PREFIX = "app:conf:"


class ConferenceHandle(Protocol):
    """What the focus reads of a meeting. `uri` is the canonical conference URI (the key
    of the running conference), `conference_id` the numeric ID (admin API paths, dial-in)."""

    @property
    def uri(self) -> str: ...

    @property
    def conference_id(self) -> str: ...


class ConferenceLookup(Protocol):
    def find(self, uri: str) -> ConferenceHandle | None:
        """The meeting whose conference URI is `uri` (parameters other than gruu/opaque
        ignored), or None."""
        ...


def conference_key(uri: str) -> str:
    """A conference URI reduced to what names the meeting: scheme, user, host (lower
    case), and the opaque parameter. Transport, port and other parameters a client or
    proxy may add do not make another meeting."""
    try:
        parsed = SipUri.parse(uri.strip().strip("<>"))
    except ParseError:
        return uri.strip()
    opaque = parsed.params.get("opaque")
    key = f"{parsed.scheme}:{parsed.user or ''}@{parsed.host.lower()}"
    return key + (f";opaque={opaque}" if opaque else "")


def might_have_opaque(uri: str) -> bool:
    """False when `uri` cannot carry an `opaque` parameter: neither the name nor an escape
    (a parameter name may be %-escaped, RFC 3261 19.1.4) is in it. Every INVITE through
    the server asks the focus whether its Request-URI is a conference; a user's URI is
    answered by this substring test instead of a URI parse."""
    return "%" in uri or "opaque" in uri.lower()


def looks_like_conference_uri(uri: str) -> bool:
    if not might_have_opaque(uri):
        return False
    try:
        parsed = SipUri.parse(uri.strip().strip("<>"))
    except ParseError:
        return False
    opaque = parsed.params.get("opaque")
    return isinstance(opaque, str) and opaque.lower().startswith(FOCUS_OPAQUE_PREFIX)
