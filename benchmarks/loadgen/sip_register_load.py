"""A REGISTER load generator with per-user digest credentials, for any registrar.

sipp 3.6 cannot take a per-call username inside [authentication] (PEERS.md), so this
generator does what a population of phones does: each registration sends REGISTER,
answers the 401 (or 407) with the credentials of its own user from a CSV, and expects a
200. One asyncio UDP socket, paced at --rate, bounded by --count and --time-limit.
Requests are retransmitted on RFC 3261's Timer E schedule (T1 doubling up to T2) until a
final response or Timer F (64*T1); every retransmission is counted.

CSV rows: username,password[,domain]. Users are taken round-robin.

    python benchmarks/loadgen/sip_register_load.py --registrar 127.0.0.1:5060 \\
        --domain example.com --users users.csv --count 10000 --rate 2000 --json

One process (Python) drives a few thousand registrations per second; `--processes N`
splits users, count and rate over N processes and adds their reports up.

The last line printed is a JSON object: completed, failed, timeouts, retransmissions,
statuses, elapsed, rate, and the latency quantiles of the whole (two-transaction)
registration.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import heapq
import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from uc_signal.sip import DigestChallenge, DigestParseError, Response, parse_datagram  # noqa: E402
from uc_signal.sip.digest import DigestAlgorithm, build_credentials  # noqa: E402

T1, T2 = 0.5, 4.0


@dataclass
class Registration:
    username: str
    password: str
    domain: str
    call_id: str
    started: float
    cseq: int = 1
    branch: str = ""
    data: bytes = b""
    next_retransmit: float = 0.0
    interval: float = T1
    give_up: float = 0.0
    challenged: bool = False


@dataclass
class Report:
    completed: int = 0
    failed: int = 0
    timeouts: int = 0
    retransmissions: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    def as_dict(self, elapsed: float) -> dict[str, object]:
        ordered = sorted(self.latencies)

        def quantile(q: float) -> float | None:
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3) if ordered else None

        return {"completed": self.completed, "failed": self.failed, "timeouts": self.timeouts,
                "retransmissions": self.retransmissions,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "elapsed": round(elapsed, 3), "rate": round(self.completed / elapsed, 1) if elapsed else 0.0,
                "latency_ms": {"p50": quantile(0.5), "p99": quantile(0.99)}}


class Generator(asyncio.DatagramProtocol):
    def __init__(self, args: argparse.Namespace, users: list[tuple[str, str, str]]) -> None:
        self.args = args
        self.users = users
        self.report = Report()
        self.pending: dict[str, Registration] = {}
        self.timers: list[tuple[float, str, int]] = []
        self.transport: asyncio.DatagramTransport | None = None
        self.local = ("127.0.0.1", 0)
        self.prefix = os.urandom(4).hex()
        self.sent = 0
        self.done = asyncio.Event()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a datagram transport
        self.local = transport.get_extra_info("sockname")[:2]

    # --- building requests ------------------------------------------------------------------

    def request(self, reg: Registration, authorization: str | None, header: str) -> bytes:
        reg.branch = f"z9hG4bK{self.prefix}{reg.call_id}x{reg.cseq}"
        host, port = self.local
        aor = f"sip:{reg.username}@{reg.domain}"
        lines = [
            f"REGISTER sip:{reg.domain} SIP/2.0",
            f"Via: SIP/2.0/UDP {host}:{port};branch={reg.branch};rport",
            "Max-Forwards: 70",
            f"From: <{aor}>;tag={reg.call_id}",
            f"To: <{aor}>",
            f"Call-ID: {reg.call_id}@{self.prefix}",
            f"CSeq: {reg.cseq} REGISTER",
            f"Contact: <sip:{reg.username}@{host}:{port}>",
            f"Expires: {self.args.expires}",
            "User-Agent: ucserver-loadgen",
        ]
        if authorization is not None:
            lines.append(f"{header}: {authorization}")
        lines.append("Content-Length: 0")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def send(self, reg: Registration, data: bytes, now: float) -> None:
        assert self.transport is not None
        reg.data = data
        reg.interval = T1
        reg.next_retransmit = now + T1
        reg.give_up = now + 64 * T1
        heapq.heappush(self.timers, (reg.next_retransmit, reg.call_id, reg.cseq))
        self.transport.sendto(data, self.args.target)

    def start_one(self, now: float) -> None:
        username, password, domain = self.users[self.sent % len(self.users)]
        reg = Registration(username, password, domain, f"r{self.args.worker}x{self.sent}", now)
        self.sent += 1
        self.pending[reg.call_id] = reg
        self.send(reg, self.request(reg, None, ""), now)

    # --- responses --------------------------------------------------------------------------

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        now = time.monotonic()
        try:
            message = parse_datagram(data)
        except ValueError:
            return
        if not isinstance(message, Response) or message.status < 200 or message.call_id is None:
            return
        reg = self.pending.get(message.call_id.split("@", 1)[0])
        cseq = message.cseq
        if reg is None or cseq is None or cseq.seq != reg.cseq:
            return  # a retransmitted response to a finished transaction
        self.report.statuses[message.status] += 1
        if message.status in (401, 407) and not reg.challenged:
            header = "WWW-Authenticate" if message.status == 401 else "Proxy-Authenticate"
            answer = self.answer(reg, message.headers.get_all(header))
            if answer is not None:
                reg.challenged = True
                reg.cseq += 1
                name = "Authorization" if message.status == 401 else "Proxy-Authorization"
                self.send(reg, self.request(reg, answer, name), now)
                return
        del self.pending[reg.call_id]
        if message.status == 200:
            self.report.completed += 1
            self.report.latencies.append(now - reg.started)
        else:
            self.report.failed += 1
        self.check_done()

    def answer(self, reg: Registration, challenges: list[str]) -> str | None:
        """Credentials for the strongest challenge this generator can answer."""
        parsed = []
        for value in challenges:
            try:
                parsed.append(DigestChallenge.parse(value))
            except DigestParseError:
                continue
        if not parsed:
            return None
        order = {DigestAlgorithm.SHA_256: 0, DigestAlgorithm.SHA_512_256: 1, DigestAlgorithm.MD5: 2}
        challenge = min(parsed, key=lambda c: order[c.algorithm] if self.args.prefer_sha256 else -order[c.algorithm])
        credentials = build_credentials(challenge, reg.username, reg.password, "REGISTER", f"sip:{reg.domain}",
                                        cnonce=os.urandom(8).hex())
        return str(credentials)

    # --- timers -----------------------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Retransmit what is due (Timer E) and give up what timed out (Timer F), from a
        heap of (deadline, call id, cseq); entries of answered requests are skipped."""
        assert self.transport is not None
        heap = self.timers
        while heap and heap[0][0] <= now:
            _, call_id, cseq = heapq.heappop(heap)
            reg = self.pending.get(call_id)
            if reg is None or reg.cseq != cseq:
                continue
            if now >= reg.give_up:
                del self.pending[call_id]
                self.report.timeouts += 1
                self.report.failed += 1
                continue
            self.transport.sendto(reg.data, self.args.target)
            self.report.retransmissions += 1
            reg.interval = min(2 * reg.interval, T2)
            reg.next_retransmit = now + reg.interval
            heapq.heappush(heap, (min(reg.next_retransmit, reg.give_up), call_id, cseq))
        self.check_done()

    def check_done(self) -> None:
        if self.sent >= self.args.count and not self.pending:
            self.done.set()


def load_users(path: Path, default_domain: str) -> list[tuple[str, str, str]]:
    users = []
    with path.open(newline="") as f:
        lines = f.read().splitlines()
    # Either username,password[,domain] or sipp's injection-file form (";" separated,
    # a SEQUENTIAL/RANDOM/USER first line).
    delimiter = ";" if any(";" in line and "," not in line for line in lines[:5]) else ","
    for row in csv.reader(lines, delimiter=delimiter):
        if not row or row[0].startswith("#") or row[0] in ("SEQUENTIAL", "RANDOM", "USER", "RANDOM2"):
            continue
        if len(row) >= 2:
            domain = row[2] if len(row) > 2 and row[2] else default_domain
            users.append((row[0], row[1], domain))
    if not users:
        raise SystemExit(f"no users in {path}")
    return users


async def run(args: argparse.Namespace) -> Report:
    users = load_users(args.users, args.domain)[args.worker::args.processes]
    if not users:
        raise SystemExit(f"worker {args.worker} has no users: fewer users than --processes")
    loop = asyncio.get_running_loop()
    _, generator = await loop.create_datagram_endpoint(lambda: Generator(args, users),
                                                          local_addr=(args.local_ip, args.local_port + args.worker if args.local_port else 0))
    start = time.monotonic()
    deadline = start + args.time_limit
    interval = 1.0 / args.rate
    next_send = start
    try:
        for _ in range(100_000_000):  # bounded by --count and --time-limit below
            now = time.monotonic()
            if now >= deadline or generator.done.is_set():
                break
            while generator.sent < args.count and next_send <= now:
                generator.start_one(now)
                next_send += interval
            generator.tick(now)
            # Wake for the next send, but not more often than every millisecond (sends
            # that fell due meanwhile go out together).
            wake = max(now + 0.001, min(next_send if generator.sent < args.count else now + 0.05, now + 0.05))
            try:
                await asyncio.wait_for(generator.done.wait(), max(0.0, wake - time.monotonic()))
            except asyncio.TimeoutError:
                pass
    finally:
        generator.report.failed += len(generator.pending)
        generator.report.timeouts += len(generator.pending)
        generator.pending.clear()
        assert generator.transport is not None
        generator.transport.close()
    return generator.report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--registrar", required=True, help="host:port of the registrar (UDP)")
    parser.add_argument("--domain", required=True, help="the SIP domain (Request-URI, AOR and realm)")
    parser.add_argument("--users", type=Path, required=True, help="CSV: username,password[,domain]")
    parser.add_argument("--count", type=int, default=1000, help="registrations to complete or fail")
    parser.add_argument("--rate", type=float, default=500.0, help="new registrations per second")
    parser.add_argument("--time-limit", type=float, default=60.0, help="stop after this many seconds")
    parser.add_argument("--expires", type=int, default=3600)
    parser.add_argument("--local-ip", default="127.0.0.1")
    parser.add_argument("--local-port", type=int, default=0,
                        help="UDP port to send from (0: any; worker i of --processes uses PORT+i); the same port "
                             "keeps the same Contact, so a second run refreshes the first run's bindings "
                             "instead of adding new ones")
    parser.add_argument("--prefer-sha256", action="store_true", help="answer SHA-256 when offered (default MD5)")
    parser.add_argument("--quick", action="store_true", help="at most 200 registrations and 20 s")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    parser.add_argument("--processes", type=int, default=1,
                        help="split users, count and rate over this many generator processes")
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    host, _, port = args.registrar.rpartition(":")
    args.target = (host.strip("[]"), int(port))
    if args.quick:
        args.count, args.time_limit = min(args.count, 200), min(args.time_limit, 20.0)
    start = time.monotonic()
    if args.processes > 1 and args.worker is None:
        result = run_workers(args)
    else:
        if args.worker is None:
            args.worker = 0
        else:  # one of --processes workers: its share of the count and the rate
            args.count = args.count // args.processes + (1 if args.worker < args.count % args.processes else 0)
            args.rate = args.rate / args.processes
        report = asyncio.run(run(args))
        result = report.as_dict(time.monotonic() - start)
    if not args.json:
        print(f"{result['completed']} completed, {result['failed']} failed ({result['timeouts']} timeouts), "
              f"{result['retransmissions']} retransmissions in {result['elapsed']} s", file=sys.stderr)
    print(json.dumps(result))
    sys.exit(0 if result["failed"] == 0 else 1)


def run_workers(args: argparse.Namespace) -> dict[str, object]:
    """Run --processes copies of this script, each with its slice; add their reports up.
    Latency quantiles cannot be merged exactly: the p50 is the workers' median p50, the
    p99 their highest."""
    start = time.monotonic()
    argv = [a for a in sys.argv[1:] if a != "--json"] + ["--json"]
    workers = [subprocess.Popen([sys.executable, __file__, *argv, "--worker", str(i)], stdout=subprocess.PIPE,
                                text=True) for i in range(args.processes)]
    results = []
    for worker in workers:
        out, _ = worker.communicate(timeout=args.time_limit + 60)
        results.append(json.loads(out.strip().splitlines()[-1]))
    elapsed = time.monotonic() - start
    statuses: Counter[str] = Counter()
    for result in results:
        statuses.update(result["statuses"])
    completed = sum(r["completed"] for r in results)
    p50s = sorted(r["latency_ms"]["p50"] for r in results if r["latency_ms"]["p50"] is not None)
    p99s = [r["latency_ms"]["p99"] for r in results if r["latency_ms"]["p99"] is not None]
    return {"completed": completed, "failed": sum(r["failed"] for r in results),
            "timeouts": sum(r["timeouts"] for r in results),
            "retransmissions": sum(r["retransmissions"] for r in results),
            "statuses": dict(sorted(statuses.items())), "elapsed": round(elapsed, 3),
            "rate": round(completed / elapsed, 1) if elapsed else 0.0,
            "latency_ms": {"p50": p50s[len(p50s) // 2] if p50s else None, "p99": max(p99s, default=None)},
            "processes": args.processes}


if __name__ == "__main__":
    main()
