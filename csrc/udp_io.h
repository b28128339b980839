/* UDP sockets for media legs: binding inside a port range, batched receive (recvmmsg) and
 * a per-worker transmit queue flushed with sendmmsg.
 *
 * Each leg owns one socket: RTP and RTCP share it (rtcp-mux, RFC 5761), STUN and DTLS too
 * (RFC 7983). The receive batch and the transmit queue are allocated once per worker;
 * receiving and sending never allocate. A tick or a receive batch queues its packets and
 * flushes once; consecutive packets of one socket leave in one sendmmsg call. */
#ifndef UC_UDP_IO_H
#define UC_UDP_IO_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Room for any RTP/RTCP packet we build or accept, SRTP trailer included. */
#define UC_UDP_MAX_PACKET 1600
#define UC_UDP_RX_BATCH 32

/* Bind a non-blocking UDP socket to bind_ip (IPv4 or IPv6 literal) on the first free port
 * of [lo, hi] at or after *cursor (wrapping around), and advance *cursor past it. Returns
 * the socket, UC_ERR_ARGUMENT (bad address or range) or UC_ERR_IO (no free port: errno
 * EADDRINUSE; or another socket error). *port_out receives the port. */
int uc_udp_bind_range(const char *bind_ip, int lo, int hi, int *cursor, int *port_out);

/* Parse "ip" + port into a sockaddr. Returns the address length or UC_ERR_ARGUMENT. */
int uc_udp_make_addr(const char *ip, int port, struct sockaddr_storage *out);
/* 1 when two socket addresses have the same family, address and port. */
int uc_udp_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
/* The address as text (ip needs 46 bytes) and its port. UC_ERR_ARGUMENT for other families. */
int uc_udp_addr_format(const struct sockaddr_storage *a, char *ip, size_t cap, int *port);

typedef struct uc_rx_batch {
    struct mmsghdr msgs[UC_UDP_RX_BATCH];
    struct iovec iov[UC_UDP_RX_BATCH];
    struct sockaddr_storage from[UC_UDP_RX_BATCH];
    uint8_t buf[UC_UDP_RX_BATCH][UC_UDP_MAX_PACKET];
} uc_rx_batch;

/* Receive up to UC_UDP_RX_BATCH datagrams. Returns the count (0 when none is waiting) or
 * UC_ERR_IO. Datagram i is buf[i], msgs[i].msg_len bytes, from from[i]; truncated ones
 * (longer than UC_UDP_MAX_PACKET) carry MSG_TRUNC in msgs[i].msg_flags. */
int uc_udp_recv_batch(int fd, uc_rx_batch *b);

typedef struct uc_txq {
    int cap;
    int n;
    struct mmsghdr *msgs;
    struct iovec *iov;
    struct sockaddr_storage *to;
    int *fds;
    uint8_t *bufs; /* cap * UC_UDP_MAX_PACKET */
    uint64_t packets_sent;
    uint64_t send_errors;  /* datagrams the kernel refused (e.g. ECONNREFUSED, ENOBUFS) */
    uint64_t syscalls;     /* sendmmsg calls made */
} uc_txq;

int uc_txq_init(uc_txq *q, int cap);
void uc_txq_free(uc_txq *q);
/* The buffer for the next packet (UC_UDP_MAX_PACKET bytes); flushes first when full. */
uint8_t *uc_txq_next(uc_txq *q);
/* Queue the packet written into the buffer uc_txq_next returned. */
void uc_txq_commit(uc_txq *q, int fd, const struct sockaddr_storage *to, size_t len);
/* Send everything queued: one sendmmsg per run of packets on the same socket. */
void uc_txq_flush(uc_txq *q);

#endif
