"""ucd against Kamailio, the same SIP load one after the other in one run (issue 4).

- REGISTER with digest: the project's load generator
  (benchmarks/loadgen/sip_register_load.py; sipp 3.6 cannot take a per-call username in
  [authentication], PEERS.md), unique users from a CSV, each registration = REGISTER,
  401, REGISTER with credentials, 200 (MD5). Rates are stepped up until a step shows
  failures or retransmissions; the highest clean rate is reported.
- calls: a sipp UAS without 180 registered as bob; a sipp UAC calls bob through the
  proxy (INVITE, 407, ACK, INVITE with Proxy-Authorization, 200, ACK, BYE, 200), every
  call authenticated as alice (-au/-ap: sipp's per-call credentials do not work).

Kamailio 5.6 (Debian): tm, sl, rr, maxfwd, usrloc in memory (db_mode 0), registrar,
auth with `pv_www_authenticate`/`pv_proxy_authenticate` against a fixed password
checked in memory (PEERS.md: auth_db over db_text would scan a file per request and
flatter ucd), 4 children. Every user's password is that same value, so ucd (HA1 from
its store, in memory) and Kamailio do the same digest work.

Server CPU = utime+stime of all the server's processes from /proc around each load,
divided by completed registrations (or calls). RSS per registration: the server's RSS
growth over the registrations it holds after the REGISTER steps (the issue's figure is at
100,000 registrations; --quick holds a few thousand, so the quick figure includes fixed
costs spread thin over fewer bindings).

    python benchmarks/sip_vs_kamailio.py [--quick]
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import emit, quick_flag, target  # noqa: E402
from benchmarks.sip_transport import cpu_seconds  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LOADGEN = ROOT / "benchmarks" / "loadgen"
SIPP = ROOT / "tests" / "integration" / "sipp"
DOMAIN = "example.com"
PASSWORD = "bench-pw"

KAMAILIO_CFG = """#!KAMAILIO
debug=0
log_stderror=yes
children=4
listen=udp:127.0.0.1:{port}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "auth.so"
modparam("usrloc", "db_mode", 0)
modparam("auth", "nonce_count", 0)

request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (has_totag()) {{
        if (loose_route()) {{ t_relay(); exit; }}
        if (is_method("ACK")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
        sl_send_reply("404", "Not here"); exit;
    }}
    if (is_method("CANCEL")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
    if (is_method("REGISTER")) {{
        if (!pv_www_authenticate("$td", "{password}", "0")) {{ www_challenge("$td", "0"); exit; }}
        if (!save("location")) {{ sl_reply_error(); }}
        exit;
    }}
    if (is_method("INVITE")) {{
        if (!pv_proxy_authenticate("$fd", "{password}", "0")) {{ proxy_challenge("$fd", "0"); exit; }}
        consume_credentials();
    }}
    record_route();
    if (!lookup("location")) {{ sl_send_reply("404", "Not Found"); exit; }}
    t_relay();
}}
"""


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_kib(root_pid: int) -> int:
    """VmRSS of root_pid and its descendants."""
    total = 0
    pids = [root_pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == root_pid:
                    pids.append(int(entry.name))
            except OSError:
                continue
    for pid in pids:
        try:
            found = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE)
        except OSError:
            continue
        total += int(found.group(1)) if found else 0
    return total


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


def start_kamailio(workdir: Path) -> tuple[subprocess.Popen, int]:
    port = free_udp_port()
    config = workdir / "kamailio.cfg"
    config.write_text(KAMAILIO_CFG.format(port=port, password=PASSWORD))
    process = subprocess.Popen(["kamailio", "-DD", "-E", "-f", str(config), "-m", "1024", "-M", "16", "-n", "4",
                                "-P", str(workdir / "kamailio.pid"), "-Y", str(workdir)],
                               stdout=subprocess.DEVNULL, stderr=(workdir / "kamailio.log").open("w"))
    for _ in range(100):   # bounded: until it answers an OPTIONS-less probe (a REGISTER 401)
        if ready(port):
            return process, port
        time.sleep(0.1)
    stop(process)
    raise SystemExit("kamailio did not start: " + (workdir / "kamailio.log").read_text()[-2000:])


def ready(port: int) -> bool:
    probe = (f"REGISTER sip:{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKprobe{time.monotonic_ns()}\r\n"
             f"Max-Forwards: 70\r\nFrom: <sip:probe@{DOMAIN}>;tag=1\r\nTo: <sip:probe@{DOMAIN}>\r\n"
             "Call-ID: probe\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n").encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.3)
        probe = probe.replace(b"127.0.0.1:9", b"127.0.0.1:%d;rport" % sock.getsockname()[1])
        sock.sendto(probe, ("127.0.0.1", port))
        try:
            return sock.recv(65535).startswith(b"SIP/2.0 ")
        except OSError:
            return False


def start_ucd(workdir: Path, users: list[str]) -> tuple[subprocess.Popen, int]:
    config = workdir / "ucd.toml"
    config.write_text(f'[daemon]\ndata_dir = "{workdir / "ucd-var"}"\n[sip]\ndomain = "{DOMAIN}"\n'
                      'transports = ["udp"]\nudp_port = 0\n[http]\nport = 0\n[log]\nlevel = "warning"\n'
                      '[auth]\nalgorithms = ["MD5"]\n')
    process = subprocess.Popen([sys.executable, "-m", "uc_signal.daemon", "--config", str(config)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    admin = udp = None
    for _ in range(40):
        line = process.stdout.readline()
        if not line:
            break
        if (found := re.search(r"Admin API:\s+(http://\S+)/api/v1", line)):
            admin = found.group(1)
        if (found := re.search(r"^\s+udp\s+127\.0\.0\.1:(\d+)", line)):
            udp = int(found.group(1))
        if "Stop with" in line:
            break
    if admin is None or udp is None:
        stop(process)
        raise SystemExit("ucd did not start")
    token = (workdir / "ucd-var" / "admin-token").read_text().strip()
    with httpx.Client(base_url=admin, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
        for username in users:
            response = api.post("/api/v1/users", json={"user": username, "password": PASSWORD})
            assert response.status_code == 201, response.text
    return process, udp


def register_step(port: int, users: Path, count: int, rate: int) -> dict:
    out = subprocess.run([sys.executable, str(LOADGEN / "sip_register_load.py"), "--registrar", f"127.0.0.1:{port}",
                          "--domain", DOMAIN, "--users", str(users), "--count", str(count), "--rate", str(rate),
                          "--time-limit", "120", "--processes", "2", "--json"],
                         capture_output=True, text=True, timeout=240, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def sipp(port: int, scenario: str, service: str, calls: int, rate: int, workdir: Path, *extra: str,
         local_port: int | None = None) -> subprocess.Popen:
    command = ["sipp", f"127.0.0.1:{port}", "-sf", str(SIPP / scenario), "-s", service, "-m", str(calls),
               "-r", str(rate), "-i", "127.0.0.1", "-p", str(local_port or free_udp_port()),
               "-mp", str(free_udp_port()), "-timeout", "120s", "-nostdin", "-max_retrans", "5", *extra]
    return subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def call_step(pid: int, port: int, calls: int, rate: int, workdir: Path, tag: str) -> dict:
    uas_port = free_udp_port()
    code = sipp(port, "register_digest.xml", "bob", 1, 1, workdir, "-au", "bob", "-ap", PASSWORD,
                "-auth_uri", DOMAIN, "-set", "domain", DOMAIN, "-set", "contact_port", str(uas_port)).wait(60)
    if code != 0:
        return {"error": "bob's registration failed"}
    uas = sipp(port, "uas_no180.xml", "bob", calls, rate, workdir, local_port=uas_port)
    time.sleep(0.5)   # let the UAS bind its port
    stats = workdir / f"uac-{tag}-{rate}.csv"
    before = cpu_seconds(pid)
    uac = sipp(port, "uac_invite_auth.xml", "bob", calls, rate, workdir, "-au", "alice", "-ap", PASSWORD,
               "-auth_uri", f"bob@{DOMAIN}", "-set", "domain", DOMAIN, "-set", "caller", "alice",
               "-trace_stat", "-stf", str(stats), "-fd", "100")
    uac.wait(timeout=300)
    cpu = cpu_seconds(pid) - before
    try:
        uas.wait(timeout=30)
    except subprocess.TimeoutExpired:
        uas.kill()
        uas.wait(timeout=30)
    rows = list(csv.reader(stats.open(), delimiter=";")) if stats.exists() else []
    stat = dict(zip(rows[0], rows[-1])) if len(rows) > 1 else {}
    ok = int(stat.get("SuccessfulCall(C)", 0) or 0)
    return {"rate": rate, "completed": ok, "failed": int(stat.get("FailedCall(C)", 0) or 0),
            "retransmissions": int(stat.get("Retransmissions(C)", 0) or 0),
            "cpu_us_per_call": round(cpu / max(1, ok) * 1e6, 1)}


def run_server(name: str, process: subprocess.Popen, port: int, users_csv: Path, reg_rates: list[int],
               per_step: int, call_rates: list[int], calls: int, workdir: Path) -> dict:
    result: dict = {"register_steps": [], "call_steps": []}
    try:
        rss_before = rss_kib(process.pid)
        registered = 0
        for rate in reg_rates:
            before = cpu_seconds(process.pid)
            report = register_step(port, users_csv, per_step, rate)
            cpu = cpu_seconds(process.pid) - before
            step = {"rate": rate, "completed": report["completed"], "failed": report["failed"],
                    "retransmissions": report["retransmissions"], "achieved_per_s": report["rate"],
                    "cpu_us_per_register": round(cpu / max(1, report["completed"]) * 1e6, 1)}
            result["register_steps"].append(step)
            registered = max(registered, report["completed"])
            if step["failed"] or step["retransmissions"]:
                break
        # Users are re-registered round-robin: the bindings held are at most the users.
        held = min(registered, sum(1 for _ in users_csv.open()))
        result["rss_bytes_per_registration"] = round((rss_kib(process.pid) - rss_before) * 1024 / max(1, held), 1)
        result["registrations_held"] = held
        for rate in call_rates:
            step = call_step(process.pid, port, calls, rate, workdir, name)
            result["call_steps"].append(step)
            if step.get("error") or step["failed"] or step["retransmissions"]:
                break
    finally:
        stop(process)
    clean_reg = [s for s in result["register_steps"] if not s["failed"] and not s["retransmissions"]]
    clean_call = [s for s in result["call_steps"] if not s.get("error") and not s["failed"]
                  and not s["retransmissions"]]
    result["highest_clean_register_rate"] = max((s["rate"] for s in clean_reg), default=0)
    result["cpu_us_per_register"] = clean_reg[-1]["cpu_us_per_register"] if clean_reg else None
    result["highest_clean_call_rate"] = max((s["rate"] for s in clean_call), default=0)
    result["cpu_us_per_call"] = clean_call[-1]["cpu_us_per_call"] if clean_call else None
    return result


def main() -> None:
    quick = quick_flag()
    for tool in ("kamailio", "sipp"):
        assert shutil.which(tool), f"{tool} is not installed (make test installs it)"
    n_users = 2000 if quick else 20000
    per_step = 2000 if quick else 20000
    reg_rates = [300] if quick else [300, 600, 1000, 2000, 4000]
    call_rates = [50] if quick else [50, 100, 200, 400]
    calls = 200 if quick else 2000
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        names = ["alice", "bob"] + [f"u{i:06d}" for i in range(n_users)]
        users_csv = workdir / "users.csv"
        with users_csv.open("w", newline="") as f:
            csv.writer(f).writerows([name, PASSWORD] for name in names[2:])
        process, port = start_kamailio(workdir)
        kamailio = run_server("kamailio", process, port, users_csv, reg_rates, per_step, call_rates, calls, workdir)
        process, port = start_ucd(workdir, names)
        ucd = run_server("ucd", process, port, users_csv, reg_rates, per_step, call_rates, calls, workdir)
    figures = {"ucd": ucd, "kamailio": kamailio}
    targets = {}
    if ucd["cpu_us_per_register"] and kamailio["cpu_us_per_register"]:
        targets["ucd_cpu_per_authenticated_register_vs_kamailio"] = target(
            ucd["cpu_us_per_register"] / kamailio["cpu_us_per_register"], 2.0, "<= 2x Kamailio, same run")
    if ucd["cpu_us_per_call"] and kamailio["cpu_us_per_call"]:
        targets["ucd_cpu_per_call_vs_kamailio"] = target(
            ucd["cpu_us_per_call"] / kamailio["cpu_us_per_call"], 2.0, "<= 2x Kamailio, same run")
    targets["ucd_rss_per_registration"] = target(ucd["rss_bytes_per_registration"], 2048,
                                                 "<= 2 KB per registration (at 100,000 in the issue)")
    emit(figures, targets)


if __name__ == "__main__":
    main()
