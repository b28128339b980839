"""One load step against one server, for comparing two trees of ucd (or ucd and Kamailio)
at a fixed rate: the server's CPU per completed call or MESSAGE.

The server is started and driven exactly as in benchmarks/sip_vs_kamailio.py (calls:
bob's sipp UAS without 180, sipp's uac_invite_auth.xml) and benchmarks/im_vs_kamailio.py
(MESSAGE: bob's sipp message_uas.xml, sipp's message_auth_uac.xml), with their own
functions, but one step only and without the registration ladder: a step at 400/s takes
~20 s instead of the full benchmark's minutes, so several alternated A/B rounds fit in the
time one full run takes. Run it from the root of the tree to measure:

    python benchmarks/loadgen/ucd_step_cpu.py call|message [RATE [SECONDS]] [--kamailio] [--im-off]

Prints one JSON line: the step (rate, completed, retransmissions, clean, server_cpu_us)
and the server's user and system CPU per unit, from /proc (root process only).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks import im_vs_kamailio as im  # noqa: E402
from benchmarks import sip_vs_kamailio as bench  # noqa: E402


def times(pid: int) -> tuple[int, int]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])   # utime, stime in clock ticks


def call_step(server: bench.Server, work: Path, rate: float, seconds: float) -> dict:
    uas_port = bench.free_port()
    registration = bench.sipp(server, "register_digest.xml", "bob", work, "-set", "domain", bench.DOMAIN,
                              "-au", "bob", "-ap", "bob-pw", "-auth_uri", bench.DOMAIN,
                              "-set", "contact_port", str(uas_port), "-timeout", "20s")
    if registration.wait(timeout=40) != 0:
        raise SystemExit("bob's registration failed")
    calls = int(rate * seconds)
    uas = bench.sipp(server, "uas_no180.xml", "bob", work, "-timeout", "600s", calls=calls + 10, local_port=uas_port)
    try:
        time.sleep(0.5)
        return bench.call_step(server, work, calls, rate, 0)
    finally:
        uas.kill()
        uas.wait(timeout=10)


def main() -> None:
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    kind = arguments[0] if arguments else "call"
    rate = float(arguments[1]) if len(arguments) > 1 else 400.0
    seconds = float(arguments[2]) if len(arguments) > 2 else 8.0
    if kind not in ("call", "message"):
        raise SystemExit("the first argument is call or message")
    work = Path(tempfile.mkdtemp(prefix="ucd-step-"))
    if "--kamailio" in sys.argv:
        server = bench.start_kamailio(work, 10)
    else:
        server = bench.start_ucd(work, 10, extra_config="\n[im]\nenabled = false\n" if "--im-off" in sys.argv else "")
    try:
        before = times(server.process.pid)
        if kind == "call":
            step = call_step(server, work, rate, seconds)
        else:
            step = im.run_server(server, im.Plan(rates=[int(rate)], step_seconds=seconds), work)[0]
        after = times(server.process.pid)
        done = max(1, step["completed"])
        tick = 1e6 / 100   # us per clock tick (USER_HZ 100)
        print(json.dumps({"server": server.name, "kind": kind, **step,
                          "root_utime_us": round((after[0] - before[0]) * tick / done, 1),
                          "root_stime_us": round((after[1] - before[1]) * tick / done, 1)}))
    finally:
        bench.stop_tree(server.process, server.pids)


if __name__ == "__main__":
    main()
