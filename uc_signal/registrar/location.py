"""The location service: bindings by address of record, with expiry (Kamailio's usrloc).

Sans-IO: every call that depends on time takes `now` (wall-clock seconds, the clock the
bindings are stored in). The working set lives in memory and every change is written
through to the `BindingStore`; `load(now)` reads back what has not expired, so a restart
keeps registrations. Expiry is reported upward through callbacks (usrloc's
ul_callback.h): the owner arms one timer at `get_timer()` and calls `expire(now)`.
"""

from __future__ import annotations

import enum
import functools
import heapq
import itertools
from collections.abc import Callable

from ..directory import Binding, BindingStore
from ..sip import ParseError, SipUri, parse_uri


class BindingChange(enum.Enum):
    INSERTED = "inserted"
    UPDATED = "updated"
    DELETED = "deleted"   # unregistered (Expires: 0, Contact: *) or replaced
    EXPIRED = "expired"
    LOADED = "loaded"     # read back from the store at start-up


BindingCallback = Callable[[BindingChange, Binding], None]


def aor_key(uri: object) -> str | None:
    """The canonical address of record of a SIP URI: sip:user@domain (scheme sip for sips
    too, no port, no parameters, host lower-cased); None for anything else."""
    if not isinstance(uri, SipUri) or uri.user is None:
        return None
    return f"sip:{uri.user}@{uri.host.lower()}"


@functools.lru_cache(maxsize=65536)
def contact_key(contact: str) -> object:
    """What makes two Contact URIs the same binding: URI equality (RFC 3261 10.3 step 7,
    19.1.4); an unparseable one compares as text.

    A SIP URI gives its comparison tuple rather than the parsed (mutable) SipUri, so the
    key can be cached: every REGISTER compares its Contact against each binding of the
    AOR, and parsing and unescaping those URIs again was a tenth of a registration's CPU."""
    try:
        uri = parse_uri(contact)
    except ParseError:
        return contact
    return ("sip-uri", uri.comparison_key()) if isinstance(uri, SipUri) else uri


def _lookup_order(binding: Binding) -> tuple[float, float]:
    return (-(1.0 if binding.q is None else binding.q), -binding.registered_at)


class LocationService:
    """Bindings by AOR; write-through to `store`; expiry through `get_timer`/`expire`."""

    def __init__(self, store: BindingStore) -> None:
        self.store = store
        self._by_aor: dict[str, list[Binding]] = {}
        # Contact URI (as compared, contact_key) -> binding: in-dialog requests and ACKs
        # find the flow of a registered UA without scanning every binding.
        self._by_contact: dict[object, Binding] = {}
        self._heap: list[tuple[float, int, str, str]] = []
        self._order = itertools.count()
        self._callbacks: list[BindingCallback] = []

    # --- callbacks (ul_callback.h) -----------------------------------------------------------

    def subscribe(self, callback: BindingCallback) -> None:
        """Call `callback(change, binding)` on every insert, update, delete and expiry."""
        self._callbacks.append(callback)

    def _report(self, change: BindingChange, binding: Binding) -> None:
        for callback in self._callbacks:
            callback(change, binding)

    # --- life cycle ----------------------------------------------------------------------------

    def load(self, now: float) -> int:
        """Reload unexpired bindings from the store (start-up); returns how many."""
        self._by_aor.clear()
        self._by_contact.clear()
        self._heap.clear()
        count = 0
        for binding in self.store.load_all(now):
            if binding.expires_at > now:
                self._by_aor.setdefault(binding.aor, []).append(binding)
                self._by_contact[contact_key(binding.contact)] = binding
                self._schedule(binding)
                self._report(BindingChange.LOADED, binding)
                count += 1
        return count

    # --- reading ---------------------------------------------------------------------------------

    def lookup(self, aor: str, now: float) -> list[Binding]:
        """The unexpired bindings of `aor`, highest q first (no q counts as 1.0, RFC 3261
        16.6 leaves the order within one q value to the proxy: most recent first)."""
        found = self._by_aor.get(aor)
        if not found:
            return []
        bindings = [b for b in found if b.expires_at > now]
        if len(bindings) > 1:  # one binding per AOR is the common case: no key calls
            bindings.sort(key=_lookup_order)
        return bindings

    def find_contact(self, contact: str, now: float) -> Binding | None:
        """The binding whose Contact URI equals `contact` (in-dialog requests to a
        registered UA reuse its flow)."""
        binding = self._by_contact.get(contact_key(contact))
        return binding if binding is not None and binding.expires_at > now else None

    def aors(self) -> list[str]:
        return list(self._by_aor)

    def __len__(self) -> int:
        return sum(len(bindings) for bindings in self._by_aor.values())

    # --- writing ---------------------------------------------------------------------------------

    def put(self, binding: Binding) -> None:
        """Insert `binding`, or replace the one with an equal Contact URI."""
        bindings = self._by_aor.setdefault(binding.aor, [])
        key = contact_key(binding.contact)
        for i, old in enumerate(bindings):
            if contact_key(old.contact) == key:
                bindings[i] = binding
                self._by_contact[key] = binding
                if old.contact != binding.contact:
                    self.store.remove(old.aor, old.contact)
                self.store.save(binding)
                self._schedule(binding)
                self._report(BindingChange.UPDATED, binding)
                return
        bindings.append(binding)
        self._by_contact[key] = binding
        self.store.save(binding)
        self._schedule(binding)
        self._report(BindingChange.INSERTED, binding)

    def delete(self, binding: Binding, change: BindingChange = BindingChange.DELETED) -> None:
        bindings = self._by_aor.get(binding.aor, [])
        if binding in bindings:
            bindings.remove(binding)
            if not bindings:
                del self._by_aor[binding.aor]
            key = contact_key(binding.contact)
            if self._by_contact.get(key) is binding:
                del self._by_contact[key]
            self.store.remove(binding.aor, binding.contact)
            self._report(change, binding)

    def delete_aor(self, aor: str) -> list[Binding]:
        """Remove every binding of `aor` (Contact: *, Expires: 0)."""
        removed = list(self._by_aor.get(aor, ()))
        for binding in removed:
            self.delete(binding)
        return removed

    # --- expiry ----------------------------------------------------------------------------------

    def _schedule(self, binding: Binding) -> None:
        heapq.heappush(self._heap, (binding.expires_at, next(self._order), binding.aor, binding.contact))

    def get_timer(self) -> float | None:
        """When the next binding expires (None when there is none). Read after every SIP
        event the services handle: a plain loop, no generator."""
        heap = self._heap
        while heap:
            expires_at, _, aor, contact = heap[0]
            for b in self._by_aor.get(aor, ()):
                if b.contact == contact and b.expires_at == expires_at:
                    return expires_at
            heapq.heappop(heap)  # refreshed or deleted since it was scheduled
        return None

    def expire(self, now: float) -> list[Binding]:
        """Remove the bindings whose time has come; report each as EXPIRED."""
        expired: list[Binding] = []
        while self._heap and self._heap[0][0] <= now:
            expires_at, _, aor, contact = heapq.heappop(self._heap)
            for binding in list(self._by_aor.get(aor, ())):
                if binding.contact == contact and binding.expires_at == expires_at:
                    self.delete(binding, BindingChange.EXPIRED)
                    expired.append(binding)
        return expired
