"""Servers compared step by step: a rate ladder, then alternated repeats at one rate.

What benchmarks/sip_vs_kamailio.py and benchmarks/im_vs_kamailio.py share. Every server is
started once and stays up; the load goes to one server at a time.

- `climb`: the rate ladder. At each rate every server still climbing runs one step (the
  order reversed from one rate to the next); a server stops at its first step that is not
  clean (failures or retransmissions).
- `common_rate`: the highest rate every server passed clean, where CPU per transaction is
  compared (it falls as the rate rises, so the comparison needs the same offered load).
- `alternate`: the step at that rate repeated on the same running servers, in turn,
  the order reversed every round (A B B A A B ...), so that a slow drift of the machine
  (other work starting or stopping, the CPU's clock) falls on every server alike.
- `spread`: the median of the repeats' CPU per transaction with its minimum and maximum;
  `median_ratio`: the figure a target is computed from. One step of Kamailio's moved its
  CPU per call by 17% between two identical runs on a quiet machine: a single sample
  cannot decide a ratio near its target; a median of several alternated ones is not
  moved by one disturbed sample, and the spread shows how far to trust it.
- `CpuReading`: a server's CPU read per thread in nanoseconds, not per process in ticks.

A step is a dict with at least "rate", "clean", "completed" and "server_cpu_us" (the
server's CPU during the step divided by its completed transactions).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar


@dataclass(frozen=True)
class CpuReading:
    """A server's CPU so far (every process of it), read two ways.

    `precise`: the run time of its live threads in nanoseconds (/proc/PID/task/TID/schedstat).
    `ticks`: utime+stime in clock ticks (/proc/PID/stat), which also count the threads that
    have exited, but each process's utime and stime are truncated to a tick (10 ms): over
    Kamailio's 8 processes a difference of two readings can be off by up to 2 ticks per
    process, where a 200-call step is ~10-15 ticks of Kamailio's CPU.
    Both include the root's reaped children (cutime+cstime, ticks).

    `later - earlier` is the CPU in between, in seconds: from `precise` when every thread
    of the earlier reading is still there and `ticks` does not show more than `precise`
    beyond its truncation (a thread that ended in between, even one started after the
    earlier reading, took its run time with it from `precise`), else from `ticks`.
    """
    precise: float
    ticks: float
    tasks: frozenset[int]
    processes: int
    tick: float           # seconds per clock tick

    def __sub__(self, earlier: CpuReading) -> float:
        return self.precise - earlier.precise if self.exact_since(earlier) else self.ticks - earlier.ticks

    def exact_since(self, earlier: CpuReading) -> bool:
        # each process's utime and stime are truncated to a tick: up to 2 ticks per process
        truncation = 2 * max(self.processes, earlier.processes) * self.tick
        return earlier.tasks <= self.tasks and \
            self.ticks - earlier.ticks <= self.precise - earlier.precise + truncation


class Measured(Protocol):
    name: str

    def cpu(self) -> CpuReading:
        """The server's CPU so far."""


S = TypeVar("S", bound=Measured)


def climb(servers: Sequence[S], rates: Sequence[float], run_step: Callable[[S, float], dict]) -> dict[str, list[dict]]:
    """Every server's ladder: {name: steps, lowest rate first, up to its first unclean step}."""
    steps: dict[str, list[dict]] = {server.name: [] for server in servers}
    climbing = list(servers)
    for index, rate in enumerate(rates):
        for server in climbing if index % 2 == 0 else climbing[::-1]:
            steps[server.name].append(run_step(server, rate))
        climbing = [server for server in climbing if steps[server.name][-1]["clean"]]
        if not climbing:
            break
    return steps


def highest_clean(steps: Sequence[dict]) -> float:
    return max((step["rate"] for step in steps if step["clean"]), default=0.0)


def common_rate(ladders: Sequence[Sequence[dict]]) -> float:
    """The highest rate every ladder passed clean, else the lowest rate any ladder tried."""
    clean = [{step["rate"] for step in steps if step["clean"]} for steps in ladders]
    both = set.intersection(*clean) if clean else set()
    return max(both) if both else min(step["rate"] for steps in ladders for step in steps)


def alternate(servers: Sequence[S], repeats: int, run_step: Callable[[S, int], dict],
              settle: float = 0.5) -> dict[str, dict]:
    """`repeats` steps per server, servers in turn (round r in reverse order when r is odd);
    run_step(server, r). Returns {name: {"steps": [...], "block_cpu_us": ...}}.

    block_cpu_us is the server's CPU over the whole block (from before the first step to
    `settle` seconds after the last, its idle time while the others ran included) divided
    by its completed transactions: it counts the deferred work a step leaves behind
    (transaction timers that fire seconds later, write-behind) that lands while another
    server is loaded, which the per-step figures leave out; the difference between the two
    says how much that is.
    """
    out: dict[str, dict] = {server.name: {"steps": []} for server in servers}
    cpu0 = {server.name: server.cpu() for server in servers}
    for round_index in range(repeats):
        for server in servers if round_index % 2 == 0 else servers[::-1]:
            out[server.name]["steps"].append(run_step(server, round_index))
    time.sleep(settle)
    for server in servers:
        done = max(1, sum(step["completed"] for step in out[server.name]["steps"]))
        out[server.name]["block_cpu_us"] = round((server.cpu() - cpu0[server.name]) / done * 1e6, 1)
    return out


def spread(steps: Sequence[dict]) -> dict:
    """Median, minimum and maximum CPU per transaction over repeated steps, how many were clean,
    and each sample in the order it was taken."""
    values = [float(step["server_cpu_us"]) for step in steps]
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0, "clean": 0, "samples": []}
    median = statistics.median(values)
    return {"median": round(median, 1), "min": min(values), "max": max(values),
            "spread_pct": round((max(values) - min(values)) / median * 100, 1) if median else None,
            "n": len(values), "clean": sum(1 for step in steps if step["clean"]), "samples": values}


def median_ratio(numerator: dict, denominator: dict) -> float:
    """numerator's median over denominator's (spread() results); inf when there is no denominator."""
    if not denominator["median"]:
        return float("inf")
    return (numerator["median"] or 0.0) / denominator["median"]
