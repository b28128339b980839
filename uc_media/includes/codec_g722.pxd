from libc.stdint cimport int16_t, uint8_t

cdef extern from "codec_g722.h" nogil:
    enum:
        UC_G722_SAMPLE_RATE
        UC_G722_RTP_CLOCK_RATE

    ctypedef struct uc_g722_encoder:
        pass
    ctypedef struct uc_g722_decoder:
        pass

    int uc_g722_encoder_create(uc_g722_encoder **out)
    void uc_g722_encoder_destroy(uc_g722_encoder *enc)
    int uc_g722_encode(uc_g722_encoder *enc, const int16_t *pcm, int samples, uint8_t *out)
    int uc_g722_decoder_create(uc_g722_decoder **out)
    void uc_g722_decoder_destroy(uc_g722_decoder *dec)
    int uc_g722_decode(uc_g722_decoder *dec, const uint8_t *payload, int length, int16_t *pcm)
