"""The resource list server in the chain (RFC 4662 over RFC 6665): one SUBSCRIBE to a
user's contact list, full state then partial NOTIFYs, coalescing and the rate limit, one
NOTIFY in flight, refresh / unsubscribe / expiry, list changes reaching a subscription, a
subscriber whose connection closed (it waits, then gets the full state over its new flow).
In-memory network, hand-run clock; presence comes from `PresenceBoard`, a test fixture
implementing the PresenceSource protocol (the presence service is not under test here)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from uc_signal.application import TimedApplication
from uc_signal.directory import Binding
from uc_signal.proxy.services import ApplicationServices
from uc_signal.rls import (ContactDirectory, ContactList, ListNotification, ResourceListServer, RlsConfig,
                           new_contact, parse_list_body, rls_application)
from uc_signal.sip import Request, RequestReceived, Response
from uc_signal.transport.peer import Peer

from proxy_network import DOMAIN, Network, UserAgent

ALICE = f"sip:alice@{DOMAIN}"
BOB = f"sip:bob@{DOMAIN}"
CAROL = f"sip:carol@{DOMAIN}"
ED = "sip:ed@elsewhere.example"
LIST_URI = f"{ALICE};list=contacts"
EVENTLIST = "Event: presence\r\nSupported: eventlist\r\nAccept: multipart/related, application/rlmi+xml, " \
            "application/pidf+xml\r\n"


class PresenceBoard:
    """A PresenceSource fixture: the test sets each presentity's state by hand."""

    def __init__(self) -> None:
        self.states: dict[str, str] = {}
        self.asked: list[tuple[str, str | None]] = []
        self.observers: list[Callable[[str, float], None]] = []

    def document_for(self, presentity_aor: str, watcher_aor: str | None, now: float) -> bytes:
        self.asked.append((presentity_aor, watcher_aor))
        state = self.states.get(presentity_aor, "closed")
        return (f'<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="{presentity_aor}">'
                f'<tuple id="t"><status><basic>{state}</basic></status></tuple></presence>').encode()

    def add_observer(self, callback: Callable[[str, float], None]) -> None:
        self.observers.append(callback)

    def set(self, aor: str, state: str, now: float) -> None:
        self.states[aor] = state
        for observer in self.observers:
            observer(aor, now)


class Setup:
    def __init__(self, interval: float = 5.0, contacts: tuple[str, ...] = (BOB, CAROL)) -> None:
        self.board = PresenceBoard()
        self.directory = ContactDirectory()
        self.directory.load([ContactList(ALICE, tuple(new_contact(uri, DOMAIN, display_name=uri[4:7].title())
                                                      for uri in contacts), ())])
        self.rls: list[ResourceListServer] = []
        factory = rls_application(self.directory, lambda: self.board, RlsConfig(notify_interval=interval))

        def build(services: ApplicationServices) -> ResourceListServer:
            self.rls.append(factory(services))  # type: ignore[arg-type]
            return self.rls[-1]

        self.net = Network(applications=(build,))
        self.alice = self.net.agent("alice", "192.0.2.10")
        self.alice.autoanswer = lambda event: (200, [])

    @property
    def server(self) -> ResourceListServer:
        return self.rls[0]

    def notifies(self, ua: UserAgent | None = None) -> list[Request]:
        """Distinct NOTIFYs received (a retransmission is the same CSeq)."""
        seen: dict[int, Request] = {}
        for event in (ua or self.alice).requests("NOTIFY"):
            assert event.request.cseq is not None
            seen.setdefault(event.request.cseq.seq, event.request)
        return [seen[n] for n in sorted(seen)]

    def bodies(self, ua: UserAgent | None = None) -> list[ListNotification]:
        out = []
        for request in self.notifies(ua):
            assert request.content_type is not None
            out.append(parse_list_body(request.body, request.content_type))
        return out


def subscribe(net: Network, ua: UserAgent, uri: str = LIST_URI, *, extra: str = EVENTLIST,
              expires: int | None = 3600) -> Response:
    """An authenticated SUBSCRIBE (answers the 407); the final response."""
    headers = extra + (f"Expires: {expires}\r\n" if expires is not None else "")
    call_id = f"{ua.name}-sub-{ua.cseq}"
    ua.send(ua.request("SUBSCRIBE", uri, extra=headers, call_id=call_id))
    net.run()
    first = ua.final("SUBSCRIBE")
    if first.status != 407:
        return first
    auth = ua.digest.authorize(first.headers.get_all("Proxy-Authenticate")[-1], "SUBSCRIBE", uri)
    ua.send(ua.request("SUBSCRIBE", uri, extra=headers + f"Proxy-Authorization: {auth}\r\n", call_id=call_id))
    net.run()
    return ua.final("SUBSCRIBE")


def in_dialog(net: Network, ua: UserAgent, accepted: Response, expires: int) -> Response:
    assert accepted.to is not None and accepted.contact
    ua.send(ua.request("SUBSCRIBE", accepted.contact[0].uri_text, to=LIST_URI, to_tag=accepted.to.tag,
                       call_id=accepted.call_id, extra=EVENTLIST + f"Expires: {expires}\r\n"))
    net.run()
    return ua.final("SUBSCRIBE")


def basic(notification: ListNotification, uri: str) -> str:
    state = notification.state_of(uri)
    assert state is not None, uri
    return "open" if b"<basic>open</basic>" in state else "closed"


def test_a_list_subscription_gets_200_then_full_state_then_partial_updates() -> None:
    s = Setup()
    assert isinstance(s.server, TimedApplication)
    assert [app.name for app in s.net.core.chain] == ["registrar", "rls", "proxy"]
    s.board.states[BOB] = "open"
    accepted = subscribe(s.net, s.alice)
    assert accepted.status == 200
    assert accepted.headers.get("Require") == "eventlist"
    assert accepted.headers.get("Expires") == "3600"
    (first,) = s.notifies()
    assert first.headers.get("Event") == "presence"
    assert first.headers.get("Require") == "eventlist"
    assert first.headers.get("Subscription-State") == "active;expires=3600"
    assert first.content_type is not None and first.content_type.mime_type == "multipart/related"
    assert first.content_type.param("type") == "application/rlmi+xml"
    (full,) = s.bodies()
    assert full.rlmi.uri == LIST_URI and full.rlmi.version == 1 and full.rlmi.full_state
    assert [r.uri for r in full.rlmi.resources] == [BOB, CAROL]
    assert [r.name for r in full.rlmi.resources] == ["Bob", "Car"]
    assert all(len(r.instances) == 1 and r.instances[0].state == "active" for r in full.rlmi.resources)
    assert basic(full, BOB) == "open" and basic(full, CAROL) == "closed"
    assert (BOB, ALICE) in s.board.asked   # the owner is the watcher presence is asked for

    s.net.advance(10)
    s.board.set(CAROL, "open", s.net.now)
    s.net.run()
    partial = s.bodies()[-1]
    assert len(s.notifies()) == 2
    assert partial.rlmi.version == 2 and not partial.rlmi.full_state
    assert [r.uri for r in partial.rlmi.resources] == [CAROL]
    assert basic(partial, CAROL) == "open"
    assert len(partial.parts) == 1
    # The same instance id across NOTIFYs; a fresh Content-ID in each.
    assert partial.rlmi.resources[0].instances[0].id == full.rlmi.resources[1].instances[0].id
    assert partial.rlmi.resources[0].instances[0].cid != full.rlmi.resources[1].instances[0].cid


def test_a_burst_is_coalesced_into_one_partial_notify_with_the_final_state() -> None:
    s = Setup(interval=5.0)
    subscribe(s.net, s.alice)
    assert len(s.notifies()) == 1
    start = s.net.now
    for step, (aor, state) in enumerate([(BOB, "open"), (CAROL, "open"), (BOB, "closed"), (BOB, "open")]):
        s.net.now = start + 0.5 * (step + 1)
        s.board.set(aor, state, s.net.now)
        s.net.run()
    assert len(s.notifies()) == 1          # all within the window: nothing yet
    assert s.server.get_timer() == pytest.approx(start + 5.0)
    s.net.advance(5.0)
    assert len(s.notifies()) == 2
    merged = s.bodies()[-1]
    assert not merged.rlmi.full_state
    assert [r.uri for r in merged.rlmi.resources] == [BOB, CAROL]
    assert basic(merged, BOB) == "open" and basic(merged, CAROL) == "open"   # the last state of each
    s.net.advance(30)
    assert len(s.notifies()) == 2          # nothing changed since: nothing sent


def test_only_one_notify_is_in_flight_and_the_next_waits_for_its_answer() -> None:
    s = Setup(interval=1.0)
    held: list[RequestReceived] = []
    s.alice.autoanswer = lambda event: (held.append(event), None)[1] if event.request.method == "NOTIFY" else (200, [])
    subscribe(s.net, s.alice)
    assert len(s.notifies()) == 1
    s.net.advance(3)
    s.board.set(BOB, "open", s.net.now)
    s.net.advance(3)
    assert len(s.notifies()) == 1          # the first is unanswered (retransmitted, not followed)
    s.alice.answer(held[0], 200)
    s.net.run()
    assert len(s.notifies()) == 2
    assert basic(s.bodies()[-1], BOB) == "open"


def test_a_subscriber_without_eventlist_support_gets_421_with_require() -> None:
    s = Setup()
    response = subscribe(s.net, s.alice, extra="Event: presence\r\n")
    assert response.status == 421
    assert response.headers.get("Require") == "eventlist"
    assert s.notifies() == [] and len(s.server) == 0


def test_other_events_other_users_and_short_intervals_are_refused() -> None:
    s = Setup()
    assert subscribe(s.net, s.alice, extra=EVENTLIST.replace("presence", "dialog")).status == 489
    bob = s.net.agent("bob", "192.0.2.20")
    assert subscribe(s.net, bob).status == 403         # alice's list is alice's
    short = subscribe(s.net, s.alice, expires=10)
    assert short.status == 423 and short.headers.get("Min-Expires") == "60"
    only_pidf = EVENTLIST.replace("multipart/related, application/rlmi+xml, ", "")
    assert subscribe(s.net, s.alice, extra=only_pidf).status == 406
    assert len(s.server) == 0


def test_a_subscribe_to_a_user_is_not_claimed() -> None:
    s = Setup()
    s.net.agent("bob", "192.0.2.20").register()
    s.alice.send(s.alice.request("SUBSCRIBE", BOB, extra=EVENTLIST))
    s.net.run()
    assert len(s.server) == 0   # the proxy had it (challenged it: 407), not the RLS
    assert s.alice.final("SUBSCRIBE").status == 407


def test_refresh_sends_full_state_and_unsubscribe_ends_with_a_terminated_notify() -> None:
    s = Setup()
    accepted = subscribe(s.net, s.alice)
    s.net.advance(100)
    refreshed = in_dialog(s.net, s.alice, accepted, 600)
    assert refreshed.status == 200 and refreshed.headers.get("Expires") == "600"
    assert len(s.notifies()) == 2
    assert s.bodies()[-1].rlmi.full_state and s.bodies()[-1].rlmi.version == 2
    assert s.notifies()[-1].headers.get("Subscription-State") == "active;expires=600"
    gone = in_dialog(s.net, s.alice, accepted, 0)
    assert gone.status == 200
    last = s.notifies()[-1]
    assert last.headers.get("Subscription-State") == "terminated;reason=timeout"
    assert len(s.server) == 0 and s.server.get_timer() is None


def test_an_unrefreshed_subscription_expires_with_a_terminated_notify() -> None:
    s = Setup()
    subscribe(s.net, s.alice, expires=120)
    assert s.server.get_timer() == pytest.approx(s.net.now + 120)
    s.net.advance(119)
    assert len(s.notifies()) == 1
    s.net.advance(2)
    assert s.notifies()[-1].headers.get("Subscription-State") == "terminated;reason=timeout"
    assert len(s.server) == 0


def test_a_fetch_gets_one_terminated_notify_with_the_state() -> None:
    s = Setup()
    s.board.states[CAROL] = "open"
    assert subscribe(s.net, s.alice, expires=0).status == 200
    (only,) = s.notifies()
    assert only.headers.get("Subscription-State") == "terminated;reason=timeout"
    assert basic(s.bodies()[0], CAROL) == "open"
    assert len(s.server) == 0


def test_a_list_change_reaches_every_device_as_full_state() -> None:
    s = Setup()
    laptop = s.alice
    phone = s.net.agent("alice", "192.0.2.11", user=False)
    phone.autoanswer = lambda event: (200, [])
    subscribe(s.net, laptop)
    subscribe(s.net, phone)
    assert len(s.server.subscriptions_of(ALICE)) == 2
    current = s.directory.list_of(ALICE)
    s.directory.put(current.with_contact(new_contact(ED, DOMAIN, display_name="Ed"), 1000, "Global"), s.net.now)
    s.net.run()
    assert len(s.notifies(laptop)) == 1     # a list change is rate limited like any other
    s.net.advance(5)
    for ua in (laptop, phone):
        latest = s.bodies(ua)[-1]
        assert latest.rlmi.full_state and latest.rlmi.version == 2
        assert [r.uri for r in latest.rlmi.resources] == [BOB, CAROL, ED]
        ed = latest.rlmi.resources[2]
        assert ed.name == "Ed" and ed.instances == ()   # another domain: listed, no state here
    # A removed contact's changes no longer reach the list.
    s.directory.put(s.directory.list_of(ALICE).without_contact(BOB), s.net.now)
    s.net.advance(10)
    count = len(s.notifies(laptop))
    s.board.set(BOB, "open", s.net.now)
    s.net.advance(10)
    assert len(s.notifies(laptop)) == count
    assert [r.uri for r in s.bodies(laptop)[-1].rlmi.resources] == [CAROL, ED]


def test_a_481_ends_the_subscription_and_a_500_brings_full_state_next() -> None:
    s = Setup(interval=1.0)
    answers = iter([200, 500, 481])
    s.alice.autoanswer = lambda event: (next(answers), [])
    subscribe(s.net, s.alice)
    s.net.advance(2)
    s.board.set(BOB, "open", s.net.now)      # answered 500
    s.net.run()
    assert not s.bodies()[-1].rlmi.full_state
    s.net.advance(2)                         # retried as full state, answered 481
    assert s.bodies()[-1].rlmi.full_state and s.bodies()[-1].rlmi.version == 3
    assert len(s.server) == 0
    s.net.advance(2)
    s.board.set(CAROL, "open", s.net.now)
    s.net.advance(2)
    assert len(s.notifies()) == 3


def test_without_a_presence_source_resources_are_listed_without_state() -> None:
    directory = ContactDirectory()
    directory.load([ContactList(ALICE, (new_contact(BOB, DOMAIN),), ())])
    net = Network(applications=(rls_application(directory),))
    alice = net.agent("alice", "192.0.2.10")
    alice.autoanswer = lambda event: (200, [])
    assert subscribe(net, alice).status == 200
    (notify,) = [e.request for e in alice.requests("NOTIFY")]
    assert notify.content_type is not None
    body = parse_list_body(notify.body, notify.content_type)
    assert [(r.uri, r.instances) for r in body.rlmi.resources] == [(BOB, ())]
    assert body.parts == {}


def test_a_refresh_for_a_subscription_no_longer_held_gets_481() -> None:
    s = Setup()
    accepted = subscribe(s.net, s.alice)
    gone = in_dialog(s.net, s.alice, accepted, 0)
    assert gone.status == 200 and len(s.server) == 0
    # As after a restart of the server: the dialog is unknown, the subscriber must start over.
    assert in_dialog(s.net, s.alice, accepted, 600).status == 481


def test_a_change_through_the_contact_service_reaches_the_subscription(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The admin API's path: ContactService writes the store, then the directory, whose
    observer (the RLS) sends the full state with the new membership."""
    import asyncio

    from uc_signal.store import CachedUserDirectory, ContactService, SqlContactStore, SqlStore, UserService, sqlite_url

    s = Setup(interval=1.0)
    subscribe(s.net, s.alice)
    s.net.advance(2)

    async def add_ed_remove_bob() -> None:
        store = SqlStore(sqlite_url(tmp_path / "db"))
        await store.open()
        await UserService(store, CachedUserDirectory()).create("alice", DOMAIN, "pw")
        service = ContactService(store, SqlContactStore(store), s.directory, DOMAIN, {})
        # The directory already holds bob and carol (loaded); the store gets the same first.
        await SqlContactStore(store).save_change("alice", DOMAIN, ContactList(ALICE), s.directory.list_of(ALICE))
        await service.add_contact("alice", "ed@elsewhere.example", display_name="Ed")
        await service.remove_contact("alice", "bob")
        await store.close()

    asyncio.run(add_ed_remove_bob())
    s.net.run()
    s.net.advance(2)
    latest = s.bodies()[-1]
    assert latest.rlmi.full_state
    assert [r.uri for r in latest.rlmi.resources] == [CAROL, ED]


def test_a_list_too_long_for_one_udp_datagram_is_sent_with_a_warning(caplog) -> None:  # type: ignore[no-untyped-def]
    many = tuple(f"sip:user{n:04d}@{DOMAIN}" for n in range(400))
    s = Setup(contacts=many)
    with caplog.at_level("WARNING", logger="uc_signal.rls.server"):
        subscribe(s.net, s.alice)
    (full,) = s.bodies()
    assert len(full.rlmi.resources) == 400 and len(full.parts) == 400
    assert "more than one UDP datagram carries: the subscriber needs TCP or TLS" in caplog.text


def test_shutdown_ends_every_subscription_with_probation() -> None:
    s = Setup()
    subscribe(s.net, s.alice)
    s.server.shutdown(s.net.now, 5)
    s.net.run()
    assert s.notifies()[-1].headers.get("Subscription-State") == "terminated;reason=probation;retry-after=5"
    assert len(s.server) == 0 and s.server.get_timer() is None


def test_a_subscriber_whose_flow_closed_gets_the_full_state_over_its_new_flow_once_registered() -> None:
    flows: set[str] = {"flow-1"}
    s = Setup(interval=0.0)
    s.net.flow_alive = flows.__contains__
    s.rls.clear()
    s.net.start_services()   # the chain again, with the flow table

    def registered_over(flow: str) -> None:
        s.server.services.location.put(Binding(ALICE, s.alice.contact, s.net.now + 3600, transport="TCP",
                                               source_host="192.0.2.10", source_port=5060, flow=flow,
                                               registered_at=s.net.now))

    registered_over("flow-1")
    assert subscribe(s.net, s.alice).status == 200
    [subscription] = s.server.subscriptions_of(ALICE)
    subscription.peer = Peer("192.0.2.10", 5060, "TCP", "flow-1")   # the SUBSCRIBE came over that connection
    s.board.set(BOB, "open", s.net.now)
    s.net.run()
    assert len(s.notifies()) == 2

    flows.discard("flow-1")   # the connection dropped
    s.board.set(CAROL, "open", s.net.now)
    s.net.advance(2)
    assert len(s.notifies()) == 2 and subscription.unreachable

    flows.add("flow-2")
    registered_over("flow-2")   # alice registered again on a new connection
    s.net.advance(0.5)
    notifies = s.notifies()
    assert len(notifies) == 3
    last = s.bodies()[-1]
    assert last.rlmi.full_state and last.rlmi.version == 3
    assert basic(last, BOB) == "open" and basic(last, CAROL) == "open"
    assert [peer.flow for data, peer in s.net.proxy_out if data.startswith(b"NOTIFY ")][-1] == "flow-2"

    flows.discard("flow-2")
    s.board.set(BOB, "closed", s.net.now)
    s.net.run()
    assert subscription.unreachable
    s.net.advance(3601, step=100)   # expired while unreachable: forgotten, nothing sent
    assert s.server.subscriptions_of(ALICE) == [] and len(s.notifies()) == 3
