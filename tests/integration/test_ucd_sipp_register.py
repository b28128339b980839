"""sipp against a real ucd: a REGISTER with digest auth after `ucctl user add` (the
binding shows in `ucctl registrations`, in /metrics, and survives a SIGTERM restart); a
disabled user refused; INVITE/200/ACK/BYE through the proxy to a registered sipp UAS."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from peers import sipp_media_port
from sipp_calls import register_and_call
from ucd_harness import Ucd, start_ucd

SCENARIO = Path(__file__).parent / "sipp" / "register_auth_uac.xml"
pytestmark = pytest.mark.peer
# sipp 3.6 answers only the first challenge and knows only MD5; ucd offers SHA-256 first
# by default, so these runs configure MD5 alone (which also shows auth.algorithms at work).
MD5_ONLY = {"auth": {"algorithms": ["MD5"]}}


def sipp_register(ucd: Ucd, tmp_path: Path, user: str, password: str, *, expires: int = 600) -> subprocess.CompletedProcess[str]:
    sipp = shutil.which("sipp")
    assert sipp, "sipp is not installed (make test installs sip-tester)"
    host, port = ucd.sip_address("UDP")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:  # sipp's -p 0 means 5060
        probe.bind(("127.0.0.1", 0))
        local_port = probe.getsockname()[1]
    return subprocess.run(
        [sipp, f"{host}:{port}", "-sf", str(SCENARIO), "-m", "1", "-l", "1", "-i", "127.0.0.1", "-p", str(local_port),
         "-mp", str(sipp_media_port()), "-key", "user", user, "-key", "domain", "example.test", "-key", "expires", str(expires),
         "-au", user, "-ap", password, "-timeout", "30s", "-timeout_error", "-nostdin", "-trace_err",
         "-error_file", str(tmp_path / f"sipp-{user}-errors.log")],
        capture_output=True, text=True, timeout=60, cwd=tmp_path)


def metric(text: str, name: str, **labels: str) -> float:
    selector = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))  # exposition order
    pattern = re.escape(name) + (r"\{" + re.escape(selector) + r"\}" if labels else "") + r" (\S+)"
    found = re.search("^" + pattern + "$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_sipp_registers_with_digest_and_the_binding_is_listed_counted_and_persisted(tmp_path):
    ucd = start_ucd(tmp_path, MD5_ONLY)
    try:
        before = ucd.metrics()
        ucd.ucctl("user", "add", "alice", "--password", "alice-pw", "--display-name", "Alice")

        wrong = sipp_register(ucd, tmp_path, "alice", "not-her-password")
        assert wrong.returncode != 0   # the second REGISTER is challenged again, not 200
        open_before = metric(ucd.metrics(), "ucd_sip_transactions_open")   # sipp's abort of the failed call

        result = sipp_register(ucd, tmp_path, "alice", "alice-pw")
        assert result.returncode == 0, result.stdout + result.stderr + ucd.output()

        registrations = json.loads(ucd.ucctl("registrations", "--json").stdout)
        assert [r["aor"] for r in registrations] == ["sip:alice@example.test"]
        binding = registrations[0]
        assert binding["contact"].startswith("sip:alice@127.0.0.1:")
        assert binding["user_agent"] == "sipp-register-test"
        assert binding["transport"] == "UDP"
        assert 500 < binding["expires_in"] <= 600
        assert "sip:alice@example.test" in ucd.ucctl("registrations").stdout

        after = ucd.metrics()
        assert metric(before, "ucd_registrations") == 0
        assert metric(after, "ucd_registrations") == 1
        assert metric(after, "ucd_users") == 1
        assert metric(after, "ucd_sip_requests_total", method="REGISTER") >= 4
        assert metric(after, "ucd_sip_transactions_total", role="server", method="REGISTER", **{"class": "2xx"}) == 1
        assert metric(after, "ucd_sip_transactions_total", role="server", method="REGISTER", **{"class": "4xx"}) >= 3
        assert metric(after, "ucd_sip_messages_received_total") > metric(before, "ucd_sip_messages_received_total")
        # the REGISTERs over UDP were answered by the registrar's stateless lane: no server
        # transaction of theirs is left waiting out Timer J
        assert metric(after, "ucd_sip_transactions_open") == open_before
        assert "registration inserted aor=sip:alice@example.test" in ucd.output()
    finally:
        code = ucd.stop()
    assert code == 0, ucd.output()
    assert "bindings persisted" in ucd.output()

    again = start_ucd(tmp_path, MD5_ONLY, name="ucd-again.toml")
    try:
        registrations = json.loads(again.ucctl("registrations", "--json").stdout)
        assert [r["contact"] for r in registrations] == [binding["contact"]]
        assert registrations[0]["expires_at"] == binding["expires_at"]
        assert metric(again.metrics(), "ucd_registrations") == 1
    finally:
        assert again.stop() == 0, again.output()


def test_a_disabled_user_cannot_register(tmp_path):
    ucd = start_ucd(tmp_path, MD5_ONLY)
    try:
        ucd.ucctl("user", "add", "bob", "--password", "bob-pw", "--disabled")
        result = sipp_register(ucd, tmp_path, "bob", "bob-pw")
        assert result.returncode != 0
        assert json.loads(ucd.ucctl("registrations", "--json").stdout) == []
        ucd.ucctl("user", "set", "bob", "--enable")
        assert sipp_register(ucd, tmp_path, "bob", "bob-pw").returncode == 0
        assert [r["aor"] for r in json.loads(ucd.ucctl("registrations", "--json").stdout)] == ["sip:bob@example.test"]
    finally:
        assert ucd.stop() == 0, ucd.output()


def test_sipp_call_through_ucd_to_a_registered_sipp_uas(tmp_path):
    """INVITE/200/ACK/BYE from a sipp UAC (alice, 407 answered) through ucd's proxy to a
    sipp UAS registered as bob (the proxy tests' scenarios, uas without 180)."""
    ucd = start_ucd(tmp_path, MD5_ONLY)
    calls = 5
    try:
        register_and_call(ucd, tmp_path, calls)
        metrics = ucd.metrics()
        for method in ("INVITE", "BYE"):
            assert metric(metrics, "ucd_sip_transactions_total", role="server", method=method,
                          **{"class": "2xx"}) == calls, metrics
        assert metric(metrics, "ucd_errors_total") == 0
    finally:
        assert ucd.stop() == 0, ucd.output()

