"""Contact lists in the SQL store through ContactService: changes persist and reload,
reach the in-memory directory (and its observers) only after the store took them, the
contacts policy bounds the list (1,000 by default) with a clear error."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from uc_signal.rls import (DEFAULT_MAX_CONTACTS, Contact, ContactDirectory, ContactLimitError, ContactList,
                           ContactNotFoundError, ContactsPolicy, DuplicateContactError, InvalidContactError)
from uc_signal.store import (CachedUserDirectory, ContactService, SqlContactStore, SqlStore, UserNotFoundError,
                             UserService, sqlite_url)

DOMAIN = "example.test"


async def service(db: Path, policies: dict[str, ContactsPolicy] | None = None,
                  directory: ContactDirectory | None = None) -> tuple[SqlStore, ContactService]:
    store = SqlStore(sqlite_url(db))
    await store.open()
    contacts = ContactService(store, SqlContactStore(store), directory if directory is not None else ContactDirectory(),
                              DOMAIN, policies or {})
    return store, contacts


async def add_user(store: SqlStore, name: str, policies: dict[str, str] | None = None) -> None:
    await UserService(store, CachedUserDirectory()).create(name, DOMAIN, "pw", policies=policies)


def test_contacts_and_groups_persist_and_reload(tmp_path: Path) -> None:
    heard: list[str] = []

    async def go() -> tuple[ContactList, list[ContactList]]:
        directory = ContactDirectory()
        directory.add_observer(lambda owner, now: heard.append(owner))
        store, contacts = await service(tmp_path / "db", directory=directory)
        await add_user(store, "alice")
        await contacts.add_contact("alice", "bob", display_name="Bob", groups=("Work",), relationship="Workgroup")
        await contacts.add_contact("alice", "sip:ed@Elsewhere.Example", groups=("Friends", "Work"))
        await contacts.add_group("alice", "Empty")
        await contacts.add_contact("alice", "carol@example.test")
        await contacts.remove_contact("alice", "sip:carol@example.test")
        listed = await contacts.list("sip:alice@example.test")
        await store.close()
        store, _ = await service(tmp_path / "db")
        reloaded = await SqlContactStore(store).load_all()
        await store.close()
        return listed, reloaded

    listed, reloaded = asyncio.run(go())
    assert listed.contacts == (
        Contact("sip:bob@example.test", "Bob", ("Work",), "workgroup"),
        Contact("sip:ed@elsewhere.example", "", ("Friends", "Work"), None))
    assert listed.groups == ("Work", "Friends", "Empty")
    assert reloaded == [listed]
    assert heard == ["sip:alice@example.test"] * 5


def test_removing_a_group_keeps_its_contacts(tmp_path: Path) -> None:
    async def go() -> list[ContactList]:
        store, contacts = await service(tmp_path / "db")
        await add_user(store, "alice")
        await contacts.add_contact("alice", "bob", groups=("Work", "Golf"))
        await contacts.remove_group("alice", "Work")
        reloaded = await SqlContactStore(store).load_all()
        await store.close()
        return reloaded

    (reloaded,) = asyncio.run(go())
    assert reloaded.groups == ("Golf",)
    assert reloaded.contacts[0].groups == ("Golf",)


def test_errors_are_specific_and_change_nothing(tmp_path: Path) -> None:
    async def go() -> ContactList:
        store, contacts = await service(tmp_path / "db")
        await add_user(store, "alice")
        await contacts.add_contact("alice", "bob")
        with pytest.raises(DuplicateContactError, match="already has contact sip:bob@example.test"):
            await contacts.add_contact("alice", "sip:bob@EXAMPLE.test")
        with pytest.raises(ContactNotFoundError, match="no contact sip:zed@example.test"):
            await contacts.remove_contact("alice", "zed")
        with pytest.raises(ContactNotFoundError, match="no group 'Nope'"):
            await contacts.remove_group("alice", "Nope")
        with pytest.raises(UserNotFoundError):
            await contacts.add_contact("nobody", "bob")
        for bad in ("sip:bob@example.test:5060", "sip:bob@example.test;transport=tcp", "tel:+1555", "sip:@x"):
            with pytest.raises(InvalidContactError) as error:
                await contacts.add_contact("alice", bad)
            assert error.value.field == "uri"
        with pytest.raises(InvalidContactError) as error:
            await contacts.add_contact("alice", "carol", relationship="boss")
        assert error.value.field == "relationship"
        with pytest.raises(InvalidContactError) as error:
            await contacts.add_contact("alice", "carol", groups=("bad\nname",))
        assert error.value.field == "group"
        (stored,) = await SqlContactStore(store).load_all()
        await store.close()
        return stored

    stored = asyncio.run(go())
    assert [c.uri for c in stored.contacts] == ["sip:bob@example.test"]


def test_the_contacts_policy_bounds_the_list(tmp_path: Path) -> None:
    async def go() -> tuple[str, str, int]:
        store, contacts = await service(tmp_path / "db", {"Small": ContactsPolicy(max_contacts=2)})
        await add_user(store, "alice", {"contacts": "Small"})
        await add_user(store, "bob", {"contacts": "Missing"})
        await contacts.add_contact("alice", "c1")
        await contacts.add_contact("alice", "c2")
        with pytest.raises(ContactLimitError) as limit:
            await contacts.add_contact("alice", "c3")
        with pytest.raises(InvalidContactError) as missing:
            await contacts.add_contact("bob", "c1")
        count = len((await contacts.list("alice")).contacts)
        await store.close()
        return str(limit.value), str(missing.value), count

    limit, missing, count = asyncio.run(go())
    assert limit == ("sip:alice@example.test has 2 contacts, the most its contacts policy 'Small' allows "
                     "(max_contacts = 2); remove one first or assign a larger policy")
    assert "contacts policy 'Missing' is not defined in [policies.contacts] (defined: Small)" in missing
    assert count == 2


def test_a_user_without_a_policy_keeps_at_most_1000_contacts(tmp_path: Path) -> None:
    owner = f"sip:alice@{DOMAIN}"
    full = ContactList(owner, tuple(Contact(f"sip:c{n}@{DOMAIN}") for n in range(DEFAULT_MAX_CONTACTS)), ())

    async def go() -> str:
        directory = ContactDirectory()
        directory.load([full])
        store, contacts = await service(tmp_path / "db", directory=directory)
        await add_user(store, "alice")
        with pytest.raises(ContactLimitError) as limit:
            await contacts.add_contact("alice", "one-more")
        await store.close()
        return str(limit.value)

    assert DEFAULT_MAX_CONTACTS == 1000
    assert "has 1000 contacts, the most its contacts policy 'Global' allows" in asyncio.run(go())


def test_a_global_policy_in_the_configuration_is_the_default(tmp_path: Path) -> None:
    async def go() -> int:
        store, contacts = await service(tmp_path / "db", {"Global": ContactsPolicy(max_contacts=1)})
        await add_user(store, "alice")
        await contacts.add_contact("alice", "c1")
        with pytest.raises(ContactLimitError):
            await contacts.add_contact("alice", "c2")
        name, policy = await contacts.policy_of("alice")
        await store.close()
        return policy.max_contacts

    assert asyncio.run(go()) == 1
