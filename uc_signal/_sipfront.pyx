# cython: language_level=3, boundscheck=False, wraparound=False
"""The C front of SIP over UDP (csrc/sip_front.c): digest challenges, their
retransmissions and the ACKs to them answered before the Python stack parses anything.
Internal: uc_signal.transport.challenge_front builds and configures it from the SIP
services; uc_signal.transport.udp offers it every datagram first.
"""

from libc.stdint cimport uint8_t, uint16_t, uint64_t
from libc.string cimport memcpy

from uc_signal.includes.sip_front cimport *

PASS = SIP_FRONT_PASS
ABSORB = SIP_FRONT_ABSORB
ANSWER = SIP_FRONT_ANSWER
RESEND = SIP_FRONT_RESEND
VERIFIED = SIP_FRONT_VERIFIED
METHODS = ("REGISTER", "INVITE", "MESSAGE")   # enum sip_front_method order


cdef class SipFront:
    """One front (one per event loop). `handle()` decides on a datagram; after ANSWER or
    RESEND, `answer` holds the bytes to send to (source host, `dest_port`)."""

    cdef sip_front_t *_front
    cdef readonly bytes answer
    cdef readonly int dest_port
    # Authenticated REGISTERs (VERIFIED): the registrar's function that applies one and
    # returns the 200's header fields after Content-Length (None: the Python stack takes
    # the request), and how long the 200 is kept for retransmissions (Timer J).
    cdef public object register_handler
    cdef public double register_memory
    cdef uint8_t _out[SIP_FRONT_ANSWER_MAX]

    def __cinit__(self, bytes secret, str tag_prefix, int cache_entries=8192, double cache_seconds=4.0,
                  seed=0):
        cdef sip_front_config_t config
        prefix = tag_prefix.encode("ascii")
        config.secret = <const uint8_t *><const char *>secret
        config.secret_len = len(secret)
        config.tag_prefix = prefix
        config.tag_prefix_len = len(prefix)
        if cache_entries < 0:
            raise ValueError("cache_entries must not be negative")
        config.cache_entries = cache_entries
        config.cache_seconds = cache_seconds
        config.seed = <uint64_t>(int(seed) & 0xFFFFFFFFFFFFFFFF)
        self._front = sip_front_create(&config)
        if self._front == NULL:
            raise ValueError("cannot create the SIP front (secret < 16 bytes, prefix too long, "
                             "or out of memory)")
        self.answer = None
        self.dest_port = 0
        self.register_handler = None
        self.register_memory = 32.0

    def __dealloc__(self):
        sip_front_destroy(self._front)

    def clear(self):
        """Forget the realms and excluded URIs (before configuring them anew)."""
        sip_front_clear(self._front)

    def set_realm(self, str realm, bint proxy, list templates):
        """The challenge texts of `realm`: [(head, tail)] around the nonce, one per algorithm
        offered (DigestAuthenticator.challenge_templates()); `proxy` selects 407."""
        cdef const char *heads[SIP_FRONT_MAX_CHALLENGES]
        cdef const char *tails[SIP_FRONT_MAX_CHALLENGES]
        cdef size_t head_lens[SIP_FRONT_MAX_CHALLENGES]
        cdef size_t tail_lens[SIP_FRONT_MAX_CHALLENGES]
        if not 0 < len(templates) <= SIP_FRONT_MAX_CHALLENGES:
            raise ValueError(f"between 1 and {SIP_FRONT_MAX_CHALLENGES} challenges")
        keep = []
        for i, (head, tail) in enumerate(templates):
            h, t = head.encode("utf-8"), tail.encode("utf-8")
            keep += [h, t]
            heads[i], head_lens[i] = h, len(h)
            tails[i], tail_lens[i] = t, len(t)
        name = realm.encode("utf-8")
        rc = sip_front_set_realm(self._front, name, len(name), SIP_FRONT_PROXY if proxy else SIP_FRONT_UAS,
                                 heads, head_lens, tails, tail_lens, len(templates))
        if rc < 0:
            raise ValueError(f"realm {realm!r}: too many realms, or a realm or challenge too long")

    def exclude_uri(self, str user_at_host):
        """INVITEs and MESSAGEs to sip:`user_at_host` pass (an application answers them
        without a challenge)."""
        data = user_at_host.encode("utf-8")
        if sip_front_exclude_uri(self._front, data, len(data)) < 0:
            raise ValueError(f"cannot exclude {user_at_host!r}: too long or too many")

    def set_digest(self, str realm, str opaque, algorithms, double nonce_lifetime):
        """The registrar's digest rules for `realm` (set_realm first): its opaque, the
        algorithm names it offers, its nonce lifetime."""
        cdef unsigned flags = 0
        for name in algorithms:
            flags |= ALGORITHM_FLAGS[name]
        r, o = realm.encode("utf-8"), opaque.encode("utf-8")
        if sip_front_set_digest(self._front, r, len(r), o, len(o), flags, nonce_lifetime) < 0:
            raise ValueError(f"realm {realm!r}: not set, or bad digest rules")

    def set_user(self, str username, str realm, credentials):
        """A user's HA1s in `realm`: {algorithm name: HA1 hex}."""
        u, r = username.encode("utf-8"), realm.encode("utf-8")
        for name, ha1 in credentials.items():
            flag = ALGORITHM_FLAGS.get(name)
            if flag is None:
                continue
            h = ha1.lower().encode("ascii")
            if sip_front_set_user(self._front, u, len(u), r, len(r), flag, h, len(h)) < 0:
                raise ValueError(f"user {username!r}@{realm!r}: name too long or bad HA1")

    def drop_user(self, str username, str realm):
        u, r = username.encode("utf-8"), realm.encode("utf-8")
        sip_front_drop_user(self._front, u, len(u), r, len(r))

    @property
    def users(self):
        """How many users the HA1 table holds."""
        return sip_front_users(self._front)

    @property
    def register(self):
        raise AttributeError("write-only")

    @register.setter
    def register(self, bint value):
        """Whether authenticated REGISTERs may be verified here (register_handler set)."""
        sip_front_set_register(self._front, value)

    @property
    def enabled(self):
        raise AttributeError("write-only")

    @enabled.setter
    def enabled(self, bint value):
        sip_front_set_enabled(self._front, value)

    def handle(self, bytes data not None, str host, int port, double now, str flow=""):
        """PASS (0), ABSORB (1), ANSWER (2) or RESEND (3) for a datagram from host:port at
        wall-clock `now` (on the UDP endpoint `flow`). A VERIFIED REGISTER is applied by
        `register_handler` here and answered (ANSWER) or passed."""
        cdef sip_front_result_t result
        host_bytes = host.encode("ascii", "replace")
        cdef const char *h = host_bytes
        cdef size_t host_len = len(host_bytes)
        cdef const uint8_t *p = <const uint8_t *><const char *>data
        cdef size_t n = len(data)
        cdef int verdict
        if not 0 <= port <= 65535:
            raise ValueError(f"port {port} out of range")
        # With the GIL held: ~1-2 us, and the front (its table, counters, the answer buffer)
        # is one thread's; the GIL keeps a second caller out.
        verdict = sip_front_handle(self._front, p, n, h, host_len, <uint16_t>port, now,
                                   self._out, SIP_FRONT_ANSWER_MAX, &result)
        if verdict == SIP_FRONT_VERIFIED:
            return self._registered(data, &result, host, port, flow, now)
        if verdict >= SIP_FRONT_ANSWER:
            self.answer = self._out[:result.len]
            self.dest_port = result.dest_port
        else:
            self.answer = None
        return verdict

    cdef int _registered(self, bytes data, sip_front_result_t *r, str host, int port, str flow, double now) except -1:
        handler = self.register_handler
        tail = None
        try:
            if handler is not None:
                tail = handler(_span(data, r.user), _span(data, r.host), _span(data, r.contact_uri),
                               _span(data, r.contact_params), _span(data, r.expires), _span(data, r.call_id),
                               r.cseq, host, port, flow, _span(data, r.user_agent), _span(data, r.supported),
                               _span(data, r.nonce), r.issued_at, r.nc, now)
        except BaseException:
            sip_front_declined(self._front)
            raise
        if tail is None:
            sip_front_declined(self._front)
            self.answer = None
            return SIP_FRONT_PASS
        answer = self._out[:r.len] + tail.encode("utf-8")
        sip_front_registered(self._front, answer, len(answer), now + self.register_memory)
        self.answer = answer
        self.dest_port = r.dest_port
        return SIP_FRONT_ANSWER

    def counters(self):
        """{"answered": {method: n}, "resent": n, "absorbed": n, "passed": n}."""
        cdef sip_front_counters_t c
        sip_front_counters(self._front, &c)
        return {"answered": {METHODS[i]: c.answered[i] for i in range(SIP_FRONT_METHODS)},
                "resent": c.resent, "absorbed": c.absorbed, "passed": c.passed, "registered": c.registered}


cdef inline object _span(bytes data, sip_front_span_t s):
    """A span of the datagram as text (the front took ASCII only there); None if absent."""
    if s.off == 0xFFFFFFFF:
        return None
    return data[s.off:s.off + s.len].decode("ascii")


# --- digest credentials (csrc/sip_digest.c): the one copy of DigestAuthenticator's checks --

from uc_signal.includes.sip_digest cimport *

ALGORITHM_FLAGS = {"MD5": SIP_DIGEST_MD5, "SHA-256": SIP_DIGEST_SHA256, "SHA-512-256": SIP_DIGEST_SHA512_256}


cdef inline sip_digest_text_t _text(bytes b):
    cdef sip_digest_text_t t
    if b is None:
        t.p = NULL
        t.n = 0
    else:
        t.p = b
        t.n = len(b)
    return t


cdef inline bytes _utf8(str s):
    # surrogatepass: a header decoded with surrogateescape still compares byte for byte
    return None if s is None else s.encode("utf-8", "surrogatepass")


cdef class DigestChecker:
    """One realm's digest checks (csrc/sip_digest.h): nonce MAC and age, realm, uri,
    algorithm, qop, nc, opaque and the response from the user's HA1. Used by
    uc_signal.sip.digest.DigestAuthenticator; the nonce-count record stays there."""

    cdef sip_digest_t *_digest

    def __cinit__(self, bytes secret not None, str realm not None, str opaque not None, algorithms,
                  double nonce_lifetime):
        cdef unsigned flags = 0
        for name in algorithms:
            flags |= ALGORITHM_FLAGS[name]
        r, o = realm.encode("utf-8"), opaque.encode("utf-8")
        self._digest = sip_digest_create(<const uint8_t *><const char *>secret, len(secret), r, len(r), o, len(o),
                                         flags, nonce_lifetime)
        if self._digest == NULL:
            raise ValueError("cannot create the digest checker (secret < 16 bytes, realm or opaque too long, "
                             "no algorithm, or out of memory)")

    def __dealloc__(self):
        sip_digest_destroy(self._digest)

    def nonce_issued_at(self, str nonce not None):
        """The issue time of a nonce made with this secret for this realm, else None."""
        cdef double issued_at
        data = nonce.encode("utf-8", "surrogatepass")
        if sip_digest_nonce_issued_at(self._digest, data, len(data), &issued_at) < 0:
            return None
        return issued_at

    def make_nonce(self, double now, bytes salt not None):
        """The nonce for `now` with this 8-byte salt."""
        cdef char out[SIP_DIGEST_NONCE_LEN]
        if len(salt) != 8:
            raise ValueError("the salt is 8 bytes")
        sip_digest_make_nonce(self._digest, now, <const uint8_t *><const char *>salt, out)
        return out[:SIP_DIGEST_NONCE_LEN].decode("ascii")

    def check(self, str username, str realm, str nonce, str uri, str response, str algorithm, str qop,
              str nc, str cnonce, str opaque, str method not None, str request_uri, str ha1, double now):
        """(verdict, issued_at, nc): verdict an enum sip_digest_verdict (0 = right and fresh;
        the caller then records nc for the nonce). None: a parameter absent / not compared
        (request_uri) / unknown user (ha1)."""
        cdef sip_digest_credentials_t c
        cdef sip_digest_outcome_t out
        b_username, b_realm, b_nonce, b_uri = _utf8(username), _utf8(realm), _utf8(nonce), _utf8(uri)
        b_response, b_algorithm, b_qop, b_nc = _utf8(response), _utf8(algorithm), _utf8(qop), _utf8(nc)
        b_cnonce, b_opaque, b_method = _utf8(cnonce), _utf8(opaque), _utf8(method)
        b_request_uri, b_ha1 = _utf8(request_uri), _utf8(ha1)
        c.username, c.realm, c.nonce, c.uri = _text(b_username), _text(b_realm), _text(b_nonce), _text(b_uri)
        c.response, c.algorithm, c.qop, c.nc = _text(b_response), _text(b_algorithm), _text(b_qop), _text(b_nc)
        c.cnonce, c.opaque = _text(b_cnonce), _text(b_opaque)
        verdict = sip_digest_check(self._digest, &c, _text(b_method), _text(b_request_uri), _text(b_ha1), now, &out)
        return verdict, out.issued_at, out.nc


def digest_hash_hex(str algorithm not None, bytes data not None):
    """Lower-case hex of H(data) for "MD5", "SHA-256" or "SHA-512-256" (the C hashes)."""
    cdef char out[65]
    cdef int n = sip_digest_hash_hex(ALGORITHM_FLAGS[algorithm], <const char *>data, len(data), out, sizeof(out))
    if n < 0:
        raise ValueError(f"unsupported algorithm {algorithm!r}")
    return out[:n].decode("ascii")
