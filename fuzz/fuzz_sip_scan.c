/* libFuzzer harness for csrc/sip_scan.c: every scanner over the input, and the typed
 * scanners over every header value the head scan finds; every span must lie inside the
 * buffer it indexes (ASan/UBSan catch reads outside it). Not part of `make fuzz-short`
 * (which runs the atheris harnesses, fuzz/fuzz_*.py); run by hand:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icsrc fuzz/fuzz_sip_scan.c \
 *       csrc/sip_scan.c -o build/fuzz_sip_scan
 *   build/fuzz_sip_scan -max_total_time=60 tests/fixtures/sip ../shared/corpus/rfc4475
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip_scan.h"

#define MAX_FIELDS 128

static void in_bounds(sip_span_t sp, size_t len)
{
    if (sp.off != SIP_NO_SPAN && (sp.off > len || sp.len > len - sp.off))
        abort();
}

static void typed(const char *b, size_t n)
{
    sip_param_t p[16];
    int reason;
    uint32_t needed;
    sip_via_t v;
    int k = sip_scan_via(b, n, &v, p, 16, &reason);
    if (k >= 0) {
        in_bounds(v.host, n);
        in_bounds(v.transport, n);
        for (int i = 0; i < k; i++) {
            in_bounds(p[i].name, n);
            in_bounds(p[i].value, n);
        }
    }
    sip_name_addr_t a;
    k = sip_scan_name_addr(b, n, &a, p, 16, &reason);
    if (k >= 0) {
        in_bounds(a.uri, n);
        in_bounds(a.display, n);
    }
    uint32_t seq;
    sip_span_t d, m;
    if (sip_scan_cseq(b, n, &seq, &d, &m, &reason) == 0) {
        in_bounds(d, n);
        in_bounds(m, n);
    }
    sip_auth_item_t it[32];
    k = sip_scan_auth(b, n, it, 32, &needed, &reason);
    for (int i = 0; i < k; i++) {
        in_bounds(it[i].name, n);
        in_bounds(it[i].value, n);
    }
    (void)sip_scan_params(b, n, 0, p, 16, &needed, &reason);
    sip_start_line_t st;
    (void)sip_scan_start_line(b, n, &st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    sip_message_span_t ms;
    sip_split_message(buf, size, &ms);
    if (ms.head_off + (size_t)ms.head_len > size || ms.body_off > size)
        abort();
    const char *head = buf + ms.head_off;
    sip_head_t h;
    static sip_field_t f[MAX_FIELDS];
    int reason;
    int n = sip_scan_head(head, ms.head_len, &h, f, MAX_FIELDS, &reason);
    in_bounds(h.start_line, ms.head_len);
    for (int i = 0; i < n && i < MAX_FIELDS; i++) {
        in_bounds(f[i].name, ms.head_len);
        in_bounds(f[i].value, ms.head_len);
        /* each value alone, in a buffer of its exact size */
        char *copy = malloc(f[i].value.len ? f[i].value.len : 1);
        if (!copy)
            abort();
        memcpy(copy, head + f[i].value.off, f[i].value.len);
        typed(copy, f[i].value.len);
        free(copy);
    }
    typed(buf, size);
    return 0;
}
