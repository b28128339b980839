"""What one relayed MESSAGE or one call costs ucd at the socket level, in counts that barely
move with the machine's load: system calls, context switches and page faults per unit
(perf's tracepoints and software events on the running daemon), or instructions per unit
(the daemon under callgrind, instrumented only while the step runs).

The server and the load are benchmarks/loadgen/ucd_step_cpu.py's (one step of sipp's
message_auth_uac.xml against message_uas.xml, or uac_invite_auth.xml against a UAS without
180). Run from the root of the tree to measure:

    python benchmarks/loadgen/ucd_socket_counts.py message|call [RATE [SECONDS]] [--kamailio]
    python benchmarks/loadgen/ucd_socket_counts.py message 40 10 --callgrind

Counts: perf stat attaches for the middle of the step (from 40% of it, for a third of it)
and divides by RATE x the seconds it watched; perf must be allowed to read tracepoints
(root, or kernel.perf_event_paranoid <= -1). Under --callgrind the daemon runs under
`valgrind --tool=callgrind --instr-atstart=no`, a warm-up step of 50 units runs outside the
count, and the instructions of all its threads from the step's start to its end are divided
by the units completed (so per-second costs, timers and write-behind batches, are included
at that rate: compare trees at the same rate). Prints one JSON line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks import im_vs_kamailio as im  # noqa: E402
from benchmarks import sip_vs_kamailio as bench  # noqa: E402
from benchmarks.loadgen import ucd_step_cpu  # noqa: E402

EVENTS = ("syscalls:sys_enter_recvmsg", "syscalls:sys_enter_recvfrom", "syscalls:sys_enter_sendmsg",
          "syscalls:sys_enter_sendto", "syscalls:sys_enter_epoll_pwait", "syscalls:sys_enter_epoll_wait",
          "syscalls:sys_enter_futex", "syscalls:sys_enter_read", "syscalls:sys_enter_write",
          "syscalls:sys_enter_pwrite64", "context-switches", "page-faults", "task-clock")
CALLGRIND_START_WAIT = 400.0   # seconds: the daemon starts ~50x slower under callgrind


def perf_counts(pid: int, delay: float, seconds: float, out: dict) -> None:
    time.sleep(delay)
    result = subprocess.run(["perf", "stat", "-x", ",", "-e", ",".join(EVENTS), "-p", str(pid), "--",
                             "sleep", str(seconds)], capture_output=True, text=True, timeout=seconds + 30)
    for line in result.stderr.splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[2] in EVENTS:
            try:
                out[fields[2].removeprefix("syscalls:sys_enter_")] = float(fields[0])
            except ValueError:
                out[fields[2].removeprefix("syscalls:sys_enter_")] = None   # <not supported>


def run_step(server: bench.Server, work: Path, kind: str, rate: float, seconds: float) -> dict:
    if kind == "call":
        return ucd_step_cpu.call_step(server, work, rate, seconds)
    return im.run_server(server, im.Plan(rates=[int(rate)], step_seconds=seconds), work)[0]


def under_callgrind(out_file: Path) -> None:
    """Start the next ucd under callgrind, instrumentation off."""
    real_popen = subprocess.Popen

    def popen(args: list[str], *rest: object, **options: object) -> subprocess.Popen:
        if args and args[0] == sys.executable and "uc_signal.daemon" in args:
            args = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out_file}", *args]
        return real_popen(args, *rest, **options)  # type: ignore[arg-type]

    bench.subprocess.Popen = popen  # type: ignore[assignment]
    wait = bench.wait_sip_ready
    bench.wait_sip_ready = lambda port, process, timeout=0.0: wait(port, process, CALLGRIND_START_WAIT)


def callgrind_total(path: Path) -> int:
    # A dump holds "summary:" and "totals:" lines (the one with the count is not always the first)
    counts = [int(line.split()[1]) for line in path.read_text().splitlines()
              if line.startswith(("summary:", "totals:"))]
    if not counts:
        raise SystemExit(f"no totals in {path}")
    return max(counts)


def main() -> None:
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    kind = arguments[0] if arguments else "message"
    rate = float(arguments[1]) if len(arguments) > 1 else 800.0
    seconds = float(arguments[2]) if len(arguments) > 2 else 12.0
    if kind not in ("call", "message"):
        raise SystemExit("the first argument is call or message")
    callgrind = "--callgrind" in sys.argv
    work = Path(tempfile.mkdtemp(prefix="ucd-counts-"))
    out_file = work / "callgrind.out"
    if callgrind:
        under_callgrind(out_file)
    server = bench.start_kamailio(work, 10) if "--kamailio" in sys.argv else bench.start_ucd(work, 10)
    pid = server.process.pid
    try:
        result: dict = {"server": server.name, "kind": kind, "rate": rate}
        if callgrind:
            run_step(server, work, kind, rate, 50 / rate)   # warm-up, not counted
            time.sleep(1.0)
            subprocess.run(["callgrind_control", "-z", str(pid)], check=True, capture_output=True, timeout=60)
            subprocess.run(["callgrind_control", "-i", "on", str(pid)], check=True, capture_output=True, timeout=60)
            step = run_step(server, work, kind, rate, seconds)
            subprocess.run(["callgrind_control", "-i", "off", str(pid)], check=True, capture_output=True, timeout=60)
            subprocess.run(["callgrind_control", "-d", str(pid)], check=True, capture_output=True, timeout=60)
            dumps = sorted(work.glob("callgrind.out.*"))
            result.update(step=step, instructions_per_unit=round(callgrind_total(dumps[-1]) / max(1, step["completed"])))
        else:
            counts: dict = {}
            watched = seconds / 3
            watcher = threading.Thread(target=perf_counts, args=(pid, 1.0 + 0.4 * seconds, watched, counts))
            watcher.start()
            step = run_step(server, work, kind, rate, seconds)
            watcher.join()
            units = rate * watched
            result.update(step=step, per_unit={name: (round(value / units, 3) if value is not None else None)
                                               for name, value in counts.items() if name != "task-clock"},
                          cpu_us_per_unit_watched=round(counts.get("task-clock", 0.0) * 1000 / units, 1))
        print(json.dumps(result))
    finally:
        bench.stop_tree(server.process, server.pids)


if __name__ == "__main__":
    main()
