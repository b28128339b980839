/* G.722 (ITU-T G.722 sub-band ADPCM, 16 kHz audio) at 64 kbit/s over spandsp's g722 coder;
 * RTP payload type 9 (RFC 3551 section 4.5.2).
 *
 * RTP clock quirk: RFC 3551 gives G.722 an RTP clock rate of 8000 Hz although it samples at
 * 16000 Hz ("an error in RFC 1890 that must remain for backward compatibility"). A 20 ms
 * frame is 320 samples and 160 bytes, but its RTP timestamp advances by 160, and SDP says
 * "G722/8000". The codec here works in real samples; RTP timestamping must use 8000.
 *
 * Each byte codes two 16 kHz samples (6 bits low band, 2 bits high band). The encoder and
 * decoder carry ADPCM predictor state between frames, allocated at create time. */
#ifndef UC_CODEC_G722_H
#define UC_CODEC_G722_H

#include <stdint.h>

#define UC_G722_SAMPLE_RATE 16000
#define UC_G722_RTP_CLOCK_RATE 8000 /* RFC 3551 section 4.5.2; see above */

typedef struct uc_g722_encoder uc_g722_encoder;
typedef struct uc_g722_decoder uc_g722_decoder;

int uc_g722_encoder_create(uc_g722_encoder **out);
void uc_g722_encoder_destroy(uc_g722_encoder *enc);
/* samples (even) int16 at 16 kHz in -> samples / 2 bytes out. Returns bytes written. */
int uc_g722_encode(uc_g722_encoder *enc, const int16_t *pcm, int samples, uint8_t *out);

int uc_g722_decoder_create(uc_g722_decoder **out);
void uc_g722_decoder_destroy(uc_g722_decoder *dec);
/* length bytes in -> 2 * length int16 samples at 16 kHz out. Returns samples written. */
int uc_g722_decode(uc_g722_decoder *dec, const uint8_t *payload, int length, int16_t *pcm);

#endif
