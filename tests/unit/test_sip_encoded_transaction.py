"""Client transactions for requests the TU encoded itself (TransactionLayer.send_encoded):
the non-INVITE machine of RFC 3261 17.1.2 over bytes, between in-memory peers."""

from __future__ import annotations

import pytest
from sip_network import ALICE, BOB, Network, request

from uc_signal.sip.message import Request, make_response, parse_message
from uc_signal.sip.transaction import TransactionKey
from uc_signal.sip.transaction_events import (RequestReceived, ResponseReceived, TransactionTerminated,
                                              TransactionTimedOut, TransportErrorOccurred)
from uc_signal.sip.transaction_layer import TransactionError, TransactionLayer
from uc_signal.sip.transaction_table import Timer


def notify(branch: str = "z9hG4bKn1", transport: str = "UDP") -> bytes:
    return bytes(request("NOTIFY", branch=branch, transport=transport, to_tag="b-tag"))


def test_sent_matched_absorbed_and_ended_like_send_request() -> None:
    net = Network()
    alice, bob = net.add(ALICE), net.add(BOB)
    data = notify()
    key = alice.send_encoded(data, "NOTIFY", "z9hG4bKn1", BOB, False, 0.0)
    assert key == TransactionKey(True, "NOTIFY", "z9hG4bKn1")
    net.deliver(0.0, drop={0})                     # lost: Timer E resends the same bytes
    alice.handle_timer(0.5)
    net.deliver(0.5)
    assert [d for src, _, d in net.log if src == ALICE] == [data, data]
    [received] = net.events(BOB)
    assert isinstance(received, RequestReceived) and received.request.method == "NOTIFY"
    ok = make_response(received.request, 200)
    bob.send_response(ok, 0.6)
    net.deliver(0.6)
    [answer] = net.events(ALICE)
    assert isinstance(answer, ResponseReceived) and answer.transaction == key and answer.response.status == 200
    transaction = alice.transaction(key)
    assert transaction is not None and transaction.request_bytes is None   # released after the final response
    alice.receive(bytes(ok), BOB, 0.7)             # a retransmitted 200 is absorbed (Completed)
    assert net.events(ALICE) == []
    alice.handle_timer(0.6 + 5.0)                  # Timer K = T4
    assert [type(e) for e in net.events(ALICE)] == [TransactionTerminated]
    assert len(alice) == 0


@pytest.mark.parametrize("transport,retransmissions", [("UDP", 10), ("TCP", 0)])
def test_timer_f_reports_a_timeout_without_a_request(transport: str, retransmissions: int) -> None:
    layer = TransactionLayer()
    data = notify(transport=transport)
    key = layer.send_encoded(data, "NOTIFY", "z9hG4bKn1", BOB, transport != "UDP", 0.0)
    assert layer.datagrams_to_send(0.0) == [(data, BOB)]
    resent = []
    for _ in range(50):
        deadline = layer.get_timer()
        if deadline is None:
            break
        layer.handle_timer(deadline)
        resent += [d for d, _ in layer.datagrams_to_send(deadline)]
    assert resent == [data] * retransmissions
    event = layer.next_event()
    assert isinstance(event, TransactionTimedOut) and event.timer is Timer.F and event.transaction == key
    assert event.request is None


def test_a_transport_error_is_reported() -> None:
    layer = TransactionLayer()
    key = layer.send_encoded(notify(), "NOTIFY", "z9hG4bKn1", BOB, False, 0.0)
    layer.handle_transport_error(BOB, 0.1)
    event = layer.next_event()
    assert isinstance(event, TransportErrorOccurred) and event.transaction == key and event.request is None


def test_what_send_encoded_refuses() -> None:
    layer = TransactionLayer()
    for method in ("INVITE", "ACK"):
        with pytest.raises(TransactionError):
            layer.send_encoded(notify(), method, "z9hG4bKn1", BOB, False, 0.0)
    with pytest.raises(TransactionError):
        layer.send_encoded(notify(branch="rfc2543"), "NOTIFY", "rfc2543", BOB, False, 0.0)
    layer.send_encoded(notify(), "NOTIFY", "z9hG4bKn1", BOB, False, 0.0)
    with pytest.raises(TransactionError):                         # one transaction per branch
        layer.send_encoded(notify(), "NOTIFY", "z9hG4bKn1", BOB, False, 0.0)
    parsed = parse_message(notify(branch="z9hG4bKn2"))
    assert isinstance(parsed, Request)
    layer.send_request(parsed, BOB, 0.0)
    with pytest.raises(TransactionError):                         # nor beside a parsed one
        layer.send_encoded(notify(branch="z9hG4bKn2"), "NOTIFY", "z9hG4bKn2", BOB, False, 0.0)
