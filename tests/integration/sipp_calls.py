"""sipp calls through ucd, for the tests that run them (test_ucd_sipp_register.py,
test_ucd_udp_front.py): bob's sipp UAS (without 180) registered with digest, then alice's
sipp UAC calling it (sipp's uac_invite_auth.xml: INVITE / 407 / ACK, INVITE with
credentials, 200, ACK, BYE)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from peers import free_port, sipp_media_port
from ucd_harness import Ucd

SIPP_DIR = Path(__file__).parent / "sipp"


def register_and_call(ucd: Ucd, tmp_path: Path, calls: int) -> None:
    """Add alice and bob, register bob's UAS and make `calls` calls to it; every sipp
    exits 0 (else the assertion shows its output and ucd's)."""
    ucd.add_users("alice", "bob")
    host, port = ucd.sip_address("UDP")

    def sipp(scenario: str, service: str, count: int, *extra: str, local: int | None = None) -> list[str]:
        return ["sipp", f"{host}:{port}", "-sf", str(SIPP_DIR / scenario), "-s", service, "-m", str(count),
                "-r", "10", "-i", "127.0.0.1", "-p", str(local or free_port()), "-mp", str(sipp_media_port()),
                "-timeout", "30s", "-timeout_error", "-max_retrans", "5", "-nostdin", "-trace_err",
                "-error_file", str(tmp_path / f"sipp-{scenario}-{service}.log"), *extra]

    uas_port = free_port()
    registered = subprocess.run(sipp("register_digest.xml", "bob", 1, "-au", "bob", "-ap", "bob-pw",
                                     "-auth_uri", "example.test", "-set", "domain", "example.test",
                                     "-set", "contact_port", str(uas_port)),
                                capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert registered.returncode == 0, registered.stdout[-3000:] + ucd.output()[-3000:]
    uas_log = tmp_path / "sipp-uas.out"   # a file, not a pipe nobody reads while the UAC runs
    with uas_log.open("w") as sink:
        uas = subprocess.Popen(sipp("uas_no180.xml", "bob", calls, local=uas_port), stdout=sink,
                               stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        caller = subprocess.run(sipp("uac_invite_auth.xml", "bob", calls, "-au", "alice", "-ap", "alice-pw",
                                     "-auth_uri", "bob@example.test", "-set", "domain", "example.test",
                                     "-set", "caller", "alice"),
                                capture_output=True, text=True, timeout=90, cwd=tmp_path)
        assert caller.returncode == 0, caller.stdout[-3000:] + ucd.output()[-3000:]
        uas.wait(timeout=90)
        assert uas.returncode == 0, uas_log.read_text()[-3000:]
    finally:
        if uas.poll() is None:
            uas.kill()
            uas.wait(timeout=30)
