# The media engine: worker threads in C (csrc/engine.h), legs, conferences and bridges.
# (included by _core.pyx)

cimport cython
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memset

from uc_media.includes cimport engine as _eng

import itertools as _itertools
import weakref as _weakref

_CODEC_IDS = {"opus": 0, "pcmu": 1, "pcma": 2, "g722": 3}
# RFC 3551 static payload types; Opus has none (RFC 7587: dynamic), 111 as WebRTC uses.
_DEFAULT_PT = {"opus": 111, "pcmu": 0, "pcma": 8, "g722": 9}
_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
_BRIDGE_MODES = {"relay": _eng.UC_BRIDGE_RELAY, "transcode": _eng.UC_BRIDGE_TRANSCODE}
_DTMF_DIGITS = "0123456789*#ABCD"
_EVENT_BATCH = 1024
_ENGINE_ICE_STATES = {0: "waiting", 1: "connected", 2: "expired"}  # enum uc_ice_lite_state


cdef tuple _format_addr(const _eng.sockaddr_storage *addr):
    cdef char ip[64]
    cdef int port = 0
    if _eng.uc_udp_addr_format(addr, ip, sizeof(ip), &port) < 0:
        return ("", 0)
    return (ip.decode("ascii"), port)


cdef class Engine:
    """The media engine: `workers` threads in C, each with its own epoll loop, tick timer,
    sockets and media objects. Usable synchronously (`poll_events`) and from asyncio
    (`async for event in engine.events()`). Close it (or use `with`) to stop the threads."""

    cdef _eng.uc_engine *_engine
    cdef _eng.uc_event *_events
    cdef object _objects
    cdef object _ids
    cdef object _handles  # tokens for clips and buffers lent to the workers
    cdef readonly str bind
    cdef readonly tuple port_range
    cdef public object _stream_wakers  # (loop, asyncio.Event, fd) of each events() iterator
    cdef object __weakref__

    def __cinit__(self, workers=None, port_range=(40000, 49999), str bind="127.0.0.1",
                  int tick_ms=20, *, int max_legs_per_worker=4096, int event_queue=16384):
        cdef _eng.uc_engine_config cfg
        memset(&cfg, 0, sizeof(cfg))
        if workers is not None and (not isinstance(workers, int) or workers < 1):
            raise InvalidArgumentError(f"workers must be a positive int or None, not {workers!r}")
        lo, hi = port_range
        if not (isinstance(lo, int) and isinstance(hi, int) and 1 <= lo <= hi <= 65535):
            raise InvalidArgumentError(f"port_range must be (lo, hi) with 1 <= lo <= hi <= 65535, not {port_range!r}")
        if tick_ms not in (10, 20):
            raise InvalidArgumentError(f"tick_ms must be 10 or 20, not {tick_ms}")
        if max_legs_per_worker < 1 or event_queue < 2 or event_queue & (event_queue - 1):
            raise InvalidArgumentError("max_legs_per_worker >= 1 and event_queue a power of two")
        bind_bytes = bind.encode("ascii")
        cfg.workers = 0 if workers is None else workers
        cfg.bind_ip = bind_bytes
        cfg.port_lo = lo
        cfg.port_hi = hi
        cfg.tick_ms = tick_ms
        cfg.max_legs_per_worker = max_legs_per_worker
        cfg.event_queue = event_queue
        self._events = <_eng.uc_event *>malloc(_EVENT_BATCH * sizeof(_eng.uc_event))
        if self._events == NULL:
            raise MemoryError()
        cdef int rc
        with nogil:
            rc = _eng.uc_engine_create(&cfg, &self._engine)
        _check(rc, f"Engine(bind={bind!r}, port_range={port_range!r})")
        self._objects = _weakref.WeakValueDictionary()
        self._ids = _itertools.count(1)
        self._handles = _itertools.count(1)
        self.bind = bind
        self.port_range = (lo, hi)
        self._stream_wakers = set()

    def __dealloc__(self):
        if self._engine != NULL:
            with nogil:
                _eng.uc_engine_stop(self._engine)
            # Objects still alive keep a reference to us, so none is left here.
            _eng.uc_engine_destroy(self._engine)
            self._engine = NULL
        free(self._events)

    cdef _eng.uc_engine *_live(self) except NULL:
        if self._engine == NULL:
            raise StateError("the engine is closed")
        return self._engine

    cdef uint32_t _next_handle(self):
        return next(self._handles) & 0xFFFFFFFF

    cdef uint32_t _register(self, obj):
        cdef uint32_t i = next(self._ids)
        self._objects[i] = obj
        return i

    @property
    def closed(self):
        return self._engine == NULL

    @property
    def workers(self):
        return _eng.uc_engine_worker_count(self._live())

    @property
    def tick_ms(self):
        return _eng.uc_engine_tick_ms(self._live())

    @property
    def event_fd(self):
        """An eventfd that turns readable when events are queued (for loop.add_reader)."""
        return _eng.uc_engine_event_fd(self._live())

    def create_leg(self, str codec="opus", payload_type=None, *, srtp=None, int dtmf_payload_type=101,
                   int audio_level_id=0, int opus_bitrate=0, opus_complexity=None, worker=None,
                   ssrc=None, int jitter_min_ms=0, int jitter_max_ms=0, int rtcp_interval_ms=0,
                   int dtmf_clock_rate=0):
        """A new leg with its own UDP port. `srtp`: an `SrtpKeys`, or None for plain RTP.
        `dtmf_payload_type=-1` disables telephone-events; `dtmf_clock_rate` is their clock
        when it differs from the codec's (telephone-event/8000 beside opus/48000; 0: the
        codec's); `audio_level_id` is the RFC 6464 extension id the peer uses (0: none)."""
        return Leg._create(self, codec, payload_type, srtp, dtmf_payload_type, audio_level_id,
                           opus_bitrate, opus_complexity, worker, ssrc, jitter_min_ms,
                           jitter_max_ms, rtcp_interval_ms, dtmf_clock_rate)

    def create_conference(self, *, int max_participants=64, int top_k=3, bint naive=False,
                          hangover_ticks=None, level_threshold=None, int level_event_ticks=0,
                          worker=None):
        """A conference on one worker. `naive=True` decodes every leg and encodes a personal
        N-1 mix for every leg (the comparison mode of the capacity benchmark)."""
        return AudioConference._create(self, max_participants, top_k, naive, hangover_ticks,
                                       level_threshold, level_event_ticks, worker)

    def create_bridge(self, Leg leg_a not None, Leg leg_b not None, str mode="relay"):
        """Join two legs: "relay" (same codec, re-encrypt only) or "transcode"."""
        return Bridge._create(self, leg_a, leg_b, mode)

    def poll_events(self):
        """The events queued by all workers, oldest first (never blocks)."""
        from uc_media import engine as _model
        cdef _eng.uc_engine *e = self._live()
        cdef int n, i, j
        cdef _eng.uc_event *ev
        out = []
        while True:
            n = _eng.uc_engine_poll_events(e, self._events, _EVENT_BATCH)
            for i in range(n):
                ev = &self._events[i]
                out.append(self._event(ev, _model))
            if n < _EVENT_BATCH:
                return out

    cdef object _event(self, _eng.uc_event *ev, model):
        obj = self._objects.get(ev.object_id)
        if ev.type == _eng.UC_EV_REMOTE_LATCHED:
            return model.RemoteLatched(obj, _format_addr(&ev.addr))
        if ev.type == _eng.UC_EV_TALKERS:
            shown = min(ev.value, <unsigned int>_eng.UC_EVENT_MAX_TALKERS)
            return model.TalkersChanged(
                obj, tuple((self._objects.get(ev.ids[j]), ev.levels[j]) for j in range(shown)))
        if ev.type == _eng.UC_EV_DTMF:
            return model.DtmfReceived(obj, _DTMF_DIGITS[ev.code] if 0 <= ev.code < 16 else "?", ev.value)
        if ev.type == _eng.UC_EV_LEG_STATS:
            return model.StreamStats(obj, ev.packets_received, ev.packets_lost, ev.packets_sent,
                                     ev.jitter_ms, ev.rtt_ms if ev.rtt_ms >= 0 else None,
                                     ev.fraction_lost if ev.fraction_lost >= 0 else None)
        if ev.type == _eng.UC_EV_ICE_STATE:
            addr = _format_addr(&ev.addr)
            return model.IceStateChanged(obj, _ENGINE_ICE_STATES.get(ev.code, "waiting"), addr if addr[1] else None)
        if ev.type == _eng.UC_EV_LEVEL:
            return model.LevelReport(obj, ev.code)
        if ev.type == _eng.UC_EV_PLAYBACK_FINISHED or ev.type == _eng.UC_EV_RECORDING_FINISHED:
            # The worker let go of the clip or buffer: drop the reference that kept it alive.
            if isinstance(obj, Leg):
                (<Leg>obj)._held.pop(ev.handle, None)
            elif isinstance(obj, AudioConference):
                (<AudioConference>obj)._held.pop(ev.handle, None)
            reason = _MEDIA_END_REASONS.get(ev.code, "stopped")
            if ev.type == _eng.UC_EV_PLAYBACK_FINISHED:
                return model.PlaybackFinished(obj, ev.value, reason, ev.samples)
            return model.RecordingFinished(obj, ev.value, reason, ev.samples)
        return model.EngineError(obj, ev.code, ev.value)

    def events(self):
        """Async iterator over events, for use inside a running asyncio loop."""
        from uc_media.engine import event_stream
        return event_stream(self)

    def worker_stats(self, int worker=0):
        from uc_media.engine import WorkerStats
        cdef _eng.uc_worker_stats s
        cdef int rc
        cdef _eng.uc_engine *e = self._live()
        with nogil:
            rc = _eng.uc_engine_worker_stats(e, worker, &s)
        _check(rc, f"worker_stats({worker})")
        return WorkerStats(s.ticks, s.late_ticks, s.tick_ns_total, s.tick_ns_max, s.cpu_ns,
                           s.packets_received, s.packets_sent, s.send_errors, s.sendmmsg_calls,
                           s.recvmmsg_calls, s.events_dropped, s.legs, s.conferences, s.bridges)

    def close(self):
        """Destroy every bridge, conference and leg still open, then stop the workers."""
        if self._engine == NULL:
            return
        from uc_media.engine import wake_streams
        wake_streams(self._stream_wakers)
        objects = list(self._objects.values())
        for kind in (Bridge, AudioConference, Leg):
            for obj in objects:
                if isinstance(obj, kind):
                    obj.close()
        with nogil:
            _eng.uc_engine_stop(self._engine)
        _eng.uc_engine_destroy(self._engine)
        self._engine = NULL

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# no_gc_clear: __dealloc__ needs `engine` (its workers) still alive.
@cython.no_gc_clear
cdef class Leg:
    """One endpoint's RTP session on its own UDP port (RTP/RTCP muxed, RFC 5761)."""

    cdef _eng.uc_leg *_leg
    cdef readonly Engine engine
    cdef readonly uint32_t id
    cdef readonly str codec
    cdef readonly int payload_type
    cdef readonly int dtmf_payload_type
    cdef readonly int local_port
    cdef readonly int dtmf_clock_rate
    cdef str _direction
    cdef bint _muted
    cdef dict _held  # handle -> Clip or _PinnedBuffer the worker may still read or write
    cdef object __weakref__

    def __init__(self):
        raise TypeError("create legs with Engine.create_leg()")

    @staticmethod
    cdef Leg _create(Engine engine, str codec, payload_type, srtp, int dtmf_pt, int level_id,
                     int bitrate, complexity, worker, ssrc, int jmin, int jmax, int rtcp_ms,
                     int dtmf_clock_rate):
        cdef _eng.uc_engine *e = engine._live()
        if codec not in _CODEC_IDS:
            raise InvalidArgumentError(f"codec must be one of {', '.join(_CODEC_IDS)}, not {codec!r}")
        cdef _eng.uc_leg_config cfg
        memset(&cfg, 0, sizeof(cfg))
        cfg.codec = _CODEC_IDS[codec]
        cfg.payload_type = _DEFAULT_PT[codec] if payload_type is None else payload_type
        cfg.dtmf_payload_type = dtmf_pt
        cfg.audio_level_id = level_id
        cfg.opus_bitrate = bitrate
        cfg.opus_complexity = -1 if complexity is None else complexity
        cfg.worker = -1 if worker is None else worker
        cfg.ssrc = 0 if ssrc is None else ssrc
        cfg.jitter_min_ms = jmin
        cfg.jitter_max_ms = jmax
        cfg.rtcp_interval_ms = rtcp_ms
        cfg.dtmf_clock_rate = dtmf_clock_rate
        if srtp is not None:
            cfg.srtp_suite, cfg.srtp_flags = _leg_srtp_keys(srtp, cfg.srtp_tx_key, cfg.srtp_rx_key)
        cdef Leg leg = Leg.__new__(Leg)
        leg.engine = engine
        leg.id = engine._register(leg)
        cfg.id = leg.id
        cdef int rc
        with nogil:
            rc = _eng.uc_leg_create(e, &cfg, &leg._leg)
        _check(rc, f"create_leg(codec={codec!r})")
        leg.codec = codec
        leg.payload_type = cfg.payload_type
        leg.dtmf_payload_type = dtmf_pt
        leg.dtmf_clock_rate = dtmf_clock_rate
        leg.local_port = _eng.uc_leg_local_port(leg._leg)
        leg._direction = "sendrecv"
        leg._held = {}
        return leg

    def __dealloc__(self):
        if self._leg != NULL:
            with nogil:
                _eng.uc_leg_destroy(self._leg)
            self._leg = NULL

    cdef _eng.uc_leg *_live(self) except NULL:
        if self._leg == NULL:
            raise StateError("the leg is closed")
        return self._leg

    @property
    def closed(self):
        return self._leg == NULL

    @property
    def local_address(self):
        return (self.engine.bind, self.local_port)

    @property
    def ssrc(self):
        return _eng.uc_leg_ssrc(self._live())

    @property
    def worker(self):
        return _eng.uc_leg_worker_index(self._live())

    def set_remote(self, address):
        """Send to (host, port) and accept RTP/RTCP only from there. Without it, the first
        valid (authenticated) packet sets the remote address (symmetric RTP)."""
        host, port = address
        if not isinstance(port, int) or not 1 <= port <= 65535:
            raise InvalidArgumentError(f"port must be 1..65535, not {port!r}")
        cdef _eng.uc_leg *leg = self._live()
        cdef bytes h = str(host).encode("ascii")
        cdef const char *hp = h
        cdef int p = port
        cdef int rc
        with nogil:
            rc = _eng.uc_leg_set_remote(leg, hp, p)
        _check(rc, f"set_remote({address!r})")

    def set_srtp(self, srtp):
        """Replace the SRTP keys (an `SrtpKeys`), or turn SRTP off with None."""
        cdef uint8_t tx[30]
        cdef uint8_t rx[30]
        cdef int suite = 0
        cdef unsigned flags = 0
        if srtp is not None:
            suite, flags = _leg_srtp_keys(srtp, tx, rx)
        cdef _eng.uc_leg *leg = self._live()
        cdef int rc
        with nogil:
            rc = _eng.uc_leg_set_srtp(leg, suite, tx, rx, flags)
        _check(rc, "set_srtp")

    def set_codec(self, str codec, payload_type=None, *, int dtmf_payload_type=101, int audio_level_id=0,
                  int dtmf_clock_rate=0):
        """Switch to another codec and payload types (e.g. what SDP negotiated); only while
        the leg is in no conference or bridge. `dtmf_clock_rate`: the telephone-event clock
        when it differs from the codec's (0: the codec's)."""
        if dtmf_clock_rate and not (8000 <= dtmf_clock_rate <= 96000 and dtmf_clock_rate % 1000 == 0):
            raise InvalidArgumentError(f"dtmf_clock_rate must be 0 or 8000..96000 Hz, not {dtmf_clock_rate}")
        if codec not in _CODEC_IDS:
            raise InvalidArgumentError(f"codec must be one of {', '.join(_CODEC_IDS)}, not {codec!r}")
        cdef _eng.uc_leg *leg = self._live()
        cdef int c = _CODEC_IDS[codec]
        cdef int pt = _DEFAULT_PT[codec] if payload_type is None else payload_type
        cdef int rc
        with nogil:
            rc = _eng.uc_leg_set_codec(leg, c, pt, dtmf_payload_type, audio_level_id)
        _check(rc, f"set_codec({codec!r})")
        if dtmf_clock_rate:
            with nogil:
                rc = _eng.uc_leg_set_dtmf_clock(leg, dtmf_clock_rate)
            _check(rc, f"set_codec(dtmf_clock_rate={dtmf_clock_rate})")
        self.dtmf_clock_rate = dtmf_clock_rate
        self.codec = codec
        self.payload_type = pt
        self.dtmf_payload_type = dtmf_payload_type

    def set_ice(self, local, remote=None):
        """Answer ICE checks on this leg as the ICE-lite agent: `local` and `remote` are
        `IceCredentials` (ours, from our SDP; the peer's, or None until its answer). The
        nominated pair becomes the remote address; media stops when its consent expires."""
        cdef bytes lu = _ice_credential(local.ufrag, "local ufrag", True)
        cdef bytes lp = _ice_credential(local.pwd, "local password", True)
        cdef bytes ru = _ice_credential(remote.ufrag if remote is not None else None, "remote ufrag", False)
        cdef bytes rp = _ice_credential(remote.pwd if remote is not None else None, "remote password", False)
        cdef _eng.uc_leg *leg = self._live()
        cdef const char *plu = lu
        cdef const char *plp = lp
        cdef const char *pru = ru
        cdef const char *prp = rp
        cdef size_t nlu = len(lu), nlp = len(lp), nru = len(ru), nrp = len(rp)
        cdef int rc
        with nogil:
            rc = _eng.uc_leg_set_ice(leg, plu, nlu, plp, nlp, pru, nru, prp, nrp)
        _check(rc, "ICE-lite credentials (ufrag without ':', at most 256 characters; password 1..256)")

    @property
    def direction(self):
        return self._direction

    @direction.setter
    def direction(self, str value):
        if value not in _DIRECTIONS:
            raise InvalidArgumentError(f"direction must be one of {', '.join(_DIRECTIONS)}, not {value!r}")
        cdef _eng.uc_leg *leg = self._live()
        cdef int d = _DIRECTIONS.index(value)
        cdef int rc
        with nogil:
            rc = _eng.uc_leg_set_direction(leg, d)
        _check(rc, "direction")
        self._direction = value

    @property
    def muted(self):
        return self._muted

    @muted.setter
    def muted(self, bint value):
        cdef _eng.uc_leg *leg = self._live()
        cdef int rc
        with nogil:
            rc = _eng.uc_leg_set_mute(leg, value)
        _check(rc, "muted")
        self._muted = value

    def send_dtmf(self, str digit, int duration_ms=100):
        """Send one RFC 4733 telephone-event; it replaces the audio packets meanwhile."""
        if len(digit) != 1 or digit.upper() not in _DTMF_DIGITS:
            raise InvalidArgumentError(f"digit must be one of {_DTMF_DIGITS}, not {digit!r}")
        cdef _eng.uc_leg *leg = self._live()
        cdef char c = ord(digit.upper())
        cdef int rc
        with nogil:
            rc = _eng.uc_leg_send_dtmf(leg, c, duration_ms)
        _check(rc, f"send_dtmf({digit!r})")

    def play(self, Clip clip not None, *, id=0, bint loop=False):
        """Play `clip` to this leg alone (a prompt only this caller hears): over what it
        hears in its conference, or on its own when it is in no conference (auto attendant,
        lobby: the leg then sends the clip, encoded every tick). Replaces a clip already
        playing. `loop` repeats it (music on hold) until `stop_playback()`. A
        `PlaybackFinished(leg, id, reason, samples)` event follows when it ends. Not in a
        bridge (StateError)."""
        _check_media_id(id)
        cdef _eng.uc_leg *leg = self._live()
        cdef uint32_t handle = self.engine._next_handle()
        cdef uint32_t cid = id
        cdef int rc
        # Held before the command: the worker may finish the clip before play() returns.
        self._held[handle] = clip
        with nogil:
            rc = _eng.uc_leg_play(leg, clip._clip, cid, handle, loop)
        if rc < 0:
            self._held.pop(handle, None)
        _check(rc, "play")
        self._release_idle_clips(handle)

    cdef _release_idle_clips(self, uint32_t keep):
        # A replaced clip's event may still be queued; the command has returned, so the
        # worker holds only `keep` now (and recording buffers, which are not Clips).
        for h in [h for h, obj in self._held.items() if h != keep and isinstance(obj, Clip)]:
            del self._held[h]

    def stop_playback(self):
        """Stop the leg's clip; True if one was playing (its PlaybackFinished says "stopped")."""
        cdef _eng.uc_leg *leg = self._live()
        cdef int rc
        with nogil:
            rc = _eng.uc_leg_stop_playback(leg)
        _check(rc, "stop_playback")
        self._release_idle_clips(0)
        return rc == 1

    def record(self, buffer, *, int rate=16000, id=0):
        """Record what this leg's peer sends (its decoded audio, muted or not) into
        `buffer`, a writable int16 buffer (array('h'), numpy int16, bytearray) of
        len(buffer) samples at `rate` (8000, 16000 or 48000): until it is full, then a
        `RecordingFinished(leg, id, "completed", samples)` event. The buffer is held
        (cannot be resized) until then, `stop_recording()` or close. Not while another
        recording runs, nor in a bridge (StateError)."""
        if rate not in _CLIP_RATES:
            raise InvalidArgumentError(f"rate must be 8000, 16000 or 48000, not {rate}")
        _check_media_id(id)
        cdef _eng.uc_leg *leg = self._live()
        cdef _PinnedBuffer pin = _pin_recording_buffer(buffer)
        cdef uint32_t handle = self.engine._next_handle()
        cdef uint32_t cid = id
        cdef uint32_t capacity = <uint32_t>pin.samples
        cdef int16_t *buf = <int16_t *>pin.view.buf
        cdef int rc
        self._held[handle] = pin
        with nogil:
            rc = _eng.uc_leg_record(leg, buf, capacity, rate, cid, handle)
        if rc < 0:
            self._held.pop(handle, None)
        _check(rc, "record")

    def stop_recording(self):
        """End the recording now; returns the samples recorded, or None when none ran
        (it may have just filled its buffer: see its RecordingFinished event)."""
        cdef _eng.uc_leg *leg = self._live()
        cdef int rc
        with nogil:
            rc = _eng.uc_leg_stop_recording(leg)
        for h in [h for h, obj in self._held.items() if isinstance(obj, _PinnedBuffer)]:
            del self._held[h]
        if rc == uc_errors.UC_ERR_STATE:
            return None
        _check(rc, "stop_recording")
        return rc

    def stats(self):
        from uc_media.engine import LegStats
        cdef _eng.uc_leg_stats s
        cdef _eng.uc_leg *leg = self._live()
        cdef int rc
        with nogil:
            rc = _eng.uc_leg_get_stats(leg, &s)
        _check(rc, "stats")
        return LegStats(
            s.packets_received, s.bytes_received, s.rtp_received, s.rtcp_received, s.stun_received,
            s.dtls_dropped, s.unknown_dropped, s.malformed, s.auth_failed, s.replayed, s.srtp_errors,
            s.wrong_source, s.wrong_payload_type, s.dropped_direction, s.jitter_late,
            s.jitter_discarded, s.concealed_ticks, s.decode_errors, s.decodes, s.encodes,
            s.packets_sent, s.bytes_sent, s.rtcp_sent, s.dtmf_received, s.dtmf_sent, s.relayed,
            s.remote_ssrc, s.expected, s.lost, s.jitter_ms, bool(s.have_peer_report),
            s.peer_fraction_lost, s.peer_cumulative_lost, s.peer_jitter_ms,
            s.rtt_ms if s.rtt_ms >= 0 else None, s.local_ssrc, bool(s.remote_known), s.last_level,
            _ENGINE_ICE_STATES.get(s.ice_state), s.stun_answered)

    def close(self):
        """Leave any conference or bridge and release the port."""
        if self._leg != NULL:
            with nogil:
                _eng.uc_leg_destroy(self._leg)
            self._leg = NULL
        self._held = {}  # the worker has let go of every clip and buffer

    def __repr__(self):
        return f"<Leg {self.id} {self.codec} port {self.local_port}{' closed' if self.closed else ''}>"


cdef int _check_media_id(object id) except -1:
    if not isinstance(id, int) or not 0 <= id <= 0xFFFFFFFF:
        raise InvalidArgumentError(f"id must be an int in 0..2**32-1, not {id!r}")
    return 0


cdef tuple _leg_srtp_keys(srtp, uint8_t *tx, uint8_t *rx):
    from uc_media.engine import SrtpKeys
    if not isinstance(srtp, SrtpKeys):
        raise InvalidArgumentError(f"srtp must be an SrtpKeys or None, not {type(srtp).__name__}")
    suite = _srtp_suite_code(srtp.suite)
    need = srtp_key_salt_length(srtp.suite)
    local, remote = bytes(srtp.local_key), bytes(srtp.remote_key)
    if len(local) != need or len(remote) != need:
        raise InvalidArgumentError(f"{srtp.suite} keys are {need} bytes (master key || salt)")
    memcpy(tx, <const char *>local, need)
    memcpy(rx, <const char *>remote, need)
    return suite, (1 if srtp.srtcp_tag_32 else 0)


# no_gc_clear: __dealloc__ needs `engine` (its workers) still alive.
@cython.no_gc_clear
cdef class AudioConference:
    """An audio MCU on one worker: top-K talkers, N-1 mixes, one encode per distinct mix."""

    cdef _eng.uc_conference *_conf
    cdef readonly Engine engine
    cdef readonly uint32_t id
    cdef readonly bint naive
    cdef readonly int top_k
    cdef dict _legs
    cdef dict _held  # handle -> Clip the worker may still read
    cdef object __weakref__

    def __init__(self):
        raise TypeError("create conferences with Engine.create_conference()")

    @staticmethod
    cdef AudioConference _create(Engine engine, int max_participants, int top_k, bint naive,
                                 hangover_ticks, level_threshold, int level_event_ticks, worker):
        cdef _eng.uc_engine *e = engine._live()
        if max_participants < 1 or top_k < 1 or level_event_ticks < 0:
            raise InvalidArgumentError("max_participants and top_k must be >= 1, level_event_ticks >= 0")
        cdef _eng.uc_conference_config cfg
        memset(&cfg, 0, sizeof(cfg))
        cfg.max_participants = max_participants
        cfg.top_k = top_k
        cfg.naive = naive
        cfg.hangover_ticks = -1 if hangover_ticks is None else hangover_ticks
        cfg.level_threshold = -1 if level_threshold is None else level_threshold
        cfg.level_event_ticks = level_event_ticks
        cfg.worker = -1 if worker is None else worker
        cdef AudioConference c = AudioConference.__new__(AudioConference)
        c.engine = engine
        c.id = engine._register(c)
        cfg.id = c.id
        cdef int rc
        with nogil:
            rc = _eng.uc_conference_create(e, &cfg, &c._conf)
        _check(rc, "create_conference")
        c.naive = naive
        c.top_k = min(top_k, max_participants)
        c._legs = {}
        c._held = {}
        return c

    def __dealloc__(self):
        if self._conf != NULL:
            with nogil:
                _eng.uc_conference_destroy(self._conf)
            self._conf = NULL

    cdef _eng.uc_conference *_live(self) except NULL:
        if self._conf == NULL:
            raise StateError("the conference is closed")
        return self._conf

    @property
    def worker(self):
        return _eng.uc_conference_worker_index(self._live())

    @property
    def legs(self):
        return tuple(leg for leg in self._legs.values() if not leg.closed)

    def add_leg(self, leg, **options):
        """Join a leg (moving it to this conference's worker); returns its mixer slot.
        Given an SDP offer (str, bytes or SessionDescription) instead, creates the leg,
        negotiates and returns (leg, answer): see uc_media.engine_sdp.join_from_offer,
        which takes the `options`."""
        if not isinstance(leg, Leg):
            from uc_media.engine_sdp import join_from_offer
            return join_from_offer(self, leg, **options)
        if options:
            raise TypeError("options apply to an SDP offer, not to a Leg")
        if (<Leg>leg).engine is not self.engine:
            raise InvalidArgumentError("the leg belongs to another engine")
        return self._add(leg)

    cdef int _add(self, Leg leg) except -1:
        cdef _eng.uc_conference *c = self._live()
        cdef _eng.uc_leg *l = leg._live()
        cdef int rc
        with nogil:
            rc = _eng.uc_conference_add_leg(c, l)
        _check(rc, f"add_leg({leg!r})")
        self._legs[leg.id] = leg
        return rc

    def remove_leg(self, Leg leg not None):
        cdef _eng.uc_conference *c = self._live()
        cdef _eng.uc_leg *l = leg._live()
        cdef int rc
        with nogil:
            rc = _eng.uc_conference_remove_leg(c, l)
        _check(rc, f"remove_leg({leg!r})")
        self._legs.pop(leg.id, None)

    def play(self, Clip clip not None, *, id=0, bint loop=False):
        """Play `clip` to everyone in the conference (entry and exit tones,
        announcements), added to every mix; replaces one already playing. `loop` repeats
        it until `stop_playback()`. A `PlaybackFinished(conference, id, reason, samples)`
        event follows when it ends."""
        _check_media_id(id)
        cdef _eng.uc_conference *c = self._live()
        cdef uint32_t handle = self.engine._next_handle()
        cdef uint32_t cid = id
        cdef int rc
        self._held[handle] = clip
        with nogil:
            rc = _eng.uc_conference_play(c, clip._clip, cid, handle, loop)
        if rc < 0:
            self._held.pop(handle, None)
        _check(rc, "play")
        self._held = {handle: clip} if handle in self._held else {}

    def stop_playback(self):
        """Stop the conference's clip; True if one was playing."""
        cdef _eng.uc_conference *c = self._live()
        cdef int rc
        with nogil:
            rc = _eng.uc_conference_stop_playback(c)
        _check(rc, "stop_playback")
        self._held = {}
        return rc == 1

    def stats(self):
        from uc_media.engine import ConferenceStats
        cdef _eng.uc_conference_stats s
        cdef _eng.uc_conference *c = self._live()
        cdef int rc
        with nogil:
            rc = _eng.uc_conference_get_stats(c, &s)
        _check(rc, "stats")
        return ConferenceStats(s.ticks, s.decodes, s.shared_encodes, s.own_encodes,
                               s.talker_changes, s.participants, s.classes, s.talkers)

    def close(self):
        """Remove every leg (they stay open) and free the conference."""
        if self._conf != NULL:
            with nogil:
                _eng.uc_conference_destroy(self._conf)
            self._conf = NULL
        self._legs = {}
        self._held = {}


# no_gc_clear: __dealloc__ needs `engine` (its workers) still alive.
@cython.no_gc_clear
cdef class Bridge:
    """Two legs back to back: relay (same codec, re-encrypt only) or transcode."""

    cdef _eng.uc_bridge *_bridge
    cdef readonly Engine engine
    cdef readonly uint32_t id
    cdef readonly str mode
    cdef readonly Leg leg_a
    cdef readonly Leg leg_b
    cdef object __weakref__

    def __init__(self):
        raise TypeError("create bridges with Engine.create_bridge()")

    @staticmethod
    cdef Bridge _create(Engine engine, Leg a, Leg b, str mode):
        cdef _eng.uc_engine *e = engine._live()
        if mode not in _BRIDGE_MODES:
            raise InvalidArgumentError(f"mode must be 'relay' or 'transcode', not {mode!r}")
        if a.engine is not engine or b.engine is not engine:
            raise InvalidArgumentError("both legs must belong to this engine")
        if mode == "relay" and a.codec != b.codec:
            raise InvalidArgumentError(f"relay needs one codec on both legs ({a.codec} != {b.codec}); use 'transcode'")
        cdef Bridge br = Bridge.__new__(Bridge)
        br.engine = engine
        br.id = engine._register(br)
        cdef _eng.uc_leg *la = a._live()
        cdef _eng.uc_leg *lb = b._live()
        cdef int m = _BRIDGE_MODES[mode]
        cdef uint32_t bid = br.id
        cdef int rc
        with nogil:
            rc = _eng.uc_bridge_create(e, la, lb, m, bid, &br._bridge)
        _check(rc, f"create_bridge({mode!r})")
        br.mode = mode
        br.leg_a = a
        br.leg_b = b
        return br

    def __dealloc__(self):
        if self._bridge != NULL:
            with nogil:
                _eng.uc_bridge_destroy(self._bridge)
            self._bridge = NULL

    def close(self):
        if self._bridge != NULL:
            with nogil:
                _eng.uc_bridge_destroy(self._bridge)
            self._bridge = NULL
