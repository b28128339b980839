#include "audio_codec.h"

#include <string.h>

#include <spandsp/telephony.h>
#include <spandsp/plc.h>

#include "uc_errors.h"

int uc_audio_codec_rate(int codec)
{
    switch (codec) {
    case UC_CODEC_OPUS: return 48000;
    case UC_CODEC_PCMU: case UC_CODEC_PCMA: return 8000;
    case UC_CODEC_G722: return UC_G722_SAMPLE_RATE;
    default: return UC_ERR_ARGUMENT;
    }
}

int uc_audio_codec_clock(int codec)
{
    switch (codec) {
    case UC_CODEC_OPUS: return 48000; /* RFC 7587 section 4.1: always 48000 */
    case UC_CODEC_PCMU: case UC_CODEC_PCMA: return 8000;
    case UC_CODEC_G722: return UC_G722_RTP_CLOCK_RATE;
    default: return UC_ERR_ARGUMENT;
    }
}

int uc_audio_enc_init(uc_audio_enc *e, int codec, int bitrate, int complexity, int tick_ms)
{
    memset(e, 0, sizeof(*e));
    int rate = uc_audio_codec_rate(codec);
    if (rate < 0 || (tick_ms != 10 && tick_ms != 20))
        return UC_ERR_ARGUMENT;
    e->codec = codec;
    e->bitrate = bitrate;
    e->frame48 = UC_MIX_RATE / 1000 * tick_ms;
    e->frame_native = rate / 1000 * tick_ms;
    int rc = UC_OK;
    if (codec == UC_CODEC_OPUS) {
        rc = uc_opus_encoder_create(&e->opus, 48000, 1, UC_OPUS_APP_VOIP);
        if (rc >= 0)
            rc = uc_opus_encoder_set_bitrate(e->opus, bitrate);
        if (rc >= 0 && complexity >= 0)
            rc = uc_opus_encoder_set_complexity(e->opus, complexity);
    } else {
        if (codec == UC_CODEC_G722)
            rc = uc_g722_encoder_create(&e->g722);
        else
            rc = uc_g711_create(&e->g711, codec == UC_CODEC_PCMU ? UC_G711_ULAW : UC_G711_ALAW);
        if (rc >= 0)
            rc = uc_resampler_create(&e->down, 1, UC_MIX_RATE, rate, UC_RESAMPLER_QUALITY_VOIP);
    }
    if (rc < 0)
        uc_audio_enc_release(e);
    return rc < 0 ? rc : UC_OK;
}

void uc_audio_enc_release(uc_audio_enc *e)
{
    uc_opus_encoder_destroy(e->opus);
    uc_g711_destroy(e->g711);
    uc_g722_encoder_destroy(e->g722);
    uc_resampler_destroy(e->down);
    e->opus = NULL;
    e->g711 = NULL;
    e->g722 = NULL;
    e->down = NULL;
}

int uc_audio_enc_encode(uc_audio_enc *e, const int16_t *pcm48, uint8_t *out, int cap)
{
    if (e->codec == UC_CODEC_OPUS)
        return uc_opus_encode(e->opus, pcm48, e->frame48, out, cap);
    int n = uc_resample(e->down, pcm48, e->frame48, e->scratch, UC_AUDIO_PCM_MAX);
    if (n < 0)
        return n;
    /* Keep the packet exactly one tick long whatever the resampler's phase gave. */
    for (int i = n; i < e->frame_native; i++)
        e->scratch[i] = n > 0 ? e->scratch[n - 1] : 0;
    n = e->frame_native;
    if (e->codec == UC_CODEC_G722)
        return n / 2 > cap ? UC_ERR_NOSPACE : uc_g722_encode(e->g722, e->scratch, n, out);
    return n > cap ? UC_ERR_NOSPACE : uc_g711_encode(e->g711, e->scratch, n, out);
}

int uc_audio_dec_init(uc_audio_dec *d, int codec, int tick_ms)
{
    memset(d, 0, sizeof(*d));
    int rate = uc_audio_codec_rate(codec);
    if (rate < 0 || (tick_ms != 10 && tick_ms != 20))
        return UC_ERR_ARGUMENT;
    d->codec = codec;
    d->frame48 = UC_MIX_RATE / 1000 * tick_ms;
    d->frame_native = rate / 1000 * tick_ms;
    int rc;
    if (codec == UC_CODEC_OPUS) {
        rc = uc_opus_decoder_create(&d->opus, 48000, 1);
    } else {
        if (codec == UC_CODEC_G722)
            rc = uc_g722_decoder_create(&d->g722);
        else
            rc = uc_g711_create(&d->g711, codec == UC_CODEC_PCMU ? UC_G711_ULAW : UC_G711_ALAW);
        if (rc >= 0)
            rc = uc_resampler_create(&d->up, 1, rate, UC_MIX_RATE, UC_RESAMPLER_QUALITY_VOIP);
        if (rc >= 0 && codec != UC_CODEC_G722 && !(d->plc = plc_init(NULL)))
            rc = UC_ERR_NOMEM;
    }
    if (rc < 0)
        uc_audio_dec_release(d);
    return rc < 0 ? rc : UC_OK;
}

void uc_audio_dec_release(uc_audio_dec *d)
{
    uc_opus_decoder_destroy(d->opus);
    uc_g711_destroy(d->g711);
    uc_g722_decoder_destroy(d->g722);
    uc_resampler_destroy(d->up);
    if (d->plc)
        plc_free((plc_state_t *)d->plc);
    d->opus = NULL;
    d->g711 = NULL;
    d->g722 = NULL;
    d->up = NULL;
    d->plc = NULL;
}

int uc_audio_dec_decode(uc_audio_dec *d, const uint8_t *payload, int len, int16_t *pcm48)
{
    if (d->codec == UC_CODEC_OPUS)
        return uc_opus_decode(d->opus, payload, len, pcm48, UC_OPUS_MAX_FRAME_SAMPLES);
    int n;
    if (d->codec == UC_CODEC_G722) {
        /* 2 samples per byte at 16 kHz; 3x to 48 kHz must fit UC_AUDIO_PCM_MAX. */
        if (len * 2 * 3 > UC_OPUS_MAX_FRAME_SAMPLES)
            return UC_ERR_NOSPACE;
        n = uc_g722_decode(d->g722, payload, len, d->native);
    } else {
        if (len * 6 > UC_OPUS_MAX_FRAME_SAMPLES)
            return UC_ERR_NOSPACE;
        n = uc_g711_decode(d->g711, payload, len, d->native);
        if (n > 0)
            plc_rx((plc_state_t *)d->plc, d->native, n); /* the history concealment repeats from */
    }
    if (n < 0)
        return n;
    return uc_resample(d->up, d->native, n, pcm48, UC_AUDIO_PCM_MAX);
}

int uc_audio_dec_conceal(uc_audio_dec *d, int16_t *pcm48)
{
    if (d->codec == UC_CODEC_OPUS)
        return uc_opus_conceal(d->opus, pcm48, d->frame48);
    if (d->plc) {
        plc_fillin((plc_state_t *)d->plc, d->native, d->frame_native);
        int n = uc_resample(d->up, d->native, d->frame_native, pcm48, UC_AUDIO_PCM_MAX);
        if (n < 0)
            return n;
        for (int i = n; i < d->frame48; i++)
            pcm48[i] = 0;
        return d->frame48;
    }
    for (int i = 0; i < d->frame48; i++)
        pcm48[i] = (int16_t)(pcm48[i] / 2);
    return d->frame48;
}
