# The adaptive audio jitter buffer (csrc/jitter.h): one per received audio stream.
# (included by _core.pyx)

from libc.math cimport llround
from libc.stdint cimport int64_t, uint16_t, uint32_t, uint8_t

from uc_media.includes cimport jitter as cjb

from uc_media.jitter import JitterAction, JitterOutput, JitterStats, PutOutcome

_JITTER_ACTIONS = tuple(JitterAction)
_PUT_OUTCOMES = tuple(PutOutcome)


cdef inline int64_t _now_ms(double now) except? -1:
    # NaN fails both comparisons; the bound keeps llround defined.
    if not (-1e12 < now < 1e12):
        raise InvalidArgumentError(f"JitterBuffer: now must be finite seconds, got {now!r}")
    return <int64_t>llround(now * 1000.0)


_CONFIG_RULES = ("clock_rate 8000..192000 Hz; frame_ms 5..120 and a whole number of samples; "
                 "min_delay_ms <= max_delay_ms <= 2500; capacity 1..4096; max_payload 1..65535; "
                 "quantile, forget_factor and late_forget_factor 0 (default) or in (0.5, 1); "
                 "ms_per_late_percent 0 (default) to 1e6")


cdef class JitterBuffer:
    """Adaptive jitter buffer for one audio RTP stream.

    Call `put` for every packet as it arrives and `get` once per tick of `frame_ms`.
    `now` is float seconds on any monotonic clock (the same for both; milliseconds are
    what the buffer keeps). The target delay (WebRTC NetEq's DelayManager), within
    [min_delay_ms, max_delay_ms], is the larger of a quantile of relative arrival delay
    (`quantile`, default 0.97; `forget_factor` per packet, default 0.998) and the delay
    that minimises delay + `ms_per_late_percent` (default 1000) x late loss in percent,
    late loss read off reordered packets' lateness on the playout timeline
    (`late_forget_factor` per packet, default 0.9995). `clock_skew_ppm` is the sender's
    clock skew as estimated; relative delay is measured net of it. `patience_ms` is how
    long a missing packet is waited for once later ones are here: the target on a lossy
    path, up to a peak detector of recent lateness (or a start-up prior) on a path whose
    gaps are mostly late packets.

    put and get run without the GIL; one buffer serves one thread at a time (a second
    thread calling in meanwhile gets StateError instead of a data race).
    """

    cdef cjb.uc_jitter *_jb
    cdef bint _in_use
    cdef readonly int clock_rate
    cdef readonly int frame_ms
    cdef readonly int min_delay_ms
    cdef readonly int max_delay_ms
    cdef readonly int capacity
    cdef readonly int max_payload

    def __cinit__(self, int clock_rate=48000, int frame_ms=20, int min_delay_ms=0, int max_delay_ms=500,
                  int capacity=64, int max_payload=1500, double quantile=0.0, double forget_factor=0.0,
                  double ms_per_late_percent=0.0, double late_forget_factor=0.0):
        cdef cjb.uc_jb_config cfg
        if (clock_rate <= 0 or frame_ms <= 0 or min_delay_ms < 0 or max_delay_ms < 0 or capacity <= 0
                or max_payload <= 0 or max_payload > 65535 or capacity > 4096):
            raise InvalidArgumentError(f"JitterBuffer: {_CONFIG_RULES}")
        cfg.clock_rate = clock_rate
        cfg.frame_ms = frame_ms
        cfg.min_delay_ms = min_delay_ms
        cfg.max_delay_ms = max_delay_ms
        cfg.capacity = capacity
        cfg.max_payload = max_payload
        cfg.quantile = quantile
        cfg.forget_factor = forget_factor
        cfg.ms_per_late_percent = ms_per_late_percent
        cfg.late_forget_factor = late_forget_factor
        _check(cjb.uc_jb_create(&cfg, &self._jb), f"JitterBuffer ({_CONFIG_RULES})")
        self.clock_rate = clock_rate
        self.frame_ms = frame_ms
        self.min_delay_ms = min_delay_ms
        self.max_delay_ms = max_delay_ms
        self.capacity = capacity
        self.max_payload = max_payload

    cdef int _enter(self, str what) except -1:
        # Checked and set while holding the GIL, so two threads cannot both pass.
        if self._in_use:
            raise StateError(f"{what}: the buffer is in use by another thread")
        self._in_use = True
        return 0

    def __dealloc__(self):
        cjb.uc_jb_destroy(self._jb)
        self._jb = NULL

    def put(self, const uint8_t[::1] payload, int seq, long long timestamp, long long ssrc, bint marker,
            double now):
        """Copy one RTP packet's payload in; returns what became of it (`PutOutcome`)."""
        if not 0 <= seq <= 0xFFFF or not 0 <= timestamp <= 0xFFFFFFFF or not 0 <= ssrc <= 0xFFFFFFFF:
            raise InvalidArgumentError("JitterBuffer.put: seq, timestamp or ssrc out of range")
        cdef const uint8_t *data = &payload[0] if payload.shape[0] > 0 else NULL
        cdef size_t length = payload.shape[0]
        cdef int64_t now_ms = _now_ms(now)
        cdef int rc
        self._enter("JitterBuffer.put")
        try:
            with nogil:
                rc = cjb.uc_jb_put(self._jb, data, length, <uint16_t>seq, <uint32_t>timestamp, <uint32_t>ssrc,
                                   marker, now_ms)
        finally:
            self._in_use = False
        if rc == uc_errors.UC_ERR_NOSPACE:
            raise BufferTooSmallError(
                f"JitterBuffer.put: payload of {length} bytes exceeds max_payload {self.max_payload}")
        return _PUT_OUTCOMES[_check(rc, "JitterBuffer.put")]

    def get(self, double now):
        """Decide this tick: returns a `JitterOutput`."""
        cdef cjb.uc_jb_frame f
        cdef int64_t now_ms = _now_ms(now)
        cdef int rc
        self._enter("JitterBuffer.get")
        try:
            with nogil:
                rc = cjb.uc_jb_get(self._jb, now_ms, &f)
        finally:
            self._in_use = False
        _check(rc, "JitterBuffer.get")
        if f.action == cjb.UC_JB_PLAY:
            return JitterOutput(_JITTER_ACTIONS[f.action], f.payload[:f.len], f.seq, f.timestamp, f.samples,
                                f.dropped, False)
        return JitterOutput(_JITTER_ACTIONS[f.action], None, None, f.timestamp, f.samples, 0, bool(f.inserted))

    def reset(self):
        """Forget the stream (packets, delay statistics, playout position); keep the counters."""
        self._enter("JitterBuffer.reset")
        cjb.uc_jb_reset(self._jb)
        self._in_use = False

    @property
    def target_delay_ms(self):
        """The current target delay, within [min_delay_ms, max_delay_ms]."""
        return cjb.uc_jb_target_delay_ms(self._jb)

    @property
    def clock_skew_ppm(self):
        """The sender's clock skew against ours as estimated, in ppm (positive: sender slow)."""
        return cjb.uc_jb_clock_skew_ppm(self._jb)

    @property
    def patience_ms(self):
        """How long (ms of delay) a missing packet is waited for once later ones are here."""
        return cjb.uc_jb_patience_ms(self._jb)

    @property
    def buffered(self):
        """Packets held right now."""
        return cjb.uc_jb_buffered(self._jb)

    @property
    def stats(self):
        """A snapshot of the counters (`JitterStats`, W3C webrtc-stats names)."""
        cdef cjb.uc_jb_stats s
        cjb.uc_jb_get_stats(self._jb, &s)
        return JitterStats(
            packetsReceived=s.packets_received,
            packetsLate=s.packets_late,
            packetsDuplicated=s.packets_duplicated,
            packetsDiscarded=s.packets_discarded,
            jitterBufferDelay=s.jitter_buffer_delay,
            jitterBufferEmittedCount=s.jitter_buffer_emitted_count,
            jitterBufferTargetDelay=s.jitter_buffer_target_delay,
            concealedSamples=s.concealed_samples,
            concealmentEvents=s.concealment_events,
            insertedSamplesForDeceleration=s.inserted_samples_for_deceleration,
            removedSamplesForAcceleration=s.removed_samples_for_acceleration,
            resyncs=s.resyncs,
        )
