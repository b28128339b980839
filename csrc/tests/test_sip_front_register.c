/* csrc/sip_front.c, authenticated REGISTERs (VERIFIED): the values handed to the registrar,
 * the 200's head, the retransmission of the completed answer, and every way out of the
 * subset passing (damaged credentials, an unknown or dropped user, another AOR, a Contact
 * with +sip.instance or reg-id, two Contacts, registering switched off), plus every prefix
 * of the request (read under ASan/UBSan by `make test-asan`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sip_digest.h"
#include "sip_front.h"

static const char SECRET[] = "front-test-secret-0123456789abcdef";
static const char PREFIX[] = "sl1a2b3c.";
static const double NOW = 1795680000.25;

static sip_front_t *make_front(void)
{
    sip_front_config_t config = {(const uint8_t *)SECRET, strlen(SECRET), PREFIX, strlen(PREFIX), 64, 4.0, 7};
    sip_front_t *front = sip_front_create(&config);
    const char *heads[1] = {"Digest realm=\"example.com\", qop=\"auth\", nonce=\""};
    const char *tails[1] = {"\", algorithm=MD5, opaque=\"op\""};
    size_t head_lens[1] = {strlen(heads[0])}, tail_lens[1] = {strlen(tails[0])};
    CHECK(front != NULL);
    if (front == NULL)
        return NULL;
    CHECK(sip_front_set_digest(front, "example.com", 11, "op", 2, SIP_DIGEST_MD5, 300.0) < 0); /* realm first */
    CHECK(sip_front_set_realm(front, "example.com", 11, SIP_FRONT_UAS, heads, head_lens, tails, tail_lens, 1) == 0);
    CHECK(sip_front_set_digest(front, "example.com", 11, "op", 2, SIP_DIGEST_MD5 | SIP_DIGEST_SHA256, 300.0) == 0);
    char ha1[65];
    const char *a1 = "alice:example.com:secret";
    CHECK(sip_digest_hash_hex(SIP_DIGEST_MD5, a1, strlen(a1), ha1, sizeof ha1) == 32);
    CHECK(sip_front_set_user(front, "alice", 5, "example.com", 11, SIP_DIGEST_MD5, ha1, 32) == 0);
    CHECK(sip_front_set_user(front, "alice", 5, "example.com", 11, 8, ha1, 32) < 0);
    CHECK(sip_front_users(front) == 1);
    sip_front_set_register(front, 1);
    return front;
}

/* An authenticated REGISTER: `user` for the To/From, `cred_user` in the credentials,
 * `contact` the Contact value, `cseq`, nc and the nonce issued at `issued`. */
static size_t make_register(char *buf, size_t cap, const char *user, const char *cred_user, const char *contact,
                            int cseq, unsigned nc, double issued, const char *password)
{
    sip_digest_t *d = sip_digest_create((const uint8_t *)SECRET, strlen(SECRET), "example.com", 11, "op", 2,
                                        SIP_DIGEST_MD5, 300.0);
    char nonce[SIP_DIGEST_NONCE_LEN + 1] = {0}, ha1[65], ha2[65], response[65], text[512], ncs[9];
    sip_digest_make_nonce(d, issued, (const uint8_t *)"saltsalt", nonce);
    sip_digest_destroy(d);
    snprintf(ncs, sizeof ncs, "%08x", nc);
    snprintf(text, sizeof text, "%s:example.com:%s", cred_user, password);
    sip_digest_hash_hex(SIP_DIGEST_MD5, text, strlen(text), ha1, sizeof ha1);
    snprintf(text, sizeof text, "REGISTER:sip:example.com");
    sip_digest_hash_hex(SIP_DIGEST_MD5, text, strlen(text), ha2, sizeof ha2);
    snprintf(text, sizeof text, "%s:%s:%s:abc:auth:%s", ha1, nonce, ncs, ha2);
    sip_digest_hash_hex(SIP_DIGEST_MD5, text, strlen(text), response, sizeof response);
    int n = snprintf(buf, cap,
                     "REGISTER sip:example.com SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 127.0.0.1:5000;branch=z9hG4bKr%d;rport\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: <sip:%s@example.com>;tag=c1\r\n"
                     "To: <sip:%s@example.com>\r\n"
                     "Call-ID: c1@gen\r\n"
                     "CSeq: %d REGISTER\r\n"
                     "Contact: %s\r\n"
                     "Expires: 600\r\n"
                     "User-Agent: ucserver-loadgen\r\n"
                     "Authorization: Digest username=\"%s\", realm=\"example.com\", nonce=\"%s\", "
                     "uri=\"sip:example.com\", response=\"%s\", algorithm=MD5, qop=auth, nc=%s, cnonce=\"abc\", "
                     "opaque=\"op\"\r\n"
                     "Content-Length: 0\r\n\r\n",
                     cseq, user, user, cseq, contact, cred_user, nonce, response, ncs);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static int span_is(const char *buf, sip_front_span_t s, const char *text)
{
    return s.off != UINT32_MAX && s.len == strlen(text) && memcmp(buf + s.off, text, s.len) == 0;
}

static int handle(sip_front_t *front, const char *msg, size_t len, double now, uint8_t *out, sip_front_result_t *r)
{
    return sip_front_handle(front, (const uint8_t *)msg, len, "127.0.0.1", 9, 5000, now, out, SIP_FRONT_ANSWER_MAX, r);
}

static void test_verified_values_and_answer(sip_front_t *front)
{
    char msg[2048];
    uint8_t out[SIP_FRONT_ANSWER_MAX + 1];
    sip_front_result_t r;
    size_t len = make_register(msg, sizeof msg, "alice", "alice", "<sip:alice@127.0.0.1:5000>;expires=300;foo",
                               2, 1, NOW - 1, "secret");
    CHECK(len > 0);
    CHECK(handle(front, msg, len, NOW, out, &r) == SIP_FRONT_VERIFIED);
    CHECK(span_is(msg, r.user, "alice") && span_is(msg, r.host, "example.com"));
    CHECK(span_is(msg, r.contact_uri, "sip:alice@127.0.0.1:5000"));
    CHECK(span_is(msg, r.contact_params, ";expires=300;foo"));
    CHECK(span_is(msg, r.expires, "600") && span_is(msg, r.call_id, "c1@gen"));
    CHECK(span_is(msg, r.user_agent, "ucserver-loadgen") && r.supported.off == UINT32_MAX);
    CHECK(r.cseq == 2 && r.nc == 1 && r.issued_at == (double)(uint64_t)((NOW - 1) * 1000.0) / 1000.0);
    CHECK(r.nonce.len == SIP_DIGEST_NONCE_LEN && r.dest_port == 5000);
    out[r.len] = 0;
    CHECK(strncmp((char *)out, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5000;branch=z9hG4bKr2;rport=5000;"
                               "received=127.0.0.1\r\nFrom: <sip:alice@example.com>;tag=c1\r\n"
                               "To: <sip:alice@example.com>;tag=", 140) == 0);
    CHECK(strstr((char *)out, "\r\nCall-ID: c1@gen\r\nCSeq: 2 REGISTER\r\nContent-Length: 0\r\n") != NULL);
    CHECK(strstr((char *)out, PREFIX) == NULL); /* the registrar's tag, not a stateless one */
    /* the caller completes and sends the answer; a retransmission gets those bytes */
    char answer[SIP_FRONT_ANSWER_MAX];
    memcpy(answer, out, r.len);
    memcpy(answer + r.len, "Contact: <x>\r\n\r\n", 16);
    size_t answer_len = r.len + 16;
    CHECK(sip_front_registered(front, (const uint8_t *)answer, answer_len, NOW + 32) == 0);
    CHECK(sip_front_registered(front, (const uint8_t *)answer, answer_len, NOW + 32) < 0); /* once */
    CHECK(handle(front, msg, len, NOW + 31, out, &r) == SIP_FRONT_RESEND);
    CHECK(r.len == answer_len && memcmp(out, answer, answer_len) == 0 && r.dest_port == 5000);
    CHECK(handle(front, msg, len, NOW + 33, out, &r) == SIP_FRONT_VERIFIED); /* past Timer J */
    sip_front_declined(front);
    sip_front_counters_t c;
    sip_front_counters(front, &c);
    CHECK(c.registered == 1 && c.resent == 1 && c.passed == 1);
}

static void test_outside_the_subset_passes(sip_front_t *front)
{
    char msg[2048];
    uint8_t out[SIP_FRONT_ANSWER_MAX];
    sip_front_result_t r;
    struct {
        const char *user, *cred_user, *contact, *password;
        double age;
    } cases[] = {
        {"alice", "alice", "<sip:alice@127.0.0.1>", "wrong", 1},                   /* wrong response */
        {"alice", "alice", "<sip:alice@127.0.0.1>", "secret", 400},                /* stale */
        {"alice", "alice", "<sip:alice@127.0.0.1>", "secret", -5},                 /* from the future */
        {"bob", "bob", "<sip:bob@127.0.0.1>", "secret", 1},                        /* not in the table */
        {"bob", "alice", "<sip:bob@127.0.0.1>", "secret", 1},                      /* another AOR */
        {"alice", "alice", "<sip:alice@127.0.0.1>;+sip.instance=\"<urn:uuid:1>\"", "secret", 1},
        {"alice", "alice", "<sip:alice@127.0.0.1>;reg-id=1", "secret", 1},
        {"alice", "alice", "<sip:alice@127.0.0.1>, <sip:alice@127.0.0.2>", "secret", 1},
        {"alice", "alice", "sip:alice@127.0.0.1", "secret", 1},                    /* no brackets */
        {"alice", "alice", "<sip:alice@127.0.0.1>; expires=60", "secret", 1},      /* whitespace */
        {"alice", "alice", "<sip:alice@127.0.0.1>;q=0.5", "secret", 1},
        {"alice", "alice", "*", "secret", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = make_register(msg, sizeof msg, cases[i].user, cases[i].cred_user, cases[i].contact, 10 + (int)i,
                                   1, NOW - cases[i].age, cases[i].password);
        CHECK(len > 0);
        int verdict = handle(front, msg, len, NOW, out, &r);
        if (verdict != SIP_FRONT_PASS)
            fprintf(stderr, "case %zu: verdict %d\n", i, verdict);
        CHECK(verdict == SIP_FRONT_PASS);
    }
    /* damaged credentials: each parameter's first character changed */
    size_t len = make_register(msg, sizeof msg, "alice", "alice", "<sip:alice@127.0.0.1>", 40, 1, NOW - 1, "secret");
    const char *names[] = {"username=\"", "realm=\"", "nonce=\"", "uri=\"", "response=\"", "algorithm=",
                           "qop=", "nc=", "cnonce=\"", "opaque=\""};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char copy[2048];
        memcpy(copy, msg, len);
        char *at = strstr(copy, names[i]);
        CHECK(at != NULL);
        if (at == NULL)
            continue;
        at += strlen(names[i]);
        *at = *at == 'x' ? 'y' : 'x';
        CHECK(handle(front, copy, len, NOW, out, &r) == SIP_FRONT_PASS);
    }
    /* a duplicate parameter, a second scheme: left to Python */
    const char *extras[] = {", nc=00000002", ", Basic abc"};
    for (size_t i = 0; i < 2; i++) {
        char copy[2100];
        char *at = strstr(msg, "\r\nContent-Length");
        size_t head = (size_t)(at - msg);
        memcpy(copy, msg, head);
        size_t n = head + (size_t)sprintf(copy + head, "%s%s", extras[i], msg + head);
        CHECK(handle(front, copy, n, NOW, out, &r) == SIP_FRONT_PASS);
    }
    CHECK(handle(front, msg, len, NOW, out, &r) == SIP_FRONT_VERIFIED); /* the undamaged one */
    sip_front_declined(front);
    /* switched off; the user dropped */
    sip_front_set_register(front, 0);
    CHECK(handle(front, msg, len, NOW, out, &r) == SIP_FRONT_PASS);
    sip_front_set_register(front, 1);
    CHECK(sip_front_drop_user(front, "alice", 5, "example.com", 11) == 0 && sip_front_users(front) == 0);
    CHECK(handle(front, msg, len, NOW, out, &r) == SIP_FRONT_PASS);
    /* every prefix: never VERIFIED, never a read past the end (ASan) */
    char ha1[65];
    sip_digest_hash_hex(SIP_DIGEST_MD5, "alice:example.com:secret", 24, ha1, sizeof ha1);
    CHECK(sip_front_set_user(front, "alice", 5, "example.com", 11, SIP_DIGEST_MD5, ha1, 32) == 0);
    for (size_t n = 0; n < len; n++) {
        char *copy = malloc(n ? n : 1);
        memcpy(copy, msg, n);
        int verdict = sip_front_handle(front, (const uint8_t *)copy, n, "127.0.0.1", 9, 5000, NOW, out,
                                       SIP_FRONT_ANSWER_MAX, &r);
        CHECK(verdict == SIP_FRONT_PASS);
        free(copy);
    }
}

int main(void)
{
    sip_front_t *front = make_front();
    if (front != NULL) {
        test_verified_values_and_answer(front);
        test_outside_the_subset_passes(front);
        sip_front_destroy(front);
    }
    return check_finish("test_sip_front_register");
}
