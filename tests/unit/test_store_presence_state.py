"""Presence publications and subscription dialogs in the SQL store: the write-behind sink's
changes (save, refresh under a new entity tag, modify, remove) reach the tables in one
batch, reload as they were saved, expired rows are dropped at load, and the stored
dialog gives back a Dialog that goes on above the CSeq it had sent."""

from __future__ import annotations

import asyncio
from pathlib import Path

from uc_signal.presence import Availability, PresenceService
from uc_signal.presence.persistence import (CSEQ_MARGIN, StoredDialog, StoredPublication, StoredSubscription,
                                            next_save_at, publications_of)
from uc_signal.sip import Dialog, NameAddr, Request, make_response, parse_message
from uc_signal.store import SqlStore, sqlite_url
from uc_signal.store.presence_state import SqlPresenceState, WriteBehindPresenceState
from uc_signal.transport.peer import Peer

NOW = 1_800_000_000.0
SUBSCRIBE = (b"SUBSCRIBE sip:alice@example.test SIP/2.0\r\n"
             b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1;rport\r\n"
             b"Max-Forwards: 70\r\nFrom: \"Bob\" <sip:bob@example.test>;tag=bob-1\r\n"
             b"To: <sip:alice@example.test>\r\nCall-ID: sub-1@127.0.0.1\r\nCSeq: 7 SUBSCRIBE\r\n"
             b"Contact: <sip:bob@127.0.0.1:5070>\r\nRecord-Route: <sip:10.0.0.1;lr>\r\n"
             b"Event: presence;id=9\r\nContent-Length: 0\r\n\r\n")


def a_dialog() -> Dialog:
    request = parse_message(SUBSCRIBE)
    assert isinstance(request, Request)
    return Dialog.for_uas(request, make_response(request, 200, to_tag="pa0123456789ab"))


def publication(etag: str, expires_at: float, document: bytes = b"<presence/>") -> StoredPublication:
    return StoredPublication(etag, "sip:alice@example.test", document, "udp:127.0.0.1:5070", expires_at,
                             NOW - 10, NOW - 5)


def subscription(key: str, expires_at: float, dialog: Dialog | None = None) -> StoredSubscription:
    return StoredSubscription("presence", key, "presence", "presence;id=9", "sip:alice@example.test",
                              "sip:bob@example.test", "Bob", "active", StoredDialog.of(dialog or a_dialog()),
                              Peer("127.0.0.1", 5070, "UDP", "udp0"), expires_at, NOW - 100, 300)


async def opened(path: Path) -> tuple[SqlStore, WriteBehindPresenceState]:
    store = SqlStore(sqlite_url(path))
    await store.open()
    state = WriteBehindPresenceState(SqlPresenceState(store), flush_interval=0.01)
    await state.preload(NOW)
    return store, state


def test_publications_and_subscriptions_round_trip_through_the_store(tmp_path: Path) -> None:
    dialog = a_dialog()
    for _ in range(3):
        dialog.create_request("NOTIFY", parse_message(SUBSCRIBE).top_via)   # three NOTIFYs: CSeq 3

    async def go() -> tuple[list[StoredPublication], list[StoredSubscription]]:
        store, state = await opened(tmp_path / "db")
        state.start()
        state.publication_saved(publication("e1", NOW + 600, b"<presence>one</presence>"), None)
        state.publication_saved(publication("e2", NOW + 600), None)
        state.publication_refreshed("e1", "e3", NOW + 900)            # same document, new tag
        state.publication_saved(publication("e4", NOW + 600, b"<presence>two</presence>"), "e2")   # modify
        state.subscription_saved(subscription("s1", NOW + 600, dialog))
        state.subscription_saved(subscription("s2", NOW + 600))
        state.subscription_removed("presence", "s2")
        await state.flush()
        await store.close()
        store, again = await opened(tmp_path / "db")
        await store.close()
        return again.publications, again.subscriptions

    publications, subscriptions = asyncio.run(go())
    assert {(p.etag, p.document, p.expires_at) for p in publications} == {
        ("e3", b"<presence>one</presence>", NOW + 900), ("e4", b"<presence>two</presence>", NOW + 600)}
    assert {p.endpoint for p in publications} == {"udp:127.0.0.1:5070"}
    assert {(p.published_at, p.last_input) for p in publications} == {(NOW - 10, NOW - 5)}
    assert subscriptions == [subscription("s1", NOW + 600, dialog)]
    stored = subscriptions[0]
    assert stored.peer == Peer("127.0.0.1", 5070, "UDP", "udp0") and stored.event == "presence;id=9"
    assert stored.dialog.local_seq == 3 + CSEQ_MARGIN and stored.dialog.remote_seq == 7
    assert stored.dialog.route_set == ("<sip:10.0.0.1;lr>",)


def test_expired_rows_are_dropped_at_load(tmp_path: Path) -> None:
    async def go() -> tuple[WriteBehindPresenceState, int]:
        store, state = await opened(tmp_path / "db")
        state.publication_saved(publication("old", NOW + 5), None)
        state.publication_saved(publication("new", NOW + 600), None)
        state.subscription_saved(subscription("old", NOW + 5))
        state.subscription_saved(subscription("new", NOW + 600))
        await state.flush()
        later = WriteBehindPresenceState(SqlPresenceState(store))
        await later.preload(NOW + 10)
        left = await SqlPresenceState(store).purge_expired(NOW + 10)   # preload deleted them already
        await store.close()
        return later, left

    later, left = asyncio.run(go())
    assert [p.etag for p in later.publications] == ["new"]
    assert [s.key for s in later.subscriptions] == ["new"]
    assert left == 0


def test_a_failed_write_keeps_the_changes_for_the_next_attempt(tmp_path: Path) -> None:
    async def go() -> tuple[int, int, list[str]]:
        store, state = await opened(tmp_path / "db")
        real = state.sql.apply

        async def failing(*_args: object) -> None:
            raise OSError("disk full")
        state.sql.apply = failing   # type: ignore[method-assign]
        state.publication_saved(publication("e1", NOW + 600), None)
        await state.flush()
        errors, pending = state.write_errors, state.pending
        state.sql.apply = real   # type: ignore[method-assign]
        await state.flush()
        publications, _ = await state.sql.load(NOW)
        await store.close()
        return errors, pending, [p.etag for p in publications]

    errors, pending, etags = asyncio.run(go())
    assert (errors, pending, etags) == (1, 1, ["e1"])


def test_a_restored_dialog_goes_on_above_every_cseq_it_sent() -> None:
    dialog = a_dialog()
    via = parse_message(SUBSCRIBE).top_via
    sent = [dialog.create_request("NOTIFY", via).cseq.seq for _ in range(5)]
    stored = StoredDialog.of(dialog)
    restored = stored.restore()
    assert restored.id == dialog.id and restored.remote_target == dialog.remote_target
    assert restored.route_set == dialog.route_set and restored.remote_seq == 7
    assert NameAddr.parse(stored.remote_uri).uri_text == "sip:bob@example.test"
    after = restored.create_request("NOTIFY", via)
    assert after.cseq.seq > max(sent)
    assert after.headers.get("Call-ID") == "sub-1@127.0.0.1"
    assert after.from_.tag == "pa0123456789ab" and after.to.tag == "bob-1"
    assert after.headers.values("Route") == ["<sip:10.0.0.1;lr>"]
    # The next save comes when half the margin is used: a crash in between still restores
    # a mark above what was sent.
    assert sent[-1] < next_save_at(sent[-1]) < stored.local_seq


def test_a_publication_the_service_restores_keeps_its_tag_document_and_times() -> None:
    document = (b'<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" '
                b'xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" '
                b'entity="sip:alice@example.test"><tuple id="t"><status><basic>open</basic></status></tuple>'
                b'<dm:person id="p"><rpid:activities><rpid:busy/></rpid:activities><dm:note>in the lab</dm:note>'
                b'</dm:person></presence>')
    stored = [publication("kept", NOW + 600, document), publication("gone", NOW - 1, document),
              publication("bad", NOW + 600, b"<not-pidf/>")]
    service = PresenceService(local_domains=("example.test",))
    assert service.restore_publications(publications_of(stored, ()), NOW) == 1
    [restored] = service.publications("sip:alice@example.test")
    assert (restored.etag, restored.expires_at, restored.published_at, restored.last_input) == (
        "kept", NOW + 600, NOW - 10, NOW - 5)
    shown = service.aggregate("sip:alice@example.test", NOW)
    assert (shown.availability, shown.note) == (Availability.BUSY, "in the lab")
    assert service.get_timer() is not None   # its expiry is scheduled
