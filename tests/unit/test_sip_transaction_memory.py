"""A transaction past its final response holds encoded bytes, not the parsed messages.

Requests and responses have `__slots__` without `__weakref__`, so the tests hand the layer
subclasses that can be weakly referenced: once the weak reference is dead nothing in the
layer keeps the parsed message alive, and the transaction must still absorb retransmissions
byte for byte.
"""

from __future__ import annotations

import gc
import weakref

from sip_network import ALICE, BOB, request

from uc_signal.sip.message import Request, Response, make_response, parse_message
from uc_signal.sip.transaction import TransactionKey
from uc_signal.sip.transaction_events import RequestReceived, TransactionTimedOut
from uc_signal.sip.transaction_layer import TransactionLayer
from uc_signal.sip.transaction_table import Timer, TransactionState


class _WeakRequest(Request):
    __slots__ = ("__weakref__",)


class _WeakResponse(Response):
    __slots__ = ("__weakref__",)


def weak_request(method: str, **kwargs: object) -> _WeakRequest:
    plain = request(method, **kwargs)  # type: ignore[arg-type]
    return _WeakRequest(plain.method, plain.uri_text, plain.headers, plain.body)


def weak_response(req: Request, status: int) -> _WeakResponse:
    plain = make_response(req, status, to_tag="b-tag")
    plain.headers.set("Content-Length", "0")
    return _WeakResponse(plain.status, plain.reason, plain.headers, plain.body)


def receive_and_answer(method: str, status: int) -> tuple[TransactionLayer, TransactionKey, bytes, bytes,
                                                            weakref.ref[_WeakRequest], weakref.ref[_WeakResponse]]:
    """A server transaction for `method` answered with `status`; returns the layer, its key, the
    request's bytes, the final response's bytes and weak references to both parsed messages."""
    layer = TransactionLayer(send_100_trying=False)
    req = weak_request(method)
    data = bytes(req)
    layer.receive(req, ALICE, 0.0)
    event = layer.next_event()
    assert isinstance(event, RequestReceived) and event.request is req and event.transaction is not None
    response = weak_response(req, status)
    layer.send_response(response, 0.1, event.transaction)
    [(sent, peer)] = layer.datagrams_to_send(0.1)
    assert peer == ALICE and sent == bytes(response)
    key, refs = event.transaction, (weakref.ref(req), weakref.ref(response))
    del event, req, response
    gc.collect()
    return layer, key, data, sent, refs[0], refs[1]


def test_completed_non_invite_server_releases_request_and_absorbs_retransmission() -> None:
    layer, key, data, sent, request_ref, response_ref = receive_and_answer("REGISTER", 401)
    assert request_ref() is None and response_ref() is None
    tx = layer.transaction(key)
    assert tx is not None and tx.state is TransactionState.COMPLETED and tx.request is None
    # A retransmitted REGISTER gets the same 401, byte for byte, and is not passed up (17.2.2).
    layer.receive(data, ALICE, 1.0)
    assert layer.datagrams_to_send(1.0) == [(sent, ALICE)]
    assert layer.next_event() is None
    layer.handle_timer(0.1 + 32.0)  # Timer J = 64*T1
    assert len(layer) == 0


def test_completed_invite_server_releases_request_then_confirms_and_times_out() -> None:
    layer, _, data, sent, request_ref, response_ref = receive_and_answer("INVITE", 486)
    assert request_ref() is None and response_ref() is None
    layer.receive(data, ALICE, 0.2)  # a retransmitted INVITE gets the 486 again (17.2.1)
    assert layer.datagrams_to_send(0.2) == [(sent, ALICE)]
    # Timer G resends the same bytes; with no ACK Timer H reports without a request.
    layer.handle_timer(0.6)
    assert layer.datagrams_to_send(0.6) == [(sent, ALICE)]
    layer.handle_timer(0.1 + 32.0)
    timed_out = [e for e in iter(layer.next_event, None) if isinstance(e, TransactionTimedOut)]
    assert [e.timer for e in timed_out] == [Timer.H] and timed_out[0].request is None
    assert len(layer) == 0


def test_legacy_ack_still_matches_released_invite_server() -> None:
    # RFC 2543 (no cookie): the ACK matches only with the To tag of our response (17.2.3).
    layer = TransactionLayer(send_100_trying=False)
    layer.receive(bytes(request(branch=None)), ALICE, 0.0)
    event = layer.next_event()
    assert isinstance(event, RequestReceived) and event.transaction is not None
    response = make_response(event.request, 486, to_tag="b-tag")
    layer.send_response(response, 0.1, event.transaction)
    tx = layer.transaction(event.transaction)
    assert tx is not None and tx.request is None
    layer.receive(bytes(request("ACK", branch=None, to_tag="other")), ALICE, 0.2)
    assert isinstance(layer.next_event(), RequestReceived)  # not ours: passed up
    layer.receive(bytes(request("ACK", branch=None, to_tag="b-tag")), ALICE, 0.3)
    assert layer.next_event() is None and tx.state is TransactionState.CONFIRMED


def test_completed_invite_client_releases_request_and_resends_ack() -> None:
    layer = TransactionLayer()
    invite = weak_request("INVITE")
    key = layer.send_request(invite, BOB, 0.0)
    layer.datagrams_to_send(0.0)
    busy = make_response(invite, 486, to_tag="b-tag")
    busy.headers.set("Content-Length", "0")
    busy_bytes = bytes(busy)
    invite_ref = weakref.ref(invite)
    del invite, busy
    layer.receive(busy_bytes, BOB, 0.1)
    [(ack, peer)] = layer.datagrams_to_send(0.1)
    assert peer == BOB and ack.startswith(b"ACK sip:bob@192.0.2.20 SIP/2.0\r\n")
    assert parse_message(ack).cseq.method == "ACK"  # type: ignore[union-attr]
    while layer.next_event() is not None:
        pass
    gc.collect()
    assert invite_ref() is None
    tx = layer.transaction(key)
    assert tx is not None and tx.state is TransactionState.COMPLETED and tx.request is None
    # A retransmitted 486 gets the same ACK again, not passed up (17.1.1.2).
    layer.receive(busy_bytes, BOB, 0.5)
    assert layer.datagrams_to_send(0.5) == [(ack, BOB)]
    assert layer.next_event() is None


def test_legacy_response_with_an_unparseable_to_is_still_sent() -> None:
    # Found by fuzz/fuzz_proxy_core.py: the TU copies a To it cannot parse into its answer;
    # the layer sends it and keeps no tag, where reading the tag used to raise.
    layer = TransactionLayer(send_100_trying=False)
    layer.receive(bytes(request(branch=None)), ALICE, 0.0)
    event = layer.next_event()
    assert isinstance(event, RequestReceived) and event.transaction is not None
    response = make_response(event.request, 486)
    response.headers.set("To", "<s\np:bob@example.com>;tag=b")
    response.headers.set("Content-Length", "0")
    layer.send_response(response, 0.1, event.transaction)
    [(sent, peer)] = layer.datagrams_to_send(0.1)
    assert peer == ALICE and sent.startswith(b"SIP/2.0 486")
    tx = layer.transaction(event.transaction)
    assert tx is not None and tx.response_to_tag == ""
