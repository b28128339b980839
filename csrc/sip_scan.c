/* SIP message scanning; see sip_scan.h for the grammar and the contract. Every index is
 * checked against `len` before the octet is read. */
#include "sip_scan.h"

#include <string.h>

#include "uc_errors.h"

/* Character classes (RFC 3261 25.1). */
#define C_TOKEN 1u  /* alphanum - . ! % * _ + ` ' ~ */
#define C_WSP 2u    /* SP HT */
#define C_DIGIT 4u
#define C_ALPHA 8u
#define C_SCHEME 16u /* alphanum + - . (after the first letter) */
#define C_HOST 32u   /* alphanum - _ . */
#define C_HEX6 64u   /* hex digits : . (IPv6 reference) */
#define C_T68 128u   /* token68: alphanum - . _ ~ + / */

/* cls[c]: the classes of octet c (generated from the definitions above; octets >= 0x80
 * are in none). */
static const uint8_t cls[256] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 0x00 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 0x10 */
    0x02, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x91, 0x00, 0xb1, 0xf1, 0x80, /* 0x20 */
    0xf5, 0xf5, 0xf5, 0xf5, 0xf5, 0xf5, 0xf5, 0xf5, 0xf5, 0xf5, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, /* 0x30 */
    0x00, 0xf9, 0xf9, 0xf9, 0xf9, 0xf9, 0xf9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, /* 0x40 */
    0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0x00, 0x00, 0x00, 0x00, 0xa1, /* 0x50 */
    0x01, 0xf9, 0xf9, 0xf9, 0xf9, 0xf9, 0xf9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, /* 0x60 */
    0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0x00, 0x00, 0x00, 0x81, 0x00, /* 0x70 */
};

#define IS(c, k) (cls[(uint8_t)(c)] & (k))

static inline size_t skip_wsp(const char *b, size_t len, size_t p)
{
    while (p < len && IS(b[p], C_WSP))
        p++;
    return p;
}

static inline size_t skip_token(const char *b, size_t len, size_t p)
{
    while (p < len && IS(b[p], C_TOKEN))
        p++;
    return p;
}

static inline sip_span_t span(size_t a, size_t b)
{
    sip_span_t s = {(uint32_t)a, (uint32_t)(b - a)};
    return s;
}

static inline sip_span_t no_span(void)
{
    sip_span_t s = {SIP_NO_SPAN, 0};
    return s;
}

static inline int fail(int *reason, int why, int rc)
{
    if (reason)
        *reason = why;
    return rc;
}

/* Length of a whitespace character (Python's str `\s`) at b[p] read as UTF-8, or 0. */
static size_t space_len(const char *b, size_t len, size_t p)
{
    uint8_t c = (uint8_t)b[p];
    if ((c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20))
        return 1;
    if (c < 0x80)
        return 0;
    uint8_t c1 = p + 1 < len ? (uint8_t)b[p + 1] : 0;
    uint8_t c2 = p + 2 < len ? (uint8_t)b[p + 2] : 0;
    if (c == 0xc2 && (c1 == 0x85 || c1 == 0xa0))
        return 2;
    if (c == 0xe1 && c1 == 0x9a && c2 == 0x80)
        return 3;
    if (c == 0xe2 && c1 == 0x80 && ((c2 >= 0x80 && c2 <= 0x8a) || c2 == 0xa8 || c2 == 0xa9 || c2 == 0xaf))
        return 3;
    if (c == 0xe2 && c1 == 0x81 && c2 == 0x9f)
        return 3;
    if (c == 0xe3 && c1 == 0x80 && c2 == 0x80)
        return 3;
    return 0;
}

/* quoted-string at b[p] == '"': returns the index after the closing quote, or 0 if it does
 * not close on this line; *escaped set when it holds quoted-pairs. */
static size_t skip_quoted(const char *b, size_t len, size_t p, int *escaped)
{
    p++;
    while (p < len) {
        char c = b[p];
        if (c == '"')
            return p + 1;
        if (c == '\r' || c == '\n')
            return 0;
        if (c == '\\') {
            if (p + 1 >= len || b[p + 1] == '\r' || b[p + 1] == '\n')
                return 0;
            *escaped = 1;
            p += 2;
            continue;
        }
        p++;
    }
    return 0;
}

int sip_is_token(const char *buf, size_t len)
{
    return len > 0 && skip_token(buf, len, 0) == len;
}

/* ---- whole message ---- */

static inline int is_crlf(const char *b, size_t len, size_t p)
{
    return p + 1 < len && b[p] == '\r' && b[p + 1] == '\n';
}

void sip_split_message(const char *buf, size_t len, sip_message_span_t *out)
{
    size_t start = 0;
    while (is_crlf(buf, len, start))
        start += 2;
    size_t p = start;
    while (p + 3 < len) {
        const char *cr = memchr(buf + p, '\r', len - 3 - p);
        if (cr == NULL)
            break;
        p = (size_t)(cr - buf);
        if (buf[p + 1] == '\n' && buf[p + 2] == '\r' && buf[p + 3] == '\n') {
            out->head_off = (uint32_t)start;
            out->head_len = (uint32_t)(p - start);
            out->body_off = (uint32_t)(p + 4);
            return;
        }
        p++;
    }
    size_t end = len;
    if (end >= start + 2 && buf[end - 2] == '\r' && buf[end - 1] == '\n')
        end -= 2;
    out->head_off = (uint32_t)start;
    out->head_len = (uint32_t)(end - start);
    out->body_off = (uint32_t)len;
}

/* "SIP/" 1*DIGIT "." 1*DIGIT, any case; returns the end or 0. */
static size_t scan_version(const char *b, size_t len, size_t p)
{
    if (p + 4 > len || (b[p] | 0x20) != 's' || (b[p + 1] | 0x20) != 'i' || (b[p + 2] | 0x20) != 'p'
        || b[p + 3] != '/')
        return 0;
    p += 4;
    size_t d = p;
    while (p < len && IS(b[p], C_DIGIT))
        p++;
    if (p == d || p >= len || b[p] != '.')
        return 0;
    d = ++p;
    while (p < len && IS(b[p], C_DIGIT))
        p++;
    return p == d ? 0 : p;
}

int sip_scan_start_line(const char *buf, size_t len, sip_start_line_t *out)
{
    /* Request-Line */
    size_t p = skip_token(buf, len, 0);
    if (p > 0 && p < len && buf[p] == ' ') {
        size_t u = p + 1, q = u;
        if (q < len && IS(buf[q], C_ALPHA)) {
            q++;
            while (q < len && IS(buf[q], C_SCHEME))
                q++;
            if (q < len && buf[q] == ':') {
                while (q < len && buf[q] != ' ' && buf[q] != '\t' && buf[q] != '\r' && buf[q] != '\n')
                    q++;
                if (q < len && buf[q] == ' ') {
                    size_t v = scan_version(buf, len, q + 1);
                    if (v == len) {
                        out->a = span(0, p);
                        out->b = span(u, q);
                        out->c = span(q + 1, len);
                        out->status = 0;
                        return SIP_START_REQUEST;
                    }
                }
            }
        }
    }
    /* Status-Line */
    p = scan_version(buf, len, 0);
    if (p && p + 4 <= len && buf[p] == ' ' && buf[p + 1] >= '1' && buf[p + 1] <= '6'
        && IS(buf[p + 2], C_DIGIT) && IS(buf[p + 3], C_DIGIT)) {
        size_t s = p + 1, r = p + 4;
        if (r == len || buf[r] == ' ') {
            size_t rs = r == len ? len : r + 1;
            for (size_t i = rs; i < len; i++)
                if (buf[i] == '\r' || buf[i] == '\n')
                    return UC_ERR_MALFORMED;
            out->a = span(0, p);
            out->b = span(s, s + 3);
            out->c = span(rs, len);
            out->status = (buf[s] - '0') * 100 + (buf[s + 1] - '0') * 10 + (buf[s + 2] - '0');
            return SIP_START_RESPONSE;
        }
    }
    return UC_ERR_MALFORMED;
}

/* Known header names: lower-case spelling, id. Compact forms are single letters. */
struct known_name {
    const char *name;
    uint8_t len;
    uint8_t id;
};

#define KN(s, id) {s, sizeof(s) - 1, id}
static const struct known_name KNOWN[] = {
    KN("via", SIP_H_VIA), KN("from", SIP_H_FROM), KN("to", SIP_H_TO), KN("call-id", SIP_H_CALL_ID),
    KN("cseq", SIP_H_CSEQ), KN("contact", SIP_H_CONTACT), KN("max-forwards", SIP_H_MAX_FORWARDS),
    KN("content-length", SIP_H_CONTENT_LENGTH), KN("content-type", SIP_H_CONTENT_TYPE),
    KN("expires", SIP_H_EXPIRES), KN("authorization", SIP_H_AUTHORIZATION),
    KN("proxy-authorization", SIP_H_PROXY_AUTHORIZATION),
    KN("www-authenticate", SIP_H_WWW_AUTHENTICATE),
    KN("proxy-authenticate", SIP_H_PROXY_AUTHENTICATE), KN("route", SIP_H_ROUTE),
    KN("record-route", SIP_H_RECORD_ROUTE), KN("user-agent", SIP_H_USER_AGENT),
    KN("allow", SIP_H_ALLOW), KN("supported", SIP_H_SUPPORTED), KN("require", SIP_H_REQUIRE),
    KN("event", SIP_H_EVENT), KN("subscription-state", SIP_H_SUBSCRIPTION_STATE),
    KN("allow-events", SIP_H_ALLOW_EVENTS), KN("accept-contact", SIP_H_ACCEPT_CONTACT),
    KN("referred-by", SIP_H_REFERRED_BY), KN("request-disposition", SIP_H_REQUEST_DISPOSITION),
    KN("content-encoding", SIP_H_CONTENT_ENCODING), KN("reject-contact", SIP_H_REJECT_CONTACT),
    KN("identity-info", SIP_H_IDENTITY_INFO), KN("refer-to", SIP_H_REFER_TO),
    KN("subject", SIP_H_SUBJECT), KN("session-expires", SIP_H_SESSION_EXPIRES),
    KN("identity", SIP_H_IDENTITY),
};

/* RFC 3261 7.3.3 and the IANA registry: compact letter -> id (0: not a compact form). */
static uint8_t compact_id(char c)
{
    switch (c | 0x20) {
    case 'a': return SIP_H_ACCEPT_CONTACT;
    case 'b': return SIP_H_REFERRED_BY;
    case 'c': return SIP_H_CONTENT_TYPE;
    case 'd': return SIP_H_REQUEST_DISPOSITION;
    case 'e': return SIP_H_CONTENT_ENCODING;
    case 'f': return SIP_H_FROM;
    case 'i': return SIP_H_CALL_ID;
    case 'j': return SIP_H_REJECT_CONTACT;
    case 'k': return SIP_H_SUPPORTED;
    case 'l': return SIP_H_CONTENT_LENGTH;
    case 'm': return SIP_H_CONTACT;
    case 'n': return SIP_H_IDENTITY_INFO;
    case 'o': return SIP_H_EVENT;
    case 'r': return SIP_H_REFER_TO;
    case 's': return SIP_H_SUBJECT;
    case 't': return SIP_H_TO;
    case 'u': return SIP_H_ALLOW_EVENTS;
    case 'v': return SIP_H_VIA;
    case 'x': return SIP_H_SESSION_EXPIRES;
    case 'y': return SIP_H_IDENTITY;
    default: return SIP_H_OTHER;
    }
}

static uint16_t header_id(const char *name, size_t len)
{
    if (len == 1)
        return IS(name[0], C_ALPHA) ? compact_id(name[0]) : SIP_H_OTHER;
    for (size_t i = 0; i < sizeof(KNOWN) / sizeof(KNOWN[0]); i++) {
        if (KNOWN[i].len != len)
            continue;
        size_t j = 0;
        /* | 0x20 folds ASCII letters; the names hold only letters and '-' (0x2d, which
         * | 0x20 leaves alone and which no other octet maps to). */
        while (j < len && ((uint8_t)name[j] | 0x20) == (uint8_t)KNOWN[i].name[j])
            j++;
        if (j == len)
            return KNOWN[i].id;
    }
    return SIP_H_OTHER;
}

/* Trim SP/HT and folds (CRLF 1*WSP; inside a logical line every CRLF is one) from both
 * ends of [*a, *b). */
static void trim(const char *b, size_t *pa, size_t *pb)
{
    size_t a = *pa, e = *pb;
    for (;;) {
        if (a < e && IS(b[a], C_WSP))
            a++;
        else if (a + 1 < e && b[a] == '\r' && b[a + 1] == '\n')
            a += 2;
        else
            break;
    }
    for (;;) {
        if (e > a && IS(b[e - 1], C_WSP))
            e--;
        else if (e >= a + 2 && b[e - 2] == '\r' && b[e - 1] == '\n')
            e -= 2;
        else
            break;
    }
    *pa = a;
    *pb = e;
}

/* The end of the logical line starting at p (the index of its terminating CRLF, or len);
 * *folded set if it spans continuation lines; *colon = first ':' or SIZE_MAX. */
static size_t logical_line(const char *b, size_t len, size_t p, int *folded, size_t *colon)
{
    *folded = 0;
    *colon = SIZE_MAX;
    for (;;) {
        const char *cr = p < len ? memchr(b + p, '\r', len - p) : NULL;
        size_t e = cr ? (size_t)(cr - b) : len;
        if (*colon == SIZE_MAX) {
            const char *c = p < e ? memchr(b + p, ':', e - p) : NULL;
            if (c)
                *colon = (size_t)(c - b);
        }
        if (cr == NULL)
            return len;
        if (e + 1 < len && b[e + 1] == '\n') {
            if (e + 2 < len && IS(b[e + 2], C_WSP)) {
                *folded = 1;
                p = e + 2;
                continue;
            }
            return e;
        }
        p = e + 1; /* a lone CR is an ordinary octet */
    }
}

/* 1*10DIGIT <= 2**31-1, or -1. */
static int64_t plain_length(const char *b, size_t a, size_t e)
{
    if (e <= a || e - a > 10)
        return -1;
    int64_t v = 0;
    for (size_t i = a; i < e; i++) {
        if (!IS(b[i], C_DIGIT))
            return -1;
        v = v * 10 + (b[i] - '0');
    }
    return v <= 0x7fffffff ? v : -1;
}

int sip_scan_head(const char *buf, size_t len, sip_head_t *out, sip_field_t *fields,
                  size_t cap, int *reason)
{
    if (len > SIP_SCAN_MAX_LEN)
        return fail(reason, SIP_ERR_TOO_LONG, UC_ERR_MALFORMED);
    int folded;
    size_t colon;
    size_t e = logical_line(buf, len, 0, &folded, &colon);
    out->start_line = span(0, e);
    out->start_flags = folded ? SIP_FIELD_FOLDED : 0;
    out->start_kind = folded ? 0 : sip_scan_start_line(buf, e, &out->start);
    if (out->start_kind < 0)
        out->start_kind = 0;
    out->content_length = SIP_CL_ABSENT;
    sip_span_t cl_first = no_span();
    uint32_t n = 0;
    /* Python's split("\r\n") semantics: after every line break comes a line, maybe empty. */
    while (e < len) {
        size_t p = e + 2;
        e = logical_line(buf, len, p, &folded, &colon);
        sip_field_t f;
        f.flags = folded ? SIP_FIELD_FOLDED : 0;
        f.id = SIP_H_OTHER;
        size_t na = p, nb = colon == SIZE_MAX ? p : colon;
        if (colon != SIZE_MAX)
            trim(buf, &na, &nb);
        if (colon == SIZE_MAX || na != p || nb == na || skip_token(buf, nb, na) != nb) {
            f.flags |= SIP_FIELD_MALFORMED;
            f.name = span(p, p);
            f.value = span(p, e);
        } else {
            size_t va = colon + 1, vb = e;
            trim(buf, &va, &vb);
            f.name = span(na, nb);
            f.value = span(va, vb);
            /* Folds left after trimming are inside the value. */
            if (folded && !memchr(buf + va, '\r', vb - va))
                f.flags &= (uint16_t)~SIP_FIELD_FOLDED;
            f.id = header_id(buf + na, nb - na);
            if (f.id == SIP_H_CONTENT_LENGTH && out->content_length != SIP_CL_UNREAD) {
                int64_t v = (f.flags & SIP_FIELD_FOLDED) ? -1 : plain_length(buf, va, vb);
                if (v < 0)
                    out->content_length = SIP_CL_UNREAD;
                else if (cl_first.off == SIP_NO_SPAN) {
                    cl_first = f.value;
                    out->content_length = v;
                } else if (cl_first.len != f.value.len
                           || memcmp(buf + cl_first.off, buf + va, cl_first.len) != 0)
                    out->content_length = SIP_CL_UNREAD;
            }
        }
        if (n < cap)
            fields[n] = f;
        n++;
    }
    out->n_fields = n;
    if (reason)
        *reason = SIP_OK;
    return n > 0x7fffffff ? UC_ERR_MALFORMED : (int)n;
}

/* ---- parameters ---- */

int sip_scan_params(const char *buf, size_t len, size_t pos, sip_param_t *params, size_t cap,
                    uint32_t *needed, int *reason)
{
    size_t p = pos;
    uint32_t n = 0;
    while (p < len) {
        p = skip_wsp(buf, len, p);
        if (p >= len || buf[p] != ';')
            return fail(reason, SIP_ERR_PARAMS, UC_ERR_MALFORMED);
        p = skip_wsp(buf, len, p + 1);
        size_t na = p;
        p = skip_token(buf, len, p);
        if (p == na)
            return fail(reason, SIP_ERR_PARAMS, UC_ERR_MALFORMED);
        sip_param_t prm;
        prm.name = span(na, p);
        prm.value = no_span();
        size_t q = skip_wsp(buf, len, p);
        if (q < len && buf[q] == '=') {
            q = skip_wsp(buf, len, q + 1);
            size_t va = q;
            if (q < len && buf[q] == '"') {
                int escaped = 0;
                q = skip_quoted(buf, len, q, &escaped);
                if (q == 0)
                    return fail(reason, SIP_ERR_PARAMS, UC_ERR_MALFORMED);
            } else {
                while (q < len && (IS(buf[q], C_TOKEN) || buf[q] == ':' || buf[q] == '[' || buf[q] == ']'))
                    q++;
                if (q == va)
                    return fail(reason, SIP_ERR_PARAMS, UC_ERR_MALFORMED);
            }
            prm.value = span(va, q);
            p = skip_wsp(buf, len, q);
        } else {
            p = q;
        }
        if (n < cap)
            params[n] = prm;
        n++;
    }
    if (needed)
        *needed = n;
    if (n > cap)
        return fail(reason, SIP_ERR_NOSPACE, UC_ERR_NOSPACE);
    if (reason)
        *reason = SIP_OK;
    return (int)n;
}

/* ---- Via ---- */

int sip_scan_via(const char *buf, size_t len, sip_via_t *out, sip_param_t *params, size_t cap,
                 int *reason)
{
    if (len > SIP_SCAN_MAX_LEN)
        return fail(reason, SIP_ERR_TOO_LONG, UC_ERR_MALFORMED);
    size_t p = skip_wsp(buf, len, 0), a;
    sip_span_t parts[3];
    for (int i = 0; i < 3; i++) {
        if (i) {
            p = skip_wsp(buf, len, p);
            if (p >= len || buf[p] != '/')
                return fail(reason, SIP_ERR_VIA, UC_ERR_MALFORMED);
            p = skip_wsp(buf, len, p + 1);
        }
        a = p;
        p = skip_token(buf, len, p);
        if (p == a)
            return fail(reason, SIP_ERR_VIA, UC_ERR_MALFORMED);
        parts[i] = span(a, p);
    }
    a = p;
    p = skip_wsp(buf, len, p);
    if (p == a)
        return fail(reason, SIP_ERR_VIA, UC_ERR_MALFORMED);
    a = p;
    if (p < len && buf[p] == '[') {
        p++;
        while (p < len && IS(buf[p], C_HEX6))
            p++;
        if (p == a + 1 || p >= len || buf[p] != ']')
            return fail(reason, SIP_ERR_VIA, UC_ERR_MALFORMED);
        p++;
    } else {
        while (p < len && IS(buf[p], C_HOST))
            p++;
        if (p == a)
            return fail(reason, SIP_ERR_VIA, UC_ERR_MALFORMED);
    }
    out->host = span(a, p);
    out->port = -1;
    out->protocol = parts[0];
    out->version = parts[1];
    out->transport = parts[2];
    out->n_params = 0;
    /* The name and version are checked after the shape, before the port and the
     * parameters (the order of the messages a server answers with). */
    const char *proto = buf + parts[0].off;
    if (parts[0].len != 3 || (proto[0] | 0x20) != 's' || (proto[1] | 0x20) != 'i' || (proto[2] | 0x20) != 'p')
        return fail(reason, SIP_ERR_VIA_PROTOCOL, UC_ERR_MALFORMED);
    if (parts[1].len != 3 || memcmp(buf + parts[1].off, "2.0", 3) != 0)
        return fail(reason, SIP_ERR_VIA_VERSION, UC_ERR_UNSUPPORTED);
    size_t q = skip_wsp(buf, len, p);
    if (q < len && buf[q] == ':') {
        q = skip_wsp(buf, len, q + 1);
        size_t d = q;
        int32_t port = 0;
        while (q < len && IS(buf[q], C_DIGIT) && q - d < 5)
            port = port * 10 + (buf[q++] - '0');
        if (q == d)
            return fail(reason, SIP_ERR_PARAMS, UC_ERR_MALFORMED); /* ":" without a port */
        out->port = port;
        p = q;
    }
    p = skip_wsp(buf, len, p);
    uint32_t needed = 0;
    int rc = sip_scan_params(buf, len, p, params, cap, &needed, reason);
    out->n_params = needed;
    return rc;
}

/* ---- name-addr / addr-spec ---- */

/* scheme ":" at p; returns the index after ':' or 0. */
static size_t scan_scheme(const char *b, size_t len, size_t p)
{
    if (p >= len || !IS(b[p], C_ALPHA))
        return 0;
    p++;
    while (p < len && IS(b[p], C_SCHEME))
        p++;
    return p < len && b[p] == ':' ? p + 1 : 0;
}

/* The `[display] <uri> *WSP` form; returns the index after it, or 0. */
static size_t scan_name_addr_head(const char *b, size_t len, sip_name_addr_t *out)
{
    size_t p = skip_wsp(b, len, 0);
    out->display = no_span();
    out->display_quoted = 0;
    if (p < len && b[p] == '"') {
        int escaped = 0;
        size_t q = skip_quoted(b, len, p, &escaped);
        if (q == 0)
            return 0;
        out->display = span(p + 1, q - 1);
        out->display_quoted = escaped ? 2 : 1;
        p = q;
    } else if (p < len && IS(b[p], C_TOKEN)) {
        size_t a = p;
        p = skip_token(b, len, p);
        size_t last = p;
        for (;;) {
            size_t q = skip_wsp(b, len, p);
            if (q == p || q >= len || !IS(b[q], C_TOKEN))
                break;
            p = last = skip_token(b, len, q);
        }
        p = last;
        out->display = span(a, last);
    }
    p = skip_wsp(b, len, p);
    if (p >= len || b[p] != '<')
        return 0;
    size_t u = p + 1, q = scan_scheme(b, len, u);
    if (q == 0)
        return 0;
    while (q < len && b[q] != '<' && b[q] != '>' && space_len(b, len, q) == 0)
        q++;
    if (q >= len || b[q] != '>')
        return 0;
    out->uri = span(u, q);
    return skip_wsp(b, len, q + 1);
}

int sip_scan_name_addr(const char *buf, size_t len, sip_name_addr_t *out, sip_param_t *params,
                       size_t cap, int *reason)
{
    out->n_params = 0;
    if (len > SIP_SCAN_MAX_LEN)
        return fail(reason, SIP_ERR_TOO_LONG, UC_ERR_MALFORMED);
    size_t p = scan_name_addr_head(buf, len, out);
    if (p == 0) {
        out->display = no_span();
        out->display_quoted = 0;
        size_t u = skip_wsp(buf, len, 0), q = scan_scheme(buf, len, u), a = q;
        if (q == 0)
            return fail(reason, SIP_ERR_ADDRESS, UC_ERR_MALFORMED);
        while (q < len) {
            char c = buf[q];
            if (c == ';' || c == ',' || c == '<' || c == '>' || c == '"' || c == '?' || space_len(buf, len, q))
                break;
            q++;
        }
        if (q == a)
            return fail(reason, SIP_ERR_ADDRESS, UC_ERR_MALFORMED);
        out->uri = span(u, q);
        p = skip_wsp(buf, len, q);
    }
    uint32_t needed = 0;
    int rc = sip_scan_params(buf, len, p, params, cap, &needed, reason);
    out->n_params = needed;
    return rc;
}

/* ---- CSeq ---- */

int sip_scan_cseq(const char *buf, size_t len, uint32_t *seq, sip_span_t *digits,
                  sip_span_t *method, int *reason)
{
    size_t p = skip_wsp(buf, len, 0), d = p;
    uint64_t v = 0;
    while (p < len && IS(buf[p], C_DIGIT)) {
        if (v <= 0xffffffffu)
            v = v * 10 + (uint64_t)(buf[p] - '0');
        p++;
    }
    if (p == d)
        return fail(reason, SIP_ERR_CSEQ, UC_ERR_MALFORMED);
    *digits = span(d, p);
    size_t q = skip_wsp(buf, len, p);
    if (q == p)
        return fail(reason, SIP_ERR_CSEQ, UC_ERR_MALFORMED);
    size_t m = q;
    q = skip_token(buf, len, q);
    if (q == m || skip_wsp(buf, len, q) != len)
        return fail(reason, SIP_ERR_CSEQ, UC_ERR_MALFORMED);
    *method = span(m, q);
    if (v > 0x7fffffffu)
        return fail(reason, SIP_ERR_CSEQ_TOO_LARGE, UC_ERR_MALFORMED);
    *seq = (uint32_t)v;
    if (reason)
        *reason = SIP_OK;
    return 0;
}

/* ---- auth ---- */

/* `*WSP token *WSP "=" *WSP (quoted-string / token) *WSP` at p: end index or 0. */
static size_t scan_auth_param(const char *b, size_t len, size_t p, sip_auth_item_t *it)
{
    p = skip_wsp(b, len, p);
    size_t na = p;
    p = skip_token(b, len, p);
    if (p == na)
        return 0;
    it->kind = SIP_AUTH_PARAM;
    it->name = span(na, p);
    p = skip_wsp(b, len, p);
    if (p >= len || b[p] != '=')
        return 0;
    p = skip_wsp(b, len, p + 1);
    if (p < len && b[p] == '"') {
        int escaped = 0;
        size_t q = skip_quoted(b, len, p, &escaped);
        if (q == 0)
            return 0;
        it->quoted = escaped ? 2 : 1;
        it->value = span(p + 1, q - 1);
        p = q;
    } else {
        size_t va = p;
        p = skip_token(b, len, p);
        if (p == va)
            return 0;
        it->quoted = 0;
        it->value = span(va, p);
    }
    return skip_wsp(b, len, p);
}

/* `*WSP "," *WSP` at p: end index or 0. */
static size_t scan_comma(const char *b, size_t len, size_t p)
{
    p = skip_wsp(b, len, p);
    return p < len && b[p] == ',' ? skip_wsp(b, len, p + 1) : 0;
}

/* Does a new challenge (`*WSP token 1*WSP token *WSP "="`) start at p? */
static int new_scheme_at(const char *b, size_t len, size_t p)
{
    p = skip_wsp(b, len, p);
    size_t a = p;
    p = skip_token(b, len, p);
    if (p == a)
        return 0;
    a = p;
    p = skip_wsp(b, len, p);
    if (p == a)
        return 0;
    a = p;
    p = skip_token(b, len, p);
    if (p == a)
        return 0;
    p = skip_wsp(b, len, p);
    return p < len && b[p] == '=';
}

static inline int ascii_space(char c)
{
    return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
}

int sip_scan_auth(const char *buf, size_t len, sip_auth_item_t *items, size_t cap,
                  uint32_t *needed, int *reason)
{
    if (len > SIP_SCAN_MAX_LEN)
        return fail(reason, SIP_ERR_TOO_LONG, UC_ERR_MALFORMED);
    size_t end = len;
    while (end > 0 && ascii_space(buf[end - 1]))
        end--;
    size_t p = 0;
    uint32_t n = 0;
    sip_auth_item_t it;
#define EMIT()                  \
    do {                        \
        if (n < cap)            \
            items[n] = it;      \
        n++;                    \
    } while (0)
    while (p < end) {
        p = skip_wsp(buf, len, p);
        size_t a = p;
        p = skip_token(buf, len, p);
        if (p == a)
            return fail(reason, SIP_ERR_AUTH, UC_ERR_MALFORMED);
        size_t q = skip_wsp(buf, len, p);
        if (q == p && p != len)
            return fail(reason, SIP_ERR_AUTH, UC_ERR_MALFORMED);
        it.kind = SIP_AUTH_SCHEME;
        it.quoted = 0;
        it.name = span(a, p);
        it.value = no_span();
        EMIT();
        p = q;
        int have_params = 0, next_scheme = 0;
        while (p < end) {
            size_t pe = scan_auth_param(buf, len, p, &it);
            if (pe == 0) {
                if (have_params)
                    return fail(reason, SIP_ERR_AUTH_PARAM, UC_ERR_MALFORMED);
                size_t t = p;
                while (t < len && IS(buf[t], C_T68))
                    t++;
                if (t == p)
                    return fail(reason, SIP_ERR_AUTH, UC_ERR_MALFORMED);
                while (t < len && buf[t] == '=')
                    t++;
                it.kind = SIP_AUTH_TOKEN68;
                it.quoted = 0;
                it.name = no_span();
                it.value = span(p, t);
                EMIT();
                p = skip_wsp(buf, len, t);
                size_t c = scan_comma(buf, len, p);
                if (c && new_scheme_at(buf, len, c)) {
                    p = c;
                    next_scheme = 1;
                }
                break;
            }
            EMIT();
            have_params = 1;
            p = pe;
            size_t c = scan_comma(buf, len, p);
            if (c == 0)
                break;
            p = c;
            if (new_scheme_at(buf, len, p)) {
                next_scheme = 1;
                break;
            }
        }
        if (p < end && !next_scheme)
            return fail(reason, SIP_ERR_AUTH_TRAILING, UC_ERR_MALFORMED);
    }
#undef EMIT
    if (n == 0)
        return fail(reason, SIP_ERR_AUTH_EMPTY, UC_ERR_MALFORMED);
    if (needed)
        *needed = n;
    if (n > cap)
        return fail(reason, SIP_ERR_NOSPACE, UC_ERR_NOSPACE);
    if (reason)
        *reason = SIP_OK;
    return (int)n;
}
