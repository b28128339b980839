"""The SQL store on SQLite: migrations from empty, users with HA1 only, bindings with expiry."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from uc_signal.directory import Binding
from uc_signal.sip.digest import DigestAlgorithm, compute_ha1
from uc_signal.store import (CachedUserDirectory, DuplicateUserError, InvalidUserError, SqlStore, UserNotFoundError,
                             UserRecord, UserService, WriteBehindBindingStore, credentials_for, parse_aor,
                             sqlite_url)
from uc_signal.store.migrate import head_revision
from uc_signal.store.tables import metadata


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "ucd.sqlite3"


async def opened(db: Path) -> SqlStore:
    store = SqlStore(sqlite_url(db))
    await store.open()
    return store


def test_migration_upgrades_an_empty_database_to_the_schema_in_tables(db):
    async def go():
        store = await opened(db)
        version = await store.schema_version()
        mode = await store.journal_mode()
        await store.close()
        return version, mode
    version, mode = run(go())
    assert version == head_revision()
    assert mode == "wal"
    connection = sqlite3.connect(db)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"alembic_version"} | {table.name for table in metadata.sorted_tables}
        assert {"users", "credentials", "user_policies", "bindings", "im_offline", "im_history",
                "im_conversations",
                "presence_relationships", "presence_settings"} <= tables
        for table in metadata.sorted_tables:
            columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table.name})")}
            assert columns == {column.name for column in table.columns}, table.name
        indexes = {row[1] for row in connection.execute("PRAGMA index_list(bindings)")}
        assert "ix_bindings_expires_at" in indexes
    finally:
        connection.close()


def test_opening_again_keeps_the_data_and_the_version(db):
    async def go():
        store = await opened(db)
        await store.create_user(UserRecord("alice", "example.test", credentials=credentials_for(
            "alice", "example.test", "pw")))
        await store.close()
        store = await opened(db)
        try:
            return await store.schema_version(), await store.list_users()
        finally:
            await store.close()
    version, users = run(go())
    assert version == head_revision()
    assert [user.aor for user in users] == ["sip:alice@example.test"]


def test_users_crud(db):
    async def go():
        store = await opened(db)
        try:
            created = await store.create_user(UserRecord(
                "alice", "Example.TEST", "Alice", "tel:+14255550100", policies={"voice": "International"},
                credentials=credentials_for("alice", "example.test", "secret")))
            assert created.domain == "example.test"
            assert created.display_name == "Alice"
            assert created.policies == {"voice": "International"}
            with pytest.raises(DuplicateUserError, match="sip:alice@example.test already exists"):
                await store.create_user(UserRecord("alice", "example.test"))
            await store.create_user(UserRecord("bob", "example.test"))
            assert [u.username for u in await store.list_users()] == ["alice", "bob"]
            assert await store.list_users("other.test") == []
            changed = await store.update_user("alice", "example.test", {
                "display_name": "Alice A.", "enabled": False, "line_uri": None, "policies": {"conferencing": "Big"}})
            assert (changed.display_name, changed.enabled, changed.line_uri) == ("Alice A.", False, None)
            assert changed.policies == {"conferencing": "Big"}
            assert changed.credentials == created.credentials  # untouched unless given
            assert changed.updated_at >= created.updated_at
            with pytest.raises(UserNotFoundError):
                await store.update_user("carol", "example.test", {"enabled": True})
            with pytest.raises(InvalidUserError) as caught:
                await store.update_user("alice", "example.test", {"line_uri": "+14255550100"})
            assert caught.value.field == "line_uri"
            await store.delete_user("alice", "example.test")
            assert await store.get_user("alice", "example.test") is None
            with pytest.raises(UserNotFoundError):
                await store.delete_user("alice", "example.test")
        finally:
            await store.close()
    run(go())
    # Deleting a user removed its credentials and policies (foreign keys on).
    connection = sqlite3.connect(db)
    assert connection.execute("SELECT count(*) FROM credentials").fetchone() == (0,)
    assert connection.execute("SELECT count(*) FROM user_policies").fetchone() == (0,)
    connection.close()


def test_only_ha1_is_stored_never_the_password(db):
    password = "correct horse battery staple"

    async def go():
        store = await opened(db)
        service = UserService(store, CachedUserDirectory())
        try:
            return await service.create("alice", "example.test", password)
        finally:
            await store.close()
    user = run(go())
    assert user.credentials == {
        "SHA-256": compute_ha1(DigestAlgorithm.SHA_256, "alice", "example.test", password),
        "MD5": compute_ha1(DigestAlgorithm.MD5, "alice", "example.test", password),
    }
    raw = db.read_bytes() + (db.with_name(db.name + "-wal").read_bytes() if db.with_name(db.name + "-wal").exists() else b"")
    assert password.encode() not in raw
    assert user.credentials["SHA-256"].encode() in raw  # what is stored is the HA1


@pytest.mark.parametrize("field, value", [
    ("line_uri", "tel:14255550100"), ("line_uri", "tel:+0123"), ("line_uri", "tel:+1234567890123456"),
    ("line_uri", "sip:+14255550100@example.test"), ("username", "al ice"), ("username", ""),
    ("username", "al/ice"), ("username", "null-%00-null"), ("username", "a;b"), ("domain", "bad_domain"), ("display_name", "a\nb"), ("policies", {"voice": ""}),
])
def test_invalid_fields_are_refused_with_their_name(db, field, value):
    fields = {"username": "alice", "domain": "example.test", field: value}
    with pytest.raises(InvalidUserError) as caught:
        UserRecord(**fields).validated()
    assert caught.value.field == field


@pytest.mark.parametrize("line_uri", ["tel:+14255550100", "tel:+442071234567;ext=100", "tel:+12"])
def test_valid_line_uris(line_uri):
    assert UserRecord("alice", "example.test", line_uri=line_uri).validated().line_uri == line_uri


@pytest.mark.parametrize("username", ["alice", "+14255550100", "first.last", "o'brien", "a-b_c~d"])
def test_valid_usernames(username):
    assert UserRecord(username, "example.test").validated().username == username


def test_parse_aor_forms():
    assert parse_aor("alice", "example.test") == ("alice", "example.test")
    assert parse_aor("alice@Corp.Example", "example.test") == ("alice", "corp.example")
    assert parse_aor("sip:alice@corp.example", "example.test") == ("alice", "corp.example")
    with pytest.raises(InvalidUserError):
        parse_aor("sip:@corp.example", "example.test")


def binding(contact: str, expires_at: float, **extra) -> Binding:
    return Binding(aor="sip:alice@example.test", contact=contact, expires_at=expires_at, **extra)


def test_bindings_persist_reload_and_expire(db):
    full = binding("sip:alice@10.0.0.1:5070;transport=tcp", 2000.0, q=0.5, call_id="c1", cseq=7,
                   params=(("+sip.instance", '"<urn:uuid:1>"'), ("reg-id", "1"), ("audio", None)),
                   path=("<sip:edge.example;lr>",), transport="TCP", source_host="10.0.0.1", source_port=40000,
                   flow="tok", instance="<urn:uuid:1>", reg_id=1, user_agent="baresip", registered_at=900.0)

    async def go():
        store = await opened(db)
        await store.save_binding(full)
        await store.save_binding(binding("sip:alice@10.0.0.2", 1500.0))
        await store.save_binding(full.with_expiry(2500.0))   # replaces (aor, contact)
        await store.close()
        store = await opened(db)
        try:
            at_1000 = await store.load_bindings(1000.0)
            at_1600 = await store.load_bindings(1600.0)
            purged = await store.purge_expired(1600.0)
            after_purge = await store.load_bindings(0.0)
            await store.remove_binding(full.aor, full.contact)
            return at_1000, at_1600, purged, after_purge, await store.load_bindings(0.0)
        finally:
            await store.close()
    at_1000, at_1600, purged, after_purge, removed = run(go())
    assert len(at_1000) == 2
    assert at_1600 == [full.with_expiry(2500.0)]   # every field round-trips
    assert purged == 1
    assert [b.contact for b in after_purge] == [full.contact]
    assert removed == []


def test_binding_batch_rewrites_every_field_of_a_refresh_and_removes_in_the_same_transaction(db):
    first = binding("sip:alice@10.0.0.1:5070", 2000.0, call_id="c1", cseq=1,
                    params=(("+sip.instance", '"<urn:uuid:1>"'),), path=("<sip:edge.example;lr>",),
                    source_host="10.0.0.1", source_port=40000, instance="<urn:uuid:1>", registered_at=900.0)
    gone = binding("sip:alice@10.0.0.2", 2000.0)
    # the same (aor, contact) refreshed from a new source, without params or Path (upsert)
    refreshed = binding("sip:alice@10.0.0.1:5070", 5000.0, call_id="c2", cseq=9, source_host="10.0.0.9",
                        source_port=41000, transport="TCP", flow="tok2", user_agent="phone 2", registered_at=900.0)

    async def go():
        store = await opened(db)
        try:
            await store.apply_binding_changes([first, gone], [])
            await store.apply_binding_changes([refreshed], [(gone.aor, gone.contact)])
            return await store.load_bindings(0.0)
        finally:
            await store.close()
    assert run(go()) == [refreshed]


def test_write_behind_store_batches_and_flushes_on_shutdown(db):
    async def go():
        store = await opened(db)
        writer = WriteBehindBindingStore(store)
        await writer.preload(0.0)
        writer.start()
        writer.save(binding("sip:a@10.0.0.1", 5000.0))
        writer.save(binding("sip:b@10.0.0.1", 5000.0))
        writer.remove("sip:alice@example.test", "sip:b@10.0.0.1")   # newest change wins
        assert writer.pending == 2
        await writer.flush()
        assert writer.pending == 0
        await store.close()
        store = await opened(db)
        reread = WriteBehindBindingStore(store)
        await reread.preload(1000.0)
        try:
            return reread.load_all(1000.0), reread.load_all(6000.0), writer.write_errors
        finally:
            await store.close()
    loaded, later, errors = run(go())
    assert [b.contact for b in loaded] == ["sip:a@10.0.0.1"]
    assert later == []
    assert errors == 0


def test_cached_directory_serves_users_and_ha1_and_follows_changes(db):
    async def go() -> Iterator[object]:
        store = await opened(db)
        directory = CachedUserDirectory()
        service = UserService(store, directory)
        try:
            await service.create("alice", "example.test", "pw", display_name="Alice")
            fresh = CachedUserDirectory()
            await fresh.load(store)
            assert fresh.find_user("alice", "EXAMPLE.test") == directory.find_user("alice", "example.test")
            assert fresh.ha1("alice", "example.test", DigestAlgorithm.SHA_256) == compute_ha1(
                DigestAlgorithm.SHA_256, "alice", "example.test", "pw")
            assert fresh.ha1("alice", "example.test", DigestAlgorithm.SHA_512_256) is None
            await service.update("alice", "example.test", {"password": "new", "enabled": False})
            assert directory.ha1("alice", "example.test", DigestAlgorithm.MD5) == compute_ha1(
                DigestAlgorithm.MD5, "alice", "example.test", "new")
            assert directory.find_user("alice", "example.test").enabled is False
            await service.delete("alice", "example.test")
            assert directory.find_user("alice", "example.test") is None
            assert directory.ha1("alice", "example.test", DigestAlgorithm.MD5) is None
        finally:
            await store.close()
    run(go())
