"""Real softphones and presence through ucd.

- baresip 1.0 (presence module) signs in as alice: it publishes its state (its publisher
  knows only open and closed: `/presence_online` Available, `/presence_offline` Offline,
  typed on its stdin) and watches carol (a contact with `;presence=p2p`).
- linphonec 5.1 signs in as bob and watches alice and carol (friends with subscribe=1).
  linphonec 5.1 has no command that sets its own presence (the old `status` verbs are
  gone), so Busy and Do Not Disturb are published by carol, a UDP user agent of the
  test's own (benchmarks/loadgen/presence_agents.py), with RPID bodies.
- Both peers see carol go Available -> Busy -> Do Not Disturb; bob (linphonec) sees alice
  (baresip) go Available -> Offline -> Available; after `ucctl presence relationship set carol alice blocked` baresip sees carol
  Offline (basic closed), and after `... set alice bob blocked` linphonec sees alice Offline.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from peers import baresip_config, baresip_sip_port, linphone_env, linphone_ports, linphone_rc, stop
from ucd_harness import start_ucd, ucctl_json

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.loadgen.presence_agents import Agents  # noqa: E402

pytestmark = pytest.mark.peer
DOMAIN = "example.test"
WAIT = 20.0
PIDF = ('<?xml version="1.0" encoding="UTF-8"?><presence xmlns="urn:ietf:params:xml:ns:pidf" '
        'xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" '
        f'entity="sip:carol@{DOMAIN}"><tuple id="t"><status><basic>open</basic></status></tuple>%s</presence>')
BUSY = '<dm:person id="p"><rpid:activities><rpid:busy/></rpid:activities></dm:person>'
DND = '<dm:person id="p"><rpid:activities><rpid:busy/><rpid:other>Do Not Disturb</rpid:other></rpid:activities></dm:person>'


def wait_for(path: Path, pattern: str, what: str) -> None:
    deadline = time.monotonic() + WAIT
    regex = re.compile(pattern, re.S)
    while time.monotonic() < deadline:
        if path.exists() and regex.search(path.read_text(errors="replace")):
            return
        time.sleep(0.2)
    raise AssertionError(f"{what}: no {pattern!r} in {path.name}:\n" + (path.read_text(errors="replace")[-4000:]
                                                                        if path.exists() else "(no log)"))


def wait_count(path: Path, pattern: str, count: int, what: str) -> None:
    """Until `pattern` occurs `count` times in the log (a state seen again)."""
    deadline = time.monotonic() + WAIT
    while len(re.findall(pattern, path.read_text(errors="replace") if path.exists() else "")) < count:
        assert time.monotonic() < deadline, f"{what}: {pattern!r} not {count} times in {path.name}"
        time.sleep(0.2)


def notify_bodies(log: Path, entity: str) -> list[str]:
    """The PIDF bodies of the NOTIFYs baresip's SIP trace (-s) shows for `entity`."""
    text = log.read_text(errors="replace")
    return [m.group(0) for m in re.finditer(r"<presence[^>]*entity=\"" + re.escape(entity) + r"\".*?</presence>",
                                            text, re.S)
            if "NOTIFY sip:" in text[max(0, m.start() - 2500):m.start()]]


def test_baresip_and_linphonec_watch_presence_through_ucd(tmp_path):
    for program in ("baresip", "linphonec"):
        assert shutil.which(program), f"{program} is not installed (make test installs it)"
    ucd = start_ucd(tmp_path)
    baresip = linphone = None
    agents = None
    try:
        ucd.add_users("alice", "bob", "carol")
        host, port = ucd.sip_address("UDP")
        agents = Agents((host, port), DOMAIN)
        carol = agents.add("carol", "carol-pw")

        def publish(body: str, etag: str = "") -> str:
            extra = ("Event: presence\r\nExpires: 600\r\nContent-Type: application/pidf+xml\r\n"
                     + (f"SIP-If-Match: {etag}\r\n" if etag else ""))
            done = agents.transact([(carol, lambda auth: carol.build("PUBLISH", carol.aor, call_id="carol-pub",
                                                                     extra=extra + auth, body=body))],
                                   method="PUBLISH", uri_of=lambda _a: carol.aor)
            assert done[carol].status == 200, done[carol]
            return done[carol].headers.get("SIP-ETag") or ""

        etag = publish(PIDF % "")
        account = (f'<sip:alice@{DOMAIN}>;auth_pass=alice-pw;outbound="sip:{host}:{port}";regint=600;pubint=600')
        conf = baresip_config(tmp_path / "baresip", baresip_sip_port(), account, modules=("g711.so", "stdio.so"),
                              extra="module_app contact.so\nmodule_app presence.so\n")
        (conf / "contacts").write_text(f'"Carol" <sip:carol@{DOMAIN}>;presence=p2p\n')
        baresip_log = tmp_path / "baresip.log"
        baresip = subprocess.Popen(["timeout", "90", "baresip", "-4", "-f", str(conf), "-n", "127.0.0.1", "-s"],
                                   stdin=subprocess.PIPE, stdout=baresip_log.open("w"), stderr=subprocess.STDOUT)

        rc = linphone_rc(tmp_path / "linphonerc", *linphone_ports())
        rc.write_text(rc.read_text() + (
            f"[proxy_0]\nreg_proxy=<sip:{host}:{port}>\nreg_route=<sip:{host}:{port};lr>\nreg_identity=sip:bob@{DOMAIN}\nreg_expires=600\n"
            "reg_sendregister=1\n"
            f"[auth_info_0]\nusername=bob\npasswd=bob-pw\nrealm={DOMAIN}\ndomain={DOMAIN}\n"))
        linphone_log = tmp_path / "linphone.log"
        linphone = subprocess.Popen(["timeout", "90", "linphonec", "-c", str(rc), "-d", "6"], cwd=tmp_path,
                                    env=linphone_env(tmp_path / "home"), stdin=subprocess.PIPE,
                                    stdout=linphone_log.open("w"), stderr=subprocess.STDOUT)

        # Friends are added once bob is registered: before that, linphone sends their
        # SUBSCRIBEs to the domain itself (no DNS here) and does not retry.
        deadline = time.monotonic() + WAIT
        while not any(b["aor"] == f"sip:bob@{DOMAIN}" for b in ucctl_json(ucd, "registrations")):
            assert time.monotonic() < deadline, "linphonec never registered\n" + linphone_log.read_text()[-3000:]
            time.sleep(0.3)
        assert linphone.stdin is not None
        for name in ("Alice", "Carol"):
            linphone.stdin.write(f"friend add {name} sip:{name.lower()}@{DOMAIN}\n".encode())
        linphone.stdin.flush()
        # baresip publishes open: alice is Available, and linphonec (bob) is told so.
        deadline = time.monotonic() + WAIT
        while ucctl_json(ucd, "presence", "show", "alice")["availability"] != "available":
            assert time.monotonic() < deadline, "baresip never published\n" + baresip_log.read_text()[-3000:]
            time.sleep(0.3)
        wait_for(linphone_log, r'notified that [^\n]*sip:alice@example.test[^\n]* has presence \[open\]',
                 "linphonec sees alice Available")
        wait_for(baresip_log, r"entity=\"sip:carol@example.test\".*?<ucs:state>Available<", "baresip sees carol")
        wait_for(linphone_log, r'notified that [^\n]*sip:carol@example.test[^\n]* has presence \[open\]',
                 "linphonec sees carol Available")

        etag = publish(PIDF % BUSY, etag)
        wait_for(baresip_log, r"<rpid:busy/>.{0,200}<ucs:state>Busy<", "baresip sees carol Busy")
        wait_for(linphone_log, r'[^\n]*sip:carol@example.test[^\n]* has presence \[busy\]',
                 "linphonec sees carol Busy")
        etag = publish(PIDF % DND, etag)
        wait_for(baresip_log, r"<ucs:state>Do Not Disturb<", "baresip sees carol Do Not Disturb")
        wait_for(linphone_log, r'[^\n]*sip:carol@example.test[^\n]* has presence \[other: Do Not Disturb\]',
                 "linphonec sees carol Do Not Disturb")

        # baresip publishes Offline, then Available again; linphonec follows.
        alice_open = r'sip:alice@example.test[^\n]* has presence \[open\]'
        alice_closed = r'sip:alice@example.test[^\n]* has presence \[closed\]'
        closed_before = len(re.findall(alice_closed, linphone_log.read_text(errors="replace")))
        open_before = len(re.findall(alice_open, linphone_log.read_text(errors="replace")))
        assert baresip.stdin is not None
        baresip.stdin.write(b"/presence_offline\n")
        baresip.stdin.flush()
        wait_count(linphone_log, alice_closed, closed_before + 1, "linphonec sees alice (baresip) Offline")
        assert ucctl_json(ucd, "presence", "show", "alice")["availability"] == "offline"
        baresip.stdin.write(b"/presence_online\n")
        baresip.stdin.flush()
        wait_count(linphone_log, alice_open, open_before + 1, "linphonec sees alice (baresip) Available again")

        ucd.ucctl("presence", "relationship", "set", "carol", "alice", "blocked")
        ucd.ucctl("presence", "relationship", "set", "alice", "bob", "blocked")
        wait_count(linphone_log, alice_closed, closed_before + 2, "linphonec sees alice Offline once blocked")
        deadline = time.monotonic() + WAIT
        while True:
            bodies = notify_bodies(baresip_log, f"sip:carol@{DOMAIN}")
            if bodies and "<basic>closed</basic>" in bodies[-1]:
                break
            assert time.monotonic() < deadline, "baresip never saw carol Offline:\n" + "\n".join(bodies[-2:])
            time.sleep(0.2)
        assert "<ucs:state>Offline</ucs:state>" in bodies[-1]
    finally:
        for proc in (baresip, linphone):
            if proc is not None and proc.poll() is None:
                if proc.stdin is not None:
                    try:
                        proc.stdin.write(b"quit\n" if proc is linphone else b"q\n")
                        proc.stdin.flush()
                    except BrokenPipeError:
                        pass
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    stop([proc])   # through `timeout` to the peer: peers.stop
        if agents is not None:
            agents.close()
        assert ucd.stop() == 0, ucd.output()
