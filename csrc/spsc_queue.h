/* Lock-free single-producer single-consumer ring of fixed-size elements.
 *
 * The engine's command queue (Python thread -> worker) and event queue (worker -> Python
 * thread) are each one of these per worker. One thread pushes, one thread pops; the only
 * synchronisation is an acquire/release pair on the head and tail indexes, so neither side
 * ever takes a lock or blocks. Storage is allocated by uc_spsc_init only. */
#ifndef UC_SPSC_QUEUE_H
#define UC_SPSC_QUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct uc_spsc {
    uint8_t *slots;
    uint32_t elem_size;
    uint32_t mask;                              /* capacity - 1 (capacity a power of two) */
    uint32_t head __attribute__((aligned(64))); /* next slot to pop; written by the consumer */
    uint32_t tail __attribute__((aligned(64))); /* next slot to push; written by the producer */
} uc_spsc;

/* capacity: a power of two, 2..2^24; elem_size 1..4096. UC_ERR_ARGUMENT / UC_ERR_NOMEM. */
int uc_spsc_init(uc_spsc *q, uint32_t capacity, uint32_t elem_size);
void uc_spsc_free(uc_spsc *q);
/* Producer only. Returns 1 when pushed, 0 when the ring is full. */
int uc_spsc_push(uc_spsc *q, const void *elem);
/* Consumer only. Returns 1 with *elem filled, 0 when empty. */
int uc_spsc_pop(uc_spsc *q, void *elem);
/* Elements queued right now (exact for either side's own view). */
uint32_t uc_spsc_size(const uc_spsc *q);

#endif
