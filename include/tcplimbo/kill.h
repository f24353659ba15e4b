/* SPDX-License-Identifier: MIT */
/*
 * kill: destroying sockets with SOCK_DESTROY, and checking afterwards that
 * they are really gone. The kernel's "yes" is not taken as proof: a second
 * dump of the namespace is.
 *
 * What SOCK_DESTROY does not do matters as much as what it does: the peer
 * gets a RST and the socket leaves the kernel's tables, but a process that
 * holds the socket keeps its fd until it closes it, and a connection still
 * in an accept queue keeps its queue slot until the program accepts it
 * (and then accepts a dead socket). Callers report that; tl_kill does not
 * decide what may be destroyed.
 */
#ifndef TCPLIMBO_KILL_H
#define TCPLIMBO_KILL_H

#include <stddef.h>
#include <stdint.h>

#include "tcplimbo/sockdiag.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What became of one socket tl_kill was asked to destroy. */
enum tl_kill_result {
	TL_KILL_DESTROYED = 0, /* destroyed, and a later dump lacks it */
	TL_KILL_GONE,	       /* the kernel had it no more (ENOENT) */
	TL_KILL_SURVIVED,      /* destroyed, yet a later dump still has it */
	TL_KILL_FAILED,	       /* SOCK_DESTROY failed: see err */
	TL_KILL_NOT_TRIED,     /* skipped after an error every try shares */
};

/* One socket to destroy, and what happened to it. */
struct tl_kill_item {
	const struct tl_sock *sk; /* in: the socket as a dump showed it */
	int err;		  /* out: SOCK_DESTROY's -errno, or 0 */
	uint8_t result;		  /* out: enum tl_kill_result */
};

/*
 * Destroys each item's socket in the network namespace netns_fd (-1 for
 * ours), matching it by its 4-tuple and cookie so that a newer socket on
 * the same ports is never hit. Then dumps the namespace once and marks
 * every destroyed socket still there TL_KILL_SURVIVED. After -EOPNOTSUPP
 * (no CONFIG_INET_DIAG_DESTROY) or -EPERM (no CAP_NET_ADMIN) it stops
 * trying: the items left get TL_KILL_NOT_TRIED and that error. Returns 0,
 * or -errno when the checking dump failed (results are then unverified:
 * destroyed items keep TL_KILL_DESTROYED).
 */
int tl_kill(struct tl_kill_item *items, size_t n, int netns_fd);

/* The result's name ("destroyed", "gone", ...), or NULL. */
const char *tl_kill_result_name(int result);

#ifdef __cplusplus
}
#endif
#endif
