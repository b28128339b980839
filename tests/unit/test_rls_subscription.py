"""One list subscription's NOTIFY decisions without SIP (rate limit, coalescing, one in
flight, full state after failures and list changes), the deadline heap, and the contact
list model with its checks and the contacts policy."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uc_signal.config import ConfigError, config_from_dict
from uc_signal.rls import (ContactLimitError, ContactList, ContactNotFoundError, ContactsPolicy, DuplicateContactError,
                           InvalidContactError, ListSubscription, NotifyOutcome, canonical_contact_uri, list_owner,
                           new_contact, policy_for)
from uc_signal.rls.deadlines import Deadlines
from uc_signal.sip import Dialog, DialogId, DialogState, NameAddr, parse_uri
from uc_signal.transport.peer import Peer

A, B, C = "sip:a@x.test", "sip:b@x.test", "sip:c@x.test"


def subscription(interval: float = 5.0) -> ListSubscription:
    dialog = Dialog(dialog_id=DialogId("call", "ours", "theirs"), state=DialogState.CONFIRMED, is_uac=False,
                    local_seq=None, remote_seq=1, local_uri=NameAddr("sip:o@x.test;list=contacts"),
                    remote_uri=NameAddr("sip:o@x.test"), remote_target="sip:o@192.0.2.1", route_set=[], secure=False)
    return ListSubscription("k", "sip:o@x.test", "sip:o@x.test;list=contacts", dialog, Peer("192.0.2.1", 5060),
                            "presence", expires_at=1000.0, interval=interval, resources=(A, B, C))


def test_first_notify_is_immediate_full_state_then_changes_wait_out_the_interval() -> None:
    s = subscription()
    assert s.ready_at() == 0.0
    first = s.take(10.0)
    assert (first.version, first.full_state, first.resources) == (1, True, (A, B, C))
    assert s.ready_at() is None and s.deadline() == 1000.0
    s.resource_changed(C)
    s.resource_changed(A)
    s.resource_changed("sip:stranger@x.test")     # not on the list: ignored
    assert s.ready_at() is None                    # in flight
    assert s.answered(200) is NotifyOutcome.DELIVERED
    assert s.ready_at() == 15.0 and s.deadline() == 15.0
    second = s.take(15.0)
    assert (second.version, second.full_state, second.resources) == (2, False, (A, C))   # list order
    s.answered(200)
    assert s.ready_at() is None


@pytest.mark.parametrize("status, outcome, full_next", [
    (200, NotifyOutcome.DELIVERED, False), (202, NotifyOutcome.DELIVERED, False),
    (500, NotifyOutcome.RETRY, True), (503, NotifyOutcome.RETRY, True), (491, NotifyOutcome.RETRY, True),
    (481, NotifyOutcome.GONE, False), (408, NotifyOutcome.GONE, False), (404, NotifyOutcome.GONE, False),
    (603, NotifyOutcome.GONE, False)])
def test_notify_answers(status: int, outcome: NotifyOutcome, full_next: bool) -> None:
    s = subscription()
    s.take(0.0)
    assert s.answered(status) is outcome
    assert s.full_pending is full_next


def test_an_unreachable_subscriber_gets_nothing_until_found_then_the_full_state_at_once() -> None:
    s = subscription()
    s.take(10.0)
    s.lost()   # the NOTIFY's connection failed (or the flow was gone before sending)
    assert not s.in_flight and s.ready_at() is None and s.deadline() == 1000.0   # it still expires
    s.resource_changed(A)
    assert s.ready_at() is None
    s.found()   # the subscriber registered again
    assert s.ready_at() == 0.0   # no rate limit: what it missed goes at once
    plan = s.take(11.0)
    assert (plan.version, plan.full_state, plan.resources) == (2, True, (A, B, C))
    s.answered(200)
    s.lost()
    s.terminate("timeout")   # expired while unreachable: the end is due, for the server to forget it
    assert s.ready_at() == 0.0


def test_refresh_and_termination_skip_the_rate_limit_but_not_the_one_in_flight() -> None:
    s = subscription()
    s.take(0.0)
    s.answered(200)
    s.refreshed(2000.0)
    assert s.ready_at() == 0.0 and s.expires_at == 2000.0
    plan = s.take(1.0)
    assert plan.full_state
    s.terminate("timeout")
    assert s.ready_at() is None      # the refresh NOTIFY is still unanswered
    s.answered(200)
    last = s.take(1.5)
    assert last.terminated_reason == "timeout" and last.full_state and last.resources == (A, B, C)
    assert s.deadline() is None


def test_a_list_change_replaces_the_resources_and_forces_full_state() -> None:
    s = subscription()
    s.take(0.0)
    s.answered(200)
    s.resource_changed(B)
    s.list_changed((C, "sip:d@x.test"))
    plan = s.take(10.0)
    assert plan.full_state and plan.resources == (C, "sip:d@x.test")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0.01, 3.0), st.sampled_from([A, B, C]), st.integers(0, 9)), max_size=30),
       st.floats(0.5, 10.0))
def test_after_any_burst_the_last_notify_carries_every_resources_last_state(
        events: list[tuple[float, str, int]], interval: float) -> None:
    """A model run: the subscriber answers at once; whatever the timing, each resource's
    last value is what the last NOTIFY naming it was built from, and NOTIFYs for changes
    are at least `interval` apart."""
    s = subscription(interval)
    state = {A: 0, B: 0, C: 0}
    seen: dict[str, int] = {}
    sent_at: list[float] = []
    now = 0.0

    def pump(at: float) -> None:
        ready = s.ready_at()
        if ready is not None and ready <= at:
            plan = s.take(at)
            sent_at.append(at)
            for uri in plan.resources:
                seen[uri] = state[uri]
            s.answered(200)

    pump(now)
    for delay, uri, value in events:
        # deadlines that fall before the next event are run at their time
        deadline = s.ready_at()
        if deadline is not None and deadline <= now + delay:
            pump(max(deadline, now))
        now += delay
        state[uri] = value
        s.resource_changed(uri)
        pump(now)
    for _ in range(3):
        deadline = s.ready_at()
        if deadline is not None:
            now = max(now, deadline)
            pump(now)
    assert s.ready_at() is None and not s.changed
    assert seen == state
    assert all(later - earlier >= interval - 1e-9 for earlier, later in zip(sent_at[1:], sent_at[2:]))


def test_deadlines_reschedule_cancel_and_pop_in_order() -> None:
    d: Deadlines[str] = Deadlines()
    d.set("a", 5.0)
    d.set("b", 3.0)
    d.set("c", 9.0)
    d.set("b", 7.0)        # moved
    d.set("c", None)       # cancelled
    assert d.next() == 5.0 and len(d) == 2
    assert d.pop_due(6.0) == ["a"]
    assert d.next() == 7.0
    assert d.pop_due(100.0) == ["b"]
    assert d.next() is None and len(d) == 0


def test_contact_addresses_are_canonical_and_plain() -> None:
    assert canonical_contact_uri("bob", "Example.test") == "sip:bob@example.test"
    assert canonical_contact_uri("Bob@EXAMPLE.test", "x") == "sip:Bob@example.test"
    assert canonical_contact_uri("SIP:bob@Example.Test", "x") == "sip:bob@example.test"
    for bad in ("", "sip:example.test", "sip:bob@host:5060", "sip:bob@host;maddr=1.2.3.4", "sip:bob:pw@host",
                "mailto:bob@host", "bob@@host", "x" * 300):
        with pytest.raises(InvalidContactError):
            canonical_contact_uri(bad, "example.test")


def test_the_list_model_keeps_order_makes_groups_and_enforces_the_limit() -> None:
    empty = ContactList("sip:o@x.test")
    one = empty.with_contact(new_contact("b", "x.test", groups=("Work", "Work", "Golf")), 2, "P")
    assert one.contacts[0].groups == ("Work", "Golf") and one.groups == ("Work", "Golf")
    two = one.with_contact(new_contact("c", "x.test", groups=("Golf",)), 2, "P")
    with pytest.raises(DuplicateContactError):
        one.with_contact(new_contact("b", "x.test"), 2, "P")
    with pytest.raises(ContactLimitError, match="has 2 contacts, the most its contacts policy 'P' allows"):
        two.with_contact(new_contact("d", "x.test"), 2, "P")
    without = two.without_group("Golf")
    assert without.groups == ("Work",) and [c.groups for c in without.contacts] == [("Work",), ()]
    assert new_contact("e", "x.test", relationship="Friends And Family").relationship == "friends-and-family"


def test_policy_resolution() -> None:
    assert policy_for(None, {}) == ("Global", ContactsPolicy(1000))
    assert policy_for(None, {"Global": ContactsPolicy(10)}) == ("Global", ContactsPolicy(10))
    assert policy_for("Big", {"Big": ContactsPolicy(5000)}) == ("Big", ContactsPolicy(5000))
    with pytest.raises(InvalidContactError, match="'Nope' is not defined"):
        policy_for("Nope", {"Big": ContactsPolicy(5000)})


def test_list_uris() -> None:
    local = {"x.test"}.__contains__
    assert list_owner(parse_uri("sip:alice@X.test;list=contacts"), local) == "sip:alice@x.test"
    assert list_owner(parse_uri("sip:alice@x.test"), local) is None
    assert list_owner(parse_uri("sip:alice@x.test;list=other"), local) is None
    assert list_owner(parse_uri("sip:alice@elsewhere.test;list=contacts"), local) is None
    assert list_owner(parse_uri("tel:+15551234;list=contacts"), local) is None


def test_rls_and_contacts_policy_configuration() -> None:
    config = config_from_dict({"rls": {"notify_interval": 2.5, "min_expires": 30},
                               "policies": {"contacts": {"Small": {"max_contacts": 5}, "Global": {}}}})
    assert config.rls.notify_interval == 2.5 and config.rls.min_expires == 30
    assert config.policies.contacts["Small"].max_contacts == 5
    assert config.policies.contacts["Global"].max_contacts == 1000
    for document, message in [
        ({"rls": {"notify_interval": 0}}, "rls.notify_interval: must be a positive number of seconds, got 0"),
        ({"rls": {"max_expires": 30}}, "rls.default_expires: must lie between"),
        ({"policies": {"contacts": {"Small": {"max_contacts": -1}}}},
         "policies.contacts: Small.max_contacts: must be a positive integer, got -1"),
        ({"policies": {"contacts": {"Small": {"limit": 3}}}},
         "policies.contacts: Small.limit: unknown key (known: max_contacts)"),
        ({"policies": {"contacts": {"Small": 3}}}, "policies.contacts: Small: must be a table, got 3"),
        ({"policies": {"voice": {}}}, "policies.voice: unknown key"),
    ]:
        with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
            config_from_dict(document)


_OPS = st.lists(st.tuples(st.sampled_from(["add", "remove", "group+", "group-"]), st.integers(0, 6),
                          st.lists(st.sampled_from(["G1", "G2", "G3"]), max_size=2)), max_size=40)


@settings(max_examples=200, deadline=None)
@given(_OPS, st.integers(1, 5))
def test_any_sequence_of_changes_keeps_the_list_consistent(ops: list[tuple[str, int, list[str]]], limit: int) -> None:
    """Whatever the admin does, in whatever order: no contact twice, never more than the
    limit, every group a contact names exists, and a refused change changes nothing."""
    current = ContactList("sip:o@x.test")
    for op, n, groups in ops:
        before = current
        try:
            if op == "add":
                current = current.with_contact(new_contact(f"u{n}", "x.test", groups=groups), limit, "P")
            elif op == "remove":
                current = current.without_contact(f"sip:u{n}@x.test")
            elif op == "group+":
                current = current.with_group(f"G{n % 4}")
            else:
                current = current.without_group(f"G{n % 4}")
        except (DuplicateContactError, ContactLimitError, ContactNotFoundError):
            assert current is before
        uris = [c.uri for c in current.contacts]
        assert len(uris) == len(set(uris)) <= limit
        assert len(current.groups) == len(set(current.groups))
        assert all(set(c.groups) <= set(current.groups) for c in current.contacts)
