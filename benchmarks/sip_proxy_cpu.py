"""Server CPU per authenticated REGISTER and per proxied call, registrar + proxy alone.

The server (benchmarks/loadgen/run_sip_server.py: SipServer, in-memory users and
bindings, UDP, uvloop) runs in its own process; its CPU time (utime+stime from /proc) is
read before and after each load and divided by the completed transactions:

- REGISTER: the project's load generator (per-user digest: challenge + authenticated
  REGISTER = one registration) with N users from a CSV.
- calls: a sipp UAS (no 180) registered as bob; a sipp UAC calls bob through the proxy
  (INVITE/407/ACK/INVITE/200/ACK/BYE/200), authenticated as alice.

Provisional figures for ucserver alone: the side-by-side with Kamailio in the same run
is benchmarks/sip_vs_kamailio.py's job (to be written); the Kamailio figures quoted in
PEERS.md (~30 us per authenticated REGISTER, ~167 us per call) are given for scale only
and no target is computed from them here.

    python benchmarks/sip_proxy_cpu.py [--quick]
"""

from __future__ import annotations

import csv
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import emit, quick_flag  # noqa: E402
from benchmarks.sip_transport import cpu_seconds  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LOADGEN = ROOT / "benchmarks" / "loadgen"
SIPP = ROOT / "tests" / "integration" / "sipp"
DOMAIN = "example.com"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(users: Path, workdir: Path) -> tuple[subprocess.Popen, int]:
    server = subprocess.Popen([sys.executable, str(LOADGEN / "run_sip_server.py"), "--domain", DOMAIN,
                               "--users", str(users), "--md5-only", "--data-dir", str(workdir),
                               "--time-limit", "600"], stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    line = server.stdout.readline().split()
    if not line or line[0] != "ready":
        server.kill()
        raise SystemExit("the server did not start")
    return server, int(line[2])


def register_load(port: int, users: Path, count: int, rate: int) -> dict:
    out = subprocess.run([sys.executable, str(LOADGEN / "sip_register_load.py"), "--registrar", f"127.0.0.1:{port}",
                          "--domain", DOMAIN, "--users", str(users), "--count", str(count), "--rate", str(rate),
                          "--time-limit", "120", "--json"], capture_output=True, text=True, timeout=180)
    return json.loads(out.stdout.strip().splitlines()[-1])


def sipp(port: int, scenario: str, service: str, calls: int, rate: int, workdir: Path, *extra: str,
         local_port: int | None = None, background: bool = False) -> subprocess.Popen | int:
    command = ["sipp", f"127.0.0.1:{port}", "-sf", str(SIPP / scenario), "-s", service, "-m", str(calls),
               "-r", str(rate), "-i", "127.0.0.1", "-p", str(local_port or free_udp_port()),
               "-mp", str(free_udp_port()), "-timeout", "120s", "-nostdin", "-max_retrans", "5", *extra]
    process = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if background:
        return process
    return process.wait(timeout=180)


def main() -> None:
    quick = quick_flag()
    assert shutil.which("sipp"), "sipp is not installed"
    n_users = 2000 if quick else 20000
    # Rates this Python server takes without retransmissions on a shared 2-core box (the
    # generator is Python too); retransmissions are reported, not hidden.
    registrations, reg_rate = (3000, 300) if quick else (20000, 400)
    calls, call_rate = (300, 100) if quick else (3000, 200)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        users = workdir / "users.csv"
        with users.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["alice", "alice-pw"])
            writer.writerow(["bob", "bob-pw"])
            for i in range(n_users):
                writer.writerow([f"u{i:06d}", f"pw{i}"])
        server, port = start_server(users, workdir)
        try:
            before = cpu_seconds(server.pid)
            report = register_load(port, users, registrations, reg_rate)
            register_cpu = cpu_seconds(server.pid) - before

            uas_port = free_udp_port()
            code = sipp(port, "register_digest.xml", "bob", 1, 1, workdir, "-au", "bob", "-ap", "bob-pw",
                        "-auth_uri", DOMAIN, "-set", "domain", DOMAIN, "-set", "contact_port", str(uas_port))
            assert code == 0, "bob's registration failed"
            uas = sipp(port, "uas_no180.xml", "bob", calls, call_rate, workdir, local_port=uas_port, background=True)
            assert isinstance(uas, subprocess.Popen)
            time.sleep(0.5)
            before = cpu_seconds(server.pid)
            uac_code = sipp(port, "uac_invite_auth.xml", "bob", calls, call_rate, workdir, "-au", "alice",
                            "-ap", "alice-pw", "-auth_uri", f"bob@{DOMAIN}", "-set", "domain", DOMAIN,
                            "-set", "caller", "alice", "-trace_stat", "-stf", str(workdir / "uac.csv"),
                            "-fd", "100")
            call_cpu = cpu_seconds(server.pid) - before
            try:
                uas.wait(timeout=30)
            except subprocess.TimeoutExpired:
                uas.kill()
            rows = list(csv.reader((workdir / "uac.csv").open(), delimiter=";")) if (workdir / "uac.csv").exists() else []
            header, last = (rows[0], rows[-1]) if len(rows) > 1 else ([], [])
            stat = dict(zip(header, last))
            ok_calls = int(stat.get("SuccessfulCall(C)", 0) or 0)
            failed_calls = int(stat.get("FailedCall(C)", 0) or 0)
            retrans = int(stat.get("Retransmissions(C)", 0) or 0)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    figures = {
        "register_completed": report["completed"], "register_failed": report["failed"],
        "register_retransmissions": report["retransmissions"], "register_rate_per_s": report["rate"],
        "cpu_us_per_authenticated_register": round(register_cpu / max(1, report["completed"]) * 1e6, 1),
        "calls_completed": ok_calls, "calls_failed": failed_calls, "call_retransmissions": retrans,
        "uac_exit_code": uac_code,
        "cpu_us_per_call": round(call_cpu / max(1, ok_calls) * 1e6, 1),
        "kamailio_reference_from_PEERS_md": {"us_per_authenticated_register": 30, "us_per_call": 167},
    }
    emit(figures, {})


if __name__ == "__main__":
    main()
