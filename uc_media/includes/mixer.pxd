from libc.stdint cimport int16_t, uint8_t


cdef extern from "mixer.h" nogil:
    enum:
        UC_MIXER_MAX_PARTICIPANTS
        UC_MIXER_MAX_FRAME_SAMPLES
        UC_MIXER_LEVEL_SILENT

    enum uc_mixer_limiter:
        UC_MIXER_SATURATE
        UC_MIXER_SOFT_KNEE

    ctypedef struct uc_mixer_config:
        int frame_samples
        int max_participants
        int top_k
        int hangover_ticks
        int level_threshold
        int limiter
        int knee

    ctypedef struct uc_mixer:
        pass

    void uc_mixer_config_default(uc_mixer_config *cfg, int frame_samples, int max_participants)
    int uc_mixer_create(const uc_mixer_config *cfg, uc_mixer **out)
    void uc_mixer_free(uc_mixer *m)
    int uc_mixer_select_levels(uc_mixer *m, const uint8_t *levels, int n)
    int uc_mixer_select_frames(uc_mixer *m, const int16_t *frames, size_t stride, int n)
    int uc_mixer_mix(uc_mixer *m, const int16_t *frames, size_t stride, int n,
                     int16_t *out_shared, int16_t *out_n1, size_t out_stride)
    int uc_mixer_tick(uc_mixer *m, const int16_t *frames, size_t stride, int n, const uint8_t *levels,
                      int16_t *out_shared, int16_t *out_n1, size_t out_stride)
    const int *uc_mixer_talkers(const uc_mixer *m)
    int uc_mixer_talker_count(const uc_mixer *m)
    const uint8_t *uc_mixer_levels(const uc_mixer *m)
    int uc_mixer_forget(uc_mixer *m, int slot)
    int uc_audio_level(const int16_t *frame, int samples)
