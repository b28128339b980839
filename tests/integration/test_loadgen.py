"""The C load generator (benchmarks/loadgen/loadgen.c) against small conferences: its
content checks pass when the engine mixes right (talkers hear the N-1 mix, listeners all
talkers) and fail when a talker is missing from what participants hear. Correctness of
the generator only; its speed is benchmarks/mcu_capacity.py's business."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import uc_media
from benchmarks.loadgen import driver


# The tests share one Engine (the module fixture below): under pytest-xdist they run on one
# worker, in order (make test: --dist loadgroup), rather than each worker making its own.
pytestmark = pytest.mark.xdist_group("test_loadgen")


@pytest.fixture(scope="module")
def loadgen() -> Path:
    return driver.build()


@pytest.fixture
def engine() -> Iterator[uc_media.Engine]:
    with uc_media.Engine(workers=1, port_range=(43100, 43199), bind="127.0.0.1", tick_ms=20) as e:
        yield e


def test_five_participants_two_talkers_pass_the_content_checks(loadgen: Path, engine: uc_media.Engine) -> None:
    conf, people = driver.add_conference(engine, 0, 5, 2)
    result = driver.run(loadgen, people, 1000, listeners_checked=3, verbose=True)
    assert result["participants"] == 5 and result["talkers"] == 2
    assert result["sent"] == 5 * result["ticks"] and result["send_errors"] == 0
    assert result["silent_participants"] == 0
    assert result["auth_failed"] == 0 and result["malformed"] == 0 and result["stray"] == 0
    assert result["received"] > 0 and result["expected"] >= result["received"] - result["lost"]
    assert result["checked"] == 5 and result["checks_passed"] == 5, result["checks"]
    assert result["content_ok"] is True
    by_signature = {c["signature"]: c for c in result["checks"] if c["signature"] >= 0}
    # Talker 0 hears talker 1 and not itself, and the other way round.
    assert by_signature[0]["amplitudes"][1] > 10 * by_signature[0]["amplitudes"][0]
    assert by_signature[1]["amplitudes"][0] > 10 * by_signature[1]["amplitudes"][1]
    stats = conf.stats()
    assert stats.talkers == 2 and stats.participants == 5


def test_content_check_fails_when_a_talker_is_not_mixed(loadgen: Path, engine: uc_media.Engine) -> None:
    """Talker 1's leg is muted, so the engine mixes only talker 0: the listeners and talker 0
    miss talker 1 and the generator must say so, while talker 1 (hears talker 0, not
    itself) still passes."""
    _, people = driver.add_conference(engine, 0, 4, 2)
    people[1].leg.muted = True
    result = driver.run(loadgen, people, 1000, listeners_checked=2, verbose=True)
    assert result["silent_participants"] == 0
    assert result["content_ok"] is False
    verdicts = {c["index"]: c["ok"] for c in result["checks"]}
    assert verdicts == {0: False, 1: True, 2: False, 3: False}


def test_lone_talker_gets_silence_without_an_encode(loadgen: Path, engine: uc_media.Engine) -> None:
    """One talker among four: its N-1 mix is empty, so the engine sends the conference's
    pre-encoded Opus silence instead of encoding it each tick; the talker hears nothing of
    itself and the listeners hear it."""
    conf, people = driver.add_conference(engine, 0, 4, 1)
    result = driver.run(loadgen, people, 1000, listeners_checked=3, verbose=True)
    assert result["silent_participants"] == 0
    assert result["content_ok"] is True, result["checks"]
    talker = next(c for c in result["checks"] if c["signature"] == 0)
    listeners = [c for c in result["checks"] if c["signature"] < 0]
    assert talker["amplitudes"][0] < 30.0
    assert len(listeners) == 3 and all(c["amplitudes"][0] > 1000.0 for c in listeners)
    stats = conf.stats()
    assert stats.talkers == 1
    assert stats.own_encodes == 0
    assert stats.shared_encodes > 25
