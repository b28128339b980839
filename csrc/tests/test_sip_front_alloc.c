/* The front's datagram path allocates nothing: after sip_front_create and its configuration
 * (realms, digest rules, the HA1 table), challenges (with their HMAC-SHA256 nonces),
 * verified authenticated REGISTERs, retransmissions, ACKs and passed datagrams are handled
 * with every allocation counted (alloc_count.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_digest.h"
#include "sip_front.h"

#include "alloc_count.h"
#include "check.h"

static const char SECRET[] = "front-alloc-secret-0123456789abcdef";

static int feed(sip_front_t *front, const char *msg, double now)
{
    uint8_t out[SIP_FRONT_ANSWER_MAX];
    sip_front_result_t result;
    return sip_front_handle(front, (const uint8_t *)msg, strlen(msg), "127.0.0.1", 9, 5060, now, out, sizeof out,
                            &result);
}

int main(void)
{
    install_counter();
    sip_front_config_t config = {(const uint8_t *)SECRET, strlen(SECRET), "sl00.", 5, 64, 4.0, 1};
    sip_front_t *front = sip_front_create(&config);
    CHECK(front != NULL);
    if (front == NULL)
        return check_finish("test_sip_front_alloc");
    const char *head = "Digest realm=\"example.com\", qop=\"auth\", nonce=\"", *tail = "\", algorithm=MD5";
    size_t head_len = strlen(head), tail_len = strlen(tail);
    CHECK(sip_front_set_realm(front, "example.com", 11, SIP_FRONT_UAS, &head, &head_len, &tail, &tail_len, 1) == 0);
    CHECK(sip_front_set_realm(front, "example.com", 11, SIP_FRONT_PROXY, &head, &head_len, &tail, &tail_len, 1) == 0);
    /* authenticated REGISTERs (VERIFIED): the digest rules, a user and a nonce set up first */
    CHECK(sip_front_set_digest(front, "example.com", 11, "", 0, SIP_DIGEST_MD5, 300.0) == 0);
    char ha1[65], ha2[65], response[65], text[256], nonce[SIP_DIGEST_NONCE_LEN + 1] = {0};
    sip_digest_hash_hex(SIP_DIGEST_MD5, "alice:example.com:pw", 20, ha1, sizeof ha1);
    sip_digest_hash_hex(SIP_DIGEST_MD5, "REGISTER:sip:example.com", 24, ha2, sizeof ha2);
    CHECK(sip_front_set_user(front, "alice", 5, "example.com", 11, SIP_DIGEST_MD5, ha1, 32) == 0);
    sip_digest_t *digest = sip_digest_create((const uint8_t *)SECRET, strlen(SECRET), "example.com", 11, "", 0,
                                             SIP_DIGEST_MD5, 300.0);
    sip_digest_make_nonce(digest, 1.8e9, (const uint8_t *)"saltsalt", nonce);
    sip_digest_destroy(digest);
    sip_front_set_register(front, 1);
    char msg[1024];
    int verdicts[5] = {0};
    counting = 1;
    for (int i = 0; i < 500; i++) {
        const char *method = i % 3 == 0 ? "REGISTER" : i % 3 == 1 ? "INVITE" : "MESSAGE";
        snprintf(msg, sizeof msg,
                 "%s sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK%d;rport\r\n"
                 "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=%d\r\nTo: <sip:bob@example.com>\r\n"
                 "Call-ID: %d@h\r\nCSeq: 1 %s\r\nContent-Length: 0\r\n\r\n",
                 method, i % 3 == 0 ? "example.com" : "bob@example.com", i, i, i, method);
        verdicts[feed(front, msg, 1.8e9 + i * 0.01)]++;
        verdicts[feed(front, msg, 1.8e9 + i * 0.01 + 0.5)]++; /* the retransmission */
        snprintf(msg, sizeof msg,
                 "ACK sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK%d\r\n"
                 "From: <sip:alice@example.com>;tag=%d\r\nTo: <sip:bob@example.com>;tag=sl00.%08x\r\n"
                 "Call-ID: %d@h\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n", i, i, (unsigned)i, i);
        verdicts[feed(front, msg, 1.8e9)]++;
        verdicts[feed(front, "OPTIONS sip:x SIP/2.0\r\n\r\n", 1.8e9)]++;
    }
    for (int i = 0; i < 500; i++) {
        snprintf(text, sizeof text, "%s:%s:%08x:c:auth:%s", ha1, nonce, (unsigned)(i + 1), ha2);
        sip_digest_hash_hex(SIP_DIGEST_MD5, text, strlen(text), response, sizeof response);
        snprintf(msg, sizeof msg,
                 "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa%d;rport\r\n"
                 "From: <sip:alice@example.com>;tag=%d\r\nTo: <sip:alice@example.com>\r\nCall-ID: a@h\r\n"
                 "CSeq: %d REGISTER\r\nContact: <sip:alice@10.0.0.1>;expires=60\r\n"
                 "Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"%s\", "
                 "uri=\"sip:example.com\", response=\"%s\", qop=auth, nc=%08x, cnonce=\"c\"\r\n"
                 "Content-Length: 0\r\n\r\n",
                 i, i, i + 1, nonce, response, (unsigned)(i + 1));
        int verdict = feed(front, msg, 1.8e9 + 1);
        verdicts[verdict]++;
        if (verdict == SIP_FRONT_VERIFIED)
            CHECK(sip_front_registered(front, (const uint8_t *)"SIP/2.0 200 OK\r\n\r\n", 19, 1.8e9 + 33) == 0);
        verdicts[feed(front, msg, 1.8e9 + 2)]++; /* the retransmission */
    }
    counting = 0;
    CHECK(verdicts[SIP_FRONT_VERIFIED] == 500);
    CHECK(verdicts[SIP_FRONT_ANSWER] == 500 && verdicts[SIP_FRONT_RESEND] == 1000);
    CHECK(verdicts[SIP_FRONT_ABSORB] == 500 && verdicts[SIP_FRONT_PASS] == 500);
    if (allocations != 0)
        fprintf(stderr, "test_sip_front_alloc: %lu allocations on the datagram path\n", allocations);
    CHECK(allocations == 0);
    sip_front_destroy(front);
    return check_finish("test_sip_front_alloc");
}
