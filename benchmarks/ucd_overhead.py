"""What the daemon adds per authenticated REGISTER: ucd (store-backed directory, bindings
written behind to SQLite in WAL mode, Prometheus counters, admin API idle beside) against
the registrar + proxy alone (benchmarks/loadgen/run_sip_server.py: SipServer with
in-memory users and bindings), same load, same run, one after the other.

Both run in their own process with uvloop on UDP; the load is the project's per-user
digest generator (benchmarks/loadgen/sip_register_load.py: REGISTER, 401, REGISTER with
credentials, 200 = one registration) over the same CSV of users, MD5 challenges. Server
CPU = utime+stime from /proc before and after the load, divided by completed
registrations; the figure is the ratio ucd / alone.

    python benchmarks/ucd_overhead.py [--quick]
"""

from __future__ import annotations

import csv
import json
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import emit, quick_flag, target  # noqa: E402
from benchmarks.sip_transport import cpu_seconds  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LOADGEN = ROOT / "benchmarks" / "loadgen"
DOMAIN = "example.com"


def start_alone(users: Path, workdir: Path) -> tuple[subprocess.Popen[str], int]:
    server = subprocess.Popen([sys.executable, str(LOADGEN / "run_sip_server.py"), "--domain", DOMAIN,
                               "--users", str(users), "--md5-only", "--data-dir", str(workdir),
                               "--time-limit", "600"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert server.stdout is not None
    line = server.stdout.readline().split()
    if not line or line[0] != "ready":
        server.kill()
        raise SystemExit("the registrar alone did not start")
    return server, int(line[2])


def start_ucd(workdir: Path, rows: list[list[str]]) -> tuple[subprocess.Popen[str], int]:
    config = workdir / "ucd.toml"
    config.write_text(f'[daemon]\ndata_dir = "{workdir / "ucd-var"}"\n[sip]\ndomain = "{DOMAIN}"\n'
                      'transports = ["udp"]\nudp_port = 0\n[http]\nport = 0\n[log]\nlevel = "warning"\n'
                      '[auth]\nalgorithms = ["MD5"]\n')
    server = subprocess.Popen([sys.executable, "-m", "uc_signal.daemon", "--config", str(config)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert server.stdout is not None
    admin = udp = None
    for _ in range(40):   # the banner is ~20 lines
        line = server.stdout.readline()
        if not line:
            break
        if (found := re.search(r"Admin API:\s+(http://\S+)/api/v1", line)):
            admin = found.group(1)
        if (found := re.search(r"^\s+udp\s+127\.0\.0\.1:(\d+)", line)):
            udp = int(found.group(1))
        if "Stop with" in line:
            break
    if admin is None or udp is None:
        server.kill()
        raise SystemExit("ucd did not start")
    token = (workdir / "ucd-var" / "admin-token").read_text().strip()
    with httpx.Client(base_url=admin, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
        for username, password in rows:
            response = api.post("/api/v1/users", json={"user": username, "password": password})
            assert response.status_code == 201, response.text
    return server, udp


def register_load(port: int, users: Path, count: int, rate: int) -> dict:
    out = subprocess.run([sys.executable, str(LOADGEN / "sip_register_load.py"), "--registrar", f"127.0.0.1:{port}",
                          "--domain", DOMAIN, "--users", str(users), "--count", str(count), "--rate", str(rate),
                          "--time-limit", "120", "--json"], capture_output=True, text=True, timeout=180, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(server: subprocess.Popen[str], port: int, users: Path, count: int, rate: int) -> tuple[dict, float]:
    try:
        before = cpu_seconds(server.pid)
        report = register_load(port, users, count, rate)
        cpu = cpu_seconds(server.pid) - before
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
    return report, cpu / max(1, report["completed"]) * 1e6


def main() -> None:
    quick = quick_flag()
    n_users, count, rate = (500, 1500, 300) if quick else (2000, 10000, 400)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        rows = [[f"u{i:06d}", f"pw{i}"] for i in range(n_users)]
        users = workdir / "users.csv"
        with users.open("w", newline="") as f:
            csv.writer(f).writerows(rows)
        alone, alone_port = start_alone(users, workdir)
        alone_report, alone_us = measure(alone, alone_port, users, count, rate)
        ucd, ucd_port = start_ucd(workdir, rows)
        ucd_report, ucd_us = measure(ucd, ucd_port, users, count, rate)
    ratio = ucd_us / alone_us if alone_us else float("inf")
    figures = {
        "registrations": count, "rate_per_s": rate, "users": n_users,
        "alone_completed": alone_report["completed"], "alone_failed": alone_report["failed"],
        "alone_retransmissions": alone_report["retransmissions"],
        "alone_cpu_us_per_authenticated_register": round(alone_us, 1),
        "ucd_completed": ucd_report["completed"], "ucd_failed": ucd_report["failed"],
        "ucd_retransmissions": ucd_report["retransmissions"],
        "ucd_cpu_us_per_authenticated_register": round(ucd_us, 1),
        "ucd_over_alone": round(ratio, 3),
    }
    targets = {"ucd_cpu_per_register_vs_registrar_alone": target(ratio, 1.25, "<= 1.25x registrar+proxy alone")}
    emit(figures, targets)


if __name__ == "__main__":
    main()
