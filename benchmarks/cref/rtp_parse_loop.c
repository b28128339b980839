/* RTP parse cost: uc_rtp_parse (+ RFC 8285 element walk) beside a plain C decode of the same
 * fields into the same struct with no validation, over the same packets, in one run.
 *
 *     rtp_parse_loop FILE ITERATIONS     (FILE: 16-bit length-prefixed datagrams)
 *
 * Prints one JSON line: ns per packet for each loop. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rtp.h"

#define MAX_PACKETS 64

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The reference: the same fields into the same struct, with no validation at all (it
 * trusts every length), kept out of line like the kernel's own call. */
__attribute__((noinline)) static void plain_decode(const uint8_t *b, size_t len, uc_rtp_packet *p)
{
    p->padding = (b[0] >> 5) & 1;
    p->extension = (b[0] >> 4) & 1;
    p->csrc_count = b[0] & 0x0F;
    p->marker = b[1] >> 7;
    p->payload_type = b[1] & 0x7F;
    p->sequence_number = (uint16_t)(b[2] << 8 | b[3]);
    p->timestamp = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
    p->ssrc = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11];
    size_t pos = 12;
    for (unsigned i = 0; i < p->csrc_count; i++, pos += 4)
        p->csrc[i] = (uint32_t)b[pos] << 24 | (uint32_t)b[pos + 1] << 16 |
                     (uint32_t)b[pos + 2] << 8 | b[pos + 3];
    p->ext_profile = 0;
    p->ext_offset = p->ext_length = 0;
    if (p->extension) {
        p->ext_profile = (uint16_t)(b[pos] << 8 | b[pos + 1]);
        p->ext_length = 4 * ((size_t)b[pos + 2] << 8 | b[pos + 3]);
        p->ext_offset = pos + 4;
        pos += 4 + p->ext_length;
    }
    p->padding_length = p->padding ? b[len - 1] : 0;
    p->payload_offset = pos;
    p->payload_length = len - pos - p->padding_length;
}

/* The reference walk of one-byte elements: no bounds or id checks. */
__attribute__((noinline)) static uint64_t plain_elements(const uint8_t *b, const uc_rtp_packet *p)
{
    uint64_t acc = 0;
    if (p->ext_profile != 0xBEDE)
        return 0;
    for (size_t i = 0; i < p->ext_length;) {
        if (b[p->ext_offset + i] == 0) {
            i++;
            continue;
        }
        size_t n = (size_t)(b[p->ext_offset + i] & 0x0F) + 1;
        acc += (b[p->ext_offset + i] >> 4) + n;
        i += 1 + n;
    }
    return acc;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return 2;
    static uint8_t data[65536];
    size_t total = fread(data, 1, sizeof data, f);
    fclose(f);
    const uint8_t *pkts[MAX_PACKETS];
    size_t lens[MAX_PACKETS];
    size_t n = 0;
    for (size_t pos = 0; pos + 2 <= total && n < MAX_PACKETS; n++) {
        lens[n] = (size_t)data[pos] << 8 | data[pos + 1];
        pkts[n] = data + pos + 2;
        pos += 2 + lens[n];
    }
    long iterations = atol(argv[2]);
    volatile uint64_t sink = 0;

    double t0 = now_ns();
    for (long it = 0; it < iterations; it++) {
        uint64_t acc = 0;
        for (size_t i = 0; i < n; i++) {
            uc_rtp_packet p;
            plain_decode(pkts[i], lens[i], &p);
            acc += p.sequence_number + p.timestamp + p.ssrc + p.payload_type + p.payload_length;
            for (unsigned k = 0; k < p.csrc_count; k++)
                acc += p.csrc[k];
            acc += plain_elements(pkts[i], &p);
        }
        sink += acc;
    }
    double plain = (now_ns() - t0) / ((double)iterations * n);

    t0 = now_ns();
    for (long it = 0; it < iterations; it++) {
        uint64_t acc = 0;
        for (size_t i = 0; i < n; i++) {
            uc_rtp_packet p;
            if (uc_rtp_parse(pkts[i], lens[i], &p) == 0) {
                acc += p.sequence_number + p.timestamp + p.ssrc + p.payload_type + p.payload_length;
                for (unsigned k = 0; k < p.csrc_count; k++)
                    acc += p.csrc[k];
                uc_rtp_ext_element el;
                size_t pos = 0;
                while (uc_rtp_ext_next(pkts[i], &p, &pos, &el) == 1)
                    acc += el.id + el.length;
            }
        }
        sink += acc;
    }
    double ours = (now_ns() - t0) / ((double)iterations * n);
    printf("{\"packets\": %zu, \"plain_c_ns\": %.3f, \"uc_rtp_parse_ns\": %.3f, \"sink\": %llu}\n",
           n, plain, ours, (unsigned long long)(sink & 1));
    return 0;
}
