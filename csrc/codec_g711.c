#include "codec_g711.h"

#include <stddef.h>
#include <stdlib.h>

#include <spandsp/telephony.h>
#include <spandsp/g711.h>

#include "uc_errors.h"

struct uc_g711 {
    g711_state_t *state;
};

int uc_g711_create(uc_g711 **out, int law)
{
    if (out == NULL) {
        return UC_ERR_ARGUMENT;
    }
    *out = NULL;
    if (law != UC_G711_ULAW && law != UC_G711_ALAW) {
        return UC_ERR_ARGUMENT;
    }
    uc_g711 *codec = calloc(1, sizeof *codec);
    if (codec == NULL) {
        return UC_ERR_NOMEM;
    }
    codec->state = g711_init(NULL, law == UC_G711_ULAW ? G711_ULAW : G711_ALAW);
    if (codec->state == NULL) {
        free(codec);
        return UC_ERR_NOMEM;
    }
    *out = codec;
    return UC_OK;
}

void uc_g711_destroy(uc_g711 *codec)
{
    if (codec != NULL) {
        g711_free(codec->state);
        free(codec);
    }
}

int uc_g711_encode(uc_g711 *codec, const int16_t *pcm, int samples, uint8_t *out)
{
    if (samples < 0 || (samples > 0 && (pcm == NULL || out == NULL))) {
        return UC_ERR_ARGUMENT;
    }
    return g711_encode(codec->state, out, pcm, samples);
}

int uc_g711_decode(uc_g711 *codec, const uint8_t *payload, int length, int16_t *pcm)
{
    if (length < 0 || (length > 0 && (payload == NULL || pcm == NULL))) {
        return UC_ERR_ARGUMENT;
    }
    return g711_decode(codec->state, pcm, payload, length);
}
