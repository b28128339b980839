# Receive statistics of one RTP source over csrc/rtp_stats.c (RFC 3550 appendix A).
# (included by _core.pyx)

from libc.stdint cimport uint16_t, uint32_t, uint64_t

from uc_media.includes cimport rtp_stats as c_stats
from uc_media.includes.rtcp cimport uc_rtcp_report_block


cdef class ReceiveStatistics:
    """Sequence, loss and jitter accounting for one RTP source, and its RR report block.

    Time is always an argument: `now` in float seconds on any monotonic epoch
    (0 <= now < 2**32). Jitter is kept in timestamp units, so the clock rate converts
    arrival times (RFC 3550 A.8). Out-of-range arguments raise InvalidArgumentError.
    """

    cdef c_stats.uc_rtp_stats _s
    cdef readonly int clock_rate

    def __init__(self, ssrc, clock_rate):
        if not 0 <= ssrc <= 0xFFFFFFFF:
            _invalid(f"SSRC {ssrc} (32 bits)")
        if not 0 < clock_rate <= 0x7FFFFFFF:
            _invalid(f"clock rate {clock_rate} (must be positive)")
        self.clock_rate = clock_rate
        c_stats.uc_rtp_stats_init(&self._s, ssrc)

    def update(self, sequence_number, timestamp, double now):
        """Account a received packet; True if it counts for the source (RFC 3550 A.1),
        False while the source is on probation or after an unconfirmed large jump."""
        if not 0 <= sequence_number <= 0xFFFF:
            _invalid(f"RTP sequence number {sequence_number} (0..65535)")
        if not 0 <= timestamp <= 0xFFFFFFFF:
            _invalid(f"RTP timestamp {timestamp} (32 bits)")
        _check_now(now)
        # arrival in timestamp units, modulo 2^32 like RTP timestamps
        cdef uint32_t arrival = <uint32_t>((<unsigned long long>(now * self.clock_rate + 0.5)) & 0xFFFFFFFF)
        return bool(c_stats.uc_rtp_stats_update(&self._s, <uint16_t>sequence_number, timestamp,
                                                arrival))

    def sender_report_received(self, ntp_timestamp, double now):
        """An SR from this source arrived at `now`: remembered for LSR and DLSR."""
        if not 0 <= ntp_timestamp < 2**64:
            _invalid(f"NTP timestamp {ntp_timestamp} (64 bits)")
        c_stats.uc_rtp_stats_sr_received(&self._s, ntp_timestamp, _ntp(now))

    def report_block(self, double now):
        """The RR report block for this source at `now`; starts a new fraction-lost
        interval (RFC 3550 A.3)."""
        cdef uc_rtcp_report_block b
        c_stats.uc_rtp_stats_report(&self._s, _ntp(now), &b)
        from uc_media.rtcp import ReportBlock
        return ReportBlock(ssrc=b.ssrc, fraction_lost=b.fraction_lost,
                           packets_lost=b.cumulative_lost, highest_sequence=b.highest_sequence,
                           jitter=b.jitter, lsr=b.lsr, dlsr=b.dlsr)

    @property
    def ssrc(self):
        return self._s.ssrc

    @property
    def valid(self):
        """The source passed probation (MIN_SEQUENTIAL in-order packets)."""
        return bool(self._s.started and not self._s.probation)

    @property
    def received(self):
        return self._s.received

    @property
    def expected(self):
        return c_stats.uc_rtp_stats_expected(&self._s)

    @property
    def lost(self):
        """Cumulative lost: expected - received, negative with duplicates."""
        return c_stats.uc_rtp_stats_lost(&self._s)

    @property
    def extended_highest_sequence(self):
        return c_stats.uc_rtp_stats_extended_max(&self._s)

    @property
    def base_sequence(self):
        return self._s.base_seq

    @property
    def cycles(self):
        """Sequence number wraps, as a count of 65536-packet cycles."""
        return self._s.cycles >> 16

    @property
    def jitter(self):
        """Interarrival jitter in timestamp units (unrounded)."""
        return self._s.jitter

    @property
    def reordered(self):
        return self._s.reordered

    @property
    def duplicates(self):
        return self._s.duplicates

    def __repr__(self):
        return (f"ReceiveStatistics(ssrc=0x{self._s.ssrc:08X}, received={self.received}, "
                f"expected={self.expected}, lost={self.lost}, jitter={self.jitter:.2f}, "
                f"reordered={self.reordered}, duplicates={self.duplicates})")


cdef int _check_now(double now) except -1:
    # NaN fails the comparison too; 2^32 s is the NTP-format range.
    if not (0 <= now < 4294967296.0):
        _invalid(f"time {now} (0 <= now < 2**32 seconds)")
    return 0


cdef uint64_t _ntp(double now) except? 0:
    """Seconds -> NTP-format 32.32 fixed point (only differences matter for DLSR)."""
    _check_now(now)
    return <uint64_t>(now * 4294967296.0)
