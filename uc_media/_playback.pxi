# Prompts, tones and recordings for the engine (csrc/playback.h): Clip, and the pinning of
# a caller's recording buffer. Leg.play / record and AudioConference.play live in
# _engine.pxi. (included by _core.pyx)

from cpython.buffer cimport PyBUF_WRITABLE

from uc_media.includes cimport playback as _pb

_CLIP_RATES = (8000, 16000, 48000)
_MEDIA_END_REASONS = {_pb.UC_END_COMPLETED: "completed", _pb.UC_END_STOPPED: "stopped",
                      _pb.UC_END_REPLACED: "replaced"}


cdef class Clip:
    """A prompt or tone for `Leg.play` / `AudioConference.play`: mono int16 PCM at 8, 16 or
    48 kHz, resampled once to the engine's 48 kHz here and immutable afterwards, so one clip
    can play on any number of legs and conferences at once (music on hold is one buffer)."""

    cdef _pb.uc_clip *_clip
    cdef readonly int source_rate

    def __cinit__(self, pcm, int rate=8000):
        if rate not in _CLIP_RATES:
            raise InvalidArgumentError(f"rate must be 8000, 16000 or 48000, not {rate}")
        cdef Py_buffer view
        cdef int n = _acquire_pcm(pcm, &view, 1, "Clip")
        cdef int rc
        try:
            if n == 0:
                raise InvalidArgumentError("Clip: no samples")
            if <long long>n * 48000 // rate > _pb.UC_CLIP_MAX_SAMPLES:
                raise InvalidArgumentError("Clip: at most 10 minutes")
            with nogil:
                rc = _pb.uc_clip_create(<const int16_t *>view.buf, <size_t>n, rate, &self._clip)
        finally:
            PyBuffer_Release(&view)
        _check(rc, "Clip")
        self.source_rate = rate

    def __dealloc__(self):
        # Legs and conferences that play this clip hold a reference to it until the worker
        # let go of it, so nothing reads the samples any more here.
        _pb.uc_clip_destroy(self._clip)
        self._clip = NULL

    @property
    def samples(self):
        """Length at 48 kHz."""
        return self._clip.samples

    @property
    def duration_ms(self):
        return self._clip.samples // 48

    def pcm48(self):
        """The clip as played: int16 samples at 48 kHz."""
        cdef array out = clone(_INT16_ARRAY, self._clip.samples, False)
        memcpy(out.data.as_voidptr, self._clip.pcm, self._clip.samples * sizeof(int16_t))
        return out

    def __len__(self):
        return self._clip.samples

    def __repr__(self):
        return f"<Clip {self.duration_ms} ms from {self.source_rate} Hz>"


cdef class _PinnedBuffer:
    """A writable int16 buffer held (exported) while a worker records into it: a bytearray
    cannot be resized meanwhile, a numpy array cannot be freed."""

    cdef Py_buffer view
    cdef bint held
    cdef readonly Py_ssize_t samples

    def __dealloc__(self):
        if self.held:
            PyBuffer_Release(&self.view)
            self.held = False


cdef _PinnedBuffer _pin_recording_buffer(object buffer):
    cdef _PinnedBuffer pin = _PinnedBuffer.__new__(_PinnedBuffer)
    try:
        PyObject_GetBuffer(buffer, &pin.view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)
    except (BufferError, TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"record: the buffer must be a writable contiguous int16 buffer ({exc})") from None
    pin.held = True
    if not _is_pcm_format(pin.view.format, pin.view.itemsize) or pin.view.len % 2:
        raise InvalidArgumentError("record: the buffer must hold int16 samples (array('h'), numpy int16, bytearray)")
    pin.samples = pin.view.len // 2
    if pin.samples == 0 or pin.samples > _pb.UC_CLIP_MAX_SAMPLES:
        raise InvalidArgumentError("record: the buffer must hold 1 .. 28,800,000 samples")
    return pin
