"""The transaction layer between in-memory peers: bytes through the parser, a hand-run clock."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sip_network import ALICE, BOB, Network, request

from uc_signal.sip.message import Request, Response, make_response, parse_message
from uc_signal.sip.transaction import TransactionKey
from uc_signal.sip.transaction_events import (
    AckTimedOut,
    MalformedMessageReceived,
    RequestReceived,
    ResponseReceived,
    TransactionTerminated,
    TransactionTimedOut,
    TransportErrorOccurred,
)
from uc_signal.sip.transaction_layer import TransactionError, TransactionLayer
from uc_signal.sip.transaction_table import Timer, TransactionState


def respond(req: Request, status: int, to_tag: str | None = "b-tag") -> Response:
    response = make_response(req, status, to_tag=to_tag)
    response.headers.set("Content-Length", "0")
    return response


def pair(send_100_trying: bool = True) -> tuple[Network, TransactionLayer, TransactionLayer]:
    net = Network()
    alice = net.add(ALICE, TransactionLayer(send_100_trying=send_100_trying))
    return net, alice, net.add(BOB, TransactionLayer(send_100_trying=send_100_trying))


def kinds(events: list[object]) -> list[str]:
    return [type(e).__name__ for e in events]


def sent_lines(net: Network, source: tuple[str, int]) -> list[str]:
    return [data.split(b"\r\n", 1)[0].decode() for src, _, data in net.log if src == source]


def run_clock(net: Network, until: float) -> None:
    """Advance time timer by timer, delivering what each firing sends."""
    for _ in range(1000):
        deadlines = [d for layer in net.layers.values() if (d := layer.get_timer()) is not None]
        if not deadlines or min(deadlines) > until:
            return
        now = min(deadlines)
        for layer in net.layers.values():
            layer.handle_timer(now)
        net.deliver(now)
    raise AssertionError("clock did not settle")


# --- INVITE: non-2xx, ACK, Timers D and I ---------------------------------------------------


def test_invite_rejected_end_to_end_with_ack() -> None:
    net, alice, bob = pair()
    key = alice.send_request(request(), BOB, 0.0)
    net.deliver(0.0)
    [received] = net.events(BOB)
    assert isinstance(received, RequestReceived) and received.request.method == "INVITE"
    [trying] = net.events(ALICE)
    assert isinstance(trying, ResponseReceived) and trying.response.status == 100 and trying.transaction == key
    bob.send_response(respond(received.request, 486), 1.0)
    net.deliver(1.0)
    [busy] = net.events(ALICE)
    assert isinstance(busy, ResponseReceived) and busy.response.status == 486
    # 17.1.1.3: the ACK has the INVITE's branch and the response's To tag.
    ack = parse_message(net.log[-1][2])
    assert isinstance(ack, Request) and ack.method == "ACK"
    assert ack.top_via is not None and ack.top_via.branch == "z9hG4bKa1"
    assert ack.to is not None and ack.to.tag == "b-tag" and ack.cseq is not None and ack.cseq.seq == 1
    assert ack.uri_text == "sip:bob@192.0.2.20"
    server = bob.transaction(received.transaction)  # type: ignore[arg-type]
    assert server is not None and server.state is TransactionState.CONFIRMED
    assert net.events(BOB) == []  # the ACK for a non-2xx is absorbed by the transaction
    # A retransmitted 486 gets the ACK again and is not passed up (Timer D absorbs).
    alice.receive(bytes(respond(received.request, 486)), BOB, 2.0)
    net.deliver(2.0)
    assert kinds(net.events(ALICE)) == []
    assert [m.split()[0] for m in sent_lines(net, ALICE)] == ["INVITE", "ACK", "ACK"]
    run_clock(net, 100.0)
    assert kinds(net.events(BOB)) == ["TransactionTerminated"]  # Timer I, 1 + T4
    assert kinds(net.events(ALICE)) == ["TransactionTerminated"]  # Timer D, 1 + 32
    assert len(alice) == 0 and len(bob) == 0


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_timer_b_timeout(transport: str) -> None:
    net, alice, _ = pair()
    net.layers.pop(BOB)
    key = alice.send_request(request(transport=transport), BOB, 0.0)
    assert len(alice.datagrams_to_send(0.0)) == 1
    sent = []
    for _ in range(50):
        deadline = alice.get_timer()
        if deadline is None:
            break
        alice.handle_timer(deadline)
        sent += [deadline for _ in alice.datagrams_to_send(deadline)]
    events = net.events(ALICE)
    assert events[0] == TransactionTimedOut(key, Timer.B, events[0].request)
    assert events[0].request.method == "INVITE"
    assert kinds(events) == ["TransactionTimedOut", "TransactionTerminated"]
    # UDP retransmits at 0.5, 1.5, 3.5, 7.5, 15.5, 31.5; TCP never.
    assert sent == ([0.5, 1.5, 3.5, 7.5, 15.5, 31.5] if transport == "UDP" else [])


@pytest.mark.parametrize("transport", ["UDP", "TLS"])
def test_timer_f_timeout(transport: str) -> None:
    layer = TransactionLayer()
    key = layer.send_request(request("OPTIONS", transport=transport), BOB, 0.0)
    assert len(layer.datagrams_to_send(0.0)) == 1
    retransmits = 0
    for _ in range(50):
        deadline = layer.get_timer()
        if deadline is None:
            break
        layer.handle_timer(deadline)
        retransmits += len(layer.datagrams_to_send(deadline))
    assert retransmits == (10 if transport == "UDP" else 0)
    event = layer.next_event()
    assert isinstance(event, TransactionTimedOut) and event.timer is Timer.F and event.transaction == key


def test_timer_g_h_retransmit_final_and_time_out_without_ack() -> None:
    net, alice, bob = pair()
    alice.send_request(request(), BOB, 0.0)
    net.deliver(0.0)
    [received] = net.events(BOB)
    net.layers.pop(ALICE)  # Alice vanishes: no ACK will come
    bob.send_response(respond(received.request, 603), 0.0)
    bob.datagrams_to_send(0.0)
    resent = []
    for _ in range(50):
        deadline = bob.get_timer()
        if deadline is None:
            break
        bob.handle_timer(deadline)
        resent += [(deadline, data.split(b"\r\n")[0]) for data, _ in bob.datagrams_to_send(deadline)]
    assert [t for t, _ in resent] == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert {line for _, line in resent} == {b"SIP/2.0 603 Decline"}
    timed_out, terminated = iter(bob.next_event, None)
    assert isinstance(timed_out, TransactionTimedOut) and timed_out.timer is Timer.H
    assert isinstance(terminated, TransactionTerminated)
    assert timed_out.transaction == received.transaction == terminated.transaction


def test_invite_retransmission_gets_last_response_again() -> None:
    net, alice, bob = pair()
    alice.send_request(request(), BOB, 0.0)
    net.deliver(0.0)
    net.events(ALICE)
    [received] = net.events(BOB)
    bob.send_response(respond(received.request, 180), 0.1)
    bob.datagrams_to_send(0.1)
    bob.receive(bytes(request()), ALICE, 0.5)  # a retransmitted INVITE
    assert net.events(BOB) == []
    [(data, dest)] = bob.datagrams_to_send(0.5)
    assert data.startswith(b"SIP/2.0 180 Ringing") and dest == ALICE


def test_invite_2xx_accepted_then_ack_reaches_tu() -> None:
    net, alice, bob = pair()
    key = alice.send_request(request(), BOB, 0.0)
    net.deliver(0.0)
    [received] = net.events(BOB)
    net.events(ALICE)
    ok = respond(received.request, 200)
    bob.send_response(ok, 0.2)
    net.deliver(0.2)
    [got] = net.events(ALICE)
    assert isinstance(got, ResponseReceived) and got.response.status == 200
    client = alice.transaction(key)
    assert client is not None and client.state is TransactionState.ACCEPTED
    # The TU (UAS core) retransmits its 2xx; the UAC transaction passes it up again (RFC 6026).
    bob.send_response(ok, 0.7)
    net.deliver(0.7)
    assert kinds(net.events(ALICE)) == ["ResponseReceived"]
    # The ACK for a 2xx is the TU's, with a new branch, sent outside any transaction.
    ack = request("ACK", branch="z9hG4bKack", to_tag="b-tag")
    with pytest.raises(TransactionError):
        alice.send_request(ack, BOB, 0.8)
    alice.send_stateless(ack, BOB)
    net.deliver(0.8)
    [ack_event] = net.events(BOB)
    assert isinstance(ack_event, RequestReceived) and ack_event.transaction is None
    # An INVITE retransmission in Accepted is absorbed without a response (RFC 6026 7.1).
    bob.receive(bytes(request()), ALICE, 1.0)
    assert bob.datagrams_to_send(1.0) == [] and net.events(BOB) == []
    run_clock(net, 100.0)
    assert kinds(net.events(BOB)) == ["TransactionTerminated"]  # Timer L
    assert kinds(net.events(ALICE)) == ["TransactionTerminated"]  # Timer M
    # After Timer M a 2xx retransmission is stray: passed up without a transaction.
    alice.receive(bytes(ok), BOB, 40.0)
    [stray] = net.events(ALICE)
    assert isinstance(stray, ResponseReceived) and stray.transaction is None


def test_ack_with_same_branch_in_accepted_passes_to_tu() -> None:
    net, alice, bob = pair()
    alice.send_request(request(), BOB, 0.0)
    net.deliver(0.0)
    [received] = net.events(BOB)
    bob.send_response(respond(received.request, 200), 0.1)
    bob.receive(bytes(request("ACK", to_tag="b-tag")), ALICE, 0.2)
    [ack] = net.events(BOB)
    assert isinstance(ack, RequestReceived) and ack.transaction == received.transaction


# --- non-INVITE: Timers E, J, K ---------------------------------------------------------------


def test_non_invite_absorption_and_timers_j_k() -> None:
    net, alice, bob = pair()
    alice.send_request(request("REGISTER"), BOB, 0.0)
    net.deliver(0.0, drop={0})  # the first REGISTER is lost
    assert net.events(BOB) == []
    alice.handle_timer(0.5)  # Timer E
    net.deliver(0.5)
    [received] = net.events(BOB)
    ok = respond(received.request, 200)
    bob.send_response(ok, 0.6)
    net.deliver(0.6, drop={0})  # the 200 is lost too
    alice.handle_timer(1.5)  # Timer E again: Bob answers from his transaction
    net.deliver(1.5)
    assert net.events(BOB) == []
    [got] = net.events(ALICE)
    assert isinstance(got, ResponseReceived) and got.response.status == 200
    # A late duplicate 200 is absorbed in Completed (Timer K).
    alice.receive(bytes(ok), BOB, 1.6)
    assert net.events(ALICE) == []
    assert sent_lines(net, ALICE) == ["REGISTER sip:bob@192.0.2.20 SIP/2.0"] * 3
    assert sent_lines(net, BOB) == ["SIP/2.0 200 OK"] * 2
    run_clock(net, 10.0)
    assert kinds(net.events(ALICE)) == ["TransactionTerminated"]  # K = T4
    assert len(bob) == 1
    run_clock(net, 40.0)
    assert kinds(net.events(BOB)) == ["TransactionTerminated"]  # J = 64*T1


def test_non_invite_reliable_terminates_at_once() -> None:
    net, alice, bob = pair()
    alice.send_request(request("MESSAGE", transport="TCP"), BOB, 0.0)
    net.deliver(0.0)
    [received] = net.events(BOB)
    bob.send_response(respond(received.request, 202), 0.1)
    net.deliver(0.1)
    assert kinds(net.events(BOB)) == ["TransactionTerminated"]  # J = 0
    assert kinds(net.events(ALICE)) == ["ResponseReceived", "TransactionTerminated"]  # K = 0


def test_second_final_response_is_refused() -> None:
    net, alice, bob = pair()
    alice.send_request(request("OPTIONS"), BOB, 0.0)
    net.deliver(0.0)
    [received] = net.events(BOB)
    bob.send_response(respond(received.request, 200), 0.1)
    with pytest.raises(TransactionError):
        bob.send_response(respond(received.request, 500), 0.2)
    with pytest.raises(TransactionError):
        bob.send_response(respond(request("OPTIONS", branch="z9hG4bKnone"), 200), 0.2)


def test_send_request_needs_cookie_branch_and_unique_key() -> None:
    layer = TransactionLayer()
    with pytest.raises(TransactionError):
        layer.send_request(request(branch="old-style"), BOB, 0.0)
    layer.send_request(request(), BOB, 0.0)
    with pytest.raises(TransactionError):
        layer.send_request(request(), BOB, 0.0)


# --- matching: CANCEL, RFC 2543, Via received ---------------------------------------------------


def test_cancel_is_its_own_transaction_and_finds_the_invite() -> None:
    net, alice, bob = pair()
    from uc_signal.sip.derived_requests import make_cancel

    invite = request()
    invite_key = alice.send_request(invite, BOB, 0.0)
    net.deliver(0.0)
    [invite_event] = net.events(BOB)
    cancel = make_cancel(invite)
    cancel_key = alice.send_request(cancel, BOB, 0.1)
    assert cancel_key != invite_key
    net.deliver(0.1)
    [cancel_event] = net.events(BOB)
    assert isinstance(cancel_event, RequestReceived) and cancel_event.request.method == "CANCEL"
    assert cancel_event.cancels == invite_event.transaction
    assert cancel_event.transaction != invite_event.transaction
    bob.send_response(respond(cancel_event.request, 200), 0.2)
    bob.send_response(respond(invite_event.request, 487), 0.2)
    net.deliver(0.2)
    statuses = sorted((e.transaction.method if e.transaction else "", e.response.status)
                      for e in net.events(ALICE) if isinstance(e, ResponseReceived))
    assert statuses == [("CANCEL", 200), ("INVITE", 100), ("INVITE", 487)]


def test_cancel_without_invite_cancels_nothing() -> None:
    layer = TransactionLayer()
    layer.receive(bytes(request("CANCEL", branch="z9hG4bKzz")), ALICE, 0.0)
    event = layer.next_event()
    assert isinstance(event, RequestReceived) and event.cancels is None and event.transaction is not None


@pytest.mark.parametrize("branch", [None, "1234-old"])
def test_rfc2543_matching(branch: str | None) -> None:
    bob = TransactionLayer()
    invite = request(branch=branch)
    bob.receive(bytes(invite), ALICE, 0.0)
    received = bob.next_event()
    assert isinstance(received, RequestReceived) and received.transaction is not None
    assert received.transaction.legacy and received.transaction.branch == ""
    bob.datagrams_to_send(0.0)
    bob.receive(bytes(invite), ALICE, 0.3)  # retransmission matched without a cookie
    assert bob.next_event() is None
    assert bob.datagrams_to_send(0.3)[0][0].startswith(b"SIP/2.0 100")
    # A response is matched to the transaction through its Via, Call-ID, From tag and CSeq.
    bob.send_response(respond(received.request, 404, to_tag="b-tag"), 0.4)
    # An ACK whose To tag is not that of our response does not match (17.2.3) ...
    bob.receive(bytes(request("ACK", branch=branch, to_tag="other")), ALICE, 0.5)
    stray = bob.next_event()
    assert isinstance(stray, RequestReceived) and stray.transaction is None
    # ... the right one confirms the transaction.
    bob.receive(bytes(request("ACK", branch=branch, to_tag="b-tag")), ALICE, 0.6)
    assert bob.next_event() is None
    server = bob.transaction(received.transaction)
    assert server is not None and server.state is TransactionState.CONFIRMED
    # A request differing in CSeq is a new transaction.
    bob.receive(bytes(request(branch=branch, cseq=2)), ALICE, 0.7)
    new = bob.next_event()
    assert isinstance(new, RequestReceived) and new.transaction != received.transaction


def test_same_branch_different_sent_by_is_another_transaction() -> None:
    bob = TransactionLayer()
    bob.receive(bytes(request("OPTIONS")), ALICE, 0.0)
    bob.receive(bytes(request("OPTIONS", via_host="192.0.2.99")), ("192.0.2.99", 5060), 0.0)
    keys = {e.transaction for e in iter(bob.next_event, None) if isinstance(e, RequestReceived)}
    assert len(keys) == 2


def test_received_and_rport_steer_responses() -> None:
    bob = TransactionLayer()
    nat = ("203.0.113.5", 40000)
    bob.receive(bytes(request("OPTIONS", via_params=";rport")), nat, 0.0)
    event = bob.next_event()
    assert isinstance(event, RequestReceived)
    via = event.request.top_via
    assert via is not None and via.received == "203.0.113.5" and via.rport == 40000
    bob.send_response(respond(event.request, 200), 0.0)
    [(data, dest)] = bob.datagrams_to_send(0.0)
    assert dest == nat
    assert b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKa1;rport=40000;received=203.0.113.5\r\n" in data
    assert data.split(b"\r\n")[1].startswith(b"Via:")  # the Via stays first
    # Without rport: the source IP with the Via port (18.2.2).
    bob.receive(bytes(request("OPTIONS", branch="z9hG4bKb2")), nat, 0.0)
    second = bob.next_event()
    assert isinstance(second, RequestReceived)
    bob.send_response(respond(second.request, 200), 0.0)
    assert bob.datagrams_to_send(0.0)[0][1] == ("203.0.113.5", 5060)


def test_transport_error_reported() -> None:
    layer = TransactionLayer()
    key = layer.send_request(request("OPTIONS"), BOB, 0.0)
    layer.handle_transport_error(BOB, 0.1)
    event = layer.next_event()
    assert isinstance(event, TransportErrorOccurred) and event.transaction == key and event.peer == BOB
    assert isinstance(layer.next_event(), TransactionTerminated) and len(layer) == 0


def test_malformed_input_is_reported_not_raised() -> None:
    layer = TransactionLayer()
    layer.receive(b"INVITE sip:x SIP/2.0\r\nVia: garbage\r\n\r\n", ALICE, 0.0)
    event = layer.next_event()
    assert isinstance(event, MalformedMessageReceived) and event.source == ALICE
    layer.receive(b"\x00\xff not sip", ALICE, 0.0)
    assert isinstance(layer.next_event(), MalformedMessageReceived)


def test_no_100_trying_when_disabled() -> None:
    bob = TransactionLayer(send_100_trying=False)
    bob.receive(bytes(request()), ALICE, 0.0)
    assert bob.datagrams_to_send(0.0) == []


# --- property: retransmissions never make a second RequestReceived ------------------------------

_METHODS = ["INVITE", "OPTIONS", "BYE"]


@given(
    st.lists(st.tuples(st.integers(0, 3), st.sampled_from(_METHODS), st.floats(0, 0.4)), min_size=1, max_size=30),
    st.booleans(),
)
def test_any_interleaving_of_retransmissions_gives_one_request_event(
    arrivals: list[tuple[int, str, float]], answer: bool
) -> None:
    """UDP retransmissions (the only kind there is) of several requests, in any order and
    timing, with or without answers, give one RequestReceived per transaction."""
    bob = TransactionLayer()
    now = 0.0
    new_requests: list[TransactionKey | None] = []
    for index, method, step in arrivals:
        now += step
        bob.handle_timer(now)
        bob.receive(bytes(request(method, branch=f"z9hG4bK{index}{method}")), ALICE, now)
        for event in iter(bob.next_event, None):
            if isinstance(event, RequestReceived):
                new_requests.append(event.transaction)
                if answer:
                    bob.send_response(respond(event.request, 486 if method == "INVITE" else 200), now)
    assert len(new_requests) == len(set(new_requests)) == len({(i, m) for i, m, _ in arrivals})


# --- the UAS core's 2xx retransmission (13.3.1.4) ----------------------------------------------


def _answered_invite(transport: str = "UDP", retransmit_2xx: bool = True) -> tuple[TransactionLayer, Response]:
    bob = TransactionLayer(retransmit_2xx=retransmit_2xx)
    bob.receive(bytes(request(transport=transport)), ALICE, 0.0)
    event = bob.next_event()
    assert isinstance(event, RequestReceived)
    ok = respond(event.request, 200)
    bob.send_response(ok, 0.0)
    bob.datagrams_to_send(0.0)
    return bob, ok


def _drive(layer: TransactionLayer, until: float) -> list[float]:
    sent = []
    for _ in range(100):
        deadline = layer.get_timer()
        if deadline is None or deadline > until:
            break
        layer.handle_timer(deadline)
        sent += [deadline for data, _ in layer.datagrams_to_send(deadline) if data.startswith(b"SIP/2.0 200")]
    return sent


def test_2xx_retransmitted_until_64_t1_without_ack() -> None:
    bob, ok = _answered_invite()
    sent = _drive(bob, 100.0)
    assert sent == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    events = list(iter(bob.next_event, None))
    timed_out = [e for e in events if isinstance(e, AckTimedOut)]
    assert len(timed_out) == 1 and timed_out[0].response is ok and timed_out[0].peer == ALICE


def test_ack_stops_2xx_retransmission() -> None:
    bob, _ = _answered_invite()
    assert _drive(bob, 2.0) == [0.5, 1.5]
    bob.receive(bytes(request("ACK", branch="z9hG4bKnew", to_tag="b-tag")), ALICE, 2.0)
    ack = bob.next_event()
    assert isinstance(ack, RequestReceived) and ack.transaction is None
    assert _drive(bob, 100.0) == []
    assert not any(isinstance(e, AckTimedOut) for e in iter(bob.next_event, None))


def test_ack_for_another_dialog_does_not_stop_2xx() -> None:
    bob, _ = _answered_invite()
    bob.receive(bytes(request("ACK", branch="z9hG4bKnew", to_tag="other-tag")), ALICE, 0.2)
    assert _drive(bob, 2.0) == [0.5, 1.5]


@pytest.mark.parametrize(("transport", "enabled"), [("TCP", True), ("UDP", False)])
def test_no_2xx_retransmission_on_reliable_transport_or_for_a_proxy(transport: str, enabled: bool) -> None:
    bob, _ = _answered_invite(transport, retransmit_2xx=enabled)
    assert _drive(bob, 100.0) == []


@given(st.sets(st.integers(0, 40), max_size=30), st.sampled_from(["OPTIONS", "INVITE"]))
@example(set(range(2, 41)), "INVITE")  # 100 Trying arrives, every 486 is lost
@example({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, "OPTIONS")  # every request is lost: Timer F
@example({0, 1, 2, 3, 4, 5, 7}, "INVITE")  # the 486 arrives as Timer B fires
def test_lossy_network_gives_one_final_response_or_a_timeout(lost: set[int], method: str) -> None:
    """Whatever datagrams a UDP network loses, the client sees at most one outcome (one
    final response or a timeout) and the server's TU sees the request at most once. The
    only way to see none is Figure 5's: an INVITE client in Proceeding has no timer (its
    TU cancels), so a 1xx arrived and every final response was lost."""
    net, alice, bob = pair()
    key = alice.send_request(request(method), BOB, 0.0)
    index = 0
    alice_events: list[Any] = []
    bob_requests = 0
    now = 0.0
    for _ in range(200):
        for src in (ALICE, BOB):
            for data, dest in net.take(src, now):
                if index not in lost:
                    net.layers[dest].receive(data, src, now)
                index += 1
        for event in net.events(BOB):
            if isinstance(event, RequestReceived) and event.transaction is not None:
                bob_requests += 1
                bob.send_response(respond(event.request, 486 if method == "INVITE" else 200), now)
        alice_events += net.events(ALICE)
        deadlines = [d for layer in net.layers.values() if (d := layer.get_timer()) is not None]
        if not deadlines:
            break
        now = min(deadlines)
        for layer in net.layers.values():
            layer.handle_timer(now)
    responses = [e for e in alice_events if isinstance(e, ResponseReceived) and e.response.status >= 200]
    finals = [e for e in responses if e.transaction is not None]
    timeouts = [e for e in alice_events if isinstance(e, TransactionTimedOut)]
    # A response that matches no transaction (one arriving after Timer B ended it) goes to
    # the core unmatched (RFC 3261 18.1.2); it is no second outcome of the transaction.
    strays = [e for e in responses if e.transaction is None]
    assert not strays or timeouts
    assert all(e.transaction == key for e in finals) and all(e.transaction == key for e in timeouts)
    assert bob_requests <= 1 and len(bob) == 0
    if len(finals) + len(timeouts) == 1:
        assert len(alice) == 0  # every transaction ends
    else:
        assert not finals and not timeouts and method == "INVITE"
        tx = alice.transaction(key)
        assert tx is not None and tx.state is TransactionState.PROCEEDING


def test_get_timer_follows_deadlines_that_move_or_vanish() -> None:
    net, alice, bob = pair()
    alice.send_request(request(), BOB, 0.0)
    assert alice.get_timer() == 0.5  # Timer A
    alice.handle_timer(0.5)
    assert alice.get_timer() == 1.5
    net.deliver(0.6)
    assert alice.get_timer() is None  # the 100 Trying moved it to Proceeding: no timers
    for i in range(50):  # a flood of retransmissions does not grow the timer heap
        bob.receive(bytes(request()), ALICE, 0.7)
    assert len(bob._timer_heap) == 0
    [received] = [e for e in net.events(BOB) if isinstance(e, RequestReceived)]
    bob.send_response(respond(received.request, 486), 1.0)
    for i in range(50):
        bob.receive(bytes(request()), ALICE, 1.1)
    assert len(bob._timer_heap) == 1 and bob.get_timer() == 1.5  # Timer G


def test_rfc2543_responses_find_their_own_transaction_when_vias_are_equal() -> None:
    """Two RFC 2543 requests with the same Via and CSeq but different Call-IDs."""
    bob = TransactionLayer(send_100_trying=False)
    first = request("OPTIONS", branch=None)
    second = request("OPTIONS", branch=None)
    second.headers.set("Call-ID", "call-2@192.0.2.10")
    bob.receive(bytes(first), ALICE, 0.0)
    bob.receive(bytes(second), ALICE, 0.0)
    events = [e for e in iter(bob.next_event, None) if isinstance(e, RequestReceived)]
    assert len(events) == 2 and events[0].transaction != events[1].transaction
    bob.send_response(respond(events[1].request, 404), 0.1)
    states = [bob.transaction(e.transaction) if e.transaction else None for e in events]
    assert [s.state if s else None for s in states] == [TransactionState.TRYING, TransactionState.COMPLETED]


def test_send_cancel_only_after_a_provisional() -> None:
    net, alice, bob = pair(send_100_trying=False)
    invite_key = alice.send_request(request(), BOB, 0.0)
    with pytest.raises(TransactionError):
        alice.send_cancel(invite_key, 0.0)  # still Calling: the CANCEL could overtake the INVITE
    net.deliver(0.0)
    [invite_event] = net.events(BOB)
    bob.send_response(respond(invite_event.request, 180), 0.1)
    net.deliver(0.1)
    cancel_key = alice.send_cancel(invite_key, 0.2)
    assert cancel_key.method == "CANCEL" and cancel_key.branch == invite_key.branch
    net.deliver(0.2)
    [cancel_event] = [e for e in net.events(BOB) if isinstance(e, RequestReceived)]
    assert cancel_event.cancels == invite_event.transaction
    with pytest.raises(TransactionError):
        alice.send_cancel(cancel_key, 0.3)


@pytest.mark.parametrize("peer", ["baresip", "linphone", "sipp"])
def test_captured_invites_from_real_peers(peer: str) -> None:
    """INVITEs captured from real UAs (tests/fixtures/sip) open a server transaction, get
    100 Trying back at the right address, and their retransmission is absorbed."""
    from pathlib import Path

    raw = (Path(__file__).parent.parent / "fixtures" / "sip" / f"{peer}_invite.sip").read_bytes()
    source = ("127.0.0.1", 40000)
    bob = TransactionLayer()
    bob.receive(raw, source, 0.0)
    event = bob.next_event()
    assert isinstance(event, RequestReceived) and event.request.method == "INVITE"
    via = event.request.top_via
    assert via is not None and via.is_rfc3261_branch
    [(trying, dest)] = bob.datagrams_to_send(0.0)
    assert trying.startswith(b"SIP/2.0 100 Trying\r\n")
    expected = source if via.rport is not None else ("127.0.0.1", via.port or 5060)
    assert dest == expected
    bob.receive(raw, source, 0.3)
    assert bob.next_event() is None
    assert [d[0] for d in bob.datagrams_to_send(0.3)] == [trying]


def test_forked_2xx_with_other_tag_passes_up_in_accepted() -> None:
    """Two branches of a forking proxy answer 200 with different To tags: the INVITE client
    transaction (in Accepted) passes both to the TU, which makes two dialogs (13.2.2.4)."""
    alice = TransactionLayer()
    invite = request()
    key = alice.send_request(invite, BOB, 0.0)
    for tag in ("x1", "x2", "x1"):
        alice.receive(bytes(respond(invite, 200, to_tag=tag)), BOB, 0.1)
    tags = [e.response.to.tag if e.response.to else None
            for e in iter(alice.next_event, None) if isinstance(e, ResponseReceived)]
    assert tags == ["x1", "x2", "x1"]
    tx = alice.transaction(key)
    assert tx is not None and tx.state is TransactionState.ACCEPTED
