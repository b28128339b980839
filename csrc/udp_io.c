#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include "udp_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uc_errors.h"

int uc_udp_make_addr(const char *ip, int port, struct sockaddr_storage *out)
{
    if (!ip || !out || port < 0 || port > 65535)
        return UC_ERR_ARGUMENT;
    memset(out, 0, sizeof(*out));
    struct sockaddr_in *v4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return (int)sizeof(*v4);
    }
    if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        return (int)sizeof(*v6);
    }
    return UC_ERR_ARGUMENT;
}

int uc_udp_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
        return x->sin6_port == y->sin6_port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
    }
    return 0;
}

int uc_udp_addr_format(const struct sockaddr_storage *a, char *ip, size_t cap, int *port)
{
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)a;
        if (!inet_ntop(AF_INET, &v4->sin_addr, ip, (socklen_t)cap))
            return UC_ERR_NOSPACE;
        *port = ntohs(v4->sin_port);
        return UC_OK;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)a;
        if (!inet_ntop(AF_INET6, &v6->sin6_addr, ip, (socklen_t)cap))
            return UC_ERR_NOSPACE;
        *port = ntohs(v6->sin6_port);
        return UC_OK;
    }
    return UC_ERR_ARGUMENT;
}

int uc_udp_bind_range(const char *bind_ip, int lo, int hi, int *cursor, int *port_out)
{
    struct sockaddr_storage addr;
    if (lo < 1 || hi > 65535 || lo > hi || !cursor || !port_out)
        return UC_ERR_ARGUMENT;
    int alen = uc_udp_make_addr(bind_ip, lo, &addr);
    if (alen < 0)
        return alen;
    int fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return UC_ERR_IO;
    int span = hi - lo + 1;
    int start = *cursor;
    if (start < lo || start > hi)
        start = lo;
    for (int i = 0; i < span; i++) {
        int port = lo + (start - lo + i) % span;
        if (addr.ss_family == AF_INET)
            ((struct sockaddr_in *)&addr)->sin_port = htons((uint16_t)port);
        else
            ((struct sockaddr_in6 *)&addr)->sin6_port = htons((uint16_t)port);
        if (bind(fd, (struct sockaddr *)&addr, (socklen_t)alen) == 0) {
            *cursor = port + 1 > hi ? lo : port + 1;
            *port_out = port;
            return fd;
        }
        if (errno != EADDRINUSE && errno != EACCES) {
            int saved = errno;
            close(fd);
            errno = saved;
            return UC_ERR_IO;
        }
    }
    close(fd);
    errno = EADDRINUSE;
    return UC_ERR_IO;
}

int uc_udp_recv_batch(int fd, uc_rx_batch *b)
{
    for (int i = 0; i < UC_UDP_RX_BATCH; i++) {
        b->iov[i].iov_base = b->buf[i];
        b->iov[i].iov_len = UC_UDP_MAX_PACKET;
        memset(&b->msgs[i].msg_hdr, 0, sizeof(b->msgs[i].msg_hdr));
        b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
        b->msgs[i].msg_hdr.msg_iovlen = 1;
        b->msgs[i].msg_hdr.msg_name = &b->from[i];
        b->msgs[i].msg_hdr.msg_namelen = sizeof(b->from[i]);
        b->msgs[i].msg_len = 0;
    }
    int n = recvmmsg(fd, b->msgs, UC_UDP_RX_BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;
        /* ECONNREFUSED and friends: an ICMP error from an earlier send; not fatal. */
        if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH)
            return 0;
        return UC_ERR_IO;
    }
    return n;
}

int uc_txq_init(uc_txq *q, int cap)
{
    if (!q || cap < 1)
        return UC_ERR_ARGUMENT;
    memset(q, 0, sizeof(*q));
    q->cap = cap;
    q->msgs = calloc((size_t)cap, sizeof(*q->msgs));
    q->iov = calloc((size_t)cap, sizeof(*q->iov));
    q->to = calloc((size_t)cap, sizeof(*q->to));
    q->fds = calloc((size_t)cap, sizeof(*q->fds));
    q->bufs = malloc((size_t)cap * UC_UDP_MAX_PACKET);
    if (!q->msgs || !q->iov || !q->to || !q->fds || !q->bufs) {
        uc_txq_free(q);
        return UC_ERR_NOMEM;
    }
    return UC_OK;
}

void uc_txq_free(uc_txq *q)
{
    if (!q)
        return;
    free(q->msgs);
    free(q->iov);
    free(q->to);
    free(q->fds);
    free(q->bufs);
    memset(q, 0, sizeof(*q));
}

uint8_t *uc_txq_next(uc_txq *q)
{
    if (q->n == q->cap)
        uc_txq_flush(q);
    return q->bufs + (size_t)q->n * UC_UDP_MAX_PACKET;
}

void uc_txq_commit(uc_txq *q, int fd, const struct sockaddr_storage *to, size_t len)
{
    int i = q->n;
    q->fds[i] = fd;
    q->to[i] = *to;
    q->iov[i].iov_base = q->bufs + (size_t)i * UC_UDP_MAX_PACKET;
    q->iov[i].iov_len = len;
    memset(&q->msgs[i].msg_hdr, 0, sizeof(q->msgs[i].msg_hdr));
    q->msgs[i].msg_hdr.msg_iov = &q->iov[i];
    q->msgs[i].msg_hdr.msg_iovlen = 1;
    q->msgs[i].msg_hdr.msg_name = &q->to[i];
    q->msgs[i].msg_hdr.msg_namelen = q->to[i].ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                                    : sizeof(struct sockaddr_in);
    q->n = i + 1;
}

void uc_txq_flush(uc_txq *q)
{
    int i = 0;
    while (i < q->n) {
        int j = i + 1;
        while (j < q->n && q->fds[j] == q->fds[i])
            j++;
        /* Bounded: each call either sends >= 1 datagram or skips the one the kernel refused. */
        while (i < j) {
            int r = sendmmsg(q->fds[i], &q->msgs[i], (unsigned)(j - i), MSG_DONTWAIT);
            q->syscalls++;
            if (r > 0) {
                q->packets_sent += (uint64_t)r;
                i += r;
            } else {
                if (r < 0 && errno == EINTR)
                    continue;
                q->send_errors++;
                i++;
            }
        }
    }
    q->n = 0;
}
