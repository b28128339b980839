"""A property of offline IM over random interleavings of sends, bob's endpoint answering
200 / 480 / 503, bob registering and unregistering, time passing and ucd restarting: every
MESSAGE alice was told 200 or 202 reaches bob exactly once (answered 2xx once), and the
stored ones arrive in the order they were accepted."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uc_signal.im import ImSettings

from im_network import ImNetwork, aor

ACTIONS = st.lists(st.one_of(
    st.just(("send",)),
    st.tuples(st.just("answer"), st.sampled_from([200, 480, 503])),
    st.just(("register",)),
    st.just(("unregister",)),
    st.tuples(st.just("advance"), st.sampled_from([1.0, 6.0, 20.0])),
    st.just(("restart",)),
), min_size=1, max_size=14)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ACTIONS)
def test_accepted_messages_arrive_once_and_stored_ones_in_order(actions: list[tuple]) -> None:  # type: ignore[type-arg]
    im = ImNetwork(settings=ImSettings(offline_retry_interval=5.0, offline_max_attempts=3))
    alice = im.user("alice", "192.0.2.10")
    bob = im.user("bob", "192.0.2.20", answer=480)
    status = {"now": 480}
    delivered: list[str] = []

    def answer(event):  # type: ignore[no-untyped-def]
        if event.request.method != "MESSAGE":
            return None
        if status["now"] < 300:
            delivered.append(event.request.body.decode())
        return (status["now"], [])
    bob.autoanswer = answer
    accepted: list[str] = []
    stored_order: list[str] = []
    for n, action in enumerate(actions):
        if action[0] == "send":
            text = f"m{n}"
            response = im.send(alice, aor("bob"), text)
            if response.status in (200, 202):
                accepted.append(text)
            if response.status == 202:
                stored_order.append(text)
        elif action[0] == "answer":
            status["now"] = action[1]
        elif action[0] == "register":
            bob.register()
        elif action[0] == "unregister":
            bob.register(expires=0)
        elif action[0] == "advance":
            im.net.advance(action[1], step=1.0)
        else:
            im.restart()
    status["now"] = 200
    bob.register()
    im.net.advance(30, step=1.0)
    assert sorted(delivered) == sorted(accepted)               # each accepted one, once
    assert [text for text in delivered if text in stored_order] == stored_order
    assert im.store.offline == {}
