"""Offline IM: stored with 202 only once durable, delivered in order and once when the
recipient registers, deleted after a 2xx, bounded retries, 480 when the policy forbids
storing, and a restart over the same store loses nothing."""

from __future__ import annotations

from uc_signal.im import ImPolicy, ImSettings

from im_network import ImNetwork, aor, bodies


def test_a_message_to_an_unregistered_user_is_stored_and_delivered_on_register() -> None:
    im = ImNetwork()
    alice = im.user("alice", "192.0.2.10")
    bob = im.user("bob", "192.0.2.20")
    answer = im.send(alice, aor("bob"), "while you were out")
    assert answer.status == 202
    assert [m.body for m in im.store.offline_messages()] == [b"while you were out"]
    assert im.store.history == []
    bob.register()
    im.net.advance(1)
    assert bodies(bob) == ["while you were out"]
    delivered = bob.requests("MESSAGE")[0].request
    assert delivered.from_ is not None and delivered.from_.uri_text == aor("alice")
    assert delivered.headers.get("Date") is not None
    assert im.store.offline == {}
    assert [(e.sender, e.recipient) for e in im.store.history] == [(aor("alice"), aor("bob"))]


def test_202_waits_until_the_store_has_written_the_message() -> None:
    im = ImNetwork()
    im.store.hold_writes = True
    alice = im.user("alice", "192.0.2.10")
    im.user("bob", "192.0.2.20")
    before = len(alice.responses("MESSAGE"))
    alice.send(alice.request("MESSAGE", aor("bob"), body="x"))
    im.net.run()
    challenge = alice.responses("MESSAGE")[-1]
    auth = alice.digest.authorize(challenge.headers.get_all("Proxy-Authenticate")[-1], "MESSAGE", aor("bob"))
    alice.send(alice.request("MESSAGE", aor("bob"), body="x", extra=f"Proxy-Authorization: {auth}\r\n"))
    im.net.run()
    assert [r.status for r in alice.responses("MESSAGE")[before:] if r.status >= 200] == [407]
    im.store.complete_writes()
    im.net.run()
    assert alice.final("MESSAGE").status == 202


def test_stored_messages_arrive_in_order_each_once() -> None:
    im = ImNetwork()
    alice = im.user("alice", "192.0.2.10")
    carol = im.user("carol", "192.0.2.30")
    bob = im.user("bob", "192.0.2.20")
    for n, sender in enumerate((alice, carol, alice, carol, alice)):
        assert im.send(sender, aor("bob"), f"message {n}").status == 202
    bob.register()
    im.net.advance(3)
    assert bodies(bob) == [f"message {n}" for n in range(5)]
    bob.register()          # a refresh: nothing is left to deliver again
    im.net.advance(3)
    assert len(bodies(bob)) == 5
    assert im.store.offline == {} and len(im.store.history) == 5


def test_a_new_message_queues_behind_stored_ones() -> None:
    im = ImNetwork()
    alice = im.user("alice", "192.0.2.10")
    bob = im.user("bob", "192.0.2.20", answer=None)   # registered, but answers nothing yet
    assert im.send(alice, aor("bob"), "first").status == 202
    bob.register()
    assert im.send(alice, aor("bob"), "second").status == 202   # behind "first", not before it
    bob.autoanswer = lambda event: (200, [])
    im.net.advance(1)
    assert bodies(bob) == ["first", "second"]
    assert im.store.offline == {}


def test_endpoints_that_all_fail_with_unreachable_codes_mean_store() -> None:
    im = ImNetwork()
    alice = im.user("alice", "192.0.2.10")
    bob1 = im.user("bob", "192.0.2.20", answer=480)
    bob2 = im.endpoint("bob", "192.0.2.21", answer=503)
    bob1.register(), bob2.register()
    assert im.send(alice, aor("bob"), "later").status == 202
    assert len(im.store.offline) == 1


def test_a_silent_endpoint_means_202_after_the_delivery_timeout_and_no_duplicate() -> None:
    im = ImNetwork(settings=ImSettings(delivery_timeout=5.0))
    alice = im.user("alice", "192.0.2.10")
    bob = im.user("bob", "192.0.2.20")
    bob.register(contact="sip:bob@192.0.2.99:5060")   # nobody there: Timer F will fire at 32 s
    answer = im.send(alice, aor("bob"), "are you there", advance=6)
    assert answer.status == 202 and len(im.store.offline) == 1
    im.net.advance(40, step=2)
    assert len(im.store.offline) == 1       # kept for the next registration
    bob.register()                          # the UA comes back on its real address
    im.net.advance(2)
    assert bodies(bob) == ["are you there"] and im.store.offline == {}


def test_retries_are_bounded_and_the_next_registration_starts_again() -> None:
    im = ImNetwork(settings=ImSettings(offline_retry_interval=10.0, offline_max_attempts=3))
    alice = im.user("alice", "192.0.2.10")
    bob = im.user("bob", "192.0.2.20", answer=480)
    assert im.send(alice, aor("bob"), "persistent").status == 202
    bob.register()
    im.net.advance(100, step=1.0)
    assert len(bob.requests("MESSAGE")) == 3        # the first attempt and two retries
    assert len(im.store.offline) == 1
    bob.autoanswer = lambda event: (200, [])
    bob.register()
    im.net.advance(2)
    assert bodies(bob)[-1] == "persistent" and im.store.offline == {}


def test_a_policy_without_offline_storage_gives_480_with_the_reason() -> None:
    im = ImNetwork(settings=ImSettings(policies=(ImPolicy("NoOffline", offline=False),)))
    alice = im.user("alice", "192.0.2.10")
    im.user("bob", "192.0.2.20", policy="NoOffline")
    answer = im.send(alice, aor("bob"), "lost?")
    assert answer.status == 480
    assert "offline messages are not allowed by policy NoOffline" in (answer.reason or "")
    assert im.store.offline == {}


def test_stored_messages_survive_a_restart() -> None:
    im = ImNetwork()
    alice = im.user("alice", "192.0.2.10")
    bob = im.user("bob", "192.0.2.20")
    assert im.send(alice, aor("bob"), "one").status == 202
    assert im.send(alice, aor("bob"), "two").status == 202
    first = im.im
    second = im.restart()
    assert second is not first
    assert [m.body for m in second.pending_for(aor("bob"))] == [b"one", b"two"]
    bob.register()
    im.net.advance(2)
    assert bodies(bob) == ["one", "two"] and im.store.offline == {}
    # New ids continue after the stored ones: nothing is overwritten.
    assert im.send(alice, aor("nobody-here"), "x").status == 404


def test_a_user_registered_before_a_restart_gets_messages_stored_meanwhile() -> None:
    im = ImNetwork()
    alice = im.user("alice", "192.0.2.10")
    bob = im.user("bob", "192.0.2.20", answer=480)
    bob.register()
    assert im.send(alice, aor("bob"), "during the outage").status == 202
    bob.autoanswer = lambda event: (200, [])
    im.restart()            # the binding is reloaded: delivery starts without a new REGISTER
    im.net.advance(2)
    assert bodies(bob)[-1] == "during the outage" and im.store.offline == {}


def test_a_stored_copy_waits_while_its_live_copies_are_out_and_a_late_2xx_cancels_it() -> None:
    im = ImNetwork(settings=ImSettings(delivery_timeout=5.0, offline_retry_interval=10.0))
    alice = im.user("alice", "192.0.2.10")
    bob = im.user("bob", "192.0.2.20", answer=None)      # takes its time
    bob.register()
    assert im.send(alice, aor("bob"), "slow", advance=6).status == 202
    assert len(im.store.offline) == 1
    bob.register()                                        # a refresh: the stored copy must not go out yet
    im.net.advance(3)
    assert len(bob.requests("MESSAGE")) == 1
    bob.answer(bob.requests("MESSAGE")[0], 200)           # the late 2xx
    im.net.run()
    assert im.store.offline == {} and [e.text for e in im.store.history] == ["slow"]
    im.net.advance(30, step=2)
    assert len(bob.requests("MESSAGE")) == 1              # delivered once
