/* ICE-lite responder (RFC 8445, RFC 7675): see ice_lite.h. */
#include "ice_lite.h"

#include <stdlib.h>
#include <string.h>

#include "uc_errors.h"

/* note_check() replaces an unselected pair when the table is full: needs two slots. */
_Static_assert(UC_ICE_LITE_MAX_PAIRS >= 2, "the pair table needs a slot besides the selected one");

typedef struct pair {
    uc_stun_addr remote;
    uint32_t priority;   /* PRIORITY of the last valid check on this pair */
    int64_t last_check; /* now_ms of the last valid check */
    int used;
} pair;

struct uc_ice_lite {
    char local_ufrag[UC_ICE_MAX_UFRAG];
    size_t local_ufrag_len;
    char remote_ufrag[UC_ICE_MAX_UFRAG];
    size_t remote_ufrag_len; /* 0: not known yet */
    char remote_pwd[UC_ICE_MAX_PWD];
    size_t remote_pwd_len;
    uc_stun_key *local_key; /* keys checks we receive and responses we send */
    pair pairs[UC_ICE_LITE_MAX_PAIRS];
    int selected; /* index into pairs, or -1 */
    uc_ice_lite_counters counters;
};

static int ufrag_ok(const char *ufrag, size_t len, int required)
{
    if (len == 0)
        return !required;
    if (ufrag == NULL || len > UC_ICE_MAX_UFRAG)
        return 0;
    /* The ':' separates the two fragments in USERNAME (RFC 8445 section 7.2.2). */
    return memchr(ufrag, ':', len) == NULL;
}

int uc_ice_lite_create(uc_ice_lite **out, const char *local_ufrag, size_t local_ufrag_len,
                       const char *local_pwd, size_t local_pwd_len, const char *remote_ufrag,
                       size_t remote_ufrag_len, const char *remote_pwd, size_t remote_pwd_len)
{
    if (out == NULL || !ufrag_ok(local_ufrag, local_ufrag_len, 1) || local_pwd == NULL ||
        local_pwd_len == 0 || local_pwd_len > UC_ICE_MAX_PWD)
        return UC_ERR_ARGUMENT;
    uc_ice_lite *ice = calloc(1, sizeof *ice);
    if (ice == NULL)
        return UC_ERR_NOMEM;
    memcpy(ice->local_ufrag, local_ufrag, local_ufrag_len);
    ice->local_ufrag_len = local_ufrag_len;
    ice->selected = -1;
    int rc = uc_ice_lite_set_remote(ice, remote_ufrag, remote_ufrag_len, remote_pwd, remote_pwd_len);
    if (rc == UC_OK)
        rc = uc_stun_key_create(&ice->local_key, (const uint8_t *)local_pwd, local_pwd_len);
    if (rc != UC_OK) {
        free(ice);
        return rc;
    }
    *out = ice;
    return UC_OK;
}

void uc_ice_lite_destroy(uc_ice_lite *ice)
{
    if (ice == NULL)
        return;
    uc_stun_key_destroy(ice->local_key);
    free(ice);
}

int uc_ice_lite_set_remote(uc_ice_lite *ice, const char *remote_ufrag, size_t remote_ufrag_len,
                           const char *remote_pwd, size_t remote_pwd_len)
{
    if (ice == NULL || !ufrag_ok(remote_ufrag, remote_ufrag_len, 0) ||
        (remote_pwd == NULL && remote_pwd_len > 0) || remote_pwd_len > UC_ICE_MAX_PWD)
        return UC_ERR_ARGUMENT;
    if (remote_ufrag_len > 0)
        memcpy(ice->remote_ufrag, remote_ufrag, remote_ufrag_len);
    ice->remote_ufrag_len = remote_ufrag_len;
    if (remote_pwd_len > 0)
        memcpy(ice->remote_pwd, remote_pwd, remote_pwd_len);
    ice->remote_pwd_len = remote_pwd_len;
    return UC_OK;
}

/* USERNAME of a check sent to us is "our_ufrag:their_ufrag" (RFC 8445 section 7.2.2).
 * Before the remote fragment is known any non-empty one is accepted. */
static int username_ok(const uc_ice_lite *ice, const uint8_t *v, size_t len)
{
    size_t l = ice->local_ufrag_len;
    if (len < l + 2 || memcmp(v, ice->local_ufrag, l) != 0 || v[l] != ':')
        return 0;
    if (ice->remote_ufrag_len == 0)
        return 1;
    return len - l - 1 == ice->remote_ufrag_len &&
           memcmp(v + l + 1, ice->remote_ufrag, ice->remote_ufrag_len) == 0;
}

static int consent_fresh(const pair *p, int64_t now_ms)
{
    return now_ms - p->last_check < UC_ICE_LITE_CONSENT_TIMEOUT_MS;
}

/* Record a valid check from `remote`; returns the pair's index. */
static int note_check(uc_ice_lite *ice, const uc_stun_addr *remote, uint32_t priority,
                      int64_t now_ms)
{
    int slot = -1;
    for (int i = 0; i < UC_ICE_LITE_MAX_PAIRS; i++) {
        if (ice->pairs[i].used && uc_stun_addr_equal(&ice->pairs[i].remote, remote)) {
            slot = i;
            break;
        }
    }
    if (slot < 0) {
        /* A free slot, else the least recently checked pair that is not selected. */
        for (int i = 0; i < UC_ICE_LITE_MAX_PAIRS; i++) {
            if (i == ice->selected)
                continue;
            if (!ice->pairs[i].used) {
                slot = i;
                break;
            }
            if (slot < 0 || ice->pairs[i].last_check < ice->pairs[slot].last_check)
                slot = i;
        }
        ice->pairs[slot].remote = *remote;
        ice->pairs[slot].used = 1;
    }
    ice->pairs[slot].priority = priority;
    ice->pairs[slot].last_check = now_ms;
    return slot;
}

/* USE-CANDIDATE on a valid check (RFC 8445 section 7.3.1.5). Returns 1 if the selected
 * pair changed. */
static int nominate(uc_ice_lite *ice, int slot, int64_t now_ms)
{
    if (ice->selected == slot)
        return 0;
    if (ice->selected >= 0) {
        const pair *cur = &ice->pairs[ice->selected];
        if (consent_fresh(cur, now_ms) && cur->priority > ice->pairs[slot].priority)
            return 0;
    }
    ice->selected = slot;
    return 1;
}

/* Write an error response: class ERROR, ERROR-CODE, then (for authenticated requests)
 * extra attributes and MESSAGE-INTEGRITY, and FINGERPRINT. */
static int error_response(uc_ice_lite *ice, const uc_stun_msg *req, int code, const char *reason,
                          int authenticated, const uint16_t *unknown, size_t n_unknown,
                          uint8_t *out, size_t cap)
{
    uc_stun_builder b;
    uc_stun_build_start(&b, out, cap, uc_stun_type(req->method, UC_STUN_ERROR), req->txid);
    uc_stun_add_error_code(&b, code, reason, strlen(reason));
    if (n_unknown > 0)
        uc_stun_add_unknown_attributes(&b, unknown, n_unknown);
    if (authenticated)
        uc_stun_add_integrity(&b, ice->local_key);
    uc_stun_add_fingerprint(&b);
    return uc_stun_build_finish(&b);
}

int uc_ice_lite_handle(uc_ice_lite *ice, const uint8_t *packet, size_t len,
                       const struct sockaddr *src, socklen_t src_len, int64_t now_ms,
                       uint8_t *out, size_t out_capacity, unsigned *events)
{
    unsigned ev = 0;
    if (events != NULL)
        *events = 0;
    uc_stun_addr remote;
    if (ice == NULL || (packet == NULL && len > 0) || out == NULL ||
        uc_stun_addr_from_sockaddr(&remote, src, src_len) != UC_OK)
        return UC_ERR_ARGUMENT;

    uc_stun_msg req;
    int rc = 0;
    if (uc_stun_parse(&req, packet, len) != UC_OK) {
        ice->counters.malformed++;
        ev = UC_ICE_LITE_EV_DROPPED;
        goto done;
    }
    if (req.msg_class != UC_STUN_REQUEST) {
        /* Indications are keepalives (RFC 8445 section 11); responses answer requests a
         * lite agent never sends. */
        ice->counters.ignored++;
        ev = UC_ICE_LITE_EV_DROPPED;
        goto done;
    }
    if (uc_stun_check_fingerprint(&req) != UC_OK) {
        ice->counters.bad_fingerprint++;
        ev = UC_ICE_LITE_EV_DROPPED;
        goto done;
    }
    ice->counters.requests++;

    /* RFC 8489 section 9.1.3: without USERNAME and MESSAGE-INTEGRITY, 400; an unknown
     * USERNAME or a bad MESSAGE-INTEGRITY, 401 (neither answer carries integrity). */
    int username = uc_stun_find(&req, UC_STUN_ATTR_USERNAME);
    if (req.method != UC_STUN_BINDING || username < 0 || req.integrity < 0) {
        ice->counters.bad_request++;
        ev = UC_ICE_LITE_EV_REJECTED;
        rc = error_response(ice, &req, 400, "Bad Request", 0, NULL, 0, out, out_capacity);
        goto done;
    }
    if (!username_ok(ice, uc_stun_attr_value(&req, username), req.attrs[username].length)) {
        ice->counters.unknown_user++;
        ev = UC_ICE_LITE_EV_REJECTED;
        rc = error_response(ice, &req, 401, "Unauthorized", 0, NULL, 0, out, out_capacity);
        goto done;
    }
    if (uc_stun_check_integrity(&req, ice->local_key) != UC_OK) {
        ice->counters.bad_integrity++;
        ev = UC_ICE_LITE_EV_REJECTED;
        rc = error_response(ice, &req, 401, "Unauthorized", 0, NULL, 0, out, out_capacity);
        goto done;
    }

    /* Authenticated from here on: error responses carry MESSAGE-INTEGRITY too. */
    uint16_t unknown[UC_STUN_MAX_UNKNOWN];
    int n_unknown = uc_stun_unknown_required(&req, unknown, UC_STUN_MAX_UNKNOWN);
    if (n_unknown > 0) {
        ice->counters.unknown_attribute++;
        ev = UC_ICE_LITE_EV_REJECTED;
        rc = error_response(ice, &req, 420, "Unknown Attribute", 1, unknown,
                            n_unknown < UC_STUN_MAX_UNKNOWN ? (size_t)n_unknown
                                                            : UC_STUN_MAX_UNKNOWN,
                            out, out_capacity);
        goto done;
    }
    /* RFC 8445 section 7.3.1.1: a request with ICE-CONTROLLED claims the role a lite
     * agent always has; ask the peer to switch (it must, since we cannot). */
    if (uc_stun_find(&req, UC_STUN_ATTR_ICE_CONTROLLED) >= 0) {
        ice->counters.role_conflict++;
        ev = UC_ICE_LITE_EV_REJECTED;
        rc = error_response(ice, &req, 487, "Role Conflict", 1, NULL, 0, out, out_capacity);
        goto done;
    }
    /* RFC 8445 section 7.1.1: every check carries PRIORITY. */
    uint32_t priority;
    if (uc_stun_read_u32(&req, uc_stun_find(&req, UC_STUN_ATTR_PRIORITY), &priority) != UC_OK) {
        ice->counters.bad_request++;
        ev = UC_ICE_LITE_EV_REJECTED;
        rc = error_response(ice, &req, 400, "Bad Request", 1, NULL, 0, out, out_capacity);
        goto done;
    }

    uc_stun_builder b;
    uc_stun_build_start(&b, out, out_capacity, uc_stun_type(UC_STUN_BINDING, UC_STUN_SUCCESS),
                        req.txid);
    uc_stun_add_xor_address(&b, UC_STUN_ATTR_XOR_MAPPED_ADDRESS, &remote);
    uc_stun_add_integrity(&b, ice->local_key);
    uc_stun_add_fingerprint(&b);
    rc = uc_stun_build_finish(&b);
    if (rc < 0)
        goto done; /* no room: state unchanged, so a retransmission can still succeed */

    int slot = note_check(ice, &remote, priority, now_ms);
    ice->counters.success++;
    ev = UC_ICE_LITE_EV_CHECK;
    if (uc_stun_find(&req, UC_STUN_ATTR_USE_CANDIDATE) >= 0 && nominate(ice, slot, now_ms))
        ev |= UC_ICE_LITE_EV_SELECTED;

done:
    if (events != NULL)
        *events = ev;
    return rc;
}

int uc_ice_lite_selected(const uc_ice_lite *ice, struct sockaddr *out, socklen_t *out_len)
{
    if (ice == NULL || ice->selected < 0)
        return 0;
    if (uc_stun_addr_to_sockaddr(&ice->pairs[ice->selected].remote, out, out_len) != UC_OK)
        return 0;
    return 1;
}

int uc_ice_lite_state(const uc_ice_lite *ice, int64_t now_ms)
{
    if (ice == NULL || ice->selected < 0)
        return UC_ICE_LITE_WAITING;
    return consent_fresh(&ice->pairs[ice->selected], now_ms) ? UC_ICE_LITE_CONNECTED
                                                             : UC_ICE_LITE_EXPIRED;
}

int uc_ice_lite_consent_expired(const uc_ice_lite *ice, int64_t now_ms)
{
    return uc_ice_lite_state(ice, now_ms) == UC_ICE_LITE_EXPIRED;
}

int64_t uc_ice_lite_last_check(const uc_ice_lite *ice)
{
    if (ice == NULL || ice->selected < 0)
        return -1;
    return ice->pairs[ice->selected].last_check;
}

void uc_ice_lite_get_counters(const uc_ice_lite *ice, uc_ice_lite_counters *out)
{
    if (out == NULL)
        return;
    if (ice == NULL)
        memset(out, 0, sizeof *out);
    else
        *out = ice->counters;
}
