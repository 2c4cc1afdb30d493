#ifndef LUNZHI_CLIBPQ_SHIM_H
#define LUNZHI_CLIBPQ_SHIM_H

#ifndef __linux__
#error "Lunzhi runs on Linux only: its libpq driver waits on sockets with epoll and names threads with prctl"
#endif

#include <libpq-fe.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/prctl.h>

/* Swift does not import character-literal macros such as PG_DIAG_SQLSTATE ('C').
   Re-export the error fields the driver reads as constants. */
static const int CLIBPQ_DIAG_SEVERITY = 'S';
static const int CLIBPQ_DIAG_SEVERITY_NONLOCALIZED = 'V';
static const int CLIBPQ_DIAG_SQLSTATE = 'C';
static const int CLIBPQ_DIAG_MESSAGE_PRIMARY = 'M';
static const int CLIBPQ_DIAG_MESSAGE_DETAIL = 'D';
static const int CLIBPQ_DIAG_MESSAGE_HINT = 'H';
static const int CLIBPQ_DIAG_STATEMENT_POSITION = 'P';
static const int CLIBPQ_DIAG_CONTEXT = 'W';
static const int CLIBPQ_DIAG_SCHEMA_NAME = 's';
static const int CLIBPQ_DIAG_TABLE_NAME = 't';
static const int CLIBPQ_DIAG_COLUMN_NAME = 'c';
static const int CLIBPQ_DIAG_DATATYPE_NAME = 'd';
static const int CLIBPQ_DIAG_CONSTRAINT_NAME = 'n';

/* The driver's socket poller (SocketPoller.swift). struct epoll_event is packed on x86_64, which
   Swift imports awkwardly; these wrappers keep it on the C side. */

/* Arms `fd` for one readiness event (EPOLLONESHOT) carrying `token`: readable, and writable too
   when `writable` is set. `add` registers the descriptor; otherwise its registration is rearmed. */
static inline int clibpq_epoll_arm(int epoll_fd, int fd, int writable, uint64_t token, int add) {
    struct epoll_event event;
    event.events = EPOLLIN | EPOLLONESHOT | (writable ? EPOLLOUT : 0);
    event.data.u64 = token;
    return epoll_ctl(epoll_fd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event);
}

/* Waits for events and stores their tokens; returns how many (at most 64), or -1 with errno. */
static inline int clibpq_epoll_wait(int epoll_fd, uint64_t *tokens, int capacity, int timeout_ms) {
    struct epoll_event events[64];
    int count = epoll_wait(epoll_fd, events, capacity < 64 ? capacity : 64, timeout_ms);
    for (int i = 0; i < count; i++) tokens[i] = events[i].data.u64;
    return count;
}

/* Names the calling thread as `top -H`, `ps -L` and perf show it (at most 15 bytes; longer names
   are cut). Foundation's Thread.name is not passed to the system on Linux. Used by
   startDriverThread (ConnectionThread.swift). */
static inline void clibpq_name_this_thread(const char *name) {
    prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
}

#endif
