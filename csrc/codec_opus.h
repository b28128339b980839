/* Opus (RFC 6716) encoder and decoder over libopus, for one RTP stream each (RFC 7587).
 *
 * All libopus state is allocated by the create functions; encoding, decoding, packet-loss
 * concealment and FEC recovery only touch the caller's buffers, so they are safe in the
 * media tick. An object is used by one thread at a time (the worker that owns the leg).
 *
 * Failures return a code from uc_errors.h. When libopus itself refuses (UC_ERR_CODEC), its
 * own error code is kept on the object: uc_opus_*_last_error() and uc_opus_strerror(). */
#ifndef UC_CODEC_OPUS_H
#define UC_CODEC_OPUS_H

#include <stdint.h>

/* RFC 6716 section 3.4 R3 caps one frame at 1275 bytes and a packet at 120 ms; libopus
 * recommends 4000 bytes of output space, which covers any packet it produces. */
#define UC_OPUS_MAX_PACKET 4000
/* 120 ms at 48 kHz: the longest packet RFC 6716 allows, in samples per channel. */
#define UC_OPUS_MAX_FRAME_SAMPLES 5760

enum uc_opus_application {
    UC_OPUS_APP_VOIP = 0,             /* OPUS_APPLICATION_VOIP: speech, the default here */
    UC_OPUS_APP_AUDIO = 1,            /* OPUS_APPLICATION_AUDIO: music, faithful waveform */
    UC_OPUS_APP_RESTRICTED_LOWDELAY = 2, /* CELT only: lowest delay, no SILK */
};

typedef struct uc_opus_encoder uc_opus_encoder;
typedef struct uc_opus_decoder uc_opus_decoder;

/* sample_rate: 8000, 12000, 16000, 24000 or 48000; channels: 1 or 2. */
int uc_opus_encoder_create(uc_opus_encoder **out, int sample_rate, int channels, int application);
void uc_opus_encoder_destroy(uc_opus_encoder *enc);

/* bits_per_second: 500..512000, or 0 for libopus's automatic choice (OPUS_AUTO). */
int uc_opus_encoder_set_bitrate(uc_opus_encoder *enc, int bits_per_second);
int uc_opus_encoder_get_bitrate(const uc_opus_encoder *enc);
/* 0 (cheapest) .. 10 (best). */
int uc_opus_encoder_set_complexity(uc_opus_encoder *enc, int complexity);
int uc_opus_encoder_get_complexity(const uc_opus_encoder *enc);
/* In-band FEC (RFC 6716 section 2.1.7): the SILK layer re-sends a coarse copy of the
 * previous frame, which the receiver recovers with uc_opus_decode_fec(). libopus only adds
 * it when the expected loss (set_packet_loss, 0..100 %) is above zero. */
int uc_opus_encoder_set_fec(uc_opus_encoder *enc, int enabled);
int uc_opus_encoder_set_packet_loss(uc_opus_encoder *enc, int percent);
/* DTX: in silence the encoder emits packets of at most 2 bytes (a TOC and no audio), which
 * the sender need not transmit; see uc_opus_encoder_in_dtx(). */
int uc_opus_encoder_set_dtx(uc_opus_encoder *enc, int enabled);
/* 1 if the last encoded frame was a DTX frame, 0 if not. */
int uc_opus_encoder_in_dtx(const uc_opus_encoder *enc);

/* Encode one frame of interleaved int16 samples. frame_samples is per channel and must be
 * 2.5, 5, 10, 20, 40, 60, 80, 100 or 120 ms at the encoder's rate. Returns the packet
 * length (>= 1) written to out. */
int uc_opus_encode(uc_opus_encoder *enc, const int16_t *pcm, int frame_samples,
                   uint8_t *out, int out_capacity);

/* sample_rate and channels as for the encoder: the output format, whatever the sender used. */
int uc_opus_decoder_create(uc_opus_decoder **out, int sample_rate, int channels);
void uc_opus_decoder_destroy(uc_opus_decoder *dec);

/* Decode one packet into pcm (capacity in samples per channel; UC_OPUS_MAX_FRAME_SAMPLES
 * at the decoder's rate always suffices). Returns samples per channel decoded. An empty
 * packet is UC_ERR_TRUNCATED: a lost packet is concealed with uc_opus_conceal(), not
 * signalled by length 0 as in libopus. */
int uc_opus_decode(uc_opus_decoder *dec, const uint8_t *packet, int length,
                   int16_t *pcm, int pcm_capacity);
/* Packet-loss concealment: synthesise frame_samples per channel (a multiple of 2.5 ms) in
 * place of a lost packet. */
int uc_opus_conceal(uc_opus_decoder *dec, int16_t *pcm, int frame_samples);
/* Recover the packet lost just before `next_packet` from the FEC data carried in it
 * (frame_samples = the lost packet's duration). If next_packet has no FEC data libopus
 * conceals instead. Decode next_packet itself afterwards with uc_opus_decode(). */
int uc_opus_decode_fec(uc_opus_decoder *dec, const uint8_t *next_packet, int length,
                       int16_t *pcm, int frame_samples);
/* Duration in samples per channel of the last packet decoded or concealed (0 before any). */
int uc_opus_decoder_last_duration(const uc_opus_decoder *dec);

/* The libopus error code behind the last UC_ERR_CODEC from this object (OPUS_OK if none). */
int uc_opus_encoder_last_error(const uc_opus_encoder *enc);
int uc_opus_decoder_last_error(const uc_opus_decoder *dec);
/* libopus's own message for one of its error codes (opus_strerror). */
const char *uc_opus_strerror(int opus_error);

/* Whether frame_samples per channel is a legal Opus frame duration at sample_rate. */
int uc_opus_valid_frame_samples(int sample_rate, int frame_samples);

#endif
