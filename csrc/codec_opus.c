#include "codec_opus.h"

#include <stdlib.h>

#include <opus.h>

#include "uc_errors.h"

struct uc_opus_encoder {
    OpusEncoder *opus;
    int sample_rate;
    int channels;
    int last_error;
};

struct uc_opus_decoder {
    OpusDecoder *opus;
    int sample_rate;
    int channels;
    int last_error;
};

/* The rates libopus runs at natively (RFC 6716 section 2: NB to FB). */
static int valid_rate(int sample_rate)
{
    return sample_rate == 8000 || sample_rate == 12000 || sample_rate == 16000 ||
           sample_rate == 24000 || sample_rate == 48000;
}

int uc_opus_valid_frame_samples(int sample_rate, int frame_samples)
{
    /* Frames are 2.5, 5, 10, 20, 40 or 60 ms (RFC 6716 section 2.1.4); libopus >= 1.2
     * also encodes 80, 100 and 120 ms as multi-frame packets. */
    static const int quanta[] = {1, 2, 4, 8, 16, 24, 32, 40, 48};
    if (!valid_rate(sample_rate)) {
        return 0;
    }
    int quantum = sample_rate / 400; /* 2.5 ms */
    for (size_t i = 0; i < sizeof quanta / sizeof quanta[0]; i++) {
        if (frame_samples == quantum * quanta[i]) {
            return 1;
        }
    }
    return 0;
}

/* PLC and FEC take any whole number of 2.5 ms quanta up to 120 ms. */
static int valid_conceal_samples(int sample_rate, int frame_samples)
{
    int quantum = sample_rate / 400;
    return frame_samples > 0 && frame_samples % quantum == 0 && frame_samples <= quantum * 48;
}

static int opus_application(int application)
{
    switch (application) {
    case UC_OPUS_APP_VOIP:
        return OPUS_APPLICATION_VOIP;
    case UC_OPUS_APP_AUDIO:
        return OPUS_APPLICATION_AUDIO;
    case UC_OPUS_APP_RESTRICTED_LOWDELAY:
        return OPUS_APPLICATION_RESTRICTED_LOWDELAY;
    default:
        return -1;
    }
}

int uc_opus_encoder_create(uc_opus_encoder **out, int sample_rate, int channels, int application)
{
    if (out == NULL) {
        return UC_ERR_ARGUMENT;
    }
    *out = NULL;
    int opus_app = opus_application(application);
    if (!valid_rate(sample_rate) || (channels != 1 && channels != 2) || opus_app < 0) {
        return UC_ERR_ARGUMENT;
    }
    uc_opus_encoder *enc = calloc(1, sizeof *enc);
    if (enc == NULL) {
        return UC_ERR_NOMEM;
    }
    int err = OPUS_OK;
    enc->opus = opus_encoder_create(sample_rate, channels, opus_app, &err);
    if (enc->opus == NULL) {
        free(enc);
        return err == OPUS_ALLOC_FAIL ? UC_ERR_NOMEM : UC_ERR_CODEC;
    }
    enc->sample_rate = sample_rate;
    enc->channels = channels;
    enc->last_error = OPUS_OK;
    *out = enc;
    return UC_OK;
}

void uc_opus_encoder_destroy(uc_opus_encoder *enc)
{
    if (enc != NULL) {
        opus_encoder_destroy(enc->opus);
        free(enc);
    }
}

/* Every setter validates its range first, so UC_ERR_CODEC only ever means libopus refused
 * something we believed legal. */
static int encoder_ctl_result(uc_opus_encoder *enc, int opus_rc)
{
    if (opus_rc != OPUS_OK) {
        enc->last_error = opus_rc;
        return UC_ERR_CODEC;
    }
    return UC_OK;
}

int uc_opus_encoder_set_bitrate(uc_opus_encoder *enc, int bits_per_second)
{
    if (bits_per_second != 0 && (bits_per_second < 500 || bits_per_second > 512000)) {
        return UC_ERR_ARGUMENT;
    }
    opus_int32 value = bits_per_second == 0 ? OPUS_AUTO : bits_per_second;
    return encoder_ctl_result(enc, opus_encoder_ctl(enc->opus, OPUS_SET_BITRATE(value)));
}

int uc_opus_encoder_get_bitrate(const uc_opus_encoder *enc)
{
    opus_int32 value = 0;
    if (opus_encoder_ctl(enc->opus, OPUS_GET_BITRATE(&value)) != OPUS_OK) {
        return UC_ERR_CODEC;
    }
    return (int)value;
}

int uc_opus_encoder_set_complexity(uc_opus_encoder *enc, int complexity)
{
    if (complexity < 0 || complexity > 10) {
        return UC_ERR_ARGUMENT;
    }
    return encoder_ctl_result(enc, opus_encoder_ctl(enc->opus, OPUS_SET_COMPLEXITY(complexity)));
}

int uc_opus_encoder_get_complexity(const uc_opus_encoder *enc)
{
    opus_int32 value = 0;
    if (opus_encoder_ctl(enc->opus, OPUS_GET_COMPLEXITY(&value)) != OPUS_OK) {
        return UC_ERR_CODEC;
    }
    return (int)value;
}

int uc_opus_encoder_set_fec(uc_opus_encoder *enc, int enabled)
{
    return encoder_ctl_result(enc, opus_encoder_ctl(enc->opus, OPUS_SET_INBAND_FEC(enabled ? 1 : 0)));
}

int uc_opus_encoder_set_packet_loss(uc_opus_encoder *enc, int percent)
{
    if (percent < 0 || percent > 100) {
        return UC_ERR_ARGUMENT;
    }
    return encoder_ctl_result(enc, opus_encoder_ctl(enc->opus, OPUS_SET_PACKET_LOSS_PERC(percent)));
}

int uc_opus_encoder_set_dtx(uc_opus_encoder *enc, int enabled)
{
    return encoder_ctl_result(enc, opus_encoder_ctl(enc->opus, OPUS_SET_DTX(enabled ? 1 : 0)));
}

int uc_opus_encoder_in_dtx(const uc_opus_encoder *enc)
{
    opus_int32 value = 0;
    if (opus_encoder_ctl(enc->opus, OPUS_GET_IN_DTX(&value)) != OPUS_OK) {
        return UC_ERR_CODEC;
    }
    return value ? 1 : 0;
}

int uc_opus_encode(uc_opus_encoder *enc, const int16_t *pcm, int frame_samples,
                   uint8_t *out, int out_capacity)
{
    if (pcm == NULL || out == NULL || out_capacity < 1) {
        return UC_ERR_ARGUMENT;
    }
    if (!uc_opus_valid_frame_samples(enc->sample_rate, frame_samples)) {
        return UC_ERR_ARGUMENT;
    }
    opus_int32 n = opus_encode(enc->opus, pcm, frame_samples, out, out_capacity);
    if (n < 0) {
        enc->last_error = n;
        return n == OPUS_BUFFER_TOO_SMALL ? UC_ERR_NOSPACE : UC_ERR_CODEC;
    }
    return (int)n;
}

int uc_opus_decoder_create(uc_opus_decoder **out, int sample_rate, int channels)
{
    if (out == NULL) {
        return UC_ERR_ARGUMENT;
    }
    *out = NULL;
    if (!valid_rate(sample_rate) || (channels != 1 && channels != 2)) {
        return UC_ERR_ARGUMENT;
    }
    uc_opus_decoder *dec = calloc(1, sizeof *dec);
    if (dec == NULL) {
        return UC_ERR_NOMEM;
    }
    int err = OPUS_OK;
    dec->opus = opus_decoder_create(sample_rate, channels, &err);
    if (dec->opus == NULL) {
        free(dec);
        return err == OPUS_ALLOC_FAIL ? UC_ERR_NOMEM : UC_ERR_CODEC;
    }
    dec->sample_rate = sample_rate;
    dec->channels = channels;
    dec->last_error = OPUS_OK;
    *out = dec;
    return UC_OK;
}

void uc_opus_decoder_destroy(uc_opus_decoder *dec)
{
    if (dec != NULL) {
        opus_decoder_destroy(dec->opus);
        free(dec);
    }
}

static int decoder_result(uc_opus_decoder *dec, int opus_rc)
{
    if (opus_rc < 0) {
        dec->last_error = opus_rc;
        return opus_rc == OPUS_BUFFER_TOO_SMALL ? UC_ERR_NOSPACE : UC_ERR_CODEC;
    }
    return opus_rc;
}

int uc_opus_decode(uc_opus_decoder *dec, const uint8_t *packet, int length,
                   int16_t *pcm, int pcm_capacity)
{
    if (pcm == NULL || pcm_capacity <= 0 || length < 0) {
        return UC_ERR_ARGUMENT;
    }
    /* libopus reads length 0 as "packet lost"; RFC 7587 payloads are never empty, so an
     * empty one is damage, not a request for concealment. */
    if (packet == NULL || length == 0) {
        return UC_ERR_TRUNCATED;
    }
    return decoder_result(dec, opus_decode(dec->opus, packet, length, pcm, pcm_capacity, 0));
}

int uc_opus_conceal(uc_opus_decoder *dec, int16_t *pcm, int frame_samples)
{
    if (pcm == NULL || !valid_conceal_samples(dec->sample_rate, frame_samples)) {
        return UC_ERR_ARGUMENT;
    }
    return decoder_result(dec, opus_decode(dec->opus, NULL, 0, pcm, frame_samples, 0));
}

int uc_opus_decode_fec(uc_opus_decoder *dec, const uint8_t *next_packet, int length,
                       int16_t *pcm, int frame_samples)
{
    if (pcm == NULL || length < 0 || !valid_conceal_samples(dec->sample_rate, frame_samples)) {
        return UC_ERR_ARGUMENT;
    }
    if (next_packet == NULL || length == 0) {
        return UC_ERR_TRUNCATED;
    }
    return decoder_result(dec, opus_decode(dec->opus, next_packet, length, pcm, frame_samples, 1));
}

int uc_opus_decoder_last_duration(const uc_opus_decoder *dec)
{
    opus_int32 value = 0;
    if (opus_decoder_ctl(dec->opus, OPUS_GET_LAST_PACKET_DURATION(&value)) != OPUS_OK) {
        return UC_ERR_CODEC;
    }
    return (int)value;
}

int uc_opus_encoder_last_error(const uc_opus_encoder *enc) { return enc->last_error; }

int uc_opus_decoder_last_error(const uc_opus_decoder *dec) { return dec->last_error; }

const char *uc_opus_strerror(int opus_error) { return opus_strerror(opus_error); }
