"""sipp drives presence against a real ucd (tests/integration/sipp/presence_uac.xml):
PUBLISH with digest, SUBSCRIBE, the first NOTIFY, a modification with SIP-If-Match and
its NOTIFY, unsubscription with a terminated NOTIFY, removal of the publication."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from peers import sipp_media_port
from ucd_harness import start_ucd, ucctl_json

SCENARIO = Path(__file__).parent / "sipp" / "presence_uac.xml"
DOMAIN = "example.test"
pytestmark = pytest.mark.peer


def test_sipp_publishes_subscribes_and_gets_the_notifies(tmp_path):
    sipp = shutil.which("sipp")
    assert sipp, "sipp is not installed (make test installs sip-tester)"
    ucd = start_ucd(tmp_path, {"auth": {"algorithms": ["MD5"]}})
    try:
        ucd.ucctl("user", "add", "alice", "--password", "alice-pw")
        host, port = ucd.sip_address("UDP")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            local_port = probe.getsockname()[1]
        result = subprocess.run(
            [sipp, f"{host}:{port}", "-sf", str(SCENARIO), "-s", "alice", "-m", "1", "-l", "1", "-i", "127.0.0.1",
             "-p", str(local_port), "-mp", str(sipp_media_port()), "-au", "alice", "-ap", "alice-pw",
             "-auth_uri", f"alice@{DOMAIN}", "-set", "domain", DOMAIN, "-timeout", "30s", "-timeout_error",
             "-max_retrans", "5", "-nostdin", "-trace_err", "-error_file", str(tmp_path / "sipp-errors.log")],
            capture_output=True, text=True, timeout=60, cwd=tmp_path)
        errors = (tmp_path / "sipp-errors.log").read_text() if (tmp_path / "sipp-errors.log").exists() else ""
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr + errors + ucd.output()
        assert ucctl_json(ucd, "presence", "show", "alice")["availability"] == "offline"   # removed at the end
    finally:
        assert ucd.stop() == 0, ucd.output()
