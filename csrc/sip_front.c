/* The C front of SIP over UDP (see sip_front.h for what it answers and why). */

/* The nonces' HMAC and the digest checks use OpenSSL's low-level hash functions
 * (sip_nonce.h, sip_digest.c), deprecated in OpenSSL 3.0: hence the 1.1.1 API level. */
#define OPENSSL_API_COMPAT 10101

#include "sip_front.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "sip_digest.h"
#include "sip_nonce.h"
#include "sip_scan.h"
#include "uc_errors.h"

#define MAX_FIELDS 24
#define MAX_PARAMS 8
#define WAYS 4
#define TAG_HEX 8
#define REG_TAG_HEX 12 /* the registrar's To tag: token_hex(6), as RequestContext makes it */
#define USER_BUCKETS 4096
#define MAX_SECRET 256
#define MAX_AUTH_ITEMS 16

typedef struct {
    char text[SIP_FRONT_MAX_TEMPLATE];
    uint16_t len;
} template_t;

typedef struct {
    char name[SIP_FRONT_MAX_NAME];
    uint16_t len;
    uint8_t n[2]; /* challenges per kind; 0: that kind not configured */
    template_t head[2][SIP_FRONT_MAX_CHALLENGES];
    template_t tail[2][SIP_FRONT_MAX_CHALLENGES];
    sip_digest_t *digest; /* the registrar's digest rules (sip_front_set_digest); NULL: none */
} realm_t;

/* One user's HA1s in one realm, chained by the hash of "user@realm". */
typedef struct user user_t;
struct user {
    user_t *next;
    uint16_t key_len;
    char key[2 * SIP_FRONT_MAX_NAME + 1];
    uint8_t ha1_len[3]; /* MD5, SHA-256, SHA-512-256; 0: none */
    char ha1[3][64];
};

typedef struct {
    double until; /* 0: empty */
    uint32_t hash;
    uint16_t key_len;
    uint16_t answer_len;
    uint16_t port;
    uint8_t method;
    uint8_t key[SIP_FRONT_KEY_MAX];
    uint8_t answer[SIP_FRONT_ANSWER_MAX];
} entry_t;

struct sip_front {
    sip_nonce_key_t nonce_key; /* the challenges' nonces */
    char prefix[SIP_FRONT_MAX_NAME];
    size_t prefix_len;
    realm_t realms[SIP_FRONT_MAX_REALMS];
    size_t n_realms;
    char excluded[SIP_FRONT_MAX_EXCLUDED][SIP_FRONT_MAX_NAME];
    uint16_t excluded_len[SIP_FRONT_MAX_EXCLUDED];
    size_t n_excluded;
    int enabled;
    uint64_t rng;
    entry_t *cache;
    uint32_t set_mask; /* sets - 1; WAYS entries per set */
    double cache_seconds;
    sip_front_counters_t counters;
    uint8_t secret[MAX_SECRET]; /* for each realm's sip_digest_t */
    size_t secret_len;
    user_t **users; /* USER_BUCKETS chains */
    size_t n_users;
    int register_enabled;
    /* the transaction key of the last VERIFIED REGISTER, for sip_front_registered */
    int pending;
    uint32_t pending_hash;
    uint16_t pending_key_len, pending_port;
    uint8_t pending_key[SIP_FRONT_KEY_MAX];
};

/* ---- small helpers ---- */

static int is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int in_set(unsigned char c, const char *set)
{
    return c != 0 && strchr(set, c) != NULL;
}

/* RFC 3261 25.1 token characters. */
static int is_token_char(unsigned char c)
{
    return is_alnum(c) || in_set(c, "-.!%*_+`'~");
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static int span_is(const char *base, sip_span_t s, const char *text)
{
    size_t n = strlen(text);
    return s.off != SIP_NO_SPAN && s.len == n && memcmp(base + s.off, text, n) == 0;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

/* A bounded writer: every append checks the room left; `failed` sticks. */
typedef struct {
    uint8_t *p;
    size_t cap, len;
    int failed;
} writer_t;

static void put(writer_t *w, const void *data, size_t n)
{
    if (w->failed || n > w->cap - w->len) {
        w->failed = 1;
        return;
    }
    memcpy(w->p + w->len, data, n);
    w->len += n;
}

static void put_str(writer_t *w, const char *s)
{
    put(w, s, strlen(s));
}

static void put_uint(writer_t *w, unsigned v)
{
    char digits[12];
    size_t n = 0;
    do {
        digits[sizeof digits - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && n < sizeof digits);
    put(w, digits + sizeof digits - n, n);
}

/* ---- life cycle and configuration ---- */

sip_front_t *sip_front_create(const sip_front_config_t *config)
{
    if (config == NULL || config->secret == NULL || config->secret_len < 16 || config->secret_len > MAX_SECRET ||
        config->tag_prefix_len >= SIP_FRONT_MAX_NAME || config->cache_seconds < 0)
        return NULL;
    sip_front_t *front = calloc(1, sizeof *front);
    if (front == NULL)
        return NULL;
    uint32_t sets = 1;
    while ((uint64_t)sets * WAYS < config->cache_entries && sets < (1u << 20))
        sets <<= 1;
    front->cache = calloc((size_t)sets * WAYS, sizeof(entry_t));
    front->users = calloc(USER_BUCKETS, sizeof(user_t *));
    if (front->cache == NULL || front->users == NULL) {
        sip_front_destroy(front);
        return NULL;
    }
    sip_nonce_key_init(&front->nonce_key, config->secret, config->secret_len);
    memcpy(front->secret, config->secret, config->secret_len);
    front->secret_len = config->secret_len;
    front->set_mask = sets - 1;
    front->cache_seconds = config->cache_seconds;
    memcpy(front->prefix, config->tag_prefix, config->tag_prefix_len);
    front->prefix_len = config->tag_prefix_len;
    front->rng = config->seed;
    front->enabled = 1;
    return front;
}

void sip_front_destroy(sip_front_t *front)
{
    if (front == NULL)
        return;
    sip_front_clear(front);
    if (front->users != NULL) {
        for (size_t b = 0; b < USER_BUCKETS; b++) {
            user_t *u = front->users[b];
            while (u != NULL) {
                user_t *next = u->next;
                OPENSSL_cleanse(u, sizeof *u);
                free(u);
                u = next;
            }
        }
        free(front->users);
    }
    free(front->cache);
    OPENSSL_cleanse(front, sizeof *front);
    free(front);
}

void sip_front_clear(sip_front_t *front)
{
    for (size_t i = 0; i < front->n_realms; i++) {
        sip_digest_destroy(front->realms[i].digest);
        front->realms[i].digest = NULL;
    }
    front->n_realms = 0;
    front->n_excluded = 0;
}

void sip_front_set_enabled(sip_front_t *front, int enabled)
{
    front->enabled = enabled != 0;
}

int sip_front_set_realm(sip_front_t *front, const char *realm, size_t realm_len, int kind,
                        const char *const *heads, const size_t *head_lens, const char *const *tails,
                        const size_t *tail_lens, size_t n)
{
    if ((kind != SIP_FRONT_UAS && kind != SIP_FRONT_PROXY) || realm_len == 0 ||
        realm_len >= SIP_FRONT_MAX_NAME || n == 0 || n > SIP_FRONT_MAX_CHALLENGES)
        return UC_ERR_ARGUMENT;
    for (size_t i = 0; i < n; i++)
        if (head_lens[i] >= SIP_FRONT_MAX_TEMPLATE || tail_lens[i] >= SIP_FRONT_MAX_TEMPLATE)
            return UC_ERR_ARGUMENT;
    for (size_t i = 0; i < realm_len; i++)
        if (lower((unsigned char)realm[i]) != (unsigned char)realm[i])
            return UC_ERR_ARGUMENT; /* domains are kept lower case (LocalDomains) */
    realm_t *r = NULL;
    for (size_t i = 0; i < front->n_realms; i++)
        if (front->realms[i].len == realm_len && memcmp(front->realms[i].name, realm, realm_len) == 0)
            r = &front->realms[i];
    if (r == NULL) {
        if (front->n_realms == SIP_FRONT_MAX_REALMS)
            return UC_ERR_ARGUMENT;
        r = &front->realms[front->n_realms++];
        memset(r, 0, sizeof *r);
        memcpy(r->name, realm, realm_len);
        r->len = (uint16_t)realm_len;
    }
    for (size_t i = 0; i < n; i++) {
        memcpy(r->head[kind][i].text, heads[i], head_lens[i]);
        r->head[kind][i].len = (uint16_t)head_lens[i];
        memcpy(r->tail[kind][i].text, tails[i], tail_lens[i]);
        r->tail[kind][i].len = (uint16_t)tail_lens[i];
    }
    r->n[kind] = (uint8_t)n;
    return 0;
}

int sip_front_exclude_uri(sip_front_t *front, const char *user_at_host, size_t len)
{
    if (len == 0 || len >= SIP_FRONT_MAX_NAME || front->n_excluded == SIP_FRONT_MAX_EXCLUDED)
        return UC_ERR_ARGUMENT;
    memcpy(front->excluded[front->n_excluded], user_at_host, len);
    front->excluded_len[front->n_excluded++] = (uint16_t)len;
    return 0;
}

static const realm_t *find_realm_name(const sip_front_t *front, const char *realm, size_t realm_len)
{
    for (size_t i = 0; i < front->n_realms; i++)
        if (front->realms[i].len == realm_len && memcmp(front->realms[i].name, realm, realm_len) == 0)
            return &front->realms[i];
    return NULL;
}

int sip_front_set_digest(sip_front_t *front, const char *realm, size_t realm_len, const char *opaque,
                         size_t opaque_len, unsigned algorithms, double nonce_lifetime)
{
    realm_t *r = (realm_t *)find_realm_name(front, realm, realm_len);
    if (r == NULL)
        return UC_ERR_ARGUMENT;
    sip_digest_t *d = sip_digest_create(front->secret, front->secret_len, realm, realm_len, opaque, opaque_len,
                                        algorithms, nonce_lifetime);
    if (d == NULL)
        return UC_ERR_ARGUMENT;
    sip_digest_destroy(r->digest);
    r->digest = d;
    return 0;
}

/* "user@realm" into key; 0 when too long. */
static size_t user_key(const char *username, size_t ulen, const char *realm, size_t rlen, char *key)
{
    if (ulen == 0 || ulen >= SIP_FRONT_MAX_NAME || rlen == 0 || rlen >= SIP_FRONT_MAX_NAME)
        return 0;
    memcpy(key, username, ulen);
    key[ulen] = '@';
    memcpy(key + ulen + 1, realm, rlen);
    return ulen + 1 + rlen;
}

static user_t **user_slot(const sip_front_t *front, const char *key, size_t key_len)
{
    user_t **slot = &front->users[fnv1a((const uint8_t *)key, key_len) & (USER_BUCKETS - 1)];
    while (*slot != NULL && !((*slot)->key_len == key_len && memcmp((*slot)->key, key, key_len) == 0))
        slot = &(*slot)->next;
    return slot;
}

static int algorithm_index(unsigned algorithm)
{
    return algorithm == SIP_DIGEST_MD5 ? 0 : algorithm == SIP_DIGEST_SHA256 ? 1 : algorithm == SIP_DIGEST_SHA512_256 ? 2 : -1;
}

int sip_front_set_user(sip_front_t *front, const char *username, size_t username_len, const char *realm,
                       size_t realm_len, unsigned algorithm, const char *ha1, size_t ha1_len)
{
    char key[2 * SIP_FRONT_MAX_NAME + 1];
    size_t key_len = user_key(username, username_len, realm, realm_len, key);
    int a = algorithm_index(algorithm);
    if (key_len == 0 || a < 0 || ha1_len == 0 || ha1_len > 64)
        return UC_ERR_ARGUMENT;
    user_t **slot = user_slot(front, key, key_len);
    if (*slot == NULL) {
        user_t *u = calloc(1, sizeof *u);
        if (u == NULL)
            return UC_ERR_NOMEM;
        memcpy(u->key, key, key_len);
        u->key_len = (uint16_t)key_len;
        *slot = u;
        front->n_users++;
    }
    memcpy((*slot)->ha1[a], ha1, ha1_len);
    (*slot)->ha1_len[a] = (uint8_t)ha1_len;
    return 0;
}

int sip_front_drop_user(sip_front_t *front, const char *username, size_t username_len, const char *realm,
                        size_t realm_len)
{
    char key[2 * SIP_FRONT_MAX_NAME + 1];
    size_t key_len = user_key(username, username_len, realm, realm_len, key);
    if (key_len == 0)
        return 0;
    user_t **slot = user_slot(front, key, key_len);
    if (*slot != NULL) {
        user_t *u = *slot;
        *slot = u->next;
        OPENSSL_cleanse(u, sizeof *u);
        free(u);
        front->n_users--;
    }
    return 0;
}

size_t sip_front_users(const sip_front_t *front)
{
    return front->n_users;
}

void sip_front_set_register(sip_front_t *front, int enabled)
{
    front->register_enabled = enabled != 0;
}

void sip_front_counters(const sip_front_t *front, sip_front_counters_t *out)
{
    *out = front->counters;
}

/* ---- the narrow grammar ---- */

/* hostname / IPv4 as the front accepts it: 1*(alnum / "." / "-"), starting alnum. */
static size_t scan_host(const char *p, size_t n, size_t i)
{
    size_t start = i;
    if (i >= n || !is_alnum((unsigned char)p[i]))
        return 0;
    while (i < n && (is_alnum((unsigned char)p[i]) || p[i] == '.' || p[i] == '-'))
        i++;
    return i - start;
}

/* ":" port, 1..65535 without a leading zero; returns the characters read (0: malformed). */
static size_t scan_port(const char *p, size_t n, size_t i, unsigned *port)
{
    size_t start = i;
    unsigned v = 0;
    if (i >= n || p[i] < '1' || p[i] > '9')
        return 0;
    while (i < n && p[i] >= '0' && p[i] <= '9' && i - start < 5)
        v = v * 10 + (unsigned)(p[i++] - '0');
    if (v == 0 || v > 65535 || (i < n && p[i] >= '0' && p[i] <= '9'))
        return 0;
    *port = v;
    return i - start;
}

typedef struct {
    sip_span_t user, host; /* offsets into the same buffer; user.off == SIP_NO_SPAN: none */
    int has_port;
    unsigned port;
    int has_params;
} uri_t;

static int is_user_char(unsigned char c)
{
    /* RFC 3261 25.1 user, less escapes and the characters that need care (";?%:@"). */
    return is_alnum(c) || in_set(c, "-_.!~*'()&=+$,/");
}

/* `sip:[user@]host[:port]*(;pname[=pvalue])` over buf[off..off+len), with the parameter
 * names lower-case tokens and the values tokens; `allow_params` 0 refuses any. */
static int check_sip_uri(const char *buf, uint32_t off, uint32_t len, int allow_params, uri_t *u)
{
    const char *p = buf + off;
    size_t n = len, i = 4;
    memset(u, 0, sizeof *u);
    u->user.off = SIP_NO_SPAN;
    if (n < 5 || memcmp(p, "sip:", 4) != 0)
        return 0;
    const char *at = memchr(p + 4, '@', n - 4);
    if (at != NULL) {
        size_t user_end = (size_t)(at - p);
        if (user_end == 4)
            return 0;
        for (size_t k = 4; k < user_end; k++)
            if (!is_user_char((unsigned char)p[k]))
                return 0;
        u->user.off = off + 4;
        u->user.len = (uint32_t)(user_end - 4);
        i = user_end + 1;
    }
    size_t h = scan_host(p, n, i);
    if (h == 0)
        return 0;
    u->host.off = off + (uint32_t)i;
    u->host.len = (uint32_t)h;
    i += h;
    if (i < n && p[i] == ':') {
        size_t d = scan_port(p, n, i + 1, &u->port);
        if (d == 0)
            return 0;
        u->has_port = 1;
        i += 1 + d;
    }
    while (i < n && p[i] == ';') {
        if (!allow_params)
            return 0;
        size_t name = ++i;
        while (i < n && ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || in_set((unsigned char)p[i], "-_.")))
            i++;
        if (i == name)
            return 0;
        if (i < n && p[i] == '=') {
            /* paramchar (RFC 3261 25.1) less escapes and "[]/:" */
            size_t value = ++i;
            while (i < n && (is_alnum((unsigned char)p[i]) || in_set((unsigned char)p[i], "-_.!~*'()&+$")))
                i++;
            if (i == value)
                return 0;
        }
        u->has_params = 1;
    }
    return i == n;
}

static const realm_t *find_realm(const sip_front_t *front, const char *buf, sip_span_t host)
{
    for (size_t i = 0; i < front->n_realms; i++) {
        const realm_t *r = &front->realms[i];
        if (r->len != host.len)
            continue;
        size_t k = 0;
        while (k < host.len && lower((unsigned char)buf[host.off + k]) == (unsigned char)r->name[k])
            k++;
        if (k == host.len)
            return r;
    }
    return NULL;
}

typedef struct {
    sip_name_addr_t addr;
    uri_t uri;
    sip_span_t tag; /* value of the tag parameter; off == SIP_NO_SPAN: none */
} address_t;

static int check_number(const char *p, size_t n, size_t max_digits, unsigned long max, int zero_ok);

/* A From / To / Contact value: name-addr or addr-spec (the scanner's), no quoted-pairs,
 * no comma, the URI as check_sip_uri takes it, header parameters lower-case tokens
 * with token values. `contact`: URI parameters allowed, quoted header parameter values
 * too, and Contact.parse's checks (an expires that is a number, RFC 4475 3.1.2.4; no q,
 * whose grammar is left to Python). */
static int check_address(const char *buf, sip_span_t value, int contact, address_t *a)
{
    const char *v = buf + value.off;
    sip_param_t params[MAX_PARAMS];
    int reason = 0;
    if (memchr(v, ',', value.len) != NULL || (!contact && memchr(v, '"', value.len) != NULL))
        return 0;
    int n = sip_scan_name_addr(v, value.len, &a->addr, params, MAX_PARAMS, &reason);
    if (n < 0 || a->addr.display_quoted)
        return 0;
    if (!check_sip_uri(v, a->addr.uri.off, a->addr.uri.len, contact, &a->uri))
        return 0;
    a->uri.host.off += value.off;
    if (a->uri.user.off != SIP_NO_SPAN)
        a->uri.user.off += value.off;
    a->tag.off = SIP_NO_SPAN;
    a->tag.len = 0;
    for (int i = 0; i < n; i++) {
        for (uint32_t k = 0; k < params[i].name.len; k++) {
            unsigned char c = (unsigned char)v[params[i].name.off + k];
            if (!is_token_char(c) || lower(c) != c)
                return 0;
        }
        for (int j = 0; j < i; j++)
            if (params[j].name.len == params[i].name.len &&
                memcmp(v + params[j].name.off, v + params[i].name.off, params[i].name.len) == 0)
                return 0;
        if (contact && span_is(v, params[i].name, "q"))
            return 0;
        if (contact && span_is(v, params[i].name, "expires") &&
            (params[i].value.off == SIP_NO_SPAN ||
             !check_number(v + params[i].value.off, params[i].value.len, 10, 4294967295ul, 1)))
            return 0;
        if (params[i].value.off == SIP_NO_SPAN)
            continue;
        const char *pv = v + params[i].value.off;
        uint32_t pn = params[i].value.len;
        if (pn == 0)
            return 0;
        if (contact && pv[0] == '"') {
            /* a quoted value (+sip.instance="<urn:uuid:...>", RFC 5626 4.1): printable
             * ASCII, no quoted-pair, no DQUOTE inside */
            if (pn < 2 || pv[pn - 1] != '"')
                return 0;
            for (uint32_t k = 1; k + 1 < pn; k++)
                if (pv[k] < 0x20 || pv[k] > 0x7e || pv[k] == '"' || pv[k] == '\\')
                    return 0;
            continue;
        }
        for (uint32_t k = 0; k < pn; k++)
            if (!is_token_char((unsigned char)pv[k]))
                return 0;
        if (span_is(v, params[i].name, "tag")) {
            a->tag.off = params[i].value.off + value.off;
            a->tag.len = params[i].value.len;
        }
    }
    return 1;
}

typedef struct {
    sip_span_t host;     /* sent-by host, offsets in the head */
    unsigned port;       /* 0: absent */
    sip_span_t branch;
    int rport;           /* the rport flag (RFC 3581) */
} via_t;

/* `SIP/2.0/UDP host[:port]*(;name[=value])`, exactly so spelled (what Python writes back
 * unchanged), lower-case parameter names, no duplicate, no received / maddr / rport=value,
 * a z9hG4bK branch. */
static int check_via(const char *buf, sip_span_t value, via_t *via)
{
    const char *p = buf + value.off;
    size_t n = value.len, i = 12;
    memset(via, 0, sizeof *via);
    if (n < 13 || memcmp(p, "SIP/2.0/UDP ", 12) != 0)
        return 0;
    size_t h = scan_host(p, n, i);
    if (h == 0)
        return 0;
    via->host.off = value.off + (uint32_t)i;
    via->host.len = (uint32_t)h;
    i += h;
    if (i < n && p[i] == ':') {
        size_t d = scan_port(p, n, i + 1, &via->port);
        if (d == 0)
            return 0;
        i += 1 + d;
    }
    sip_span_t names[MAX_PARAMS];
    size_t n_names = 0;
    while (i < n && p[i] == ';') {
        size_t name = ++i;
        while (i < n && ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || in_set((unsigned char)p[i], "-_.")))
            i++;
        if (i == name || n_names == MAX_PARAMS)
            return 0;
        sip_span_t nm = {value.off + (uint32_t)name, (uint32_t)(i - name)};
        for (size_t j = 0; j < n_names; j++)
            if (names[j].len == nm.len && memcmp(buf + names[j].off, buf + nm.off, nm.len) == 0)
                return 0;
        names[n_names++] = nm;
        sip_span_t val = {SIP_NO_SPAN, 0};
        if (i < n && p[i] == '=') {
            size_t start = ++i;
            while (i < n && is_token_char((unsigned char)p[i]))
                i++;
            if (i == start)
                return 0;
            val.off = value.off + (uint32_t)start;
            val.len = (uint32_t)(i - start);
        }
        if (span_is(buf, nm, "branch")) {
            if (val.off == SIP_NO_SPAN || val.len <= 7 || val.len > 100 || memcmp(buf + val.off, "z9hG4bK", 7) != 0)
                return 0;
            via->branch = val;
        } else if (span_is(buf, nm, "rport")) {
            if (val.off != SIP_NO_SPAN)
                return 0;
            via->rport = 1;
        } else if (span_is(buf, nm, "received") || span_is(buf, nm, "maddr") || span_is(buf, nm, "ttl")) {
            return 0;
        }
    }
    return i == n && via->branch.len > 0;
}

static int check_chars(const char *p, size_t n, const char *extra, size_t max)
{
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum((unsigned char)p[i]) && !in_set((unsigned char)p[i], extra))
            return 0;
    return 1;
}

/* 1*DIGIT without a leading zero (or "0" when zero_ok), at most max_digits, <= max. */
static int check_number(const char *p, size_t n, size_t max_digits, unsigned long max, int zero_ok)
{
    unsigned long v = 0;
    if (n == 0 || n > max_digits || (p[0] == '0' && !(zero_ok && n == 1)))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        v = v * 10 + (unsigned long)(p[i] - '0');
    }
    return v <= max;
}

/* Comma-separated tokens (Allow, Supported): `token *(*SP "," *SP token)`. */
static int check_token_list(const char *p, size_t n)
{
    size_t i = 0;
    for (;;) {
        size_t start = i;
        while (i < n && is_token_char((unsigned char)p[i]))
            i++;
        if (i == start)
            return 0;
        while (i < n && p[i] == ' ')
            i++;
        if (i == n)
            return 1;
        if (p[i] != ',')
            return 0;
        i++;
        while (i < n && p[i] == ' ')
            i++;
    }
}

/* ---- the nonce (DigestAuthenticator.make_nonce) ---- */

static void make_nonce(sip_front_t *front, const realm_t *realm, double now, char out[SIP_NONCE_LEN])
{
    uint8_t salt[8];
    uint64_t r = splitmix64(&front->rng);
    memcpy(salt, &r, sizeof salt);
    sip_nonce_make(&front->nonce_key, realm->name, realm->len, now, salt, out);
}

/* ---- the answer table ---- */

static entry_t *cache_find(sip_front_t *front, const uint8_t *key, size_t key_len, uint32_t hash, double now)
{
    entry_t *set = &front->cache[(size_t)(hash & front->set_mask) * WAYS];
    for (int w = 0; w < WAYS; w++) {
        entry_t *e = &set[w];
        if (e->until >= now && e->until > 0 && e->hash == hash && e->key_len == key_len &&
            memcmp(e->key, key, key_len) == 0)
            return e;
    }
    return NULL;
}

static entry_t *cache_slot(sip_front_t *front, uint32_t hash)
{
    entry_t *set = &front->cache[(size_t)(hash & front->set_mask) * WAYS];
    entry_t *oldest = &set[0];
    for (int w = 1; w < WAYS; w++)
        if (set[w].until < oldest->until)
            oldest = &set[w];
    return oldest;
}

/* ---- deciding ---- */

enum {
    F_VIA,
    F_FROM,
    F_TO,
    F_CALL_ID,
    F_CSEQ,
    F_MAX_FORWARDS,
    F_CONTACT,
    F_CONTENT_LENGTH,
    F_CONTENT_TYPE,
    F_EXPIRES,
    F_USER_AGENT,
    F_ALLOW,
    F_SUPPORTED,
    F_AUTHORIZATION,
    F_COUNT
};

/* The headers the front reads, each with its one spelling: any other header, or another
 * spelling (compact forms, other case), passes the datagram to Python. */
static const struct {
    uint16_t id;
    const char *name;
} KNOWN[F_COUNT] = {
    {SIP_H_VIA, "Via"},
    {SIP_H_FROM, "From"},
    {SIP_H_TO, "To"},
    {SIP_H_CALL_ID, "Call-ID"},
    {SIP_H_CSEQ, "CSeq"},
    {SIP_H_MAX_FORWARDS, "Max-Forwards"},
    {SIP_H_CONTACT, "Contact"},
    {SIP_H_CONTENT_LENGTH, "Content-Length"},
    {SIP_H_CONTENT_TYPE, "Content-Type"},
    {SIP_H_EXPIRES, "Expires"},
    {SIP_H_USER_AGENT, "User-Agent"},
    {SIP_H_ALLOW, "Allow"},
    {SIP_H_SUPPORTED, "Supported"},
    {SIP_H_AUTHORIZATION, "Authorization"},
};

#define M_ACK 3

static int method_of(const char *head, sip_span_t m)
{
    if (span_is(head, m, "REGISTER"))
        return SIP_FRONT_REGISTER;
    if (span_is(head, m, "INVITE"))
        return SIP_FRONT_INVITE;
    if (span_is(head, m, "MESSAGE"))
        return SIP_FRONT_MESSAGE;
    if (span_is(head, m, "ACK"))
        return M_ACK;
    return -1;
}

static int excluded(const sip_front_t *front, const char *head, const uri_t *u)
{
    char text[SIP_FRONT_MAX_NAME];
    size_t n = (size_t)u->user.len + 1 + u->host.len;
    if (n >= sizeof text)
        return 1; /* cannot compare: leave it to Python */
    memcpy(text, head + u->user.off, u->user.len);
    text[u->user.len] = '@';
    for (uint32_t k = 0; k < u->host.len; k++)
        text[u->user.len + 1 + k] = (char)lower((unsigned char)head[u->host.off + k]);
    for (size_t i = 0; i < front->n_excluded; i++)
        if (front->excluded_len[i] == n && memcmp(front->excluded[i], text, n) == 0)
            return 1;
    return 0;
}

/* The response's copy of the request (8.2.6.2, make_response): `status_line`, then Via
 * (stamped as stamp_via does: 18.2.1, RFC 3581 4), From, To with a new tag, Call-ID,
 * CSeq, in request order. 0 when it cannot be written. */
static int write_head(sip_front_t *front, writer_t *w, const char *status_line, const char *head,
                      const sip_field_t *fields, int n_fields, const int *at, const via_t *via_p,
                      const char *src_host, size_t src_host_len, uint16_t src_port, int stateless)
{
    via_t via = *via_p;
    put_str(w, status_line);
    for (int i = 0; i < n_fields; i++) {
        const sip_field_t *fl = &fields[i];
        if (i != at[F_VIA] && i != at[F_FROM] && i != at[F_TO] && i != at[F_CALL_ID] && i != at[F_CSEQ])
            continue;
        put(w, head + fl->name.off, fl->name.len);
        put(w, ": ", 2);
        const char *v = head + fl->value.off;
        if (i == at[F_VIA]) {
            /* stamp_via (18.2.1, RFC 3581 4): rport filled in place, received appended */
            size_t rp = 0;
            if (via.rport) {
                for (size_t k = 0; k + 6 <= fl->value.len; k++)
                    if (memcmp(v + k, ";rport", 6) == 0 && (k + 6 == fl->value.len || v[k + 6] == ';'))
                        rp = k + 6;
                if (rp == 0)
                    return 0;
                put(w, v, rp);
                put(w, "=", 1);
                put_uint(w, src_port);
            }
            put(w, v + rp, fl->value.len - rp);
            if (via.rport || via.host.len != src_host_len || memcmp(head + via.host.off, src_host, src_host_len) != 0) {
                put_str(w, ";received=");
                put(w, src_host, src_host_len);
            }
        } else if (i == at[F_TO]) {
            /* stateless: the prefix (ACKs are absorbed by it) + 8 hex; the registrar's
             * 200: 12 hex digits, as RequestContext's token_hex(6) */
            char tag[REG_TAG_HEX];
            int digits = stateless ? TAG_HEX : REG_TAG_HEX;
            uint64_t r = splitmix64(&front->rng);
            for (int k = 0; k < digits; k++)
                tag[k] = "0123456789abcdef"[(r >> (4 * k)) & 15];
            put(w, v, fl->value.len);
            put_str(w, ";tag=");
            if (stateless)
                put(w, front->prefix, front->prefix_len);
            put(w, tag, (size_t)digits);
        } else {
            put(w, v, fl->value.len);
        }
        put(w, "\r\n", 2);
    }
    return !w->failed;
}

/* ---- authenticated REGISTERs (VERIFIED) ---- */

static int equal_nocase_span(const char *p, sip_span_t s, const char *text)
{
    size_t n = strlen(text);
    if (s.off == SIP_NO_SPAN || s.len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)p[s.off + i]) != (unsigned char)text[i])
            return 0;
    return 1;
}

static sip_front_span_t out_span(uint32_t base, sip_span_t s)
{
    sip_front_span_t o = {UINT32_MAX, 0};
    if (s.off != SIP_NO_SPAN) {
        o.off = base + s.off;
        o.len = s.len;
    }
    return o;
}

/* The narrow subset of an authenticated REGISTER the front verifies (everything else, and
 * every failed check, passes: Python gives the rejection): To = From = <sip:user@domain>
 * of a served domain; one Contact `<sip:...>` whose header parameters are plain
 * `;name[=token]` without +sip.instance, reg-id or GRUUs; one Digest credentials value
 * without quoted-pairs or duplicate parameters, for the To domain's realm and the To user,
 * a user in the HA1 table, and a digest that verifies (sip_digest_check). */
static int verify_register(const sip_front_t *front, const char *head, uint32_t head_off, const sip_head_t *h,
                           const sip_field_t *fields, const int *at, const address_t *from, const address_t *to,
                           const address_t *contact, const realm_t *realm, uint32_t seq, double now,
                           sip_front_result_t *result)
{
    if (realm->digest == NULL || at[F_CONTACT] < 0)
        return 0;
    /* To = From (the AOR registers itself) */
    if (from->uri.user.off == SIP_NO_SPAN || from->uri.user.len != to->uri.user.len || from->uri.has_port ||
        memcmp(head + from->uri.user.off, head + to->uri.user.off, to->uri.user.len) != 0 ||
        from->uri.host.len != to->uri.host.len)
        return 0;
    for (uint32_t k = 0; k < to->uri.host.len; k++)
        if (lower((unsigned char)head[from->uri.host.off + k]) != lower((unsigned char)head[to->uri.host.off + k]))
            return 0;
    /* One Contact, <sip:...> then plain parameters */
    sip_span_t cv = fields[at[F_CONTACT]].value;
    const char *c = head + cv.off;
    if (contact->addr.display.off != SIP_NO_SPAN || c[0] != '<' || memchr(c, '"', cv.len) != NULL)
        return 0;
    uint32_t uri_end = contact->addr.uri.off + contact->addr.uri.len;
    if (contact->addr.uri.off != 1 || uri_end >= cv.len || c[uri_end] != '>')
        return 0;
    sip_span_t params = {cv.off + uri_end + 1, cv.len - uri_end - 1};
    for (uint32_t k = 0; k < params.len; k++) {
        unsigned char ch = (unsigned char)head[params.off + k];
        if (ch == ' ' || ch == '\t')
            return 0;
    }
    if ((params.len > 0 && head[params.off] != ';'))
        return 0;
    for (uint32_t k = 0; k < params.len;) {
        uint32_t start = ++k; /* after ';' */
        while (k < params.len && head[params.off + k] != ';')
            k++;
        uint32_t name_len = 0;
        while (start + name_len < k && head[params.off + start + name_len] != '=')
            name_len++;
        sip_span_t name = {params.off + start, name_len};
        if (equal_nocase_span(head, name, "+sip.instance") || equal_nocase_span(head, name, "reg-id") ||
            equal_nocase_span(head, name, "pub-gruu") || equal_nocase_span(head, name, "temp-gruu"))
            return 0;
    }
    /* The credentials */
    sip_span_t av = fields[at[F_AUTHORIZATION]].value;
    const char *a = head + av.off;
    sip_auth_item_t items[MAX_AUTH_ITEMS];
    uint32_t needed = 0;
    int reason = 0;
    int n = sip_scan_auth(a, av.len, items, MAX_AUTH_ITEMS, &needed, &reason);
    if (n < 2 || items[0].kind != SIP_AUTH_SCHEME || !equal_nocase_span(a, items[0].name, "digest"))
        return 0;
    static const char *const NAMES[10] = {"username", "realm", "nonce", "uri", "response",
                                          "algorithm", "qop", "nc", "cnonce", "opaque"};
    sip_digest_credentials_t cr;
    sip_digest_text_t *slots[10] = {&cr.username, &cr.realm, &cr.nonce, &cr.uri, &cr.response,
                                    &cr.algorithm, &cr.qop, &cr.nc, &cr.cnonce, &cr.opaque};
    sip_span_t spans[10];
    for (int f = 0; f < 10; f++) {
        slots[f]->p = NULL;
        slots[f]->n = 0;
        spans[f].off = SIP_NO_SPAN;
        spans[f].len = 0;
    }
    for (int i = 1; i < n; i++) {
        if (items[i].kind != SIP_AUTH_PARAM || items[i].quoted == 2 || items[i].value.off == SIP_NO_SPAN)
            return 0;
        for (int f = 0; f < 10; f++) {
            if (!equal_nocase_span(a, items[i].name, NAMES[f]))
                continue;
            if (slots[f]->p != NULL)
                return 0; /* a duplicate: Python keeps the last; left to it */
            slots[f]->p = a + items[i].value.off;
            slots[f]->n = items[i].value.len;
            spans[f] = items[i].value;
        }
    }
    if (cr.realm.p == NULL || cr.realm.n != realm->len || memcmp(cr.realm.p, realm->name, realm->len) != 0 ||
        cr.username.p == NULL || cr.username.n != to->uri.user.len ||
        memcmp(cr.username.p, head + to->uri.user.off, cr.username.n) != 0)
        return 0;
    int ai = algorithm_index(sip_digest_algorithm(cr.algorithm));
    if (ai < 0)
        return 0;
    char key[2 * SIP_FRONT_MAX_NAME + 1];
    size_t key_len = user_key(cr.username.p, cr.username.n, realm->name, realm->len, key);
    if (key_len == 0)
        return 0;
    const user_t *user = *user_slot(front, key, key_len);
    if (user == NULL || user->ha1_len[ai] == 0)
        return 0;
    sip_digest_text_t method = {"REGISTER", 8};
    sip_digest_text_t ruri = {head + h->start.b.off, h->start.b.len};
    sip_digest_text_t ha1 = {user->ha1[ai], user->ha1_len[ai]};
    sip_digest_outcome_t outcome;
    if (sip_digest_check(realm->digest, &cr, method, ruri, ha1, now, &outcome) != SIP_DIGEST_OK)
        return 0;
    result->user = out_span(head_off, to->uri.user);
    result->host = out_span(head_off, to->uri.host);
    sip_span_t curi = {cv.off + contact->addr.uri.off, contact->addr.uri.len};
    result->contact_uri = out_span(head_off, curi);
    result->contact_params = out_span(head_off, params);
    sip_span_t none = {SIP_NO_SPAN, 0};
    result->expires = out_span(head_off, at[F_EXPIRES] >= 0 ? fields[at[F_EXPIRES]].value : none);
    result->call_id = out_span(head_off, fields[at[F_CALL_ID]].value);
    result->user_agent = out_span(head_off, at[F_USER_AGENT] >= 0 ? fields[at[F_USER_AGENT]].value : none);
    result->supported = out_span(head_off, at[F_SUPPORTED] >= 0 ? fields[at[F_SUPPORTED]].value : none);
    sip_span_t nonce = {av.off + spans[2].off, spans[2].len};
    result->nonce = out_span(head_off, nonce);
    result->cseq = seq;
    result->nc = outcome.nc;
    result->issued_at = outcome.issued_at;
    return 1;
}

int sip_front_registered(sip_front_t *front, const uint8_t *answer, size_t len, double until)
{
    if (!front->pending)
        return UC_ERR_STATE;
    front->pending = 0;
    front->counters.registered++;
    if (len > SIP_FRONT_ANSWER_MAX || front->cache_seconds <= 0)
        return 0;
    entry_t *e = cache_slot(front, front->pending_hash);
    e->until = until;
    e->hash = front->pending_hash;
    e->key_len = front->pending_key_len;
    memcpy(e->key, front->pending_key, front->pending_key_len);
    e->answer_len = (uint16_t)len;
    memcpy(e->answer, answer, len);
    e->port = front->pending_port;
    e->method = SIP_FRONT_REGISTER;
    return 0;
}

void sip_front_declined(sip_front_t *front)
{
    front->pending = 0;
    front->counters.passed++;
}

static int pass(sip_front_t *front, sip_front_result_t *result)
{
    front->counters.passed++;
    result->verdict = SIP_FRONT_PASS;
    return SIP_FRONT_PASS;
}

int sip_front_handle(sip_front_t *front, const uint8_t *data, size_t len, const char *src_host,
                     size_t src_host_len, uint16_t src_port, double now, uint8_t *out, size_t out_cap,
                     sip_front_result_t *result)
{
    const char *buf = (const char *)data;
    memset(result, 0, sizeof *result);
    /* IPv6 sources pass: Python writes their received= as it does, but the front keeps to
     * what it was tested on. */
    if (!front->enabled || len == 0 || len > SIP_FRONT_MAX_DATAGRAM || src_host_len == 0 || src_host_len > 64 ||
        !(now >= 0 && now < 1e15) ||
        memchr(src_host, ':', src_host_len) != NULL)
        return pass(front, result);
    sip_message_span_t ms;
    sip_split_message(buf, len, &ms);
    /* A head ended by CRLFCRLF (what parse_datagram reads as a whole message). */
    if (ms.body_off < 4 || ms.body_off > len || memcmp(buf + ms.body_off - 4, "\r\n\r\n", 4) != 0 ||
        ms.head_off + ms.head_len + 4 != ms.body_off)
        return pass(front, result);
    const char *head = buf + ms.head_off;
    size_t body_len = len - ms.body_off;
    sip_head_t h;
    sip_field_t fields[MAX_FIELDS];
    int reason = 0;
    int n_fields = sip_scan_head(head, ms.head_len, &h, fields, MAX_FIELDS, &reason);
    if (n_fields < 0 || n_fields > MAX_FIELDS || h.start_flags != 0 || h.start_kind != SIP_START_REQUEST ||
        !span_is(head, h.start.c, "SIP/2.0"))
        return pass(front, result);
    int method = method_of(head, h.start.a);
    if (method < 0)
        return pass(front, result);

    int at[F_COUNT];
    for (int f = 0; f < F_COUNT; f++)
        at[f] = -1;
    for (int i = 0; i < n_fields; i++) {
        const sip_field_t *fl = &fields[i];
        int f = 0;
        while (f < F_COUNT && KNOWN[f].id != fl->id)
            f++;
        if (fl->flags != 0 || f == F_COUNT || at[f] >= 0 || !span_is(head, fl->name, KNOWN[f].name) ||
            fl->value.len == 0)
            return pass(front, result);
        at[f] = i;
    }
    if (at[F_VIA] < 0 || at[F_FROM] < 0 || at[F_TO] < 0 || at[F_CALL_ID] < 0 || at[F_CSEQ] < 0)
        return pass(front, result);
    /* Credentials: only a REGISTER's, and only when a registrar takes VERIFIED ones. */
    if (at[F_AUTHORIZATION] >= 0 && (method != SIP_FRONT_REGISTER || !front->register_enabled))
        return pass(front, result);
#define VALUE(f) (fields[at[f]].value)
#define VPTR(f) (head + fields[at[f]].value.off)

    via_t via;
    address_t from, to;
    sip_span_t cseq_digits, cseq_method;
    uint32_t seq = 0;
    if (!check_via(head, VALUE(F_VIA), &via) || !check_address(head, VALUE(F_FROM), 0, &from) ||
        !check_address(head, VALUE(F_TO), 0, &to) ||
        !check_chars(VPTR(F_CALL_ID), VALUE(F_CALL_ID).len, "-.!%*_+`'~()<>:/?{}@", 200) ||
        sip_scan_cseq(VPTR(F_CSEQ), VALUE(F_CSEQ).len, &seq, &cseq_digits, &cseq_method, &reason) != 0 ||
        cseq_method.len != h.start.a.len ||
        memcmp(VPTR(F_CSEQ) + cseq_method.off, head + h.start.a.off, cseq_method.len) != 0)
        return pass(front, result);
    {   /* Call-ID: word ["@" word] (RFC 3261 25.1) */
        const char *c = VPTR(F_CALL_ID);
        size_t n = VALUE(F_CALL_ID).len;
        const char *at_sign = memchr(c, '@', n);
        if (at_sign != NULL && (at_sign == c || at_sign == c + n - 1 || memchr(at_sign + 1, '@', (size_t)(c + n - at_sign - 1))))
            return pass(front, result);
    }
    if (at[F_MAX_FORWARDS] >= 0 && !check_number(VPTR(F_MAX_FORWARDS), VALUE(F_MAX_FORWARDS).len, 3, 255, 0))
        return pass(front, result);
    if (at[F_CONTENT_LENGTH] >= 0 ? (h.content_length < 0 || (uint64_t)h.content_length != body_len) : body_len != 0)
        return pass(front, result);
    if (at[F_EXPIRES] >= 0 && !check_number(VPTR(F_EXPIRES), VALUE(F_EXPIRES).len, 9, 999999999ul, 1))
        return pass(front, result);
    if (at[F_USER_AGENT] >= 0) { /* untyped in Python: any printable ASCII */
        const char *c = VPTR(F_USER_AGENT);
        for (uint32_t k = 0; k < VALUE(F_USER_AGENT).len; k++)
            if (c[k] < 0x20 || c[k] > 0x7e)
                return pass(front, result);
    }
    if ((at[F_ALLOW] >= 0 && !check_token_list(VPTR(F_ALLOW), VALUE(F_ALLOW).len)) ||
        (at[F_SUPPORTED] >= 0 && !check_token_list(VPTR(F_SUPPORTED), VALUE(F_SUPPORTED).len)))
        return pass(front, result);
    if (at[F_CONTENT_TYPE] >= 0) {
        const char *c = VPTR(F_CONTENT_TYPE);
        size_t n = VALUE(F_CONTENT_TYPE).len;
        const char *slash = memchr(c, '/', n);
        if (slash == NULL || !check_chars(c, (size_t)(slash - c), "-.+", 64) ||
            !check_chars(slash + 1, (size_t)(c + n - slash - 1), "-.+", 64))
            return pass(front, result);
    }
    address_t contact;
    if (at[F_CONTACT] >= 0 && !check_address(head, VALUE(F_CONTACT), 1, &contact))
        return pass(front, result);

    if (method == M_ACK) {
        /* The ACK to a stateless non-2xx (TransactionLayer._acks_stateless_response). */
        if (to.tag.off == SIP_NO_SPAN || to.tag.len < front->prefix_len || front->prefix_len == 0 ||
            memcmp(head + to.tag.off, front->prefix, front->prefix_len) != 0)
            return pass(front, result);
        front->counters.absorbed++;
        result->verdict = SIP_FRONT_ABSORB;
        return SIP_FRONT_ABSORB;
    }

    /* Out of a dialog, no credentials (they are headers outside the list), a user-part. */
    if (to.tag.off != SIP_NO_SPAN || to.uri.user.off == SIP_NO_SPAN || from.uri.user.off == SIP_NO_SPAN ||
        to.addr.display.off != SIP_NO_SPAN || to.addr.n_params != 0 || to.uri.has_port ||
        VALUE(F_TO).len < 2 || head[VALUE(F_TO).off] != '<' ||
        head[VALUE(F_TO).off + VALUE(F_TO).len - 1] != '>')
        return pass(front, result);
    uri_t ruri;
    if (!check_sip_uri(head, h.start.b.off, h.start.b.len, 0, &ruri) || ruri.has_port ||
        find_realm(front, head, ruri.host) == NULL)
        return pass(front, result);
    const realm_t *realm;
    int kind;
    if (method == SIP_FRONT_REGISTER) {
        if (body_len != 0)
            return pass(front, result);
        realm = find_realm(front, head, to.uri.host); /* Registrar: realm_for(To host) */
        kind = SIP_FRONT_UAS;
    } else {
        if (ruri.user.off == SIP_NO_SPAN || head[ruri.user.off] == '+' || excluded(front, head, &ruri) ||
            at[F_MAX_FORWARDS] < 0)
            return pass(front, result);
        realm = find_realm(front, head, from.uri.host); /* CallerAuthentication: the From's */
        kind = SIP_FRONT_PROXY;
    }
    if (realm == NULL || realm->n[kind] == 0)
        return pass(front, result);

    /* The transaction key (17.2.3): method, branch, sent-by (host lower case, port). */
    uint8_t key[SIP_FRONT_KEY_MAX];
    writer_t kw = {key, sizeof key, 0, 0};
    uint8_t m = (uint8_t)('0' + method);
    put(&kw, &m, 1);
    put(&kw, head + via.branch.off, via.branch.len);
    put(&kw, "|", 1);
    for (uint32_t k = 0; k < via.host.len; k++) {
        uint8_t c = lower((unsigned char)head[via.host.off + k]);
        put(&kw, &c, 1);
    }
    put(&kw, ":", 1);
    put_uint(&kw, via.port ? via.port : 5060);
    if (kw.failed)
        return pass(front, result);
    uint32_t hash = fnv1a(key, kw.len);
    uint16_t dest_port = via.rport ? src_port : (uint16_t)(via.port ? via.port : 5060);

    entry_t *hit = cache_find(front, key, kw.len, hash, now);
    if (hit != NULL) {
        if (hit->answer_len > out_cap)
            return pass(front, result);
        memcpy(out, hit->answer, hit->answer_len);
        front->counters.resent++;
        result->verdict = SIP_FRONT_RESEND;
        result->method = hit->method;
        result->len = hit->answer_len;
        result->dest_port = hit->port;
        return SIP_FRONT_RESEND;
    }

    if (at[F_AUTHORIZATION] >= 0) {
        if (!verify_register(front, head, (uint32_t)ms.head_off, &h, fields, at, &from, &to, &contact, realm, seq,
                             now, result))
            return pass(front, result);
        writer_t w = {out, out_cap < SIP_FRONT_ANSWER_MAX ? out_cap : SIP_FRONT_ANSWER_MAX, 0, 0};
        if (!write_head(front, &w, "SIP/2.0 200 OK\r\n", head, fields, n_fields, at, &via, src_host, src_host_len,
                        src_port, 0))
            return pass(front, result);
        put_str(&w, "Content-Length: 0\r\n");
        if (w.failed)
            return pass(front, result);
        front->pending = 1;
        front->pending_hash = hash;
        front->pending_key_len = (uint16_t)kw.len;
        memcpy(front->pending_key, key, kw.len);
        front->pending_port = dest_port;
        result->verdict = SIP_FRONT_VERIFIED;
        result->method = SIP_FRONT_REGISTER;
        result->len = (uint32_t)w.len;
        result->dest_port = dest_port;
        return SIP_FRONT_VERIFIED;
    }

    /* The answer: make_response's copy (8.2.6.2) + the challenges. */
    char nonce[SIP_NONCE_LEN];
    make_nonce(front, realm, now, nonce);
    writer_t w = {out, out_cap < SIP_FRONT_ANSWER_MAX ? out_cap : SIP_FRONT_ANSWER_MAX, 0, 0};
    if (!write_head(front, &w,
                    kind == SIP_FRONT_UAS ? "SIP/2.0 401 Unauthorized\r\n" : "SIP/2.0 407 Proxy Authentication Required\r\n",
                    head, fields, n_fields, at, &via, src_host, src_host_len, src_port, 1))
        return pass(front, result);
    put_str(&w, "Content-Length: 0\r\n");
    for (size_t c = 0; c < realm->n[kind]; c++) {
        put_str(&w, kind == SIP_FRONT_UAS ? "WWW-Authenticate: " : "Proxy-Authenticate: ");
        put(&w, realm->head[kind][c].text, realm->head[kind][c].len);
        put(&w, nonce, SIP_NONCE_LEN);
        put(&w, realm->tail[kind][c].text, realm->tail[kind][c].len);
        put(&w, "\r\n", 2);
    }
    put(&w, "\r\n", 2);
    if (w.failed)
        return pass(front, result);

    if (front->cache_seconds > 0) {
        entry_t *e = cache_slot(front, hash);
        e->until = now + front->cache_seconds;
        e->hash = hash;
        e->key_len = (uint16_t)kw.len;
        memcpy(e->key, key, kw.len);
        e->answer_len = (uint16_t)w.len;
        memcpy(e->answer, out, w.len);
        e->port = dest_port;
        e->method = (uint8_t)method;
    }
    front->counters.answered[method]++;
    result->verdict = SIP_FRONT_ANSWER;
    result->method = method;
    result->len = (uint32_t)w.len;
    result->dest_port = dest_port;
    return SIP_FRONT_ANSWER;
#undef VALUE
#undef VPTR
}
