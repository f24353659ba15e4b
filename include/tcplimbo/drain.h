/* SPDX-License-Identifier: MIT */
/*
 * drain: freeing a stuck listener's accept queue of connections whose
 * client has already gone, from outside the program and without its help.
 *
 * SOCK_DESTROY cannot do this: a destroyed child keeps its queue slot. The
 * only way a slot is freed is accept(), so drain borrows the listener's fd
 * from its owner with pidfd_getfd() and calls accept() and close() itself,
 * once per dead connection. The queue is first in, first out, so this is
 * done only when every queued connection is dead: with a live one among
 * them, accepting would take it from the program. Every accepted socket is
 * checked against the dead set by its cookie, and the program may accept
 * concurrently, so every accept() has a deadline.
 */
#ifndef TCPLIMBO_DRAIN_H
#define TCPLIMBO_DRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tcplimbo/snapshot.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A listener's queue sorted out: what is dead, what is live, who holds it. */
struct tl_drain_plan {
	const struct tl_sock *listener; /* in the snapshot the plan came from */
	pid_t pid; /* a process holding the listener, 0 if none is known */
	int fd;	   /* its fd number for the listener there */
	/* Queued connections the client has closed (CLOSE-WAIT). */
	const struct tl_sock **dead;
	size_t n_dead;
	/* Queued connections whose client is still there. */
	const struct tl_sock **live;
	size_t n_live;
	/*
	 * Of live, those in CLOSE-WAIT whose client is in this namespace and
	 * still holds its socket in FIN-WAIT-2: it only shut down its
	 * sending side (shutdown(SHUT_WR), nc -N) and waits for the answer.
	 */
	size_t n_half_closed;
	/*
	 * The listener's Recv-Q beyond the connections the dump shows: queued
	 * children already destroyed (by SOCK_DESTROY, or reset by the peer)
	 * that no dump lists but that still hold a slot. They are dead too.
	 */
	uint32_t hidden;
	/*
	 * Of dead and live, how many may wait in another SO_REUSEPORT
	 * listener's queue instead (see tl_snapshot_may_queue). With any,
	 * at most the listener's Recv-Q of them can be freed here.
	 */
	size_t n_shared;
};

/*
 * How many connections tl_drain_run would accept and close for plan:
 * its dead and hidden ones, but no more than the listener's Recv-Q when
 * some of them may be in another listener's queue.
 */
size_t tl_drain_plan_want(const struct tl_drain_plan *plan);

/*
 * Sorts out the accept queue of listener (a socket of snap in LISTEN) and
 * finds an owner of it. snap must have been taken with owners and with
 * ESTABLISHED and CLOSE-WAIT, and FIN-WAIT-2 to tell half-closed clients
 * on this host from gone ones. Returns 0 and fills *ret (release it with
 * tl_drain_plan_release), or -EINVAL when listener is not a listener of
 * snap, or -ENOMEM.
 */
int tl_drain_plan(const struct tl_snapshot *snap,
		  const struct tl_sock *listener, struct tl_drain_plan *ret);

/* Frees what a plan holds; the plan itself is the caller's. */
void tl_drain_plan_release(struct tl_drain_plan *p);

/* What a drain did. */
struct tl_drain_result {
	size_t freed;	     /* dead connections accepted and closed */
	size_t freed_hidden; /* of them, destroyed ones no dump showed */
	/*
	 * The stop reason: 0 when every planned slot was freed; -ETIMEDOUT
	 * when an accept() found nothing within the deadline (the program
	 * accepted them meanwhile); -ESTALE when it took a connection that
	 * was not in the dead set (described below); or accept's -errno.
	 */
	int stop;
	/* The connection taken by mistake when stop is -ESTALE. */
	uint8_t other_family;
	uint8_t other_state; /* enum tl_state, from TCP_INFO */
	uint8_t other_peer[16];
	uint16_t other_port;
};

/* How a drain runs. */
struct tl_drain_opts {
	unsigned timeout_ms; /* the deadline of each accept() */
	unsigned delay_ms;   /* a pause between accepts (tests: races) */
};

/*
 * Frees the planned slots: takes the listener's fd from plan->pid with
 * pidfd_getfd(), checks it is still the same listener (inode), and
 * accepts and closes tl_drain_plan_want(plan) connections, stopping at
 * the first one not known to be dead. The listener's file flags are never
 * changed (O_NONBLOCK is shared with the program). The deadline uses a
 * per-thread timer and SIGALRM: for the duration of the call SIGALRM is
 * unblocked in the calling thread and handled without SA_RESTART, then
 * both are put back. Refuses (-EBUSY) a plan with live connections.
 * Returns 0 (see res->stop for an early stop), or -errno: -EPERM without
 * the right to ptrace the owner (CAP_SYS_PTRACE), -ENOSYS on a kernel
 * without pidfd_getfd, -ESRCH when the owner has exited, -ESTALE when its
 * fd no longer holds the listener, -ENOENT when the plan has no owner,
 * -EALREADY while another tl_drain_run on this machine, in this network
 * namespace, drains the same listener (the two would take more than the
 * dead between them).
 */
int tl_drain_run(const struct tl_drain_plan *plan,
		 const struct tl_drain_opts *opts, struct tl_drain_result *res);

#ifdef __cplusplus
}
#endif
#endif
