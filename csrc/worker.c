#define _GNU_SOURCE /* recvmmsg/sendmmsg via udp_io.h */
#include "worker.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"
#include "conference.h"
#include "leg.h"
#include "rtcp_session.h"
#include "uc_errors.h"

/* A readable socket gets at most this many recvmmsg batches per epoll round, so one busy
 * leg cannot starve the tick (level-triggered epoll reports it again). */
#define RX_BATCHES_PER_ROUND 4
#define EPOLL_EVENTS 64
/* Ticks run for one timer read: the late ones are caught up (media time keeps pace with
 * real time after a hiccup) but at most this many, so an overloaded worker sheds ticks
 * instead of spiralling. */
#define MAX_TICKS_PER_ROUND 3

int64_t uc_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void uc_worker_emit(uc_worker *w, uc_event *ev)
{
    ev->worker = (uint16_t)w->index;
    if (uc_spsc_push(&w->events, ev))
        w->events_pending = 1;
    else
        w->stats.events_dropped++;
}

#define ADD_OBJECT(array, count, max, obj)  \
    do {                                    \
        if ((count) >= (max))               \
            return UC_ERR_NOSPACE;          \
        (array)[(count)++] = (obj);         \
        return UC_OK;                       \
    } while (0)

#define REMOVE_OBJECT(array, count, obj)            \
    do {                                            \
        for (int i_ = 0; i_ < (count); i_++)        \
            if ((array)[i_] == (obj)) {             \
                (array)[i_] = (array)[--(count)];   \
                break;                              \
            }                                       \
    } while (0)

int uc_worker_add_leg(uc_worker *w, uc_leg *leg) { ADD_OBJECT(w->legs, w->nlegs, w->max_legs, leg); }
void uc_worker_remove_leg(uc_worker *w, uc_leg *leg) { REMOVE_OBJECT(w->legs, w->nlegs, leg); }
int uc_worker_add_conference(uc_worker *w, uc_conference *c)
{
    ADD_OBJECT(w->conferences, w->nconferences, w->max_objects, c);
}
void uc_worker_remove_conference(uc_worker *w, uc_conference *c)
{
    REMOVE_OBJECT(w->conferences, w->nconferences, c);
}
int uc_worker_add_bridge(uc_worker *w, uc_bridge *b) { ADD_OBJECT(w->bridges, w->nbridges, w->max_objects, b); }
void uc_worker_remove_bridge(uc_worker *w, uc_bridge *b) { REMOVE_OBJECT(w->bridges, w->nbridges, b); }

static void run_commands(uc_worker *w)
{
    uc_command cmd;
    while (uc_spsc_pop(&w->commands, &cmd)) {
        cmd.completion->rc = cmd.fn(w, cmd.a, cmd.b);
        sem_post(&cmd.completion->done);
    }
}

int uc_worker_call(uc_worker *w, uc_command_fn fn, void *a, void *b)
{
    if (!w)
        return UC_ERR_STATE;
    if (!__atomic_load_n(&w->running, __ATOMIC_ACQUIRE))
        return fn(w, a, b); /* stopped: nothing else touches the worker's objects */
    uc_completion done;
    if (sem_init(&done.done, 0, 0) < 0)
        return UC_ERR_IO;
    done.rc = UC_ERR_STATE;
    uc_command cmd = {.fn = fn, .a = a, .b = b, .completion = &done};
    pthread_mutex_lock(&w->producer_lock);
    int pushed = uc_spsc_push(&w->commands, &cmd);
    if (pushed) {
        uint64_t one = 1;
        ssize_t r = write(w->cmdfd, &one, sizeof(one));
        (void)r; /* an eventfd write fails only when the counter would overflow */
    }
    pthread_mutex_unlock(&w->producer_lock);
    if (!pushed) {
        sem_destroy(&done.done);
        return UC_ERR_NOSPACE;
    }
    while (sem_wait(&done.done) < 0 && errno == EINTR)
        ;
    sem_destroy(&done.done);
    return done.rc;
}

static void receive(uc_worker *w, uc_leg *leg)
{
    for (int round = 0; round < RX_BATCHES_PER_ROUND; round++) {
        int n = uc_udp_recv_batch(leg->fd, w->rx);
        w->stats.recvmmsg_calls++;
        if (n < 0) {
            uc_event ev;
            memset(&ev, 0, sizeof(ev));
            ev.type = UC_EV_ERROR;
            ev.object_id = leg->cfg.id;
            ev.code = n;
            ev.value = (uint32_t)errno;
            uc_worker_emit(w, &ev);
        }
        if (n <= 0)
            return;
        w->stats.packets_received += (uint64_t)n;
        for (int i = 0; i < n; i++) {
            struct mmsghdr *m = &w->rx->msgs[i];
            if (m->msg_hdr.msg_flags & MSG_TRUNC) {
                leg->st.packets_received++;
                leg->st.malformed++;
                continue;
            }
            uc_leg_on_datagram(leg, w->rx->buf[i], m->msg_len, &w->rx->from[i]);
        }
        if (n < UC_UDP_RX_BATCH)
            return;
    }
}

static void tick(uc_worker *w)
{
    uint64_t t0 = monotonic_ns();
    for (int i = 0; i < w->nconferences; i++)
        uc_conference_tick(w->conferences[i]);
    for (int i = 0; i < w->nbridges; i++)
        uc_bridge_tick(w->bridges[i]);
    for (int i = 0; i < w->nlegs; i++)
        if (!w->legs[i]->conference && !w->legs[i]->bridge)
            uc_leg_idle_tick(w->legs[i]);
    uc_txq_flush(&w->txq);
    uint64_t dt = monotonic_ns() - t0;
    w->stats.ticks++;
    w->stats.tick_ns_total += dt;
    if (dt > w->stats.tick_ns_max)
        w->stats.tick_ns_max = dt;
}

void *uc_worker_main(void *arg)
{
    uc_worker *w = arg;
    struct epoll_event evs[EPOLL_EVENTS];
    while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
        int n = epoll_wait(w->epfd, evs, EPOLL_EVENTS, 1000);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        w->now_ms = uc_monotonic_ms();
        w->now_ntp = uc_ntp_now();
        int commands = 0;
        uint64_t ticks = 0;
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            uint64_t count = 0;
            if (p == &w->cmdfd) {
                ssize_t r = read(w->cmdfd, &count, sizeof(count));
                (void)r;
                commands = 1;
            } else if (p == &w->timerfd) {
                if (read(w->timerfd, &count, sizeof(count)) == (ssize_t)sizeof(count) && count > 0) {
                    ticks = count < MAX_TICKS_PER_ROUND ? count : MAX_TICKS_PER_ROUND;
                    /* Expirations beyond one: ticks whose deadline passed while busy. */
                    w->stats.late_ticks += count - 1;
                }
            } else {
                receive(w, p);
            }
        }
        for (uint64_t t = 0; t < ticks; t++)
            tick(w);
        uc_txq_flush(&w->txq);
        /* Commands last: one may detach a leg whose socket was reported in this round. */
        if (commands)
            run_commands(w);
        if (w->events_pending) {
            uint64_t one = 1;
            ssize_t r = write(w->engine->eventfd, &one, sizeof(one));
            (void)r;
            w->events_pending = 0;
        }
    }
    run_commands(w);
    return NULL;
}
