#include "demux.h"

int uc_demux_classify(const uint8_t *buf, size_t len)
{
    if (!buf || len == 0)
        return UC_DEMUX_UNKNOWN;
    uint8_t b = buf[0];
    if (b <= 3)
        return UC_DEMUX_STUN;
    if (b >= 16 && b <= 19)
        return UC_DEMUX_ZRTP;
    if (b >= 20 && b <= 63)
        return UC_DEMUX_DTLS;
    if (b >= 64 && b <= 79)
        return UC_DEMUX_TURN;
    if (b >= 128 && b <= 191) {
        if (len >= 2 && buf[1] >= 192 && buf[1] <= 223)
            return UC_DEMUX_RTCP;
        return UC_DEMUX_RTP;
    }
    return UC_DEMUX_UNKNOWN;
}
