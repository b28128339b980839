"""ucd beside Kamailio 5.6: authenticated REGISTER and proxied calls, in one run.

Both servers are started once, each on its own loopback port, and stay up for the whole
run (PIDs recorded, every wait bounded); the load goes to one of them at a time:

- Kamailio: `kamailio -DD -E -f benchmarks/kamailio/kamailio.cfg -m 1024 -M 16 -n 4`
  (usrloc in memory, passwords in an htable checked by pv_www_authenticate /
  pv_proxy_authenticate; see the cfg).
- ucd: `python -m uc_signal.daemon --config ucd.toml`, the way an operator runs it: a TOML
  file pointing at a temporary data dir (SQLite store, bindings written behind). The
  benchmark's users are written into the store before start-up (one bulk transaction
  through the store's own schema: creating 100,000 users over the admin API would take
  minutes); alice and bob, the call's two users, are added with `ucctl user add`.

The same load against both:

1. REGISTER with digest, one registration = 401 challenge + authenticated REGISTER + 200,
   every user with its own credentials from a CSV, driven by the project's load generator
   (benchmarks/loadgen/sip_register_load.py; sipp 3.6 cannot take a per-call username in
   [authentication]; two generator processes from 2,000/s, each sending from a fixed
   port so later steps refresh the same bindings). First N unique users (100,000; 5,000
   with --quick) are registered at 500/s and the server's memory is read before and after
   (PSS summed over its processes, from /proc/PID/smaps_rollup; RSS too); then refreshes
   at stepped rates until a step shows failures or retransmissions.
2. Calls: a sipp UAS without 180 registered as bob; a sipp UAC calls bob as alice
   (INVITE/407/ACK/INVITE/200/ACK/BYE/200: both servers challenge INVITEs from local users)
   at stepped rates until failures or retransmissions.

At each rate of a ladder the two servers take their step in turn. Then, at the highest
rate both passed clean, the step is repeated (5 times each, 2 with --quick) alternating
the servers (A B B A ...) against the same running servers, registrations and bob's
binding in place (benchmarks/_paired.py): the CPU figures and the targets are the
medians of those repeats, with their minimum and maximum, and the ratio is the ratio of
the medians; a single step moved Kamailio's CPU per call by 17% between two identical runs.

Server CPU = run time of every thread of every process of the server (the process tree
from /proc, each thread's schedstat in nanoseconds, plus the reaped children's
cutime+cstime; utime+stime in clock ticks instead for a step in which a thread ended:
benchmarks/_paired.py's CpuReading), read before and after each step, divided by the
completed registrations or calls.

    python benchmarks/sip_vs_kamailio.py [--quick]
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _paired  # noqa: E402
from benchmarks._paired import CpuReading  # noqa: E402
from benchmarks._common import emit, quick_flag, target  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LOADGEN = ROOT / "benchmarks" / "loadgen" / "sip_register_load.py"
SIPP_DIR = ROOT / "tests" / "integration" / "sipp"
KAMAILIO_CFG = ROOT / "benchmarks" / "kamailio" / "kamailio.cfg"
DOMAIN = "example.com"
CLK_TCK = os.sysconf("SC_CLK_TCK")
# --profile-ucd FILE: ucd runs under cProfile and writes its profile there on SIGTERM (its
# CPU figures are then inflated by the profiler: use such a run for where, not how much).
PROFILE_OUT = Path(sys.argv[sys.argv.index("--profile-ucd") + 1]).resolve() if "--profile-ucd" in sys.argv else None
START_WAIT = 120.0  # seconds a server may take to answer its first request (ucd loads 100k users)


@dataclass
class Plan:
    users: int                    # unique registrations for the memory figure
    fill_rate: int                # their rate
    register_steps: list[int]     # refresh rates, registrations/s
    call_steps: list[int]         # calls/s
    step_seconds: float
    repeats: int                  # alternated steps per server at the compared rate
    pause: float = 2.0            # seconds between a ladder and its repeats (the last step's tail)


QUICK = Plan(users=5_000, fill_rate=500, register_steps=[500, 1000], call_steps=[50, 100], step_seconds=2.0,
             repeats=2)
FULL = Plan(users=100_000, fill_rate=500, register_steps=[250, 500, 1000, 2000, 4000, 8000],
            call_steps=[50, 100, 200, 400, 800], step_seconds=5.0, repeats=5)


# --- /proc ----------------------------------------------------------------------------------

def _stat_fields(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    return text[text.rindex(")") + 2:].split()  # fields from 3 (state) on


def process_tree(root: int) -> list[int]:
    """root and every live descendant."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(_stat_fields(int(entry))[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(root: int) -> float:
    """utime+stime of the live tree, plus the root's reaped children (cutime+cstime)."""
    total = 0
    for pid in process_tree(root):
        try:
            fields = _stat_fields(pid)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])          # utime, stime
        if pid == root:
            total += int(fields[13]) + int(fields[14])      # cutime, cstime
    return total / CLK_TCK


def cpu_reading(root: int) -> CpuReading:
    """The tree's CPU so far, per thread in nanoseconds and per process in ticks (CpuReading)."""
    precise_ns, ticks, tasks = 0, 0, set()
    children = processes = 0
    for pid in process_tree(root):
        try:
            fields = _stat_fields(pid)
            task_ids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        processes += 1
        ticks += int(fields[11]) + int(fields[12])            # utime, stime (every thread, live or not)
        if pid == root:
            children = int(fields[13]) + int(fields[14])     # cutime, cstime
        for tid in task_ids:
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    precise_ns += int(f.read().split()[0])    # run time of the thread, ns
            except (OSError, ValueError, IndexError):
                continue
            tasks.add(int(tid))
    return CpuReading(precise_ns / 1e9 + children / CLK_TCK, (ticks + children) / CLK_TCK, frozenset(tasks),
                      processes, 1 / CLK_TCK)


def memory_kb(root: int) -> dict[str, int]:
    """PSS and RSS summed over the tree (PSS shares Kamailio's shared memory fairly)."""
    out = {"pss_kb": 0, "rss_kb": 0}
    for pid in process_tree(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    key, _, value = line.partition(":")
                    if key in ("Pss", "Rss"):
                        out[f"{key.lower()}_kb"] += int(value.split()[0])
        except OSError:
            continue
    return out


# --- ports and readiness --------------------------------------------------------------------

def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def free_port_pair() -> int:
    """A UDP port P with P+1 free as well (for a two-process generator), bounded search."""
    for _ in range(50):
        port = free_port()
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise SystemExit("no two consecutive free UDP ports on 127.0.0.1")


def wait_sip_ready(port: int, process: subprocess.Popen, timeout: float = START_WAIT) -> None:
    """Until an OPTIONS to the server gets any response (bounded)."""
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.5)
        local = sock.getsockname()[1]
        for attempt in range(int(timeout * 2) + 1):
            if process.poll() is not None:
                raise SystemExit(f"server exited ({process.returncode}) before answering SIP")
            if time.monotonic() > deadline:
                break
            probe = (f"OPTIONS sip:{DOMAIN} SIP/2.0\r\n"
                     f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bKprobe{attempt}\r\n"
                     f"Max-Forwards: 70\r\nFrom: <sip:probe@probe.invalid>;tag=p{attempt}\r\nTo: <sip:{DOMAIN}>\r\n"
                     f"Call-ID: probe{attempt}@bench\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
            sock.sendto(probe.encode(), ("127.0.0.1", port))
            try:
                if sock.recv(65535).startswith(b"SIP/2.0 "):
                    return
            except socket.timeout:
                continue
    raise SystemExit(f"no SIP answer on 127.0.0.1:{port} within {timeout} s")


def stop_tree(process: subprocess.Popen, pids: list[int]) -> None:
    """SIGTERM the server, then SIGKILL any of its recorded PIDs still alive."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# --- the two servers ------------------------------------------------------------------------

@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    pids: list[int] = field(default_factory=list)
    # the load generator always sends from this port: every run after the first refreshes
    # the same contacts (one binding per user) instead of adding new ones
    # (worker i of a multi-process generator: this port + i)
    generator_port: int = field(default_factory=lambda: free_port_pair())

    def cpu(self) -> CpuReading:
        return cpu_reading(self.process.pid)

    def memory(self) -> dict[str, int]:
        return memory_kb(self.process.pid)


def start_kamailio(workdir: Path, n_users: int) -> Server:
    port = free_port()
    log = (workdir / "kamailio.log").open("w")
    process = subprocess.Popen(
        ["kamailio", "-DD", "-E", "-f", str(KAMAILIO_CFG), "-m", "1024", "-M", "16", "-n", "4",
         "-A", f"LISTEN=udp:127.0.0.1:{port}", "-A", f'DOMAIN="{DOMAIN}"', "-A", f"NUSERS={n_users}"],
        cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    server = Server("kamailio", process, port)
    wait_sip_ready(port, process)
    server.pids = process_tree(process.pid)
    return server


async def _write_users(data_dir: Path, n_users: int) -> None:
    """The benchmark's users (uN with password pwN) straight into ucd's store."""
    await write_accounts(data_dir, [(f"u{i}", f"pw{i}") for i in range(n_users)])


async def write_accounts(data_dir: Path, accounts: Sequence[tuple[str, str]], first_id: int = 1) -> None:
    """(username, password) accounts straight into ucd's store, in one transaction, through
    the store's own schema and HA1 function (what UserService.create writes, in bulk)."""
    from uc_signal.store.model import credentials_for
    from uc_signal.store.sql import SqlStore, sqlite_url
    from uc_signal.store.tables import credentials, users

    store = SqlStore(sqlite_url(data_dir / "ucd.sqlite3"))
    await store.open()
    now = time.time()
    try:
        async with store.engine.begin() as connection:
            await connection.execute(users.insert(), [
                {"id": first_id + i, "username": name, "domain": DOMAIN, "display_name": "", "line_uri": None,
                 "enabled": True, "created_at": now, "updated_at": now} for i, (name, _) in enumerate(accounts)])
            await connection.execute(credentials.insert(), [
                {"user_id": first_id + i, "algorithm": algorithm, "ha1": ha1}
                for i, (name, password) in enumerate(accounts)
                for algorithm, ha1 in credentials_for(name, DOMAIN, password).items()])
    finally:
        await store.close()


def ucctl(admin_url: str, data_dir: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "uc_signal.ucctl", "--url", admin_url, "--data-dir", str(data_dir), *args],
                   cwd=ROOT, check=True, capture_output=True, text=True, timeout=60)


def start_ucd(workdir: Path, n_users: int, extra_config: str = "") -> Server:
    """`extra_config`: TOML tables appended to the configuration (benchmarks of one service)."""
    data_dir = workdir / "ucd-var"
    data_dir.mkdir()
    asyncio.run(_write_users(data_dir, n_users))
    port, http_port = free_port(), free_port(socket.SOCK_STREAM)
    config = workdir / "ucd.toml"
    config.write_text(
        f'[daemon]\ndata_dir = "{data_dir}"\n\n'
        f'[sip]\ndomain = "{DOMAIN}"\nlisten = ["127.0.0.1"]\ntransports = ["udp"]\nudp_port = {port}\n\n'
        '[auth]\nalgorithms = ["MD5"]\n\n'
        '[registrar]\nmin_expires = 60\nmax_expires = 3600\n\n'
        f'[http]\nhost = "127.0.0.1"\nport = {http_port}\n\n'
        '[log]\nlevel = "warning"\n' + extra_config)
    log = (workdir / "ucd.log").open("w")
    # Under --profile-ucd: cProfile on the main thread's CPU clock (thread_time: the loop's
    # idle waits are not counted, nor the SQLite writer thread).
    command = (["-c", "import cProfile, runpy, sys, time\n"
                f"sys.argv = ['ucd', '--config', {str(config)!r}]\n"
                "profile = cProfile.Profile(time.thread_time)\n"
                "try:\n    profile.runcall(runpy.run_module, 'uc_signal.daemon', run_name='__main__')\n"
                f"finally:\n    profile.dump_stats({str(PROFILE_OUT)!r})\n"]
               if PROFILE_OUT else ["-m", "uc_signal.daemon", "--config", str(config)])
    process = subprocess.Popen([sys.executable, *command], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    server = Server("ucd", process, port)
    wait_sip_ready(port, process)
    admin_url = f"http://127.0.0.1:{http_port}"
    ucctl(admin_url, data_dir, "user", "add", f"alice@{DOMAIN}", "--password", "alice-pw")
    ucctl(admin_url, data_dir, "user", "add", f"bob@{DOMAIN}", "--password", "bob-pw")
    server.pids = process_tree(process.pid)
    return server


# --- load -----------------------------------------------------------------------------------

def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def generator_processes(rate: float) -> int:
    """One Python generator process drives ~2,000 registrations/s here (docs/benchmarks.md);
    above that two, so the generator is not the first limit."""
    return 1 if rate < 2000 else 2


def register_step(server: Server, users_csv: Path, count: int, rate: float) -> dict:
    """`count` registrations at `rate`; the generator's report plus server and generator CPU."""
    limit = count / rate + 8.0
    cpu0, gen0 = server.cpu(), children_cpu()
    out = subprocess.run([sys.executable, str(LOADGEN), "--registrar", f"127.0.0.1:{server.port}", "--domain", DOMAIN,
                          "--users", str(users_csv), "--count", str(count), "--rate", str(rate),
                          "--time-limit", str(limit), "--local-port", str(server.generator_port),
                          "--processes", str(generator_processes(rate)), "--json"],
                         capture_output=True, text=True, timeout=limit + 30)
    time.sleep(0.3)  # let the server finish what it was doing (ucd's write-behind batch)
    cpu1, gen_cpu = server.cpu(), children_cpu() - gen0
    server_cpu = cpu1 - cpu0
    report = json.loads(out.stdout.strip().splitlines()[-1])
    done = max(1, report["completed"])
    return {"rate": rate, "count": count, "completed": report["completed"], "failed": report["failed"],
            "retransmissions": report["retransmissions"], "achieved_rate": report["rate"],
            "clean": report["failed"] == 0 and report["retransmissions"] == 0 and report["completed"] == count,
            "server_cpu_us": round(server_cpu / done * 1e6, 1), "generator_cpu_us": round(gen_cpu / done * 1e6, 1),
            "cpu_in_ns": cpu1.exact_since(cpu0)}


def sipp(server: Server, scenario: str, service: str, workdir: Path, *extra: str, calls: int = 1, rate: float = 1,
         local_port: int | None = None) -> subprocess.Popen:
    command = ["sipp", f"127.0.0.1:{server.port}", "-sf", str(SIPP_DIR / scenario), "-s", service,
               "-m", str(calls), "-r", str(rate), "-i", "127.0.0.1", "-p", str(local_port or free_port()),
               "-mp", str(free_port()), "-nostdin", "-max_retrans", "5", *extra]
    return subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def sipp_stats(path: Path) -> dict[str, int]:
    rows = list(csv.reader(path.open(), delimiter=";")) if path.exists() else []
    if len(rows) < 2:
        return {"successful": 0, "failed": 0, "retransmissions": 0}
    stat = dict(zip(rows[0], rows[-1]))
    return {"successful": int(stat.get("SuccessfulCall(C)") or 0), "failed": int(stat.get("FailedCall(C)") or 0),
            "retransmissions": int(stat.get("Retransmissions(C)") or 0)}


def call_step(server: Server, workdir: Path, calls: int, rate: float, index: int) -> dict:
    stats_file = workdir / f"{server.name}-uac-{index}.csv"
    limit = calls / rate + 15.0
    cpu0 = server.cpu()
    uac = sipp(server, "uac_invite_auth.xml", "bob", workdir, "-set", "domain", DOMAIN,
               "-au", "alice", "-ap", "alice-pw",
               "-auth_uri", f"bob@{DOMAIN}", "-set", "caller", "alice", "-timeout", f"{int(limit)}s",
               "-trace_stat", "-stf", str(stats_file), "-fd", "1", calls=calls, rate=rate)
    return finish_step(server, uac, stats_file, calls, rate, limit, cpu0, settle=0.3)


def finish_step(server: Server, uac: subprocess.Popen, stats_file: Path, count: int, rate: float, limit: float,
                cpu0: CpuReading, *, settle: float) -> dict:
    """Wait for a step's sipp UAC (killed after `limit` + 15 s), let the server finish what
    is in flight for `settle` seconds, and report the step: counts from sipp's statistics,
    clean or not, and the server's CPU per completed transaction since `cpu0`."""
    try:
        code = uac.wait(timeout=limit + 15)
    except subprocess.TimeoutExpired:
        uac.kill()
        code = uac.wait(timeout=10)
    time.sleep(settle)
    cpu1 = server.cpu()
    server_cpu = cpu1 - cpu0
    stats = sipp_stats(stats_file)
    return {"rate": rate, "count": count, "completed": stats["successful"], "failed": stats["failed"],
            "retransmissions": stats["retransmissions"], "uac_exit": code,
            "clean": code == 0 and stats["failed"] == 0 and stats["retransmissions"] == 0
            and stats["successful"] == count,
            "server_cpu_us": round(server_cpu / max(1, stats["successful"]) * 1e6, 1),
            "cpu_in_ns": cpu1.exact_since(cpu0)}


def register_bob(server: Server, workdir: Path, uas_port: int) -> None:
    """bob's binding at the sipp UAS's port (digest REGISTER, Expires 300); again before
    the repeats, so that the binding the calls are routed to is never near its expiry."""
    registration = sipp(server, "register_digest.xml", "bob", workdir, "-set", "domain", DOMAIN, "-au", "bob",
                        "-ap", "bob-pw", "-auth_uri", DOMAIN, "-set", "contact_port", str(uas_port),
                        "-timeout", "20s")
    if registration.wait(timeout=40) != 0:
        raise SystemExit(f"{server.name}: bob's registration failed")


@dataclass
class Uas:
    process: subprocess.Popen
    port: int   # bob's contact port


def start_uas(server: Server, workdir: Path, scenario: str, calls: int) -> Uas:
    """A sipp UAS registered as bob on `server`, answering up to `calls` calls (or MESSAGEs)."""
    uas_port = free_port()
    register_bob(server, workdir, uas_port)
    uas = Uas(sipp(server, scenario, "bob", workdir, "-timeout", "900s", calls=calls, local_port=uas_port), uas_port)
    time.sleep(0.5)
    if uas.process.poll() is not None:
        raise SystemExit(f"{server.name}: the sipp UAS exited ({uas.process.returncode})")
    return uas


def stop_uas(uas: Uas) -> None:
    uas.process.kill()
    uas.process.wait(timeout=10)


def idle_cpu(servers: Sequence[Server], seconds: float = 2.0) -> dict[str, float]:
    """Each server's CPU per second with no load (timer processes, housekeeping), ms/s: a
    floor under the per-transaction figures at low rates, reported beside them."""
    time.sleep(0.5)
    cpu0 = {server.name: server.cpu() for server in servers}
    time.sleep(seconds)
    return {server.name: round((server.cpu() - cpu0[server.name]) / seconds * 1e3, 1) for server in servers}


def fill(server: Server, plan: Plan, users_csv: Path) -> dict:
    """N unique registrations: the server's memory before and after, and their CPU."""
    before = server.memory()
    step = register_step(server, users_csv, plan.users, plan.fill_rate)
    time.sleep(1.0)
    after = server.memory()
    done = max(1, step["completed"])
    return {"step": step, "memory_before_kb": before, "memory_after_kb": after,
            "pss_bytes_per_registration": round((after["pss_kb"] - before["pss_kb"]) * 1024 / done, 1),
            "rss_bytes_per_registration": round((after["rss_kb"] - before["rss_kb"]) * 1024 / done, 1)}


def measure(servers: list[Server], plan: Plan, workdir: Path, users_csv: Path) -> dict:
    """Every phase against both running servers: idle CPU, the unique registrations, the
    REGISTER ladder and its repeats, then the call ladder and its repeats."""
    out: dict = {"idle_cpu_ms_per_s": idle_cpu(servers)}
    out["fill"] = {server.name: fill(server, plan, users_csv) for server in servers}

    def register_at(server: Server, rate: float) -> dict:
        return register_step(server, users_csv, min(plan.users, int(rate * plan.step_seconds)), rate)

    out["register_steps"] = _paired.climb(servers, plan.register_steps, register_at)
    register_rate = _paired.common_rate(list(out["register_steps"].values()))
    time.sleep(plan.pause)
    out["register_repeats"] = _paired.alternate(servers, plan.repeats,
                                                lambda server, _: register_at(server, register_rate))
    out["register_rate"] = register_rate

    # calls through the proxy to a registered sipp UAS (no 180), one per server, up for the
    # ladder and the repeats; the UAC of each step is a new sipp process
    calls_at: dict[float, int] = {rate: int(rate * plan.step_seconds) for rate in plan.call_steps}
    capacity = sum(calls_at.values()) + plan.repeats * max(calls_at.values()) + 10
    uases = {server.name: start_uas(server, workdir, "uas_no180.xml", capacity) for server in servers}
    labels = iter(range(1_000_000))
    try:
        out["call_steps"] = _paired.climb(
            servers, plan.call_steps, lambda server, rate: call_step(server, workdir, calls_at[rate], rate, next(labels)))
        call_rate = _paired.common_rate(list(out["call_steps"].values()))
        for server in servers:
            register_bob(server, workdir, uases[server.name].port)
        time.sleep(plan.pause)
        out["call_repeats"] = _paired.alternate(
            servers, plan.repeats,
            lambda server, _: call_step(server, workdir, calls_at[call_rate], call_rate, next(labels)))
        out["call_rate"] = call_rate
    finally:
        for uas in uases.values():
            stop_uas(uas)
    return out


def main() -> None:
    quick = quick_flag()
    plan = QUICK if quick else FULL
    for tool in ("kamailio", "sipp"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt-get install {'sip-tester' if tool == 'sipp' else tool})")
    with tempfile.TemporaryDirectory(prefix="sip-vs-kamailio-") as tmp:
        workdir = Path(tmp)
        users_csv = workdir / "users.csv"
        with users_csv.open("w", newline="") as f:
            csv.writer(f).writerows([f"u{i}", f"pw{i}"] for i in range(plan.users))
        servers: list[Server] = []
        startup: dict[str, float] = {}
        try:
            for name, start in (("kamailio", start_kamailio), ("ucd", start_ucd)):
                started = time.monotonic()
                servers.append(start(workdir, plan.users))
                startup[name] = round(time.monotonic() - started, 2)
            result = measure(servers, plan, workdir, users_csv)
        finally:
            for server in servers:
                stop_tree(server.process, server.pids)
    print(json.dumps(result), file=sys.stderr)

    reg_rate, call_rate = result["register_rate"], result["call_rate"]
    figures: dict = {"registrations_for_memory": plan.users, "quick": quick, "repeats": plan.repeats}
    register_cpu, call_cpu = {}, {}
    for server in servers:
        name, filled = server.name, result["fill"][server.name]
        register_cpu[name] = _paired.spread(result["register_repeats"][name]["steps"])
        call_cpu[name] = _paired.spread(result["call_repeats"][name]["steps"])
        figures[name] = {
            "highest_clean_register_rate": _paired.highest_clean(result["register_steps"][name]),
            "highest_clean_call_rate": _paired.highest_clean(result["call_steps"][name]),
            "cpu_us_per_authenticated_register": register_cpu[name]["median"],
            "cpu_us_per_call": call_cpu[name]["median"],
            "register_repeats": register_cpu[name],
            "call_repeats": call_cpu[name],
            "register_block_cpu_us": result["register_repeats"][name]["block_cpu_us"],
            "call_block_cpu_us": result["call_repeats"][name]["block_cpu_us"],
            "cpu_us_per_first_registration": filled["step"]["server_cpu_us"],
            "fill_clean": filled["step"]["clean"],
            "pss_bytes_per_registration": filled["pss_bytes_per_registration"],
            "rss_bytes_per_registration": filled["rss_bytes_per_registration"],
            "memory_before_kb": filled["memory_before_kb"], "memory_after_kb": filled["memory_after_kb"],
            "startup_s": startup[name], "idle_cpu_ms_per_s": result["idle_cpu_ms_per_s"][name],
            "register_steps": result["register_steps"][name], "call_steps": result["call_steps"][name],
            "register_repeat_steps": result["register_repeats"][name]["steps"],
            "call_repeat_steps": result["call_repeats"][name]["steps"],
        }
    figures["cpu_compared_at"] = {"register_rate": reg_rate, "call_rate": call_rate}
    kam, ucd = figures["kamailio"], figures["ucd"]
    register_ratio = _paired.median_ratio(register_cpu["ucd"], register_cpu["kamailio"])
    call_ratio = _paired.median_ratio(call_cpu["ucd"], call_cpu["kamailio"])
    figures["ratios"] = {"register_cpu_ucd_over_kamailio": round(register_ratio, 2),
                         "call_cpu_ucd_over_kamailio": round(call_ratio, 2),
                         "pss_per_registration_ucd_over_kamailio":
                             round(ucd["pss_bytes_per_registration"] / kam["pss_bytes_per_registration"], 2)
                             if kam["pss_bytes_per_registration"] > 0 else None}
    targets = {
        "register_cpu_vs_kamailio": target(register_ratio, 2.0, "<= 2x Kamailio's CPU per authenticated REGISTER"),
        "call_cpu_vs_kamailio": target(call_ratio, 2.0, "<= 2x Kamailio's CPU per call"),
        "ucd_bytes_per_registration": target(ucd["pss_bytes_per_registration"], 2048.0,
                                             f"<= 2 KB PSS per registration (at {plan.users} registrations)"),
    }
    emit(figures, targets)


if __name__ == "__main__":
    main()
