#include "spsc_queue.h"

#include <stdlib.h>
#include <string.h>

#include "uc_errors.h"

int uc_spsc_init(uc_spsc *q, uint32_t capacity, uint32_t elem_size)
{
    if (!q || capacity < 2 || capacity > (1u << 24) || (capacity & (capacity - 1)) ||
        elem_size == 0 || elem_size > 4096)
        return UC_ERR_ARGUMENT;
    memset(q, 0, sizeof(*q));
    q->slots = calloc(capacity, elem_size);
    if (!q->slots)
        return UC_ERR_NOMEM;
    q->elem_size = elem_size;
    q->mask = capacity - 1;
    return UC_OK;
}

void uc_spsc_free(uc_spsc *q)
{
    if (!q)
        return;
    free(q->slots);
    q->slots = NULL;
}

int uc_spsc_push(uc_spsc *q, const void *elem)
{
    uint32_t tail = __atomic_load_n(&q->tail, __ATOMIC_RELAXED);
    uint32_t head = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
    if (tail - head > q->mask)
        return 0;
    memcpy(q->slots + (size_t)(tail & q->mask) * q->elem_size, elem, q->elem_size);
    /* Release: the element's bytes are visible before the consumer sees the new tail. */
    __atomic_store_n(&q->tail, tail + 1, __ATOMIC_RELEASE);
    return 1;
}

int uc_spsc_pop(uc_spsc *q, void *elem)
{
    uint32_t head = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
    uint32_t tail = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
    if (head == tail)
        return 0;
    memcpy(elem, q->slots + (size_t)(head & q->mask) * q->elem_size, q->elem_size);
    /* Release: the slot is read before the producer may overwrite it. */
    __atomic_store_n(&q->head, head + 1, __ATOMIC_RELEASE);
    return 1;
}

uint32_t uc_spsc_size(const uc_spsc *q)
{
    return __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE) - __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
}
