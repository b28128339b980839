"""A real softphone (baresip 1.0) registers to ucd with digest auth after `ucctl user
add`, using the account line docs/admin-guide.md gives, and shows in `ucctl registrations`."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from ucd_harness import start_ucd

pytestmark = pytest.mark.peer
WAIT = 30.0


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def baresip_conf(conf: Path, sip_port: int, account: str) -> None:
    conf.mkdir()
    (conf / "config").write_text(
        "module_path /usr/lib/baresip/modules\n"
        f"sip_listen 127.0.0.1:{sip_port}\n"
        "module g711.so\nmodule ausine.so\nmodule aufile.so\n"
        "module_app account.so\nmodule_app menu.so\n"
        "audio_source ausine,440\naudio_player aufile,/dev/null\n")
    (conf / "accounts").write_text(account + "\n")
    (conf / "contacts").write_text("")


def test_baresip_registers_with_the_admin_guide_account_line(tmp_path):
    baresip = shutil.which("baresip")
    assert baresip, "baresip is not installed (make test installs it)"
    ucd = start_ucd(tmp_path)   # default auth.algorithms (MD5 alone: what baresip 1.0 answers)
    proc = None
    try:
        ucd.add_users("alice")
        host, port = ucd.sip_address("UDP")
        account = f'<sip:alice@example.test>;auth_pass=alice-pw;outbound="sip:{host}:{port}";regint=600'
        baresip_conf(tmp_path / "baresip", free_udp_port(), account)
        proc = subprocess.Popen(["timeout", "40", baresip, "-4", "-f", str(tmp_path / "baresip"), "-n", "127.0.0.1",
                                 "-t", "30"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        found: list[dict[str, object]] = []
        deadline = time.monotonic() + WAIT
        while not found and time.monotonic() < deadline:   # bounded: baresip registers within a second or two
            found = json.loads(ucd.ucctl("registrations", "--json").stdout)
            if not found:
                time.sleep(0.2)
        assert [b["aor"] for b in found] == ["sip:alice@example.test"], ucd.output()
        assert str(found[0]["user_agent"]).startswith("baresip")
        assert found[0]["transport"] == "UDP"
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=WAIT)
        assert ucd.stop() == 0, ucd.output()
