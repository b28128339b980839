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
    with pytest.raises(InvalidArgumentError, match="timestamp 4294967296"):
        stats.update(1, 2**32, 0.0)
    with pytest.raises(InvalidArgumentError, match="SSRC -1"):
        ReceiveStatistics(-1, CLOCK)
    with pytest.raises(InvalidArgumentError, match="time -1.0"):
        stats.report_block(now=-1.0)
    with pytest.raises(InvalidArgumentError, match="time nan"):
        stats.update(1, 0, float("nan"))


@given(st.lists(st.integers(0, 0xFFFF), max_size=300))
def test_counters_stay_consistent(seqs: list[int]) -> None:
    stats = ReceiveStatistics(1, CLOCK)
    counted = sum(stats.update(seq, 0, 0.0) for seq in seqs)
    assert stats.received <= counted
    assert stats.duplicates + stats.reordered <= counted
    block = stats.report_block(now=0.0)
    assert -0x800000 <= block.packets_lost <= 0x7FFFFF
    assert 0 <= block.fraction_lost <= 255


class Rfc3550Source:
    """RFC 3550 appendix A.1 init_seq/update_seq and A.8 jitter, transcribed line by line as
    an independent model (duplicates within 64 packets are not transit samples, as in
    the engine)."""

    RTP_SEQ_MOD = 1 << 16

    def __init__(self) -> None:
        self.started = False
        self.max_seq = self.cycles = self.base_seq = self.bad_seq = 0
        self.probation = self.received = 0
        self.transit: int | None = None
        self.jitter = 0.0

    def init_seq(self, seq: int) -> None:
        self.base_seq = seq
        self.max_seq = seq
        self.bad_seq = self.RTP_SEQ_MOD + 1
        self.cycles = 0
        self.received = 0

    def update_seq(self, seq: int) -> int:
        udelta = (seq - self.max_seq) % self.RTP_SEQ_MOD
        if self.probation:
            if seq == (self.max_seq + 1) % self.RTP_SEQ_MOD:
                self.probation -= 1
                self.max_seq = seq
                if self.probation == 0:
                    self.init_seq(seq)
                    self.received += 1
                    return 1
            else:
                self.probation = 1
                self.max_seq = seq
            return 0
        elif udelta < 3000:
            if seq < self.max_seq:
                self.cycles += self.RTP_SEQ_MOD
            self.max_seq = seq
        elif udelta <= self.RTP_SEQ_MOD - 100:
            if seq == self.bad_seq:
                self.init_seq(seq)
            else:
                self.bad_seq = (seq + 1) & (self.RTP_SEQ_MOD - 1)
                return 0
        self.received += 1
        return 1

    def update(self, seq: int, timestamp: int, arrival: int, duplicate: bool) -> bool:
        if not self.started:
            self.init_seq(seq)
            self.max_seq = (seq - 1) % self.RTP_SEQ_MOD
            self.probation = 2
            self.started = True
        valid = self.update_seq(seq)
        if valid and not duplicate:
            transit = (arrival - timestamp) % 2**32
            if self.transit is not None:
                d = (transit - self.transit + 2**31) % 2**32 - 2**31
                self.jitter += (abs(d) - self.jitter) / 16
            self.transit = transit
        return bool(valid)


@given(st.lists(st.tuples(st.integers(-3, 12), st.integers(0, 400)), min_size=1, max_size=200),
       st.integers(0, 0xFFFF), st.integers(0, 2**32 - 1))
def test_matches_rfc3550_reference(steps: list[tuple[int, int]], first: int, ts0: int) -> None:
    """Small forward and backward sequence steps (losses, reorders, duplicates) and arrival
    delays: the engine agrees with the RFC's code on every counter and on jitter."""
    stats = ReceiveStatistics(9, CLOCK)
    model = Rfc3550Source()
    seq, arrival = first, 0
    for step, delay in steps:
        seq = (seq + step) % 65536
        timestamp = (ts0 + 160 * (seq - first)) % 2**32
        arrival += 160
        before_duplicates = stats.duplicates
        counted = stats.update(seq, timestamp, at(arrival + delay))
        duplicate = stats.duplicates > before_duplicates
        assert counted == model.update(seq, timestamp, arrival + delay, duplicate)
        assert stats.received == model.received
        assert stats.cycles == model.cycles >> 16
        assert stats.jitter == pytest.approx(model.jitter, rel=1e-9, abs=1e-9)
    if stats.valid:
        assert stats.base_sequence == model.base_seq
        assert stats.extended_highest_sequence == model.cycles + model.max_seq
