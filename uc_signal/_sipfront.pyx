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
METHODS = ("REGISTER", "INVITE", "MESSAGE")   # enum sip_front_method order


cdef class SipFront:
    """One front (one per event loop). `handle()` decides on a datagram; after ANSWER or
    RESEND, `answer` holds the bytes to send to (source host, `dest_port`)."""

    cdef sip_front_t *_front
    cdef readonly bytes answer
    cdef readonly int dest_port
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

    @property
    def enabled(self):
        raise AttributeError("write-only")

    @enabled.setter
    def enabled(self, bint value):
        sip_front_set_enabled(self._front, value)

    def handle(self, bytes data not None, str host, int port, double now):
        """PASS (0), ABSORB (1), ANSWER (2) or RESEND (3) for a datagram from host:port at
        wall-clock `now`."""
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
        if verdict >= SIP_FRONT_ANSWER:
            self.answer = self._out[:result.len]
            self.dest_port = result.dest_port
        else:
            self.answer = None
        return verdict

    def counters(self):
        """{"answered": {method: n}, "resent": n, "absorbed": n, "passed": n}."""
        cdef sip_front_counters_t c
        sip_front_counters(self._front, &c)
        return {"answered": {METHODS[i]: c.answered[i] for i in range(SIP_FRONT_METHODS)},
                "resent": c.resent, "absorbed": c.absorbed, "passed": c.passed}
