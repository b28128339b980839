from libc.stdint cimport int16_t

cdef extern from "resample.h" nogil:
    enum:
        UC_RESAMPLER_MIN_RATE
        UC_RESAMPLER_MAX_RATE
        UC_RESAMPLER_QUALITY_VOIP

    ctypedef struct uc_resampler:
        pass

    int uc_resampler_create(uc_resampler **out, int channels, int in_rate, int out_rate, int quality)
    void uc_resampler_destroy(uc_resampler *r)
    int uc_resampler_max_output(const uc_resampler *r, int in_frames)
    int uc_resample(uc_resampler *r, const int16_t *in_, int in_frames, int16_t *out, int out_capacity)
    int uc_resampler_latency(const uc_resampler *r)
    void uc_resampler_reset(uc_resampler *r)
