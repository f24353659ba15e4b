/* SPDX-License-Identifier: MIT */
/*
 * resolver: names the processes behind sockets that a transition event
 * reports, for as long as a watch runs.
 *
 * Events name sockets, not processes: the task running when a socket
 * changes state is usually the peer, a timer or nobody. The resolver keeps
 * a snapshot (inode map and listeners) and takes a newer one when an event
 * names a socket it does not know: in line while a /proc rescan is cheap,
 * on a thread of its own when it is not, so the caller reading events
 * never stalls. A cache keyed by socket identity keeps what was learned,
 * so a socket whose fd is already closed (an orphan finishing its close)
 * still shows who held it. It prints nothing and keeps no globals.
 */
#ifndef TCPLIMBO_RESOLVER_H
#define TCPLIMBO_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tcplimbo/context.h"
#include "tcplimbo/events.h"
#include "tcplimbo/snapshot.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Holders kept per socket; more are counted in `more`, not named. */
#define TL_RESOLVER_MAX_OWNERS 4

/* One process holding a socket through one fd. */
struct tl_resolver_owner {
	pid_t pid;
	int fd; /* -1 when the kernel named the process, not an fd */
	char comm[TL_COMM_MAX];
};

/* A socket's holders: the first n named, `more` beyond them. */
struct tl_resolver_owners {
	uint32_t n, more;
	struct tl_resolver_owner o[TL_RESOLVER_MAX_OWNERS];
};

/*
 * What the resolver knows about the socket of one event. tl_resolver_resolve
 * sets every field but the owners past each list's n (a new field must be
 * set there too).
 */
struct tl_resolved {
	struct tl_resolver_owners owners; /* who holds it now */
	struct tl_resolver_owners former; /* an orphan's holders before close() */
	struct tl_resolver_owners lowners; /* its listener's holders */
	bool has_listener;		   /* fd-less, and a listener found */
	uint8_t laddr[16];		   /* the listener's address and port */
	uint8_t lfamily;
	uint16_t lport;
	uint8_t limbo; /* the event's, or accept-queue when inferred */
	/*
	 * The cgroup id of the process named (owner, former owner or the
	 * listener's), 0 when unknown or opts.cgroups is NULL.
	 */
	uint64_t cgroup;
	bool by_kernel; /* named from what the bpf program recorded */
};

/*
 * Takes a snapshot for the resolver: the default calls tl_snapshot_take()
 * with opts.snap; tests hand in their own. May run on the rescan thread.
 */
typedef int (*tl_resolver_take_fn)(void *arg, struct tl_snapshot **ret);

/* How the resolver works. */
struct tl_resolver_opts {
	/*
	 * How rescans are taken (namespace, family, /proc root). states is
	 * what each rescan dumps: listeners are enough to name owners (the
	 * default), a caller that also counts sockets asks for more. owners
	 * false means no /proc scans at all: events get listeners only.
	 */
	struct tl_snapshot_opts snap;
	tl_resolver_take_fn take; /* NULL: tl_snapshot_take(&snap) */
	void *take_arg;
	/*
	 * Where cgroup ids come from (borrowed, used on the caller's thread
	 * only; proc_root is snap.proc_root), or NULL for none.
	 */
	struct tl_cgroups *cgroups;
	/* Slow rescans go to a thread of the resolver's own. */
	bool thread;
	/* A rescan that took at most this long (ms) is taken in line. */
	uint32_t sync_max_ms;
	/* The shortest time between two rescans, ms. */
	uint32_t gap_ms;
	/*
	 * After a rescan, wait this many times its duration before the next:
	 * on a machine with 100,000 fds one takes most of a second, and this
	 * keeps rescans under half a CPU however many fds there are.
	 */
	uint32_t cost_factor;
	uint32_t cache_slots; /* sockets whose owners are remembered */
	uint32_t max_pending; /* sockets waiting for the next rescan */
};

/* What the resolver has done, for the user. */
struct tl_resolver_stats {
	uint64_t rescans;   /* snapshots taken, in line or on the thread */
	uint64_t rescan_ms; /* their total time */
	uint64_t failures;  /* rescans that failed */
	int last_error;	    /* the -errno of the last failure, or 0 */
	size_t pending;	    /* sockets waiting for a rescan now */
};

struct tl_resolver;

/*
 * Fills opts with the defaults: snapshots of our namespace with owners and
 * listeners only, a rescan thread, in-line rescans up to 20 ms, 200 ms
 * between rescans and twice a rescan's cost, 16384 cache slots and 4096
 * pending sockets.
 */
void tl_resolver_opts_init(struct tl_resolver_opts *opts);

/*
 * Creates a resolver, starting its rescan thread when opts->thread (with
 * every signal blocked in it, so they reach the caller's threads). It has
 * no snapshot yet: call tl_resolver_refresh() or tl_resolver_install().
 * Returns 0 and sets *ret, or -errno (-EINVAL for bad options, -ENOMEM,
 * the thread's creation error).
 */
int tl_resolver_new(const struct tl_resolver_opts *opts,
		    struct tl_resolver **ret);

/*
 * Takes a snapshot now, in line, and installs it. Returns 0 or the
 * snapshot's -errno (the previous snapshot, if any, stays).
 */
int tl_resolver_refresh(struct tl_resolver *r);

/*
 * Installs a snapshot taken elsewhere; the resolver owns it from here on.
 * Sockets waiting for a rescan are named from it.
 */
void tl_resolver_install(struct tl_resolver *r, struct tl_snapshot *snap);

/*
 * Resolves the socket of one event into *ret: its holders (the process
 * the kernel recorded for it when the event carries one, else from the
 * snapshot, a rescan, or the cache when its fd is gone), an orphan's or
 * TIME_WAIT entry's former holders, or, for an fd-less socket that may be
 * queued, its listener and the listener's holders (and accept-queue as its
 * limbo class). May take a rescan in line or ask the thread for one; a
 * socket the thread's rescan will know waits as pending. Forgets a socket
 * that reaches CLOSE, since the kernel reuses identities.
 */
void tl_resolver_resolve(struct tl_resolver *r, const struct tl_event *ev,
			 struct tl_resolved *ret);

/*
 * Installs what the rescan thread has taken and names the pending sockets
 * from it, taking a rescan for them if the cost allows. Call it from the
 * loop that reads events, between reads. Returns how many sockets are
 * still pending: a caller may read events again sooner when some are.
 */
size_t tl_resolver_tick(struct tl_resolver *r);

/*
 * Gets a newer snapshot if the cost allows one (in line or from the
 * thread, installed by a later tick). Returns whether the snapshot is
 * newer now. For callers that count sockets from it periodically.
 */
bool tl_resolver_update(struct tl_resolver *r);

/* The snapshot in use, or NULL before the first. Valid until the next call. */
const struct tl_snapshot *tl_resolver_snapshot(const struct tl_resolver *r);

/* A socket of snapshot snap's holders, copied into *ret (0 without owners). */
void tl_resolver_sock_owners(const struct tl_snapshot *snap,
			     const struct tl_sock *sk,
			     struct tl_resolver_owners *ret);

/* Copies the resolver's counters into *ret. */
void tl_resolver_stats(const struct tl_resolver *r,
		       struct tl_resolver_stats *ret);

/* Stops the thread and frees everything, the snapshot too; NULL is fine. */
void tl_resolver_free(struct tl_resolver *r);

#ifdef __cplusplus
}
#endif
#endif
