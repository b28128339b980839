#include "playback.h"

#include <stdlib.h>
#include <string.h>

#include "audio_codec.h"
#include "uc_errors.h"

int uc_clip_create(const int16_t *pcm, size_t samples, int rate, uc_clip **out)
{
    if (!out)
        return UC_ERR_ARGUMENT;
    *out = NULL;
    if (!pcm || samples == 0 || (rate != 8000 && rate != 16000 && rate != UC_MIX_RATE))
        return UC_ERR_ARGUMENT;
    uint64_t n48 = (uint64_t)samples * UC_MIX_RATE / (uint64_t)rate;
    if (n48 == 0 || n48 > UC_CLIP_MAX_SAMPLES)
        return UC_ERR_ARGUMENT;
    uc_clip *clip = calloc(1, sizeof(*clip));
    if (!clip)
        return UC_ERR_NOMEM;
    clip->samples = (uint32_t)n48;
    clip->pcm = malloc((size_t)n48 * sizeof(int16_t));
    if (!clip->pcm) {
        free(clip);
        return UC_ERR_NOMEM;
    }
    if (rate == UC_MIX_RATE) {
        memcpy(clip->pcm, pcm, (size_t)n48 * sizeof(int16_t));
        *out = clip;
        return UC_OK;
    }
    uc_resampler *r = NULL;
    int rc = uc_resampler_create(&r, 1, rate, UC_MIX_RATE, UC_RESAMPLER_QUALITY_VOIP);
    if (rc < 0) {
        uc_clip_destroy(clip);
        return rc;
    }
    /* Feed the clip then zeros in blocks; skip the filter's delay at the front. */
    enum { BLOCK = 960 };
    int16_t zeros[BLOCK];
    memset(zeros, 0, sizeof(zeros));
    int cap = uc_resampler_max_output(r, BLOCK);
    int16_t *tmp = malloc((size_t)cap * sizeof(int16_t));
    if (!tmp) {
        uc_resampler_destroy(r);
        uc_clip_destroy(clip);
        return UC_ERR_NOMEM;
    }
    uint64_t skip = (uint64_t)uc_resampler_latency(r), written = 0, fed = 0;
    /* Enough trailing zeros to flush the delay, plus a block of slack. */
    uint64_t total_in = samples + (skip * (uint64_t)rate) / UC_MIX_RATE + 2 * BLOCK;
    while (written < n48 && fed < total_in) {
        int take = BLOCK;
        const int16_t *src = zeros;
        if (fed < samples) {
            take = samples - fed < BLOCK ? (int)(samples - fed) : BLOCK;
            src = pcm + fed;
        }
        fed += (uint64_t)take;
        int got = uc_resample(r, src, take, tmp, cap);
        if (got < 0)
            break;
        int from = 0;
        if (skip > 0) {
            from = skip < (uint64_t)got ? (int)skip : got;
            skip -= (uint64_t)from;
        }
        int keep = got - from;
        if ((uint64_t)keep > n48 - written)
            keep = (int)(n48 - written);
        if (keep > 0) {
            memcpy(clip->pcm + written, tmp + from, (size_t)keep * sizeof(int16_t));
            written += (uint64_t)keep;
        }
    }
    if (written < n48)
        memset(clip->pcm + written, 0, (size_t)(n48 - written) * sizeof(int16_t));
    free(tmp);
    uc_resampler_destroy(r);
    *out = clip;
    return UC_OK;
}

void uc_clip_destroy(uc_clip *clip)
{
    if (!clip)
        return;
    free(clip->pcm);
    free(clip);
}

void uc_pcm_add_saturate(int16_t *dst, const int16_t *src, int n)
{
    for (int i = 0; i < n; i++) {
        int32_t v = (int32_t)dst[i] + src[i];
        dst[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
    }
}

int uc_player_mix(uc_player *p, int16_t *pcm, int frame)
{
    if (!p->clip)
        return 0;
    int done = 0;
    while (done < frame) {
        uint32_t left = p->clip->samples - p->pos;
        int take = (uint32_t)(frame - done) < left ? frame - done : (int)left;
        uc_pcm_add_saturate(pcm + done, p->clip->pcm + p->pos, take);
        done += take;
        p->pos += (uint32_t)take;
        if (p->pos < p->clip->samples)
            continue;
        p->passes++;
        p->pos = 0;
        if (!p->loop)
            return 2;
    }
    return 1;
}

int uc_recorder_write(uc_recorder *r, const int16_t *pcm48, int frame)
{
    if (!r->buf)
        return 0;
    int16_t tmp[UC_AUDIO_PCM_MAX];
    const int16_t *src = pcm48;
    int n = frame;
    if (r->down) {
        n = uc_resample(r->down, pcm48, frame, tmp, UC_AUDIO_PCM_MAX);
        if (n < 0)
            n = 0;
        src = tmp;
    }
    uint32_t left = r->capacity - r->len;
    uint32_t take = (uint32_t)n < left ? (uint32_t)n : left;
    memcpy(r->buf + r->len, src, (size_t)take * sizeof(int16_t));
    r->len += take;
    return r->len >= r->capacity;
}
