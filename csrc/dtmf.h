/* DTMF over RTP as telephone-events (RFC 4733): payload parse and build, a receiver that
 * reports each event once, and a sender that paces one event over the ticks.
 *
 * Payload (RFC 4733 section 2.3): event (8 bits), E (end), R (reserved), volume (6 bits,
 * -dBm0), duration (16 bits, in RTP timestamp units since the event's timestamp). */
#ifndef UC_DTMF_H
#define UC_DTMF_H

#include <stddef.h>
#include <stdint.h>

#define UC_DTMF_PAYLOAD_SIZE 4
/* RFC 4733 section 2.5.1.4: the end packet is sent three times. */
#define UC_DTMF_END_REPEATS 3
/* Event codes 0..15: 0-9, *, #, A-D (RFC 4733 section 3.2). */
#define UC_DTMF_MAX_EVENT 15

typedef struct uc_dtmf_payload {
    uint8_t event;
    uint8_t end;
    uint8_t volume;
    uint16_t duration;
} uc_dtmf_payload;

/* Returns UC_OK, UC_ERR_TRUNCATED (< 4 bytes). Extra bytes (RFC 4733 2.3: several events
 * in one packet use redundancy, RFC 2198) are ignored. */
int uc_dtmf_parse(const uint8_t *buf, size_t len, uc_dtmf_payload *out);
/* Writes 4 bytes. */
void uc_dtmf_write(uint8_t *out, const uc_dtmf_payload *p);

/* '0'..'9', '*', '#', 'A'..'D' for 0..15; 0 for other codes. */
char uc_dtmf_event_char(int event);
/* The inverse; UC_ERR_ARGUMENT for other characters. */
int uc_dtmf_char_event(char c);

/* Reports an event when its first end packet arrives (its retransmissions and the packets
 * of an event already reported carry the same RTP timestamp and are ignored). */
typedef struct uc_dtmf_receiver {
    uint32_t last_ts;
    uint8_t have_last;
} uc_dtmf_receiver;

/* Returns 1 (with *event, *duration filled) when this packet ends a new event, else 0. */
int uc_dtmf_receive(uc_dtmf_receiver *r, uint32_t timestamp, const uc_dtmf_payload *p,
                    int *event, uint32_t *duration);

/* One event being sent: a packet every tick with the growing duration, then the end
 * packet UC_DTMF_END_REPEATS times; all with the event's start timestamp. */
typedef struct uc_dtmf_sender {
    uint8_t active;
    uint8_t event;
    uint8_t volume;
    uint8_t first;        /* the next packet is the first: marker bit (RFC 4733 2.5.1.2) */
    uint8_t ends_left;
    uint32_t timestamp;   /* the event's RTP timestamp */
    uint32_t elapsed;     /* timestamp units sent so far */
    uint32_t duration;    /* total, timestamp units */
} uc_dtmf_sender;

/* Start an event at RTP timestamp `timestamp`. duration in timestamp units (1..65535).
 * UC_ERR_STATE while another event is being sent; UC_ERR_ARGUMENT for a bad code. */
int uc_dtmf_sender_start(uc_dtmf_sender *s, int event, uint32_t duration, uint8_t volume,
                         uint32_t timestamp);
/* The packet of this tick (tick = timestamp units per tick). Returns 1 with *p, *marker
 * and *timestamp filled when a packet is due, 0 when the sender is idle. */
int uc_dtmf_sender_next(uc_dtmf_sender *s, uint32_t tick, uc_dtmf_payload *p, int *marker,
                        uint32_t *timestamp);

#endif
