"""benchmarks/_paired.py: the ladder, the compared rate, the alternated repeats, the medians
and the CPU reading's choice between its two clocks (no servers: stand-ins that count)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from benchmarks._paired import CpuReading, alternate, climb, common_rate, highest_clean, median_ratio, spread


def reading(precise: float, ticks: float, tasks: set[int], processes: int = 1) -> CpuReading:
    return CpuReading(precise, ticks, frozenset(tasks), processes, 0.01)


@dataclass
class StandIn:
    """A server whose CPU grows by what each step says it used."""
    name: str
    used: float = 0.0
    log: list[str] = field(default_factory=list)

    def cpu(self) -> CpuReading:
        return reading(self.used, self.used, {1})


def step(server: StandIn, rate: float, cpu_us: float, count: int = 100, clean: bool = True) -> dict:
    server.log.append(f"{server.name}@{rate}")
    server.used += cpu_us * count / 1e6
    return {"rate": rate, "clean": clean, "completed": count, "server_cpu_us": cpu_us}


def test_climb_steps_servers_in_turn_and_stops_each_at_its_first_unclean_step() -> None:
    a, b = StandIn("a"), StandIn("b")
    order: list[str] = []
    limits = {"a": 400, "b": 200}   # the highest clean rate of each

    def run(server: StandIn, rate: float) -> dict:
        order.append(f"{server.name}@{rate:g}")
        return step(server, rate, 100.0, clean=rate <= limits[server.name])

    ladders = climb([a, b], [100, 200, 400, 800], run)
    assert order == ["a@100", "b@100", "b@200", "a@200", "a@400", "b@400", "a@800"]
    assert [s["rate"] for s in ladders["b"]] == [100, 200, 400]
    assert highest_clean(ladders["a"]) == 400 and highest_clean(ladders["b"]) == 200
    assert common_rate(list(ladders.values())) == 200


def test_common_rate_without_a_shared_clean_step_is_the_lowest_tried() -> None:
    assert common_rate([[{"rate": 100, "clean": False}], [{"rate": 100, "clean": True}]]) == 100


def test_alternate_reverses_the_order_every_round_and_counts_the_whole_block() -> None:
    a, b = StandIn("a"), StandIn("b")
    order: list[str] = []
    cost = {"a": 100.0, "b": 300.0}

    def run(server: StandIn, round_index: int) -> dict:
        order.append(server.name)
        return step(server, 200, cost[server.name])

    out = alternate([a, b], 3, run, settle=0.0)
    assert order == ["a", "b", "b", "a", "a", "b"]
    assert [len(out[name]["steps"]) for name in "ab"] == [3, 3]
    assert out["a"]["block_cpu_us"] == 100.0 and out["b"]["block_cpu_us"] == 300.0


def test_spread_is_the_median_with_its_extremes_in_the_order_taken() -> None:
    steps = [{"server_cpu_us": v, "clean": v < 500} for v in (300.0, 100.0, 900.0, 200.0, 250.0)]
    s = spread(steps)
    assert (s["median"], s["min"], s["max"], s["n"], s["clean"]) == (250.0, 100.0, 900.0, 5, 4)
    assert s["samples"] == [300.0, 100.0, 900.0, 200.0, 250.0]
    assert s["spread_pct"] == 320.0
    assert spread([])["median"] is None


def test_median_ratio() -> None:
    assert median_ratio({"median": 600.0}, {"median": 200.0}) == 3.0
    assert median_ratio({"median": 600.0}, {"median": None}) == float("inf")


def test_cpu_reading_uses_nanoseconds_while_every_thread_lives() -> None:
    earlier = reading(1.000, 0.99, {1, 2}, processes=2)
    later = reading(1.123, 1.13, {1, 2, 3}, processes=2)   # a thread started: still exact
    assert later.exact_since(earlier)
    assert later - earlier == pytest.approx(0.123)


def test_cpu_reading_falls_back_to_ticks_when_a_thread_ended() -> None:
    earlier = reading(1.0, 1.0, {1, 2})
    later = reading(1.1, 1.5, {1})
    assert not later.exact_since(earlier)
    assert later - earlier == pytest.approx(0.5)


def test_cpu_reading_falls_back_to_ticks_when_a_short_lived_thread_took_its_time_away() -> None:
    # a thread born and ended between the readings: the same thread ids, but the ticks
    # (which keep an ended thread's time) show more than truncation can explain
    earlier = reading(1.0, 1.0, {1})
    later = reading(1.1, 1.6, {1})
    assert not later.exact_since(earlier)
    assert later - earlier == pytest.approx(0.6)
