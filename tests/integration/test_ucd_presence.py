"""Presence in a real ucd: users registered over UDP publish and subscribe with digest
credentials; NOTIFYs follow every change; `ucctl presence relationship set ... blocked`
turns the watcher's view to Offline at once; malformed PIDF and an XML bomb get 400 and
change nothing; relationships survive a restart (the store)."""

from __future__ import annotations

import json
from pathlib import Path

from presence_udp import DOMAIN, UdpUser, pidf, shown_state
from ucd_harness import start_ucd, ucctl_json

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "presence"


def publish(user: UdpUser, body: str, etag: str = "") -> tuple[int, str]:
    headers = "Event: presence\r\nExpires: 600\r\n" + (f"SIP-If-Match: {etag}\r\n" if etag else "")
    response = user.request("PUBLISH", user.aor, f"pub-{user.user}", headers, body)
    return response.status, response.headers.get("SIP-ETag") or ""


def test_presence_through_ucd(tmp_path: Path) -> None:
    ucd = start_ucd(tmp_path)
    users: list[UdpUser] = []
    try:
        ucd.add_users("alice", "bob")
        alice, bob = UdpUser("alice", ucd.sip_address("UDP")), UdpUser("bob", ucd.sip_address("UDP"))
        users += [alice, bob]
        for user in (alice, bob):
            assert user.register().status == 200
        assert bob.request("SUBSCRIBE", alice.aor, "sub-1", "Event: presence\r\nExpires: 600\r\n").status == 200
        assert shown_state(bob.notify().body) == "Offline"

        status, etag = publish(alice, pidf("alice"))
        assert status == 200 and etag
        assert shown_state(bob.notify().body) == "Available"
        status, etag = publish(alice, pidf("alice", "<rpid:busy/>"), etag)
        assert status == 200
        assert shown_state(bob.notify().body) == "Busy"
        assert ucctl_json(ucd, "presence", "show", "alice")["availability"] == "busy"

        for name in ("billion_laughs_invalid.xml", "external_entity_invalid.xml", "truncated_invalid.xml"):
            assert publish(alice, (FIXTURES / name).read_text(), etag)[0] == 400, name
        assert publish(alice, pidf("alice"), "no-such-etag")[0] == 412
        assert bob.quiet(0.3) == []   # a retransmitted NOTIFY is answered, not counted
        assert len(bob.notifies) == 3
        assert ucctl_json(ucd, "presence", "show", "alice")["availability"] == "busy"

        ucd.ucctl("presence", "relationship", "set", "alice", "bob", "blocked")
        assert shown_state(bob.notify().body) == "Offline"
        settings = ucctl_json(ucd, "presence", "settings", "alice", "--title", "CTO", "--work-phone", "+1 555 0100")
        assert settings["card"]["title"] == "CTO"
    finally:
        for user in users:
            user.close()
        assert ucd.stop() == 0, ucd.output()
    again = start_ucd(tmp_path)
    try:
        listed = ucctl_json(again, "presence", "relationship", "list", "alice")
        assert [(row["watcher"], row["relationship"]) for row in listed] == [(f"sip:bob@{DOMAIN}", "blocked")]
        assert json.loads(again.ucctl("presence", "settings", "alice", "--json").stdout)["card"]["title"] == "CTO"
    finally:
        assert again.stop() == 0, again.output()
