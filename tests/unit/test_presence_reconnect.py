"""A presence watcher over a connection (TCP, TLS, WS) whose flow goes away, sans-IO: its
subscription is not ended; NOTIFYs wait while it cannot be reached (the flow closed and
its registration's flow with it, or a NOTIFY's transport failed); when the watcher
registers again on a new flow it gets the state as it is then, in its old dialog, over
that flow, the CSeq one above the last NOTIFY sent; its in-dialog refresh works too; a
subscription that expires while unreachable just ends. The in-memory network moves
datagrams by address, so a "TCP" peer here is a peer whose flow token `flow_alive` knows."""

from __future__ import annotations

from uc_signal.directory import Binding
from uc_signal.presence import PresenceApplication, PresenceConfig, PresenceService, presence_application
from uc_signal.sip import Request
from uc_signal.transport.peer import Peer

from presence_network import AWAY, BUSY, PresenceNet, aor, pidf, state_of, subscription_state
from proxy_network import Network, UserAgent

BOB_HOST = "192.0.2.20"


class Flows(set[str]):
    def alive(self, token: str) -> bool:
        return token in self


def started() -> tuple[PresenceNet, Flows, UserAgent, UserAgent, PresenceApplication]:
    flows = Flows()
    service = PresenceService(PresenceConfig())
    pnet = PresenceNet(Network(applications=(presence_application(service),), flow_alive=flows.alive), service)
    alice = pnet.agent("alice", "192.0.2.10")
    bob = pnet.agent("bob", BOB_HOST, register=False)
    app = next(a for a in pnet.net.core.chain if isinstance(a, PresenceApplication))
    return pnet, flows, alice, bob, app


def registered_over(pnet: PresenceNet, app: PresenceApplication, bob: UserAgent, flow: str) -> None:
    """bob's Contact registered over the TCP connection `flow` (what the registrar keeps)."""
    app.services.location.put(Binding(aor("bob"), bob.contact, pnet.net.now + 3600, transport="TCP",
                                       source_host=BOB_HOST, source_port=5060, flow=flow,
                                       registered_at=pnet.net.now))


def watching_over_tcp(flow: str) -> tuple[PresenceNet, Flows, UserAgent, UserAgent, PresenceApplication]:
    """bob registered and subscribed to alice over the TCP connection `flow`."""
    pnet, flows, alice, bob, app = started()
    flows.add(flow)
    registered_over(pnet, app, bob, flow)
    assert pnet.subscribe(bob, aor("alice")).status == 200
    [subscription] = app.subscriptions.values()
    subscription.peer = Peer(BOB_HOST, 5060, "TCP", flow)   # the SUBSCRIBE came over that connection
    return pnet, flows, alice, bob, app


def notify_peers(pnet: PresenceNet) -> list[Peer]:
    return [peer for data, peer in pnet.net.proxy_out if data.startswith(b"NOTIFY ")]


def cseq(notify: Request) -> int:
    assert notify.cseq is not None
    return notify.cseq.seq


def test_a_watcher_whose_flow_closed_gets_what_it_missed_over_its_new_flow_once_registered() -> None:
    pnet, flows, alice, bob, app = watching_over_tcp("flow-1")
    etag = pnet.publish(alice, pidf("alice")).headers.get("SIP-ETag")
    assert state_of(pnet.last_notify(bob)) == "Available"
    assert notify_peers(pnet)[-1] == Peer(BOB_HOST, 5060, "TCP", "flow-1")
    sent = len(pnet.notifies(bob))
    last = cseq(pnet.last_notify(bob))

    flows.discard("flow-1")   # the connection dropped
    etag = pnet.publish(alice, pidf("alice", activities=BUSY), etag=etag).headers.get("SIP-ETag")
    etag = pnet.publish(alice, pidf("alice", activities=AWAY), etag=etag).headers.get("SIP-ETag")
    pnet.net.advance(1)
    assert len(pnet.notifies(bob)) == sent   # nowhere to send them
    [subscription] = app.subscriptions.values()
    assert subscription.unreachable and subscription.state == "active"

    flows.add("flow-2")
    registered_over(pnet, app, bob, "flow-2")   # bob registered again on a new connection
    pnet.net.advance(0.5)
    missed = pnet.last_notify(bob)
    assert len(pnet.notifies(bob)) == sent + 1
    assert state_of(missed) == "Away"   # the state as it is now, not each change
    assert cseq(missed) == last + 1 and missed.call_id == f"bob-sub-{aor('alice')}-presence"
    assert notify_peers(pnet)[-1] == Peer(BOB_HOST, 5060, "TCP", "flow-2")
    assert missed.top_via is not None and missed.top_via.transport == "TCP"
    assert not subscription.unreachable

    pnet.publish(alice, pidf("alice"), etag=etag)   # the next change goes over the new flow at once
    assert state_of(pnet.last_notify(bob)) == "Available" and cseq(pnet.last_notify(bob)) == last + 2
    assert notify_peers(pnet)[-1] == Peer(BOB_HOST, 5060, "TCP", "flow-2")


def test_a_notify_whose_transport_fails_leaves_the_subscription_waiting_not_ended() -> None:
    pnet, flows, alice, bob, app = watching_over_tcp("flow-1")
    etag = pnet.publish(alice, pidf("alice")).headers.get("SIP-ETag")
    bob.autoanswer = None   # the next NOTIFY stays unanswered
    pnet.publish(alice, pidf("alice", activities=BUSY), etag=etag)
    peer = notify_peers(pnet)[-1]
    pnet.net.layer.handle_transport_error(peer, pnet.net.now)   # e.g. the connection reset
    pnet.net.drain()
    [subscription] = app.subscriptions.values()
    assert subscription.unreachable and subscription.state == "active"
    assert "terminated" not in [subscription_state(n)[:10] for n in pnet.notifies(bob)]

    bob.autoanswer = lambda event: (200, [])
    ok = next(r for r in bob.responses("SUBSCRIBE") if r.status == 200)
    assert pnet.resubscribe(bob, ok, expires=600).status == 200   # its refresh moves it to where it came from
    assert state_of(pnet.last_notify(bob)) == "Busy" and not subscription.unreachable


def test_an_unreachable_subscription_expires_as_any_other() -> None:
    pnet, flows, alice, bob, app = watching_over_tcp("flow-1")
    flows.discard("flow-1")
    pnet.publish(alice, pidf("alice"))
    [subscription] = app.subscriptions.values()
    assert subscription.unreachable
    sent = len(pnet.notifies(bob))
    pnet.net.advance(3601, step=100)
    assert app.subscriptions == {} and subscription.state == "terminated"
    assert len(pnet.notifies(bob)) == sent   # the terminated NOTIFY had nowhere to go
    flows.add("flow-2")
    registered_over(pnet, app, bob, "flow-2")
    pnet.net.advance(1)
    assert len(pnet.notifies(bob)) == sent
