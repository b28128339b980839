"""sipp subscribes to a contact list on a real ucd over UDP (RFC 4662): 421 without
eventlist support, 407 then 200 with Require: eventlist, a multipart/related NOTIFY with
the RLMI document in full state, a second full-state NOTIFY after `ucctl contacts add`
changed the list, and the terminated NOTIFY after unsubscribing."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from peers import sipp_media_port
from uc_signal.rls import parse_list_body
from uc_signal.sip import Request, parse_message
from ucd_harness import start_ucd

SCENARIO = Path(__file__).parent / "sipp" / "rls_subscribe_uac.xml"
pytestmark = pytest.mark.peer
# sipp 3.6 answers only the first challenge and knows only MD5 (see test_ucd_sipp_register).
SETTINGS = {"auth": {"algorithms": ["MD5"]}, "rls": {"notify_interval": 1.0}}


def received_notifies(log: bytes) -> list[Request]:
    """The NOTIFYs in sipp's message log, byte for byte (each entry gives its length)."""
    found = []
    for entry in re.finditer(rb"UDP message received \[(\d+)\] bytes :\n\n", log):
        message = parse_message(log[entry.end():entry.end() + int(entry.group(1))])
        if isinstance(message, Request) and message.method == "NOTIFY":
            found.append(message)
    return found


def test_sipp_subscribes_to_a_contact_list_and_gets_rlmi_notifies(tmp_path: Path) -> None:
    sipp = shutil.which("sipp")
    assert sipp, "sipp is not installed (make test installs sip-tester)"
    ucd = start_ucd(tmp_path, SETTINGS)
    try:
        ucd.add_users("alice", "bob")
        ucd.ucctl("contacts", "add", "alice", "bob", "--name", "Bob")
        host, port = ucd.sip_address("UDP")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:   # sipp's -p 0 means 5060
            probe.bind(("127.0.0.1", 0))
            local_port = probe.getsockname()[1]
        run = subprocess.Popen(
            [sipp, f"{host}:{port}", "-sf", str(SCENARIO), "-m", "1", "-l", "1", "-i", "127.0.0.1",
             "-p", str(local_port), "-mp", str(sipp_media_port()), "-key", "user", "alice", "-key", "domain",
             "example.test",
             "-au", "alice", "-ap", "alice-pw", "-auth_uri", "alice@example.test;list=contacts", "-timeout", "60s", "-timeout_error", "-nostdin", "-trace_err",
             "-trace_msg", "-message_file", str(tmp_path / "sipp-messages.log"),
             "-error_file", str(tmp_path / "sipp-errors.log")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
        try:
            messages = tmp_path / "sipp-messages.log"
            deadline = time.monotonic() + 30
            # The first NOTIFY answered: the subscription is up, so a list change reaches it.
            while time.monotonic() < deadline and run.poll() is None:
                text = messages.read_text(errors="replace") if messages.exists() else ""
                if text.count("NOTIFY") >= 2:   # the NOTIFY and our 200's CSeq line
                    break
                time.sleep(0.1)
            assert run.poll() is None, (run.communicate()[0], ucd.output())
            ucd.ucctl("contacts", "add", "alice", "carol", "--name", "Carol")
            output, _ = run.communicate(timeout=60)
        finally:
            if run.poll() is None:
                run.kill()
                run.wait(timeout=10)
        errors = tmp_path / "sipp-errors.log"
        assert run.returncode == 0, (output, errors.read_text() if errors.exists() else "",
                                     messages.read_text(errors="replace") if messages.exists() else "", ucd.output())
        notifies = received_notifies(messages.read_bytes())
        states = [n.headers.get("Subscription-State") for n in notifies]
        assert [state.split("=")[0] for state in states] == ["active;expires", "active;expires",
                                                              "terminated;reason"], states
        assert states[2] == "terminated;reason=timeout"
        bodies = []
        for notify in notifies:
            assert notify.content_type is not None
            bodies.append(parse_list_body(notify.body, notify.content_type))   # every cid has its part
        assert [(b.rlmi.version, b.rlmi.full_state) for b in bodies] == [(1, True), (2, True), (3, True)]
        assert {b.rlmi.uri for b in bodies} == {"sip:alice@example.test;list=contacts"}
        assert [(r.uri, r.name) for r in bodies[0].rlmi.resources] == [("sip:bob@example.test", "Bob")]
        assert [(r.uri, r.name) for r in bodies[1].rlmi.resources] == [("sip:bob@example.test", "Bob"),
                                                                      ("sip:carol@example.test", "Carol")]
    finally:
        assert ucd.stop() == 0, ucd.output()
