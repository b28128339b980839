"""IM between real softphones through ucd: linphonec (liblinphone 5) writes to a baresip
user, the MESSAGE arrives (baresip's SIP trace) and lands in the history; a MESSAGE to a
user who is offline is stored (202) and delivered when baresip registers as that user.

liblinphone resolves the Request-URI's host itself (no DNS for example.test here), so
linphonec writes to sip:USER@<ucd's address>, which ucd reads as USER of its domain."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from peers import baresip_config, baresip_sip_port, linphone_env, linphone_ports, linphone_rc, require, run_linphonec
from ucd_harness import Ucd, start_ucd

pytestmark = pytest.mark.peer
DOMAIN = "example.test"
WAIT = 30.0


def start_baresip(ucd: Ucd, tmp_path: Path, user: str) -> tuple[subprocess.Popen[str], Path]:
    baresip = require("baresip")
    host, port = ucd.sip_address("UDP")
    conf = baresip_config(tmp_path / f"baresip-{user}", baresip_sip_port(),
                          f'<sip:{user}@{DOMAIN}>;auth_pass={user}-pw;outbound="sip:{host}:{port}";regint=600')
    trace = tmp_path / f"baresip-{user}.log"
    proc = subprocess.Popen(["timeout", "60", baresip, "-4", "-s", "-f", str(conf), "-n", "127.0.0.1", "-t", "50"],
                            stdout=trace.open("w"), stderr=subprocess.STDOUT, text=True)
    wait_for(lambda: any(b["aor"] == f"sip:{user}@{DOMAIN}"
                         for b in json.loads(ucd.ucctl("registrations", "--json").stdout)),
             f"baresip did not register as {user}")
    return proc, trace


def wait_for(condition, what: str, timeout: float = WAIT) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def linphone_chat(ucd: Ucd, tmp_path: Path, to_user: str, text: str) -> None:
    require("linphonec")
    host, port = ucd.sip_address("UDP")
    home = tmp_path / "linphone-home"
    rc = linphone_rc(tmp_path / "linphonerc", *linphone_ports())
    run_linphonec(rc, [(f"register sip:alice@{DOMAIN} sip:{host}:{port} alice-pw", 3),
                       (f"chat sip:{to_user}@{host}:{port} {text}", 4), ("quit", 1)], 25, cwd=tmp_path,
                  env=linphone_env(home))


def history(ucd: Ucd, user: str) -> list[dict[str, object]]:
    return json.loads(ucd.ucctl("im", "history", "--user", user, "--json").stdout)


def test_linphonec_writes_to_baresip_through_ucd_and_it_is_archived(tmp_path: Path) -> None:
    ucd = start_ucd(tmp_path)
    bob = None
    try:
        ucd.add_users("alice", "bob")
        bob, trace = start_baresip(ucd, tmp_path, "bob")
        linphone_chat(ucd, tmp_path, "bob", "hello from linphone")
        wait_for(lambda: history(ucd, "bob"), "nothing archived for bob")
        archived = history(ucd, "bob")
        assert [(h["sender"], h["recipient"], h["text"]) for h in archived] == [
            (f"sip:alice@{DOMAIN}", f"sip:bob@{DOMAIN}", "hello from linphone")]
        log = trace.read_text(errors="replace")
        assert "MESSAGE sip:bob" in log and "hello from linphone" in log
    finally:
        if bob is not None:
            bob.terminate()
            bob.wait(timeout=WAIT)
        assert ucd.stop() == 0, ucd.output()


def test_a_message_to_an_offline_baresip_user_is_delivered_when_it_registers(tmp_path: Path) -> None:
    ucd = start_ucd(tmp_path)
    carol = None
    try:
        ucd.add_users("alice", "carol")
        linphone_chat(ucd, tmp_path, "carol", "call me when you are back")
        with ucd.api() as client:
            waiting = client.get("/api/v1/im/offline", params={"user": "carol"}).json()
        assert [(w["sender"], w["recipient"]) for w in waiting] == [(f"sip:alice@{DOMAIN}", f"sip:carol@{DOMAIN}")]
        assert history(ucd, "carol") == []
        carol, trace = start_baresip(ucd, tmp_path, "carol")
        wait_for(lambda: history(ucd, "carol"), "the stored message was not delivered to carol")
        assert [h["text"] for h in history(ucd, "carol")] == ["call me when you are back"]
        assert "call me when you are back" in trace.read_text(errors="replace")
        with ucd.api() as client:
            assert client.get("/api/v1/im/offline").json() == []
    finally:
        if carol is not None:
            carol.terminate()
            carol.wait(timeout=WAIT)
        assert ucd.stop() == 0, ucd.output()
