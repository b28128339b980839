/* Big-endian (network order) loads and stores of the wire formats (RTP, RTCP, STUN,
 * RFC 4733): static inline so the packet path keeps plain byte moves, no call and no
 * allocation; byte by byte so unaligned buffers are fine. */
#ifndef UC_BYTEORDER_H
#define UC_BYTEORDER_H

#include <stdint.h>

static inline uint16_t uc_rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static inline uint32_t uc_rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void uc_wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void uc_wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif
