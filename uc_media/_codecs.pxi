# Codecs: Opus (libopus), G.711 and G.722 (spandsp) and the resampler (speexdsp), over
# csrc/codec_opus.c, codec_g711.c, codec_g722.c and resample.c.
# (included by _core.pyx)
#
# PCM in: any C-contiguous buffer of int16 samples (array('h'), an int16 ndarray) or raw
# bytes holding native-order int16 (little-endian on every platform the core builds on).
# PCM out: array('h'), so the package needs no numpy; np.frombuffer/np.asarray read it as is.
# Every C call runs without the GIL; a busy flag, checked under the GIL, stops two threads
# from driving one codec state at once.

from cpython.array cimport array, clone, resize
from cpython.buffer cimport PyBUF_C_CONTIGUOUS, PyBUF_FORMAT, PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.stdint cimport int16_t, uint8_t
from libc.string cimport memcpy

from uc_media.includes cimport codec_g711, codec_g722, codec_opus, resample

cdef array _INT16_ARRAY = array("h")

_OPUS_APPLICATIONS = {
    "voip": codec_opus.UC_OPUS_APP_VOIP,
    "audio": codec_opus.UC_OPUS_APP_AUDIO,
    "restricted_lowdelay": codec_opus.UC_OPUS_APP_RESTRICTED_LOWDELAY,
}
_G711_LAWS = {"ulaw": codec_g711.UC_G711_ULAW, "alaw": codec_g711.UC_G711_ALAW}


cdef inline bint _is_pcm_format(const char *fmt, Py_ssize_t itemsize) noexcept:
    """int16 in native order ("h", "=h", "@h", "<h" on little-endian), or raw bytes ("B", "c")."""
    if fmt == NULL:
        return itemsize == 1
    if itemsize == 2:
        if fmt[0] == b"=" or fmt[0] == b"@" or fmt[0] == b"<":
            fmt += 1
        return fmt[0] == b"h" and fmt[1] == 0
    return itemsize == 1 and (fmt[0] == b"B" or fmt[0] == b"c") and fmt[1] == 0


cdef int _acquire_pcm(object pcm, Py_buffer *view, int channels, str context) except -1:
    """Fill view with pcm's samples; return the sample count per channel."""
    try:
        PyObject_GetBuffer(pcm, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)
    except (BufferError, TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"{context}: PCM must be a contiguous int16 buffer ({exc})") from None
    if not _is_pcm_format(view.format, view.itemsize):
        fmt = view.format.decode("ascii", "replace")
        PyBuffer_Release(view)
        raise InvalidArgumentError(f"{context}: PCM must be int16 samples, not buffer format {fmt!r}")
    if view.len % (2 * channels) != 0 or view.len // (2 * channels) > 0x7FFFFFFF:
        PyBuffer_Release(view)
        raise InvalidArgumentError(
            f"{context}: {view.len} bytes is not a whole number of {channels}-channel int16 frames")
    return <int>(view.len // (2 * channels))


cdef int _acquire_payload(object payload, Py_buffer *view, str context) except -1:
    try:
        PyObject_GetBuffer(payload, view, PyBUF_SIMPLE)
    except (BufferError, TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"{context}: payload must be bytes-like ({exc})") from None
    if view.len > 0x7FFFFFFF:
        PyBuffer_Release(view)
        raise InvalidArgumentError(f"{context}: payload too large")
    return <int>view.len


cdef class _Busy:
    """Marks a codec as in use while its C call runs without the GIL."""
    cdef bint busy

    cdef inline int enter(self, str name) except -1:
        if self.busy:
            raise StateError(f"{name} is already in use by another thread")
        self.busy = True
        return 0


cdef class OpusEncoder:
    """An Opus encoder (RFC 6716) for one stream; encode() takes one frame of int16 PCM.

    application: "voip" (speech, the default), "audio" or "restricted_lowdelay".
    bitrate: bits per second, or None for libopus's automatic choice.
    complexity: 0..10, or None for libopus's default (9 in libopus 1.3).
    fec and packet_loss: in-band FEC, added only when packet_loss (the expected loss,
    percent) is above zero; receivers recover a lost frame with OpusDecoder.decode(next,
    fec=True). dtx: in silence, emit packets of at most 2 bytes, which need not be sent.
    """
    cdef codec_opus.uc_opus_encoder *_enc
    cdef _Busy _busy
    cdef readonly int sample_rate
    cdef readonly int channels
    cdef bint _fec
    cdef int _packet_loss
    cdef bint _dtx
    cdef uint8_t _packet[codec_opus.UC_OPUS_MAX_PACKET]

    def __cinit__(self, int sample_rate=48000, int channels=1, str application="voip",
                  bitrate=None, complexity=None, bint fec=False, int packet_loss=0, bint dtx=False):
        self._busy = _Busy()
        if application not in _OPUS_APPLICATIONS:
            raise InvalidArgumentError(
                f"Opus application must be one of {sorted(_OPUS_APPLICATIONS)}, not {application!r}")
        rc = codec_opus.uc_opus_encoder_create(&self._enc, sample_rate, channels,
                                               _OPUS_APPLICATIONS[application])
        _check(rc, f"Opus encoder at {sample_rate} Hz, {channels} channel(s) "
                   "(rates 8000/12000/16000/24000/48000, 1 or 2 channels)")
        self.sample_rate = sample_rate
        self.channels = channels
        self.bitrate = bitrate
        if complexity is not None:
            self.complexity = complexity
        self.fec = fec
        self.packet_loss = packet_loss
        self.dtx = dtx

    def __dealloc__(self):
        codec_opus.uc_opus_encoder_destroy(self._enc)

    cdef int _ctl(self, int rc, str what) except -1:
        if rc == uc_errors.UC_ERR_CODEC:
            what = f"{what} ({codec_opus.uc_opus_strerror(codec_opus.uc_opus_encoder_last_error(self._enc)).decode()})"
        return _check(rc, what)

    @property
    def bitrate(self):
        """Target bits per second (libopus's current value, also when chosen automatically)."""
        return _check(codec_opus.uc_opus_encoder_get_bitrate(self._enc), "Opus bitrate")

    @bitrate.setter
    def bitrate(self, value):
        cdef int bps = 0 if value is None else value
        if value is not None and bps == 0:
            raise InvalidArgumentError("Opus bitrate: 0 bit/s; use None for automatic")
        self._ctl(codec_opus.uc_opus_encoder_set_bitrate(self._enc, bps),
                  f"Opus bitrate {value} (500..512000 bit/s or None)")

    @property
    def complexity(self):
        """0 (cheapest) .. 10 (best): libopus's current setting."""
        return _check(codec_opus.uc_opus_encoder_get_complexity(self._enc), "Opus complexity")

    @complexity.setter
    def complexity(self, int value):
        self._ctl(codec_opus.uc_opus_encoder_set_complexity(self._enc, value),
                  f"Opus complexity {value} (0..10)")

    @property
    def fec(self):
        return self._fec

    @fec.setter
    def fec(self, bint value):
        self._ctl(codec_opus.uc_opus_encoder_set_fec(self._enc, value), "Opus in-band FEC")
        self._fec = value

    @property
    def packet_loss(self):
        """Expected packet loss in percent; FEC is only added when this is above zero."""
        return self._packet_loss

    @packet_loss.setter
    def packet_loss(self, int value):
        self._ctl(codec_opus.uc_opus_encoder_set_packet_loss(self._enc, value),
                  f"Opus packet loss {value}% (0..100)")
        self._packet_loss = value

    @property
    def dtx(self):
        return self._dtx

    @dtx.setter
    def dtx(self, bint value):
        self._ctl(codec_opus.uc_opus_encoder_set_dtx(self._enc, value), "Opus DTX")
        self._dtx = value

    @property
    def in_dtx(self):
        """True if the last frame encoded was a DTX (silence) frame that need not be sent."""
        return bool(self._ctl(codec_opus.uc_opus_encoder_in_dtx(self._enc), "Opus DTX state"))

    def encode(self, pcm):
        """Encode one frame (2.5 to 120 ms of interleaved int16) and return the packet."""
        cdef Py_buffer view
        cdef int frame = _acquire_pcm(pcm, &view, self.channels, "Opus encode")
        cdef int n
        try:
            self._busy.enter("OpusEncoder")
            with nogil:
                n = codec_opus.uc_opus_encode(self._enc, <const int16_t *>view.buf, frame,
                                              self._packet, codec_opus.UC_OPUS_MAX_PACKET)
            self._busy.busy = False
        finally:
            PyBuffer_Release(&view)
        if n < 0:
            if n == uc_errors.UC_ERR_ARGUMENT:
                _check(n, f"Opus encode: {frame} samples per channel is not a 2.5, 5, 10, 20, 40, "
                          f"60, 80, 100 or 120 ms frame at {self.sample_rate} Hz")
            self._ctl(n, "Opus encode")
        return PyBytes_FromStringAndSize(<char *>self._packet, n)


cdef class OpusDecoder:
    """An Opus decoder for one stream, producing int16 PCM at sample_rate and channels
    whatever the sender's rate. decode(payload) decodes a packet; decode(None) conceals a
    lost one (PLC); decode(next_payload, fec=True) recovers the lost packet before
    next_payload from its in-band FEC data (then decode next_payload itself as usual).
    For PLC and FEC (only), frame_size (samples per channel) is the lost packet's duration;
    by default the duration of the last packet decoded, or 20 ms before any."""
    cdef codec_opus.uc_opus_decoder *_dec
    cdef _Busy _busy
    cdef readonly int sample_rate
    cdef readonly int channels
    cdef int16_t _pcm[codec_opus.UC_OPUS_MAX_FRAME_SAMPLES * 2]

    def __cinit__(self, int sample_rate=48000, int channels=1):
        self._busy = _Busy()
        rc = codec_opus.uc_opus_decoder_create(&self._dec, sample_rate, channels)
        _check(rc, f"Opus decoder at {sample_rate} Hz, {channels} channel(s) "
                   "(rates 8000/12000/16000/24000/48000, 1 or 2 channels)")
        self.sample_rate = sample_rate
        self.channels = channels

    def __dealloc__(self):
        codec_opus.uc_opus_decoder_destroy(self._dec)

    @property
    def last_duration(self):
        """Samples per channel of the last packet decoded or concealed (0 before any)."""
        return codec_opus.uc_opus_decoder_last_duration(self._dec)

    def decode(self, payload, bint fec=False, frame_size=None):
        """Decode one packet (or conceal, or recover by FEC) into an int16 array."""
        cdef Py_buffer view
        cdef int length = 0
        cdef int n
        cdef int lost_samples = 0
        if payload is None and fec:
            raise InvalidArgumentError("Opus FEC decode needs the packet after the lost one")
        if payload is None or fec:
            if frame_size is None:
                lost_samples = codec_opus.uc_opus_decoder_last_duration(self._dec)
                if lost_samples <= 0:
                    lost_samples = self.sample_rate // 50
            elif 0 < frame_size <= codec_opus.UC_OPUS_MAX_FRAME_SAMPLES:
                lost_samples = frame_size
            else:
                lost_samples = -1  # refused by the C call, reported with frame_size below
        elif frame_size is not None:
            raise InvalidArgumentError("Opus decode: frame_size applies only to PLC (None) and FEC")
        if payload is not None:
            length = _acquire_payload(payload, &view, "Opus decode")
        try:
            self._busy.enter("OpusDecoder")
            with nogil:
                if payload is None:
                    n = codec_opus.uc_opus_conceal(self._dec, self._pcm, lost_samples)
                elif fec:
                    n = codec_opus.uc_opus_decode_fec(self._dec, <const uint8_t *>view.buf, length,
                                                      self._pcm, lost_samples)
                else:
                    n = codec_opus.uc_opus_decode(self._dec, <const uint8_t *>view.buf, length,
                                                  self._pcm, codec_opus.UC_OPUS_MAX_FRAME_SAMPLES)
            self._busy.busy = False
        finally:
            if payload is not None:
                PyBuffer_Release(&view)
        if n < 0:
            self._fail(n, payload is None, fec, frame_size if frame_size is not None else lost_samples)
        cdef array out = clone(_INT16_ARRAY, n * self.channels, False)
        memcpy(out.data.as_voidptr, self._pcm, n * self.channels * sizeof(int16_t))
        return out

    cdef int _fail(self, int rc, bint conceal, bint fec, object frame_size) except -1:
        what = "Opus PLC" if conceal else ("Opus FEC decode" if fec else "Opus decode")
        if rc == uc_errors.UC_ERR_CODEC:
            what = f"{what} ({codec_opus.uc_opus_strerror(codec_opus.uc_opus_decoder_last_error(self._dec)).decode()})"
        elif rc == uc_errors.UC_ERR_TRUNCATED:
            what = f"{what}: empty payload (pass None for a lost packet)"
        elif rc == uc_errors.UC_ERR_ARGUMENT:
            what = (f"{what}: frame_size {frame_size} is not a multiple of 2.5 ms up to 120 ms "
                    f"at {self.sample_rate} Hz")
        return _check(rc, what)


cdef class G711Encoder:
    """G.711 encoder (PCMU "ulaw", PCMA "alaw"; RFC 3551 section 4.5.14): 8 kHz int16 in,
    one byte per sample out."""
    cdef codec_g711.uc_g711 *_codec
    cdef readonly str law

    def __cinit__(self, str law="ulaw"):
        if law not in _G711_LAWS:
            raise InvalidArgumentError(f"G.711 law must be 'ulaw' or 'alaw', not {law!r}")
        _check(codec_g711.uc_g711_create(&self._codec, _G711_LAWS[law]), "G.711 encoder")
        self.law = law

    def __dealloc__(self):
        codec_g711.uc_g711_destroy(self._codec)

    def encode(self, pcm):
        cdef Py_buffer view
        cdef int samples = _acquire_pcm(pcm, &view, 1, "G.711 encode")
        cdef bytes out
        cdef uint8_t *dst
        cdef int n
        try:
            out = PyBytes_FromStringAndSize(NULL, samples)
            dst = <uint8_t *>PyBytes_AS_STRING(out)
            with nogil:
                n = codec_g711.uc_g711_encode(self._codec, <const int16_t *>view.buf, samples, dst)
        finally:
            PyBuffer_Release(&view)
        _check(n, "G.711 encode")
        return out


cdef class G711Decoder:
    """G.711 decoder: one byte per sample in, 8 kHz int16 out."""
    cdef codec_g711.uc_g711 *_codec
    cdef readonly str law

    def __cinit__(self, str law="ulaw"):
        if law not in _G711_LAWS:
            raise InvalidArgumentError(f"G.711 law must be 'ulaw' or 'alaw', not {law!r}")
        _check(codec_g711.uc_g711_create(&self._codec, _G711_LAWS[law]), "G.711 decoder")
        self.law = law

    def __dealloc__(self):
        codec_g711.uc_g711_destroy(self._codec)

    def decode(self, payload):
        cdef Py_buffer view
        cdef int length = _acquire_payload(payload, &view, "G.711 decode")
        cdef array out
        cdef int n
        try:
            out = clone(_INT16_ARRAY, length, False)
            with nogil:
                n = codec_g711.uc_g711_decode(self._codec, <const uint8_t *>view.buf, length,
                                              <int16_t *>out.data.as_voidptr)
        finally:
            PyBuffer_Release(&view)
        _check(n, "G.711 decode")
        return out


cdef class G722Encoder:
    """G.722 encoder at 64 kbit/s: 16 kHz int16 in (an even count), one byte per two
    samples out. RTP timestamps count at RTP_CLOCK_RATE = 8000, not 16000 (RFC 3551
    section 4.5.2 keeps RFC 1890's error): a 20 ms frame is 320 samples, 160 bytes and
    advances the timestamp by 160."""
    SAMPLE_RATE = codec_g722.UC_G722_SAMPLE_RATE
    RTP_CLOCK_RATE = codec_g722.UC_G722_RTP_CLOCK_RATE
    cdef codec_g722.uc_g722_encoder *_enc
    cdef _Busy _busy

    def __cinit__(self):
        self._busy = _Busy()
        _check(codec_g722.uc_g722_encoder_create(&self._enc), "G.722 encoder")

    def __dealloc__(self):
        codec_g722.uc_g722_encoder_destroy(self._enc)

    def encode(self, pcm):
        cdef Py_buffer view
        cdef int samples = _acquire_pcm(pcm, &view, 1, "G.722 encode")
        cdef bytes out
        cdef uint8_t *dst
        cdef int n
        try:
            if samples % 2:
                raise InvalidArgumentError(
                    f"G.722 encode: {samples} samples; G.722 codes samples in pairs, give an even count")
            out = PyBytes_FromStringAndSize(NULL, samples // 2)
            dst = <uint8_t *>PyBytes_AS_STRING(out)
            self._busy.enter("G722Encoder")
            with nogil:
                n = codec_g722.uc_g722_encode(self._enc, <const int16_t *>view.buf, samples, dst)
            self._busy.busy = False
        finally:
            PyBuffer_Release(&view)
        _check(n, "G.722 encode")
        return out


cdef class G722Decoder:
    """G.722 decoder at 64 kbit/s: each byte in gives two 16 kHz int16 samples out."""
    SAMPLE_RATE = codec_g722.UC_G722_SAMPLE_RATE
    RTP_CLOCK_RATE = codec_g722.UC_G722_RTP_CLOCK_RATE
    cdef codec_g722.uc_g722_decoder *_dec
    cdef _Busy _busy

    def __cinit__(self):
        self._busy = _Busy()
        _check(codec_g722.uc_g722_decoder_create(&self._dec), "G.722 decoder")

    def __dealloc__(self):
        codec_g722.uc_g722_decoder_destroy(self._dec)

    def decode(self, payload):
        cdef Py_buffer view
        cdef int length = _acquire_payload(payload, &view, "G.722 decode")
        cdef array out
        cdef int n
        try:
            if length > 0x3FFFFFFF:
                raise InvalidArgumentError("G.722 decode: payload too large")
            out = clone(_INT16_ARRAY, 2 * length, False)
            self._busy.enter("G722Decoder")
            with nogil:
                n = codec_g722.uc_g722_decode(self._dec, <const uint8_t *>view.buf, length,
                                              <int16_t *>out.data.as_voidptr)
            self._busy.busy = False
        finally:
            PyBuffer_Release(&view)
        _check(n, "G.722 decode")
        return out


cdef class Resampler:
    """Resample int16 PCM from in_rate to out_rate (speexdsp; quality 0..10, 3 = VoIP).

    The filter state carries across process() calls, so a stream fed frame by frame comes
    out as if resampled whole; the output lags by `latency` output samples. For integer
    ratios (8/16/48 kHz) each input frame gives exactly frame * out_rate / in_rate samples.
    """
    cdef resample.uc_resampler *_r
    cdef _Busy _busy
    cdef readonly int in_rate
    cdef readonly int out_rate
    cdef readonly int channels
    cdef readonly int quality

    def __cinit__(self, int in_rate, int out_rate, int channels=1,
                  int quality=resample.UC_RESAMPLER_QUALITY_VOIP):
        self._busy = _Busy()
        rc = resample.uc_resampler_create(&self._r, channels, in_rate, out_rate, quality)
        _check(rc, f"Resampler {in_rate} -> {out_rate} Hz, {channels} channel(s), quality {quality} "
                   f"(rates {resample.UC_RESAMPLER_MIN_RATE}..{resample.UC_RESAMPLER_MAX_RATE}, "
                   "1..8 channels, quality 0..10)")
        self.in_rate = in_rate
        self.out_rate = out_rate
        self.channels = channels
        self.quality = quality

    def __dealloc__(self):
        resample.uc_resampler_destroy(self._r)

    @property
    def latency(self):
        """Delay of the output behind the input, in output samples."""
        return resample.uc_resampler_latency(self._r)

    def reset(self):
        """Forget the filter history, as at the start of a new stream."""
        self._busy.enter("Resampler")
        resample.uc_resampler_reset(self._r)
        self._busy.busy = False

    def process(self, pcm):
        """Resample one block of interleaved int16 frames; return what is ready."""
        cdef Py_buffer view
        cdef int frames = _acquire_pcm(pcm, &view, self.channels, "Resampler")
        cdef int capacity
        cdef int n
        cdef array out
        try:
            capacity = _check(resample.uc_resampler_max_output(self._r, frames), "Resampler input length")
            out = clone(_INT16_ARRAY, capacity * self.channels, False)
            self._busy.enter("Resampler")
            with nogil:
                n = resample.uc_resample(self._r, <const int16_t *>view.buf, frames,
                                         <int16_t *>out.data.as_voidptr, capacity)
            self._busy.busy = False
        finally:
            PyBuffer_Release(&view)
        _check(n, "Resampler")
        resize(out, n * self.channels)
        return out
