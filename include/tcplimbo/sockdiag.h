/* SPDX-License-Identifier: MIT */
/*
 * sock_diag: one netlink dump of the kernel's TCP sockets, parsed into plain
 * structs. The dump can be recorded to a file and replayed from one, so the
 * parser is tested on real kernel replies without a kernel.
 */
#ifndef TCPLIMBO_SOCKDIAG_H
#define TCPLIMBO_SOCKDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcplimbo/states.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which optional parts of a tl_sock the kernel sent. */
enum tl_sock_has {
	TL_HAS_INFO = 1 << 0,	  /* tcp_info fields below are valid */
	TL_HAS_MEMINFO = 1 << 1,  /* drops is valid */
	TL_HAS_SHUTDOWN = 1 << 2, /* shutdown is valid */
	TL_HAS_V6ONLY = 1 << 3,	  /* v6only is valid */
	TL_HAS_CGROUP = 1 << 4,	  /* cgroup_id is valid */
	/*
	 * A subflow of an MPTCP connection (INET_DIAG_ULP_INFO names
	 * "mptcp"): the connection is the MPTCP socket, whose fd its
	 * process holds; the subflow is one of its paths, and the kernel's
	 * to open and close.
	 */
	TL_HAS_MPTCP = 1 << 5,
	/*
	 * With TL_HAS_MPTCP: a subflow that joined its connection after the
	 * first (MP_JOIN). Queued, it is a path of a connection that waits
	 * in the queue, not a connection of its own.
	 */
	TL_HAS_MPTCP_JOIN = 1 << 6,
};

/* idiag_timer: which timer of the socket runs. */
enum tl_timer {
	TL_TIMER_NONE = 0,
	TL_TIMER_RETRANSMIT = 1,
	TL_TIMER_KEEPALIVE = 2,
	TL_TIMER_TIMEWAIT = 3,
	TL_TIMER_PROBE = 4,
};

/*
 * One TCP socket as sock_diag reports it. Addresses are in network byte
 * order, 4 bytes used for AF_INET and 16 for AF_INET6; ports are host order.
 */
struct tl_sock {
	uint8_t src[16];
	uint8_t dst[16];
	uint64_t cookie;
	uint64_t bytes_received; /* tcpi_bytes_received */
	uint64_t bytes_acked;	 /* tcpi_bytes_acked */
	/*
	 * INET_DIAG_CGROUP_ID: the cgroup2 id of the process that created
	 * the socket (a queued child has its listener's). Full sockets only:
	 * request and timewait entries have none.
	 */
	uint64_t cgroup_id;
	uint32_t rqueue; /* Recv-Q: unread bytes, or accept queue */
	uint32_t wqueue; /* Send-Q: unacked bytes, or backlog */
	uint32_t inode;	 /* 0 when no struct socket / fd exists */
	uint32_t uid;
	uint32_t ifindex;
	uint32_t timer_ms; /* time until the timer fires */
	uint32_t drops;	   /* SK_MEMINFO_DROPS, listeners' SYN drops */
	uint32_t rtt_us;
	uint32_t rttvar_us;
	uint32_t total_retrans;
	uint32_t last_data_sent_ms;
	uint32_t last_data_recv_ms;
	uint32_t last_ack_recv_ms;
	uint32_t listener; /* snapshot: index of the listener + 1, or 0 */
	uint16_t sport;
	uint16_t dport;
	uint8_t family;	     /* AF_INET or AF_INET6 */
	uint8_t state;	     /* enum tl_state */
	uint8_t timer;	     /* enum tl_timer */
	uint8_t retrans;     /* idiag_retrans: timer retries so far */
	uint8_t shutdown;    /* 1: peer sent FIN (RCV_SHUTDOWN), 2: we did */
	uint8_t retransmits; /* tcpi_retransmits */
	uint8_t v6only;
	uint8_t has;   /* enum tl_sock_has */
	uint8_t limbo; /* enum tl_limbo, filled by the snapshot */
	/*
	 * Snapshot: how many listeners' queues a socket tied to a listener
	 * may wait in. 1 when that is known; more when SO_REUSEPORT
	 * listeners share its address and port and more than one of them
	 * has a queue (the kernel picks one by a hash we cannot compute):
	 * then sk->listener is the one with the longest queue.
	 */
	uint8_t n_listeners;
};

/* Where a dump comes from and goes to. */
struct tl_dump_opts {
	int family;	 /* AF_INET, AF_INET6 or AF_UNSPEC for both */
	uint32_t states; /* TL_STATE_BIT mask; 0 means TL_STATES_REAL */
	int netns_fd;	 /* network namespace to dump, or -1 for ours */
	int record_fd;	 /* if >= 0, raw replies are appended here */
	int replay_fd; /* if >= 0, replies are read from here, not the kernel */
	/*
	 * Ask for tcp_info and socket memory (TL_HAS_INFO, TL_HAS_MEMINFO);
	 * the default. Without them the kernel skips tcp_get_info() for each
	 * socket and the replies are less than half the size: for callers
	 * that print neither.
	 */
	bool details;
};

/* Called once per socket; a negative return stops the dump with it. */
typedef int (*tl_sock_cb)(const struct tl_sock *sk, void *arg);

/* Fills opts with the defaults: both families, real states, no files. */
void tl_dump_opts_init(struct tl_dump_opts *opts);

/*
 * Dumps TCP sockets, calling cb for each one whose state and family match.
 * Both families come in the kernel's table order, mixed, from one walk of
 * the tables where the kernel takes the TCPDIAG_GETSOCK request (a
 * recording then holds messages of that type); else IPv4, then IPv6.
 * An interrupted dump (NLM_F_DUMP_INTR, ENOBUFS) is restarted a bounded
 * number of times; in that case cb may already have seen part of it, so
 * callers that collect must be able to start over: reset is called (if not
 * NULL) before each restart. Returns 0 or -errno.
 */
int tl_sockdiag_dump(const struct tl_dump_opts *opts, tl_sock_cb cb,
		     void (*reset)(void *arg), void *arg);

/*
 * Parses one socket of a dump (a SOCK_DIAG_BY_FAMILY or TCPDIAG_GETSOCK
 * message, header included, len bytes) into *out. Returns 0, or -EBADMSG
 * when the message is malformed. Optional attributes the kernel did not
 * send leave their fields zero.
 */
int tl_sockdiag_parse(const void *msg, size_t len, struct tl_sock *out);

/*
 * Destroys one socket with SOCK_DESTROY (the peer gets a RST). Needs
 * CAP_NET_ADMIN and CONFIG_INET_DIAG_DESTROY. Returns 0 or -errno.
 */
int tl_sockdiag_destroy(const struct tl_sock *sk, int netns_fd);

/*
 * Looks sk up again, by its addresses, ports and cookie, into *ret: the
 * socket as it is now (its state, queues, timer). Returns 0, -ENOENT
 * when it no longer exists (closed, or its addresses now name another
 * socket), or another -errno.
 */
int tl_sockdiag_lookup(const struct tl_sock *sk, int netns_fd,
		       struct tl_sock *ret);

/*
 * True for a timewait mini-socket: TIME_WAIT, or a FIN_WAIT2 that the kernel
 * handed to the timewait machinery after close(). sock_diag reports the
 * latter with the FIN-WAIT-2 state, the timewait timer and none of a full
 * socket's attributes (shutdown, tcp_info; ss: timer:(timewait,...)): the
 * socket is gone, only the entry remains until its timer
 * (net.ipv4.tcp_fin_timeout) ends it. An orphan is a full
 * socket the kernel still finishes.
 */
bool tl_sock_is_timewait(const struct tl_sock *sk);

/*
 * The state the socket is in inside the kernel, for counting by state:
 * sock_diag reports a request socket (a half-open connection in a
 * listener's SYN queue, the kernel's TCP_NEW_SYN_RECV) as SYN_RECV, as ss
 * shows it; it has none of a full socket's attributes, and is
 * TL_NEW_SYN_RECV here. Every other socket's state is sk->state.
 */
int tl_sock_kernel_state(const struct tl_sock *sk);

#ifdef __cplusplus
}
#endif
#endif
