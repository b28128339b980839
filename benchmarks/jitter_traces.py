"""Jitter buffers over network traces: ucserver's adaptive buffer beside aiortc's and a
fixed 60 ms playout buffer, on the same packets in the same run.

    python benchmarks/jitter_traces.py [--quick]

Each trace (benchmarks/network_traces.py) carries one 20 ms Opus stream: real libopus
packets (opuslib, 32 kbit/s, of a speech-like test signal), so payload sizes are real;
no buffer decodes. The receiver runs a 20 ms tick (a conference mixer's) at a fixed phase;
packets are handed to each buffer at their arrival times.

How each buffer is driven and measured:
- ucserver: `uc_media.JitterBuffer(clock_rate=48000, frame_ms=20)` with its defaults, the
  same for every trace. `put` at arrival, `get` every tick; a PLAY plays on that tick.
- aiortc: `aiortc.jitterbuffer.JitterBuffer(capacity=16, prefetch=4)`, fed exactly as
  aiortc's RTCRtpReceiver feeds it for audio (`add(packet)` per packet with `_data` set to
  the depayloaded Opus payload; a returned frame goes straight to the decoder). aiortc
  has no playout clock: frames leave as soon as 4 more are complete. The tick-driven
  consumer (a mixer, or a sound card) takes one frame per tick from a FIFO of emitted
  frames, as it would take them from the track's queue; an empty FIFO is a concealed
  tick. Its added delay is play tick - arrival, like the others'.
- ucserver_q0.995: the same buffer with quantile=0.995 instead of the default 0.97, as a
  second operating point (reported, not a target).
- fixed 60 ms: packet n plays on the tick nearest first_arrival + 60 ms + 20 ms * n (its
  clock anchored once, never adapted).

Metrics, the same for all three (over packets 0..N-17: aiortc keeps its last 4 packets
until more arrive, so the stream's tail is left out for everyone):
- added delay: play tick - arrival, mean and p95 over played packets;
- late loss: packets that arrived but too late to play (ucserver: put() said LATE;
  aiortc: it discarded them as older than its playout origin; fixed: arrived after
  their tick), over packets that arrived;
- dropped: packets that arrived in time but were thrown away to cut delay or on
  overflow (ucserver: "drop one to shrink" and a full buffer; aiortc: frames flushed by
  smart_remove when 16 packets pile up behind a gap; fixed: none);
- concealment: ticks between the first and last play that played nothing.

Target per trace: ucserver's late loss <= aiortc's, at a mean added delay <= aiortc's.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import opuslib  # type: ignore[import-untyped]  # noqa: E402
from aiortc.jitterbuffer import MAX_MISORDER as AIORTC_MAX_MISORDER  # noqa: E402
from aiortc.jitterbuffer import JitterBuffer as AiortcJitterBuffer  # noqa: E402
from aiortc.rtp import RtpPacket  # noqa: E402
from aiortc.utils import uint16_add  # noqa: E402

from benchmarks._common import emit, quick_flag, target  # noqa: E402
from benchmarks.network_traces import CLOCK_RATE, PACKET_SAMPLES, TRACES, TracePacket, generate, summary  # noqa: E402
from uc_media import JitterAction, JitterBuffer, PutOutcome  # noqa: E402

TICK_MS = 20.0
TAIL = 16
SSRC = 0x1234ABCD
OPUS_PT = 111
FIXED_DELAY_MS = 60.0
# A second operating point of the same buffer, the same for every trace (a figure, not a
# target): what a quantile closer to 1 buys in late loss and costs in delay.
SWEEP_QUANTILE = 0.995
SWEEP_NAME = "ucserver_q0.995"


def opus_payloads(count: int, seed: int) -> list[bytes]:
    """`count` real 20 ms Opus packets of a speech-like signal (pitch glide, syllable AM, noise)."""
    enc = opuslib.Encoder(CLOCK_RATE, 1, opuslib.APPLICATION_VOIP)
    enc.bitrate = 32000
    rng = np.random.default_rng(seed)
    t = np.arange(PACKET_SAMPLES * count) / CLOCK_RATE
    f0 = 140.0 + 40.0 * np.sin(2 * np.pi * 0.3 * t)
    phase = 2 * np.pi * np.cumsum(f0) / CLOCK_RATE
    voiced = sum(np.sin(k * phase) / k for k in range(1, 8))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3.0 * t)
    signal = 6000.0 * envelope * voiced + 300.0 * rng.standard_normal(t.size)
    pcm = np.clip(signal, -32768, 32767).astype("<i2")
    frames = pcm.reshape(count, PACKET_SAMPLES)
    return [enc.encode(frame.tobytes(), PACKET_SAMPLES) for frame in frames]


@dataclass
class Outcome:
    """What happened to each packet, and the ticks that played nothing."""

    played_at: dict[int, float]
    late: set[int]
    dropped: set[int]
    empty_ticks: list[float]


def tick_times(packets: list[TracePacket], phase_ms: float) -> list[float]:
    last = max(p.arrival_ms for p in packets if p.arrival_ms is not None)
    return [phase_ms + k * TICK_MS for k in range(int((last + 2000.0) / TICK_MS))]


def arrivals_in_order(packets: list[TracePacket]) -> list[TracePacket]:
    return sorted((p for p in packets if p.arrival_ms is not None), key=lambda p: p.arrival_ms or 0.0)


def run_ucserver(packets: list[TracePacket], payloads: list[bytes], phase_ms: float,
                 quantile: float = 0.0) -> Outcome:
    jb = JitterBuffer(clock_rate=CLOCK_RATE, frame_ms=20, quantile=quantile)
    seq0 = packets[0].seq
    order = arrivals_in_order(packets)
    out = Outcome({}, set(), set(), [])
    k = 0
    for now in tick_times(packets, phase_ms):
        while k < len(order) and (order[k].arrival_ms or 0.0) <= now:
            p = order[k]
            if jb.put(payloads[p.index], p.seq, p.timestamp, SSRC, p.index == 0, (p.arrival_ms or 0.0) / 1000.0) \
                    == PutOutcome.LATE:
                out.late.add(p.index)
            k += 1
        res = jb.get(now / 1000.0)
        if res.action == JitterAction.PLAY:
            assert res.seq is not None
            out.played_at[(res.seq - seq0) & 0xFFFF] = now
        elif res.action != JitterAction.CONTINUE:
            out.empty_ticks.append(now)
    arrived = {p.index for p in order}
    out.dropped = arrived - set(out.played_at) - out.late
    return out


def run_aiortc(packets: list[TracePacket], payloads: list[bytes], phase_ms: float) -> Outcome:
    jb = AiortcJitterBuffer(capacity=16, prefetch=4)
    ts0 = packets[0].timestamp
    order = arrivals_in_order(packets)
    out = Outcome({}, set(), set(), [])
    fifo: list[int] = []
    fifo_head = 0
    started = False
    k = 0
    for now in tick_times(packets, phase_ms):
        while k < len(order) and (order[k].arrival_ms or 0.0) <= now:
            p = order[k]
            origin = jb._origin
            if origin is not None:
                # aiortc's own test in add(): behind the origin by less than MAX_MISORDER
                # means "too late, discard" (further behind resets the buffer instead)
                misorder, delta = uint16_add(origin, -p.seq), uint16_add(p.seq, -origin)
                if misorder < delta and misorder < AIORTC_MAX_MISORDER:
                    out.late.add(p.index)
            packet = RtpPacket(payload_type=OPUS_PT, sequence_number=p.seq, timestamp=p.timestamp, ssrc=SSRC,
                               payload=payloads[p.index])
            packet._data = packet.payload  # type: ignore[attr-defined]  # Opus depayload is the identity
            _, frame = jb.add(packet)
            if frame is not None:
                fifo.append(((frame.timestamp - ts0) & 0xFFFFFFFF) // PACKET_SAMPLES)
            k += 1
        if fifo_head < len(fifo):
            out.played_at[fifo[fifo_head]] = now
            fifo_head += 1
            started = True
        elif started:
            out.empty_ticks.append(now)
    arrived = {p.index for p in order}
    out.dropped = arrived - set(out.played_at) - out.late
    return out


def run_fixed(packets: list[TracePacket], phase_ms: float) -> Outcome:
    order = arrivals_in_order(packets)
    first = order[0]
    anchor = (first.arrival_ms or 0.0) + FIXED_DELAY_MS - first.index * TICK_MS
    out = Outcome({}, set(), set(), [])
    arrival = {p.index: p.arrival_ms for p in order}
    for p in packets:
        slot = anchor + p.index * TICK_MS
        tick = phase_ms + math.ceil((slot - phase_ms) / TICK_MS - 0.5) * TICK_MS
        a = arrival.get(p.index)
        if a is None:
            out.empty_ticks.append(tick)
        elif a <= tick:
            out.played_at[p.index] = tick
        else:
            out.late.add(p.index)
            out.empty_ticks.append(tick)
    return out


def measure(outcome: Outcome, packets: list[TracePacket]) -> dict[str, float]:
    counted = [p for p in packets[: len(packets) - TAIL]]
    arrived = [p for p in counted if p.arrival_ms is not None]
    delays = np.array([outcome.played_at[p.index] - (p.arrival_ms or 0.0)
                       for p in arrived if p.index in outcome.played_at])
    n_arrived = max(len(arrived), 1)
    late = sum(1 for p in arrived if p.index in outcome.late)
    dropped = sum(1 for p in arrived if p.index in outcome.dropped)
    plays = sorted(outcome.played_at[p.index] for p in counted if p.index in outcome.played_at)
    if plays:
        span_ticks = int(round((plays[-1] - plays[0]) / TICK_MS)) + 1
        empty = sum(1 for t in outcome.empty_ticks if plays[0] <= t <= plays[-1])
    else:
        span_ticks, empty = 1, 0
    return {
        "mean_delay_ms": round(float(delays.mean()), 2) if delays.size else math.nan,
        "p95_delay_ms": round(float(np.percentile(delays, 95)), 2) if delays.size else math.nan,
        "late_loss": round(late / n_arrived, 5),
        "dropped": round(dropped / n_arrived, 5),
        "concealment": round(empty / span_ticks, 5),
    }


def main() -> None:
    quick = quick_flag()
    duration_s = 30.0 if quick else 120.0
    seeds = (1,) if quick else (1, 2, 3)
    figures: dict[str, dict] = {}
    targets: dict[str, dict] = {}
    rows = []
    for spec in TRACES:
        per_buffer: dict[str, list[dict[str, float]]] = {"ucserver": [], "aiortc": [], "fixed_60ms": [],
                                                          SWEEP_NAME: []}
        trace_info = []
        for seed in seeds:
            packets = generate(spec, duration_s, seed)
            payloads = opus_payloads(len(packets), seed)
            phase = (seed * 7.3) % TICK_MS
            trace_info.append(summary(packets))
            per_buffer["ucserver"].append(measure(run_ucserver(packets, payloads, phase), packets))
            per_buffer["aiortc"].append(measure(run_aiortc(packets, payloads, phase), packets))
            per_buffer["fixed_60ms"].append(measure(run_fixed(packets, phase), packets))
            per_buffer[SWEEP_NAME].append(measure(run_ucserver(packets, payloads, phase, SWEEP_QUANTILE), packets))
        fig = {name: {key: round(float(np.mean([r[key] for r in runs])), 5) for key in runs[0]}
               for name, runs in per_buffer.items()}
        fig["trace"] = {key: round(float(np.mean([t[key] for t in trace_info])), 4) for key in trace_info[0]}
        figures[spec.name] = fig
        ucs, aio = fig["ucserver"], fig["aiortc"]
        targets[f"{spec.name}.late_loss_minus_aiortc"] = target(
            ucs["late_loss"] - aio["late_loss"], 0.0, f"ucserver late loss <= aiortc's ({aio['late_loss']:.4f})")
        targets[f"{spec.name}.mean_delay_vs_aiortc"] = target(
            ucs["mean_delay_ms"] / aio["mean_delay_ms"], 1.0,
            f"ucserver mean added delay <= aiortc's ({aio['mean_delay_ms']:.1f} ms)")
        for name in ("ucserver", "aiortc", "fixed_60ms", SWEEP_NAME):
            r = fig[name]
            rows.append(f"| {spec.name} | {name} | {r['mean_delay_ms']:.1f} | {r['p95_delay_ms']:.1f} | "
                        f"{100 * r['late_loss']:.2f} | {100 * r['dropped']:.2f} | {100 * r['concealment']:.2f} |")
    print(f"{len(TRACES)} traces x {len(seeds)} seed(s) x {duration_s:.0f} s, 20 ms Opus, 20 ms tick")
    print("| trace | buffer | mean delay ms | p95 delay ms | late loss % | dropped % | concealment % |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)
    figures["config"] = {"duration_s": duration_s, "seeds": list(seeds)}
    emit(figures, targets)


if __name__ == "__main__":
    main()
