"""IM through a real ucd (subprocess, loopback): a MESSAGE delivered and archived, the
history listed and searched through the admin API and ucctl, an offline message that
survives a restart and is delivered on register, a multiparty conversation, 413 and
the filter from the configuration."""

from __future__ import annotations

import json

from ucd_harness import Ucd, start_ucd

from sip_udp_agent import UdpAgent

DOMAIN = "example.test"
SETTINGS = {"im": {"max_size": 500, "filter_block_urls": ["*://*.malware.test/*"], "blocked_extensions": ["exe"]}}


def agent(ucd: Ucd, user: str, answer: int = 200) -> UdpAgent:
    return UdpAgent(user, f"pw-{user}", DOMAIN, ucd.sip_address("UDP"), answer=answer)


def add_users(ucd: Ucd, *names: str) -> None:
    for name in names:
        ucd.ucctl("user", "add", name, "--password", f"pw-{name}")


def test_im_delivered_archived_listed_and_searched(tmp_path) -> None:
    ucd = start_ucd(tmp_path, SETTINGS)
    agents: list[UdpAgent] = []
    try:
        add_users(ucd, "alice", "bob")
        alice, bob = agent(ucd, "alice"), agent(ucd, "bob")
        agents += [alice, bob]
        assert alice.register().status == 200 and bob.register().status == 200
        answer = alice.message(bob.aor, "Quarterly numbers are in")
        assert answer.status == 200
        assert bob.wait_messages(1)[0].body == b"Quarterly numbers are in"
        assert alice.message(bob.aor, "x" * 501).status == 413
        blocked = alice.message(bob.aor, "get http://www.malware.test/a")
        assert blocked.status == 403 and "blocked" in (blocked.reason or "")
        history = json.loads(ucd.ucctl("im", "history", "--user", "alice", "--json").stdout)
        assert [(h["sender"], h["recipient"], h["text"]) for h in history] == [
            (alice.aor, bob.aor, "Quarterly numbers are in")]
        found = json.loads(ucd.ucctl("im", "search", "QUARTERLY", "--json").stdout)
        assert len(found) == 1
        assert json.loads(ucd.ucctl("im", "search", "nothing like it", "--json").stdout) == []
        assert "Quarterly numbers are in" in ucd.ucctl("im", "history", "--peer", "bob").stdout
        with ucd.api() as client:
            response = client.get("/api/v1/im/history", params={"user": "bob", "since": history[0]["delivered_at"]})
            assert response.status_code == 200 and len(response.json()) == 1
            later = client.get("/api/v1/im/history", params={"since": history[0]["delivered_at"] + 1})
            assert later.json() == []
            assert client.get("/api/v1/im/history", params={"limit": 0}).status_code == 422
        bad = ucd.ucctl("im", "history", "--since", "yesterday", check=False)
        assert bad.returncode == 2 and "--since" in bad.stderr
    finally:
        for a in agents:
            a.close()
        assert ucd.stop() == 0, ucd.output()


def test_an_offline_message_survives_a_restart_and_is_delivered_on_register(tmp_path) -> None:
    ucd = start_ucd(tmp_path, SETTINGS)
    add_users(ucd, "alice", "carol")
    alice = agent(ucd, "alice")
    try:
        assert alice.register().status == 200
        assert alice.message(f"sip:carol@{DOMAIN}", "see you tomorrow").status == 202
        with ucd.api() as client:
            waiting = client.get("/api/v1/im/offline", params={"user": "carol"}).json()
        assert [(w["sender"], w["size"]) for w in waiting] == [(alice.aor, len("see you tomorrow"))]
    finally:
        alice.close()
        assert ucd.stop() == 0, ucd.output()
    ucd = start_ucd(tmp_path, SETTINGS, data_dir=ucd.data_dir)
    carol = agent(ucd, "carol")
    try:
        assert carol.register().status == 200
        delivered = carol.wait_messages(1)
        assert [m.body for m in delivered] == [b"see you tomorrow"]
        assert delivered[0].headers.get("Date") is not None
        history = json.loads(ucd.ucctl("im", "history", "--user", "carol", "--json").stdout)
        assert [h["text"] for h in history] == ["see you tomorrow"]
        with ucd.api() as client:
            assert client.get("/api/v1/im/offline").json() == []
    finally:
        carol.close()
        assert ucd.stop() == 0, ucd.output()


def test_a_multiparty_conversation_through_ucd(tmp_path) -> None:
    ucd = start_ucd(tmp_path, SETTINGS)
    agents: list[UdpAgent] = []
    try:
        add_users(ucd, "alice", "bob", "carol", "dave")
        agents += [agent(ucd, name) for name in ("alice", "bob", "carol", "dave")]
        alice, bob, carol, dave = agents
        for a in agents:
            assert a.register().status == 200
        created = alice.message(f"sip:chat@{DOMAIN}", "/invite bob carol")
        assert created.status == 200
        uri = (created.headers.get("Contact") or "").strip("<>")
        assert uri.startswith("sip:chat-")
        for a in (alice, bob, carol):
            a.wait_messages(1)
        assert bob.message(uri, "hello everyone").status == 202
        assert carol.wait_messages(2)[-1].body == b"hello everyone"
        assert dave.message(uri, "hi, dave here").status == 202   # dave joins by writing to it
        assert alice.message(uri, "welcome dave").status == 202
        assert any(m.body == b"welcome dave" for m in dave.wait_messages(2))
        conversations = json.loads(ucd.ucctl("im", "conversations", "--json").stdout)
        assert conversations[0]["uri"] == uri and dave.aor in conversations[0]["participants"]
        texts = [h["text"] for h in json.loads(ucd.ucctl("im", "history", "--peer", uri, "--json").stdout)]
        assert texts.count("hello everyone") == 2 and texts.count("welcome dave") == 3
        assert texts.count("hi, dave here") == 3
    finally:
        for a in agents:
            a.close()
        assert ucd.stop() == 0, ucd.output()
