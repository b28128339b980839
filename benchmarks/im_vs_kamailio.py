"""ucd beside Kamailio 5.6 relaying instant messages (RFC 3428 MESSAGE), in one run.

The same sipp scenario against both servers, one after the other (each started and
stopped here, PIDs recorded, every wait bounded; the launchers and Kamailio's
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
ucd run with archiving off (`[policies.im.Global] archive = false`) shows what the
history costs, and a third with the IM application off (`[im] enabled = false`: the
MESSAGE is proxied by the router like any request) shows what the IM service itself costs
over plain relaying.

CPU per relayed MESSAGE = utime+stime of every process of the server (/proc) during the
step / completed messages; the ratio is taken at the highest rate all runs passed clean.

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

from benchmarks._common import emit, quick_flag, target  # noqa: E402
from benchmarks.sip_vs_kamailio import (DOMAIN, Server, finish_step, free_port, sipp, start_kamailio,  # noqa: E402
                                        start_ucd, stop_tree)


@dataclass
class Plan:
    rates: list[int]      # MESSAGEs per second
    step_seconds: float


# ucd as configured by default, then without the history, then with the IM application out
# of the chain (MESSAGE proxied by the router): what IM costs beside what SIP costs.
NO_ARCHIVE = "[policies.im.Global]\narchive = false\n"
PROXY_ONLY = "[im]\nenabled = false\n"

QUICK = Plan(rates=[100, 200], step_seconds=3.0)
FULL = Plan(rates=[100, 200, 400, 800, 1600], step_seconds=5.0)


def message_step(server: Server, workdir: Path, count: int, rate: float, index: int) -> dict:
    stats_file = workdir / f"{server.name}-message-{index}.csv"
    limit = count / rate + 15.0
    cpu0 = server.cpu()
    uac = sipp(server, "message_auth_uac.xml", "bob", workdir, "-set", "domain", DOMAIN, "-au", "alice",
               "-ap", "alice-pw", "-auth_uri", f"bob@{DOMAIN}", "-set", "caller", "alice",
               "-timeout", f"{int(limit)}s", "-trace_stat", "-stf", str(stats_file), "-fd", "1",
               calls=count, rate=rate)
    # settle: the write-behind history batch of the last messages
    return finish_step(server, uac, stats_file, count, rate, limit, cpu0, settle=0.5)


def run_server(server: Server, plan: Plan, workdir: Path) -> list[dict]:
    uas_port = free_port()
    registration = sipp(server, "register_digest.xml", "bob", workdir, "-set", "domain", DOMAIN, "-au", "bob",
                        "-ap", "bob-pw", "-auth_uri", DOMAIN, "-set", "contact_port", str(uas_port),
                        "-timeout", "20s")
    if registration.wait(timeout=40) != 0:
        raise SystemExit(f"{server.name}: bob's registration failed")
    total = sum(int(rate * plan.step_seconds) for rate in plan.rates)
    uas = sipp(server, "message_uas.xml", "bob", workdir, "-timeout", "600s", calls=total + 10,
               local_port=uas_port)
    steps: list[dict] = []
    try:
        time.sleep(0.5)
        if uas.poll() is not None:
            raise SystemExit(f"{server.name}: the sipp UAS exited ({uas.returncode})")
        for index, rate in enumerate(plan.rates):
            step = message_step(server, workdir, int(rate * plan.step_seconds), rate, index)
            steps.append(step)
            print(f"  {server.name} {rate}/s: {json.dumps(step)}", file=sys.stderr)
            if not step["clean"]:
                break
    finally:
        uas.kill()
        uas.wait(timeout=10)
    return steps


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
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="im-vs-kamailio-") as tmp:
        workdir = Path(tmp)
        servers = (("kamailio", start_kamailio), ("ucd", start_ucd),
                   ("ucd-no-archive", start_ucd_variant("ucd-no-archive", NO_ARCHIVE)),
                   ("ucd-proxy-only", start_ucd_variant("ucd-proxy-only", PROXY_ONLY)))
        for name, start in servers:
            server = start(workdir, 1)
            try:
                results[name] = run_server(server, plan, workdir)
            finally:
                stop_tree(server.process, server.pids)

    clean = [{s["rate"] for s in steps if s["clean"]} for steps in results.values()]
    common = set.intersection(*clean)
    rate = max(common) if common else min(plan.rates)

    def cpu(name: str) -> float | None:
        return next((float(s["server_cpu_us"]) for s in results[name] if s["rate"] == rate), None)

    kamailio, ucd, bare, proxy = cpu("kamailio"), cpu("ucd"), cpu("ucd-no-archive"), cpu("ucd-proxy-only")
    ratio = (ucd or 0) / kamailio if kamailio else float("inf")
    figures: dict = {"quick": quick, "compared_at_rate": rate,
                     "cpu_us_per_message": {"kamailio": kamailio, "ucd": ucd, "ucd_no_archive": bare,
                                            "ucd_proxy_only": proxy},
                     "ratios": {"ucd_over_kamailio": round(ratio, 2),
                                "ucd_no_archive_over_kamailio": round((bare or 0) / kamailio, 2) if kamailio else None,
                                "ucd_proxy_only_over_kamailio": round((proxy or 0) / kamailio, 2) if kamailio else None},
                     "highest_clean_rate": {name: max((s["rate"] for s in steps if s["clean"]), default=0)
                                            for name, steps in results.items()},
                     "steps": results}
    targets = {"message_cpu_vs_kamailio": target(ratio, 2.0, "<= 2x Kamailio's CPU per relayed MESSAGE")}
    emit(figures, targets)


if __name__ == "__main__":
    main()
