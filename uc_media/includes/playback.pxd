from libc.stdint cimport int16_t, uint32_t


cdef extern from "playback.h" nogil:
    enum:
        UC_CLIP_MAX_SAMPLES

    ctypedef struct uc_clip:
        int16_t *pcm
        uint32_t samples

    enum uc_media_end:
        UC_END_COMPLETED
        UC_END_STOPPED
        UC_END_REPLACED

    int uc_clip_create(const int16_t *pcm, size_t samples, int rate, uc_clip **out)
    void uc_clip_destroy(uc_clip *clip)
