"""Contact lists kept on the server: what a user's list holds, the checks every entry
passes, the contacts policy that bounds it, and the in-memory view the SIP side reads.

A user's list is contacts (a SIP URI, a display name, the groups it sits in, and a
relationship hint: the Lync access level the owner gives that contact) plus the named
groups. The list lives in the store and roams: every device of the user that subscribes
to it (RFC 4662, `uc_signal.rls.server`) sees the same list. `ContactDirectory` is the
synchronous view the resource list server reads, loaded at start and kept current by the
admin API's writes (`uc_signal.store.contacts.ContactService`): the store first, then
this view, whose observers hear of every change (`(owner_aor, now)`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..sip import ParseError, SipUri, parse_uri

# Lync's default: at most 1,000 contacts per user (the contacts policy may say otherwise).
DEFAULT_MAX_CONTACTS = 1000
# Groups per user: a bound on what one user can make the server keep, not a Lync figure.
MAX_GROUPS = 64

# The relationship hints (Lync access levels); presence decides what each one sees.
RELATIONSHIPS = ("friends-and-family", "workgroup", "colleague", "external", "blocked")

_GROUP_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")

ListObserver = Callable[[str, float], None]   # (owner_aor, now)


class ContactError(Exception):
    """Base of the contact list's domain errors."""


class InvalidContactError(ContactError, ValueError):
    """A field that fails validation; `field` names it (the admin API's 422)."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


class DuplicateContactError(ContactError):
    def __init__(self, owner: str, what: str) -> None:
        super().__init__(f"{owner} already has {what}")
        self.owner = owner
        self.what = what


class ContactNotFoundError(ContactError):
    def __init__(self, owner: str, what: str) -> None:
        super().__init__(f"{owner} has no {what}")
        self.owner = owner
        self.what = what


class ContactLimitError(ContactError):
    """The owner's contacts policy allows no more (Lync's 1,000-contact default)."""

    def __init__(self, owner: str, limit: int, policy: str) -> None:
        super().__init__(f"{owner} has {limit} contacts, the most its contacts policy {policy!r} allows "
                         f"(max_contacts = {limit}); remove one first or assign a larger policy")
        self.owner = owner
        self.limit = limit
        self.policy = policy


@dataclass(frozen=True)
class ContactsPolicy:
    """What a named contacts policy means (`[policies.contacts.<name>]` in ucd.toml)."""

    max_contacts: int = DEFAULT_MAX_CONTACTS


# A user without a contacts policy gets "Global" when the configuration defines one
# (Lync's global policy), else these built-in values.
GLOBAL_POLICY = "Global"


def policy_for(assigned: str | None, policies: dict[str, ContactsPolicy]) -> tuple[str, ContactsPolicy]:
    """The contacts policy a user's assignment names: (name, policy). An assignment to a
    policy the configuration does not define is an error, not a silent default."""
    if assigned is None:
        return GLOBAL_POLICY, policies.get(GLOBAL_POLICY, ContactsPolicy())
    found = policies.get(assigned)
    if found is None:
        defined = ", ".join(sorted(policies)) or "none"
        raise InvalidContactError("policies", f"contacts policy {assigned!r} is not defined in [policies.contacts] "
                                              f"(defined: {defined})")
    return assigned, found


def canonical_contact_uri(text: str, default_domain: str) -> str:
    """sip:user@host from "bob", "bob@host" or "sip:bob@host" (host lower-cased, the user
    kept as written: RFC 3261 19.1.4 compares users case-sensitively). Only a plain
    user@host: parameters, headers and ports have no place in a buddy's address."""
    if not isinstance(text, str) or not text or len(text) > 256:
        raise InvalidContactError("uri", "must be a SIP address of at most 256 characters")
    raw = text if text.lower().startswith(("sip:", "sips:")) else "sip:" + (text if "@" in text else
                                                                           f"{text}@{default_domain}")
    try:
        uri = parse_uri(raw)
    except ParseError:
        raise InvalidContactError("uri", f"not a SIP URI: {text!r}") from None
    if not isinstance(uri, SipUri) or not uri.user or uri.password is not None:
        raise InvalidContactError("uri", f"must be sip:user@domain, got {text!r}")
    if uri.port is not None or uri.params or uri.headers:
        raise InvalidContactError("uri", f"must be a plain sip:user@domain (no port, parameters or headers), "
                                         f"got {text!r}")
    return f"{uri.scheme}:{uri.user}@{uri.host.lower()}"


def check_group_name(name: str) -> str:
    if not isinstance(name, str) or not _GROUP_NAME.match(name) or name != name.strip():
        raise InvalidContactError("group", f"must be 1-64 printable characters without surrounding spaces, "
                                           f"got {name!r}")
    return name


def check_display_name(name: str) -> str:
    if not isinstance(name, str) or len(name) > 128 or not name.isprintable():
        raise InvalidContactError("display_name", "must be at most 128 printable characters")
    return name


def check_relationship(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    key = value.strip().lower().replace("_", "-").replace(" ", "-") if isinstance(value, str) else ""
    if key not in RELATIONSHIPS:
        raise InvalidContactError("relationship", f"must be one of {', '.join(RELATIONSHIPS)}, got {value!r}")
    return key


@dataclass(frozen=True)
class Contact:
    uri: str
    display_name: str = ""
    groups: tuple[str, ...] = ()
    relationship: str | None = None   # None: presence applies its default (Colleague / External)

    def as_dict(self) -> dict[str, object]:
        return {"uri": self.uri, "display_name": self.display_name, "groups": list(self.groups),
                "relationship": self.relationship}


def new_contact(uri: str, default_domain: str, *, display_name: str = "", groups: Iterable[str] = (),
                relationship: str | None = None) -> Contact:
    """A validated contact (groups without repeats, in the order given)."""
    names = tuple(dict.fromkeys(check_group_name(g) for g in groups))
    return Contact(canonical_contact_uri(uri, default_domain), check_display_name(display_name), names,
                   check_relationship(relationship))


@dataclass(frozen=True)
class ContactList:
    """One user's contacts (in the order they were added) and groups."""

    owner: str
    contacts: tuple[Contact, ...] = ()
    groups: tuple[str, ...] = ()

    def find(self, uri: str) -> Contact | None:
        return next((c for c in self.contacts if c.uri == uri), None)

    @property
    def uris(self) -> tuple[str, ...]:
        return tuple(c.uri for c in self.contacts)

    def with_contact(self, contact: Contact, limit: int, policy: str) -> ContactList:
        """The list with `contact` added; the groups it names come into being with it."""
        if self.find(contact.uri) is not None:
            raise DuplicateContactError(self.owner, f"contact {contact.uri}")
        if len(self.contacts) >= limit:
            raise ContactLimitError(self.owner, limit, policy)
        groups = self.groups + tuple(g for g in contact.groups if g not in self.groups)
        if len(groups) > MAX_GROUPS:
            raise InvalidContactError("group", f"at most {MAX_GROUPS} groups per user")
        return ContactList(self.owner, self.contacts + (contact,), groups)

    def without_contact(self, uri: str) -> ContactList:
        if self.find(uri) is None:
            raise ContactNotFoundError(self.owner, f"contact {uri}")
        return ContactList(self.owner, tuple(c for c in self.contacts if c.uri != uri), self.groups)

    def with_group(self, name: str) -> ContactList:
        if name in self.groups:
            raise DuplicateContactError(self.owner, f"group {name!r}")
        if len(self.groups) >= MAX_GROUPS:
            raise InvalidContactError("group", f"at most {MAX_GROUPS} groups per user")
        return ContactList(self.owner, self.contacts, self.groups + (name,))

    def without_group(self, name: str) -> ContactList:
        """The list without the group; its contacts stay, outside that group."""
        if name not in self.groups:
            raise ContactNotFoundError(self.owner, f"group {name!r}")
        contacts = tuple(Contact(c.uri, c.display_name, tuple(g for g in c.groups if g != name), c.relationship)
                         for c in self.contacts)
        return ContactList(self.owner, contacts, tuple(g for g in self.groups if g != name))

    def as_dict(self) -> dict[str, object]:
        return {"owner": self.owner, "contacts": [c.as_dict() for c in self.contacts], "groups": list(self.groups)}


@dataclass
class ContactDirectory:
    """Every user's list in memory (read by the RLS on the signaling path), with observers
    told of each change. Writes come from the store's ContactService after it committed."""

    _lists: dict[str, ContactList] = field(default_factory=dict)
    _observers: list[ListObserver] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self._lists)

    def add_observer(self, callback: ListObserver) -> None:
        self._observers.append(callback)

    def list_of(self, owner: str) -> ContactList:
        return self._lists.get(owner) or ContactList(owner)

    def get(self, owner: str) -> ContactList | None:
        """The owner's list, None when they have none (`list_of` makes an empty one)."""
        return self._lists.get(owner)

    def load(self, lists: Iterable[ContactList]) -> None:
        """The lists read from the store at start (no observer is told: nobody watches yet)."""
        for contact_list in lists:
            self._lists[contact_list.owner] = contact_list

    def put(self, contact_list: ContactList, now: float) -> None:
        self._lists[contact_list.owner] = contact_list
        for observer in self._observers:
            observer(contact_list.owner, now)

    def drop(self, owner: str, now: float) -> None:
        """The owner is gone (user deleted), with or without a list: observers hear of it."""
        self._lists.pop(owner, None)
        for observer in self._observers:
            observer(owner, now)
