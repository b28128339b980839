/* Internals shared by engine.c, worker.c, leg.c, conference.c and bridge.c: the worker
 * and engine structs, commands, event emission. Not part of the Cython-facing API. */
#ifndef UC_WORKER_H
#define UC_WORKER_H

#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>

#include "engine.h"
#include "spsc_queue.h"
#include "udp_io.h"


/* A command runs fn(w, a, b) on the worker thread; its return value is the call's result. */
typedef int (*uc_command_fn)(uc_worker *w, void *a, void *b);

typedef struct uc_completion {
    sem_t done;
    int rc;
} uc_completion;

typedef struct uc_command {
    uc_command_fn fn;
    void *a;
    void *b;
    uc_completion *completion;
} uc_command;

struct uc_worker {
    uc_engine *engine;
    int index;
    pthread_t thread;
    int running;              /* thread started and not yet joined */
    int stop;                 /* set by uc_engine_stop, read by the worker */
    int epfd;
    int timerfd;
    int cmdfd;                /* eventfd: commands queued */
    uc_spsc commands;
    uc_spsc events;
    pthread_mutex_t producer_lock; /* serialises control threads pushing commands */
    int events_pending;

    uc_leg **legs;
    int nlegs, max_legs;
    uc_conference **conferences;
    int nconferences;
    uc_bridge **bridges;
    int nbridges, max_objects;

    uc_rx_batch *rx;
    uc_txq txq;
    int64_t now_ms;           /* monotonic, updated at every wake-up */
    uint64_t now_ntp;         /* wall clock in NTP format, updated with now_ms */

    uc_worker_stats stats;
};

struct uc_engine {
    uc_engine_config cfg;
    char bind_ip[64];
    int nworkers;
    uc_worker *workers;
    int eventfd;
    pthread_mutex_t port_lock; /* port cursor; taken by control threads only */
    int port_cursor;
    unsigned next_worker;
    int stopped;
};

/* Run fn(w, a, b) on the worker and return its result; waits for it. After
 * uc_engine_stop, runs fn on the calling thread. */
int uc_worker_call(uc_worker *w, uc_command_fn fn, void *a, void *b);
/* Queue an event for the control thread (worker thread only). Never blocks. */
void uc_worker_emit(uc_worker *w, uc_event *ev);

/* Worker-side registration (inside commands). UC_ERR_NOSPACE when the array is full. */
int uc_worker_add_leg(uc_worker *w, uc_leg *leg);
void uc_worker_remove_leg(uc_worker *w, uc_leg *leg);
int uc_worker_add_conference(uc_worker *w, uc_conference *c);
void uc_worker_remove_conference(uc_worker *w, uc_conference *c);
int uc_worker_add_bridge(uc_worker *w, uc_bridge *b);
void uc_worker_remove_bridge(uc_worker *w, uc_bridge *b);

int64_t uc_monotonic_ms(void);

/* Entry point of a worker thread (worker.c). */
void *uc_worker_main(void *arg);

#endif
