"""Presence in a real ucd: users registered over UDP publish and subscribe with digest
credentials; NOTIFYs follow every change; `ucctl presence relationship set ... blocked`
turns the watcher's view to Offline at once; malformed PIDF and an XML bomb get 400 and
change nothing; relationships survive a restart (the store)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from presence_udp import DOMAIN, pidf, shown_state
from ucd_harness import start_ucd, ucctl_json

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.loadgen.presence_agents import Agent, Agents, notify_request  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "presence"


def one(agents: Agents, agent: Agent, method: str, uri: str, *, call_id: str, extra: str = "", body: str = "",
        to: str | None = None) -> int:
    result = agents.transact([(agent, lambda auth: agent.build(method, uri, to=to, call_id=call_id,
                                                               extra=extra + auth, body=body))],
                             method=method, uri_of=lambda _a: uri)
    return result[agent].status if agent in result else 0


def publish(agents: Agents, agent: Agent, body: str | None, etag: str = "", *, content_type: str =
            "application/pidf+xml") -> tuple[int, str]:
    extra = "Event: presence\r\nExpires: 600\r\n" + (f"SIP-If-Match: {etag}\r\n" if etag else "")
    if body:
        extra += f"Content-Type: {content_type}\r\n"
    uri = agent.aor
    result = agents.transact([(agent, lambda auth: agent.build("PUBLISH", uri, call_id=f"pub-{agent.user}",
                                                               extra=extra + auth, body=body or ""))],
                             method="PUBLISH", uri_of=lambda _a: uri)
    response = result[agent]
    return response.status, response.headers.get("SIP-ETag") or ""


def state(raw: bytes) -> str:
    return shown_state(notify_request(raw).body)


def test_presence_through_ucd(tmp_path):
    ucd = start_ucd(tmp_path)
    agents = None
    try:
        ucd.add_users("alice", "bob")
        agents = Agents(ucd.sip_address("UDP"), DOMAIN)
        alice, bob = agents.add("alice", "alice-pw"), agents.add("bob", "bob-pw")
        for agent in (alice, bob):
            assert one(agents, agent, "REGISTER", f"sip:{DOMAIN}", to=agent.aor, call_id=f"reg-{agent.user}",
                       extra="Expires: 600\r\n") == 200
        assert one(agents, bob, "SUBSCRIBE", alice.aor, call_id="sub-1",
                   extra="Event: presence\r\nExpires: 600\r\n") == 200
        assert agents.wait(lambda: len(bob.notifies) == 1, 10)
        assert state(bob.notifies[-1][1]) == "Offline"

        status, etag = publish(agents, alice, pidf("alice"))
        assert status == 200 and etag
        assert agents.wait(lambda: len(bob.notifies) == 2, 10)
        assert state(bob.notifies[-1][1]) == "Available"
        status, etag = publish(agents, alice, pidf("alice", "<rpid:busy/>"), etag)
        assert status == 200
        assert agents.wait(lambda: len(bob.notifies) == 3, 10)
        assert state(bob.notifies[-1][1]) == "Busy"
        assert ucctl_json(ucd, "presence", "show", "alice")["availability"] == "busy"

        for name in ("billion_laughs_invalid.xml", "external_entity_invalid.xml", "truncated_invalid.xml"):
            assert publish(agents, alice, (FIXTURES / name).read_text(), etag)[0] == 400, name
        assert publish(agents, alice, pidf("alice"), "no-such-etag")[0] == 412
        agents.pump(0.3)
        assert len(bob.notifies) == 3
        assert ucctl_json(ucd, "presence", "show", "alice")["availability"] == "busy"

        ucd.ucctl("presence", "relationship", "set", "alice", "bob", "blocked")
        assert agents.wait(lambda: len(bob.notifies) == 4, 10)
        assert state(bob.notifies[-1][1]) == "Offline"
        settings = ucctl_json(ucd, "presence", "settings", "alice", "--title", "CTO", "--work-phone", "+1 555 0100")
        assert settings["card"]["title"] == "CTO"
    finally:
        if agents is not None:
            agents.close()
        assert ucd.stop() == 0, ucd.output()
    again = start_ucd(tmp_path)
    try:
        listed = ucctl_json(again, "presence", "relationship", "list", "alice")
        assert [(row["watcher"], row["relationship"]) for row in listed] == [(f"sip:bob@{DOMAIN}", "blocked")]
        assert json.loads(again.ucctl("presence", "settings", "alice", "--json").stdout)["card"]["title"] == "CTO"
    finally:
        assert again.stop() == 0, again.output()
