"""Presence across a restart, sans-IO: the presence agent reports its publications and
subscriptions to a persistence sink; a new service and agent built from what the sink
kept (the in-memory network's services rebuilt: a restart) go on where the old ones
stopped: the watcher gets NOTIFYs in the same dialog with CSeqs above every one it got,
its in-dialog refresh is accepted, a publication's entity tag still refreshes and
modifies it, user-set state, note and custom state survive; expired state is not
restored."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uc_signal.presence import (Availability, CustomState, PresenceApplication, PresenceConfig, PresenceService,
                                presence_application)
from uc_signal.presence.persistence import (CSEQ_MARGIN, StoredPublication, StoredSubscription, next_save_at,
                                            publications_of)
from uc_signal.sip import Request

from presence_network import BUSY, PresenceNet, aor, pidf, presence_net, state_of, subscription_state

CUSTOM = (CustomState("Writing a report", Availability.DO_NOT_DISTURB),)


class KeptState:
    """The sink as a dict of the newest records (what the store would hold)."""

    def __init__(self) -> None:
        self.publications: dict[str, StoredPublication] = {}
        self.subscriptions: dict[tuple[str, str], StoredSubscription] = {}
        self.saves = 0

    def publication_saved(self, publication: StoredPublication, replaces: str | None) -> None:
        if replaces is not None:
            self.publications.pop(replaces, None)
        self.publications[publication.etag] = publication

    def publication_refreshed(self, old_etag: str, etag: str, expires_at: float) -> None:
        old = self.publications.pop(old_etag)
        self.publications[etag] = StoredPublication(etag, old.aor, old.document, old.endpoint, expires_at,
                                                    old.published_at, old.last_input)

    def publication_removed(self, etag: str) -> None:
        self.publications.pop(etag, None)

    def subscription_saved(self, subscription: StoredSubscription) -> None:
        self.saves += 1
        self.subscriptions[(subscription.application, subscription.key)] = subscription

    def subscription_removed(self, application: str, key: str) -> None:
        self.subscriptions.pop((application, key), None)


def agent_of(pnet: PresenceNet) -> PresenceApplication:
    return next(a for a in pnet.net.core.chain if isinstance(a, PresenceApplication))


def started(kept: KeptState, config: PresenceConfig | None = None) -> PresenceNet:
    pnet = presence_net(config)
    agent_of(pnet).persistence = kept
    return pnet


def restart(pnet: PresenceNet, kept: KeptState, config: PresenceConfig | None = None) -> PresenceApplication:
    """A new service and agent over the same network and clients, from what was kept."""
    now = pnet.net.now
    service = PresenceService(config or PresenceConfig())
    service.restore_publications(publications_of(kept.publications.values(), service.config.custom_states), now)
    pnet.service = service
    pnet.net.applications = (presence_application(service),)
    pnet.net.start_services()
    agent = agent_of(pnet)
    agent.persistence = kept
    agent.restore(list(kept.subscriptions.values()), now)
    return agent


def cseqs(notifies: list[Request]) -> list[int]:
    return [n.cseq.seq for n in notifies]


def test_a_watcher_goes_on_getting_notifies_in_its_dialog_after_a_restart() -> None:
    kept = KeptState()
    pnet = started(kept)
    alice, bob = pnet.agent("alice", "10.0.0.1"), pnet.agent("bob", "10.0.0.2")
    ok = pnet.subscribe(bob, aor("alice"))
    assert ok.status == 200
    published = pnet.publish(alice, pidf("alice"))
    etag = published.headers.get("SIP-ETag")
    assert state_of(pnet.last_notify(bob)) == "Available"
    before = pnet.notifies(bob)
    assert cseqs(before) == [1, 2]
    assert len(kept.subscriptions) == 1 and len(kept.publications) == 1

    agent = restart(pnet, kept)
    assert len(agent.subscriptions) == 1
    pnet.net.advance(0.5)   # the restored watcher is sent the current state at once
    resumed = pnet.last_notify(bob)
    assert resumed.cseq.seq > 2 and state_of(resumed) == "Available"
    assert resumed.headers.get("Call-ID") == ok.call_id and resumed.from_.tag == ok.to.tag

    modified = pnet.publish(alice, pidf("alice", activities=BUSY), etag=etag)   # the old entity tag
    assert modified.status == 200
    busy = pnet.last_notify(bob)
    assert state_of(busy) == "Busy" and busy.cseq.seq == resumed.cseq.seq + 1

    refreshed = pnet.resubscribe(bob, ok, expires=600)   # in the old dialog: accepted
    assert refreshed.status == 200
    assert pnet.last_notify(bob).cseq.seq == busy.cseq.seq + 1
    assert subscription_state(pnet.last_notify(bob)).startswith("active")


def test_a_publication_refresh_with_its_entity_tag_works_after_a_restart() -> None:
    kept = KeptState()
    config = PresenceConfig(custom_states=CUSTOM)
    pnet = started(kept, config)
    alice = pnet.agent("alice", "10.0.0.1")
    custom = pidf("alice", activities="<rpid:other>Writing a report</rpid:other>", note="back at 3")
    etag = pnet.publish(alice, custom, expires=600).headers.get("SIP-ETag")
    restart(pnet, kept, config)
    shown = pnet.service.aggregate(aor("alice"), pnet.net.now)
    assert (shown.availability, shown.custom, shown.note) == (Availability.DO_NOT_DISTURB, "Writing a report",
                                                              "back at 3")
    [publication] = pnet.service.publications(aor("alice"))
    assert publication.etag == etag and publication.state.user_set

    refreshed = pnet.publish(alice, None, etag=etag, expires=600)
    assert refreshed.status == 200
    new_etag = refreshed.headers.get("SIP-ETag")
    assert new_etag and new_etag != etag and list(kept.publications) == [new_etag]
    assert pnet.publish(alice, None, etag=etag, expires=600).status == 412   # the old tag is spent
    removed = pnet.publish(alice, None, etag=new_etag, expires=0)
    assert removed.status == 200 and not kept.publications


def test_expired_state_is_not_restored() -> None:
    kept = KeptState()
    pnet = started(kept)
    alice, bob = pnet.agent("alice", "10.0.0.1"), pnet.agent("bob", "10.0.0.2")
    pnet.subscribe(bob, aor("alice"), expires=120)
    pnet.publish(alice, pidf("alice"), expires=120)
    frozen = dict(kept.subscriptions), dict(kept.publications)   # the process dies here
    pnet.net.now += 200                                           # down for longer than both live
    kept.subscriptions, kept.publications = frozen
    notifies = len(pnet.notifies(bob))
    agent = restart(pnet, kept)
    assert not agent.subscriptions and pnet.service.publications(aor("alice")) == []
    pnet.net.advance(1)
    assert len(pnet.notifies(bob)) == notifies   # no terminated NOTIFY for what expired meanwhile


def test_ended_subscriptions_and_removed_publications_leave_the_sink() -> None:
    kept = KeptState()
    pnet = started(kept)
    alice, bob = pnet.agent("alice", "10.0.0.1"), pnet.agent("bob", "10.0.0.2")
    ok = pnet.subscribe(bob, aor("alice"))
    winfo = pnet.subscribe(alice, aor("alice"), event="presence.winfo")
    assert ok.status == winfo.status == 200 and len(kept.subscriptions) == 2
    assert pnet.subscribe(bob, aor("alice"), expires=0).status == 200   # a fetch is never kept
    assert len(kept.subscriptions) == 2
    pnet.resubscribe(bob, ok, expires=0)
    assert [s.package for s in kept.subscriptions.values()] == ["presence.winfo"]
    pnet.net.advance(3700)   # the winfo subscription expires
    assert not kept.subscriptions


def test_the_cseq_mark_is_saved_again_once_half_the_margin_is_used() -> None:
    kept = KeptState()
    pnet = started(kept)
    alice, bob = pnet.agent("alice", "10.0.0.1"), pnet.agent("bob", "10.0.0.2")
    pnet.subscribe(bob, aor("alice"))
    etag = pnet.publish(alice, pidf("alice")).headers.get("SIP-ETag")
    saves = kept.saves
    for turn in range(CSEQ_MARGIN // 2 + 2):   # a NOTIFY per modification
        etag = pnet.publish(alice, pidf("alice", activities=BUSY if turn % 2 else ""), etag=etag).headers.get(
            "SIP-ETag")
    sent = max(cseqs(pnet.notifies(bob)))
    stored = next(iter(kept.subscriptions.values())).dialog.local_seq
    assert kept.saves == saves + 1              # one save for 130 NOTIFYs
    assert sent < stored                        # a restore now would go on above it
    assert next_save_at(sent) < stored


def test_a_subscription_ended_by_a_481_to_its_notify_leaves_the_sink() -> None:
    kept = KeptState()
    pnet = started(kept)
    pnet.agent("alice", "10.0.0.1")
    ghost = pnet.agent("ghost", "10.0.0.9", register=False)
    ghost.autoanswer = lambda event: (481, [])   # "no such subscription" at once
    assert pnet.subscribe(ghost, aor("alice")).status == 200
    assert not agent_of(pnet).subscriptions and not kept.subscriptions


class DurableAtFlush(KeptState):
    """What the store holds after a crash: only the changes written by a flush."""

    def __init__(self) -> None:
        super().__init__()
        self.durable: dict[tuple[str, str], StoredSubscription] = {}

    def flush(self) -> None:
        self.durable = dict(self.subscriptions)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([1, CSEQ_MARGIN // 4, CSEQ_MARGIN // 2 - 2, CSEQ_MARGIN // 2 - 1]),
                min_size=2, max_size=4))
def test_after_a_crash_a_restored_dialog_is_above_every_cseq_sent(bursts: list[int]) -> None:
    """Bursts of NOTIFYs, a flush of the write-behind queue after each, then a crash in
    the middle of one more burst: as long as fewer than half the margin go out between two
    flushes, the restored dialog's next CSeq is above every one the watcher got."""
    kept = DurableAtFlush()
    pnet = started(kept)
    alice, bob = pnet.agent("alice", "10.0.0.1"), pnet.agent("bob", "10.0.0.2")
    pnet.subscribe(bob, aor("alice"))
    etag = pnet.publish(alice, pidf("alice")).headers.get("SIP-ETag")
    kept.flush()
    turn = 0
    for index, burst in enumerate(bursts):
        for _ in range(burst):
            turn += 1
            etag = pnet.publish(alice, pidf("alice", activities=BUSY if turn % 2 else ""), etag=etag).headers.get(
                "SIP-ETag")
        if index < len(bursts) - 1:
            kept.flush()
    sent = max(cseqs(pnet.notifies(bob)))
    kept.subscriptions = dict(kept.durable)   # the crash: what was not flushed is lost
    restart(pnet, kept)
    pnet.net.advance(0.5)
    assert pnet.last_notify(bob).cseq.seq > sent


def test_a_winfo_watcher_gets_the_watcher_list_after_a_restart() -> None:
    kept = KeptState()
    pnet = started(kept)
    alice, bob = pnet.agent("alice", "10.0.0.1"), pnet.agent("bob", "10.0.0.2")
    assert pnet.subscribe(alice, aor("alice"), event="presence.winfo").status == 200
    assert pnet.subscribe(bob, aor("alice")).status == 200
    before = pnet.notifies(alice, "presence.winfo")
    assert b"sip:bob@" in before[-1].body
    restart(pnet, kept)
    pnet.net.run()
    after = pnet.last_notify(alice, "presence.winfo")
    assert after.cseq.seq > before[-1].cseq.seq and b"sip:bob@" in after.body
    assert winfo_version(after) > winfo_version(before[-1])


def winfo_version(notify: Request) -> int:
    found = re.search(rb'<watcherinfo [^>]*version="(\d+)"', notify.body)
    assert found is not None
    return int(found.group(1))
