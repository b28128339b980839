/* The media engine: worker threads that own sockets, legs, conferences and bridges, driven
 * from one control thread (Python) through commands, reporting through events.
 *
 * Threads. uc_engine_create starts `workers` threads. Each owns an epoll set, a timerfd
 * firing every tick (10 or 20 ms), an eventfd for commands, the sockets of its legs, and
 * the media objects placed on it; a conference and all its legs live on one worker, so a
 * tick touches no other thread's data.
 *
 * Commands. Every call below that changes a leg, conference or bridge is a command: the
 * calling thread pushes {function, arguments} onto the worker's lock-free single-producer
 * ring (producers are serialised by a mutex that only control threads take), writes the
 * worker's eventfd, and waits on a semaphore until the worker has run it and stored the
 * result (sub-millisecond: commands run at the end of the worker's current epoll round).
 * Objects are allocated by the control thread before the command (sockets, codecs,
 * jitter buffers, SRTP sessions) or by the worker inside the command (a conference's
 * shared encoder for a new codec); a tick and the packet path never allocate.
 *
 * Events. A worker pushes uc_event records onto its own single-producer ring and, once per
 * epoll round when it pushed any, writes the engine's event eventfd, which the control
 * thread watches (asyncio: loop.add_reader) before draining with uc_engine_poll_events.
 * A full ring drops the event and counts it (uc_worker_stats.events_dropped); a worker
 * never waits for the control thread.
 *
 * Nothing here calls into Python or takes the GIL. */
#ifndef UC_ENGINE_H
#define UC_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct uc_engine uc_engine;
typedef struct uc_leg uc_leg;
typedef struct uc_conference uc_conference;
typedef struct uc_bridge uc_bridge;
typedef struct uc_worker uc_worker;

typedef struct uc_engine_config {
    int workers;              /* 0: online CPUs - 1, at least 1 */
    const char *bind_ip;      /* IPv4 or IPv6 literal the leg sockets bind to */
    int port_lo, port_hi;     /* inclusive UDP port range for leg sockets */
    int tick_ms;              /* 10 or 20 */
    int max_legs_per_worker;  /* 0: 4096 */
    int max_objects_per_worker; /* conferences and bridges; 0: 1024 */
    uint32_t event_queue;     /* events per worker ring, a power of two; 0: 16384 */
} uc_engine_config;

enum uc_event_type {
    UC_EV_REMOTE_LATCHED = 1, /* leg: remote address learned from the first valid packet */
    UC_EV_TALKERS = 2,        /* conference: the talker set changed (ids, levels) */
    UC_EV_DTMF = 3,           /* leg: an RFC 4733 event ended (code, duration in ms) */
    UC_EV_LEG_STATS = 4,      /* leg: periodic stream statistics, with each RTCP report */
    UC_EV_LEVEL = 5,          /* leg in a conference: its RFC 6464 level, periodically */
    UC_EV_ERROR = 6,          /* object: a failure the worker could not report otherwise */
    UC_EV_ICE_STATE = 7,      /* leg: ICE-lite state changed (code: enum uc_ice_lite_state;
                               * addr: the selected pair's remote address) */
    UC_EV_PLAYBACK_FINISHED = 8, /* leg or conference: a clip ended (code: enum uc_media_end;
                                  * value: the embedder's id; handle; samples played) */
    UC_EV_RECORDING_FINISHED = 9, /* leg: a recording ended (code: enum uc_media_end; value:
                                   * the embedder's id; handle; samples recorded) */
};

#define UC_EVENT_MAX_TALKERS 8

typedef struct uc_event {
    uint16_t type;            /* enum uc_event_type */
    uint16_t worker;
    uint32_t object_id;       /* the leg or conference id given at create */
    int32_t code;             /* DTMF: event 0..15; LEVEL: level; ERROR: uc_errors code;
                               * ICE_STATE: enum uc_ice_lite_state */
    uint32_t value;           /* DTMF: duration in ms; TALKERS: talker count; ERROR: errno */
    uint32_t ids[UC_EVENT_MAX_TALKERS];   /* TALKERS: leg ids, ascending slot order */
    uint8_t levels[UC_EVENT_MAX_TALKERS]; /* TALKERS: their RFC 6464 levels (-dBov) */
    /* LEG_STATS */
    uint64_t packets_received;
    int64_t packets_lost;
    uint64_t packets_sent;
    float jitter_ms;          /* interarrival jitter of the peer's stream */
    float rtt_ms;             /* from the peer's LSR/DLSR; < 0 while unknown */
    float fraction_lost;      /* of our stream, as the peer reported it; < 0 unknown */
    /* REMOTE_LATCHED, ICE_STATE */
    struct sockaddr_storage addr;
    /* PLAYBACK_FINISHED, RECORDING_FINISHED */
    uint32_t handle;          /* the token given with the clip or buffer (playback.h) */
    uint32_t samples;         /* played (48 kHz, over all passes) or recorded (at its rate) */
} uc_event;

typedef struct uc_worker_stats {
    uint64_t ticks;
    uint64_t late_ticks;      /* timer expirations that found the previous tick still running
                               * (caught up, at most 2 extra ticks per round; beyond, shed) */
    uint64_t tick_ns_total;   /* wall time spent in ticks */
    uint64_t tick_ns_max;
    uint64_t cpu_ns;          /* the worker thread's CPU time (CLOCK_THREAD_CPUTIME_ID) */
    uint64_t packets_received;
    uint64_t packets_sent;
    uint64_t send_errors;
    uint64_t sendmmsg_calls;
    uint64_t recvmmsg_calls;
    uint64_t events_dropped;
    uint32_t legs;
    uint32_t conferences;
    uint32_t bridges;
} uc_worker_stats;

/* Start the workers. UC_ERR_ARGUMENT, UC_ERR_NOMEM, UC_ERR_IO (thread, epoll, timerfd). */
int uc_engine_create(const uc_engine_config *cfg, uc_engine **out);
/* Stop and join the workers. Afterwards commands run on the calling thread (so objects
 * can still be destroyed). Idempotent. */
void uc_engine_stop(uc_engine *e);
/* Stop, then free. Every leg, conference and bridge must have been destroyed. */
void uc_engine_destroy(uc_engine *e);
int uc_engine_worker_count(const uc_engine *e);
int uc_engine_tick_ms(const uc_engine *e);
/* The eventfd that becomes readable when events are queued. */
int uc_engine_event_fd(const uc_engine *e);
/* Clear the eventfd and move up to `max` queued events (all workers) into out. Returns
 * the count. Call from one thread at a time. */
int uc_engine_poll_events(uc_engine *e, uc_event *out, int max);
/* A snapshot of one worker's counters (a command: consistent with the worker). */
int uc_engine_worker_stats(uc_engine *e, int worker, uc_worker_stats *out);
/* The worker that the next object without an explicit placement goes to (round robin). */
int uc_engine_pick_worker(uc_engine *e);

#endif
