/* SPDX-License-Identifier: MIT */
/*
 * snapshot: one consistent view of a namespace's TCP sockets, their owners,
 * and the listeners that fd-less sockets wait on.
 */
#ifndef TCPLIMBO_SNAPSHOT_H
#define TCPLIMBO_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcplimbo/context.h"
#include "tcplimbo/owners.h"
#include "tcplimbo/sockdiag.h"

struct if_nameindex;

#ifdef __cplusplus
extern "C" {
#endif

/* What to take. */
struct tl_snapshot_opts {
	int family;	       /* AF_INET, AF_INET6 or AF_UNSPEC */
	uint32_t states;       /* mask; 0 means TL_STATES_REAL */
	bool owners;	       /* scan /proc for owners */
	const char *proc_root; /* NULL means "/proc" */
	/* How to take owners: see struct tl_owners_opts (AUTO, 0 threads). */
	enum tl_owners_backend owners_backend;
	unsigned owners_threads;
	int netns_fd; /* -1 for the caller's namespace */
	/*
	 * A /proc scan to use instead of a new one, borrowed: it must outlive
	 * the snapshot. Socket inodes are unique across namespaces, so one
	 * scan serves snapshots of every namespace.
	 */
	const struct tl_owners *owners_from;
	int record_fd; /* see tl_dump_opts */
	int replay_fd;
	bool details; /* see tl_dump_opts; true by default */
};

/*
 * A snapshot. socks holds every socket of the requested states, plus every
 * listener (flagged by in_filter == false when LISTEN was not asked for),
 * because fd-less sockets are tied to listeners.
 */
struct tl_snapshot {
	struct tl_sock *socks;
	size_t n_socks;
	uint8_t *in_filter;	  /* per socket: 1 if its state was asked for */
	struct tl_owners *owners; /* NULL when not asked for */
	bool owners_borrowed;	  /* owners came from opts.owners_from */
	uint32_t states;	  /* the mask asked for */
	uint64_t taken_ms;	  /* CLOCK_REALTIME at the dump, ms */
	/*
	 * The cgroup map that names sockets' cgroup ids, borrowed from the
	 * caller, who sets it after taking the snapshot when it wants
	 * contexts shown; NULL shows none. The snapshot never frees it.
	 */
	struct tl_cgroups *cgroups;
	/*
	 * The namespace's interfaces at the dump (if_nameindex, taken in
	 * it), to name a socket's ifindex; NULL for a replayed dump.
	 */
	struct if_nameindex *ifnames;
};

/*
 * The name of interface ifindex in the snapshot's namespace, as ss shows
 * it after a socket's address ("fe80::1%eth0"); NULL when not known.
 */
const char *tl_snapshot_ifname(const struct tl_snapshot *snap,
			       uint32_t ifindex);

/*
 * The device a socket bound to ifindex names, as ss shows it: its name,
 * else its index in digits (written in buf); NULL for ifindex 0.
 */
const char *tl_snapshot_device(const struct tl_snapshot *snap, uint32_t ifindex,
			       char *buf, size_t size);

/*
 * Whether sk is bound to the device dev, given by its name or its index
 * in digits; "" (no device asked for) is any socket.
 */
bool tl_snapshot_on_device(const struct tl_snapshot *snap,
			   const struct tl_sock *sk, const char *dev);

/* Fills opts with the defaults: everything, owners on, our namespace. */
void tl_snapshot_opts_init(struct tl_snapshot_opts *opts);

/*
 * Takes a snapshot: one dump, one /proc scan, then classifies fd-less
 * sockets (accept-queue, orphan, timewait) and ties accept-queue sockets
 * to their listener (sk->listener). Returns 0 and sets *ret, or -errno.
 */
int tl_snapshot_take(const struct tl_snapshot_opts *opts,
		     struct tl_snapshot **ret);

/*
 * Called by tl_snapshot_stream for each socket of the states asked for, in
 * dump order, classified and tied to its listener as in a snapshot. snap
 * holds the owners and the listeners only, which is all that
 * tl_snapshot_owners and tl_snapshot_listener need. A negative return
 * stops the stream and is returned by it.
 */
typedef int (*tl_snapshot_cb)(const struct tl_snapshot *snap,
			      const struct tl_sock *sk, void *arg);

/*
 * Like tl_snapshot_take, but keeps only the listeners: every other socket
 * goes to cb and is forgotten, so memory stays small however many
 * connections there are (8 bytes a socket, the cookies that let a
 * restarted dump skip what cb already saw). The owners pass runs beside a
 * first dump of the listeners and the start of the second; sockets that
 * arrive before it ends wait for it. On success *ret holds the owners and
 * the listeners. Not for replays (-EINVAL): a replay is read once.
 */
int tl_snapshot_stream(const struct tl_snapshot_opts *opts, tl_snapshot_cb cb,
		       void *arg, struct tl_snapshot **ret);

/* Frees a snapshot; NULL is fine. */
void tl_snapshot_free(struct tl_snapshot *snap);

/*
 * The fd refs holding a socket (see tl_owners_find). Returns their count;
 * 0 when owners were not scanned or nobody holds it.
 */
size_t tl_snapshot_owners(const struct tl_snapshot *snap,
			  const struct tl_sock *sk,
			  const struct tl_fdref **first);

/*
 * The listener an accept-queue socket waits on, or NULL. When
 * sk->n_listeners > 1 it is only one of those it may wait on (see
 * tl_snapshot_may_queue).
 */
const struct tl_sock *tl_snapshot_listener(const struct tl_snapshot *snap,
					   const struct tl_sock *sk);

/*
 * Whether sk, a socket tied to a listener, may wait in listener l's
 * queues: l is its listener, or sk->n_listeners > 1 and l is another
 * SO_REUSEPORT listener on the same address, port and device with a
 * connection in its accept queue.
 */
bool tl_snapshot_may_queue(const struct tl_snapshot *snap,
			   const struct tl_sock *sk, const struct tl_sock *l);

/*
 * The listener that a connection to addr:port (family AF_INET or AF_INET6,
 * addr in network byte order) lands on: the one bound to that address, or
 * else a wildcard one that covers it (a v6only [::] listener does not
 * cover v4-mapped addresses), as the kernel chooses; of SO_REUSEPORT
 * listeners sharing it, the one with the longest accept queue (which one
 * the kernel chose is its hash's secret). Returns NULL when the snapshot
 * has none. For sockets known only by their addresses, such as
 * a transition event's; a socket of the snapshot has sk->listener already.
 */
const struct tl_sock *tl_snapshot_find_listener(const struct tl_snapshot *snap,
						int family, const uint8_t *addr,
						uint16_t port);

#ifdef __cplusplus
}
#endif
#endif
