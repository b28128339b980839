from libc.stdint cimport int16_t, uint8_t

cdef extern from "codec_opus.h" nogil:
    enum:
        UC_OPUS_MAX_PACKET
        UC_OPUS_MAX_FRAME_SAMPLES

    enum uc_opus_application:
        UC_OPUS_APP_VOIP
        UC_OPUS_APP_AUDIO
        UC_OPUS_APP_RESTRICTED_LOWDELAY

    ctypedef struct uc_opus_encoder:
        pass
    ctypedef struct uc_opus_decoder:
        pass

    int uc_opus_encoder_create(uc_opus_encoder **out, int sample_rate, int channels, int application)
    void uc_opus_encoder_destroy(uc_opus_encoder *enc)
    int uc_opus_encoder_set_bitrate(uc_opus_encoder *enc, int bits_per_second)
    int uc_opus_encoder_get_bitrate(const uc_opus_encoder *enc)
    int uc_opus_encoder_set_complexity(uc_opus_encoder *enc, int complexity)
    int uc_opus_encoder_get_complexity(const uc_opus_encoder *enc)
    int uc_opus_encoder_set_fec(uc_opus_encoder *enc, int enabled)
    int uc_opus_encoder_set_packet_loss(uc_opus_encoder *enc, int percent)
    int uc_opus_encoder_set_dtx(uc_opus_encoder *enc, int enabled)
    int uc_opus_encoder_in_dtx(const uc_opus_encoder *enc)
    int uc_opus_encode(uc_opus_encoder *enc, const int16_t *pcm, int frame_samples,
                       uint8_t *out, int out_capacity)

    int uc_opus_decoder_create(uc_opus_decoder **out, int sample_rate, int channels)
    void uc_opus_decoder_destroy(uc_opus_decoder *dec)
    int uc_opus_decode(uc_opus_decoder *dec, const uint8_t *packet, int length,
                       int16_t *pcm, int pcm_capacity)
    int uc_opus_conceal(uc_opus_decoder *dec, int16_t *pcm, int frame_samples)
    int uc_opus_decode_fec(uc_opus_decoder *dec, const uint8_t *next_packet, int length,
                           int16_t *pcm, int frame_samples)
    int uc_opus_decoder_last_duration(const uc_opus_decoder *dec)

    int uc_opus_encoder_last_error(const uc_opus_encoder *enc)
    int uc_opus_decoder_last_error(const uc_opus_decoder *dec)
    const char *uc_opus_strerror(int opus_error)
    int uc_opus_valid_frame_samples(int sample_rate, int frame_samples)
