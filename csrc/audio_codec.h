/* One leg's audio codec seen from the mixer: every codec decodes to, and encodes from,
 * 48 kHz mono frames of one tick, whatever its own rate (Opus 48 kHz, G.722 16 kHz,
 * G.711 8 kHz; speexdsp resamplers in between). Wraps the codec kernels; allocates only
 * in the create functions. */
#ifndef UC_AUDIO_CODEC_H
#define UC_AUDIO_CODEC_H

#include <stdint.h>

#include "codec_g711.h"
#include "codec_g722.h"
#include "codec_opus.h"
#include "resample.h"

#define UC_MIX_RATE 48000
/* Largest decoded packet at 48 kHz (120 ms), plus resampler slack. */
#define UC_AUDIO_PCM_MAX (UC_OPUS_MAX_FRAME_SAMPLES + 64)
#define UC_AUDIO_MAX_PAYLOAD 1500

enum uc_audio_codec_id {
    UC_CODEC_OPUS = 0,
    UC_CODEC_PCMU = 1,
    UC_CODEC_PCMA = 2,
    UC_CODEC_G722 = 3,
};

/* The codec's sampling rate and its RTP clock rate (G.722: 16000 and 8000, RFC 3551). */
int uc_audio_codec_rate(int codec);
int uc_audio_codec_clock(int codec);

typedef struct uc_audio_enc {
    int codec;
    int bitrate;              /* Opus only; 0 = libopus's choice */
    int frame48;              /* samples per tick at 48 kHz */
    int frame_native;         /* samples per tick at the codec's rate */
    uc_opus_encoder *opus;
    uc_g711 *g711;
    uc_g722_encoder *g722;
    uc_resampler *down;       /* 48 kHz -> codec rate, NULL for Opus */
    int16_t scratch[UC_AUDIO_PCM_MAX];
} uc_audio_enc;

typedef struct uc_audio_dec {
    int codec;
    int frame48;
    int frame_native;         /* samples per tick at the codec's rate */
    void *plc;                /* G.711: spandsp's plc_state_t (packet loss concealment, 8 kHz) */
    uc_opus_decoder *opus;
    uc_g711 *g711;
    uc_g722_decoder *g722;
    uc_resampler *up;         /* codec rate -> 48 kHz, NULL for Opus */
    int16_t native[UC_AUDIO_PCM_MAX];
} uc_audio_dec;

int uc_audio_enc_init(uc_audio_enc *e, int codec, int bitrate, int complexity, int tick_ms);
void uc_audio_enc_release(uc_audio_enc *e);
/* Encode one tick of 48 kHz PCM (e->frame48 samples). Returns the payload length. */
int uc_audio_enc_encode(uc_audio_enc *e, const int16_t *pcm48, uint8_t *out, int cap);

int uc_audio_dec_init(uc_audio_dec *d, int codec, int tick_ms);
void uc_audio_dec_release(uc_audio_dec *d);
/* Decode a payload into pcm48 (capacity UC_AUDIO_PCM_MAX). Returns samples at 48 kHz. */
int uc_audio_dec_decode(uc_audio_dec *d, const uint8_t *payload, int len, int16_t *pcm48);
/* One tick of concealment into pcm48 (frame48 samples): Opus PLC; G.711 spandsp's PLC
 * (pitch-period repetition fading out, ITU-T G.711 Appendix I style); G.722 has none, so
 * it fades the previous tick (given in pcm48) by 6 dB a tick. */
int uc_audio_dec_conceal(uc_audio_dec *d, int16_t *pcm48);

#endif
