"""The presence agent in the chain, end to end over the in-memory network: PUBLISH (RFC
3903), SUBSCRIBE/NOTIFY (RFC 6665, RFC 3856), watcher information (RFC 3857/3858),
authorization, the automatic states driven by calls through the proxy and by time."""

from __future__ import annotations

from pathlib import Path

from uc_signal.presence import (Availability, CustomState, PresenceConfig, Relationship, UserPresenceSettings,
                                WatcherAuthorization)
from uc_signal.presence.calendar import BusyInterval

from presence_network import (AWAY, BUSY, DND, PresenceNet, aor, pidf, presence_net, state_of,
                              subscription_state)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "presence"


def alice_and_bob(config: PresenceConfig | None = None) -> tuple[PresenceNet, object, object]:
    p = presence_net(config)
    return p, p.agent("alice", "192.0.2.10"), p.agent("bob", "192.0.2.20")


# --- PUBLISH --------------------------------------------------------------------------------------

def test_publish_initial_refresh_modify_remove() -> None:
    p, alice, _ = alice_and_bob()
    first = p.publish(alice, pidf("alice", activities=BUSY))
    assert first.status == 200 and first.headers.get("Expires") == "3600"
    etag = first.headers.get("SIP-ETag")
    assert etag and p.service.aggregate(aor("alice"), p.net.now).availability is Availability.BUSY
    refreshed = p.publish(alice, None, etag=etag, expires=1200)
    assert refreshed.status == 200 and refreshed.headers.get("SIP-ETag") not in (None, etag)
    assert p.publish(alice, None, etag=etag).status == 412          # the old tag is gone
    modified = p.publish(alice, pidf("alice", activities=DND), etag=refreshed.headers.get("SIP-ETag"))
    assert modified.status == 200
    assert p.service.aggregate(aor("alice"), p.net.now).availability is Availability.DO_NOT_DISTURB
    removed = p.publish(alice, None, etag=modified.headers.get("SIP-ETag"), expires=0)
    assert removed.status == 200
    assert p.service.aggregate(aor("alice"), p.net.now).availability is Availability.OFFLINE


def test_publish_errors() -> None:
    p, alice, bob = alice_and_bob()
    assert p.publish(alice, None, etag="not-a-tag").status == 412
    unknown_event = p.publish(alice, pidf("alice"), event="dialog")
    assert unknown_event.status == 489 and unknown_event.headers.get("Allow-Events") == "presence"
    assert p.publish(alice, pidf("alice"), event="").status == 489
    short = p.publish(alice, pidf("alice"), expires=5)
    assert short.status == 423 and short.headers.get("Min-Expires") == "60"
    assert p.publish(alice, pidf("alice"), content_type="text/plain").status == 415
    assert p.publish(alice, None).status == 400                        # initial without a body
    assert p.publish(bob, pidf("alice"), target=aor("alice")).status == 403   # someone else's presence
    assert p.publish(alice, pidf("alice"), target=aor("nobody")).status == 404
    granted = p.publish(alice, pidf("alice"), expires=999_999)
    assert granted.headers.get("Expires") == "3600"


def test_malformed_pidf_and_xml_bombs_are_400_and_change_nothing() -> None:
    p, alice, bob = alice_and_bob()
    etag = p.publish(alice, pidf("alice", activities=BUSY)).headers.get("SIP-ETag")
    p.subscribe(bob, aor("alice"))
    notifies = len(p.notifies(bob))
    for name in ("billion_laughs_invalid.xml", "external_entity_invalid.xml", "truncated_invalid.xml",
                 "wrong_root_invalid.xml"):
        body = (FIXTURES / name).read_text()
        assert p.publish(alice, body).status == 400, name
        assert p.publish(alice, body, etag=etag).status == 400, name
    assert p.service.aggregate(aor("alice"), p.net.now).availability is Availability.BUSY
    assert len(p.service.publications(aor("alice"))) == 1
    assert len(p.notifies(bob)) == notifies


def test_a_publication_expires() -> None:
    p, alice, bob = alice_and_bob()
    p.publish(alice, pidf("alice", activities=BUSY), expires=60)
    p.subscribe(bob, aor("alice"))
    assert state_of(p.last_notify(bob)) == "Busy"
    p.net.advance(61, step=1)
    assert state_of(p.last_notify(bob)) == "Offline"                     # row A15
    assert p.service.publications(aor("alice")) == []


# --- SUBSCRIBE / NOTIFY ----------------------------------------------------------------------------

def test_subscribe_gets_200_then_a_notify_then_one_per_change() -> None:
    p, alice, bob = alice_and_bob()
    etag = p.publish(alice, pidf("alice")).headers.get("SIP-ETag")
    ok = p.subscribe(bob, aor("alice"))
    assert ok.status == 200 and ok.headers.get("Expires") == "3600" and ok.contact
    first = p.last_notify(bob)
    assert subscription_state(first) == "active;expires=3600"
    assert first.headers.get("Content-Type") == "application/pidf+xml" and state_of(first) == "Available"
    assert first.to is not None and first.to.tag == "bob-tag" and first.call_id == ok.call_id
    for body, label in ((pidf("alice", activities=BUSY), "Busy"), (pidf("alice", activities=DND), "Do Not Disturb")):
        etag = p.publish(alice, body, etag=etag).headers.get("SIP-ETag")
        assert state_of(p.last_notify(bob)) == label
    count = len(p.notifies(bob))
    p.publish(alice, None, etag=etag)       # a refresh changes nothing anyone sees
    assert len(p.notifies(bob)) == count
    assert [n.cseq.seq for n in p.notifies(bob)] == [1, 2, 3]   # type: ignore[union-attr]


def test_expires_negotiation() -> None:
    p, alice, bob = alice_and_bob(PresenceConfig(min_expires=60, max_expires=600, default_expires=300))
    assert p.subscribe(bob, aor("alice"), expires=None).headers.get("Expires") == "300"
    too_short = p.subscribe(bob, aor("alice"), expires=10)
    assert too_short.status == 423 and too_short.headers.get("Min-Expires") == "60"
    assert p.subscribe(bob, aor("alice"), expires=86400).headers.get("Expires") == "600"


def test_subscribe_errors_and_what_is_not_ours() -> None:
    p, alice, bob = alice_and_bob()
    no_event = p.subscribe(bob, aor("alice"), event="")
    assert no_event.status == 489 and "presence" in (no_event.headers.get("Allow-Events") or "")
    assert p.subscribe(bob, aor("nobody")).status == 404
    assert p.subscribe(bob, aor("alice"), extra="Accept: text/plain\r\n").status == 406
    assert p.subscribe(bob, aor("alice"), extra="Accept: application/pidf+xml, */*\r\n").status == 200
    # Another package goes to the user's devices through the proxy.
    alice.autoanswer = lambda event: (200, [("Expires", "60")]) if event.request.method == "SUBSCRIBE" else (200, [])
    forwarded = p.subscribe(bob, aor("alice"), event="dialog")
    assert forwarded.status == 200 and [e.request.method for e in alice.requests("SUBSCRIBE")] == ["SUBSCRIBE"]


def test_refresh_notifies_and_unsubscribe_terminates() -> None:
    p, alice, bob = alice_and_bob()
    p.publish(alice, pidf("alice", activities=BUSY))
    ok = p.subscribe(bob, aor("alice"), expires=600)
    refreshed = p.resubscribe(bob, ok, expires=900)
    assert refreshed.status == 200 and refreshed.headers.get("Expires") == "900"
    assert subscription_state(p.last_notify(bob)) == "active;expires=900"
    gone = p.resubscribe(bob, ok, expires=0)
    assert gone.status == 200
    last = p.last_notify(bob)
    assert subscription_state(last) == "terminated;reason=timeout" and state_of(last) == "Busy"
    assert p.resubscribe(bob, ok, expires=600).status == 481


def test_a_fetch_gets_one_terminated_notify() -> None:
    p, alice, bob = alice_and_bob()
    p.publish(alice, pidf("alice", activities=AWAY))
    assert p.subscribe(bob, aor("alice"), expires=0).status == 200
    assert [subscription_state(n) for n in p.notifies(bob)] == ["terminated;reason=timeout"]
    assert state_of(p.last_notify(bob)) == "Away"
    assert len(p.net.core.chain[1].subscriptions) == 0


def test_a_subscription_expires_with_a_terminated_notify() -> None:
    p, alice, bob = alice_and_bob()
    p.subscribe(bob, aor("alice"), expires=60)
    p.net.advance(61, step=1)
    assert subscription_state(p.last_notify(bob)) == "terminated;reason=timeout"
    assert p.net.core.chain[1].subscriptions == {}


def test_a_481_to_a_notify_ends_the_subscription() -> None:
    p, alice, bob = alice_and_bob()
    p.subscribe(bob, aor("alice"))
    bob.autoanswer = lambda event: (481, [])
    etag = p.publish(alice, pidf("alice", activities=BUSY)).headers.get("SIP-ETag")
    assert p.net.core.chain[1].subscriptions == {}
    count = len(p.notifies(bob))
    p.publish(alice, pidf("alice", activities=DND), etag=etag)
    assert len(p.notifies(bob)) == count


def test_a_watcher_that_never_answers_is_dropped_after_408() -> None:
    p, alice, bob = alice_and_bob()
    p.subscribe(bob, aor("alice"))
    bob.autoanswer = None   # silent from now on
    p.publish(alice, pidf("alice", activities=BUSY))
    p.net.advance(40, step=2)   # Timer F
    assert p.net.core.chain[1].subscriptions == {}


def test_blocked_watcher_sees_offline() -> None:
    p, alice, bob = alice_and_bob()
    p.publish(alice, pidf("alice", activities=BUSY))
    p.subscribe(bob, aor("alice"))
    assert state_of(p.last_notify(bob)) == "Busy"
    p.service.set_relationship(aor("alice"), aor("bob"), Relationship.BLOCKED, p.net.now)
    p.net.run()
    assert state_of(p.last_notify(bob)) == "Offline" and "<basic>closed</basic>" in p.last_notify(bob).body.decode()


def test_confirm_keeps_a_new_watcher_pending_until_allowed() -> None:
    p, alice, bob = alice_and_bob()
    p.service.set_settings(aor("alice"), UserPresenceSettings(authorization=WatcherAuthorization.CONFIRM), p.net.now)
    p.publish(alice, pidf("alice", activities=BUSY))
    assert p.subscribe(bob, aor("alice")).status == 200
    pending = p.last_notify(bob)
    assert subscription_state(pending).startswith("pending;") and pending.body == b""
    p.service.set_relationship(aor("alice"), aor("bob"), Relationship.WORKGROUP, p.net.now)
    p.net.run()
    active = p.last_notify(bob)
    assert subscription_state(active).startswith("active;") and state_of(active) == "Busy"


# --- watcher information -------------------------------------------------------------------------

def test_winfo_announces_pending_active_and_terminated_watchers() -> None:
    p, alice, bob = alice_and_bob()
    carol = p.agent("carol", "192.0.2.30")
    p.service.set_settings(aor("alice"), UserPresenceSettings(authorization=WatcherAuthorization.CONFIRM), p.net.now)
    ok = p.subscribe(alice, aor("alice"), event="presence.winfo")
    assert ok.status == 200
    first = p.last_notify(alice, "presence.winfo")
    assert first.headers.get("Content-Type") == "application/watcherinfo+xml"
    assert 'version="0"' in first.body.decode() and "<watcher " not in first.body.decode()
    bob_ok = p.subscribe(bob, aor("alice"))
    announced = p.last_notify(alice, "presence.winfo").body.decode()
    assert 'version="1"' in announced and 'status="pending"' in announced and "sip:bob@example.com" in announced
    p.service.set_relationship(aor("alice"), aor("bob"), Relationship.COLLEAGUE, p.net.now)
    p.net.run()
    approved = p.last_notify(alice, "presence.winfo").body.decode()
    assert 'status="active" event="approved"' in approved
    p.service.set_relationship(aor("alice"), aor("carol"), Relationship.FRIENDS_AND_FAMILY, p.net.now)
    carol_ok = p.subscribe(carol, aor("alice"))
    assert "sip:carol@example.com" in p.last_notify(alice, "presence.winfo").body.decode()
    p.resubscribe(bob, bob_ok, expires=0)
    ended = p.last_notify(alice, "presence.winfo").body.decode()
    assert 'status="terminated" event="timeout"' in ended and "sip:bob@example.com" in ended
    p.resubscribe(carol, carol_ok, expires=0)     # bob was listed terminated once, and is gone now
    later = p.last_notify(alice, "presence.winfo").body.decode()
    assert "sip:bob@example.com" not in later


def test_only_the_user_sees_their_watchers() -> None:
    p, _alice, bob = alice_and_bob()
    assert p.subscribe(bob, aor("alice"), event="presence.winfo").status == 403


# --- automatic states ----------------------------------------------------------------------------

def test_idle_timeout_turns_available_into_away() -> None:
    p, alice, bob = alice_and_bob(PresenceConfig(idle_timeout=120))
    p.publish(alice, pidf("alice"))
    p.subscribe(bob, aor("alice"))
    assert state_of(p.last_notify(bob)) == "Available"
    p.net.advance(121, step=1)
    assert state_of(p.last_notify(bob)) == "Away"                        # row A3 in time


def call(p: PresenceNet, caller: object, callee: object, *, focus: bool = False) -> object:
    """INVITE through the proxy, the callee answers 200 (Contact with isfocus for a focus)."""
    headers = [("Contact", f"<{callee.contact}>;isfocus")] if focus else []   # type: ignore[attr-defined]
    callee.autoanswer = lambda event: (200, headers)   # type: ignore[attr-defined]
    invite = p.send_authenticated(
        caller, lambda auth: caller.request("INVITE", aor(callee.name), extra=auth, call_id="call-1",  # type: ignore
                                            body="v=0\r\n"), "INVITE")
    assert invite.status == 200
    return invite


def test_a_call_through_the_proxy_shows_in_a_call_until_bye() -> None:
    p, alice, bob = alice_and_bob()
    carol = p.agent("carol", "192.0.2.30")
    p.publish(alice, pidf("alice"))
    p.subscribe(carol, aor("alice"))
    p.subscribe(carol, aor("bob"))
    ok = call(p, alice, bob)
    states = {n.headers.get("To"): state_of(n) for n in p.notifies(carol)}
    assert state_of([n for n in p.notifies(carol) if "alice" in n.body.decode()][-1]) == "In a Call"
    assert state_of([n for n in p.notifies(carol) if "sip:bob@" in n.body.decode()][-1]) == "In a Call"
    assert states
    to = ok.to
    bye = alice.request("BYE", bob.contact, to=to.uri_text, to_tag=to.tag, call_id="call-1")   # type: ignore
    alice.send(bye)
    p.net.run()
    assert state_of([n for n in p.notifies(carol) if "alice" in n.body.decode()][-1]) == "Available"
    assert state_of([n for n in p.notifies(carol) if "sip:bob@" in n.body.decode()][-1]) == "Offline"


def test_a_call_to_a_focus_shows_in_a_conference() -> None:
    p, alice, bob = alice_and_bob()
    p.publish(alice, pidf("alice"))
    carol = p.agent("carol", "192.0.2.30")
    p.subscribe(carol, aor("alice"))
    call(p, alice, bob, focus=True)
    assert state_of(p.last_notify(carol)) == "In a Conference"


def test_call_activity_interface() -> None:
    p, alice, bob = alice_and_bob()
    p.publish(alice, pidf("alice"))
    p.subscribe(bob, aor("alice"))
    p.service.calls.call_started(aor("alice"), "x1", p.net.now)
    p.net.run()
    assert state_of(p.last_notify(bob)) == "In a Call"
    p.service.calls.call_ended(aor("alice"), "x1", p.net.now)
    p.net.run()
    assert state_of(p.last_notify(bob)) == "Available"


def test_a_calendar_meeting_starts_and_ends() -> None:
    p, alice, bob = alice_and_bob(PresenceConfig(idle_timeout=10_000))
    p.publish(alice, pidf("alice"))
    p.subscribe(bob, aor("alice"))
    now = p.net.now
    p.service.set_calendar(aor("alice"), [BusyInterval(now + 30, now + 90)], now)
    p.net.advance(31, step=1)
    assert state_of(p.last_notify(bob)) == "In a Meeting"
    p.net.advance(60, step=1)
    assert state_of(p.last_notify(bob)) == "Available"


def test_custom_states_and_notes() -> None:
    custom = CustomState("Working from home", Availability.AVAILABLE)
    p, alice, bob = alice_and_bob(PresenceConfig(custom_states=(custom,)))
    p.publish(alice, pidf("alice", activities="<rpid:other>Working from home</rpid:other>", note="ping me"))
    p.subscribe(bob, aor("alice"))
    body = p.last_notify(bob).body.decode()
    assert state_of(p.last_notify(bob)) == "Working from home" and "<ucs:availability>3500<" in body
    assert "<dm:note>ping me</dm:note>" in body


def test_observers_hear_every_change() -> None:
    p, alice, _ = alice_and_bob(PresenceConfig(idle_timeout=100))
    heard: list[tuple[str, float]] = []
    p.service.add_observer(lambda presentity, now: heard.append((presentity, now)))
    p.publish(alice, pidf("alice"), expires=300)
    p.net.advance(101, step=1)      # idle
    p.net.advance(200, step=2)      # expiry
    assert [who for who, _ in heard] == [aor("alice")] * 3
