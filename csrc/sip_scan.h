/* SIP message scanning (RFC 3261 7, 25): the byte-level work under uc_signal.sip.
 *
 * Every scanner reads a caller's buffer and writes offsets into caller-provided structs
 * and arrays; nothing is copied, nothing allocated, nothing read past buf[len - 1]. The
 * Python layer (uc_signal/_sipscan.pyx) turns the offsets into str objects and the typed
 * header objects, and maps the failures to ParseError with the reason codes below.
 *
 * Grammar notes that matter for equivalence with the typed objects:
 * - Lines end at CRLF only; a line starting with SP or HT continues the previous one
 *   (RFC 3261 7.3.1). A folded value is flagged, not rewritten: the caller replaces each
 *   `*WSP CRLF 1*WSP` by one SP.
 * - Header values are trimmed of SP/HT and of folds at both ends; names of trailing
 *   SP/HT and folds ("Subject : x" is allowed, RFC 4475 3.1.1.1).
 * - A quoted-string is `DQUOTE *(qdtext / "\" any-but-CR-LF) DQUOTE`; octets >= 0x80 are
 *   qdtext (UTF-8 display names).
 * - "Whitespace" inside URI spans is what Python's str `\s` matches, read as UTF-8:
 *   ASCII 09-0D and 1C-20 plus the Unicode spaces (U+0085, U+00A0, U+1680, U+2000-200A,
 *   U+2028, U+2029, U+202F, U+205F, U+3000), so the C and the former regex grammar agree.
 *
 * Spans are {off, len} from the start of the buffer passed in; `off == SIP_NO_SPAN`
 * means absent (a parameter without `=value`, no display name). */
#ifndef UC_SIP_SCAN_H
#define UC_SIP_SCAN_H

#include <stddef.h>
#include <stdint.h>

#define SIP_NO_SPAN UINT32_MAX
/* Buffers longer than this are refused (offsets are 32-bit). */
#define SIP_SCAN_MAX_LEN 0x7fffffffu

typedef struct {
    uint32_t off;
    uint32_t len;
} sip_span_t;

/* Headers recognised by name (any case) or compact form (RFC 3261 7.3.3); everything
 * else is SIP_H_OTHER and keyed by the caller. The Python layer keeps a table of the
 * lower-case long names in this order: keep the two in step. */
enum sip_header_id {
    SIP_H_OTHER = 0,
    SIP_H_VIA,
    SIP_H_FROM,
    SIP_H_TO,
    SIP_H_CALL_ID,
    SIP_H_CSEQ,
    SIP_H_CONTACT,
    SIP_H_MAX_FORWARDS,
    SIP_H_CONTENT_LENGTH,
    SIP_H_CONTENT_TYPE,
    SIP_H_EXPIRES,
    SIP_H_AUTHORIZATION,
    SIP_H_PROXY_AUTHORIZATION,
    SIP_H_WWW_AUTHENTICATE,
    SIP_H_PROXY_AUTHENTICATE,
    SIP_H_ROUTE,
    SIP_H_RECORD_ROUTE,
    SIP_H_USER_AGENT,
    SIP_H_ALLOW,
    SIP_H_SUPPORTED,
    SIP_H_REQUIRE,
    SIP_H_EVENT,
    SIP_H_SUBSCRIPTION_STATE,
    SIP_H_ALLOW_EVENTS,
    SIP_H_ACCEPT_CONTACT,
    SIP_H_REFERRED_BY,
    SIP_H_REQUEST_DISPOSITION,
    SIP_H_CONTENT_ENCODING,
    SIP_H_REJECT_CONTACT,
    SIP_H_IDENTITY_INFO,
    SIP_H_REFER_TO,
    SIP_H_SUBJECT,
    SIP_H_SESSION_EXPIRES,
    SIP_H_IDENTITY,
    SIP_H_COUNT
};

/* Why a scan failed (the `reason` out-parameter); the return value is UC_ERR_MALFORMED,
 * UC_ERR_UNSUPPORTED (SIP version other than 2.0: answer 505) or UC_ERR_NOSPACE. */
enum sip_scan_reason {
    SIP_OK = 0,
    SIP_ERR_START_LINE,     /* neither a Request-Line nor a Status-Line */
    SIP_ERR_VIA,            /* Via sent-protocol / sent-by malformed */
    SIP_ERR_VIA_PROTOCOL,   /* sent-protocol name is not SIP */
    SIP_ERR_VIA_VERSION,    /* sent-protocol version is not 2.0 (UC_ERR_UNSUPPORTED) */
    SIP_ERR_PARAMS,         /* a `;name[=value]` parameter is malformed */
    SIP_ERR_ADDRESS,        /* neither name-addr nor addr-spec */
    SIP_ERR_CSEQ,           /* not `1*DIGIT LWS method` */
    SIP_ERR_CSEQ_TOO_LARGE, /* sequence number >= 2**31 (RFC 3261 8.1.1.5) */
    SIP_ERR_AUTH,           /* no scheme, or neither auth-params nor token68 */
    SIP_ERR_AUTH_PARAM,     /* a malformed auth-param after a good one */
    SIP_ERR_AUTH_TRAILING,  /* characters after the last auth-param */
    SIP_ERR_AUTH_EMPTY,     /* nothing but whitespace */
    SIP_ERR_TOO_LONG,       /* buffer over SIP_SCAN_MAX_LEN */
    SIP_ERR_NOSPACE         /* caller's array too small; the count needed is returned */
};

/* ---- whole message ---- */

typedef struct {
    uint32_t head_off;  /* after leading CRLFs (RFC 3261 7.5) */
    uint32_t head_len;  /* up to the CRLFCRLF, or to the end less one trailing CRLF */
    uint32_t body_off;  /* after the CRLFCRLF, or the buffer length when there is none */
} sip_message_span_t;

/* Where the head and the body of one whole message (a datagram, a file) are. */
void sip_split_message(const char *buf, size_t len, sip_message_span_t *out);

enum sip_start_kind { SIP_START_REQUEST = 1, SIP_START_RESPONSE = 2 };

typedef struct {
    /* Request: a = method, b = Request-URI, c = version.
     * Response: a = version, b = status code (3 digits), c = reason phrase. */
    sip_span_t a, b, c;
    int status; /* responses: 100..699 */
} sip_start_line_t;

/* One start line with no CRLF in it (unfold first). Returns SIP_START_REQUEST,
 * SIP_START_RESPONSE or UC_ERR_MALFORMED (reason SIP_ERR_START_LINE). The grammar:
 * `token SP scheme ":" *(not SP/HT/CR/LF) SP SIP-Version` or
 * `SIP-Version SP [1-6]DIGIT DIGIT [SP *(not CR/LF)]`, SIP-Version = "SIP/" 1*DIGIT "." 1*DIGIT
 * (any case). */
int sip_scan_start_line(const char *buf, size_t len, sip_start_line_t *out);

#define SIP_FIELD_FOLDED 1u    /* the span holds folds: unfold it */
#define SIP_FIELD_MALFORMED 2u /* no colon or the name is not a token; `value` spans the line */

typedef struct {
    sip_span_t name;  /* as written, trailing SP/HT/folds trimmed */
    sip_span_t value; /* trimmed; for a malformed line: the whole logical line */
    uint16_t id;      /* enum sip_header_id */
    uint16_t flags;
} sip_field_t;

#define SIP_CL_ABSENT (-1)
#define SIP_CL_UNREAD (-2) /* present but not one plain value: the caller decides */

typedef struct {
    sip_span_t start_line; /* the first logical line */
    uint32_t start_flags;  /* SIP_FIELD_FOLDED when continuation lines follow it */
    int start_kind;        /* sip_scan_start_line()'s result when not folded, else 0 */
    sip_start_line_t start;
    uint32_t n_fields;     /* logical lines after the start line (malformed ones too) */
    /* Content-Length: its value when every Content-Length field holds the same plain
     * 1*10DIGIT <= 2**31-1 unfolded; SIP_CL_ABSENT; or SIP_CL_UNREAD. */
    int64_t content_length;
} sip_head_t;

/* The header block `buf[0..len)` (no final CRLFCRLF): start line and one entry per
 * header line into fields[0..cap). Returns the number of field lines, which may exceed
 * cap (then only cap are written: call again with a bigger array); or UC_ERR_MALFORMED
 * with reason SIP_ERR_TOO_LONG. */
int sip_scan_head(const char *buf, size_t len, sip_head_t *out, sip_field_t *fields,
                  size_t cap, int *reason);

/* ---- typed values (one unfolded header value or list element) ---- */

typedef struct {
    sip_span_t name;  /* as written (the caller lower-cases) */
    sip_span_t value; /* off == SIP_NO_SPAN for a flag like `lr`; quotes kept */
} sip_param_t;

/* `*( *WSP ";" *WSP token [ *WSP "=" *WSP gen-value ] *WSP )` from `pos` to `len`,
 * gen-value = 1*(token-char / ":" / "[" / "]") / quoted-string (RFC 3261 25.1 with
 * RFC 4475's LWS). Returns the parameter count (> cap: not all written, reason
 * SIP_ERR_NOSPACE and the return is UC_ERR_NOSPACE with *needed set) or UC_ERR_MALFORMED
 * (SIP_ERR_PARAMS). */
int sip_scan_params(const char *buf, size_t len, size_t pos, sip_param_t *params, size_t cap,
                    uint32_t *needed, int *reason);

typedef struct {
    sip_span_t protocol; /* "SIP" */
    sip_span_t version;  /* "2.0" */
    sip_span_t transport;
    sip_span_t host;     /* hostname, IPv4 or [IPv6] */
    int32_t port;        /* -1: absent; else 0..99999 (the caller checks <= 65535) */
    uint32_t n_params;
} sip_via_t;

/* One via-parm (RFC 3261 20.42): `sent-protocol LWS sent-by *(SEMI via-params)`, LWS
 * allowed around "/", ":" and ";" (RFC 4475 3.1.1.1). Returns n_params, or < 0 with
 * reason SIP_ERR_VIA / SIP_ERR_VIA_PROTOCOL / SIP_ERR_PARAMS (UC_ERR_MALFORMED),
 * SIP_ERR_VIA_VERSION (UC_ERR_UNSUPPORTED), SIP_ERR_NOSPACE (UC_ERR_NOSPACE: n_params
 * holds the count needed). */
int sip_scan_via(const char *buf, size_t len, sip_via_t *out, sip_param_t *params, size_t cap,
                 int *reason);

typedef struct {
    sip_span_t display;   /* SIP_NO_SPAN: none; quoted: inside the quotes */
    int display_quoted;   /* 1: quoted-string; 2: quoted and holds quoted-pairs */
    sip_span_t uri;
    uint32_t n_params;
} sip_name_addr_t;

/* `[display-name] LAQUOT URI RAQUOT *(SEMI param)` or `addr-spec *(SEMI param)` (RFC 3261
 * 20.10): display-name = quoted-string / token *(LWS token); in the addr-spec form the URI
 * runs to the first whitespace, ";", ",", "<", ">", DQUOTE or "?" (RFC 3261 20,
 * RFC 4475 3.1.2.13). Returns n_params or < 0 (SIP_ERR_ADDRESS, SIP_ERR_PARAMS,
 * SIP_ERR_NOSPACE as for Via). */
int sip_scan_name_addr(const char *buf, size_t len, sip_name_addr_t *out, sip_param_t *params,
                       size_t cap, int *reason);

/* CSeq (RFC 3261 20.16): `*WSP 1*DIGIT 1*WSP token *WSP`, the number < 2**31.
 * Returns 0, or UC_ERR_MALFORMED with SIP_ERR_CSEQ / SIP_ERR_CSEQ_TOO_LARGE (then `digits`
 * is still set, for the message). */
int sip_scan_cseq(const char *buf, size_t len, uint32_t *seq, sip_span_t *digits,
                  sip_span_t *method, int *reason);

enum sip_auth_kind { SIP_AUTH_SCHEME = 1, SIP_AUTH_PARAM = 2, SIP_AUTH_TOKEN68 = 3 };

typedef struct {
    int kind;         /* enum sip_auth_kind */
    int quoted;       /* params: 1 quoted-string (value spans inside the quotes), 2 with
                       * quoted-pairs to resolve; 0 a token */
    sip_span_t name;  /* scheme, or param name */
    sip_span_t value; /* param value, or the token68 */
} sip_auth_item_t;

/* Authorization / WWW-Authenticate and the proxy ones (RFC 3261 25.1, RFC 7235 2.1 / 4.1):
 * one or more `scheme (auth-param *("," auth-param) / token68)` separated by commas, LWS
 * around "=" and ",". Emits a SCHEME item then its PARAM or TOKEN68 items, per challenge.
 * Returns the item count (> cap: UC_ERR_NOSPACE, *needed set) or UC_ERR_MALFORMED with
 * SIP_ERR_AUTH / SIP_ERR_AUTH_PARAM / SIP_ERR_AUTH_TRAILING / SIP_ERR_AUTH_EMPTY. */
int sip_scan_auth(const char *buf, size_t len, sip_auth_item_t *items, size_t cap,
                  uint32_t *needed, int *reason);

/* 1 if buf[0..len) is a non-empty token (RFC 3261 25.1), else 0. */
int sip_is_token(const char *buf, size_t len);

#endif
