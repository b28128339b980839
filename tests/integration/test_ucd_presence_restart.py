"""Presence state across a real ucd restart (SIGTERM, then a new process on the same data
directory and UDP port), driven by Python UDP clients with digest credentials:

- a watcher's presence subscription goes on in its dialog: after the restart it is sent
  the current state, then the publisher's Busy, each NOTIFY with a CSeq above every one it
  got before, and its in-dialog refresh SUBSCRIBE is accepted (not 481);
- a publication's entity tag from before the restart modifies and refreshes it after;
- the user's watcher-information subscription gets the watcher list in its dialog;
- a publication and a subscription that expired while ucd was down are not restored, and
  their watcher gets no NOTIFY for them;
- after a crash (SIGKILL: nothing flushed at exit), what the write-behind queue had
  written is restored, and the watcher's next NOTIFY is still above every CSeq it got.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import time
from pathlib import Path

from presence_udp import UdpUser as Client, pidf, shown_state
from uc_signal.sip import Request, Response
from ucd_harness import Ucd, start_ucd, ucctl_json

SETTINGS = {"auth": {"algorithms": ["MD5"]}, "presence": {"min_expires": 1, "state_flush_interval": 0.1}}


def state(notify: Request) -> str:
    return shown_state(notify.body)


def publish(client: Client, body: str, etag: str = "", expires: int = 600) -> Response:
    headers = f"Event: presence\r\nExpires: {expires}\r\n" + (f"SIP-If-Match: {etag}\r\n" if etag else "")
    return client.request("PUBLISH", client.aor, f"pub-{client.user}", headers, body)


def restarted(tmp_path: Path, ucd: Ucd, down_until: float = 0.0) -> Ucd:
    """SIGTERM, then (not before the monotonic time `down_until`) ucd again on the same
    data and the same UDP port (where the watchers' dialogs point)."""
    port = ucd.sip_address("UDP")[1]
    assert ucd.stop() == 0, ucd.output()
    assert "presence state persisted" in ucd.output()
    time.sleep(max(0.0, down_until - time.monotonic()))
    return start_ucd(tmp_path, {**SETTINGS, "sip": {"udp_port": port}})


def test_presence_publications_and_subscriptions_survive_a_restart(tmp_path: Path) -> None:
    ucd = start_ucd(tmp_path, SETTINGS)
    clients: list[Client] = []
    try:
        ucd.add_users("alice", "bob", "carol", "dave")
        alice, bob, carol, dave = (Client(user, ucd.sip_address("UDP")) for user in ("alice", "bob", "carol", "dave"))
        clients += [alice, bob, carol, dave]

        subscribed = bob.request("SUBSCRIBE", alice.aor, "bob-watches-alice", "Event: presence\r\nExpires: 600\r\n")
        assert subscribed.status == 200 and subscribed.to is not None and subscribed.to.tag
        assert state(bob.notify()) == "Offline"
        published = publish(alice, pidf("alice"))
        etag = published.headers.get("SIP-ETag") or ""
        assert published.status == 200 and etag
        assert state(bob.notify()) == "Available"
        assert alice.request("SUBSCRIBE", alice.aor, "alice-watches-watchers",
                             "Event: presence.winfo\r\nExpires: 600\r\n").status == 200
        assert b"sip:bob@" in alice.notify().body
        # What expires while ucd is down: dave's publication, carol's subscription to dave.
        expired_by = time.monotonic() + 2.5
        assert publish(dave, pidf("dave", "<rpid:away/>"), expires=2).status == 200
        assert carol.request("SUBSCRIBE", dave.aor, "carol-watches-dave",
                             "Event: presence\r\nExpires: 2\r\n").status == 200
        assert state(carol.notify()) == "Away"
        last_cseq = max(n.cseq.seq for n in bob.notifies)

        ucd = restarted(tmp_path, ucd, down_until=expired_by)
        assert re.search(r"presence state restored publications=1 subscriptions=2", ucd.output()), ucd.output()
        watchers = alice.notify()   # the winfo subscriber: the watcher list as it is now
        assert watchers.headers.get("Call-ID") == "alice-watches-watchers" and watchers.cseq.seq > 1
        assert b"sip:bob@" in watchers.body

        resumed = bob.notify()   # the current state at once, in the old dialog
        assert resumed.cseq.seq > last_cseq and state(resumed) == "Available"
        assert resumed.headers.get("Call-ID") == "bob-watches-alice"
        assert resumed.from_.tag == subscribed.to.tag and resumed.to.tag == "bob-tag"

        modified = publish(alice, pidf("alice", "<rpid:busy/>"), etag)   # the entity tag from before
        assert modified.status == 200
        busy = bob.notify()
        assert state(busy) == "Busy" and busy.cseq.seq == resumed.cseq.seq + 1
        refreshed = publish(alice, "", modified.headers.get("SIP-ETag") or "")
        assert refreshed.status == 200 and refreshed.headers.get("SIP-ETag")
        assert ucctl_json(ucd, "presence", "show", "alice")["availability"] == "busy"

        again = bob.request("SUBSCRIBE", subscribed.contact[0].uri_text, "bob-watches-alice",
                            "Event: presence\r\nExpires: 600\r\n",
                            to=f"<{alice.aor}>;tag={subscribed.to.tag}")
        assert again.status == 200   # the in-dialog refresh: the dialog is known
        assert bob.notify().cseq.seq == busy.cseq.seq + 1

        assert ucctl_json(ucd, "presence", "show", "dave")["availability"] == "offline"
        # Nothing from a restored subscription for the one that expired (on a slow machine
        # the old process may have ended it with a terminated NOTIFY before it stopped).
        assert all(n.headers.get("Subscription-State", "").startswith("terminated") for n in carol.quiet(1.0))
    finally:
        for client in clients:
            client.close()
        if ucd.proc.poll() is None:
            assert ucd.stop() == 0, ucd.output()


def stored(ucd: Ucd) -> tuple[int, list[str]]:
    """How many subscriptions, and which publications' entity tags, the store holds."""
    with sqlite3.connect(ucd.data_dir / "ucd.sqlite3") as db:
        count = int(db.execute("SELECT count(*) FROM presence_subscriptions").fetchone()[0])
        return count, [row[0] for row in db.execute("SELECT etag FROM presence_publications")]


def test_after_a_crash_the_watcher_still_gets_notifies_above_its_last_cseq(tmp_path: Path) -> None:
    ucd = start_ucd(tmp_path, SETTINGS)
    clients: list[Client] = []
    try:
        ucd.add_users("alice", "bob")
        alice, bob = (Client(user, ucd.sip_address("UDP")) for user in ("alice", "bob"))
        clients += [alice, bob]
        assert bob.request("SUBSCRIBE", alice.aor, "bob-watches-alice",
                           "Event: presence\r\nExpires: 600\r\n").status == 200
        bob.notify()
        etag = publish(alice, pidf("alice")).headers.get("SIP-ETag") or ""
        for activity in ("<rpid:busy/>", "<rpid:away/>", ""):   # more NOTIFYs after the subscription was saved
            etag = publish(alice, pidf("alice", activity), etag).headers.get("SIP-ETag") or ""
            bob.notify()
        last_cseq = max(n.cseq.seq for n in bob.notifies)
        for _ in range(200):   # the write-behind queue's batches are in the store (bounded wait)
            if stored(ucd) == (1, [etag]):
                break
            time.sleep(0.05)
        assert stored(ucd) == (1, [etag])

        port = ucd.sip_address("UDP")[1]
        ucd.stop(signal.SIGKILL)
        ucd = start_ucd(tmp_path, {**SETTINGS, "sip": {"udp_port": port}})
        resumed = bob.notify()
        assert resumed.cseq.seq > last_cseq and resumed.headers.get("Call-ID") == "bob-watches-alice"
        assert state(resumed) == "Available"
    finally:
        for client in clients:
            client.close()
        if ucd.proc.poll() is None:
            assert ucd.stop() == 0, ucd.output()
