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
	uint8_t limbo; /* enum tl_limbo as far as the backend can tell */
	uint8_t flags; /* enum tl_event_flags */
};

/* Called once per transition; a negative return stops delivery with it. */
typedef int (*tl_event_cb)(const struct tl_event *ev, void *arg);

/* How to watch. */
struct tl_events_opts {
	enum tl_events_backend backend;
	enum tl_events_attach attach; /* bpf only */
	uint32_t interval_ms;	      /* poll: time between dumps */
	int family;		      /* AF_INET, AF_INET6 or AF_UNSPEC */
	int netns_fd;		      /* namespace to watch, -1 for ours */
};

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

/* Transitions the kernel could not hand over (ring buffer full) so far. */
uint64_t tl_events_lost(const struct tl_events *ev);

/* Stops watching, detaching any program; NULL is fine. */
void tl_events_close(struct tl_events *ev);

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
