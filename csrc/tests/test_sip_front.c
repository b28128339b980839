/* csrc/sip_front.c: the challenge it writes (byte for byte but for nonce and tag), the
 * nonce's HMAC, retransmissions, ACK absorption, and the datagrams it must pass. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sip_front.h"

static const char SECRET[] = "front-test-secret-0123456789abcdef";
static const char PREFIX[] = "sl1a2b3c.";
static const double NOW = 1795680000.25;

static const char *REGISTER =
    "REGISTER sip:example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5000;branch=z9hG4bKc1x1;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:alice@example.com>;tag=c1\r\n"
    "To: <sip:alice@example.com>\r\n"
    "Call-ID: c1@gen\r\n"
    "CSeq: 1 REGISTER\r\n"
    "Contact: <sip:alice@127.0.0.1:5000>\r\n"
    "Expires: 3600\r\n"
    "User-Agent: ucserver-loadgen\r\n"
    "Content-Length: 0\r\n\r\n";

static const char *INVITE =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.7:7000;branch=z9hG4bKinv1\r\n"
    "From: <sip:alice@example.com>;tag=a1\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: call1@bench\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:alice@127.0.0.1:7000>\r\n"
    "Max-Forwards: 70\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 10\r\n\r\n"
    "v=0\r\ns=-\r\n";

static sip_front_t *make_front(void)
{
    sip_front_config_t config = {(const uint8_t *)SECRET, strlen(SECRET), PREFIX, strlen(PREFIX), 64, 4.0, 7};
    sip_front_t *front = sip_front_create(&config);
    const char *heads[2] = {"Digest realm=\"example.com\", qop=\"auth\", nonce=\"",
                            "Digest realm=\"example.com\", qop=\"auth\", nonce=\""};
    const char *tails[2] = {"\", algorithm=SHA-256, opaque=\"op\"", "\", algorithm=MD5, opaque=\"op\""};
    size_t head_lens[2] = {strlen(heads[0]), strlen(heads[1])};
    size_t tail_lens[2] = {strlen(tails[0]), strlen(tails[1])};
    CHECK(front != NULL);
    if (front == NULL)
        return NULL;
    CHECK(sip_front_set_realm(front, "example.com", 11, SIP_FRONT_UAS, heads, head_lens, tails, tail_lens, 2) == 0);
    CHECK(sip_front_set_realm(front, "example.com", 11, SIP_FRONT_PROXY, heads, head_lens, tails, tail_lens, 1) == 0);
    CHECK(sip_front_set_realm(front, "Example.com", 11, SIP_FRONT_PROXY, heads, head_lens, tails, tail_lens, 1) < 0);
    CHECK(sip_front_exclude_uri(front, "5551234@example.com", 19) == 0);
    return front;
}

static int handle(sip_front_t *front, const char *msg, size_t len, const char *host, uint16_t port, double now,
                  uint8_t *out, sip_front_result_t *result)
{
    return sip_front_handle(front, (const uint8_t *)msg, len, host, strlen(host), port, now, out,
                            SIP_FRONT_ANSWER_MAX, result);
}

static int b64url_value(char c)
{
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *at = strchr(alphabet, c);
    return c && at ? (int)(at - alphabet) : -1;
}

/* The nonce in `answer` decodes to issued-ms || salt || HMAC-SHA256(secret, those || realm)[:16]. */
static void check_nonce(const char *answer, double now)
{
    const char *start = strstr(answer, "nonce=\"");
    CHECK(start != NULL);
    if (start == NULL)
        return;
    start += 7;
    const char *end = strchr(start, '"');
    CHECK(end != NULL && end - start == 43);
    if (end == NULL || end - start != 43)
        return;
    uint8_t raw[33];
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (const char *p = start; p < end; p++) {
        int v = b64url_value(*p);
        CHECK(v >= 0);
        acc = (acc << 6) | (uint32_t)(v < 0 ? 0 : v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            raw[n++] = (uint8_t)(acc >> bits);
        }
    }
    CHECK(n == 32);
    uint64_t ms = 0;
    for (int i = 0; i < 8; i++)
        ms = (ms << 8) | raw[i];
    CHECK(ms == (uint64_t)(now * 1000.0));
    uint8_t input[16 + 11], mac[32];
    unsigned mac_len = 0;
    memcpy(input, raw, 16);
    memcpy(input + 16, "example.com", 11);
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), input, sizeof input, mac, &mac_len);
    CHECK(mac_len == 32 && memcmp(mac, raw + 16, 16) == 0);
}

/* `answer` with every nonce="..." and the To tag's random part blanked, for comparison. */
static void blank(char *answer)
{
    for (char *p = strstr(answer, "nonce=\""); p; p = strstr(p, "nonce=\"")) {
        p += 7;
        while (*p && *p != '"')
            *p++ = 'N';
    }
    char *tag = strstr(answer, PREFIX);
    if (tag)
        for (tag += strlen(PREFIX); *tag && *tag != '\r'; tag++)
            *tag = 'T';
}

static void test_register_challenge(void)
{
    sip_front_t *front = make_front();
    if (!front)
        return;
    uint8_t out[SIP_FRONT_ANSWER_MAX + 1], again[SIP_FRONT_ANSWER_MAX];
    sip_front_result_t r, r2;
    CHECK(handle(front, REGISTER, strlen(REGISTER), "127.0.0.1", 5000, NOW, out, &r) == SIP_FRONT_ANSWER);
    CHECK(r.method == SIP_FRONT_REGISTER && r.dest_port == 5000 && r.len > 0 && r.len <= SIP_FRONT_ANSWER_MAX);
    out[r.len] = 0;
    check_nonce((char *)out, NOW);
    memcpy(again, out, r.len);
    blank((char *)out);
    const char *expected =
        "SIP/2.0 401 Unauthorized\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5000;branch=z9hG4bKc1x1;rport=5000;received=127.0.0.1\r\n"
        "From: <sip:alice@example.com>;tag=c1\r\n"
        "To: <sip:alice@example.com>;tag=sl1a2b3c.TTTTTTTT\r\n"
        "Call-ID: c1@gen\r\n"
        "CSeq: 1 REGISTER\r\n"
        "Content-Length: 0\r\n"
        "WWW-Authenticate: Digest realm=\"example.com\", qop=\"auth\", "
        "nonce=\"NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN\", algorithm=SHA-256, opaque=\"op\"\r\n"
        "WWW-Authenticate: Digest realm=\"example.com\", qop=\"auth\", "
        "nonce=\"NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN\", algorithm=MD5, opaque=\"op\"\r\n\r\n";
    CHECK(strcmp((char *)out, expected) == 0);

    /* A retransmission within 4 s: the same bytes; after: a new challenge. */
    CHECK(handle(front, REGISTER, strlen(REGISTER), "127.0.0.1", 5000, NOW + 3.9, out, &r2) == SIP_FRONT_RESEND);
    CHECK(r2.len == r.len && memcmp(out, again, r.len) == 0 && r2.dest_port == 5000);
    CHECK(handle(front, REGISTER, strlen(REGISTER), "127.0.0.1", 5000, NOW + 4.1, out, &r2) == SIP_FRONT_ANSWER);
    CHECK(r2.len == r.len && memcmp(out, again, r.len) != 0);

    sip_front_counters_t c;
    sip_front_counters(front, &c);
    CHECK(c.answered[SIP_FRONT_REGISTER] == 2 && c.resent == 1 && c.passed == 0 && c.absorbed == 0);

    /* Disabled (draining): everything passes. */
    sip_front_set_enabled(front, 0);
    CHECK(handle(front, REGISTER, strlen(REGISTER), "127.0.0.1", 5000, NOW, out, &r) == SIP_FRONT_PASS);
    sip_front_destroy(front);
}

static void test_invite_challenge_and_ack(void)
{
    sip_front_t *front = make_front();
    if (!front)
        return;
    uint8_t out[SIP_FRONT_ANSWER_MAX + 1];
    sip_front_result_t r;
    CHECK(handle(front, INVITE, strlen(INVITE), "127.0.0.1", 40000, NOW, out, &r) == SIP_FRONT_ANSWER);
    CHECK(r.method == SIP_FRONT_INVITE && r.dest_port == 7000); /* no rport: the Via port */
    out[r.len] = 0;
    check_nonce((char *)out, NOW);
    char tag[64] = {0};
    const char *t = strstr((char *)out, ";tag=sl1a2b3c.");
    CHECK(t != NULL);
    if (t)
        sscanf(t + 5, "%40[^\r]", tag);
    blank((char *)out);
    const char *expected =
        "SIP/2.0 407 Proxy Authentication Required\r\n"
        "Via: SIP/2.0/UDP 10.0.0.7:7000;branch=z9hG4bKinv1;received=127.0.0.1\r\n"
        "From: <sip:alice@example.com>;tag=a1\r\n"
        "To: <sip:bob@example.com>;tag=sl1a2b3c.TTTTTTTT\r\n"
        "Call-ID: call1@bench\r\n"
        "CSeq: 1 INVITE\r\n"
        "Content-Length: 0\r\n"
        "Proxy-Authenticate: Digest realm=\"example.com\", qop=\"auth\", "
        "nonce=\"NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN\", algorithm=SHA-256, opaque=\"op\"\r\n\r\n";
    CHECK(strcmp((char *)out, expected) == 0);

    char ack[512];
    snprintf(ack, sizeof ack,
             "ACK sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.7:7000;branch=z9hG4bKinv1\r\n"
             "From: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@example.com>;tag=%s\r\n"
             "Call-ID: call1@bench\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", tag);
    CHECK(handle(front, ack, strlen(ack), "127.0.0.1", 40000, NOW, out, &r) == SIP_FRONT_ABSORB);
    /* An ACK with another tag (to a 2xx, a stateful answer) passes. */
    char *other = strstr(ack, "tag=sl1a2b3c.");
    if (other)
        other[4] = 'x';
    CHECK(handle(front, ack, strlen(ack), "127.0.0.1", 40000, NOW, out, &r) == SIP_FRONT_PASS);
    sip_front_counters_t c;
    sip_front_counters(front, &c);
    CHECK(c.answered[SIP_FRONT_INVITE] == 1 && c.absorbed == 1 && c.passed == 1);
    sip_front_destroy(front);
}

/* One edit of REGISTER or INVITE (find -> replace) that must make the front pass. */
static const struct {
    int invite;
    const char *find, *replace;
} PASSING[] = {
    {0, "Content-Length: 0\r\n", "Authorization: Digest username=\"alice\"\r\nContent-Length: 0\r\n"},
    {0, "Content-Length: 0\r\n", "Require: gruu\r\nContent-Length: 0\r\n"},
    {0, "Content-Length: 0\r\n", "Route: <sip:p.example.com;lr>\r\nContent-Length: 0\r\n"},
    {0, "Content-Length: 0\r\n", "X-Other: 1\r\nContent-Length: 0\r\n"},
    {0, "Content-Length: 0\r\n", "Content-Length: 1\r\n"},
    {0, "Call-ID: c1@gen", "i: c1@gen"},
    {0, "Call-ID: c1@gen", "call-id: c1@gen"},
    {0, "Call-ID: c1@gen", "Call-ID: c1@@gen"},
    {0, "Expires: 3600", "Expires: 3600\r\n 1"},
    {0, "Via: SIP/2.0/UDP 127.0.0.1:5000;", "Via: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKp\r\nVia: SIP/2.0/UDP 127.0.0.1:5000;"},
    {0, "127.0.0.1:5000;branch", "127.0.0.1:5000 ;branch"},
    {0, "branch=z9hG4bKc1x1", "branch=c1x1"},
    {0, ";rport", ";rport=5000"},
    {0, ";rport", ";rport;received=127.0.0.1"},
    {0, ";rport", ";Branch=z9hG4bKx"},
    {0, "SIP/2.0/UDP", "SIP/2.0/TCP"},
    {0, "REGISTER sip:example.com", "REGISTER sip:example.org"},
    {0, "REGISTER sip:example.com", "REGISTER sip:example.com;transport=udp"},
    {0, "To: <sip:alice@example.com>", "To: <sip:alice@example.org>"},
    {0, "To: <sip:alice@example.com>", "To: <sip:example.com>"},
    {0, "To: <sip:alice@example.com>", "To: \"Alice\" <sip:alice@example.com>"},
    {0, "To: <sip:alice@example.com>", "To: <sip:alice@example.com>;tag=x"},
    {0, "CSeq: 1 REGISTER", "CSeq: 1 INVITE"},
    {0, "Max-Forwards: 70", "Max-Forwards: 256"},
    {0, "Max-Forwards: 70", "Max-Forwards: 070"},
    {0, "Contact: <sip:alice@127.0.0.1:5000>", "Contact: *"},
    {0, "Contact: <sip:alice@127.0.0.1:5000>", "Contact: <sip:a@h>, <sip:b@h>"},
    {0, "Contact: <sip:alice@127.0.0.1:5000>", "Contact: <sip:alice@[::1]:5000>"},
    {0, "Contact: <sip:alice@127.0.0.1:5000>", "Contact: <sip:alice@127.0.0.1:5000>;expires=g0"},
    {0, "Contact: <sip:alice@127.0.0.1:5000>", "Contact: <sip:alice@127.0.0.1:5000>;expires"},
    {0, "Contact: <sip:alice@127.0.0.1:5000>", "Contact: <sip:alice@127.0.0.1:5000>;q=0.5"},
    {0, "Contact: <sip:alice@127.0.0.1:5000>", "Contact: <sip:alice@127.0.0.1:5000;transport=ud`>"},
    {0, "Contact: <sip:alice@127.0.0.1:5000>", "Contact: <sip:alice@127.0.0.1:5000>;x=\"a\\\"b\""},
    {0, "Contact: <sip:alice@127.0.0.1:5000>", "Contact: <sip:alice@127.0.0.1:5000>;x=\"caf\xc3\xa9\""},
    {0, "Contact: <sip:alice@127.0.0.1:5000>", "Contact: \"Alice\" <sip:alice@127.0.0.1:5000>"},
    {0, "User-Agent: ucserver-loadgen", "User-Agent: caf\xc3\xa9"},
    {0, "From: <sip:alice@example.com>;tag=c1", "From: <sip:alice@example.com>;tag=c1;tag=c2"},
    {0, "SIP/2.0\r\nVia", "SIP/2.1\r\nVia"},
    {1, "INVITE sip:bob@example.com", "INVITE sip:bob@example.com;opaque=app:conf:focus:id:1"},
    {1, "INVITE sip:bob@example.com", "INVITE sip:%62ob@example.com"},
    {1, "INVITE sip:bob@example.com", "INVITE sip:+15551234@example.com"},
    {1, "INVITE sip:bob@example.com", "INVITE sip:5551234@example.com"},
    {1, "INVITE sip:bob@example.com", "INVITE sip:example.com"},
    {1, "INVITE sip:bob@example.com", "INVITE sip:bob@example.org"},
    {1, "From: <sip:alice@example.com>", "From: <sip:alice@example.org>"},
    {1, "To: <sip:bob@example.com>", "To: <sip:bob@example.com>;tag=b1"},
    {1, "Max-Forwards: 70\r\n", ""},
    {1, "Max-Forwards: 70", "Max-Forwards: 0"},
    {1, "Content-Length: 10", "Content-Length: 9"},
    {1, "Content-Length: 10\r\n", "Proxy-Require: x\r\nContent-Length: 10\r\n"},
    {1, "Content-Length: 10\r\n", "Proxy-Authorization: Digest x=1\r\nContent-Length: 10\r\n"},
    {1, "Content-Type: application/sdp", "Content-Type: application/sdp;charset=x"},
};

static void test_passes(void)
{
    sip_front_t *front = make_front();
    if (!front)
        return;
    uint8_t out[SIP_FRONT_ANSWER_MAX];
    sip_front_result_t r;
    char msg[2048];
    for (size_t i = 0; i < sizeof PASSING / sizeof PASSING[0]; i++) {
        const char *base = PASSING[i].invite ? INVITE : REGISTER;
        const char *at = strstr(base, PASSING[i].find);
        CHECK(at != NULL);
        if (at == NULL)
            continue;
        snprintf(msg, sizeof msg, "%.*s%s%s", (int)(at - base), base, PASSING[i].replace,
                 at + strlen(PASSING[i].find));
        int verdict = handle(front, msg, strlen(msg), "127.0.0.1", 5000, NOW, out, &r);
        if (verdict != SIP_FRONT_PASS)
            fprintf(stderr, "case %zu answered: %s\n", i, msg);
        CHECK(verdict == SIP_FRONT_PASS);
    }
    /* The unedited ones do answer (the edits above are what made them pass). */
    CHECK(handle(front, REGISTER, strlen(REGISTER), "127.0.0.1", 5000, NOW, out, &r) == SIP_FRONT_ANSWER);
    CHECK(handle(front, INVITE, strlen(INVITE), "127.0.0.1", 5000, NOW, out, &r) == SIP_FRONT_ANSWER);
    /* IPv6 sources pass. */
    CHECK(handle(front, INVITE, strlen(INVITE), "::1", 5000, NOW + 10, out, &r) == SIP_FRONT_PASS);
    /* Every strict prefix passes (no CRLFCRLF, or a body shorter than Content-Length). */
    for (size_t n = 0; n < strlen(INVITE); n++)
        CHECK(handle(front, INVITE, n, "127.0.0.1", 5000, NOW + 20, out, &r) == SIP_FRONT_PASS);
    /* An answer larger than the caller's buffer passes rather than overflow it. */
    CHECK(sip_front_handle(front, (const uint8_t *)REGISTER, strlen(REGISTER), "127.0.0.1", 9, 1, NOW + 30, out, 100,
                           &r) == SIP_FRONT_PASS);
    sip_front_destroy(front);
}

static void test_bad_config(void)
{
    sip_front_config_t config = {(const uint8_t *)"short", 5, PREFIX, strlen(PREFIX), 64, 4.0, 1};
    CHECK(sip_front_create(&config) == NULL);
    CHECK(sip_front_create(NULL) == NULL);
}

int main(void)
{
    test_register_challenge();
    test_invite_challenge_and_ack();
    test_passes();
    test_bad_config();
    return check_finish("test_sip_front");
}
