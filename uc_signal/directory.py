"""What the SIP applications need from storage: users and registration bindings.

The registrar and the proxy see storage only through these two Protocols, bound once at
start-up (Kamailio's registrar binding usrloc's API). The daemon implements them over its
database; the in-memory classes below serve the unit tests and the sipp integration tests.

Times are wall-clock seconds (`time.time()`), so persisted bindings keep their meaning
across a restart. Credentials are HA1 hashes only, keyed by (username, realm, algorithm),
which makes a `UserDirectory` a `uc_signal.sip.CredentialStore` as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

from .sip.digest import DigestAlgorithm, compute_ha1
from .sip.frozen_init import direct_init


@dataclass(frozen=True)
class User:
    """A local user: `username@domain` is the address of record (sip:username@domain)."""

    username: str
    domain: str
    display_name: str = ""
    enabled: bool = True
    # Named policies by kind, e.g. (("im", "Global"),): what each name means is the
    # configuration of the service of that kind (IM: [policies.im.<name>]).
    policies: tuple[tuple[str, str], ...] = ()

    @property
    def aor(self) -> str:
        return f"sip:{self.username}@{self.domain}"

    def policy(self, kind: str) -> str | None:
        """The name of the user's policy of `kind`, None when none is assigned."""
        return next((name for k, name in self.policies if k == kind), None)


class UserDirectory(Protocol):
    """Local users and their HA1 credentials (the realm is the user's domain)."""

    def find_user(self, username: str, domain: str) -> User | None:
        """The user `username@domain` (usernames compare exactly, domains case-blind)."""
        ...

    def ha1(self, username: str, realm: str, algorithm: DigestAlgorithm) -> str | None:
        """HA1 = H(username:realm:password) for `algorithm`, or None if unknown."""
        ...


@direct_init  # one is built per REGISTER
@dataclass(frozen=True)
class Binding:
    """One Contact bound to an address of record (RFC 3261 10.3, RFC 5626, RFC 5627).

    `aor` is canonical: "sip:user@domain", domain lower-cased. `contact` is the Contact
    URI as the UA wrote it (with its uri-parameters; RFC 4475 3.3.13/3.3.14 want them
    kept). `params` are the Contact header parameters other than expires and q, in order
    (+sip.instance, reg-id, methods, feature tags...), as raw text values (None for a
    flag). The source fields say where the REGISTER came from: the connection (`flow`
    token) for TCP/TLS/WS, or the socket name for UDP; requests to an outbound contact
    (one with +sip.instance and reg-id, or any contact over a stream transport) reuse it.
    """

    aor: str
    contact: str
    expires_at: float
    q: float | None = None
    call_id: str = ""
    cseq: int = 0
    params: tuple[tuple[str, str | None], ...] = ()
    path: tuple[str, ...] = ()
    transport: str = "UDP"
    source_host: str = ""
    source_port: int = 0
    flow: str = ""
    instance: str | None = None
    reg_id: int | None = None
    user_agent: str = ""
    registered_at: float = 0.0

    def expires_in(self, now: float) -> int:
        """Seconds left, rounded down, never negative (the 200 OK's expires param)."""
        return max(0, int(self.expires_at - now))

    def with_expiry(self, expires_at: float) -> Binding:
        return replace(self, expires_at=expires_at)


class BindingStore(Protocol):
    """Persistence of bindings. The location service keeps the working set in memory and
    writes through; on start it reloads what has not expired."""

    def save(self, binding: Binding) -> None:
        """Insert, or replace the binding with the same (aor, contact)."""
        ...

    def remove(self, aor: str, contact: str) -> None:
        """Forget the binding (aor, contact); nothing happens if it is not stored."""
        ...

    def load_all(self, now: float) -> list[Binding]:
        """Every stored binding with expires_at > now (expired ones may be purged)."""
        ...


# --- in-memory implementations (tests, and a daemon run without a database) --------------


class InMemoryUserDirectory:
    """Users in a dict; passwords are hashed to one HA1 per algorithm and forgotten."""

    def __init__(self) -> None:
        self._users: dict[tuple[str, str], User] = {}
        self._ha1: dict[tuple[str, str, DigestAlgorithm], str] = {}

    def add_user(self, username: str, domain: str, password: str, *, display_name: str = "",
                 enabled: bool = True, policies: tuple[tuple[str, str], ...] = ()) -> User:
        user = User(username, domain.lower(), display_name, enabled, policies)
        self._users[(username, domain.lower())] = user
        for algorithm in DigestAlgorithm:
            self._ha1[(username, domain.lower(), algorithm)] = compute_ha1(algorithm, username, domain.lower(),
                                                                          password)
        return user

    def set_enabled(self, username: str, domain: str, enabled: bool) -> None:
        key = (username, domain.lower())
        self._users[key] = replace(self._users[key], enabled=enabled)

    def find_user(self, username: str, domain: str) -> User | None:
        return self._users.get((username, domain.lower()))

    def ha1(self, username: str, realm: str, algorithm: DigestAlgorithm) -> str | None:
        return self._ha1.get((username, realm.lower(), algorithm))


@dataclass
class InMemoryBindingStore:
    """Bindings in a dict keyed by (aor, contact); survives a LocationService restart in
    tests the way a database does."""

    bindings: dict[tuple[str, str], Binding] = field(default_factory=dict)

    def save(self, binding: Binding) -> None:
        self.bindings[(binding.aor, binding.contact)] = binding

    def remove(self, aor: str, contact: str) -> None:
        self.bindings.pop((aor, contact), None)

    def load_all(self, now: float) -> list[Binding]:
        return [b for b in self.bindings.values() if b.expires_at > now]
