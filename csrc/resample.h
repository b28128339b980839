/* Sample-rate conversion of int16 PCM over speexdsp's resampler (the one FreeSWITCH,
 * Asterisk, PulseAudio and pjsip use): between the codec rates, 8 kHz (G.711), 16 kHz
 * (G.722) and 48 kHz (Opus), in either direction.
 *
 * The filter state is allocated at create time and carried across calls, so a stream cut
 * into frames resamples exactly as the whole would. Resampling touches only the caller's
 * buffers. The output lags the input by uc_resampler_latency() output samples (the
 * filter's half length). */
#ifndef UC_RESAMPLE_H
#define UC_RESAMPLE_H

#include <stdint.h>

#define UC_RESAMPLER_MIN_RATE 8000
#define UC_RESAMPLER_MAX_RATE 192000
/* speexdsp's quality scale: 0 cheapest .. 10 best; 3 is its "VoIP" setting. */
#define UC_RESAMPLER_QUALITY_VOIP 3

typedef struct uc_resampler uc_resampler;

/* channels 1..8 interleaved; rates in [UC_RESAMPLER_MIN_RATE, UC_RESAMPLER_MAX_RATE]. */
int uc_resampler_create(uc_resampler **out, int channels, int in_rate, int out_rate, int quality);
void uc_resampler_destroy(uc_resampler *r);

/* Output space (frames per channel) that always suffices for in_frames of input. */
int uc_resampler_max_output(const uc_resampler *r, int in_frames);

/* Resample in_frames interleaved frames. out_capacity (frames) must be at least
 * uc_resampler_max_output(r, in_frames), so that all input is consumed in one call.
 * Returns the number of frames written. */
int uc_resample(uc_resampler *r, const int16_t *in, int in_frames, int16_t *out, int out_capacity);

/* Delay of the output behind the input, in output samples. */
int uc_resampler_latency(const uc_resampler *r);
/* Forget the filter history, as if the stream started again. */
void uc_resampler_reset(uc_resampler *r);

#endif
