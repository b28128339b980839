/* C tests of csrc/rtp.c: parse, header extensions, build, audio level, bounds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtp.h"
#include "uc_errors.h"

#include "check.h"

/* V=2 P=1 X=1 CC=2, M=1 PT=111, seq 0xABCD, ts 0x01020304, ssrc 0xDEADBEEF, 2 CSRCs,
 * one-byte extension: id 1 (audio level V=1 level 42), pad, id 3 two bytes, pad;
 * payload "hello", 3 bytes of padding. */
static const uint8_t SAMPLE[] = {
    0xB2, 0xEF, 0xAB, 0xCD, 0x01, 0x02, 0x03, 0x04, 0xDE, 0xAD, 0xBE, 0xEF,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
    0xBE, 0xDE, 0x00, 0x02,
    0x10, 0xAA, 0x00, 0x31, 0x77, 0x88, 0x00, 0x00,
    'h', 'e', 'l', 'l', 'o', 0x00, 0x00, 0x03,
};

/* Parse from an exactly sized heap copy so ASan sees any read past the end. */
static int parse_exact(const uint8_t *data, size_t len, uc_rtp_packet *pkt, uint8_t **copy)
{
    *copy = malloc(len ? len : 1);
    if (len)
        memcpy(*copy, data, len);
    return uc_rtp_parse(*copy, len, pkt);
}

static void test_parse_sample(void)
{
    uc_rtp_packet pkt;
    CHECK(uc_rtp_parse(SAMPLE, sizeof SAMPLE, &pkt) == UC_OK);
    CHECK(pkt.padding == 1 && pkt.extension == 1 && pkt.marker == 1);
    CHECK(pkt.payload_type == 111);
    CHECK(pkt.sequence_number == 0xABCD);
    CHECK(pkt.timestamp == 0x01020304);
    CHECK(pkt.ssrc == 0xDEADBEEF);
    CHECK(pkt.csrc_count == 2 && pkt.csrc[0] == 1 && pkt.csrc[1] == 2);
    CHECK(pkt.ext_profile == 0xBEDE && pkt.ext_offset == 24 && pkt.ext_length == 8);
    CHECK(pkt.payload_offset == 32 && pkt.payload_length == 5);
    CHECK(memcmp(SAMPLE + pkt.payload_offset, "hello", 5) == 0);
    CHECK(pkt.padding_length == 3);

    uc_rtp_ext_element el;
    size_t pos = 0;
    CHECK(uc_rtp_ext_next(SAMPLE, &pkt, &pos, &el) == 1);
    CHECK(el.id == 1 && el.length == 1 && SAMPLE[el.offset] == 0xAA);
    CHECK(uc_rtp_ext_next(SAMPLE, &pkt, &pos, &el) == 1);
    CHECK(el.id == 3 && el.length == 2 && SAMPLE[el.offset] == 0x77);
    CHECK(uc_rtp_ext_next(SAMPLE, &pkt, &pos, &el) == 0);
    CHECK(uc_rtp_ext_find(SAMPLE, &pkt, 3, &el) == 1 && el.offset == 28);
    CHECK(uc_rtp_ext_find(SAMPLE, &pkt, 2, &el) == 0);

    int voice;
    uint8_t level;
    CHECK(uc_rtp_ext_find(SAMPLE, &pkt, 1, &el) == 1);
    CHECK(uc_rtp_audio_level_read(SAMPLE + el.offset, el.length, &voice, &level) == UC_OK);
    CHECK(voice == 1 && level == 42);
}

static void test_malformed(void)
{
    uint8_t b[sizeof SAMPLE];
    uc_rtp_packet pkt;
    memcpy(b, SAMPLE, sizeof b);
    b[0] = (uint8_t)((b[0] & 0x3F) | 0x40); /* version 1 */
    CHECK(uc_rtp_parse(b, sizeof b, &pkt) == UC_ERR_MALFORMED);
    memcpy(b, SAMPLE, sizeof b);
    b[sizeof b - 1] = 0; /* padding count 0 */
    CHECK(uc_rtp_parse(b, sizeof b, &pkt) == UC_ERR_MALFORMED);
    b[sizeof b - 1] = 9; /* more than the 8 payload+padding bytes */
    CHECK(uc_rtp_parse(b, sizeof b, &pkt) == UC_ERR_MALFORMED);
    b[sizeof b - 1] = 8; /* exactly everything after the header: empty payload */
    CHECK(uc_rtp_parse(b, sizeof b, &pkt) == UC_OK && pkt.payload_length == 0);
    /* P set on a header-only packet: no room for the count */
    const uint8_t bare[12] = {0xA0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
    CHECK(uc_rtp_parse(bare, sizeof bare, &pkt) == UC_ERR_TRUNCATED);
    /* extension length beyond the packet */
    memcpy(b, SAMPLE, sizeof b);
    b[23] = 200;
    CHECK(uc_rtp_parse(b, sizeof b, &pkt) == UC_ERR_TRUNCATED);
    /* one-byte element overrunning the extension body */
    memcpy(b, SAMPLE, sizeof b);
    b[27] = 0x3F; /* id 3, 16 bytes, only 3 left */
    CHECK(uc_rtp_parse(b, sizeof b, &pkt) == UC_OK);
    uc_rtp_ext_element el;
    CHECK(uc_rtp_ext_find(b, &pkt, 9, &el) == UC_ERR_TRUNCATED);
    /* id 0 with a length is not padding */
    b[26] = 0x05;
    size_t pos = 0;
    CHECK(uc_rtp_ext_next(b, &pkt, &pos, &el) == 1);
    CHECK(uc_rtp_ext_next(b, &pkt, &pos, &el) == UC_ERR_MALFORMED);
    /* id 15 stops processing */
    memcpy(b, SAMPLE, sizeof b);
    b[24] = 0xF0;
    CHECK(uc_rtp_parse(b, sizeof b, &pkt) == UC_OK);
    pos = 0;
    CHECK(uc_rtp_ext_next(b, &pkt, &pos, &el) == 0);
}

static void test_every_prefix(void)
{
    for (size_t n = 0; n < sizeof SAMPLE; n++) {
        uc_rtp_packet pkt;
        uint8_t *copy;
        int rc = parse_exact(SAMPLE, n, &pkt, &copy);
        /* every prefix is short of the header, CSRCs or extension, or its last byte is
         * not a valid padding count */
        CHECK(rc == UC_ERR_TRUNCATED || rc == UC_ERR_MALFORMED);
        free(copy);
    }
}

static void test_two_byte(void)
{
    /* profile 0x1003 (appbits 3): id 7 len 0, pad, id 200 len 3 */
    const uint8_t b[] = {0x90, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0,
                         0x10, 0x03, 0x00, 0x02, 0x07, 0x00, 0x00, 0xC8,
                         0x03, 'a', 'b', 'c', 0xFF};
    uc_rtp_packet pkt;
    uc_rtp_ext_element el;
    size_t pos = 0;
    CHECK(uc_rtp_parse(b, sizeof b, &pkt) == UC_OK);
    CHECK(uc_rtp_ext_is_rfc8285(pkt.ext_profile));
    CHECK(uc_rtp_ext_next(b, &pkt, &pos, &el) == 1 && el.id == 7 && el.length == 0);
    CHECK(uc_rtp_ext_next(b, &pkt, &pos, &el) == 1 && el.id == 200 && el.length == 3);
    CHECK(memcmp(b + el.offset, "abc", 3) == 0);
    CHECK(uc_rtp_ext_next(b, &pkt, &pos, &el) == 0);
    CHECK(pkt.payload_length == 1 && b[pkt.payload_offset] == 0xFF);
}

static void test_build_round_trip(void)
{
    uint8_t buf[128];
    uc_rtp_packet h;
    memset(&h, 0, sizeof h);
    h.marker = 1;
    h.payload_type = 96;
    h.sequence_number = 65535;
    h.timestamp = 0xFFFFFFFF;
    h.ssrc = 0x12345678;
    h.csrc_count = 1;
    h.csrc[0] = 0xCAFEBABE;
    int n = uc_rtp_write_header(buf, sizeof buf, &h);
    CHECK(n == 16);
    uc_rtp_ext_writer w;
    uint8_t level;
    CHECK(uc_rtp_audio_level_write(&level, 0, 127) == 1 && level == 0x7F);
    CHECK(uc_rtp_audio_level_write(&level, 1, 128) == UC_ERR_ARGUMENT);
    CHECK(uc_rtp_audio_level_write(&level, 1, 30) == 1 && level == 0x9E);
    CHECK(uc_rtp_ext_begin(&w, buf, sizeof buf, (size_t)n, UC_RTP_EXT_PROFILE_ONE_BYTE) == UC_OK);
    CHECK(uc_rtp_ext_add(&w, 1, &level, 1) == UC_OK);
    CHECK(uc_rtp_ext_add(&w, 15, &level, 1) == UC_ERR_ARGUMENT);
    CHECK(uc_rtp_ext_add(&w, 2, (const uint8_t *)"0123456789abcdefg", 17) == UC_ERR_ARGUMENT);
    CHECK(uc_rtp_ext_add(&w, 2, (const uint8_t *)"xyz", 3) == UC_OK);
    n = uc_rtp_ext_end(&w);
    CHECK(n == 16 + 4 + 8);
    n = uc_rtp_append(buf, sizeof buf, (size_t)n, (const uint8_t *)"payload", 7);
    CHECK(n == 35);
    n = uc_rtp_add_padding(buf, sizeof buf, (size_t)n, 5);
    CHECK(n == 40);

    uc_rtp_packet p;
    uc_rtp_ext_element el;
    CHECK(uc_rtp_parse(buf, (size_t)n, &p) == UC_OK);
    CHECK(p.marker == 1 && p.payload_type == 96 && p.sequence_number == 65535);
    CHECK(p.timestamp == 0xFFFFFFFF && p.ssrc == 0x12345678);
    CHECK(p.csrc_count == 1 && p.csrc[0] == 0xCAFEBABE);
    CHECK(p.padding_length == 5 && p.payload_length == 7);
    CHECK(uc_rtp_ext_find(buf, &p, 2, &el) == 1 && el.length == 3);
    CHECK(memcmp(buf + el.offset, "xyz", 3) == 0);

    /* two-byte form allows empty elements and ids above 14 */
    n = uc_rtp_write_header(buf, sizeof buf, &h);
    CHECK(uc_rtp_ext_begin(&w, buf, sizeof buf, (size_t)n, 0x1000) == UC_OK);
    CHECK(uc_rtp_ext_add(&w, 100, NULL, 0) == UC_OK);
    CHECK(uc_rtp_ext_add(&w, 0, NULL, 0) == UC_ERR_ARGUMENT);
    n = uc_rtp_ext_end(&w);
    CHECK(n == 16 + 4 + 4);
    CHECK(uc_rtp_parse(buf, (size_t)n, &p) == UC_OK);
    CHECK(uc_rtp_ext_find(buf, &p, 100, &el) == 1 && el.length == 0);

    /* out of space at every step */
    CHECK(uc_rtp_write_header(buf, 15, &h) == UC_ERR_NOSPACE);
    h.payload_type = 128;
    CHECK(uc_rtp_write_header(buf, sizeof buf, &h) == UC_ERR_ARGUMENT);
    h.payload_type = 0;
    n = uc_rtp_write_header(buf, 20, &h);
    CHECK(uc_rtp_ext_begin(&w, buf, 20, (size_t)n, UC_RTP_EXT_PROFILE_ONE_BYTE) == UC_OK);
    CHECK(uc_rtp_ext_add(&w, 1, &level, 1) == UC_ERR_NOSPACE);
    CHECK(uc_rtp_add_padding(buf, 20, 16, 5) == UC_ERR_NOSPACE);
    CHECK(uc_rtp_add_padding(buf, 20, 16, 0) == UC_ERR_ARGUMENT);
}

static void test_random_bytes(void)
{
    /* Bounded: 20000 random buffers up to 96 bytes, mostly with a valid version. */
    srand(1234);
    for (int i = 0; i < 20000; i++) {
        size_t n = (size_t)(rand() % 97);
        uint8_t *b = malloc(n ? n : 1);
        for (size_t k = 0; k < n; k++)
            b[k] = (uint8_t)rand();
        if (n && (i % 4))
            b[0] = (uint8_t)((b[0] & 0x3F) | 0x80);
        if (n > 13 && (i % 3) == 0) {
            b[12] = 0xBE;
            b[13] = 0xDE;
        }
        uc_rtp_packet pkt;
        if (uc_rtp_parse(b, n, &pkt) == UC_OK) {
            CHECK(pkt.payload_offset + pkt.payload_length + pkt.padding_length == n);
            uc_rtp_ext_element el;
            size_t pos = 0;
            int rc, steps = 0;
            while ((rc = uc_rtp_ext_next(b, &pkt, &pos, &el)) == 1 && steps++ < 1000)
                CHECK(el.offset + el.length <= pkt.ext_offset + pkt.ext_length);
        }
        free(b);
    }
}

int main(void)
{
    test_parse_sample();
    test_malformed();
    test_every_prefix();
    test_two_byte();
    test_build_round_trip();
    test_random_bytes();
    return check_finish("test_rtp");
}
