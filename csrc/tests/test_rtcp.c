/* C tests of csrc/rtcp.c: compound validation, every packet type built and parsed back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtcp.h"
#include "uc_errors.h"

#include "check.h"

static int build_compound(uint8_t *buf, size_t cap)
{
    uc_rtcp_builder b;
    uc_rtcp_report sr;
    memset(&sr, 0, sizeof sr);
    sr.ssrc = 0x11111111;
    sr.ntp_timestamp = 0xE8A1B2C3D4E5F607ull;
    sr.rtp_timestamp = 48000;
    sr.packet_count = 50;
    sr.octet_count = 4000;
    sr.report_count = 2;
    sr.blocks[0] = (uc_rtcp_report_block){0x22222222, 25, -3, 0x0001FFFF, 17, 0xB2C3D4E5, 65536};
    sr.blocks[1] = (uc_rtcp_report_block){0x33333333, 255, 0x7FFFFF, 7, 0, 0, 0};
    uc_rtcp_builder_init(&b, buf, cap);
    CHECK(uc_rtcp_build_sr(&b, &sr, NULL) == 8 + 20 + 48);
    CHECK(uc_rtcp_build_sdes_begin(&b) > 0);
    CHECK(uc_rtcp_build_sdes_chunk(&b, 0x11111111) > 0);
    CHECK(uc_rtcp_build_sdes_item(&b, UC_RTCP_SDES_CNAME, (const uint8_t *)"alice@example", 13) > 0);
    CHECK(uc_rtcp_build_sdes_item(&b, UC_RTCP_SDES_TOOL, (const uint8_t *)"uc", 2) > 0);
    CHECK(uc_rtcp_build_pli(&b, 1, 2) == UC_ERR_STATE); /* SDES still open */
    CHECK(uc_rtcp_build_sdes_chunk(&b, 0x44444444) > 0); /* a chunk with no items */
    CHECK(uc_rtcp_build_sdes_end(&b) > 0);
    uint32_t ssrcs[2] = {0x11111111, 0x55555555};
    return uc_rtcp_build_bye(&b, ssrcs, 2, (const uint8_t *)"shutdown", 8, 1);
}

static void test_compound(void)
{
    uint8_t buf[512];
    int n = build_compound(buf, sizeof buf);
    CHECK(n > 0 && n % 4 == 0);
    CHECK(uc_rtcp_validate(buf, (size_t)n, 0) == 3);

    uc_rtcp_iter it;
    uc_rtcp_view v;
    uc_rtcp_iter_init(&it, buf, (size_t)n);
    CHECK(uc_rtcp_next(&it, &v) == 1 && v.packet_type == UC_RTCP_SR && v.count == 2);
    uc_rtcp_report r;
    CHECK(uc_rtcp_parse_rr(buf, &v, &r) == UC_ERR_ARGUMENT);
    CHECK(uc_rtcp_parse_sr(buf, &v, &r) == UC_OK);
    CHECK(r.ssrc == 0x11111111 && r.ntp_timestamp == 0xE8A1B2C3D4E5F607ull);
    CHECK(r.rtp_timestamp == 48000 && r.packet_count == 50 && r.octet_count == 4000);
    CHECK(r.report_count == 2 && r.ext_length == 0);
    CHECK(r.blocks[0].ssrc == 0x22222222 && r.blocks[0].fraction_lost == 25);
    CHECK(r.blocks[0].cumulative_lost == -3 && r.blocks[0].highest_sequence == 0x0001FFFF);
    CHECK(r.blocks[0].jitter == 17 && r.blocks[0].lsr == 0xB2C3D4E5 && r.blocks[0].dlsr == 65536);
    CHECK(r.blocks[1].cumulative_lost == 0x7FFFFF && r.blocks[1].fraction_lost == 255);

    CHECK(uc_rtcp_next(&it, &v) == 1 && v.packet_type == UC_RTCP_SDES && v.count == 2);
    uc_rtcp_sdes_iter sit;
    uc_rtcp_sdes_chunk chunk;
    uc_rtcp_sdes_item item;
    size_t pos;
    CHECK(uc_rtcp_sdes_begin(&sit, buf, &v) == UC_OK);
    CHECK(uc_rtcp_sdes_next_chunk(&sit, &chunk) == 1 && chunk.ssrc == 0x11111111);
    pos = chunk.items_offset;
    CHECK(uc_rtcp_sdes_next_item(buf, &chunk, &pos, &item) == 1);
    CHECK(item.type == UC_RTCP_SDES_CNAME && item.length == 13);
    CHECK(memcmp(buf + item.offset, "alice@example", 13) == 0);
    CHECK(uc_rtcp_sdes_next_item(buf, &chunk, &pos, &item) == 1 && item.type == UC_RTCP_SDES_TOOL);
    CHECK(uc_rtcp_sdes_next_item(buf, &chunk, &pos, &item) == 0);
    CHECK(uc_rtcp_sdes_next_chunk(&sit, &chunk) == 1 && chunk.ssrc == 0x44444444);
    pos = chunk.items_offset;
    CHECK(uc_rtcp_sdes_next_item(buf, &chunk, &pos, &item) == 0);
    CHECK(uc_rtcp_sdes_next_chunk(&sit, &chunk) == 0);

    CHECK(uc_rtcp_next(&it, &v) == 1 && v.packet_type == UC_RTCP_BYE);
    uc_rtcp_bye bye;
    CHECK(uc_rtcp_parse_bye(buf, &v, &bye) == UC_OK);
    CHECK(bye.ssrc_count == 2 && bye.has_reason && bye.reason_length == 8);
    CHECK(memcmp(buf + bye.reason_offset, "shutdown", 8) == 0);
    CHECK(uc_rtcp_next(&it, &v) == 0);

    /* every strict prefix is truncated, except those ending on a packet boundary;
     * each is read from an exactly sized copy */
    size_t sdes_end = v.offset;
    for (int k = 0; k < n; k++) {
        uint8_t *copy = malloc(k ? (size_t)k : 1);
        memcpy(copy, buf, (size_t)k);
        int rc = uc_rtcp_validate(copy, (size_t)k, 0);
        if (k == 76)
            CHECK(rc == 1);
        else if ((size_t)k == sdes_end)
            CHECK(rc == 2);
        else
            CHECK(rc == UC_ERR_TRUNCATED);
        free(copy);
    }
}

static void test_validation_rules(void)
{
    uint8_t buf[256] = {0};
    uc_rtcp_builder b;
    uc_rtcp_builder_init(&b, buf, sizeof buf);
    int n = uc_rtcp_build_pli(&b, 0xAAAA, 0xBBBB);
    CHECK(n == 12);
    /* A.2: a compound must start with SR or RR... */
    CHECK(uc_rtcp_validate(buf, (size_t)n, 0) == UC_ERR_MALFORMED);
    /* ...unless reduced-size RTCP (RFC 5506) is allowed */
    CHECK(uc_rtcp_validate(buf, (size_t)n, UC_RTCP_REDUCED_SIZE) == 1);

    uc_rtcp_report rr;
    memset(&rr, 0, sizeof rr);
    rr.ssrc = 7;
    uc_rtcp_builder_init(&b, buf, sizeof buf);
    CHECK(uc_rtcp_build_rr(&b, &rr, NULL) == 8);
    n = uc_rtcp_build_pli(&b, 1, 2);
    CHECK(uc_rtcp_validate(buf, (size_t)n, 0) == 2);
    buf[0] |= 0x20; /* P on the first of two packets */
    CHECK(uc_rtcp_validate(buf, (size_t)n, 0) == UC_ERR_MALFORMED);
    buf[0] &= (uint8_t)~0x20;
    buf[8] = (uint8_t)((buf[8] & 0x3F) | 0x40); /* version 1 on the second */
    CHECK(uc_rtcp_validate(buf, (size_t)n, 0) == UC_ERR_MALFORMED);
    buf[8] = (uint8_t)((buf[8] & 0x3F) | 0x80);
    CHECK(uc_rtcp_validate(buf, (size_t)n + 2, 0) == UC_ERR_TRUNCATED); /* a partial header */
    CHECK(uc_rtcp_validate(buf, (size_t)n + 4, 0) == UC_ERR_MALFORMED); /* zeros: version 0 */
    CHECK(uc_rtcp_validate(buf, 0, 0) == UC_ERR_TRUNCATED);

    /* padding on the last packet: a PLI padded by 4 bytes; count 0 and overlong fail */
    uint8_t padded[16] = {0xA1, 206, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 4};
    uc_rtcp_iter it;
    uc_rtcp_view v;
    uc_rtcp_feedback fb;
    CHECK(uc_rtcp_validate(padded, 16, UC_RTCP_REDUCED_SIZE) == 1);
    uc_rtcp_iter_init(&it, padded, 16);
    CHECK(uc_rtcp_next(&it, &v) == 1 && v.body_length == 8);
    CHECK(uc_rtcp_parse_feedback(padded, &v, &fb) == UC_OK && fb.fmt == UC_RTCP_PSFB_PLI);
    padded[15] = 0;
    CHECK(uc_rtcp_validate(padded, 16, UC_RTCP_REDUCED_SIZE) == UC_ERR_MALFORMED);
    padded[15] = 13;
    CHECK(uc_rtcp_validate(padded, 16, UC_RTCP_REDUCED_SIZE) == UC_ERR_MALFORMED);
    padded[15] = 3; /* not a multiple of 4 */
    CHECK(uc_rtcp_validate(padded, 16, UC_RTCP_REDUCED_SIZE) == UC_ERR_MALFORMED);
}

static void test_feedback_and_app(void)
{
    uint8_t buf[256];
    uc_rtcp_builder b;
    uc_rtcp_iter it;
    uc_rtcp_view v;
    uc_rtcp_feedback fb;

    /* lost 100, 101, 116, 117 (wraps into a second item at 117), 65535, 0 */
    const uint16_t lost[] = {100, 101, 116, 117, 65535, 0};
    uc_rtcp_nack_item items[4];
    CHECK(uc_rtcp_nack_pack(lost, 6, items, 1) == UC_ERR_NOSPACE);
    int k = uc_rtcp_nack_pack(lost, 6, items, 4);
    CHECK(k == 3);
    CHECK(items[0].pid == 100 && items[0].blp == (1u << 0 | 1u << 15));
    CHECK(items[1].pid == 117 && items[1].blp == 0);
    CHECK(items[2].pid == 65535 && items[2].blp == 1);
    uint16_t seqs[17];
    CHECK(uc_rtcp_nack_expand(items[0], seqs) == 3 && seqs[1] == 101 && seqs[2] == 116);
    CHECK(uc_rtcp_nack_expand(items[2], seqs) == 2 && seqs[1] == 0);

    const uc_rtcp_fir_entry firs[2] = {{0xABCDEF01, 3}, {0x01020304, 255}};
    uc_rtcp_builder_init(&b, buf, sizeof buf);
    CHECK(uc_rtcp_build_nack(&b, 9, 10, items, (size_t)k) == 24);
    CHECK(uc_rtcp_build_nack(&b, 9, 10, items, 0) == UC_ERR_ARGUMENT);
    CHECK(uc_rtcp_build_fir(&b, 9, firs, 2) == 24 + 28);
    CHECK(uc_rtcp_build_app(&b, 5, 9, (const uint8_t *)"TEST", (const uint8_t *)"abcdefgh", 8) == 52 + 20);
    CHECK(uc_rtcp_build_app(&b, 5, 9, (const uint8_t *)"TEST", (const uint8_t *)"abc", 3) == UC_ERR_ARGUMENT);
    int n = uc_rtcp_build_bye(&b, NULL, 0, NULL, 0, 0);
    CHECK(n == 76);
    CHECK(uc_rtcp_validate(buf, (size_t)n, UC_RTCP_REDUCED_SIZE) == 4);

    uc_rtcp_iter_init(&it, buf, (size_t)n);
    CHECK(uc_rtcp_next(&it, &v) == 1 && v.packet_type == UC_RTCP_RTPFB);
    CHECK(uc_rtcp_parse_feedback(buf, &v, &fb) == UC_OK);
    CHECK(fb.fmt == 1 && fb.sender_ssrc == 9 && fb.media_ssrc == 10 && fb.entry_count == 3);
    CHECK(uc_rtcp_nack_at(buf, &fb, 2).pid == 65535);
    CHECK(uc_rtcp_next(&it, &v) == 1 && v.packet_type == UC_RTCP_PSFB);
    CHECK(uc_rtcp_parse_feedback(buf, &v, &fb) == UC_OK && fb.fmt == 4 && fb.entry_count == 2);
    CHECK(fb.media_ssrc == 0);
    CHECK(uc_rtcp_fir_at(buf, &fb, 1).ssrc == 0x01020304 && uc_rtcp_fir_at(buf, &fb, 1).sequence_number == 255);
    CHECK(uc_rtcp_next(&it, &v) == 1 && v.packet_type == UC_RTCP_APP);
    uc_rtcp_app app;
    CHECK(uc_rtcp_parse_app(buf, &v, &app) == UC_OK);
    CHECK(app.subtype == 5 && app.ssrc == 9 && memcmp(app.name, "TEST", 4) == 0 && app.data_length == 8);
    CHECK(uc_rtcp_next(&it, &v) == 1 && v.packet_type == UC_RTCP_BYE);
    uc_rtcp_bye bye;
    CHECK(uc_rtcp_parse_bye(buf, &v, &bye) == UC_OK && bye.ssrc_count == 0 && !bye.has_reason);

    /* FIR with a partial entry, PLI with FCI, NACK with none: malformed */
    uint8_t bad[20] = {0x84, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
    bad[3] = 3; /* FIR with 4 bytes of FCI */
    uc_rtcp_iter_init(&it, bad, 16);
    CHECK(uc_rtcp_next(&it, &v) == 1 && uc_rtcp_parse_feedback(bad, &v, &fb) == UC_ERR_MALFORMED);
    bad[0] = 0x81; /* PLI with 4 bytes of FCI */
    uc_rtcp_iter_init(&it, bad, 16);
    CHECK(uc_rtcp_next(&it, &v) == 1 && uc_rtcp_parse_feedback(bad, &v, &fb) == UC_ERR_MALFORMED);
    bad[1] = 205; /* NACK with no FCI */
    bad[3] = 2;
    uc_rtcp_iter_init(&it, bad, 12);
    CHECK(uc_rtcp_next(&it, &v) == 1 && uc_rtcp_parse_feedback(bad, &v, &fb) == UC_ERR_MALFORMED);
}

static void test_sdes_and_bye_bounds(void)
{
    /* SDES with SC=1 whose item length runs past the packet */
    const uint8_t sdes[12] = {0x81, 202, 0, 2, 0, 0, 0, 1, 1, 9, 'a', 'b'};
    uc_rtcp_iter it;
    uc_rtcp_view v;
    uc_rtcp_sdes_iter sit;
    uc_rtcp_sdes_chunk chunk;
    uc_rtcp_iter_init(&it, sdes, sizeof sdes);
    CHECK(uc_rtcp_next(&it, &v) == 1);
    CHECK(uc_rtcp_sdes_begin(&sit, sdes, &v) == UC_OK);
    CHECK(uc_rtcp_sdes_next_chunk(&sit, &chunk) == UC_ERR_TRUNCATED);
    /* SC=2 but one chunk present */
    const uint8_t sdes2[12] = {0x82, 202, 0, 2, 0, 0, 0, 1, 1, 1, 'a', 0};
    uc_rtcp_iter_init(&it, sdes2, sizeof sdes2);
    CHECK(uc_rtcp_next(&it, &v) == 1 && uc_rtcp_sdes_begin(&sit, sdes2, &v) == UC_OK);
    CHECK(uc_rtcp_sdes_next_chunk(&sit, &chunk) == 1);
    CHECK(uc_rtcp_sdes_next_chunk(&sit, &chunk) == UC_ERR_TRUNCATED);
    /* BYE whose reason length overruns */
    const uint8_t bye[12] = {0x81, 203, 0, 2, 0, 0, 0, 1, 5, 'a', 'b', 'c'};
    uc_rtcp_bye out;
    uc_rtcp_iter_init(&it, bye, sizeof bye);
    CHECK(uc_rtcp_next(&it, &v) == 1 && uc_rtcp_parse_bye(bye, &v, &out) == UC_ERR_TRUNCATED);
}

static void test_random_bytes(void)
{
    /* Bounded: 20000 random compounds up to 128 bytes; everything reachable is parsed. */
    srand(4321);
    for (int i = 0; i < 20000; i++) {
        size_t n = (size_t)(rand() % 129);
        uint8_t *buf = malloc(n ? n : 1);
        for (size_t k = 0; k < n; k++)
            buf[k] = (uint8_t)rand();
        for (size_t k = 0; k + 3 < n; k += 4 + 4 * (size_t)(rand() % 4)) {
            buf[k] = (uint8_t)((buf[k] & 0x3F) | 0x80);
            buf[k + 1] = (uint8_t)(200 + rand() % 7);
            buf[k + 2] = 0;
            buf[k + 3] = (uint8_t)(rand() % 8);
        }
        uc_rtcp_iter it;
        uc_rtcp_view v;
        uc_rtcp_iter_init(&it, buf, n);
        int guard = 0;
        (void)uc_rtcp_validate(buf, n, UC_RTCP_REDUCED_SIZE);
        while (uc_rtcp_next(&it, &v) == 1 && guard++ < 100) {
            uc_rtcp_report r;
            uc_rtcp_bye bye;
            uc_rtcp_app app;
            uc_rtcp_feedback fb;
            uc_rtcp_sdes_iter sit;
            uc_rtcp_sdes_chunk chunk;
            uc_rtcp_sdes_item item;
            switch (v.packet_type) {
            case UC_RTCP_SR: (void)uc_rtcp_parse_sr(buf, &v, &r); break;
            case UC_RTCP_RR: (void)uc_rtcp_parse_rr(buf, &v, &r); break;
            case UC_RTCP_BYE: (void)uc_rtcp_parse_bye(buf, &v, &bye); break;
            case UC_RTCP_APP: (void)uc_rtcp_parse_app(buf, &v, &app); break;
            case UC_RTCP_SDES:
                uc_rtcp_sdes_begin(&sit, buf, &v);
                while (uc_rtcp_sdes_next_chunk(&sit, &chunk) == 1) {
                    size_t pos = chunk.items_offset;
                    while (uc_rtcp_sdes_next_item(buf, &chunk, &pos, &item) == 1)
                        CHECK(item.offset + item.length <= v.body_offset + v.body_length);
                }
                break;
            default:
                if (uc_rtcp_parse_feedback(buf, &v, &fb) == UC_OK && fb.entry_count) {
                    if (v.packet_type == UC_RTCP_RTPFB)
                        (void)uc_rtcp_nack_at(buf, &fb, fb.entry_count - 1);
                    else
                        (void)uc_rtcp_fir_at(buf, &fb, fb.entry_count - 1);
                }
            }
        }
        free(buf);
    }
}

int main(void)
{
    test_compound();
    test_validation_rules();
    test_feedback_and_app();
    test_sdes_and_bye_bounds();
    test_random_bytes();
    return check_finish("test_rtcp");
}
