"""Presence fan-out through ucd: N watchers subscribed to one presentity, one PUBLISH.

ucd runs as an operator runs it (`python -m uc_signal.daemon --config ucd.toml`, UDP only,
its users written into the store before start-up as in sip_vs_kamailio.py). One process
here drives N+1 UDP user agents (benchmarks/loadgen/presence_agents.py): each watcher
registers with digest (REGISTER, 401, REGISTER, 200) and subscribes to alice's presence
(SUBSCRIBE, 407, SUBSCRIBE, 200, first NOTIFY); alice registers and publishes.

Each measured round: alice's PUBLISH is challenged (407) first, outside the measurement;
then the authorized PUBLISH is sent at t0 (wall clock) and every watcher's NOTIFY with the
new state is timestamped by the kernel on arrival (SO_TIMESTAMPNS, the same clock), so
the latency excludes this process's own queueing. Rounds alternate Busy and Available.

Figures: fan-out latency p50/p99/max over all watchers and rounds (time until each
watcher has its NOTIFY), the time until the last watcher has it, and ucd's CPU per
NOTIFY (utime+stime from /proc around each round, which includes reading the watchers'
200 OKs), beside the reference measured in the same run: ucd's CPU per authenticated
REGISTER during set-up (one registration = two server transactions).

    python benchmarks/presence_fanout.py [--quick] [--watchers N]
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import emit, quick_flag, target  # noqa: E402
from benchmarks.loadgen.presence_agents import Agent, Agents  # noqa: E402
from benchmarks.sip_vs_kamailio import (DOMAIN, _write_users, cpu_seconds, free_port, process_tree,  # noqa: E402
                                        stop_tree, wait_sip_ready)

ROOT = Path(__file__).resolve().parent.parent
TARGET_P99_MS = 50.0


def argument(name: str, default: int) -> int:
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def pidf(activities: str) -> str:
    person = f'<dm:person id="p"><rpid:activities>{activities}</rpid:activities></dm:person>' if activities else ""
    return ('<?xml version="1.0" encoding="UTF-8"?><presence xmlns="urn:ietf:params:xml:ns:pidf" '
            'xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" '
            f'entity="sip:alice@{DOMAIN}"><tuple id="t"><status><basic>open</basic></status></tuple>{person}'
            '</presence>')


def start_ucd(workdir: Path, n_users: int) -> tuple[subprocess.Popen, int]:
    data_dir = workdir / "ucd-var"
    data_dir.mkdir()
    asyncio.run(_write_users(data_dir, n_users))     # users u0..u{n-1}, passwords pw0..
    port, http_port = free_port(), free_port(socket.SOCK_STREAM)
    config = workdir / "ucd.toml"
    config.write_text(
        f'[daemon]\ndata_dir = "{data_dir}"\n\n'
        f'[sip]\ndomain = "{DOMAIN}"\nlisten = ["127.0.0.1"]\ntransports = ["udp"]\nudp_port = {port}\n\n'
        '[auth]\nalgorithms = ["MD5"]\n\n'
        f'[http]\nhost = "127.0.0.1"\nport = {http_port}\n\n'
        '[presence]\nidle_timeout = 86400\n\n'
        '[log]\nlevel = "warning"\n')
    log = (workdir / "ucd.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "uc_signal.daemon", "--config", str(config)], cwd=ROOT,
                               stdout=log, stderr=subprocess.STDOUT)
    wait_sip_ready(port, process)
    return process, port


def register_all(agents: Agents, members: list[Agent]) -> int:
    def build(agent: Agent):  # type: ignore[no-untyped-def]
        return lambda auth: agent.build("REGISTER", f"sip:{DOMAIN}", to=agent.aor, call_id=f"reg-{agent.user}",
                                        extra="Expires: 3600\r\n" + auth)
    done = agents.transact([(a, build(a)) for a in members], method="REGISTER", uri_of=lambda _a: f"sip:{DOMAIN}")
    return sum(1 for response in done.values() if response.status == 200)


def subscribe_all(agents: Agents, members: list[Agent], presentity: str) -> int:
    def build(agent: Agent):  # type: ignore[no-untyped-def]
        return lambda auth: agent.build("SUBSCRIBE", presentity, call_id=f"sub-{agent.user}",
                                        extra="Event: presence\r\nExpires: 3600\r\n" + auth)
    done = agents.transact([(a, build(a)) for a in members], method="SUBSCRIBE", uri_of=lambda _a: presentity)
    return sum(1 for response in done.values() if response.status == 200)


def publish_round(agents: Agents, alice: Agent, watchers: list[Agent], body: str, etag: str,
                  ucd_pid: int) -> tuple[list[float], float, str]:
    """One measured PUBLISH: (latencies in s, ucd CPU s, the new entity tag)."""
    from uc_signal.sip import DigestClient
    extra = "Event: presence\r\nExpires: 3600\r\nContent-Type: application/pidf+xml\r\n"
    if etag:
        extra += f"SIP-If-Match: {etag}\r\n"
    uri = alice.aor
    first = alice.build("PUBLISH", uri, call_id="pub-alice", extra=extra, body=body)
    alice.sock.sendto(first, agents.server)
    assert agents.wait(lambda: alice.pending is None, 5), "no answer to PUBLISH"
    challenge = alice.response
    assert challenge is not None and challenge.status == 407, challenge
    auth = DigestClient(alice.user, alice.password).authorize(
        challenge.headers.get_all("Proxy-Authenticate")[-1], "PUBLISH", uri)
    request = alice.build("PUBLISH", uri, call_id="pub-alice", extra=extra + f"Proxy-Authorization: {auth}\r\n",
                          body=body)
    before = [len(w.notifies) for w in watchers]
    agents.pump(0.05)                       # nothing left over from set-up
    cpu0 = cpu_seconds(ucd_pid)
    t0 = time.time()
    alice.sock.sendto(request, agents.server)
    complete = agents.wait(lambda: all(len(w.notifies) > n for w, n in zip(watchers, before)), 30)
    agents.wait(lambda: alice.pending is None, 5)
    agents.pump(0.2)                        # ucd reads the watchers' 200 OKs
    cpu = cpu_seconds(ucd_pid) - cpu0
    assert complete, f"{sum(len(w.notifies) > n for w, n in zip(watchers, before))} of {len(watchers)} NOTIFYs"
    assert alice.response is not None and alice.response.status == 200, alice.response
    latencies = [w.notifies[n][0] - t0 for w, n in zip(watchers, before)]
    return latencies, cpu, alice.response.headers.get("SIP-ETag") or ""


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    quick = quick_flag()
    n_watchers = argument("--watchers", 1000)
    rounds = 3 if quick else 10
    with tempfile.TemporaryDirectory(prefix="presence-fanout-") as tmp:
        workdir = Path(tmp)
        process, port = start_ucd(workdir, n_watchers + 1)
        pids = process_tree(process.pid)
        agents = Agents(("127.0.0.1", port), DOMAIN)
        try:
            alice = agents.add(f"u{n_watchers}", f"pw{n_watchers}")
            watchers = [agents.add(f"u{i}", f"pw{i}") for i in range(n_watchers)]
            cpu0 = cpu_seconds(process.pid)
            registered = register_all(agents, [alice, *watchers])
            register_cpu = (cpu_seconds(process.pid) - cpu0) / max(1, registered)
            assert registered == n_watchers + 1, f"{registered} of {n_watchers + 1} registered"
            subscribed = subscribe_all(agents, watchers, alice.aor)
            assert subscribed == n_watchers, f"{subscribed} of {n_watchers} subscribed"
            assert agents.wait(lambda: all(w.notifies for w in watchers), 30), "initial NOTIFYs missing"
            _, _, etag = publish_round(agents, alice, watchers, pidf(""), "", process.pid)   # warm-up
            latencies: list[float] = []
            lasts: list[float] = []
            cpu = 0.0
            for index in range(rounds):
                body = pidf("<rpid:busy/>" if index % 2 == 0 else "")
                round_latencies, round_cpu, etag = publish_round(agents, alice, watchers, body, etag, process.pid)
                latencies += round_latencies
                lasts.append(max(round_latencies))
                cpu += round_cpu
                expected = "Busy" if index % 2 == 0 else "Available"
                assert all(f"<ucs:state>{expected}</ucs:state>".encode() in w.notifies[-1][1] for w in watchers)
        finally:
            agents.close()
            stop_tree(process, pids)
    p50, p99 = quantile(latencies, 0.5) * 1000, quantile(latencies, 0.99) * 1000
    cpu_per_notify = cpu / (rounds * n_watchers)
    figures = {
        "watchers": n_watchers, "rounds": rounds,
        "fanout_p50_ms": round(p50, 2), "fanout_p99_ms": round(p99, 2),
        "fanout_max_ms": round(max(latencies) * 1000, 2),
        "last_watcher_median_ms": round(statistics.median(lasts) * 1000, 2),
        "ucd_cpu_us_per_notify": round(cpu_per_notify * 1e6, 1),
        "ucd_cpu_us_per_register_reference": round(register_cpu * 1e6, 1),
        "notify_cpu_vs_register": round(cpu_per_notify / register_cpu, 3) if register_cpu else None,
        "p99_vs_target": round(p99 / TARGET_P99_MS, 3),
    }
    targets = {"fanout_p99_ms": target(p99, TARGET_P99_MS, f"< {TARGET_P99_MS:.0f} ms for {n_watchers} watchers")}
    emit(figures, targets)


if __name__ == "__main__":
    main()
