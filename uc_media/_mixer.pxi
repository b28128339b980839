# AudioMixer: top-K talker selection and N-1 mixing over csrc/mixer.c.
# (included by _core.pyx)

import operator
import sys

from cpython.buffer cimport (PyBUF_C_CONTIGUOUS, PyBUF_FORMAT, PyBUF_WRITABLE, PyBuffer_Release,
                             PyObject_GetBuffer)
from libc.stdint cimport int16_t, uint8_t
from uc_media.includes cimport mixer as cmixer

_LIMITERS = {"saturate": cmixer.UC_MIXER_SATURATE, "soft": cmixer.UC_MIXER_SOFT_KNEE}

LEVEL_SILENT = cmixer.UC_MIXER_LEVEL_SILENT

cdef bint _LITTLE_ENDIAN = sys.byteorder == "little"

# Buffers are taken with PyObject_GetBuffer rather than typed memoryviews: a tick of a
# small conference lasts a few hundred nanoseconds, and a raw Py_buffer costs less to
# acquire. Nothing is copied.


cdef inline bint _is_native(const char *fmt, char code) noexcept:
    """Is a buffer format string the native-order, standard-size form of `code`?"""
    if fmt == NULL:
        return code == b'B'
    if fmt[0] == b'@' or fmt[0] == b'=' or (fmt[0] == b'<' and _LITTLE_ENDIAN) \
            or (fmt[0] == b'>' and not _LITTLE_ENDIAN):
        fmt += 1
    return fmt[0] == code and fmt[1] == 0


cdef Py_ssize_t _acquire_frames(object obj, Py_buffer *buf, int frame_samples, bint writable,
                                str what) except -1:
    """Acquire `obj` as rows of `frame_samples` native int16 samples, C-contiguous: shape
    (rows, frame_samples), or 1-D with a multiple of frame_samples, or untyped bytes of a
    multiple of 2 * frame_samples. Returns the row count; on success the caller releases
    buf."""
    cdef int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (PyBUF_WRITABLE if writable else 0)
    try:
        PyObject_GetBuffer(obj, buf, flags)
    except (BufferError, TypeError, ValueError) as exc:
        kind = "a writable C-contiguous int16 buffer" if writable else "a C-contiguous int16 buffer"
        raise InvalidArgumentError(f"{what}: expected {kind}, got {type(obj).__name__} ({exc})") from None
    cdef bint typed = buf.itemsize == 2 and _is_native(buf.format, b'h') and (
        (buf.ndim == 2 and buf.shape[1] == frame_samples) or (buf.ndim == 1 and buf.shape[0] % frame_samples == 0))
    # Untyped bytes (bytes, bytearray, mmap) are taken as native-order int16 samples.
    cdef bint raw = buf.itemsize == 1 and _is_native(buf.format, b'B') and buf.ndim <= 1 \
        and buf.len % (2 * frame_samples) == 0
    if not (typed or raw):
        fmt = (<bytes>buf.format).decode("ascii", "replace") if buf.format != NULL else "B"
        shape = tuple([buf.shape[d] for d in range(buf.ndim)]) if buf.shape != NULL else ()
        PyBuffer_Release(buf)
        raise InvalidArgumentError(
            f"{what}: expected int16 rows of {frame_samples} samples, got format {fmt!r} shape {shape}")
    return buf.len // (2 * frame_samples)


cdef Py_ssize_t _acquire_levels(object obj, Py_buffer *buf) except -1:
    """Acquire `obj` as one byte per slot: a uint8 buffer as is, else a sequence of ints
    (made into bytes). Returns the count; on success the caller releases buf."""
    try:
        PyObject_GetBuffer(obj, buf, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)
    except TypeError:
        try:
            obj = bytes(obj)
        except (ValueError, TypeError):
            raise InvalidArgumentError("levels: expected RFC 6464 levels 0..127, one per participant") from None
        PyObject_GetBuffer(obj, buf, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)
    except (BufferError, ValueError) as exc:
        raise InvalidArgumentError(f"levels: expected a contiguous uint8 buffer ({exc})") from None
    if buf.ndim > 1 or buf.itemsize != 1 or not _is_native(buf.format, b'B'):
        PyBuffer_Release(buf)
        raise InvalidArgumentError("levels: expected a 1-D uint8 buffer, one level 0..127 per participant")
    return buf.len


def audio_level(frame) -> int:
    """The RFC 6464 audio level of one int16 frame: its RMS in -dBov (0 loudest, 127
    silence), rounded to the nearest dB as WebRTC measures it."""
    cdef Py_buffer buf
    cdef int rc
    cdef Py_ssize_t samples
    try:
        PyObject_GetBuffer(frame, &buf, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)
    except (BufferError, TypeError, ValueError):
        raise InvalidArgumentError(f"frame: expected a contiguous int16 buffer, got {type(frame).__name__}") from None
    try:
        samples = buf.len // 2
        if not ((buf.itemsize == 2 and _is_native(buf.format, b'h'))
                or (buf.itemsize == 1 and _is_native(buf.format, b'B') and buf.len % 2 == 0)):
            raise InvalidArgumentError("frame: expected int16 samples (or bytes of native int16)")
        if samples > cmixer.UC_MIXER_MAX_FRAME_SAMPLES:
            raise InvalidArgumentError(f"frame: {samples} samples, at most {cmixer.UC_MIXER_MAX_FRAME_SAMPLES}")
        with nogil:
            rc = cmixer.uc_audio_level(<const int16_t *>buf.buf, <int>samples)
    finally:
        PyBuffer_Release(&buf)
    return rc


cdef int _c_int(object value, str name) except? -1:
    """An integer parameter as a C int. Ranges are the C side's to check, so a value beyond
    int is clamped to -1 or INT_MAX, which it rejects (or, for hangover_ticks, keeps a
    quiet talker for good)."""
    try:
        v = operator.index(value)
    except TypeError:
        raise InvalidArgumentError(f"{name} must be an integer, not {type(value).__name__}") from None
    return <int>max(-1, min(v, 0x7FFFFFFF))


cdef class AudioMixer:
    """Top-K talker selection and N-1 mixing for one audio conference.

    Each tick, participant slot i contributes row i of an (N, frame_samples) int16 buffer.
    Up to `top_k` talkers are chosen: from RFC 6464 levels when given (before decoding,
    so silent participants need not be decoded), else from frame energy. A participant
    talks when its level is at or louder than `level_threshold` (-dBov); a talker that
    falls quiet stays selected for `hangover_ticks` ticks. The output rows are the shared
    mix (row 0, for every non-talker) and each talker's N-1 mix (row 1 + j for the j-th
    talker returned), clamped (`limiter="saturate"`) or soft-limited (`"soft"`, linear up
    to `knee`); never wrapped.

    A mixer is used by one thread at a time; the mixing itself runs without the GIL.
    """

    cdef cmixer.uc_mixer *_m
    cdef cmixer.uc_mixer_config _cfg
    cdef bint _busy
    cdef int _n

    def __cinit__(self, frame_samples, max_participants, top_k=3, hangover_ticks=15,
                  level_threshold=50, limiter="saturate", knee=24576):
        if limiter not in _LIMITERS:
            raise InvalidArgumentError(f"limiter must be one of {sorted(_LIMITERS)}, not {limiter!r}")
        cmixer.uc_mixer_config_default(&self._cfg, _c_int(frame_samples, "frame_samples"),
                                       _c_int(max_participants, "max_participants"))
        self._cfg.top_k = _c_int(top_k, "top_k")
        self._cfg.hangover_ticks = _c_int(hangover_ticks, "hangover_ticks")
        self._cfg.level_threshold = _c_int(level_threshold, "level_threshold")
        self._cfg.limiter = _LIMITERS[limiter]
        self._cfg.knee = _c_int(knee, "knee")
        _check(cmixer.uc_mixer_create(&self._cfg, &self._m),
               f"AudioMixer(frame_samples={frame_samples}, max_participants={max_participants}, "
               f"top_k={top_k}, hangover_ticks={hangover_ticks}, level_threshold={level_threshold}, knee={knee}) "
               f"(ranges: frame_samples 1..{cmixer.UC_MIXER_MAX_FRAME_SAMPLES}, max_participants "
               f"1..{cmixer.UC_MIXER_MAX_PARTICIPANTS}, top_k 1..max_participants, hangover_ticks >= 0, "
               f"level_threshold 0..127, knee 1..32766)")
        self._n = 0

    def __dealloc__(self):
        cmixer.uc_mixer_free(self._m)

    @property
    def frame_samples(self) -> int:
        return self._cfg.frame_samples

    @property
    def max_participants(self) -> int:
        return self._cfg.max_participants

    @property
    def top_k(self) -> int:
        return self._cfg.top_k

    @property
    def hangover_ticks(self) -> int:
        return self._cfg.hangover_ticks

    @property
    def level_threshold(self) -> int:
        return self._cfg.level_threshold

    @property
    def limiter(self) -> str:
        return "saturate" if self._cfg.limiter == cmixer.UC_MIXER_SATURATE else "soft"

    @property
    def knee(self) -> int:
        return self._cfg.knee

    @property
    def talkers(self) -> tuple:
        """The talkers of the last selection, ascending slots."""
        return self._talkers()

    @property
    def levels(self) -> bytes:
        """Each slot's RFC 6464 level at the last selection (given, or measured from frames)."""
        return (<const char *>cmixer.uc_mixer_levels(self._m))[:self._n]

    cdef tuple _talkers(self):
        cdef const int *t = cmixer.uc_mixer_talkers(self._m)
        return tuple([t[j] for j in range(cmixer.uc_mixer_talker_count(self._m))])

    cdef int _enter(self) except -1:
        # The C mixer is single-threaded; with the GIL released around it, a second Python
        # thread could otherwise run it concurrently.
        if self._busy:
            raise StateError("AudioMixer is in use by another thread")
        self._busy = True
        return 0

    def select(self, levels) -> tuple:
        """Select this tick's talkers from RFC 6464 levels (one byte 0..127 per slot),
        before decoding; returns the talkers. Then decode those and call mix()."""
        cdef Py_buffer lb
        cdef Py_ssize_t n = _acquire_levels(levels, &lb)
        cdef int rc
        try:
            self._check_count(n, "levels")
            self._enter()
            with nogil:
                rc = cmixer.uc_mixer_select_levels(self._m, <const uint8_t *>lb.buf, <int>n)
            self._busy = False
            _check(rc, "AudioMixer.select (levels are 0..127)")
            self._n = <int>n
        finally:
            PyBuffer_Release(&lb)
        return self._talkers()

    def select_frames(self, frames) -> tuple:
        """Select this tick's talkers from the energy of decoded (N, frame_samples) frames."""
        cdef Py_buffer fb
        cdef Py_ssize_t n = _acquire_frames(frames, &fb, self._cfg.frame_samples, False, "frames")
        cdef int rc
        try:
            self._check_count(n, "frames")
            self._enter()
            with nogil:
                rc = cmixer.uc_mixer_select_frames(self._m, <const int16_t *>fb.buf,
                                                   self._cfg.frame_samples, <int>n)
            self._busy = False
            _check(rc, "AudioMixer.select_frames")
            self._n = <int>n
        finally:
            PyBuffer_Release(&fb)
        return self._talkers()

    def mix(self, frames, out) -> tuple:
        """Mix the last selection: `frames` (N, frame_samples) int16, of which only the
        talkers' rows are read; `out` (1 + talkers or more, frame_samples) int16, written:
        row 0 the shared mix, row 1 + j the j-th talker's N-1 mix. Returns the talkers."""
        return self._run(frames, out, None, False)

    def tick(self, frames, out, levels=None) -> tuple:
        """Select (from `levels` if given, else from the frames' energy) and mix in one call.
        `out` needs 1 + min(top_k, N) rows. Returns the talkers."""
        return self._run(frames, out, levels, True)

    cdef int _check_count(self, Py_ssize_t n, str what) except -1:
        if n > self._cfg.max_participants:
            raise InvalidArgumentError(f"{what}: {n} participants, max_participants is {self._cfg.max_participants}")
        return 0

    cdef tuple _run(self, object frames, object out, object levels, bint select):
        cdef int fs = self._cfg.frame_samples
        cdef Py_buffer fb, ob, lb
        cdef Py_ssize_t n, rows, need
        cdef bint have_levels = False
        cdef int rc
        n = _acquire_frames(frames, &fb, fs, False, "frames")
        try:
            self._check_count(n, "frames")
            if not select and n != self._n:
                raise InvalidArgumentError(f"mix: {n} frames, but the last selection was for {self._n}")
            need = 1 + (min(self._cfg.top_k, n) if select else cmixer.uc_mixer_talker_count(self._m))
            rows = _acquire_frames(out, &ob, fs, True, "out")
            try:
                if rows < need:
                    raise BufferTooSmallError(f"out: {rows} rows, need {need} (the shared mix and one per talker)")
                if levels is not None:
                    if _acquire_levels(levels, &lb) != n:
                        PyBuffer_Release(&lb)
                        raise InvalidArgumentError(f"levels: {len(levels)} given for {n} frames")
                    have_levels = True
                self._enter()
                with nogil:
                    if select:
                        rc = cmixer.uc_mixer_tick(self._m, <const int16_t *>fb.buf, fs, <int>n,
                                                  <const uint8_t *>lb.buf if have_levels else NULL,
                                                  <int16_t *>ob.buf, <int16_t *>ob.buf + fs, fs)
                    else:
                        rc = cmixer.uc_mixer_mix(self._m, <const int16_t *>fb.buf, fs, <int>n,
                                                 <int16_t *>ob.buf, <int16_t *>ob.buf + fs, fs)
                self._busy = False
                if select and rc >= 0:
                    self._n = <int>n
                _check(rc, "AudioMixer.tick (levels are 0..127)" if have_levels
                       else "AudioMixer.tick" if select else "AudioMixer.mix")
            finally:
                if have_levels:
                    PyBuffer_Release(&lb)
                PyBuffer_Release(&ob)
        finally:
            PyBuffer_Release(&fb)
        return self._talkers()

    def forget(self, slot) -> None:
        """Forget a slot's selection and hangover (a participant left; another may take it)."""
        cdef int c_slot = _c_int(slot, "slot")
        self._enter()
        try:
            rc = cmixer.uc_mixer_forget(self._m, c_slot)
        finally:
            self._busy = False
        _check(rc, f"AudioMixer.forget({slot}): slot out of range")
