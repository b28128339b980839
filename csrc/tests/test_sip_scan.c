/* C-level tests of csrc/sip_scan.c: the tricky parts of the RFC 4475 torture messages
 * (3.1.1.1 wsinv: folding, whitespace around colons, compact forms, escaped quotes in
 * display names, mixed case names; 3.1.2.x: bad start lines, unterminated quotes,
 * overlarge CSeq), digest credentials, and every prefix of every input scanned from a
 * buffer of exactly that length (under ASan: no read past the end). Exits non-zero if any
 * check failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_scan.h"
#include "uc_errors.h"

#include "check.h"

/* span text equals s */
static int span_is(const char *buf, sip_span_t sp, const char *s)
{
    size_t n = strlen(s);
    return sp.off != SIP_NO_SPAN && sp.len == n && memcmp(buf + sp.off, s, n) == 0;
}

/* RFC 4475 3.1.1.1 (wsinv.dat), header block and the start of the body. */
static const char WSINV[] =
    "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\r\n"
    "TO :\r\n"
    " sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\r\n"
    "from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n"
    "  ;\r\n"
    "  tag = 98asjd8\r\n"
    "MaX-fOrWaRdS: 0068\r\n"
    "Call-ID: wsinv.ndaksdj@192.0.2.1\r\n"
    "Content-Length   : 150\r\n"
    "cseq: 0009\r\n"
    "  INVITE\r\n"
    "Via  : SIP  /   2.0\r\n"
    " /UDP\r\n"
    "    192.0.2.2;branch=390skdjuw\r\n"
    "s :\r\n"
    "NewFangledHeader:   newfangled value\r\n"
    " continued newfangled value\r\n"
    "UnknownHeaderWithUnusualValue: ;;,,;;,;\r\n"
    "Content-Type: application/sdp\r\n"
    "Route:\r\n"
    " <sip:services.example.com;lr;unknownwith=value;unknown-no-value>\r\n"
    "v:  SIP  / 2.0  / TCP     spindle.example.com   ;\r\n"
    "  branch  =   z9hG4bK9ikj8  ,\r\n"
    " SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n"
    " z9hG4bK30239\r\n"
    "m:\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n"
    "      newvalue ;\r\n"
    "  secondparam ; q = 0.33\r\n"
    "\r\n"
    "v=0\r\n";

static const char REGISTER[] =
    "\r\n\r\n"
    "REGISTER sip:127.0.0.1:15060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:15070;branch=z9hG4bK-19915-1-2\r\n"
    "From: <sip:alice@127.0.0.1>;tag=19915SIPpTag001\r\n"
    "Call-ID: 1-19915@127.0.0.1\r\n"
    "To: <sip:alice@127.0.0.1>\r\n"
    "CSeq: 2 REGISTER\r\n"
    "Contact: <sip:alice@127.0.0.1:15070>;expires=3600\r\n"
    "Authorization: Digest username=\"alice\",realm=\"127.0.0.1\",nc=00000001,qop=auth,"
    "uri=\"sip:127.0.0.1:15060\",response=\"746566fccd6bb3b516681179226beea0\",algorithm=MD5\r\n"
    "l: 0\r\n"
    "\r\n";

#define MAX_FIELDS 64

static void test_wsinv_head(void)
{
    sip_message_span_t ms;
    sip_split_message(WSINV, sizeof(WSINV) - 1, &ms);
    CHECK(ms.head_off == 0);
    CHECK(memcmp(WSINV + ms.body_off, "v=0\r\n", 5) == 0);
    const char *head = WSINV + ms.head_off;
    sip_head_t h;
    sip_field_t f[MAX_FIELDS];
    int reason = -1;
    int n = sip_scan_head(head, ms.head_len, &h, f, MAX_FIELDS, &reason);
    CHECK(n == 14);
    CHECK(reason == SIP_OK);
    CHECK(h.start_kind == SIP_START_REQUEST);
    CHECK(span_is(head, h.start.a, "INVITE"));
    CHECK(span_is(head, h.start.b, "sip:vivekg@chair-dnrc.example.com;unknownparam"));
    CHECK(span_is(head, h.start.c, "SIP/2.0"));
    CHECK(h.content_length == 150);
    if (n != 14)
        return;
    /* "TO :" then a continuation line: name trimmed, value starts after the fold. */
    CHECK(span_is(head, f[0].name, "TO") && f[0].id == SIP_H_TO && f[0].flags == 0);
    CHECK(span_is(head, f[0].value, "sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n"));
    /* from: folded inside the value, escaped quotes in the display name */
    CHECK(span_is(head, f[1].name, "from") && f[1].id == SIP_H_FROM);
    CHECK(f[1].flags == SIP_FIELD_FOLDED);
    CHECK(span_is(head, f[2].name, "MaX-fOrWaRdS") && f[2].id == SIP_H_MAX_FORWARDS);
    CHECK(span_is(head, f[2].value, "0068"));
    CHECK(f[3].id == SIP_H_CALL_ID);
    CHECK(span_is(head, f[4].name, "Content-Length") && f[4].id == SIP_H_CONTENT_LENGTH);
    CHECK(f[5].id == SIP_H_CSEQ && f[5].flags == SIP_FIELD_FOLDED);
    CHECK(f[6].id == SIP_H_VIA && span_is(head, f[6].name, "Via"));
    /* "s :" with an empty value: compact Subject */
    CHECK(span_is(head, f[7].name, "s") && f[7].id == SIP_H_SUBJECT && f[7].value.len == 0);
    CHECK(f[8].id == SIP_H_OTHER && f[8].flags == SIP_FIELD_FOLDED);
    CHECK(span_is(head, f[9].value, ";;,,;;,;"));
    CHECK(f[10].id == SIP_H_CONTENT_TYPE);
    CHECK(f[11].id == SIP_H_ROUTE && f[11].flags == 0);
    CHECK(span_is(head, f[11].value, "<sip:services.example.com;lr;unknownwith=value;unknown-no-value>"));
    CHECK(span_is(head, f[12].name, "v") && f[12].id == SIP_H_VIA && f[12].flags == SIP_FIELD_FOLDED);
    CHECK(span_is(head, f[13].name, "m") && f[13].id == SIP_H_CONTACT);
}

static void test_register(void)
{
    sip_message_span_t ms;
    sip_split_message(REGISTER, sizeof(REGISTER) - 1, &ms);
    CHECK(ms.head_off == 4); /* leading CRLFs skipped (RFC 3261 7.5) */
    CHECK(ms.body_off == sizeof(REGISTER) - 1);
    const char *head = REGISTER + ms.head_off;
    sip_head_t h;
    sip_field_t f[4];
    int reason;
    /* cap smaller than the field count: count still returned */
    int n = sip_scan_head(head, ms.head_len, &h, f, 4, &reason);
    CHECK(n == 8);
    CHECK(h.content_length == 0);
    CHECK(h.start_kind == SIP_START_REQUEST && span_is(head, h.start.a, "REGISTER"));
    CHECK(f[0].id == SIP_H_VIA && f[1].id == SIP_H_FROM && f[2].id == SIP_H_CALL_ID && f[3].id == SIP_H_TO);
}

static void test_malformed_lines(void)
{
    /* no colon; a name with a space; a trailing CRLF (an empty last line, as Python's
     * split gives); a name continued over a fold */
    const char *head = "OPTIONS sip:a@b SIP/2.0\r\nNoColon\r\nBad Name: x\r\nSub\r\n ject: y\r\nSubject\r\n : ok\r\n";
    sip_head_t h;
    sip_field_t f[8];
    int reason;
    CHECK(sip_scan_head(head, strlen(head), &h, f, 8, &reason) == 5);
    CHECK(f[0].flags == SIP_FIELD_MALFORMED && span_is(head, f[0].value, "NoColon"));
    CHECK(f[1].flags == SIP_FIELD_MALFORMED);
    CHECK((f[2].flags & SIP_FIELD_MALFORMED) && (f[2].flags & SIP_FIELD_FOLDED));
    CHECK(f[3].flags == 0 && span_is(head, f[3].name, "Subject") && span_is(head, f[3].value, "ok"));
    CHECK(f[4].flags == SIP_FIELD_MALFORMED && f[4].value.len == 0);
    /* a start line with a continuation: flagged, not scanned */
    const char *folded = "OPTIONS sip:a@b\r\n SIP/2.0\r\nTo: x";
    CHECK(sip_scan_head(folded, strlen(folded), &h, f, 8, &reason) == 1);
    CHECK(h.start_flags == SIP_FIELD_FOLDED && h.start_kind == 0);
    /* conflicting Content-Lengths (RFC 4475 3.3.9 mcl01) and a non-number */
    const char *mcl = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 0\r\nl: 1";
    CHECK(sip_scan_head(mcl, strlen(mcl), &h, f, 8, &reason) == 2 && h.content_length == SIP_CL_UNREAD);
    const char *same = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 7\r\nl: 7";
    CHECK(sip_scan_head(same, strlen(same), &h, f, 8, &reason) == 2 && h.content_length == 7);
    const char *big = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 99999999999";
    CHECK(sip_scan_head(big, strlen(big), &h, f, 8, &reason) == 1 && h.content_length == SIP_CL_UNREAD);
}

static void test_start_lines(void)
{
    sip_start_line_t st;
    const char *ok = "SIP/2.0 200 OK";
    CHECK(sip_scan_start_line(ok, strlen(ok), &st) == SIP_START_RESPONSE && st.status == 200);
    CHECK(span_is(ok, st.c, "OK"));
    const char *noreason = "SIP/2.0 100 "; /* RFC 4475 3.1.1.13: empty reason phrase */
    CHECK(sip_scan_start_line(noreason, strlen(noreason), &st) == SIP_START_RESPONSE && st.c.len == 0);
    const char *bare = "SIP/2.0 100";
    CHECK(sip_scan_start_line(bare, strlen(bare), &st) == SIP_START_RESPONSE && st.c.len == 0);
    const char *vers = "OPTIONS sip:t.example.com SIP/7.0"; /* 3.1.2.16: parses; 505 later */
    CHECK(sip_scan_start_line(vers, strlen(vers), &st) == SIP_START_REQUEST && span_is(vers, st.c, "SIP/7.0"));
    const char *bad[] = {
        "INVITE  sip:a@b SIP/2.0",        /* 3.1.2.7 lwsstart: two spaces */
        "INVITE sip:a@b  SIP/2.0",        /* 3.1.2.8 trws */
        "INVITE <sip:a@b> SIP/2.0",       /* 3.1.2.9 ltgtruri */
        "INVITE sip:user@example.com; lr SIP/2.0", /* 3.1.2.10 lwsruri */
        "SIP/2.0 4294967301 better not break the receiver", /* 3.1.2.5 bigcode */
        "SIP/2.0 099 Low",
        "INVITE sip:a@b SIP/2.0 ",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(sip_scan_start_line(bad[i], strlen(bad[i]), &st) == UC_ERR_MALFORMED);
}

static void test_via(void)
{
    sip_via_t v;
    sip_param_t p[8];
    int reason;
    const char *lws = "SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8  ";
    CHECK(sip_scan_via(lws, strlen(lws), &v, p, 8, &reason) == 1);
    CHECK(span_is(lws, v.transport, "TCP") && span_is(lws, v.host, "spindle.example.com") && v.port == -1);
    CHECK(span_is(lws, p[0].name, "branch") && span_is(lws, p[0].value, "z9hG4bK9ikj8"));
    const char *v6 = "SIP/2.0/UDP [2001:db8::9:1]:5061;received=[2001:db8::9:255];rport;maddr=\"x y\"";
    CHECK(sip_scan_via(v6, strlen(v6), &v, p, 8, &reason) == 3);
    CHECK(span_is(v6, v.host, "[2001:db8::9:1]") && v.port == 5061);
    CHECK(span_is(v6, p[1].name, "rport") && p[1].value.off == SIP_NO_SPAN);
    CHECK(span_is(v6, p[2].value, "\"x y\""));
    /* too small an array: UC_ERR_NOSPACE and the count needed */
    CHECK(sip_scan_via(v6, strlen(v6), &v, p, 2, &reason) == UC_ERR_NOSPACE && reason == SIP_ERR_NOSPACE);
    CHECK(v.n_params == 3);
    const char *ver = "SIP/7.0/UDP host";
    CHECK(sip_scan_via(ver, strlen(ver), &v, p, 8, &reason) == UC_ERR_UNSUPPORTED && reason == SIP_ERR_VIA_VERSION);
    const char *proto = "FOO/2.0/UDP host";
    CHECK(sip_scan_via(proto, strlen(proto), &v, p, 8, &reason) == UC_ERR_MALFORMED && reason == SIP_ERR_VIA_PROTOCOL);
    const char *branch = "SIP/2.0/UDP host;branch=\"z9hG4bK"; /* unterminated quote */
    CHECK(sip_scan_via(branch, strlen(branch), &v, p, 8, &reason) == UC_ERR_MALFORMED && reason == SIP_ERR_PARAMS);
    const char *nohost = "SIP/2.0/UDP ;branch=1";
    CHECK(sip_scan_via(nohost, strlen(nohost), &v, p, 8, &reason) == UC_ERR_MALFORMED && reason == SIP_ERR_VIA);
    const char *port6 = "SIP/2.0/UDP host:123456";
    CHECK(sip_scan_via(port6, strlen(port6), &v, p, 8, &reason) == UC_ERR_MALFORMED);
}

static void test_name_addr(void)
{
    sip_name_addr_t a;
    sip_param_t p[8];
    int reason;
    /* wsinv From after unfolding: escaped backslash and quote in the display name */
    const char *from = "\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com> ; tag = 98asjd8";
    CHECK(sip_scan_name_addr(from, strlen(from), &a, p, 8, &reason) == 1);
    CHECK(span_is(from, a.display, "J Rosenberg \\\\\\\"") && a.display_quoted == 2);
    CHECK(span_is(from, a.uri, "sip:jdrosen@example.com"));
    CHECK(span_is(from, p[0].name, "tag") && span_is(from, p[0].value, "98asjd8"));
    const char *tokens = "Bob  Smith<sip:bob@example.com>;tag=1";
    CHECK(sip_scan_name_addr(tokens, strlen(tokens), &a, p, 8, &reason) == 1);
    CHECK(span_is(tokens, a.display, "Bob  Smith") && a.display_quoted == 0);
    const char *spec = "sip:user@example.com;tag=11141343";
    CHECK(sip_scan_name_addr(spec, strlen(spec), &a, p, 8, &reason) == 1);
    CHECK(a.display.off == SIP_NO_SPAN && span_is(spec, a.uri, "sip:user@example.com"));
    const char *contact = "\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam = newvalue ; secondparam ; q = 0.33";
    CHECK(sip_scan_name_addr(contact, strlen(contact), &a, p, 8, &reason) == 3);
    CHECK(span_is(contact, p[1].name, "secondparam") && p[1].value.off == SIP_NO_SPAN);
    CHECK(span_is(contact, p[2].value, "0.33"));
    const char *bad[] = {
        "\"Mr. J. User <sip:j.user@example.com>",   /* 3.1.2.13 quotbal: unterminated */
        "sip:user@example.com?Route=%3Csip:x%3E", /* 3.1.2.13 regescrt: '?' outside <> */
        "<sip:user@example.com",
        "Bob <sip:bob@example.com> tag=1",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(sip_scan_name_addr(bad[i], strlen(bad[i]), &a, p, 8, &reason) < 0);
    /* U+00A0 (UTF-8 C2 A0) ends a URI as whitespace does */
    const char *nbsp = "<sip:a\xc2\xa0@b>";
    CHECK(sip_scan_name_addr(nbsp, strlen(nbsp), &a, p, 8, &reason) < 0);
}

static void test_cseq(void)
{
    uint32_t seq;
    sip_span_t digits, method;
    int reason;
    const char *ok = " 0009  INVITE ";
    CHECK(sip_scan_cseq(ok, strlen(ok), &seq, &digits, &method, &reason) == 0 && seq == 9);
    CHECK(span_is(ok, method, "INVITE"));
    const char *big = "36893488147419103232 INVITE"; /* 3.1.2.4 scalarlg */
    CHECK(sip_scan_cseq(big, strlen(big), &seq, &digits, &method, &reason) == UC_ERR_MALFORMED);
    CHECK(reason == SIP_ERR_CSEQ_TOO_LARGE && span_is(big, digits, "36893488147419103232"));
    const char *limit = "2147483648 INVITE";
    CHECK(sip_scan_cseq(limit, strlen(limit), &seq, &digits, &method, &reason) == UC_ERR_MALFORMED);
    const char *max = "2147483647 INVITE";
    CHECK(sip_scan_cseq(max, strlen(max), &seq, &digits, &method, &reason) == 0 && seq == 2147483647u);
    const char *nomethod = "1";
    CHECK(sip_scan_cseq(nomethod, strlen(nomethod), &seq, &digits, &method, &reason) == UC_ERR_MALFORMED);
    CHECK(reason == SIP_ERR_CSEQ);
}

static void test_auth(void)
{
    sip_auth_item_t it[16];
    uint32_t needed;
    int reason;
    const char *cred = "Digest username=\"alice\", realm = \"a\\\"b\" ,nc=00000001,qop=auth  ";
    CHECK(sip_scan_auth(cred, strlen(cred), it, 16, &needed, &reason) == 5);
    CHECK(it[0].kind == SIP_AUTH_SCHEME && span_is(cred, it[0].name, "Digest"));
    CHECK(it[1].kind == SIP_AUTH_PARAM && span_is(cred, it[1].value, "alice") && it[1].quoted == 1);
    CHECK(span_is(cred, it[2].value, "a\\\"b") && it[2].quoted == 2);
    CHECK(span_is(cred, it[3].value, "00000001") && it[3].quoted == 0);
    /* two challenges on one line (RFC 7235 4.1) and a token68 */
    const char *two = "Digest realm=\"a\", nonce=\"n\", Basic realm=\"b\"";
    CHECK(sip_scan_auth(two, strlen(two), it, 16, &needed, &reason) == 5);
    CHECK(it[3].kind == SIP_AUTH_SCHEME && span_is(two, it[3].name, "Basic"));
    const char *t68 = "Bearer abc.def/ghi==";
    CHECK(sip_scan_auth(t68, strlen(t68), it, 16, &needed, &reason) == 2);
    CHECK(it[1].kind == SIP_AUTH_TOKEN68 && span_is(t68, it[1].value, "abc.def/ghi=="));
    CHECK(sip_scan_auth(cred, strlen(cred), it, 2, &needed, &reason) == UC_ERR_NOSPACE && needed == 5);
    const char *bad_param = "Digest realm=\"a\", nonce";
    CHECK(sip_scan_auth(bad_param, strlen(bad_param), it, 16, &needed, &reason) == UC_ERR_MALFORMED);
    CHECK(reason == SIP_ERR_AUTH_PARAM);
    const char *trailing = "Digest realm=\"a\" junk";
    CHECK(sip_scan_auth(trailing, strlen(trailing), it, 16, &needed, &reason) == UC_ERR_MALFORMED);
    CHECK(reason == SIP_ERR_AUTH_TRAILING);
    const char *empty = "   ";
    CHECK(sip_scan_auth(empty, strlen(empty), it, 16, &needed, &reason) == UC_ERR_MALFORMED);
    CHECK(reason == SIP_ERR_AUTH_EMPTY);
    const char *unterminated = "Digest realm=\"a";
    CHECK(sip_scan_auth(unterminated, strlen(unterminated), it, 16, &needed, &reason) == UC_ERR_MALFORMED);
}

static void test_params(void)
{
    sip_param_t p[4];
    uint32_t needed;
    int reason;
    const char *text = "application/sdp ; charset = \"utf-8\";boundary=x;lr";
    CHECK(sip_scan_params(text, strlen(text), 15, p, 4, &needed, &reason) == 3);
    CHECK(span_is(text, p[0].value, "\"utf-8\"") && span_is(text, p[2].name, "lr"));
    CHECK(sip_scan_params(text, strlen(text), 0, p, 4, &needed, &reason) == UC_ERR_MALFORMED);
    const char *eq = ";a =";
    CHECK(sip_scan_params(eq, strlen(eq), 0, p, 4, &needed, &reason) == UC_ERR_MALFORMED);
    CHECK(sip_is_token("INVITE", 6) && !sip_is_token("IN VITE", 7) && !sip_is_token("", 0));
}

/* Every prefix of `s`, copied into a heap buffer of exactly that length, through every
 * scanner: the results must stay inside the buffer (ASan catches any read past it). */
static void check_spans(sip_span_t sp, size_t len)
{
    if (sp.off != SIP_NO_SPAN)
        CHECK(sp.off <= len && sp.len <= len - sp.off);
}

static void truncations(const char *s)
{
    size_t total = strlen(s);
    for (size_t n = 0; n <= total; n++) {
        char *b = malloc(n ? n : 1);
        if (!b)
            abort();
        memcpy(b, s, n);
        sip_message_span_t ms;
        sip_split_message(b, n, &ms);
        CHECK(ms.head_off + ms.head_len <= n && ms.body_off <= n);
        sip_head_t h;
        sip_field_t f[MAX_FIELDS];
        int reason;
        int k = sip_scan_head(b + ms.head_off, ms.head_len, &h, f, MAX_FIELDS, &reason);
        CHECK(k >= 0);
        for (int i = 0; i < k && i < MAX_FIELDS; i++) {
            check_spans(f[i].name, ms.head_len);
            check_spans(f[i].value, ms.head_len);
        }
        sip_start_line_t st;
        (void)sip_scan_start_line(b, n, &st);
        sip_param_t p[8];
        sip_via_t v;
        if (sip_scan_via(b, n, &v, p, 8, &reason) >= 0) {
            check_spans(v.host, n);
            check_spans(v.transport, n);
        }
        sip_name_addr_t a;
        if (sip_scan_name_addr(b, n, &a, p, 8, &reason) >= 0) {
            check_spans(a.uri, n);
            check_spans(a.display, n);
        }
        uint32_t seq, needed;
        sip_span_t d, m;
        (void)sip_scan_cseq(b, n, &seq, &d, &m, &reason);
        sip_auth_item_t it[16];
        int c = sip_scan_auth(b, n, it, 16, &needed, &reason);
        for (int i = 0; i < c; i++) {
            check_spans(it[i].name, n);
            check_spans(it[i].value, n);
        }
        (void)sip_scan_params(b, n, 0, p, 8, &needed, &reason);
        free(b);
    }
}

int main(void)
{
    test_wsinv_head();
    test_register();
    test_start_lines();
    test_malformed_lines();
    test_via();
    test_name_addr();
    test_cseq();
    test_auth();
    test_params();
    truncations(WSINV);
    truncations(REGISTER);
    truncations("SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8  ");
    truncations("SIP/2.0/UDP [2001:db8::9:1]:5061;received=[2001:db8::9:255];rport;maddr=\"x\\\" y\"");
    truncations("\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com> ; tag = 98asjd8");
    truncations("Bob  Smith<sip:bob@example.com>;tag=1");
    truncations("<sip:a\xc2\xa0@b>;x=\xe2\x80");
    truncations("Digest username=\"alice\", realm = \"a\\\"b\" ,nc=00000001,qop=auth, Basic abc==");
    truncations("SIP/2.0 200 OK\r\n\r\n");
    return check_finish("test_sip_scan");
}
