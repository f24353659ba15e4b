/* SPDX-License-Identifier: MIT */
/*
 * events: TCP state transitions as they happen, from one of two sources.
 * The bpf backend sees every transition (a program on the
 * inet_sock_set_state tracepoint feeding a ring buffer); the poll backend
 * samples sock_diag dumps and diffs them, so it misses short-lived states
 * and says so on each transition it reports.
 *
 * Neither backend names owners: the task running when a socket changes
 * state is often the peer, a timer or nobody, so the caller resolves the
 * owner from the socket's inode (or its listener) in user space.
 */
#ifndef TCPLIMBO_EVENTS_H
#define TCPLIMBO_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcplimbo/sockdiag.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where transitions come from. */
enum tl_events_backend {
	TL_EVENTS_AUTO = 0, /* bpf if it can be loaded, else poll */
	TL_EVENTS_BPF,
	TL_EVENTS_POLL,
};

/* Which bpf entry point to attach. */
enum tl_events_attach {
	TL_ATTACH_AUTO = 0,   /* tp_btf, falling back to the tracepoint */
	TL_ATTACH_BTF,	      /* tp_btf/inet_sock_set_state only */
	TL_ATTACH_TRACEPOINT, /* tracepoint/sock/inet_sock_set_state only */
};

/* What is known about one transition besides its states. */
enum tl_event_flags {
	/* ms_in_old is valid. */
	TL_EVENT_HAS_MS = 1 << 0,
	/*
	 * Sampled: the socket was seen in old_state and later in new_state,
	 * and the state machine has no direct step between them, so states
	 * in between were missed (the poll backend only).
	 */
	TL_EVENT_JUMP = 1 << 1,
	/* The state machine has no such transition; shown, never dropped. */
	TL_EVENT_UNKNOWN = 1 << 2,
	/* The socket was seen first in this sample (poll): old_state is CLOSE. */
	TL_EVENT_APPEARED = 1 << 3,
	/* The socket left the dump (poll): new_state is CLOSE. */
	TL_EVENT_VANISHED = 1 << 4,
	/* pid and comm name the socket's owner, recorded by the kernel at
	 * connect(), listen() or accept() in that process (bpf only). */
	TL_EVENT_OWNER = 1 << 5,
	/* pid and comm name the owner of the listener whose accept queue
	 * holds this connection (bpf only). */
	TL_EVENT_LISTENER_OWNER = 1 << 6,
	/*
	 * FIN_WAIT2 -> CLOSE with neither a reset nor the peer's FIN (bpf):
	 * tcp_time_wait() handed the closed socket to a timewait FIN-WAIT-2
	 * entry, which lasts up to tcp_fin_timeout, so this is not the end of
	 * the connection. One case looks the same: an orphan whose
	 * tcp_fin_timeout (at most 60 s) ran out on its keepalive timer,
	 * after that long in FIN_WAIT2 (see ms_in_old).
	 */
	TL_EVENT_TIMEWAIT = 1 << 7,
	/*
	 * FIN_WAIT2 -> CLOSE after the peer's FIN, or CLOSING -> CLOSE after
	 * the ACK of ours, with no reset (bpf): tcp_time_wait() handed the
	 * connection to a TIME-WAIT entry, which keeps its addresses and
	 * ports for 60 s (unless net.ipv4.tcp_max_tw_buckets is reached).
	 */
	TL_EVENT_TIME_WAIT = 1 << 8,
	/*
	 * With TL_EVENT_LISTENER_OWNER: that listener is on the wildcard
	 * address of the connection's family (0.0.0.0 or ::), not on the
	 * connection's own address (bpf, where watch followed the listener
	 * from its listen()).
	 */
	TL_EVENT_LISTENER_ANY = 1 << 9,
};

/* One transition of one socket. Addresses and ports as in tl_sock. */
struct tl_event {
	uint64_t ts_ms; /* CLOCK_REALTIME when it was seen, ms */
	uint64_t key;	/* the socket's identity: cookie or kernel address */
	uint64_t netns; /* inode of the socket's network namespace, or 0 */
	uint64_t ms_in_old; /* time spent in old_state; see TL_EVENT_HAS_MS */
	uint8_t src[16];
	uint8_t dst[16];
	uint32_t inode; /* socket inode, 0 when it has no struct socket */
	uint16_t sport;
	uint16_t dport;
	uint8_t family;
	uint8_t old_state; /* enum tl_state */
	uint8_t new_state;
	uint8_t limbo;	/* enum tl_limbo as far as the backend can tell */
	uint16_t flags; /* enum tl_event_flags */
	uint32_t pid;	/* with TL_EVENT_OWNER or TL_EVENT_LISTENER_OWNER */
	char comm[16];	/* the same process's comm, terminated */
	/*
	 * What makes TCP take this step, as tl_events_step_cause() says;
	 * NULL when old_state to new_state is not one step.
	 */
	const char *cause;
};

/* Called once per transition; a negative return stops delivery with it. */
typedef int (*tl_event_cb)(const struct tl_event *ev, void *arg);

/* The most ports and addresses of each kind the kernel filters on. */
#define TL_EVENTS_MAX_PORTS 16
#define TL_EVENTS_MAX_ADDRS 8

/*
 * What the bpf backend filters on: a change passes when its old or new
 * state is in states (0: any), its local port is one of sport (none
 * given: any), its remote port one of dport, and its local or remote
 * address one of addr (an IPv4 address also matches its v4-mapped IPv6
 * form). More than fit: leave that kind empty and filter in user space.
 */
struct tl_events_filter {
	uint32_t states; /* TL_STATE_BIT() mask */
	int nsport, ndport, naddr;
	uint16_t sport[TL_EVENTS_MAX_PORTS];
	uint16_t dport[TL_EVENTS_MAX_PORTS];
	struct {
		int family;
		uint8_t a[16];
	} addr[TL_EVENTS_MAX_ADDRS];
};

/* How to watch. */
struct tl_events_opts {
	enum tl_events_backend backend;
	enum tl_events_attach attach; /* bpf only */
	uint32_t interval_ms;	      /* poll: time between dumps */
	int family;		      /* AF_INET, AF_INET6 or AF_UNSPEC */
	int netns_fd;		      /* namespace to watch, -1 for ours */
	/*
	 * bpf: filters applied in the kernel, before the buffers, so
	 * changes nobody wants never reach user space. They only drop: the
	 * caller still applies its own filters to what arrives. With any,
	 * the program keeps each socket's owner and last change in socket
	 * storage, since user space sees only some changes; with none, the
	 * backend follows them from the records, which costs the watched
	 * churn less (bench/RESULTS.md, run 12).
	 */
	struct tl_events_filter filter;
	/* bpf: the buffers' bytes, over all CPUs (each CPU's is a power of
	 * two pages, at least one; 0 means TL_EVENTS_RING_DEFAULT). */
	uint32_t ring_bytes;
};

/*
 * The buffers' default and largest sizes, over all CPUs. The default holds
 * about 500,000 transitions: seconds of a churn that outruns the CPU share
 * a reader at normal priority gets (bench/watch.sh, 4 threads on 2 CPUs),
 * at 64 MiB of kernel memory while watch runs.
 */
#define TL_EVENTS_RING_DEFAULT (64u << 20)
#define TL_EVENTS_RING_MAX (1u << 30)

/* The longest and shortest poll interval accepted, in ms. */
#define TL_EVENTS_INTERVAL_MIN 10
#define TL_EVENTS_INTERVAL_MAX 3600000

/* Fills opts with the defaults: auto, 1000 ms, both families, our netns. */
void tl_events_opts_init(struct tl_events_opts *opts);

struct tl_events;

/*
 * Starts watching. For the poll backend the first dump is taken here and
 * is the baseline: sockets already open produce no transitions. With
 * TL_EVENTS_AUTO, a bpf failure falls back to poll and is kept for
 * tl_events_bpf_error(). Returns 0 and sets *ret, or -errno: -EOPNOTSUPP
 * when bpf was asked for and the build has no bpf, -EPERM without the
 * capabilities to load it, -EINVAL for bad options.
 */
int tl_events_open(const struct tl_events_opts *opts, struct tl_events **ret);

/*
 * Waits at most timeout_ms (0: do not wait) for transitions and calls cb
 * for each one. Returns how many were delivered, or -errno: -EINTR when a
 * signal arrived, or cb's negative return.
 */
int tl_events_run(struct tl_events *ev, int timeout_ms, tl_event_cb cb,
		  void *arg);

/*
 * The bpf backend reads one buffer a CPU and holds the last 2 ms of
 * transitions back, until no CPU can still report an earlier one, so that
 * they come in time order. This hands over those held, however recent:
 * call it before tl_events_close() to lose none. Returns how many were
 * delivered (0 for poll, which holds nothing), or cb's negative return.
 */
int tl_events_flush(struct tl_events *ev, tl_event_cb cb, void *arg);

/* The backend actually running (never TL_EVENTS_AUTO). */
enum tl_events_backend tl_events_backend(const struct tl_events *ev);

/*
 * A short description of how events are gathered ("tp_btf/inet_sock_set_
 * state", "sock_diag every 1000 ms"), for the user.
 */
const char *tl_events_detail(const struct tl_events *ev);

/*
 * Why bpf is not running when auto fell back to poll: the -errno it failed
 * with, or 0.
 */
int tl_events_bpf_error(const struct tl_events *ev);

/* Transitions the kernel could not hand over (their CPU's buffer was
 * full) so far, as far as read: the kernel reports them in the buffer. */
uint64_t tl_events_lost(const struct tl_events *ev);

/*
 * Transitions the kernel did not run the bpf program for, so far: it runs
 * a program only once at a time on a CPU, and a change that comes while
 * the program runs (network processing in an interrupt that arrived
 * during it, common on loopback under churn) is skipped and counted. On
 * tp_btf a second program handles those; this is what neither could. The
 * count is the kernel's for every namespace, so at most this many were
 * the watched namespace's. 0 for poll, and where the kernel does not
 * count (before 5.12).
 */
uint64_t tl_events_missed(const struct tl_events *ev);

/* Stops watching, detaching any program; NULL is fine. */
void tl_events_close(struct tl_events *ev);

/*
 * Whether this library was built with the bpf backend (-Dbpf not disabled,
 * its tools found): without, opening it gives -EOPNOTSUPP.
 */
bool tl_events_bpf_built(void);

/* The backend's name ("auto", "bpf", "poll"), or NULL. */
const char *tl_events_backend_name(int backend);

/* Parses a backend name; returns 0 or -EINVAL. */
int tl_events_backend_parse(const char *name, enum tl_events_backend *ret);

/*
 * Whether TCP can go from old_state to new_state in one step: RFC 9293's
 * diagram (tcpstate.h) or one of Linux's own steps (its shortcuts to
 * CLOSE, the request socket of NEW_SYN_RECV).
 */
bool tl_events_step_known(int old_state, int new_state);

/*
 * What makes TCP take that step: the RFC's event ("rcv FIN") or Linux's
 * reason ("RST or abort"), or NULL when it is not one step.
 */
const char *tl_events_step_cause(int old_state, int new_state);

#ifdef __cplusplus
}
#endif
#endif
