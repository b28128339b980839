"""List subscriptions across a restart, sans-IO: the resource list server reports its
subscriptions to a persistence sink; a new server built over the same network from what
the sink kept goes on in the same dialog: a full-state NOTIFY at once, with a CSeq and an
RLMI version above every one sent, then partial ones; the subscriber's in-dialog refresh
is accepted. Expired subscriptions and those of deleted owners are not restored."""

from __future__ import annotations

from uc_signal.proxy.services import ApplicationServices
from uc_signal.rls import ContactDirectory, ContactList, ResourceListServer, RlsConfig, new_contact, rls_application

from proxy_network import DOMAIN
from test_presence_restore import KeptState
from test_rls_server import ALICE, BOB, CAROL, PresenceBoard, Setup, basic, in_dialog, subscribe


def restarted(s: Setup, kept: KeptState, board: PresenceBoard) -> ResourceListServer:
    """A new server over the same network and subscriber (the old one's directory and
    presence are left behind with it), restored from `kept`."""
    directory = ContactDirectory()
    directory.load([ContactList(ALICE, tuple(new_contact(uri, DOMAIN) for uri in (BOB, CAROL)), ())])
    factory = rls_application(directory, lambda: board, RlsConfig(notify_interval=5.0))
    built: list[ResourceListServer] = []

    def build(services: ApplicationServices) -> ResourceListServer:
        built.append(factory(services))  # type: ignore[arg-type]
        return built[-1]
    s.net.applications = (build,)
    s.net.start_services()
    server = built[0]
    server.persistence = kept
    server.restore(list(kept.subscriptions.values()), s.net.now)
    return server


def test_a_list_subscription_goes_on_in_its_dialog_after_a_restart() -> None:
    kept = KeptState()
    s = Setup()
    s.server.persistence = kept
    accepted = subscribe(s.net, s.alice)
    assert accepted.status == 200 and len(kept.subscriptions) == 1
    s.net.advance(6)
    s.board.set(BOB, "open", s.net.now)
    s.net.run()
    before = s.notifies()
    assert [n.cseq.seq for n in before] == [1, 2]
    assert [b.rlmi.version for b in s.bodies()] == [1, 2]

    board = PresenceBoard()
    board.states[BOB] = "open"
    server = restarted(s, kept, board)
    assert len(server) == 1
    s.net.advance(0.5)
    resumed = s.notifies()[-1]
    body = s.bodies()[-1]
    assert resumed.cseq.seq > 2 and resumed.headers.get("Call-ID") == accepted.call_id
    assert resumed.from_.tag == accepted.to.tag
    assert body.rlmi.full_state and body.rlmi.version > 2 and basic(body, BOB) == "open"

    s.net.advance(6)
    board.set(CAROL, "open", s.net.now)
    s.net.run()
    partial = s.bodies()[-1]
    assert not partial.rlmi.full_state and partial.rlmi.version == body.rlmi.version + 1
    assert s.notifies()[-1].cseq.seq == resumed.cseq.seq + 1

    assert in_dialog(s.net, s.alice, accepted, 1800).status == 200   # the refresh in the old dialog
    assert list(kept.subscriptions.values())[0].expires_at == s.net.now + 1800
    assert in_dialog(s.net, s.alice, accepted, 0).status == 200
    assert not kept.subscriptions


def test_expired_subscriptions_and_deleted_owners_are_not_restored() -> None:
    kept = KeptState()
    s = Setup()
    s.server.persistence = kept
    subscribe(s.net, s.alice, expires=120)
    frozen = dict(kept.subscriptions)
    s.net.now += 200
    kept.subscriptions = dict(frozen)
    assert len(restarted(s, kept, PresenceBoard())) == 0

    s.net.now -= 200
    kept.subscriptions = dict(frozen)
    del s.net.users._users[("alice", DOMAIN)]   # the user was deleted while ucd was down
    assert len(restarted(s, kept, PresenceBoard())) == 0
    assert not kept.subscriptions   # the deleted owner's row goes too
