"""Audio MCU capacity: the conference engine under the C load generator, all in one run.

    python benchmarks/mcu_capacity.py [--quick] [--no-plot] [--pin]

(a) One meeting, 3 talkers (RFC 6464 levels, so listeners are not decoded), N growing until
    the engine misses tick deadlines (> 0.1 % late ticks) or loses packets (> 0.1 %, from the
    generator's sequence-gap count): the largest real-time N on one worker thread, and the
    worker's CPU time per participant at every N.
(b) Lync user-model meetings: 20 4-person conferences on the same worker, one talker per
    meeting and three silent participants, every leg decoded (the legs ignore RFC 6464
    levels): participants per core with ucserver's encode-once mixing beside the same
    engine in naive mode (decode every leg, encode a personal mix for every leg); the
    modes alternate, twice each, and the less disturbed run of each counts.
(c) The physical floor: the unit cost of an Opus decode and encode, an SRTP protect and
    unprotect, and a one-datagram sendmmsg/recvmmsg call, from plain C loops
    (benchmarks/cref/mcu_floor.c), multiplied by how many of each the engine did in (a) and
    (b) (its own counters): the engine's overhead is its CPU time over that floor.

Engine CPU is the worker thread's own CPU time (`WorkerStats.cpu_ns`, pthread_getcpuclockid)
over a steady window of each run (from 0.6 s after the generator starts to 0.2 s before it
stops). CPU per participant is quoted per second of media (worker CPU / N / wall time) and
per tick (worker CPU / N / ticks run); "participants per core" = tick length / CPU per
participant per tick, which stays right when an overloaded worker sheds ticks. On the shared
2-core machine that figure stays meaningful when the real-time limit does not: late ticks
there also count the time the worker waited for a CPU. One engine worker. `--pin` pins the
engine (this process and its worker) to one CPU and the generator to the other
(os.sched_setaffinity); by default both are left to the scheduler, because on the shared
machine a pinned worker cannot move away from other jobs on its CPU and missed many more
ticks (at 100 and 800 participants) than an unpinned one.

Targets: (a) >= 1,500 participants per core in one meeting (from the worker's CPU time at
the largest real-time N); (b) ucserver >= 1.5x naive participants per core; (c) reported.
The last line is the JSON object of benchmarks/_common.emit; the plot of CPU per
participant against N goes to docs/img/mcu_cpu_per_participant.png.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import uc_media  # noqa: E402
from benchmarks import _common  # noqa: E402
from benchmarks.loadgen import driver  # noqa: E402

FLOOR_SOURCE = Path(__file__).resolve().parent / "cref" / "mcu_floor.c"
PLOT = _common.ROOT / "docs" / "img" / "mcu_cpu_per_participant.png"
PORTS = (20000, 24999)
LATE_LIMIT = 0.001
LOSS_LIMIT = 0.001
TALKERS = 3
MEETING = 4
TICK_S = 0.020


def pin() -> tuple[set[int] | None, set[int] | None]:
    """(engine CPUs, generator CPUs): the last available CPU for this process and the engine
    worker it starts (threads inherit the mask), the others for the generator."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or "--pin" not in sys.argv[1:]:
        return None, None
    engine_cpus, gen_cpus = {cpus[-1]}, set(cpus[:-1])
    os.sched_setaffinity(0, engine_cpus)
    return engine_cpus, gen_cpus


def measure(engine: uc_media.Engine, confs: list[uc_media.AudioConference], people: list[driver.Participant],
            binary: Path, duration_ms: int, gen_cpus: set[int] | None) -> dict:
    """Run the generator against these legs; the worker's counters over the steady window."""
    run = driver.Run(binary, people, duration_ms, cpus=gen_cpus)
    time.sleep(0.6)
    # Worker counters are read directly (no command) next to the clock; conference counters
    # go through the worker's command queue, which an overloaded worker serves once a round,
    # so they are read outside that window and used as rates per conference tick.
    c0 = [c.stats() for c in confs]
    t0, w0 = time.monotonic(), engine.worker_stats(0)
    time.sleep(max(0.2, duration_ms / 1000 - 0.8))
    w1, t1 = engine.worker_stats(0), time.monotonic()
    c1 = [c.stats() for c in confs]
    gen = run.finish()
    wall = t1 - t0
    cpu_s = (w1.cpu_ns - w0.cpu_ns) / 1e9
    ticks = w1.ticks - w0.ticks
    n = len(people)
    core = cpu_s / wall
    return {
        "n": n,
        "wall_s": round(wall, 3),
        "engine_cpu_s": round(cpu_s, 4),
        "core_fraction": round(core, 4),
        "cpu_us_per_participant_s": round(cpu_s * 1e6 / n / wall, 3),
        "cpu_us_per_participant_tick": round(cpu_s * 1e6 / n / max(ticks, 1), 3),
        "participants_per_core": round(TICK_S * ticks * n / cpu_s, 1) if cpu_s > 0 else None,
        "ticks": ticks,
        "late_ticks": w1.late_ticks - w0.late_ticks,
        "late_fraction": round((w1.late_ticks - w0.late_ticks) / max(ticks, 1), 5),
        "tick_ms_mean": round((w1.tick_ns_total - w0.tick_ns_total) / max(ticks, 1) / 1e6, 3),
        "tick_ms_max_run": round(w1.tick_ns_max / 1e6, 3),
        "decodes_per_tick": round(sum((b.decodes - a.decodes) / max(b.ticks - a.ticks, 1) for a, b in zip(c0, c1)), 2),
        "encodes_per_tick": round(sum((b.shared_encodes + b.own_encodes - a.shared_encodes - a.own_encodes)
                                      / max(b.ticks - a.ticks, 1) for a, b in zip(c0, c1)), 2),
        "packets_received": w1.packets_received - w0.packets_received,
        "packets_sent": w1.packets_sent - w0.packets_sent,
        "sendmmsg_calls": w1.sendmmsg_calls - w0.sendmmsg_calls,
        "recvmmsg_calls": w1.recvmmsg_calls - w0.recvmmsg_calls,
        "send_errors": w1.send_errors - w0.send_errors,
        "gen_loss_fraction": gen["loss_fraction"],
        "gen_lost": gen["lost"],
        "gen_silent": gen["silent_participants"],
        "gen_jitter_ms_mean": gen["jitter_ms_mean"],
        "gen_jitter_ms_max": gen["jitter_ms_max"],
        "gen_late_ticks": gen["gen_late_ticks"],
        "gen_cpu_s": gen["gen_cpu_s"],
        "content_ok": gen["content_ok"],
        "checks": f"{gen['checks_passed']}/{gen['checked']}",
    }


def close_all(confs: list[uc_media.AudioConference], people: list[driver.Participant]) -> None:
    for p in people:
        p.leg.close()
    for c in confs:
        c.close()


def one_meeting(engine: uc_media.Engine, n: int, binary: Path, duration_ms: int, gen_cpus: set[int] | None) -> dict:
    conf, people = driver.add_conference(engine, 0, n, TALKERS)
    try:
        return measure(engine, [conf], people, binary, duration_ms, gen_cpus)
    finally:
        close_all([conf], people)


def lync_meetings(engine: uc_media.Engine, meetings: int, naive: bool, binary: Path, duration_ms: int,
                  gen_cpus: set[int] | None) -> dict:
    confs, people = [], []
    for g in range(meetings):
        conf, members = driver.add_conference(engine, g, MEETING, 1, naive=naive, levels=False)
        confs.append(conf)
        people += members
    try:
        return measure(engine, confs, people, binary, duration_ms, gen_cpus)
    finally:
        close_all(confs, people)


def floor_us_per_tick(step: dict, unit: dict, speech_decodes: float, speech_encodes: float) -> float:
    """The floor of one tick of a step in CPU microseconds: its operation counts per tick
    times the C loops' unit costs. speech_*: the fraction of decodes/encodes that carry
    speech (the rest are silence, whose Opus cost differs)."""
    dec = speech_decodes * unit["decode_speech_us"] + (1 - speech_decodes) * unit["decode_silence_us"]
    enc = speech_encodes * unit["encode_speech_us"] + (1 - speech_encodes) * unit["encode_silence_us"]
    ticks = max(step["ticks"], 1)
    return (step["decodes_per_tick"] * dec + step["encodes_per_tick"] * enc
            + (step["packets_received"] * unit["unprotect_us"] + step["packets_sent"] * unit["protect_us"]
               + step["sendmmsg_calls"] * unit["sendmmsg_us"] + step["recvmmsg_calls"] * unit["recvmmsg_us"]) / ticks)


def with_floor(step: dict, unit: dict, speech_decodes: float, speech_encodes: float) -> dict:
    floor = floor_us_per_tick(step, unit, speech_decodes, speech_encodes)
    step["floor_us_per_participant_tick"] = round(floor / step["n"], 3)
    step["overhead_vs_floor"] = round(step["cpu_us_per_participant_tick"] * step["n"] / floor, 3) if floor > 0 else None
    return step


def real_time(step: dict) -> bool:
    return (step["late_fraction"] <= LATE_LIMIT and step["gen_loss_fraction"] <= LOSS_LIMIT
            and step["gen_silent"] == 0 and step["send_errors"] == 0)


def plot(steps: list[dict], lync: dict[str, dict], path: Path) -> None:
    """Left: (a) CPU per participant per second of media (per-tick cost x 50) against N,
    engine beside floor; right: (b) the same for the 4-person meetings in both modes."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per_s = 1.0 / TICK_S
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9, 4), dpi=110, gridspec_kw={"width_ratios": [2.2, 1]})
    last = {s["n"]: s for s in steps}  # the retried step where N was run twice
    ns = sorted(last)
    ax.plot(ns, [last[n]["cpu_us_per_participant_tick"] * per_s for n in ns], "o-", label="engine worker")
    ax.plot(ns, [last[n]["floor_us_per_participant_tick"] * per_s for n in ns], "s--", label="floor (plain C loops)")
    for s in steps:
        if not real_time(s):
            ax.plot([s["n"]], [s["cpu_us_per_participant_tick"] * per_s], "x", color="red", markersize=9)
    ax.axhline(1e6 / 1500, color="grey", linewidth=0.8, linestyle=":")
    ax.text(ns[0], 1e6 / 1500, "1,500 per core", va="bottom", fontsize=8, color="grey")
    ax.plot([], [], "x", color="red", label="late ticks or loss")
    ax.set_xlabel("participants in one meeting (3 talkers), one worker")
    ax.set_ylabel("CPU per participant (us per s of media)")
    ax.set_ylim(bottom=0)
    ax.set_title("(a) one meeting", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    modes = ["ucserver", "naive"]
    x = range(len(modes))
    bx.bar([i - 0.2 for i in x], [lync[m]["cpu_us_per_participant_tick"] * per_s for m in modes], 0.4, label="engine")
    bx.bar([i + 0.2 for i in x], [lync[m]["floor_us_per_participant_tick"] * per_s for m in modes], 0.4, label="floor")
    bx.set_xticks(list(x), [f"{m}\n{lync[m]['n']} in 4-person\nmeetings" for m in modes], fontsize=8)
    bx.set_title("(b) Lync user model, all decoded", fontsize=9)
    bx.legend(fontsize=8)
    bx.grid(alpha=0.3, axis="y")
    fig.suptitle("ucserver audio MCU, CPU per participant (provisional: busy shared 2-core machine)", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    quick = _common.quick_flag()
    binary = driver.build()
    floor_bin = _common.build_c(FLOOR_SOURCE)
    engine_cpus, gen_cpus = pin()
    duration_ms = 2000 if quick else 4000
    sizes = [100, 300, 600, 1000, 1500] if quick else [100, 250, 500, 750, 1000, 1500, 2000, 2500, 3000]
    meetings = 20  # 80 participants: about 40 % of a core in naive mode on an idle CPU

    unit = _common.run_c(floor_bin, "10" if quick else "40")
    steps = []
    with uc_media.Engine(workers=1, port_range=PORTS, bind="127.0.0.1", tick_ms=20,
                         max_legs_per_worker=4096, event_queue=65536) as engine:
        for n in sizes:
            # A step that misses deadlines is run once more before N stops growing: on the
            # shared machine one miss may be another job's burst; both runs are reported.
            for attempt in range(2):
                step = with_floor(one_meeting(engine, n, binary, duration_ms, gen_cpus), unit, 1.0, 1.0)
                engine.poll_events()
                steps.append(step)
                print(f"(a) N={n}: {step}", file=sys.stderr)
                if real_time(step):
                    break
            if not real_time(step):
                break
        lync: dict[str, dict] = {}
        for _ in range(2):  # alternating, best of two per mode: the least disturbed run
            for mode in ("ucserver", "naive"):
                # Per meeting and tick: 1 speech + 3 silence decodes. Encodes: ucserver 1 shared
                # (speech; the lone talker's empty N-1 mix is pre-encoded silence, no encode);
                # naive 3 speech (the listeners' N-1) + 1 silence (the talker's).
                step = lync_meetings(engine, meetings, mode == "naive", binary, duration_ms, gen_cpus)
                step = with_floor(step, unit, 0.25, 0.75 if mode == "naive" else 1.0)
                engine.poll_events()
                print(f"(b) {mode}: {step}", file=sys.stderr)
                if mode not in lync or step["cpu_us_per_participant_tick"] < lync[mode]["cpu_us_per_participant_tick"]:
                    lync[mode] = step

    rt = [s for s in steps if real_time(s)]
    best = rt[-1] if rt else steps[0]
    ratio = lync["ucserver"]["participants_per_core"] / lync["naive"]["participants_per_core"]
    if "--no-plot" not in sys.argv[1:]:
        plot(steps, lync, PLOT)
    figures = {
        "pinning": {"engine_cpus": sorted(engine_cpus or []), "generator_cpus": sorted(gen_cpus or [])},
        "a_one_meeting": steps,
        "a_largest_real_time_n": rt[-1]["n"] if rt else 0,
        "a_limit_reached": not real_time(steps[-1]),
        "a_participants_per_core_at_largest_real_time_n": best["participants_per_core"],
        "a_cpu_us_per_participant_s_at_largest_real_time_n": best["cpu_us_per_participant_s"],
        "b_lync_meetings": lync,
        "b_ratio_ucserver_over_naive": round(ratio, 3),
        "c_floor_unit_us": unit,
        "c_overhead_vs_floor_a": best["overhead_vs_floor"],
        "c_overhead_vs_floor_b_ucserver": lync["ucserver"]["overhead_vs_floor"],
        "c_overhead_vs_floor_b_naive": lync["naive"]["overhead_vs_floor"],
        "content_ok": all(s["content_ok"] for s in steps) and all(s["content_ok"] for s in lync.values()),
        "quick": quick,
    }
    targets = {
        "a_participants_per_core_one_meeting": _common.target(
            best["participants_per_core"] or 0.0, 1500, ">= 1,500 participants per core, one meeting, 3 talkers",
            higher_is_better=True),
        "b_encode_once_vs_naive": _common.target(
            ratio, 1.5, ">= 1.5x naive participants per core (4-person meetings)", higher_is_better=True),
    }
    _common.emit(figures, targets)


if __name__ == "__main__":
    main()
