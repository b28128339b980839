"""Seeded network traces for one 20 ms audio stream: when each packet is sent and when (if
ever) it arrives.

The models are the usual ones of the jitter-buffer literature:
- jitter: folded Gaussian (Wi-Fi contention) or Pareto (heavy tail: queues, cellular
  scheduling), added to a fixed base delay, drawn per packet;
- loss: Gilbert-Elliott, a two-state Markov chain (good/bad) with a loss probability per
  state (RFC 3611 4.7.2 and ITU-T G.1050 describe bursts this way); p = P(good -> bad),
  r = P(bad -> good) per packet;
- reordering: a packet held back by 1..k packet intervals with probability p;
- delay spikes: at Poisson-spaced instants the path stalls for `height` ms and then
  releases what it held at once (a Wi-Fi roam or an LTE handover): a packet sent t ms
  into the stall gets height - t extra;
- clock drift: the sender's 20 ms is 20 (1 + ppm 1e-6) ms of the receiver's clock.

Everything is drawn from `random.Random(seed)`, so a trace name and seed give the same
packets on every machine.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

PACKET_MS = 20.0
CLOCK_RATE = 48000
PACKET_SAMPLES = CLOCK_RATE * 20 // 1000


@dataclass(frozen=True)
class TraceSpec:
    name: str
    base_delay_ms: float = 20.0
    gaussian_sigma_ms: float = 0.0
    pareto_scale_ms: float = 0.0  # Pareto jitter: scale * (U ** (-1 / alpha) - 1)
    pareto_alpha: float = 2.5
    ge_p: float = 0.0  # Gilbert-Elliott P(good -> bad)
    ge_r: float = 1.0  # Gilbert-Elliott P(bad -> good)
    ge_loss_good: float = 0.0
    ge_loss_bad: float = 0.0
    reorder_prob: float = 0.0
    reorder_max_packets: int = 3
    spike_interval_s: float = 0.0  # mean time between spikes; 0 = none
    spike_height_ms: tuple[float, float] = (0.0, 0.0)
    drift_ppm: float = 0.0
    description: str = ""


@dataclass(frozen=True)
class TracePacket:
    index: int
    seq: int
    timestamp: int
    send_ms: float  # receiver clock
    arrival_ms: float | None  # None: lost in the network


TRACES: tuple[TraceSpec, ...] = (
    TraceSpec("lan", base_delay_ms=1.0, gaussian_sigma_ms=0.5,
              description="wired LAN: 0.5 ms Gaussian jitter, no loss"),
    TraceSpec("wifi_gaussian", base_delay_ms=10.0, gaussian_sigma_ms=12.0, ge_p=0.005, ge_r=0.7,
              ge_loss_bad=0.6, description="busy Wi-Fi: 12 ms Gaussian jitter, light loss"),
    TraceSpec("pareto_heavy_tail", base_delay_ms=30.0, pareto_scale_ms=10.0, pareto_alpha=2.0, ge_p=0.003,
              ge_r=0.7, ge_loss_bad=0.5, description="heavy-tailed jitter (Pareto, alpha 2, scale 10 ms)"),
    TraceSpec("burst_loss_ge", base_delay_ms=25.0, gaussian_sigma_ms=5.0, ge_p=0.02, ge_r=0.25, ge_loss_bad=0.8,
              description="Gilbert-Elliott bursts: ~6 % loss in bursts of ~4, 5 ms jitter"),
    TraceSpec("delay_spikes", base_delay_ms=30.0, gaussian_sigma_ms=4.0, spike_interval_s=6.0,
              spike_height_ms=(150.0, 400.0), description="150-400 ms stalls every ~6 s (roaming, handover)"),
    TraceSpec("drift_plus_reorder", base_delay_ms=20.0, gaussian_sigma_ms=3.0, reorder_prob=0.02,
              reorder_max_packets=3, drift_ppm=-1000.0,
              description="sender clock 0.1 % fast, 2 % of packets held back 1-3 intervals"),
    TraceSpec("mobile_mixed", base_delay_ms=50.0, pareto_scale_ms=8.0, pareto_alpha=2.2, ge_p=0.01, ge_r=0.4,
              ge_loss_bad=0.6, spike_interval_s=10.0, spike_height_ms=(100.0, 250.0), drift_ppm=500.0,
              description="LTE-like: Pareto jitter, bursts, spikes, sender clock 0.05 % slow"),
)


def by_name(name: str) -> TraceSpec:
    for spec in TRACES:
        if spec.name == name:
            return spec
    raise KeyError(name)


def generate(spec: TraceSpec, duration_s: float, seed: int) -> list[TracePacket]:
    """The packets of `duration_s` seconds of one stream over the path `spec` describes."""
    rng = random.Random(f"{spec.name}:{seed}")
    count = int(duration_s * 1000.0 / PACKET_MS)
    seq0 = rng.randrange(0, 1 << 16)
    ts0 = rng.randrange(0, 1 << 32)
    interval = PACKET_MS * (1.0 + spec.drift_ppm * 1e-6)

    spikes: list[tuple[float, float]] = []
    if spec.spike_interval_s > 0:
        t = rng.expovariate(1.0 / (spec.spike_interval_s * 1000.0))
        while t < count * interval:
            spikes.append((t, rng.uniform(*spec.spike_height_ms)))
            t += rng.expovariate(1.0 / (spec.spike_interval_s * 1000.0))

    bad = False
    packets = []
    for i in range(count):
        send = i * interval
        bad = (rng.random() >= spec.ge_r) if bad else (rng.random() < spec.ge_p)
        lost = rng.random() < (spec.ge_loss_bad if bad else spec.ge_loss_good)
        delay = spec.base_delay_ms
        if spec.gaussian_sigma_ms > 0:
            delay += abs(rng.gauss(0.0, spec.gaussian_sigma_ms))
        if spec.pareto_scale_ms > 0:
            delay += min(spec.pareto_scale_ms * (rng.random() ** (-1.0 / spec.pareto_alpha) - 1.0), 1000.0)
        if spec.reorder_prob > 0 and rng.random() < spec.reorder_prob:
            delay += rng.randint(1, spec.reorder_max_packets) * PACKET_MS
        for start, height in spikes:
            if start <= send < start + height:
                delay += height - (send - start)
        arrival = None if lost else send + delay
        packets.append(TracePacket(i, (seq0 + i) & 0xFFFF, (ts0 + i * PACKET_SAMPLES) & 0xFFFFFFFF, send, arrival))
    return packets


def summary(packets: list[TracePacket]) -> dict[str, float]:
    """Loss, reordering and delay percentiles of a trace, to print beside the results."""
    arrived = [p for p in packets if p.arrival_ms is not None]
    delays = sorted(p.arrival_ms - p.send_ms for p in arrived if p.arrival_ms is not None)
    order = sorted(arrived, key=lambda p: p.arrival_ms or 0.0)
    reordered = sum(1 for a, b in zip(order, order[1:]) if b.index < a.index)
    return {
        "loss": 1.0 - len(arrived) / len(packets),
        "reordered": reordered / max(len(arrived), 1),
        "delay_p50_ms": delays[len(delays) // 2] if delays else math.nan,
        "delay_p99_ms": delays[int(len(delays) * 0.99)] if delays else math.nan,
    }
