"""Contact lists in the store, and the admin API's way of changing them.

`SqlContactStore` reads every list at start and writes one list change per transaction
(the difference between the list before and after, applied to the contacts and
contact_groups tables). `ContactService` is what the admin API calls: it checks the change
against the model and the owner's contacts policy (`uc_signal.rls.contacts`), writes it to
the store, and only then puts the new list into the in-memory `ContactDirectory` the
resource list server reads, whose observers (the RLS) hear of it at once. Changes are
serialised by one lock, so two admin requests never build on the same old list.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping

from sqlalchemy import delete, insert, select, update

from ..rls.contacts import (Contact, ContactDirectory, ContactList, ContactsPolicy, canonical_contact_uri,
                            check_group_name, new_contact, policy_for)
from .model import UserNotFoundError, parse_aor
from .sql import SqlStore
from .tables import contact_groups, contacts, users


class SqlContactStore:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    async def load_all(self) -> list[ContactList]:
        async with self.store.engine.connect() as connection:
            owners = {row.id: f"sip:{row.username}@{row.domain}"
                      for row in await connection.execute(select(users.c.id, users.c.username, users.c.domain))}
            groups: dict[int, list[str]] = {}
            for row in await connection.execute(select(contact_groups).order_by(contact_groups.c.id)):
                groups.setdefault(row.user_id, []).append(row.name)
            entries: dict[int, list[Contact]] = {}
            for row in await connection.execute(select(contacts).order_by(contacts.c.id)):
                entries.setdefault(row.user_id, []).append(
                    Contact(row.uri, row.display_name, tuple(json.loads(row.groups)), row.relationship))
        return [ContactList(owners[user_id], tuple(entries.get(user_id, ())), tuple(groups.get(user_id, ())))
                for user_id in sorted(set(groups) | set(entries)) if user_id in owners]

    async def save_change(self, username: str, domain: str, before: ContactList, after: ContactList) -> None:
        """Write what differs between `before` and `after`, in one transaction."""
        old = {c.uri: c for c in before.contacts}
        new = {c.uri: c for c in after.contacts}
        async with self.store.engine.begin() as connection:
            user_id = (await connection.execute(select(users.c.id).where(
                users.c.username == username, users.c.domain == domain))).scalar()
            if user_id is None:
                raise UserNotFoundError(f"sip:{username}@{domain}")
            gone_groups = [g for g in before.groups if g not in after.groups]
            if gone_groups:
                await connection.execute(delete(contact_groups).where(
                    contact_groups.c.user_id == user_id, contact_groups.c.name.in_(gone_groups)))
            added_groups = [g for g in after.groups if g not in before.groups]
            if added_groups:
                await connection.execute(insert(contact_groups), [{"user_id": user_id, "name": g} for g in added_groups])
            gone = [uri for uri in old if uri not in new]
            if gone:
                await connection.execute(delete(contacts).where(contacts.c.user_id == user_id, contacts.c.uri.in_(gone)))
            for uri, contact in new.items():
                row = {"display_name": contact.display_name, "groups": json.dumps(list(contact.groups)),
                       "relationship": contact.relationship}
                if uri not in old:
                    await connection.execute(insert(contacts).values(user_id=user_id, uri=uri, **row))
                elif old[uri] != contact:
                    await connection.execute(update(contacts).where(
                        contacts.c.user_id == user_id, contacts.c.uri == uri).values(**row))


# A change: the list before and the owner's (policy name, policy) -> the list after.
ListChange = Callable[[ContactList, tuple[str, ContactsPolicy]], ContactList]


class ContactService:
    """Contact list changes for the admin API: model checks and policy, the store, then
    the in-memory directory (and through it the subscriptions)."""

    def __init__(self, store: SqlStore, contact_store: SqlContactStore, directory: ContactDirectory,
                 domain: str, policies: Mapping[str, ContactsPolicy]) -> None:
        self.store = store
        self.contact_store = contact_store
        self.directory = directory
        self.domain = domain
        self.policies = dict(policies)
        self._lock = asyncio.Lock()

    async def _owner(self, user: str) -> tuple[str, str, str | None]:
        """(username, domain, the user's contacts policy name); UserNotFoundError if absent."""
        username, domain = parse_aor(user, self.domain)
        record = await self.store.get_user(username, domain)
        if record is None:
            raise UserNotFoundError(f"sip:{username}@{domain}")
        return username, domain, record.policies.get("contacts")

    async def policy_of(self, user: str) -> tuple[str, ContactsPolicy]:
        _, _, assigned = await self._owner(user)
        return policy_for(assigned, self.policies)

    async def list(self, user: str) -> ContactList:
        username, domain, _ = await self._owner(user)
        return self.directory.list_of(f"sip:{username}@{domain}")

    async def _change(self, user: str, change: ListChange) -> ContactList:
        async with self._lock:
            username, domain, assigned = await self._owner(user)
            before = self.directory.list_of(f"sip:{username}@{domain}")
            after = change(before, policy_for(assigned, self.policies))
            await self.contact_store.save_change(username, domain, before, after)
            self.directory.put(after, time.time())
            return after

    async def add_contact(self, user: str, uri: str, *, display_name: str = "", groups: tuple[str, ...] = (),
                          relationship: str | None = None) -> Contact:
        contact = new_contact(uri, self.domain, display_name=display_name, groups=groups, relationship=relationship)
        await self._change(user, lambda before, policy: before.with_contact(contact, policy[1].max_contacts,
                                                                            policy[0]))
        return contact

    async def remove_contact(self, user: str, uri: str) -> None:
        canonical = canonical_contact_uri(uri, self.domain)
        await self._change(user, lambda before, _policy: before.without_contact(canonical))

    async def add_group(self, user: str, name: str) -> ContactList:
        checked = check_group_name(name)
        return await self._change(user, lambda before, _policy: before.with_group(checked))

    async def remove_group(self, user: str, name: str) -> ContactList:
        return await self._change(user, lambda before, _policy: before.without_group(name))

    def user_deleted(self, username: str, domain: str) -> None:
        """The user is gone (the store dropped the list with it): so does the directory."""
        self.directory.drop(f"sip:{username}@{domain.lower()}", time.time())
