#include "resample.h"

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>

#include <speex/speex_resampler.h>

#include "uc_errors.h"

#define MAX_CHANNELS 8

struct uc_resampler {
    SpeexResamplerState *speex;
    int channels;
    int in_rate;
    int out_rate;
};

static int valid_rate(int rate)
{
    return rate >= UC_RESAMPLER_MIN_RATE && rate <= UC_RESAMPLER_MAX_RATE;
}

int uc_resampler_create(uc_resampler **out, int channels, int in_rate, int out_rate, int quality)
{
    if (out == NULL) {
        return UC_ERR_ARGUMENT;
    }
    *out = NULL;
    if (channels < 1 || channels > MAX_CHANNELS || !valid_rate(in_rate) || !valid_rate(out_rate) ||
        quality < SPEEX_RESAMPLER_QUALITY_MIN || quality > SPEEX_RESAMPLER_QUALITY_MAX) {
        return UC_ERR_ARGUMENT;
    }
    uc_resampler *r = calloc(1, sizeof *r);
    if (r == NULL) {
        return UC_ERR_NOMEM;
    }
    int err = RESAMPLER_ERR_SUCCESS;
    r->speex = speex_resampler_init((spx_uint32_t)channels, (spx_uint32_t)in_rate,
                                    (spx_uint32_t)out_rate, quality, &err);
    if (r->speex == NULL) {
        free(r);
        return err == RESAMPLER_ERR_ALLOC_FAILED ? UC_ERR_NOMEM : UC_ERR_CODEC;
    }
    r->channels = channels;
    r->in_rate = in_rate;
    r->out_rate = out_rate;
    *out = r;
    return UC_OK;
}

void uc_resampler_destroy(uc_resampler *r)
{
    if (r != NULL) {
        speex_resampler_destroy(r->speex);
        free(r);
    }
}

int uc_resampler_max_output(const uc_resampler *r, int in_frames)
{
    if (in_frames < 0) {
        return UC_ERR_ARGUMENT;
    }
    /* ceil(in * out / in_rate), plus one for the fractional phase carried between calls. */
    int64_t frames = ((int64_t)in_frames * r->out_rate + r->in_rate - 1) / r->in_rate + 1;
    if (frames > INT_MAX / r->channels) {
        return UC_ERR_ARGUMENT;
    }
    return (int)frames;
}

int uc_resample(uc_resampler *r, const int16_t *in, int in_frames, int16_t *out, int out_capacity)
{
    int needed = uc_resampler_max_output(r, in_frames);
    if (needed < 0) {
        return needed;
    }
    if (out_capacity < needed) {
        return UC_ERR_NOSPACE;
    }
    if (in_frames == 0) {
        return 0;
    }
    if (in == NULL || out == NULL) {
        return UC_ERR_ARGUMENT;
    }
    spx_uint32_t in_len = (spx_uint32_t)in_frames;
    spx_uint32_t out_len = (spx_uint32_t)out_capacity;
    int err = speex_resampler_process_interleaved_int(r->speex, in, &in_len, out, &out_len);
    /* With room for every output frame speexdsp consumes all input; anything else would
     * drop samples silently, so it is reported. */
    if (err != RESAMPLER_ERR_SUCCESS || in_len != (spx_uint32_t)in_frames) {
        return UC_ERR_CODEC;
    }
    return (int)out_len;
}

int uc_resampler_latency(const uc_resampler *r)
{
    return speex_resampler_get_output_latency(r->speex);
}

void uc_resampler_reset(uc_resampler *r)
{
    speex_resampler_reset_mem(r->speex);
}
