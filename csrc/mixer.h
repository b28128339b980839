/* Audio conference mixer: top-K talker selection and N-1 mixing of 16-bit PCM frames.
 *
 * One tick of a conference: every participant (a slot 0..n-1) contributes one frame of
 * `frame_samples` int16 samples. The mixer picks up to K talkers, sums their frames in
 * int32 into one shared mix (what every non-talker hears), and gives each talker the
 * shared sum minus its own frame (its N-1 mix, so nobody hears their own voice). Output
 * goes through a saturating clamp or a soft-knee limiter; it never wraps around.
 *
 * Talker selection ranks participants by loudness: from RFC 6464 client-to-mixer audio
 * levels when the caller has them (so selection runs BEFORE decoding, and silent
 * participants need not be decoded at all), else from the energy of their frames. A
 * participant counts as talking when its level is at or above the threshold; a selected
 * talker that falls quiet keeps its slot for `hangover_ticks` more ticks (ranked by the
 * loudness it had when it last talked), so talkers do not flap between words.
 *
 * All memory is allocated by uc_mixer_create; a tick allocates nothing and takes no lock.
 * A mixer is used by one thread at a time. */
#ifndef UC_MIXER_H
#define UC_MIXER_H

#include <stddef.h>
#include <stdint.h>

/* int32 accumulation of up to 65535 int16 frames cannot overflow (65535 * 32768 < 2^31). */
#define UC_MIXER_MAX_PARTICIPANTS 65535
#define UC_MIXER_MAX_FRAME_SAMPLES 65536
/* RFC 6464 levels are 0..127 in -dBov: 0 is the loudest, 127 is digital silence. */
#define UC_MIXER_LEVEL_SILENT 127

enum uc_mixer_limiter {
    UC_MIXER_SATURATE = 0,  /* clamp to [-32768, 32767]: exact below full scale */
    UC_MIXER_SOFT_KNEE = 1, /* identity up to `knee`, then a smooth curve to 32767 */
};

typedef struct uc_mixer_config {
    int frame_samples;    /* samples per frame per participant, 1..UC_MIXER_MAX_FRAME_SAMPLES */
    int max_participants; /* slots, 1..UC_MIXER_MAX_PARTICIPANTS */
    int top_k;            /* talkers mixed per tick, 1..max_participants */
    int hangover_ticks;   /* ticks a quiet talker stays selected, >= 0 */
    int level_threshold;  /* RFC 6464 level (-dBov) at or below which a participant talks */
    int limiter;          /* enum uc_mixer_limiter */
    int knee;             /* UC_MIXER_SOFT_KNEE: linear up to this magnitude, 1..32766 */
} uc_mixer_config;

typedef struct uc_mixer uc_mixer;

/* Defaults: K = 3, 15 ticks of hangover (300 ms of 20 ms frames), threshold -50 dBov,
 * saturation, knee 24576 (-2.5 dBFS) should the soft limiter be chosen. */
void uc_mixer_config_default(uc_mixer_config *cfg, int frame_samples, int max_participants);

/* Allocates everything the mixer will ever use. UC_ERR_ARGUMENT for a config out of range,
 * UC_ERR_NOMEM if allocation fails. */
int uc_mixer_create(const uc_mixer_config *cfg, uc_mixer **out);
void uc_mixer_free(uc_mixer *m);

/* Selects the talkers of this tick from RFC 6464 levels (one per slot 0..n-1, each 0..127),
 * before any frame is decoded. Returns the talker count, or UC_ERR_ARGUMENT (n out of
 * range, a level above 127), in which case the mixer state is unchanged. Slots n and
 * above are treated as absent: their selection and hangover are forgotten. */
int uc_mixer_select_levels(uc_mixer *m, const uint8_t *levels, int n);

/* Selects the talkers of this tick from frame energy. Frame i starts at frames + i * stride
 * (stride >= frame_samples, in samples). Also records each slot's RFC 6464 level, which
 * uc_mixer_levels returns. Same return codes as uc_mixer_select_levels. */
int uc_mixer_select_frames(uc_mixer *m, const int16_t *frames, size_t stride, int n);

/* Mixes the talkers of the last selection, whose n must equal this n (else
 * UC_ERR_ARGUMENT; UC_ERR_STATE if nothing was selected yet). Only the talkers' frames are
 * read. Writes the shared mix to out_shared (frame_samples samples) and, for the j-th
 * talker in uc_mixer_talkers order, its N-1 mix to out_n1 + j * out_stride
 * (out_stride >= frame_samples). Returns the talker count. */
int uc_mixer_mix(uc_mixer *m, const int16_t *frames, size_t stride, int n,
                 int16_t *out_shared, int16_t *out_n1, size_t out_stride);

/* One whole tick: select (from levels when levels != NULL, else from the frames), then mix. */
int uc_mixer_tick(uc_mixer *m, const int16_t *frames, size_t stride, int n, const uint8_t *levels,
                  int16_t *out_shared, int16_t *out_n1, size_t out_stride);

/* The talkers of the last selection, ascending slot indices; uc_mixer_talker_count of them. */
const int *uc_mixer_talkers(const uc_mixer *m);
int uc_mixer_talker_count(const uc_mixer *m);

/* Each slot's RFC 6464 level at the last selection (0..n-1), e.g. for the RFC 6465
 * mixer-to-client levels of the contributing sources. */
const uint8_t *uc_mixer_levels(const uc_mixer *m);

/* Forgets a slot's selection and hangover, for when a new participant takes it. Returns
 * UC_ERR_ARGUMENT for a slot out of range. */
int uc_mixer_forget(uc_mixer *m, int slot);

/* The RFC 6464 level of a frame: its RMS relative to full scale (32768), in -dBov rounded
 * to the nearest dB and clamped to 0..127, as WebRTC's RmsLevel computes it. */
int uc_audio_level(const int16_t *frame, int samples);

#endif
