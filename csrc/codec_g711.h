/* G.711 mu-law and A-law (ITU-T G.711; RTP payload types PCMU 0 and PCMA 8, RFC 3551
 * section 4.5.14) over spandsp's g711 coder.
 *
 * One byte per sample at 8 kHz, no inter-sample state: the object only remembers which law
 * it speaks. Encoding and decoding touch only the caller's buffers. */
#ifndef UC_CODEC_G711_H
#define UC_CODEC_G711_H

#include <stdint.h>

enum uc_g711_law {
    UC_G711_ULAW = 0, /* PCMU: North America, Japan */
    UC_G711_ALAW = 1, /* PCMA: everywhere else */
};

typedef struct uc_g711 uc_g711;

int uc_g711_create(uc_g711 **out, int law);
void uc_g711_destroy(uc_g711 *codec);

/* samples int16 in -> samples bytes out. Returns the number of bytes written. */
int uc_g711_encode(uc_g711 *codec, const int16_t *pcm, int samples, uint8_t *out);
/* length bytes in -> length int16 samples out. Returns the number of samples written. */
int uc_g711_decode(uc_g711 *codec, const uint8_t *payload, int length, int16_t *pcm);

#endif
