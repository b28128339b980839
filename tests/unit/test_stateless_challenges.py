"""Digest challenges answered statelessly (RFC 3261 8.2.7): the 401 to a REGISTER and the
407 to a local caller's INVITE leave no server transaction, no timer and no table entry
behind; a retransmitted request is challenged again; the ACK to a stateless 407 is
absorbed by the transaction layer and nothing is sent for it. The authenticated request
that follows is answered statefully as before."""

from __future__ import annotations

import pytest

from uc_signal.sip import Request, TransactionError, TransactionLayer, make_response, parse_message, transaction_layer
from uc_signal.sip.transaction_events import RequestReceived
from uc_signal.sip.transaction_layer import STATELESS_ANSWER_MEMORY, STATELESS_TAG_PREFIX

from proxy_network import DOMAIN, PROXY, Network

AOR = f"sip:alice@{DOMAIN}"
BOB = f"sip:bob@{DOMAIN}"


def _nonce(challenge: str) -> str:
    return challenge.split('nonce="', 1)[1].split('"', 1)[0]


def test_register_challenge_keeps_no_transaction_or_timer() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    alice.send(alice.request("REGISTER", f"sip:{DOMAIN}", to=AOR))
    net.run()
    assert alice.final("REGISTER").status == 401
    assert len(net.layer) == 0
    assert net.layer.get_timer() is None   # no Timer J waiting 32 s


def test_retransmitted_register_gets_the_same_challenge_then_a_fresh_one() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    request = alice.request("REGISTER", f"sip:{DOMAIN}", to=AOR)
    data = bytes(request)
    source = PROXY._replace(host=alice.address.host, port=alice.address.port)
    net.proxy_receive(data, source)
    net.proxy_receive(data, source)   # the same datagram again: a retransmission (Timer E)
    net.now += STATELESS_ANSWER_MEMORY + 1
    net.proxy_receive(data, source)   # a retransmission after the answer was forgotten
    challenges = [sent for sent, _ in net.layer.datagrams_to_send(net.now)]
    assert len(challenges) == 3
    assert all(sent.startswith(b"SIP/2.0 401 ") for sent in challenges)
    # the first retransmission got the same bytes (a UA such as sipp aborts on a different
    # second challenge); the late one a new challenge with a new nonce
    assert challenges[1] == challenges[0]
    assert _nonce(challenges[2].decode()) != _nonce(challenges[0].decode())
    assert len(net.layer) == 0 and net.layer.get_timer() is None


def test_authenticated_register_after_a_stateless_challenge_is_stateful() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    assert alice.register().status == 200
    # the 200's server transaction absorbs retransmissions through Timer J (17.2.2)
    assert len(net.layer) == 1
    assert [b.contact for b in net.services.location.lookup(AOR, net.now)] == [alice.contact]


def test_invite_challenge_is_stateless_and_its_ack_is_absorbed() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    bob = net.agent("bob", "192.0.2.20")
    bob.register()
    before = len(net.layer)
    bob_events = len(bob.events)
    alice.send(alice.request("INVITE", BOB))
    net.run()
    challenge = alice.final("INVITE")
    assert challenge.status == 407
    assert challenge.to is not None and (challenge.to.tag or "").startswith(STATELESS_TAG_PREFIX)
    assert len(net.layer) == before    # the INVITE's server transaction is gone
    # alice's client transaction sent the ACK (17.1.1.3); the proxy absorbed it
    assert net.layer.stateless_acks_absorbed == 1
    assert len(bob.events) == bob_events   # nothing reached bob
    after_407 = [data for data, _ in net.proxy_out][-1]
    assert after_407.startswith(b"SIP/2.0 407 ")   # nothing was sent after the 407
    # and the call goes on with credentials, statefully
    auth = alice.digest.authorize(challenge.headers.get_all("Proxy-Authenticate")[-1], "INVITE", BOB)
    alice.send(alice.request("INVITE", BOB, extra=f"Proxy-Authorization: {auth}\r\n"))
    net.run()
    assert [e.request.method for e in bob.requests()] == ["INVITE"]


# --- the transaction layer on its own -------------------------------------------------------

def _invite(branch: str = "z9hG4bKsl1") -> Request:
    raw = ("INVITE sip:bob@example.com SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP 192.0.2.10:5060;branch={branch}\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@example.com>\r\n"
           "Call-ID: sl-1@test\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
    message = parse_message(raw.encode())
    assert isinstance(message, Request)
    return message


def _ack(to_tag: str, branch: str = "z9hG4bKsl1") -> bytes:
    return ("ACK sip:bob@example.com SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 192.0.2.10:5060;branch={branch}\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\n"
            f"To: <sip:bob@example.com>;tag={to_tag}\r\n"
            "Call-ID: sl-1@test\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n").encode()


def _received(layer: TransactionLayer) -> RequestReceived:
    event = layer.next_event()
    assert isinstance(event, RequestReceived)
    return event


def test_layer_stateless_response_forgets_the_transaction_and_absorbs_the_ack() -> None:
    layer = TransactionLayer(send_100_trying=False)
    layer.receive(_invite(), ("192.0.2.10", 5060), 0.0)
    event = _received(layer)
    response = make_response(event.request, 407, to_tag=STATELESS_TAG_PREFIX + "x")
    layer.send_response(response, 0.0, event.transaction, stateless=True)
    assert [data[:12] for data, _ in layer.datagrams_to_send(0.0)] == [b"SIP/2.0 407 "]
    assert len(layer) == 0 and layer.get_timer() is None
    layer.receive(_ack(STATELESS_TAG_PREFIX + "x"), ("192.0.2.10", 5060), 0.1)
    assert layer.next_event() is None and layer.datagrams_to_send(0.1) == []
    assert layer.stateless_acks_absorbed == 1
    # an ACK with any other tag and no transaction still goes to the TU (a 2xx's ACK)
    layer.receive(_ack("b-tag", branch="z9hG4bKother"), ("192.0.2.10", 5060), 0.2)
    assert _received(layer).transaction is None


def test_layer_refuses_stateless_2xx_and_stateless_after_a_final_response() -> None:
    layer = TransactionLayer(send_100_trying=False)
    layer.receive(_invite(), ("192.0.2.10", 5060), 0.0)
    event = _received(layer)
    with pytest.raises(TransactionError):
        layer.send_response(make_response(event.request, 200, to_tag="t"), 0.0, event.transaction, stateless=True)
    layer.send_response(make_response(event.request, 486, to_tag="t"), 0.0, event.transaction)
    with pytest.raises(TransactionError):
        layer.send_response(make_response(event.request, 407, to_tag="t"), 0.0, event.transaction, stateless=True)
    assert len(layer) == 1   # the stateful 486 waits for its ACK (17.2.1)


def test_layer_remembers_a_bounded_number_of_stateless_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transaction_layer, "STATELESS_ANSWERS_KEPT", 3)
    layer = TransactionLayer(send_100_trying=False)
    for n in range(6):
        layer.receive(_invite(f"z9hG4bKb{n}"), ("192.0.2.10", 5060), 0.0)
        event = _received(layer)
        layer.send_response(make_response(event.request, 407, to_tag=STATELESS_TAG_PREFIX + str(n)), 0.0,
                            event.transaction, stateless=True)
    layer.datagrams_to_send(0.0)
    layer.receive(_invite("z9hG4bKb5"), ("192.0.2.10", 5060), 0.1)   # recent: answered again here
    assert layer.next_event() is None and len(layer.datagrams_to_send(0.1)) == 1
    layer.receive(_invite("z9hG4bKb0"), ("192.0.2.10", 5060), 0.1)   # forgotten: a new request
    assert _received(layer).transaction is not None
