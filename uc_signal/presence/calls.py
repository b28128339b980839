"""Lync's automatic "In a Call" / "In a Conference": a user's calls through this server.

`CallActivity` is the small interface anything that knows of calls may drive (the proxy
router through `RouterCallFeed`, a conferencing focus directly): `call_started(aor,
call_id, now)` and `call_ended(aor, call_id, now)`. A call to a conference focus (its 2xx
Contact carries the RFC 4579 `isfocus` feature tag) is a conference.
"""

from __future__ import annotations

from collections.abc import Callable

from ..sip import NameAddr, Request, Response, SipUri
from .model import Activity

ChangeCallback = Callable[[str, float], None]


class CallActivity:
    """Which users are in which calls; `on_change(aor, now)` when a user's activity changes."""

    def __init__(self, on_change: ChangeCallback | None = None) -> None:
        self.on_change = on_change
        self._calls: dict[str, dict[str, bool]] = {}      # aor -> call_id -> is a conference
        self._by_call: dict[str, set[str]] = {}           # call_id -> aors

    def activity(self, aor: str) -> Activity | None:
        calls = self._calls.get(aor)
        if not calls:
            return None
        return Activity.IN_A_CONFERENCE if any(calls.values()) else Activity.IN_A_CALL

    def call_started(self, aor: str, call_id: str, now: float, *, conference: bool = False) -> None:
        before = self.activity(aor)
        self._calls.setdefault(aor, {})[call_id] = conference
        self._by_call.setdefault(call_id, set()).add(aor)
        self._changed(aor, before, now)

    def call_ended(self, aor: str, call_id: str, now: float) -> None:
        before = self.activity(aor)
        calls = self._calls.get(aor, {})
        calls.pop(call_id, None)
        if not calls:
            self._calls.pop(aor, None)
        users = self._by_call.get(call_id)
        if users is not None:
            users.discard(aor)
            if not users:
                del self._by_call[call_id]
        self._changed(aor, before, now)

    def call_id_ended(self, call_id: str, now: float) -> None:
        """Every user's leg of `call_id` is over (a BYE went through)."""
        for aor in sorted(self._by_call.get(call_id, ())):
            self.call_ended(aor, call_id, now)

    def _changed(self, aor: str, before: Activity | None, now: float) -> None:
        if self.activity(aor) != before and self.on_change is not None:
            self.on_change(aor, now)


def _aor(address: NameAddr | None) -> str | None:
    uri = address.uri if address is not None else None
    if isinstance(uri, SipUri) and uri.user:
        return f"sip:{uri.user}@{uri.host.lower()}"
    return None


class RouterCallFeed:
    """The proxy router's call events (uc_signal.proxy.call_events) as CallActivity calls,
    for the caller and the callee when they are local users."""

    def __init__(self, activity: CallActivity, is_local: Callable[[str], bool]) -> None:
        self.activity = activity
        self.is_local = is_local

    def call_answered(self, invite: Request, response: Response, now: float) -> None:
        call_id = invite.call_id or ""
        conference = any("isfocus" in value.lower() for value in response.headers.get_all("Contact"))
        for aor in (_aor(invite.from_), _aor(invite.to)):
            if aor is not None and self.is_local(aor):
                self.activity.call_started(aor, call_id, now, conference=conference)

    def call_ended(self, bye: Request, now: float) -> None:
        self.activity.call_id_ended(bye.call_id or "", now)
