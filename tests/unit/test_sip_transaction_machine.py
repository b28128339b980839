"""The four transaction machines driven directly: every timer path, by a hand-advanced clock."""

from __future__ import annotations

import pytest

from uc_signal.sip.transaction import Transaction, TransactionKey
from uc_signal.sip.transaction_table import (
    INITIAL,
    TABLES,
    Action,
    Input,
    Timer,
    TimerConfig,
    TransactionKind,
    TransactionState,
)

S = TransactionState
CONFIG = TimerConfig()  # T1 0.5, T2 4, T4 5


def make(kind: TransactionKind, reliable: bool = False, now: float = 0.0) -> Transaction:
    key = TransactionKey(kind.is_client, "INVITE", "z9hG4bK1")
    return Transaction(kind, key, None, ("192.0.2.1", 5060), reliable, CONFIG, now)  # type: ignore[arg-type]


def run_until(tx: Transaction, end: float) -> list[tuple[float, Timer, tuple[Action, ...] | None]]:
    """Fire every timer due up to `end`, at its own deadline, as a timer loop would."""
    fired: list[tuple[float, Timer, tuple[Action, ...] | None]] = []
    for _ in range(1000):
        deadline = tx.next_deadline()
        if deadline is None or deadline > end:
            return fired
        result = tx.fire_due_timer(deadline)
        assert result is not None
        fired.append((deadline, *result))
    raise AssertionError("timer loop did not settle")


# --- INVITE client (Figure 5) -------------------------------------------------------------


def test_invite_client_timer_a_doubles_without_cap_until_timer_b() -> None:
    tx = make(TransactionKind.INVITE_CLIENT)
    assert tx.state is S.CALLING
    assert tx.timer_deadlines() == {Timer.A: 0.5, Timer.B: 32.0}
    fired = run_until(tx, 100.0)
    retransmits = [t for t, timer, actions in fired if timer is Timer.A]
    # 17.1.1.2: A fires at T1, then doubles: 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 (not capped at T2).
    assert retransmits == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert all(actions == (Action.RETRANSMIT_REQUEST,) for _, timer, actions in fired if timer is Timer.A)
    assert fired[-1] == (32.0, Timer.B, (Action.REPORT_TIMEOUT,))
    assert tx.state is S.TERMINATED and tx.next_deadline() is None


def test_invite_client_reliable_has_no_timer_a() -> None:
    tx = make(TransactionKind.INVITE_CLIENT, reliable=True)
    assert tx.timer_deadlines() == {Timer.B: 32.0}


def test_invite_client_1xx_stops_retransmission_and_timer_b() -> None:
    tx = make(TransactionKind.INVITE_CLIENT)
    assert tx.step(Input.RECV_1XX, 0.2) == (Action.PASS_TO_TU,)
    assert tx.state is S.PROCEEDING and tx.next_deadline() is None  # Figure 5: no timer in Proceeding
    assert tx.step(Input.RECV_1XX, 0.3) == (Action.PASS_TO_TU,)


@pytest.mark.parametrize("reliable", [False, True])
def test_invite_client_non_2xx_acks_and_timer_d_absorbs(reliable: bool) -> None:
    tx = make(TransactionKind.INVITE_CLIENT, reliable)
    assert tx.step(Input.RECV_300_699, 1.0) == (Action.SEND_ACK, Action.PASS_TO_TU)
    assert tx.state is S.COMPLETED
    assert tx.timer_deadlines() == {Timer.D: 1.0 if reliable else 33.0}
    if not reliable:
        # A retransmitted final response is answered with the ACK again, not passed up.
        assert tx.step(Input.RECV_300_699, 5.0) == (Action.SEND_ACK,)
        assert tx.step(Input.RECV_1XX, 5.0) is None
    fired = run_until(tx, 40.0)
    assert [(timer, actions) for _, timer, actions in fired] == [(Timer.D, ())]
    assert tx.state is S.TERMINATED


def test_invite_client_2xx_accepted_until_timer_m() -> None:
    tx = make(TransactionKind.INVITE_CLIENT)
    tx.step(Input.RECV_1XX, 0.1)
    assert tx.step(Input.RECV_2XX, 0.2) == (Action.PASS_TO_TU,)
    assert tx.state is S.ACCEPTED and tx.timer_deadlines() == {Timer.M: 32.2}
    # RFC 6026 7.2: retransmitted 2xx reach the TU (which resends its ACK).
    assert tx.step(Input.RECV_2XX, 1.0) == (Action.PASS_TO_TU,)
    assert run_until(tx, 40.0)[-1][1] is Timer.M and tx.state is S.TERMINATED


@pytest.mark.parametrize("state_input", [None, Input.RECV_300_699])
def test_invite_client_transport_error(state_input: Input | None) -> None:
    tx = make(TransactionKind.INVITE_CLIENT)
    if state_input:
        tx.step(state_input, 0.1)
    assert tx.step(Input.TRANSPORT_ERROR, 0.2) == (Action.REPORT_TRANSPORT_ERROR,)
    assert tx.state is S.TERMINATED


# --- non-INVITE client (Figure 6) ---------------------------------------------------------


def test_non_invite_client_timer_e_caps_at_t2_then_timer_f() -> None:
    tx = make(TransactionKind.NON_INVITE_CLIENT)
    assert tx.state is S.TRYING and tx.timer_deadlines() == {Timer.E: 0.5, Timer.F: 32.0}
    fired = run_until(tx, 100.0)
    times = [t for t, timer, _ in fired if timer is Timer.E]
    # Intervals 0.5, 1, 2, 4, 4, 4...: 0.5, 1.5, 3.5, 7.5, 11.5, ..., 31.5.
    assert times == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert fired[-1] == (32.0, Timer.F, (Action.REPORT_TIMEOUT,))
    assert tx.state is S.TERMINATED


def test_non_invite_client_proceeding_retransmits_every_t2() -> None:
    tx = make(TransactionKind.NON_INVITE_CLIENT)
    run_until(tx, 0.5)  # one retransmission in Trying; next E due at 1.5
    assert tx.step(Input.RECV_1XX, 0.7) == (Action.PASS_TO_TU,)
    fired = run_until(tx, 20.0)
    assert [t for t, timer, _ in fired] == [1.5, 5.5, 9.5, 13.5, 17.5]
    assert tx.state is S.PROCEEDING
    fired = run_until(tx, 40.0)
    assert fired[-1][:2] == (32.0, Timer.F) and tx.state is S.TERMINATED


@pytest.mark.parametrize(("reliable", "k"), [(False, 5.0), (True, 0.0)])
@pytest.mark.parametrize("final", [Input.RECV_2XX, Input.RECV_300_699])
def test_non_invite_client_completed_absorbs_until_timer_k(reliable: bool, k: float, final: Input) -> None:
    tx = make(TransactionKind.NON_INVITE_CLIENT, reliable)
    assert tx.step(final, 2.0) == (Action.PASS_TO_TU,)
    assert tx.timer_deadlines() == {Timer.K: 2.0 + k}
    assert tx.step(Input.RECV_2XX, 3.0) is None and tx.step(Input.RECV_300_699, 3.0) is None
    assert run_until(tx, 10.0)[-1][1] is Timer.K and tx.state is S.TERMINATED


def test_non_invite_client_reliable_has_no_timer_e() -> None:
    tx = make(TransactionKind.NON_INVITE_CLIENT, reliable=True)
    assert tx.timer_deadlines() == {Timer.F: 32.0}
    assert tx.step(Input.TRANSPORT_ERROR, 1.0) == (Action.REPORT_TRANSPORT_ERROR,)


# --- INVITE server (Figure 7) -------------------------------------------------------------


def test_invite_server_absorbs_retransmissions_in_proceeding() -> None:
    tx = make(TransactionKind.INVITE_SERVER)
    assert tx.state is S.PROCEEDING and tx.next_deadline() is None
    assert tx.step(Input.TU_1XX, 0.0) == (Action.SEND_RESPONSE,)
    assert tx.step(Input.RECV_REQUEST, 0.5) == (Action.RESEND_RESPONSE,)


def test_invite_server_timer_g_retransmits_final_until_timer_h() -> None:
    tx = make(TransactionKind.INVITE_SERVER)
    assert tx.step(Input.TU_300_699, 1.0) == (Action.SEND_RESPONSE,)
    assert tx.state is S.COMPLETED and tx.timer_deadlines() == {Timer.G: 1.5, Timer.H: 33.0}
    fired = run_until(tx, 100.0)
    g_times = [t for t, timer, _ in fired if timer is Timer.G]
    assert g_times == [1.5, 2.5, 4.5, 8.5, 12.5, 16.5, 20.5, 24.5, 28.5, 32.5]
    assert all(actions == (Action.RESEND_RESPONSE,) for _, timer, actions in fired if timer is Timer.G)
    # No ACK came: Timer H ends it and the TU hears of it (17.2.1).
    assert fired[-1] == (33.0, Timer.H, (Action.REPORT_TIMEOUT,))
    assert tx.state is S.TERMINATED


@pytest.mark.parametrize(("reliable", "i"), [(False, 5.0), (True, 0.0)])
def test_invite_server_ack_confirms_and_timer_i_absorbs(reliable: bool, i: float) -> None:
    tx = make(TransactionKind.INVITE_SERVER, reliable)
    tx.step(Input.TU_300_699, 0.0)
    assert tx.timer_deadlines() == ({Timer.H: 32.0} if reliable else {Timer.G: 0.5, Timer.H: 32.0})
    assert tx.step(Input.RECV_REQUEST, 0.2) == (Action.RESEND_RESPONSE,)
    assert tx.step(Input.RECV_ACK, 0.3) == ()  # the ACK for a non-2xx is absorbed
    assert tx.state is S.CONFIRMED and tx.timer_deadlines() == {Timer.I: 0.3 + i}
    assert tx.step(Input.RECV_ACK, 0.4) is None
    assert tx.step(Input.RECV_REQUEST, 0.4) is None
    assert run_until(tx, 10.0) == [(0.3 + i, Timer.I, ())]
    assert tx.state is S.TERMINATED


def test_invite_server_2xx_accepted_until_timer_l() -> None:
    tx = make(TransactionKind.INVITE_SERVER)
    assert tx.step(Input.TU_2XX, 1.0) == (Action.SEND_RESPONSE,)
    assert tx.state is S.ACCEPTED and tx.timer_deadlines() == {Timer.L: 33.0}
    assert tx.step(Input.RECV_REQUEST, 2.0) == ()  # RFC 6026: absorbed, not answered
    assert tx.step(Input.RECV_ACK, 2.0) == (Action.PASS_TO_TU,)
    assert tx.step(Input.TU_2XX, 2.0) == (Action.SEND_RESPONSE,)  # TU retransmits its 2xx
    assert run_until(tx, 40.0) == [(33.0, Timer.L, ())]


def test_invite_server_transport_error() -> None:
    tx = make(TransactionKind.INVITE_SERVER)
    tx.step(Input.TU_300_699, 0.0)
    assert tx.step(Input.TRANSPORT_ERROR, 0.1) == (Action.REPORT_TRANSPORT_ERROR,)
    assert tx.state is S.TERMINATED and tx.next_deadline() is None


# --- non-INVITE server (Figure 8) ---------------------------------------------------------


def test_non_invite_server_trying_discards_retransmissions() -> None:
    tx = make(TransactionKind.NON_INVITE_SERVER)
    assert tx.state is S.TRYING
    assert tx.step(Input.RECV_REQUEST, 0.1) == ()


@pytest.mark.parametrize(("reliable", "j"), [(False, 32.0), (True, 0.0)])
def test_non_invite_server_timer_j(reliable: bool, j: float) -> None:
    tx = make(TransactionKind.NON_INVITE_SERVER, reliable)
    assert tx.step(Input.TU_1XX, 0.0) == (Action.SEND_RESPONSE,)
    assert tx.step(Input.RECV_REQUEST, 0.1) == (Action.RESEND_RESPONSE,)
    assert tx.step(Input.TU_2XX, 1.0) == (Action.SEND_RESPONSE,)
    assert tx.timer_deadlines() == {Timer.J: 1.0 + j}
    assert tx.step(Input.RECV_REQUEST, 1.0) == (Action.RESEND_RESPONSE,)
    assert tx.step(Input.TU_300_699, 1.0) is None  # a second final response is refused
    assert run_until(tx, 50.0) == [(1.0 + j, Timer.J, ())]
    assert tx.state is S.TERMINATED


# --- the tables themselves ----------------------------------------------------------------


def test_tables_reach_terminated_and_only_from_known_states() -> None:
    for kind, table in TABLES.items():
        reachable = {INITIAL[kind][0]}
        frontier = list(reachable)
        while frontier:
            state = frontier.pop()
            for (row_state, _), (next_state, _) in table.items():
                if row_state is state and next_state not in reachable:
                    reachable.add(next_state)
                    frontier.append(next_state)
        assert S.TERMINATED in reachable, kind
        assert not any(state is S.TERMINATED for state, _ in table), kind


def test_timer_config_validates() -> None:
    with pytest.raises(ValueError):
        TimerConfig(t1=5.0, t2=4.0)
    with pytest.raises(ValueError):
        TimerConfig(t4=0)
    fast = TimerConfig(t1=0.1, t2=0.4, t4=0.5)
    assert fast.initial_interval(Timer.B, False) == pytest.approx(6.4)
    assert fast.initial_interval(Timer.D, False) == 32.0  # D is at least 32 s (17.1.1.2)
