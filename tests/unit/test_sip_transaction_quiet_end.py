"""The layer ends a transaction whose final wait (Timer D, I, J, K, L, M) is over without
the general step (Transaction.end_if_quiet): the same events, datagrams and tables as the
step makes, whatever the network loses (a differential test against the general path)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sip_network import ALICE, BOB, Network, request

from uc_signal.sip.message import make_response
from uc_signal.sip.transaction import Transaction
from uc_signal.sip.transaction_events import RequestReceived
from uc_signal.sip.transaction_layer import TransactionLayer
from uc_signal.sip.transaction_table import QUIET_ENDS, Timer, TransactionKind, TransactionState


def run(method: str, status: int, lost: set[int]) -> list[Any]:
    """Alice sends `method` to Bob, who answers `status`, over a network losing the
    datagrams numbered in `lost`; what happened, in order, until both layers are empty."""
    net = Network()
    alice = net.add(ALICE, TransactionLayer())
    bob = net.add(BOB, TransactionLayer())
    trace: list[Any] = []
    alice.send_request(request(method), BOB, 0.0)
    index, now = 0, 0.0
    for _ in range(300):
        for src in (ALICE, BOB):
            for data, dest in net.take(src, now):
                trace.append(("sent", src, data, index in lost))
                if index not in lost:
                    net.layers[dest].receive(data, src, now)
                index += 1
        for name, layer in (("alice", alice), ("bob", bob)):
            for event in net.events(ALICE if name == "alice" else BOB):
                trace.append((name, type(event).__name__, getattr(event, "transaction", None), now))
                if name == "bob" and isinstance(event, RequestReceived) and event.transaction is not None:
                    response = make_response(event.request, status, to_tag="b-tag")
                    bob.send_response(response, now)
        deadlines = [d for layer in (alice, bob) if (d := layer.get_timer()) is not None]
        if not deadlines:
            break
        now = min(deadlines)
        for layer in (alice, bob):
            layer.handle_timer(now)
    trace.append(("left", len(alice), len(bob)))
    return trace


@given(lost=st.sets(st.integers(0, 30), max_size=12),
       case=st.sampled_from([("INVITE", 486), ("INVITE", 200), ("OPTIONS", 200), ("BYE", 481)]))
def test_same_outcome_as_the_general_step(lost: set[int], case: tuple[str, int]) -> None:
    method, status = case
    fast = run(method, status, lost)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Transaction, "end_if_quiet", lambda self, now: False)
        general = run(method, status, lost)
    assert fast == general


def test_quiet_ends_are_the_final_waits() -> None:
    S, K = TransactionState, TransactionKind
    assert QUIET_ENDS == {(K.INVITE_CLIENT, S.COMPLETED, Timer.D), (K.INVITE_CLIENT, S.ACCEPTED, Timer.M),
                          (K.INVITE_SERVER, S.CONFIRMED, Timer.I), (K.INVITE_SERVER, S.ACCEPTED, Timer.L),
                          (K.NON_INVITE_CLIENT, S.COMPLETED, Timer.K), (K.NON_INVITE_SERVER, S.COMPLETED, Timer.J)}


def test_a_timer_not_yet_due_or_not_final_is_left_alone() -> None:
    layer = TransactionLayer()
    key = layer.send_request(request("OPTIONS"), BOB, 0.0)
    tx = layer.transaction(key)
    assert tx is not None
    assert not tx.end_if_quiet(100.0)            # Trying: Timers E and F, no final wait
    layer.receive(bytes(make_response(tx.request, 200, to_tag="t")), BOB, 1.0)   # type: ignore[arg-type]
    assert tx.state is TransactionState.COMPLETED
    assert not tx.end_if_quiet(1.0)              # Timer K runs until 1 + T4
    assert tx.end_if_quiet(1.0 + 5.0) and tx.state is TransactionState.TERMINATED
