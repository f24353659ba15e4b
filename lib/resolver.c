// SPDX-License-Identifier: MIT
/*
 * The owner resolver: a snapshot refreshed when events name sockets it
 * does not know, a rescan thread for when refreshing is slow, a cache of
 * what was learned and a list of sockets waiting for the next rescan.
 * Everything is called from one thread (the caller's); only the rescan
 * thread's hand-over is shared, under rs_lock.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "tcplimbo/resolver.h"
#include "internal.h"
#include "util.h"

struct pending {
	uint64_t key;
	uint32_t inode;
};

/* Slots of the pid -> cgroup id cache; emptied at each rescan. */
#define CG_SLOTS 256
/* Kernel records of listen() callers found out of date, by pid and port;
 * a record is looked for in STALE_PROBE slots from its own. */
#define STALE_SLOTS 64
#define STALE_PROBE 4

struct tl_resolver {
	struct tl_resolver_opts o;
	struct tl_snapshot *snap;
	/* snap's listeners by port, when lx_ok (it could be built) */
	struct tli_lindex lx;
	bool lx_ok;
	uint64_t snap_ms;   /* CLOCK_MONOTONIC of the last snapshot */
	uint64_t gap_ms;    /* time to wait after it before the next */
	uint64_t last_took; /* how long the last one took, ms */
	struct tl_resolver_stats st;
	/*
	 * The last owners found for a socket, by its key: keys[i] (0: empty)
	 * names the socket whose owners are ows[i]. The keys are an array of
	 * their own because every closing socket's key is looked up, to
	 * forget it: at 16,384 slots of owners (2 MiB) each look missed the
	 * CPU's caches, and was most of the resolver's time under a churn.
	 * n_cached counts the slots in use; with none, nothing is looked up.
	 */
	uint64_t *keys;
	struct tl_resolver_owners *ows;
	size_t n_cached;
	struct {
		pid_t pid;
		uint64_t id;
	} cg_cache[CG_SLOTS];
	/* Owners the kernel recorded at listen() that hold no listener on
	 * the port in the snapshot, since when (record_stale); 0: free. */
	struct {
		pid_t pid;
		uint16_t port;
		uint64_t since_ms;
	} stale[STALE_SLOTS];
	/* A snapshot started at this monotonic ms or later is wanted; 0 none. */
	uint64_t want_from_ms;
	/*
	 * Sockets with an inode no snapshot knew, seen when a rescan was too
	 * recent: the next rescan names them for their later transitions.
	 */
	struct pending *pending;
	size_t npending;
	/* The rescan thread and what it shares, under rs_lock. */
	pthread_t rs_thread;
	bool rs_running; /* the thread exists (only the caller's reads it) */
	pthread_mutex_t rs_lock;
	pthread_cond_t rs_cond;
	bool rs_requested, rs_busy, rs_done, rs_stop;
	struct tl_snapshot *rs_ready; /* taken, not yet installed */
	int rs_err;		      /* its -errno when it failed */
	uint64_t rs_started, rs_took;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void tl_resolver_opts_init(struct tl_resolver_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	tl_snapshot_opts_init(&opts->snap);
	opts->snap.states = TL_STATE_BIT(TL_LISTEN);
	opts->thread = true;
	opts->sync_max_ms = 20;
	opts->gap_ms = 200;
	opts->cost_factor = 2;
	opts->cache_slots = 16384;
	opts->max_pending = 4096;
}

static int take(struct tl_resolver *r, struct tl_snapshot **ret)
{
	if (r->o.take)
		return r->o.take(r->o.take_arg, ret);
	return tl_snapshot_take(&r->o.snap, ret);
}

void tl_resolver_sock_owners(const struct tl_snapshot *snap,
			     const struct tl_sock *sk,
			     struct tl_resolver_owners *ret)
{
	const struct tl_fdref *refs;
	size_t n;

	memset(ret, 0, sizeof(*ret));
	if (!snap || !snap->owners || !sk->inode)
		return;
	n = tl_owners_find(snap->owners, sk->inode, &refs);
	for (size_t i = 0; i < n; i++) {
		const struct tl_proc *p = &snap->owners->procs[refs[i].proc];
		struct tl_resolver_owner *o;

		if (ret->n == TL_RESOLVER_MAX_OWNERS) {
			ret->more++;
			continue;
		}
		o = &ret->o[ret->n++];
		o->pid = p->pid;
		o->fd = refs[i].fd;
		tli_copy_str(o->comm, sizeof(o->comm), p->comm,
			     sizeof(p->comm));
	}
}

/* The holders of an inode in the current snapshot; false if none. */
static bool find_owner(const struct tl_resolver *r, uint32_t inode,
		       struct tl_resolver_owners *out)
{
	struct tl_sock sk = { .inode = inode };

	tl_resolver_sock_owners(r->snap, &sk, out);
	return out->n + out->more > 0;
}

static size_t cache_slot(const struct tl_resolver *r, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ull;

	return (h >> 32) % r->o.cache_slots;
}

/* Remembers ow as the owners of the socket key. */
static void cache_put(struct tl_resolver *r, uint64_t key,
		      const struct tl_resolver_owners *ow)
{
	size_t i = cache_slot(r, key);

	if (r->keys[i] == 0)
		r->n_cached++;
	r->keys[i] = key;
	r->ows[i] = *ow;
}

/* The owners remembered for the socket key, or NULL. */
static const struct tl_resolver_owners *cache_get(const struct tl_resolver *r,
						  uint64_t key)
{
	size_t i;

	if (r->n_cached == 0)
		return NULL;
	i = cache_slot(r, key);
	return r->keys[i] == key ? &r->ows[i] : NULL;
}

/* Forgets the socket key: the kernel may give its address to another. */
static void cache_forget(struct tl_resolver *r, uint64_t key)
{
	size_t i;

	if (r->n_cached == 0)
		return;
	i = cache_slot(r, key);
	if (r->keys[i] == key) {
		r->keys[i] = 0;
		r->n_cached--;
	}
}

/* Names the sockets that waited for a newer snapshot than they had. */
static void pending_resolve(struct tl_resolver *r)
{
	for (size_t i = 0; i < r->npending; i++) {
		struct tl_resolver_owners ow;

		if (find_owner(r, r->pending[i].inode, &ow))
			cache_put(r, r->pending[i].key, &ow);
	}
	r->npending = 0;
}

/*
 * Puts a new snapshot in place (s NULL: the rescan failed with err) and
 * sets when the next may be taken.
 */
static void snap_install(struct tl_resolver *r, struct tl_snapshot *s, int err,
			 uint64_t started, uint64_t took)
{
	r->snap_ms = started;
	r->last_took = took;
	r->gap_ms = took * r->o.cost_factor;
	if (r->gap_ms < r->o.gap_ms)
		r->gap_ms = r->o.gap_ms;
	r->st.rescans++;
	r->st.rescan_ms += took;
	if (!s) {
		r->st.failures++;
		r->st.last_error = err;
		return;
	}
	tli_lindex_free(&r->lx);
	tl_snapshot_free(r->snap);
	r->snap = s;
	r->lx_ok = tli_lindex_build(&r->lx, s->socks, s->n_socks) == 0;
	/* The caller's filters and printers name its sockets' cgroups. */
	s->cgroups = r->o.cgroups;
	/* Processes may have moved, and pids been reused, since. */
	memset(r->cg_cache, 0, sizeof(r->cg_cache));
	pending_resolve(r);
}

int tl_resolver_refresh(struct tl_resolver *r)
{
	struct tl_snapshot *s = NULL;
	uint64_t now = mono_ms();
	int err;

	err = take(r, &s);
	if (err < 0)
		s = NULL;
	snap_install(r, s, err, now, mono_ms() - now);
	return err < 0 ? err : 0;
}

void tl_resolver_install(struct tl_resolver *r, struct tl_snapshot *snap)
{
	if (!snap)
		return;
	snap_install(r, snap, 0, mono_ms(), 0);
}

/*
 * The rescan thread: takes a snapshot when asked, so that the thread
 * reading events never stops for a /proc scan (on a machine with many fds
 * one takes most of a second, long enough to fill a ring buffer).
 */
static void *rescan_main(void *arg)
{
	struct tl_resolver *r = arg;
	struct tl_snapshot *s;
	uint64_t t0;
	int err;

	pthread_mutex_lock(&r->rs_lock);
	for (;;) {
		while (!r->rs_requested && !r->rs_stop)
			pthread_cond_wait(&r->rs_cond, &r->rs_lock);
		if (r->rs_stop)
			break;
		r->rs_requested = false;
		r->rs_busy = true;
		pthread_mutex_unlock(&r->rs_lock);
		s = NULL;
		t0 = mono_ms();
		err = take(r, &s);
		pthread_mutex_lock(&r->rs_lock);
		r->rs_busy = false;
		r->rs_done = true;
		r->rs_started = t0;
		r->rs_took = mono_ms() - t0;
		tl_snapshot_free(r->rs_ready);
		r->rs_ready = err < 0 ? NULL : s;
		r->rs_err = err < 0 ? err : 0;
	}
	pthread_mutex_unlock(&r->rs_lock);
	return NULL;
}

/* Asks the rescan thread for a snapshot, unless one is under way. */
static void rescan_request(struct tl_resolver *r)
{
	if (!r->rs_running)
		return;
	pthread_mutex_lock(&r->rs_lock);
	if (!r->rs_busy && !r->rs_done) {
		r->rs_requested = true;
		pthread_cond_signal(&r->rs_cond);
	}
	pthread_mutex_unlock(&r->rs_lock);
}

/* Is a rescan being taken or waiting to be installed? */
static bool rescan_outstanding(struct tl_resolver *r)
{
	bool out;

	if (!r->rs_running)
		return false;
	pthread_mutex_lock(&r->rs_lock);
	out = r->rs_requested || r->rs_busy || r->rs_done;
	pthread_mutex_unlock(&r->rs_lock);
	return out;
}

/* Installs a snapshot the rescan thread took, if there is one. */
static void rescan_collect(struct tl_resolver *r)
{
	struct tl_snapshot *s;
	uint64_t started, took;
	bool done;
	int err;

	if (!r->rs_running)
		return;
	pthread_mutex_lock(&r->rs_lock);
	done = r->rs_done;
	s = r->rs_ready;
	err = r->rs_err;
	started = r->rs_started;
	took = r->rs_took;
	r->rs_ready = NULL;
	r->rs_done = false;
	pthread_mutex_unlock(&r->rs_lock);
	if (done)
		snap_install(r, s, err, started, took);
}

bool tl_resolver_update(struct tl_resolver *r)
{
	if (r->st.rescans && mono_ms() - r->snap_ms < r->gap_ms)
		return false;
	if ((r->last_took <= r->o.sync_max_ms || !r->rs_running) &&
	    !rescan_outstanding(r))
		return tl_resolver_refresh(r) == 0;
	rescan_request(r);
	return false;
}

/*
 * Gets a newer snapshot for a socket no snapshot knew: in line, the event
 * has its owner; from the thread, the event goes out without it and the
 * snapshot names the socket for its later transitions.
 */
/* The listener that took ev's socket in the snapshot, or NULL. */
static const struct tl_sock *find_listener(const struct tl_resolver *r,
					   const struct tl_event *ev)
{
	if (!r->snap)
		return NULL;
	if (r->lx_ok)
		return tli_lindex_find_listener(&r->lx, ev->family, ev->src,
						ev->sport);
	return tl_snapshot_find_listener(r->snap, ev->family, ev->src,
					 ev->sport);
}

static bool refresh(struct tl_resolver *r)
{
	return r->o.snap.owners && tl_resolver_update(r);
}

/*
 * The cgroup of the process an event names (its owner, the one that held
 * it before close(), or its listener's), read from /proc/PID/cgroup once
 * per pid between rescans.
 */
static void resolve_cgroup(struct tl_resolver *r, struct tl_resolved *ret)
{
	const struct tl_resolver_owners *ow = ret->owners.n ? &ret->owners :
					      ret->former.n ? &ret->former :
							      &ret->lowners;
	pid_t pid;
	size_t slot;

	if (!r->o.cgroups || ow->n == 0)
		return;
	pid = ow->o[0].pid;
	slot = (size_t)pid % CG_SLOTS;
	if (r->cg_cache[slot].pid != pid) {
		r->cg_cache[slot].pid = pid;
		r->cg_cache[slot].id =
			tl_cgroups_pid(r->o.cgroups, r->o.snap.proc_root, pid);
	}
	ret->cgroup = r->cg_cache[slot].id;
}

/* The process the kernel named for the event (bpf): no fd is known. */
static void event_owner(struct tl_resolver_owners *ow,
			const struct tl_event *ev)
{
	ow->n = 1;
	ow->more = 0;
	ow->o[0].pid = (pid_t)ev->pid;
	ow->o[0].fd = -1;
	tli_copy_str(ow->o[0].comm, sizeof(ow->o[0].comm), ev->comm,
		     sizeof(ev->comm));
}

/* Whether process pid holds a listener on port in the snapshot. */
static bool holds_listener(const struct tl_resolver *r, pid_t pid,
			   uint16_t port)
{
	const struct tl_snapshot *s = r->snap;
	size_t k = r->lx_ok ? tli_lindex_first(&r->lx, port) : 0;
	size_t n = r->lx_ok ? r->lx.n : s->n_socks;

	for (; k < n; k++) {
		const struct tl_sock *sk;
		const struct tl_fdref *refs;
		size_t nref;

		if (r->lx_ok && r->lx.ls[k].port != port)
			break;
		sk = &s->socks[r->lx_ok ? r->lx.ls[k].idx : k];
		if (sk->state != TL_LISTEN || sk->sport != port || !sk->inode)
			continue;
		nref = tl_owners_find(s->owners, sk->inode, &refs);
		for (size_t i = 0; i < nref; i++)
			if (s->owners->procs[refs[i].proc].pid == pid)
				return true;
	}
	return false;
}

/* Whether process pid has ended: no /proc/PID (a pid reused is alive). */
static bool pid_gone(const struct tl_resolver *r, pid_t pid)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/%d",
		     r->o.snap.proc_root ? r->o.snap.proc_root : "/proc",
		     (int)pid) >= (int)sizeof(path))
		return false;
	return stat(path, &st) < 0 && errno == ENOENT;
}

/*
 * Whether the kernel's record of who called listen() on l (the listener
 * of ev's connection in the snapshot) is out of date. It names the
 * process that made the listener, which may have handed it to a forked
 * child and closed its copy or exited since (a daemon, a server that
 * forks its workers): the snapshot's holders are then the ones to name.
 * Only where that process holds no listener on the port there, and it
 * has ended or a snapshot taken since the mismatch was first seen still
 * says so: a snapshot from before may predate the listener (a service
 * restarted while watched), and the record stands until a rescan.
 */
static bool record_stale(struct tl_resolver *r, const struct tl_event *ev,
			 const struct tl_sock *l)
{
	size_t first = ((size_t)ev->pid * 31 + ev->sport) % STALE_SLOTS;
	size_t slot = first;
	pid_t pid = (pid_t)ev->pid;
	const struct tl_fdref *refs;

	/* A listener whose holders the snapshot could not read says nothing. */
	if (!l || !r->snap || !r->snap->owners || !ev->pid || !l->inode ||
	    tl_owners_find(r->snap->owners, l->inode, &refs) == 0 ||
	    holds_listener(r, pid, ev->sport))
		return false;
	/* Its slot, else a free one, else the oldest of those probed. */
	for (size_t i = 0; i < STALE_PROBE; i++) {
		size_t k = (first + i) % STALE_SLOTS;

		if (r->stale[k].since_ms && r->stale[k].pid == pid &&
		    r->stale[k].port == ev->sport) {
			slot = k;
			break;
		}
		if (r->stale[k].since_ms < r->stale[slot].since_ms)
			slot = k;
	}
	if (r->stale[slot].since_ms == 0 || r->stale[slot].pid != pid ||
	    r->stale[slot].port != ev->sport) {
		r->stale[slot].pid = pid;
		r->stale[slot].port = ev->sport;
		r->stale[slot].since_ms = mono_ms();
	} else if (r->snap_ms >= r->stale[slot].since_ms) {
		/* Started when or after the mismatch was seen: the rescan
		 * is asked for only then, below. */
		return true;
	}
	if (r->want_from_ms < r->stale[slot].since_ms)
		r->want_from_ms = r->stale[slot].since_ms;
	return pid_gone(r, pid);
}

/*
 * Through the listener of ev's connection: its address as the backend
 * followed it, else l's, else the connection's (it surely answers there);
 * its owners the kernel's record unless out of date, else the snapshot's.
 */
static void via_listener(struct tl_resolver *r, const struct tl_event *ev,
			 const struct tl_sock *l, struct tl_resolved *ret)
{
	ret->has_listener = true;
	if (ev->flags & TL_EVENT_LISTENER_ANY) {
		ret->lfamily = ev->family;
	} else if (l) {
		memcpy(ret->laddr, l->src, sizeof(ret->laddr));
		ret->lfamily = l->family;
	} else {
		memcpy(ret->laddr, ev->src, sizeof(ret->laddr));
		ret->lfamily = ev->family;
	}
	ret->lport = ev->sport;
	if ((ev->flags & TL_EVENT_LISTENER_OWNER) && !record_stale(r, ev, l))
		event_owner(&ret->lowners, ev);
	else if (l)
		tl_resolver_sock_owners(r->snap, l, &ret->lowners);
}

/*
 * Names the socket from what the bpf program recorded in the kernel, for
 * sockets made after watch started: no /proc rescan is needed for them.
 * Returns false when the event carries nobody, or only a listener's owner
 * for a socket the snapshot already names.
 */
static bool resolve_kernel(struct tl_resolver *r, const struct tl_event *ev,
			   struct tl_resolved *ret)
{
	const struct tl_sock *l;

	if (ev->flags & TL_EVENT_OWNER) {
		/* Closed by its program: that program held it. */
		if (ret->limbo == TL_LIMBO_ORPHAN ||
		    ret->limbo == TL_LIMBO_TIMEWAIT)
			event_owner(&ret->former, ev);
		/*
		 * The record names who made it (connect(), listen()); a
		 * snapshot that knows the socket was taken since, and names
		 * who holds it now (a child it was handed to at fork).
		 */
		else if (!ev->inode || !find_owner(r, ev->inode, &ret->owners))
			event_owner(&ret->owners, ev);
		return true;
	}
	if (!(ev->flags & TL_EVENT_LISTENER_OWNER))
		return false;
	if (ev->inode) {
		const struct tl_resolver_owners *cached;

		/* Accepted where accept() could not be hooked: a socket the
		 * snapshot knows, or one named before; else a process that
		 * holds its listener accepted it, which one is not known
		 * (nor that it still holds it: a child it forked may). */
		if (find_owner(r, ev->inode, &ret->owners))
			return true;
		if ((cached = cache_get(r, ev->key))) {
			ret->owners = *cached;
			return true;
		}
		via_listener(r, ev, find_listener(r, ev), ret);
		return true;
	}
	/* Closed by its program after an accept() we could not see. */
	if (ret->limbo == TL_LIMBO_ORPHAN || ret->limbo == TL_LIMBO_TIMEWAIT) {
		event_owner(&ret->former, ev);
		return true;
	}
	/*
	 * Still in the accept queue of the listener on its port. Its address
	 * may be a wildcard the connection's is not: the snapshot is asked
	 * (a newer one where this listener is new, as for a socket no
	 * snapshot knew) unless the backend followed it.
	 */
	l = find_listener(r, ev);
	if (!l && !(ev->flags & TL_EVENT_LISTENER_ANY) && refresh(r))
		l = find_listener(r, ev);
	via_listener(r, ev, l, ret);
	if (ret->limbo == TL_LIMBO_NONE &&
	    (ev->new_state == TL_ESTABLISHED || ev->new_state == TL_CLOSE_WAIT))
		ret->limbo = TL_LIMBO_ACCEPT_QUEUE;
	return true;
}

/* States a socket can be in while it waits in a listener's queues. */
static bool queue_state(int s)
{
	return s == TL_SYN_RECV || s == TL_NEW_SYN_RECV ||
	       s == TL_ESTABLISHED || s == TL_CLOSE_WAIT;
}

/* Asks for the snapshot record_stale wants until it is in (spaced out). */
static void rescan_wanted(struct tl_resolver *r)
{
	if (!r->want_from_ms)
		return;
	if (r->snap_ms >= r->want_from_ms)
		r->want_from_ms = 0;
	else
		refresh(r);
}

void tl_resolver_resolve(struct tl_resolver *r, const struct tl_event *ev,
			 struct tl_resolved *ret)
{
	const struct tl_resolver_owners *cached;
	const struct tl_sock *l;

	/*
	 * The counts, not the owners: nothing reads past n, and zeroing
	 * three lists of them (900 bytes) an event, and reading the cache
	 * slot when it is not needed, showed in watch's profile.
	 */
	ret->owners.n = ret->owners.more = 0;
	ret->former.n = ret->former.more = 0;
	ret->lowners.n = ret->lowners.more = 0;
	ret->has_listener = false;
	ret->lfamily = 0;
	ret->lport = 0;
	memset(ret->laddr, 0, sizeof(ret->laddr));
	ret->limbo = ev->limbo;
	ret->cgroup = 0;
	ret->by_kernel = false;
	if (resolve_kernel(r, ev, ret)) {
		/* Named by the kernel: no /proc needed. */
		ret->by_kernel = true;
	} else if (ev->inode) {
		if (!find_owner(r, ev->inode, &ret->owners)) {
			if ((cached = cache_get(r, ev->key)))
				ret->owners = *cached;
			else if (refresh(r))
				find_owner(r, ev->inode, &ret->owners);
			else if (r->o.snap.owners &&
				 r->npending < r->o.max_pending) {
				r->pending[r->npending].key = ev->key;
				r->pending[r->npending].inode = ev->inode;
				r->npending++;
			}
		}
		if (ret->owners.n) {
			cache_put(r, ev->key, &ret->owners);
		} else if ((l = find_listener(r, ev))) {
			/*
			 * Accepted since the last rescan, where the kernel
			 * could not name who accepted it (no fexit, a
			 * listener from before watch): through that
			 * listener, whose holders accept. The rescan names
			 * it for its next transitions.
			 */
			ret->has_listener = true;
			memcpy(ret->laddr, l->src, sizeof(ret->laddr));
			ret->lfamily = l->family;
			ret->lport = l->sport;
			tl_resolver_sock_owners(r->snap, l, &ret->lowners);
		}
	} else if (ret->limbo == TL_LIMBO_ORPHAN ||
		   ret->limbo == TL_LIMBO_TIMEWAIT) {
		/* Closed by its program: say which one it was, if known. */
		if ((cached = cache_get(r, ev->key)))
			ret->former = *cached;
	} else if (queue_state(ev->new_state) || queue_state(ev->old_state)) {
		l = find_listener(r, ev);
		if (!l && refresh(r))
			l = find_listener(r, ev);
		if (l) {
			ret->has_listener = true;
			memcpy(ret->laddr, l->src, sizeof(ret->laddr));
			ret->lfamily = l->family;
			ret->lport = l->sport;
			tl_resolver_sock_owners(r->snap, l, &ret->lowners);
			/* A child with no fd and a listener is queued. */
			if (ret->limbo == TL_LIMBO_NONE &&
			    (ev->new_state == TL_ESTABLISHED ||
			     ev->new_state == TL_CLOSE_WAIT))
				ret->limbo = TL_LIMBO_ACCEPT_QUEUE;
		}
	}
	/* A closed socket's key may be reused by the kernel: forget it. */
	if (ev->new_state == TL_CLOSE)
		cache_forget(r, ev->key);
	resolve_cgroup(r, ret);
	/* Last: a rescan may replace the snapshot ret was read from. */
	rescan_wanted(r);
}

size_t tl_resolver_tick(struct tl_resolver *r)
{
	rescan_collect(r);
	if (r->npending)
		refresh(r);
	rescan_wanted(r);
	return r->npending;
}

const struct tl_snapshot *tl_resolver_snapshot(const struct tl_resolver *r)
{
	return r ? r->snap : NULL;
}

void tl_resolver_stats(const struct tl_resolver *r,
		       struct tl_resolver_stats *ret)
{
	*ret = r->st;
	ret->pending = r->npending;
}

/* Starts the rescan thread with every signal blocked in it. */
static int rescan_start(struct tl_resolver *r)
{
	int err;

	err = pthread_mutex_init(&r->rs_lock, NULL);
	if (err)
		return -err;
	err = pthread_cond_init(&r->rs_cond, NULL);
	if (err) {
		pthread_mutex_destroy(&r->rs_lock);
		return -err;
	}
	err = tli_thread_start(&r->rs_thread, rescan_main, r);
	if (err < 0) {
		pthread_cond_destroy(&r->rs_cond);
		pthread_mutex_destroy(&r->rs_lock);
		return err;
	}
	r->rs_running = true;
	return 0;
}

static void rescan_stop(struct tl_resolver *r)
{
	if (!r->rs_running)
		return;
	pthread_mutex_lock(&r->rs_lock);
	r->rs_stop = true;
	pthread_cond_signal(&r->rs_cond);
	pthread_mutex_unlock(&r->rs_lock);
	pthread_join(r->rs_thread, NULL);
	tl_snapshot_free(r->rs_ready);
	pthread_cond_destroy(&r->rs_cond);
	pthread_mutex_destroy(&r->rs_lock);
	r->rs_running = false;
}

int tl_resolver_new(const struct tl_resolver_opts *opts,
		    struct tl_resolver **ret)
{
	struct tl_resolver *r;
	int err;

	if (!opts || !ret || opts->cache_slots == 0 ||
	    opts->cache_slots > (1u << 24) || opts->max_pending > (1u << 24))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->o = *opts;
	r->keys = calloc(opts->cache_slots, sizeof(*r->keys));
	r->ows = calloc(opts->cache_slots, sizeof(*r->ows));
	r->pending = calloc(opts->max_pending ? opts->max_pending : 1,
			    sizeof(*r->pending));
	if (!r->keys || !r->ows || !r->pending) {
		err = -ENOMEM;
		goto fail;
	}
	if (opts->thread) {
		err = rescan_start(r);
		if (err < 0)
			goto fail;
	}
	*ret = r;
	return 0;
fail:
	tl_resolver_free(r);
	return err;
}

void tl_resolver_free(struct tl_resolver *r)
{
	if (!r)
		return;
	rescan_stop(r);
	tli_lindex_free(&r->lx);
	tl_snapshot_free(r->snap);
	free(r->pending);
	free(r->keys);
	free(r->ows);
	free(r);
}
