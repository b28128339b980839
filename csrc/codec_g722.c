#include "codec_g722.h"

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>

#include <spandsp/telephony.h>
#include <spandsp/g722.h>

#include "uc_errors.h"

/* 64 kbit/s, the mode every VoIP peer uses (modes 2 and 3, 56 and 48 kbit/s, steal
 * low-band bits for data and are not used on RTP). */
#define G722_BIT_RATE 64000

struct uc_g722_encoder {
    g722_encode_state_t *state;
};

struct uc_g722_decoder {
    g722_decode_state_t *state;
};

int uc_g722_encoder_create(uc_g722_encoder **out)
{
    if (out == NULL) {
        return UC_ERR_ARGUMENT;
    }
    *out = NULL;
    uc_g722_encoder *enc = calloc(1, sizeof *enc);
    if (enc == NULL) {
        return UC_ERR_NOMEM;
    }
    /* options 0: 16 kHz input and one code per byte (G722_PACKED only matters below 64k). */
    enc->state = g722_encode_init(NULL, G722_BIT_RATE, 0);
    if (enc->state == NULL) {
        free(enc);
        return UC_ERR_NOMEM;
    }
    *out = enc;
    return UC_OK;
}

void uc_g722_encoder_destroy(uc_g722_encoder *enc)
{
    if (enc != NULL) {
        g722_encode_free(enc->state);
        free(enc);
    }
}

int uc_g722_encode(uc_g722_encoder *enc, const int16_t *pcm, int samples, uint8_t *out)
{
    /* spandsp reads samples in pairs (one per sub-band); an odd count would make it read one
     * past the end of pcm. */
    if (samples < 0 || samples % 2 != 0 || (samples > 0 && (pcm == NULL || out == NULL))) {
        return UC_ERR_ARGUMENT;
    }
    return g722_encode(enc->state, out, pcm, samples);
}

int uc_g722_decoder_create(uc_g722_decoder **out)
{
    if (out == NULL) {
        return UC_ERR_ARGUMENT;
    }
    *out = NULL;
    uc_g722_decoder *dec = calloc(1, sizeof *dec);
    if (dec == NULL) {
        return UC_ERR_NOMEM;
    }
    dec->state = g722_decode_init(NULL, G722_BIT_RATE, 0);
    if (dec->state == NULL) {
        free(dec);
        return UC_ERR_NOMEM;
    }
    *out = dec;
    return UC_OK;
}

void uc_g722_decoder_destroy(uc_g722_decoder *dec)
{
    if (dec != NULL) {
        g722_decode_free(dec->state);
        free(dec);
    }
}

int uc_g722_decode(uc_g722_decoder *dec, const uint8_t *payload, int length, int16_t *pcm)
{
    if (length < 0 || length > INT_MAX / 2 || (length > 0 && (payload == NULL || pcm == NULL))) {
        return UC_ERR_ARGUMENT;
    }
    return g722_decode(dec->state, pcm, payload, length);
}
