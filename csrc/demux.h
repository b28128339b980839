/* Demultiplexing of one UDP port (RFC 7983 section 7, RFC 5761 section 4).
 *
 * One leg socket carries STUN (ICE connectivity checks and consent), DTLS, RTP and RTCP
 * (rtcp-mux). RFC 7983 tells them apart by the first byte; RTP and RTCP then by the second
 * byte, whose value 192..223 is an RTCP packet type (RFC 5761 section 4: RTP payload types
 * 64..95 are avoided exactly so that this works). */
#ifndef UC_DEMUX_H
#define UC_DEMUX_H

#include <stddef.h>
#include <stdint.h>

enum uc_demux_kind {
    UC_DEMUX_UNKNOWN = 0, /* first byte in none of the ranges below, or empty */
    UC_DEMUX_STUN = 1,    /* 0..3 */
    UC_DEMUX_ZRTP = 2,    /* 16..19 */
    UC_DEMUX_DTLS = 3,    /* 20..63 */
    UC_DEMUX_TURN = 4,    /* 64..79: TURN channel data */
    UC_DEMUX_RTP = 5,     /* 128..191, second byte not an RTCP type */
    UC_DEMUX_RTCP = 6,    /* 128..191, second byte 192..223 */
};

int uc_demux_classify(const uint8_t *buf, size_t len);

#endif
