"""ReceiveStatistics against a sequence computed by hand from RFC 3550 A.1, A.3 and A.8."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uc_media import InvalidArgumentError, ReceiveStatistics, ReportBlock

CLOCK = 8000  # 8 kHz, 160 samples per packet; arrivals below are in timestamp units


def at(arrival: int) -> float:
    """The `now` in seconds at which a packet arrives `arrival` timestamp units in."""
    return arrival / CLOCK


# (seq, timestamp, arrival, counted, jitter after): sequence numbers wrap at 65535, 0 comes
# late, 2 twice, 3 and 4 are lost. Jitter by hand: J += (|D| - J) / 16 with
# D = (arrival_i - ts_i) - (arrival_{i-1} - ts_{i-1}).
SEQUENCE = [
    (65533, 0, 1000, False, 0.0),               # probation (MIN_SEQUENTIAL = 2)
    (65534, 160, 1160, True, 0.0),              # valid; first transit 1000
    (65535, 320, 1330, True, 0.625),            # D = 10: 10/16
    (1, 640, 1640, True, 1.2109375),            # wrap; D = -10: 0.625 + 9.375/16
    (0, 480, 1700, True, 14.88525390625),       # reordered; D = 220
    (2, 800, 1800, True, 27.704925537109375),   # D = -220
    (2, 800, 1810, True, 27.704925537109375),   # duplicate: not a new transit sample
    (5, 1280, 2290, True, 26.598367691040039),  # D = 10
]


def feed(stats: ReceiveStatistics) -> None:
    for seq, ts, arrival, counted, jitter in SEQUENCE:
        assert stats.update(seq, ts, at(arrival)) is counted
        assert stats.jitter == pytest.approx(jitter, abs=1e-9)


def test_hand_computed_sequence() -> None:
    stats = ReceiveStatistics(0xABCDEF00, CLOCK)
    feed(stats)
    assert stats.valid
    assert stats.base_sequence == 65534
    assert stats.cycles == 1
    assert stats.extended_highest_sequence == 65536 + 5
    assert stats.expected == 8      # 65534 .. 65536+5
    assert stats.received == 7      # duplicates count as received (RFC 3550 6.4.1)
    assert stats.lost == 1          # 3 and 4 lost, one duplicate
    assert stats.reordered == 1
    assert stats.duplicates == 1
    assert stats.report_block(now=1.0) == ReportBlock(
        ssrc=0xABCDEF00, fraction_lost=32, packets_lost=1, highest_sequence=65541, jitter=26,
        lsr=0, dlsr=0)


def test_lsr_dlsr_and_next_interval() -> None:
    stats = ReceiveStatistics(1, CLOCK)
    feed(stats)
    stats.report_block(now=1.0)
    # SR with NTP timestamp 0xAAAABBBB.BBBB0000 arrives at 10 s; report at 10.5 s
    stats.sender_report_received(0xAAAABBBB_BBBB0000, now=10.0)
    assert stats.update(6, 1440, at(2450))
    assert stats.update(9, 1920, at(2930))  # 7 and 8 lost
    block = stats.report_block(now=10.5)
    assert block.fraction_lost == 128  # 2 of the 4 expected this interval
    assert block.packets_lost == 3
    assert block.highest_sequence == 65545
    assert block.lsr == 0xBBBBBBBB  # the middle 32 bits of the SR's NTP timestamp
    assert block.dlsr == 32768      # 0.5 s in 1/65536 s
    assert stats.report_block(now=11.0).fraction_lost == 0  # nothing new: empty interval


def test_sr_at_time_zero_still_counts() -> None:
    stats = ReceiveStatistics(1, CLOCK)
    stats.sender_report_received(1 << 32, now=0.0)
    assert stats.report_block(now=2.0).dlsr == 2 * 65536


def test_large_jump_resyncs_on_second_packet() -> None:
    stats = ReceiveStatistics(1, CLOCK)
    assert not stats.update(10, 0, 0.0)
    assert stats.update(11, 0, 0.0)
    assert not stats.update(20000, 0, 0.0)   # beyond MAX_DROPOUT: held back once
    assert stats.update(20001, 0, 0.0)       # sequential: the sender restarted
    assert stats.base_sequence == 20001 and stats.received == 1


def test_total_loss_in_an_interval_saturates() -> None:
    stats = ReceiveStatistics(1, CLOCK)
    stats.update(0, 0, 0.0)
    stats.update(1, 0, 0.0)
    stats.report_block(now=0.0)
    stats.update(101, 0, 0.0)  # 99 lost, 1 received of 100
    assert stats.report_block(now=0.0).fraction_lost == (99 * 256) // 100


def test_bad_arguments() -> None:
    with pytest.raises(InvalidArgumentError, match="clock rate 0"):
        ReceiveStatistics(1, 0)
    stats = ReceiveStatistics(1, CLOCK)
    with pytest.raises(InvalidArgumentError, match="sequence number 65536"):
        stats.update(65536, 0, 0.0)
    with pytest.raises(InvalidArgumentError, match="time -1.0"):
        stats.report_block(now=-1.0)


@given(st.lists(st.integers(0, 0xFFFF), max_size=300))
def test_counters_stay_consistent(seqs: list[int]) -> None:
    stats = ReceiveStatistics(1, CLOCK)
    counted = sum(stats.update(seq, 0, 0.0) for seq in seqs)
    assert stats.received <= counted
    assert stats.duplicates + stats.reordered <= counted
    block = stats.report_block(now=0.0)
    assert -0x800000 <= block.packets_lost <= 0x7FFFFF
    assert 0 <= block.fraction_lost <= 255
