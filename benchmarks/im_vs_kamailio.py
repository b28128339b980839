"""ucd beside Kamailio 5.6 relaying instant messages (RFC 3428 MESSAGE), in one run.

The same sipp scenario against each server, one server at a time (all started once here
and up for the whole run, PIDs recorded, every wait bounded; the launchers and Kamailio's
configuration are benchmarks/sip_vs_kamailio.py's and benchmarks/kamailio/kamailio.cfg,
whose generic branch relays MESSAGE like any out-of-dialog request: 407 challenge for a
local sender, usrloc lookup, t_relay):

- a sipp UAS registered (digest) as bob answers every MESSAGE 200
  (tests/integration/sipp/message_uas.xml);
- a sipp UAC sends MESSAGE to bob as alice: 407, MESSAGE with Proxy-Authorization, 200
  (tests/integration/sipp/message_auth_uac.xml), at stepped rates until a step shows
  failures or retransmissions.

ucd runs as configured by default: the IM application claims the MESSAGE, checks the
policies, size and filter, forks it to bob's endpoints through its own client transaction
and archives it in the history (SQLite, written behind); Kamailio only relays. A second
ucd with archiving off (`[policies.im.Global] archive = false`) shows what the
history costs, and a third with the IM application off (`[im] enabled = false`: the
MESSAGE is proxied by the router like any request) shows what the IM service itself costs
over plain relaying.

CPU per relayed MESSAGE = run time of every thread of every process of the server (/proc,
benchmarks/_paired.py's CpuReading) during the step / completed messages. At each rate the servers take their step in turn; at the
highest rate all of them passed clean the step is repeated on the same running servers,
alternating them (A B C D D C B A ..., benchmarks/_paired.py): 5 times each, 2 with
--quick. Figures are the medians of the repeats with their minimum and maximum; the
target is the ratio of ucd's median to Kamailio's.

    python benchmarks/im_vs_kamailio.py [--quick]
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _paired  # noqa: E402
from benchmarks._common import emit, quick_flag, target  # noqa: E402
from benchmarks.sip_vs_kamailio import (DOMAIN, Server, Uas, finish_step, register_bob, sipp,  # noqa: E402
                                        start_kamailio, start_uas, start_ucd, stop_tree, stop_uas)


@dataclass
class Plan:
    rates: list[int]      # MESSAGEs per second
    step_seconds: float
    repeats: int = 1      # alternated steps per server at the compared rate
    pause: float = 2.0    # seconds between the ladder and the repeats


# ucd as configured by default, then without the history, then with the IM application out
# of the chain (MESSAGE proxied by the router): what IM costs beside what SIP costs.
NO_ARCHIVE = "[policies.im.Global]\narchive = false\n"
PROXY_ONLY = "[im]\nenabled = false\n"
SERVERS = ("kamailio", "ucd", "ucd-no-archive", "ucd-proxy-only")

QUICK = Plan(rates=[100, 200], step_seconds=3.0, repeats=2)
FULL = Plan(rates=[100, 200, 400, 800, 1600], step_seconds=5.0, repeats=5)


def message_step(server: Server, workdir: Path, count: int, rate: float, index: int) -> dict:
    stats_file = workdir / f"{server.name}-message-{index}.csv"
    limit = count / rate + 15.0
    cpu0 = server.cpu()
    uac = sipp(server, "message_auth_uac.xml", "bob", workdir, "-set", "domain", DOMAIN, "-au", "alice",
               "-ap", "alice-pw", "-auth_uri", f"bob@{DOMAIN}", "-set", "caller", "alice",
               "-timeout", f"{int(limit)}s", "-trace_stat", "-stf", str(stats_file), "-fd", "1",
               calls=count, rate=rate)
    # settle: the write-behind history batch of the last messages
    step = finish_step(server, uac, stats_file, count, rate, limit, cpu0, settle=0.5)
    print(f"  {server.name} {rate}/s: {json.dumps(step)}", file=sys.stderr)
    return step


def uas_capacity(plan: Plan) -> int:
    """MESSAGEs one server's UAS may answer: the whole ladder and the repeats at its top."""
    return sum(int(rate * plan.step_seconds) for rate in plan.rates) + plan.repeats * int(
        max(plan.rates) * plan.step_seconds) + 10


def run_server(server: Server, plan: Plan, workdir: Path) -> list[dict]:
    """One server's ladder alone (bob's UAS started and stopped here), no repeats."""
    uas = start_uas(server, workdir, "message_uas.xml", uas_capacity(plan))
    labels = iter(range(1_000_000))
    try:
        return _paired.climb([server], plan.rates, lambda s, rate: message_step(
            s, workdir, int(rate * plan.step_seconds), rate, next(labels)))[server.name]
    finally:
        stop_uas(uas)


def measure(servers: list[Server], plan: Plan, workdir: Path) -> dict:
    """The ladder over all servers, then the repeats at the highest rate all passed clean."""
    labels = iter(range(1_000_000))

    def step_at(rate: float) -> Callable[[Server, int], dict]:
        return lambda server, _: message_step(server, workdir, int(rate * plan.step_seconds), rate, next(labels))

    uases: dict[str, Uas] = {}
    try:
        for server in servers:
            uases[server.name] = start_uas(server, workdir, "message_uas.xml", uas_capacity(plan))
        ladders = _paired.climb(servers, plan.rates, lambda server, rate: step_at(rate)(server, 0))
        rate = _paired.common_rate(list(ladders.values()))
        for server in servers:
            register_bob(server, workdir, uases[server.name].port)
        time.sleep(plan.pause)
        repeats = _paired.alternate(servers, plan.repeats, step_at(rate))
    finally:
        for uas in uases.values():
            stop_uas(uas)
    return {"ladders": ladders, "rate": rate, "repeats": repeats}


def start_ucd_variant(name: str, extra_config: str) -> Callable[[Path, int], Server]:
    """A start function for ucd with `extra_config` appended, in its own data directory."""
    def start(workdir: Path, n_users: int) -> Server:
        sub = workdir / name
        sub.mkdir()
        server = start_ucd(sub, n_users, extra_config=extra_config)
        server.name = name
        return server
    return start


def main() -> None:
    quick = quick_flag()
    plan = QUICK if quick else FULL
    for tool in ("kamailio", "sipp"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt-get install {'sip-tester' if tool == 'sipp' else tool})")
    starts = {"kamailio": start_kamailio, "ucd": start_ucd,
              "ucd-no-archive": start_ucd_variant("ucd-no-archive", NO_ARCHIVE),
              "ucd-proxy-only": start_ucd_variant("ucd-proxy-only", PROXY_ONLY)}
    with tempfile.TemporaryDirectory(prefix="im-vs-kamailio-") as tmp:
        workdir = Path(tmp)
        servers: list[Server] = []
        try:
            for name in SERVERS:
                servers.append(starts[name](workdir, 1))
            result = measure(servers, plan, workdir)
        finally:
            for server in servers:
                stop_tree(server.process, server.pids)

    rate, ladders = result["rate"], result["ladders"]
    medians = {name: _paired.spread(result["repeats"][name]["steps"]) for name in SERVERS}
    kamailio = medians["kamailio"]

    def over_kamailio(name: str) -> float | None:
        return round(_paired.median_ratio(medians[name], kamailio), 2) if kamailio["median"] else None

    ratio = _paired.median_ratio(medians["ucd"], kamailio)
    figures: dict = {"quick": quick, "compared_at_rate": rate, "repeats": plan.repeats,
                     "cpu_us_per_message": {name.replace("-", "_"): medians[name]["median"] for name in SERVERS},
                     "cpu_us_per_message_spread": {name.replace("-", "_"): medians[name] for name in SERVERS},
                     "block_cpu_us_per_message": {name.replace("-", "_"): repeat["block_cpu_us"]
                                                  for name, repeat in result["repeats"].items()},
                     "ratios": {"ucd_over_kamailio": round(ratio, 2),
                                "ucd_no_archive_over_kamailio": over_kamailio("ucd-no-archive"),
                                "ucd_proxy_only_over_kamailio": over_kamailio("ucd-proxy-only")},
                     "highest_clean_rate": {name: _paired.highest_clean(steps) for name, steps in ladders.items()},
                     "steps": ladders,
                     "repeat_steps": {name: repeat["steps"] for name, repeat in result["repeats"].items()}}
    targets = {"message_cpu_vs_kamailio": target(ratio, 2.0, "<= 2x Kamailio's CPU per relayed MESSAGE")}
    emit(figures, targets)


if __name__ == "__main__":
    main()
