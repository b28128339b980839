/* Return codes shared by every csrc/ kernel.
 *
 * Every function that can fail returns an int: >= 0 is success (often a length or a
 * count), < 0 is one of these. The Cython skin maps each to one MediaError subclass in
 * one table (uc_media/_errors.pxi), so a new code needs a row there too. */
#ifndef UC_ERRORS_H
#define UC_ERRORS_H

enum uc_status {
    UC_OK = 0,
    UC_ERR_TRUNCATED = -1,   /* input ends before the length its headers claim */
    UC_ERR_MALFORMED = -2,   /* a field holds a value the format forbids */
    UC_ERR_UNSUPPORTED = -3, /* well-formed, but uses something not implemented */
    UC_ERR_NOSPACE = -4,     /* the output buffer is too small */
    UC_ERR_ARGUMENT = -5,    /* the caller passed a bad parameter */
    UC_ERR_NOMEM = -6,       /* allocation failed (only at set-up, never per packet) */
    UC_ERR_CODEC = -7,       /* the codec library reported an error */
    UC_ERR_SRTP = -8,        /* libsrtp reported an error other than the two below */
    UC_ERR_SRTP_AUTH = -9,   /* SRTP/SRTCP authentication tag did not verify */
    UC_ERR_SRTP_REPLAY = -10,/* SRTP/SRTCP packet already seen or too old */
    UC_ERR_STATE = -11,      /* the object is not in a state that allows the call */
    UC_ERR_IO = -12,         /* a system call failed (socket, bind, epoll, thread); errno tells */
    /* STUN (csrc/stun.h); numbered apart from the block above so codes other branches
     * add after -11 do not collide. */
    UC_ERR_STUN_INTEGRITY = -20,   /* MESSAGE-INTEGRITY absent or does not verify */
    UC_ERR_STUN_FINGERPRINT = -21, /* FINGERPRINT absent or does not match */
};

#endif
