#define _GNU_SOURCE /* recvmmsg/sendmmsg via udp_io.h, pthread_getcpuclockid */
#include "engine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "srtp_session.h"
#include "uc_errors.h"
#include "worker.h"

#define COMMAND_QUEUE 256
#define TXQ_PACKETS 1024

static void worker_release(uc_worker *w)
{
    if (w->epfd >= 0)
        close(w->epfd);
    if (w->timerfd >= 0)
        close(w->timerfd);
    if (w->cmdfd >= 0)
        close(w->cmdfd);
    uc_spsc_free(&w->commands);
    uc_spsc_free(&w->events);
    uc_txq_free(&w->txq);
    free(w->rx);
    free(w->legs);
    free(w->conferences);
    free(w->bridges);
    pthread_mutex_destroy(&w->producer_lock);
}

static int worker_init(uc_engine *e, uc_worker *w, int index)
{
    memset(w, 0, sizeof(*w));
    w->engine = e;
    w->index = index;
    w->epfd = w->timerfd = w->cmdfd = -1;
    pthread_mutex_init(&w->producer_lock, NULL);
    w->max_legs = e->cfg.max_legs_per_worker;
    w->max_objects = e->cfg.max_objects_per_worker;
    int rc;
    if ((rc = uc_spsc_init(&w->commands, COMMAND_QUEUE, sizeof(uc_command))) < 0 ||
        (rc = uc_spsc_init(&w->events, e->cfg.event_queue, sizeof(uc_event))) < 0 ||
        (rc = uc_txq_init(&w->txq, TXQ_PACKETS)) < 0)
        return rc;
    w->rx = malloc(sizeof(*w->rx));
    w->legs = calloc((size_t)w->max_legs, sizeof(*w->legs));
    w->conferences = calloc((size_t)w->max_objects, sizeof(*w->conferences));
    w->bridges = calloc((size_t)w->max_objects, sizeof(*w->bridges));
    if (!w->rx || !w->legs || !w->conferences || !w->bridges)
        return UC_ERR_NOMEM;
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    w->cmdfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->epfd < 0 || w->timerfd < 0 || w->cmdfd < 0)
        return UC_ERR_IO;
    struct itimerspec its;
    memset(&its, 0, sizeof(its));
    its.it_interval.tv_nsec = (long)e->cfg.tick_ms * 1000000L;
    its.it_value = its.it_interval;
    if (timerfd_settime(w->timerfd, 0, &its, NULL) < 0)
        return UC_ERR_IO;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w->timerfd};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->timerfd, &ev) < 0)
        return UC_ERR_IO;
    ev.data.ptr = &w->cmdfd;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->cmdfd, &ev) < 0)
        return UC_ERR_IO;
    w->now_ms = uc_monotonic_ms();
    return UC_OK;
}

int uc_engine_create(const uc_engine_config *cfg, uc_engine **out)
{
    if (!cfg || !out || !cfg->bind_ip || strlen(cfg->bind_ip) >= 64 || cfg->workers < 0 ||
        cfg->workers > 256 || (cfg->tick_ms != 10 && cfg->tick_ms != 20) || cfg->port_lo < 1 ||
        cfg->port_hi > 65535 || cfg->port_lo > cfg->port_hi || cfg->max_legs_per_worker < 0 ||
        cfg->max_objects_per_worker < 0)
        return UC_ERR_ARGUMENT;
    uint32_t evq = cfg->event_queue ? cfg->event_queue : 16384;
    if (evq < 2 || (evq & (evq - 1)))
        return UC_ERR_ARGUMENT;
    struct sockaddr_storage probe;
    if (uc_udp_make_addr(cfg->bind_ip, cfg->port_lo, &probe) < 0)
        return UC_ERR_ARGUMENT;
    *out = NULL;
    int rc = uc_srtp_library_init();
    if (rc < 0)
        return rc;
    uc_engine *e = calloc(1, sizeof(*e));
    if (!e)
        return UC_ERR_NOMEM;
    e->cfg = *cfg;
    strcpy(e->bind_ip, cfg->bind_ip);
    e->cfg.bind_ip = e->bind_ip;
    e->cfg.event_queue = evq;
    if (e->cfg.max_legs_per_worker == 0)
        e->cfg.max_legs_per_worker = 4096;
    if (e->cfg.max_objects_per_worker == 0)
        e->cfg.max_objects_per_worker = 1024;
    if (e->cfg.workers == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        e->cfg.workers = cpus > 2 ? (int)(cpus - 1) : 1;
    }
    e->port_cursor = cfg->port_lo;
    pthread_mutex_init(&e->port_lock, NULL);
    e->eventfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    e->workers = calloc((size_t)e->cfg.workers, sizeof(uc_worker));
    if (e->eventfd < 0 || !e->workers) {
        rc = e->eventfd < 0 ? UC_ERR_IO : UC_ERR_NOMEM;
        goto fail;
    }
    for (int i = 0; i < e->cfg.workers; i++) {
        e->nworkers = i + 1;
        if ((rc = worker_init(e, &e->workers[i], i)) < 0)
            goto fail;
    }
    for (int i = 0; i < e->nworkers; i++) {
        uc_worker *w = &e->workers[i];
        if (pthread_create(&w->thread, NULL, uc_worker_main, w) != 0) {
            rc = UC_ERR_IO;
            goto fail;
        }
        __atomic_store_n(&w->running, 1, __ATOMIC_RELEASE);
    }
    *out = e;
    return UC_OK;
fail:
    uc_engine_destroy(e);
    return rc;
}

void uc_engine_stop(uc_engine *e)
{
    if (!e || e->stopped)
        return;
    e->stopped = 1;
    for (int i = 0; i < e->nworkers; i++) {
        uc_worker *w = &e->workers[i];
        if (!w->running)
            continue;
        __atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
        uint64_t one = 1;
        ssize_t r = write(w->cmdfd, &one, sizeof(one));
        (void)r;
        pthread_join(w->thread, NULL);
        __atomic_store_n(&w->running, 0, __ATOMIC_RELEASE);
    }
}

void uc_engine_destroy(uc_engine *e)
{
    if (!e)
        return;
    uc_engine_stop(e);
    for (int i = 0; i < e->nworkers; i++)
        worker_release(&e->workers[i]);
    free(e->workers);
    if (e->eventfd >= 0)
        close(e->eventfd);
    pthread_mutex_destroy(&e->port_lock);
    free(e);
}

int uc_engine_worker_count(const uc_engine *e) { return e->nworkers; }
int uc_engine_tick_ms(const uc_engine *e) { return e->cfg.tick_ms; }
int uc_engine_event_fd(const uc_engine *e) { return e->eventfd; }

int uc_engine_pick_worker(uc_engine *e)
{
    return (int)(__atomic_fetch_add(&e->next_worker, 1, __ATOMIC_RELAXED) % (unsigned)e->nworkers);
}

int uc_engine_poll_events(uc_engine *e, uc_event *out, int max)
{
    uint64_t count;
    ssize_t r = read(e->eventfd, &count, sizeof(count));
    (void)r; /* EAGAIN: nothing signalled, but the rings may still hold events */
    int n = 0;
    for (int i = 0; i < e->nworkers && n < max; i++)
        while (n < max && uc_spsc_pop(&e->workers[i].events, &out[n]))
            n++;
    if (n == max) {
        /* More may be waiting: keep the eventfd readable so the reader comes back. */
        uint64_t one = 1;
        r = write(e->eventfd, &one, sizeof(one));
        (void)r;
    }
    return n;
}

static int stats_cmd(uc_worker *w, void *a, void *b)
{
    (void)a;
    uc_worker_stats *s = b;
    *s = w->stats;
    s->packets_sent = w->txq.packets_sent;
    s->send_errors = w->txq.send_errors;
    s->sendmmsg_calls = w->txq.syscalls;
    s->legs = (uint32_t)w->nlegs;
    s->conferences = (uint32_t)w->nconferences;
    s->bridges = (uint32_t)w->nbridges;
    struct timespec ts;
    clockid_t cid;
    if (w->running && pthread_getcpuclockid(w->thread, &cid) == 0 && clock_gettime(cid, &ts) == 0)
        s->cpu_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    return UC_OK;
}

int uc_engine_worker_stats(uc_engine *e, int worker, uc_worker_stats *out)
{
    if (!e || !out || worker < 0 || worker >= e->nworkers)
        return UC_ERR_ARGUMENT;
    return uc_worker_call(&e->workers[worker], stats_cmd, NULL, out);
}
