from libc.stdint cimport int16_t, uint8_t

cdef extern from "codec_g711.h" nogil:
    enum uc_g711_law:
        UC_G711_ULAW
        UC_G711_ALAW

    ctypedef struct uc_g711:
        pass

    int uc_g711_create(uc_g711 **out, int law)
    void uc_g711_destroy(uc_g711 *codec)
    int uc_g711_encode(uc_g711 *codec, const int16_t *pcm, int samples, uint8_t *out)
    int uc_g711_decode(uc_g711 *codec, const uint8_t *payload, int length, int16_t *pcm)
