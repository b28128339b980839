"""The presence agent's NOTIFYs as they leave: pre-serialised per subscription
(DialogRequestTemplate) and sent in encoded client transactions. What the generic path
(Dialog.create_request) would have sent, CSeq by CSeq; the route set and a refreshed
remote target honoured; the fan-out's last state never lost."""

from __future__ import annotations

import copy

from uc_signal.sip import Request, Via, parse_message

from presence_network import BUSY, DND, aor, pidf, presence_net, state_of, subscription_state


def notifies_sent(p, to_host: str) -> list[bytes]:  # type: ignore[no-untyped-def]
    return [data for data, peer in p.net.proxy_out if data.startswith(b"NOTIFY ") and peer.host == to_host]


def presence_app(p):  # type: ignore[no-untyped-def]
    return next(app for app in p.net.core.chain if app.name == "presence")


def test_each_notify_is_the_generic_request_byte_for_byte() -> None:
    p = presence_net()
    alice, bob = p.agent("alice", "192.0.2.10"), p.agent("bob", "192.0.2.20")
    etag = p.publish(alice, pidf("alice")).headers.get("SIP-ETag")
    p.subscribe(bob, aor("alice"))
    [subscription] = presence_app(p).subscriptions.values()
    originator = p.net.core.originator
    for body in (pidf("alice", activities=BUSY), pidf("alice", activities=DND)):
        twin = copy.deepcopy(subscription.dialog)          # the dialog before this NOTIFY
        etag = p.publish(alice, body, etag=etag).headers.get("SIP-ETag")
        data = notifies_sent(p, "192.0.2.20")[-1]
        sent = parse_message(data)
        assert isinstance(sent, Request) and sent.top_via is not None
        via = originator.via("UDP")
        generic = twin.create_request(
            "NOTIFY", Via(via.transport, via.host, via.port, {"branch": sent.top_via.branch, "rport": None}),
            contact=originator.contact("UDP"),
            extra_headers=[("Event", "presence"), ("Subscription-State", subscription_state(sent))],
            body=sent.body, content_type="application/pidf+xml")
        assert data == bytes(generic)
    assert [n.cseq.seq for n in p.notifies(bob)] == [1, 2, 3]   # type: ignore[union-attr]
    assert [state_of(n) for n in p.notifies(bob)] == ["Available", "Busy", "Do Not Disturb"]


def test_the_route_set_of_the_subscribe_is_honoured() -> None:
    p = presence_net()
    alice, bob = p.agent("alice", "192.0.2.10"), p.agent("bob", "192.0.2.20")
    etag = p.publish(alice, pidf("alice")).headers.get("SIP-ETag")
    routes = "Record-Route: <sip:edge.example.com;lr>, <sip:192.0.2.20:5060;lr>\r\n"
    assert p.subscribe(bob, aor("alice"), extra=routes).status == 200
    p.publish(alice, pidf("alice", activities=BUSY), etag=etag)
    for notify in p.notifies(bob):
        assert notify.headers.values("Route") == ["<sip:edge.example.com;lr>", "<sip:192.0.2.20:5060;lr>"]
        assert notify.uri_text == bob.contact                 # loose routing: the remote target stays
    assert state_of(p.last_notify(bob)) == "Busy"


def test_a_refreshing_subscribe_moves_the_target_of_later_notifies() -> None:
    p = presence_net()
    alice, bob = p.agent("alice", "192.0.2.10"), p.agent("bob", "192.0.2.20")
    etag = p.publish(alice, pidf("alice")).headers.get("SIP-ETag")
    ok = p.subscribe(bob, aor("alice"))
    assert ok.to is not None and ok.to.tag is not None
    moved = "sip:bob@192.0.2.20:5060;transport=udp;ob"
    refresh = bob.request("SUBSCRIBE", ok.contact[0].uri_text, to=ok.to.uri_text, to_tag=ok.to.tag,
                          call_id=ok.call_id, extra="Event: presence\r\nExpires: 600\r\n",
                          contact=f"Contact: <{moved}>\r\n")
    bob.send(refresh)
    p.net.run()
    assert bob.final("SUBSCRIBE").status == 200
    p.publish(alice, pidf("alice", activities=BUSY), etag=etag)
    uris = [n.uri_text for n in p.notifies(bob)]
    assert uris == [bob.contact, moved, moved]                  # RFC 6665 4.2.1.2: a target refresh
    assert subscription_state(p.last_notify(bob)) == "active;expires=600"
    assert [n.cseq.seq for n in p.notifies(bob)] == [1, 2, 3]   # type: ignore[union-attr]


def test_a_burst_of_changes_ends_with_the_last_state_for_every_watcher() -> None:
    p = presence_net()
    alice = p.agent("alice", "192.0.2.10")
    watchers = [p.agent(f"w{i}", f"192.0.2.{100 + i}") for i in range(40)]
    etag = p.publish(alice, pidf("alice")).headers.get("SIP-ETag")
    for watcher in watchers:
        assert p.subscribe(watcher, aor("alice")).status == 200
    # Three changes before the queued part of the first fan-out is drained: the watchers it
    # had not reached yet get one NOTIFY (coalesced, RFC 3856 6.10), all end on the last.
    for activities in (BUSY, DND, ""):
        etag = p.publish(alice, pidf("alice", activities=activities), etag=etag).headers.get("SIP-ETag")
    p.net.advance(1.0, step=0.1)
    for watcher in watchers:
        states = [state_of(n) for n in p.notifies(watcher)]
        assert states[-1] == "Available" and len(states) <= 4
        numbers = [n.cseq.seq for n in p.notifies(watcher)]  # type: ignore[union-attr]
        assert numbers == list(range(1, len(numbers) + 1))


def test_a_fan_out_pass_applies_privacy_mode_per_watcher() -> None:
    from uc_signal.presence import Relationship, UserPresenceSettings

    p = presence_net()
    alice = p.agent("alice", "192.0.2.10")
    watchers = [p.agent(f"w{i}", f"192.0.2.{100 + i}") for i in range(24)]   # more than go inline
    etag = p.publish(alice, pidf("alice")).headers.get("SIP-ETag")
    for watcher in watchers:
        assert p.subscribe(watcher, aor("alice")).status == 200
    for watcher in watchers[::2]:
        p.service.set_relationship(aor("alice"), aor(watcher.name), Relationship.WORKGROUP, p.net.now)
    p.service.set_settings(aor("alice"), UserPresenceSettings(privacy_mode=True), p.net.now)
    p.net.run()
    p.publish(alice, pidf("alice", activities=BUSY), etag=etag)
    p.net.advance(1.0, step=0.1)                       # the queued part of the fan-out
    for index, watcher in enumerate(watchers):
        expected = "Busy" if index % 2 == 0 else "Offline"   # privacy mode: contacts only
        assert state_of(p.last_notify(watcher)) == expected, watcher.name
