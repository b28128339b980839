"""`PresenceService`: the presence state of every local user, without SIP. Sans-IO.

It holds the publications (RFC 3903 event state, one per endpoint), the calls and
calendars that add Lync's automatic states, the privacy relationships and per-user
settings, and answers what a given watcher may see (`document_for`). Whoever shows
presence registers an observer: the SIP presence agent (NOTIFYs), the resource list
server (RFC 4662 batches). Observers get `(presentity_aor, now)` whenever what the
presentity aggregates to changes, including the changes time makes (publication expiry,
idle timeouts, calendar meetings starting and ending): `get_timer()`/`handle_timer(now)`
run those, and the SIP application hands them to the core.

Time is always an argument: wall-clock seconds.
"""

from __future__ import annotations

import functools
import heapq
import math
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .aggregation import Aggregate, Endpoint, aggregate, next_idle_transition
from .calendar import BusyInterval, Calendar
from .calls import CallActivity
from .model import PresenceConfig, PresencePolicy, UserPresenceSettings, WatcherAuthorization

PolicyLookup = Callable[[str], str | None]   # aor -> the name of the user's presence policy
# (owner, watcher) -> (the watcher is in the owner's contact list, its relationship hint)
ContactLookup = Callable[[str, str], tuple[bool, str | None]]
from .pidf import PublishedState, WatcherView, build_pidf
from .privacy import OFFLINE_VIEW, Relationship, watcher_view

PresenceObserver = Callable[[str, float], None]
AuthorizationObserver = Callable[[str, str, float], None]   # (presentity, watcher, now)


@dataclass
class Publication:
    """One endpoint's event state (RFC 3903 section 4.1: identified by its entity tag)."""

    aor: str
    etag: str
    state: PublishedState
    expires_at: float
    published_at: float
    last_input: float

    def endpoint(self) -> Endpoint:
        return Endpoint(self.state, self.published_at, self.last_input)


def new_etag() -> str:
    return secrets.token_hex(8)


@functools.lru_cache(maxsize=65536)
def canonical_aor(aor: str) -> str:
    """sip:user@Domain -> sip:user@domain (users compare exactly, domains case-blind)."""
    scheme, colon, rest = aor.partition(":")
    if not colon:
        scheme, rest = "sip", aor
    user, at, host = rest.rpartition("@")
    return f"{scheme.lower()}:{user}{at}{host.lower()}" if at else f"{scheme.lower()}:{rest.lower()}"


_NO_CALENDAR = Calendar()   # frozen: one shared empty calendar for the users without one


class PresenceService:
    def __init__(self, config: PresenceConfig | None = None, local_domains: Iterable[str] = ()) -> None:
        self.config = config or PresenceConfig()
        self.local_domains = frozenset(d.lower() for d in local_domains)
        self.calls = CallActivity(on_change=self._call_activity_changed)
        # Who has which named presence policy (ucd: the user directory's assignments).
        self.policy_of: PolicyLookup = lambda aor: None
        # The users' contact lists (ucd: the resource list server's ContactDirectory): a
        # contact is someone the user knows (privacy mode, confirm), with a relationship hint.
        self.contact_of: ContactLookup = lambda owner, watcher: (False, None)
        self._publications: dict[str, Publication] = {}
        self._by_aor: dict[str, set[str]] = {}
        self._calendars: dict[str, Calendar] = {}
        self._settings: dict[str, UserPresenceSettings] = {}
        self._relationships: dict[str, dict[str, Relationship]] = {}
        self._observers: list[PresenceObserver] = []
        self._authorization_observers: list[AuthorizationObserver] = []
        self._aggregates: dict[str, Aggregate] = {}
        # The aggregate of each presentity at the instant it was last computed: a fan-out
        # asks for it once per watcher at the same `now`; every change recomputes it.
        self._current: dict[str, tuple[float, Aggregate]] = {}
        self._deadlines: list[tuple[float, str]] = []
        self._deadline_of: dict[str, float] = {}
        self._documents: dict[str, tuple[float, float, dict[Relationship | None, bytes]]] = {}

    # --- observers ---------------------------------------------------------------------------

    def add_observer(self, callback: PresenceObserver) -> None:
        """`callback(presentity_aor, now)` whenever what the presentity aggregates to (or
        who may see what of it) changes."""
        self._observers.append(callback)

    def add_authorization_observer(self, callback: AuthorizationObserver) -> None:
        """`callback(presentity, watcher, now)` when a relationship is set or cleared."""
        self._authorization_observers.append(callback)

    # --- publications (RFC 3903 section 6) ----------------------------------------------------

    def publish(self, aor: str, state: PublishedState, expires: float, now: float) -> Publication:
        """An initial publication: a new endpoint with a new entity tag."""
        aor = canonical_aor(aor)
        publication = Publication(aor, new_etag(), state, now + expires, now, now)
        self._publications[publication.etag] = publication
        self._by_aor.setdefault(aor, set()).add(publication.etag)
        self._changed(aor, now)
        return publication

    def publication(self, aor: str, etag: str) -> Publication | None:
        found = self._publications.get(etag)
        return found if found is not None and found.aor == canonical_aor(aor) else None

    def refresh(self, aor: str, etag: str, expires: float, now: float) -> Publication | None:
        """Extend a publication; a new entity tag (6: SHOULD change). None: unknown (412)."""
        found = self.publication(aor, etag)
        if found is None:
            return None
        return self._replace(found, found.state, now + expires, found.published_at, found.last_input, now)

    def modify(self, aor: str, etag: str, state: PublishedState, expires: float, now: float) -> Publication | None:
        """Replace a publication's state. None: unknown entity tag (412)."""
        found = self.publication(aor, etag)
        if found is None:
            return None
        last_input = found.last_input if state.idle else now
        return self._replace(found, state, now + expires, now, last_input, now)

    def unpublish(self, aor: str, etag: str, now: float) -> bool:
        found = self.publication(aor, etag)
        if found is None:
            return False
        self._drop(found)
        self._changed(found.aor, now)
        return True

    def restore_publications(self, publications: Iterable[Publication], now: float) -> int:
        """At start: the stored publications (entity tags kept, so a refresh with the old
        tag works after a restart); those expired by `now` are left out. How many."""
        restored: set[str] = set()
        for publication in publications:
            if publication.expires_at <= now:
                continue
            self._publications[publication.etag] = publication
            self._by_aor.setdefault(publication.aor, set()).add(publication.etag)
            restored.add(publication.aor)
        for aor in restored:
            self._changed(aor, now)
        return sum(len(self._by_aor[aor]) for aor in restored)

    def publications(self, aor: str) -> list[Publication]:
        return [self._publications[etag] for etag in sorted(self._by_aor.get(canonical_aor(aor), ()))]

    def _replace(self, old: Publication, state: PublishedState, expires_at: float, published_at: float,
                 last_input: float, now: float) -> Publication:
        self._drop(old)
        publication = Publication(old.aor, new_etag(), state, expires_at, published_at, last_input)
        self._publications[publication.etag] = publication
        self._by_aor.setdefault(old.aor, set()).add(publication.etag)
        self._changed(old.aor, now)
        return publication

    def _drop(self, publication: Publication) -> None:
        self._publications.pop(publication.etag, None)
        etags = self._by_aor.get(publication.aor)
        if etags is not None:
            etags.discard(publication.etag)
            if not etags:
                del self._by_aor[publication.aor]

    # --- calendar, settings, relationships ----------------------------------------------------

    def set_calendar(self, aor: str, intervals: Iterable[BusyInterval], now: float) -> None:
        aor = canonical_aor(aor)
        self._calendars[aor] = Calendar(tuple(intervals))
        self._changed(aor, now, force=True)

    def calendar(self, aor: str) -> Calendar:
        return self._calendars.get(canonical_aor(aor), _NO_CALENDAR)

    def settings_for(self, aor: str) -> UserPresenceSettings:
        """What was set for the user (None fields: not set)."""
        return self._settings.get(canonical_aor(aor)) or _UNSET

    def privacy_mode(self, aor: str) -> bool:
        """In force: the user's own setting, else their policy's, else off."""
        aor = canonical_aor(aor)
        settings = self._settings.get(aor)
        if settings is not None and settings.privacy_mode is not None:
            return settings.privacy_mode
        policy = self._policy(aor)
        return bool(policy is not None and policy.privacy_mode)

    def _policy(self, aor: str) -> PresencePolicy | None:
        """The user's named presence policy; without one, `Global` if defined (the
        convention of [policies.<kind>])."""
        return self.config.policy(self.policy_of(aor) or "Global")

    def authorization(self, aor: str) -> WatcherAuthorization:
        """In force: the user's own setting, else their policy's, else the default."""
        aor = canonical_aor(aor)
        settings = self._settings.get(aor)
        if settings is not None and settings.authorization is not None:
            return settings.authorization
        policy = self._policy(aor)
        if policy is not None and policy.authorization is not None:
            return policy.authorization
        return self.config.default_authorization

    def set_settings(self, aor: str, settings: UserPresenceSettings, now: float) -> None:
        aor = canonical_aor(aor)
        self._settings[aor] = settings
        self._changed(aor, now, force=True)
        for watcher in list(self._relationships.get(aor, {})):
            self._authorization_changed(aor, watcher, now)
        for callback in self._authorization_observers:
            callback(aor, "", now)   # "" : every watcher of aor may see differently now

    def explicit_relationship(self, presentity: str, watcher: str) -> Relationship | None:
        return self._relationships.get(canonical_aor(presentity), {}).get(canonical_aor(watcher))

    def relationships_of(self, presentity: str) -> dict[str, Relationship]:
        return dict(self._relationships.get(canonical_aor(presentity), {}))

    def relationship(self, presentity: str, watcher: str | None) -> Relationship:
        """The relationship in force: the one set, else Colleague for our own domain's
        users and External Contact for everyone else (an anonymous watcher too)."""
        if watcher is None:
            return Relationship.EXTERNAL
        found = self._relationship_set(canonical_aor(presentity), canonical_aor(watcher))
        if found is not None:
            return found
        return Relationship.COLLEAGUE if self.is_local(watcher) else Relationship.EXTERNAL

    def _relationship_set(self, presentity: str, watcher: str) -> Relationship | None:
        """Set through the admin API, else the hint on the watcher's entry in the user's
        contact list."""
        found = self._relationships.get(presentity, {}).get(watcher)
        if found is not None:
            return found
        _, hint = self.contact_of(presentity, watcher)
        if hint:
            try:
                return Relationship.parse(hint)
            except ValueError:
                return None
        return None

    def is_contact(self, presentity: str, watcher: str) -> bool:
        """A watcher the user knows: one given a relationship, or in their contact list."""
        presentity, watcher = canonical_aor(presentity), canonical_aor(watcher)
        return watcher in self._relationships.get(presentity, {}) or self.contact_of(presentity, watcher)[0]

    def contacts_changed(self, owner: str, now: float) -> None:
        """The owner's contact list changed: who is a contact, and relationship hints."""
        self._authorization_changed(canonical_aor(owner), "", now)

    def set_relationship(self, presentity: str, watcher: str, relationship: Relationship | None,
                         now: float) -> None:
        """Set (None: clear) what `watcher` is to `presentity`."""
        presentity, watcher = canonical_aor(presentity), canonical_aor(watcher)
        if relationship is None:
            self._relationships.get(presentity, {}).pop(watcher, None)
        else:
            self._relationships.setdefault(presentity, {})[watcher] = relationship
        self._authorization_changed(presentity, watcher, now)

    def load_relationships(self, rows: Iterable[tuple[str, str, Relationship]]) -> None:
        """At start: the stored relationships, no notifications."""
        for presentity, watcher, relationship in rows:
            self._relationships.setdefault(canonical_aor(presentity), {})[canonical_aor(watcher)] = relationship

    def load_settings(self, rows: Iterable[tuple[str, UserPresenceSettings, tuple[BusyInterval, ...]]]) -> None:
        self._current.clear()
        self._documents.clear()
        for aor, settings, intervals in rows:
            self._settings[canonical_aor(aor)] = settings
            if intervals:
                self._calendars[canonical_aor(aor)] = Calendar(intervals)

    def _authorization_changed(self, presentity: str, watcher: str, now: float) -> None:
        for callback in self._authorization_observers:
            callback(presentity, watcher, now)
        for observer in self._observers:
            observer(presentity, now)

    def is_local(self, aor: str) -> bool:
        return canonical_aor(aor).rpartition("@")[2] in self.local_domains

    def is_authorized(self, presentity: str, watcher: str) -> bool:
        """May `watcher`'s subscription be active (RFC 3856 6.6)? A user watching
        themselves always may; under CONFIRM, only watchers with a relationship set."""
        if canonical_aor(presentity) == canonical_aor(watcher):
            return True
        if self.authorization(presentity) is WatcherAuthorization.OPEN:
            return True
        return self.is_contact(presentity, watcher)

    # --- what watchers see ------------------------------------------------------------------

    def aggregate(self, aor: str, now: float) -> Aggregate:
        aor = canonical_aor(aor)
        cached = self._current.get(aor)
        if cached is not None and cached[0] == now:
            return cached[1]
        endpoints = [self._publications[etag].endpoint() for etag in self._by_aor.get(aor, ())
                     if self._publications[etag].expires_at > now]
        result = aggregate(endpoints, now, self.config.idle_timeout, call=self.calls.activity(aor),
                           meeting_until=self.calendar(aor).meeting_until(now))
        self._current[aor] = (now, result)
        return result

    def _watcher_class(self, presentity: str, watcher: str | None, privacy: bool | None = None
                       ) -> Relationship | None:
        """What decides a watcher's view: its relationship, or None for "Offline" (privacy
        mode and not a contact). A user sees all of themselves (Friends and Family).
        `privacy`: the presentity's privacy mode when the caller read it already."""
        if watcher is None:
            return None if (self.privacy_mode(presentity) if privacy is None else privacy) else Relationship.EXTERNAL
        watcher = canonical_aor(watcher)
        if watcher == presentity:
            return Relationship.FRIENDS_AND_FAMILY
        found = self._relationship_set(presentity, watcher)
        if found is not None:
            return found
        if (self.privacy_mode(presentity) if privacy is None else privacy) \
                and not self.contact_of(presentity, watcher)[0]:
            return None   # privacy mode: contacts only
        return Relationship.COLLEAGUE if self.is_local(watcher) else Relationship.EXTERNAL

    def view_for(self, presentity: str, watcher: str | None, now: float) -> WatcherView:
        presentity = canonical_aor(presentity)
        relationship = self._watcher_class(presentity, watcher)
        if relationship is None:
            return OFFLINE_VIEW
        return watcher_view(self.aggregate(presentity, now), self.settings_for(presentity).card, relationship)

    def document_for(self, presentity_aor: str, watcher_aor: str | None, now: float, *,
                     privacy: bool | None = None) -> bytes:
        """The PIDF document `watcher_aor` may see of `presentity_aor` now, privacy
        applied (an Offline document for a blocked watcher or an unknown presentity).
        One document per relationship is built per change and shared by the watchers
        with that relationship (a fan-out builds at most six). `privacy`: the
        presentity's `privacy_mode()` when the caller read it in the same synchronous pass
        (a fan-out asks it once, not once per watcher: nothing changes between them)."""
        presentity = canonical_aor(presentity_aor)
        relationship = self._watcher_class(presentity, watcher_aor, privacy)
        documents = self._documents.get(presentity)
        if documents is None or now < documents[0] or now >= documents[1]:
            # Valid from the change that made them to the presentity's next deadline (an
            # idle timeout, a meeting, an expiry), which calls _changed.
            documents = self._documents[presentity] = (now, self._deadline_of.get(presentity, math.inf), {})
        document = documents[2].get(relationship)
        if document is None:
            view = OFFLINE_VIEW if relationship is None else watcher_view(
                self.aggregate(presentity, now), self.settings_for(presentity).card, relationship)
            document = documents[2][relationship] = build_pidf(presentity, view)
        return document

    # --- change and time ------------------------------------------------------------------------

    def _call_activity_changed(self, aor: str, now: float) -> None:
        # Twice per user per call through the server. A call moves none of the deadlines
        # _schedule computes (publication expiries, idle transitions, the calendar), so the
        # one already scheduled stands.
        self._changed(aor, now, schedule=False)

    def _changed(self, aor: str, now: float, *, force: bool = False, schedule: bool = True) -> None:
        self._current.pop(aor, None)
        self._documents.pop(aor, None)
        current = self.aggregate(aor, now)
        if schedule:
            self._schedule(aor, now)
        if not force and self._aggregates.get(aor, _NOTHING) == current:
            return
        self._aggregates[aor] = current
        for observer in self._observers:
            observer(aor, now)

    def _schedule(self, aor: str, now: float) -> None:
        publications = [self._publications[etag] for etag in self._by_aor.get(aor, ())]
        times = [p.expires_at for p in publications]
        idle = next_idle_transition([p.endpoint() for p in publications if p.expires_at > now], now,
                                    self.config.idle_timeout)
        calendar_change = self.calendar(aor).next_change(now)
        times += [t for t in (idle, calendar_change) if t is not None]
        deadline = min(times, default=None)
        if deadline is None:
            self._deadline_of.pop(aor, None)
        elif self._deadline_of.get(aor) != deadline:
            self._deadline_of[aor] = deadline
            heapq.heappush(self._deadlines, (deadline, aor))

    def get_timer(self) -> float | None:
        while self._deadlines and self._deadline_of.get(self._deadlines[0][1]) != self._deadlines[0][0]:
            heapq.heappop(self._deadlines)   # superseded
        return self._deadlines[0][0] if self._deadlines else None

    def handle_timer(self, now: float) -> None:
        due: list[str] = []
        while (deadline := self.get_timer()) is not None and deadline <= now:
            _, aor = heapq.heappop(self._deadlines)
            del self._deadline_of[aor]
            due.append(aor)
        for aor in due:
            for publication in [self._publications[e] for e in self._by_aor.get(aor, ())]:
                if publication.expires_at <= now:   # RFC 3903 4.1: expired state is gone
                    self._drop(publication)
            self._changed(aor, now)


_UNSET = UserPresenceSettings()
_NOTHING = object()   # no aggregate computed yet: the first one always counts as a change
