// SPDX-License-Identifier: MIT
/*
 * A snapshot: one sock_diag dump and one /proc scan, joined. Sockets with
 * no fd are classified, and those still in an accept queue are tied to
 * their listener, because the listener's owner is the process that is
 * not calling accept().
 */
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tcplimbo/addr.h"
#include "tcplimbo/snapshot.h"
#include "internal.h"
#include "util.h"

struct collect {
	struct tl_sock *socks;
	size_t n, cap;
};

void tl_snapshot_opts_init(struct tl_snapshot_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->family = AF_UNSPEC;
	opts->states = TL_STATES_REAL;
	opts->owners = true;
	opts->netns_fd = -1;
	opts->record_fd = -1;
	opts->replay_fd = -1;
	opts->details = true;
}

static int collect_cb(const struct tl_sock *sk, void *arg)
{
	struct collect *c = arg;

	if (c->n == c->cap &&
	    tli_grow((void **)&c->socks, &c->cap, sizeof(*c->socks), 1024) < 0)
		return -ENOMEM;
	c->socks[c->n++] = *sk;
	return 0;
}

static void collect_reset(void *arg)
{
	((struct collect *)arg)->n = 0;
}

/*
 * The kernel sends INET_DIAG_SHUTDOWN for every full socket, asked or not,
 * and tcp_info when asked; timewait and request entries carry neither.
 */
static bool full_socket(const struct tl_sock *sk)
{
	return sk->has & (TL_HAS_INFO | TL_HAS_SHUTDOWN);
}

bool tl_sock_is_timewait(const struct tl_sock *sk)
{
	return sk->state == TL_TIME_WAIT ||
	       (sk->state == TL_FIN_WAIT2 && sk->timer == TL_TIMER_TIMEWAIT &&
		!full_socket(sk));
}

int tl_sock_kernel_state(const struct tl_sock *sk)
{
	return sk->state == TL_SYN_RECV && !full_socket(sk) ? TL_NEW_SYN_RECV :
							      sk->state;
}

/*
 * How well a listener's local address matches a child's: 2 exact, 1 a
 * wildcard that covers it, 0 no match. The kernel prefers the exact one,
 * and so do we.
 */
static int listener_match(const struct tl_sock *l, int family,
			  const uint8_t *addr)
{
	size_t alen = l->family == AF_INET ? 4 : 16;

	if (l->family != family)
		return 0;
	if (memcmp(l->src, addr, alen) == 0)
		return 2;
	if (!tl_addr_is_any(l->family, l->src))
		return 0;
	/* A dual-stack [::] listener takes IPv4 as v4-mapped children. */
	if (l->family == AF_INET6 && tl_addr_is_v4mapped(addr) &&
	    (l->has & TL_HAS_V6ONLY) && l->v6only)
		return 0;
	return 1;
}

/* States a socket can be in while it waits in a listener's queues. */
static bool queue_state(int state)
{
	return state == TL_ESTABLISHED || state == TL_CLOSE_WAIT ||
	       state == TL_SYN_RECV || state == TL_NEW_SYN_RECV;
}

static int lref_cmp(const void *a, const void *b)
{
	const struct tli_lref *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * Without memory for the index we still classify; we only cannot name
 * listeners.
 */
int tli_lindex_build(struct tli_lindex *x, const struct tl_sock *socks,
		     size_t n)
{
	size_t nl = 0;

	*x = (struct tli_lindex){ .socks = socks };
	for (size_t i = 0; i < n; i++)
		if (socks[i].state == TL_LISTEN)
			nl++;
	if (!nl)
		return 0;
	x->ls = malloc(nl * sizeof(*x->ls));
	if (!x->ls)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (socks[i].state == TL_LISTEN)
			x->ls[x->n++] = (struct tli_lref){ socks[i].sport,
							   (uint32_t)i };
	qsort(x->ls, x->n, sizeof(*x->ls), lref_cmp);
	return 0;
}

size_t tli_lindex_first(const struct tli_lindex *x, uint16_t port)
{
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (x->ls[mid].port < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void tli_lindex_free(struct tli_lindex *x)
{
	free(x->ls);
	*x = (struct tli_lindex){ 0 };
}

/*
 * How well listener l takes child sk, as the kernel looks: 0 not at all;
 * an exact address before a wildcard, then (where they share the
 * address) one bound to the child's device before an unbound one. A
 * listener bound to a device takes only connections that came in on it,
 * and its children inherit the binding (an unbound listener's may still
 * carry a device, as IPv6 link-local ones do).
 */
static int child_match(const struct tl_sock *l, const struct tl_sock *sk)
{
	int m = listener_match(l, sk->family, sk->src);

	if (m == 0 || (l->ifindex && l->ifindex != sk->ifindex))
		return 0;
	return 2 * m + (l->ifindex != 0);
}

bool tli_child_of(const struct tl_sock *l, const struct tl_sock *sk)
{
	return child_match(l, sk) > 0;
}

/* The process at a ref's index, or NULL. */
static const struct tl_proc *proc_at(const struct tl_owners *ow, uint32_t idx)
{
	return idx < ow->n_procs ? &ow->procs[idx] : NULL;
}

/*
 * Whether process c is a child, of the same comm, of one of the nl holders
 * of a listener (lrefs; of parent alone when it is not 0) and does not
 * hold the listener itself.
 */
static bool lost_child(const struct tl_owners *ow, const struct tl_fdref *lrefs,
		       size_t nl, pid_t parent, uint32_t c)
{
	const struct tl_proc *cp = proc_at(ow, c);
	bool is_child = false;

	if (!cp || cp->ppid <= 0 || (parent && cp->ppid != parent))
		return false;
	for (size_t h = 0; h < nl; h++) {
		const struct tl_proc *p = proc_at(ow, lrefs[h].proc);

		if (lrefs[h].proc == c)
			return false;
		is_child |= p && p->pid == cp->ppid &&
			    strcmp(p->comm, cp->comm) == 0;
	}
	return is_child;
}

size_t tli_lost_children(const struct tl_snapshot *snap,
			 const struct tl_sock *L, pid_t parent, pid_t *out,
			 size_t max, uint64_t *ret_conns)
{
	const struct tl_owners *ow = snap->owners;
	const struct tl_fdref *lrefs, *refs;
	size_t nl = tl_snapshot_owners(snap, L, &lrefs), n = 0, nr;
	pid_t seen[64];
	uint64_t conns = 0;
	bool any = false;

	*ret_conns = 0;
	if (nl == 0 || !ow)
		return 0;
	/* Most listeners have no such child: then no pass over the sockets. */
	for (size_t c = 0; c < ow->n_procs && !any; c++)
		any = lost_child(ow, lrefs, nl, parent, (uint32_t)c);
	if (!any)
		return 0;
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *sk = &snap->socks[i];

		if (!tli_accepted_of(L, sk))
			continue;
		nr = tl_snapshot_owners(snap, sk, &refs);
		for (size_t k = 0; k < nr; k++) {
			pid_t pid;
			bool known = false;

			if (!lost_child(ow, lrefs, nl, parent, refs[k].proc))
				continue;
			pid = ow->procs[refs[k].proc].pid;
			conns++;
			for (size_t m = 0; m < n && m < 64; m++)
				known |= seen[m] == pid;
			if (!known && n < 64) {
				if (n < max)
					out[n] = pid;
				seen[n++] = pid;
			}
			break;
		}
	}
	*ret_conns = conns;
	return n;
}

/*
 * Ties a socket waiting in a listener's queues to that listener. Several
 * listeners can match equally well only when they share the address, the
 * port and the device with SO_REUSEPORT (the kernel's groups); each has a
 * queue of its own and the kernel spreads connections over them by a
 * keyed hash. Of those, a child can only be in a queue that is not
 * empty: when one is, it is that one. Otherwise the tie is to the longest
 * and sk->n_listeners says how many it may be in. (A request socket in a
 * SYN queue is not counted in the listener's Recv-Q, so for it every
 * listener of the group stays possible.)
 */
static void tie_listener(const struct tli_lindex *x, size_t lo,
			 struct tl_sock *sk)
{
	const bool accepted_q = sk->limbo == TL_LIMBO_ACCEPT_QUEUE;
	uint32_t pick = 0, pick_q = 0;
	unsigned n_best = 0, n_queued = 0, n;
	int best = 0;

	for (; lo < x->n && x->ls[lo].port == sk->sport; lo++) {
		const struct tl_sock *l = &x->socks[x->ls[lo].idx];
		int m = child_match(l, sk);
		bool queued = accepted_q && l->rqueue > 0;

		if (m == 0 || m < best)
			continue;
		if (m > best) {
			best = m;
			pick = pick_q = 0;
			n_best = n_queued = 0;
		}
		n_best++;
		n_queued += queued;
		if (!pick || (queued && l->rqueue > pick_q)) {
			pick = x->ls[lo].idx + 1;
			pick_q = queued ? l->rqueue : 0;
		}
	}
	sk->listener = pick;
	n = n_queued ? n_queued : n_best;
	sk->n_listeners = (uint8_t)(n > UINT8_MAX ? UINT8_MAX : n);
}

/* Classifies one socket and ties it to a listener of x (see above). */
static void classify_one(const struct tli_lindex *x, struct tl_sock *sk)
{
	const struct tl_sock *l;

	sk->limbo = TL_LIMBO_NONE;
	sk->listener = 0;
	sk->n_listeners = 0;
	if (tl_sock_is_timewait(sk)) {
		sk->limbo = TL_LIMBO_TIMEWAIT;
		return;
	}
	if (sk->inode != 0 || sk->state == TL_LISTEN)
		return;
	if (!queue_state(sk->state)) {
		/* FIN_WAIT*, CLOSING, LAST_ACK with no fd. */
		sk->limbo = TL_LIMBO_ORPHAN;
		return;
	}
	/*
	 * Request sockets (SYN_RECV, not full sockets) sit in the SYN queue,
	 * not the accept queue; tie them but don't call them accepted.
	 */
	if (sk->state == TL_ESTABLISHED || sk->state == TL_CLOSE_WAIT ||
	    full_socket(sk))
		sk->limbo = TL_LIMBO_ACCEPT_QUEUE;
	tie_listener(x, tli_lindex_first(x, sk->sport), sk);
	/*
	 * A request socket has no cgroup of its own; the full socket it
	 * becomes is a clone of its listener and gets the listener's, so
	 * that is the one to show.
	 */
	l = sk->listener ? &x->socks[sk->listener - 1] : NULL;
	if (l && !(sk->has & TL_HAS_CGROUP) && (l->has & TL_HAS_CGROUP)) {
		sk->cgroup_id = l->cgroup_id;
		sk->has |= TL_HAS_CGROUP;
	}
}

/*
 * An MPTCP connection waits in the queue once, but each of its subflows
 * is a socket there: its first, and those that joined it (MP_JOIN).
 * Where a listener has as many queued first subflows (and plain
 * connections) as its queue holds, every queued connection has its
 * first, and the joins are paths of them: they leave the queue. Where it
 * has fewer (a connection's first path died and a join carries it), the
 * joins stay, counted over: a live connection is never taken for a slot
 * whose client is gone.
 */
static void untie_joins(struct tl_sock *socks, size_t n)
{
	uint32_t *first;
	bool any = false;

	for (size_t i = 0; i < n && !any; i++)
		any = (socks[i].has & TL_HAS_MPTCP_JOIN) &&
		      socks[i].limbo == TL_LIMBO_ACCEPT_QUEUE;
	if (!any)
		return;
	first = calloc(n, sizeof(*first));
	if (!first)
		return;
	for (size_t i = 0; i < n; i++)
		if (socks[i].limbo == TL_LIMBO_ACCEPT_QUEUE &&
		    socks[i].listener && !(socks[i].has & TL_HAS_MPTCP_JOIN))
			first[socks[i].listener - 1]++;
	for (size_t i = 0; i < n; i++) {
		struct tl_sock *sk = &socks[i];

		if (!(sk->has & TL_HAS_MPTCP_JOIN) ||
		    sk->limbo != TL_LIMBO_ACCEPT_QUEUE || !sk->listener ||
		    first[sk->listener - 1] < socks[sk->listener - 1].rqueue)
			continue;
		sk->limbo = TL_LIMBO_NONE;
		sk->listener = 0;
		sk->n_listeners = 0;
	}
	free(first);
}

void tl_snapshot_classify(struct tl_sock *socks, size_t n)
{
	struct tli_lindex x;

	tli_lindex_build(&x, socks, n);
	for (size_t i = 0; i < n; i++)
		classify_one(&x, &socks[i]);
	tli_lindex_free(&x);
	untie_joins(socks, n);
}

/* The owners pass, run beside the dump: both mostly wait on the kernel. */
struct owners_job {
	struct tl_owners_opts opts;
	struct tl_owners *result;
	pthread_t thread;
	bool threaded;
	bool done; /* atomic: result and err are final */
	int err;
};

static void *owners_work(void *arg)
{
	struct owners_job *job = arg;

	job->err = tl_owners_take(&job->opts, &job->result);
	__atomic_store_n(&job->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Starts a new owners pass in a thread of its own when opts ask for one:
 * the dump's setns() moves only the calling thread, and on two CPUs the
 * two kernel walks overlap. Without a thread it runs in owners_finish.
 */
static void owners_start(struct owners_job *job,
			 const struct tl_snapshot_opts *opts)
{
	*job = (struct owners_job){ .err = 0 };
	if (!opts->owners || opts->owners_from)
		return;
	job->opts = (struct tl_owners_opts){
		.proc_root = opts->proc_root,
		.flags = TL_OWNERS_LIMITS | TL_OWNERS_STAT,
		.backend = opts->owners_backend,
		.threads = opts->owners_threads,
	};
	job->threaded = pthread_create(&job->thread, NULL, owners_work, job) ==
			0;
}

/* Waits for the owners pass (or runs it) and hands its result to snap. */
static int owners_finish(struct owners_job *job,
			 const struct tl_snapshot_opts *opts,
			 struct tl_snapshot *snap)
{
	if (job->threaded) {
		pthread_join(job->thread, NULL);
		job->threaded = false;
	}
	if (!opts->owners)
		return 0;
	if (opts->owners_from) {
		/* Read-only from here on; tl_snapshot_free leaves it alone. */
		snap->owners = (struct tl_owners *)opts->owners_from;
		snap->owners_borrowed = true;
		return 0;
	}
	if (!job->done)
		owners_work(job);
	if (job->err < 0)
		return job->err;
	snap->owners = job->result;
	job->result = NULL;
	return 0;
}

/* A new snapshot and the dump options that fill it. */
static struct tl_snapshot *snapshot_new(const struct tl_snapshot_opts *opts,
					struct tl_dump_opts *dopts)
{
	struct tl_snapshot *snap = calloc(1, sizeof(*snap));
	struct timespec ts;

	if (!snap)
		return NULL;
	snap->states = opts->states ? opts->states : TL_STATES_REAL;
	tl_dump_opts_init(dopts);
	dopts->family = opts->family;
	/* Listeners are always needed to tie fd-less sockets to them. */
	dopts->states = snap->states | TL_STATE_BIT(TL_LISTEN);
	dopts->netns_fd = opts->netns_fd;
	dopts->record_fd = opts->record_fd;
	dopts->replay_fd = opts->replay_fd;
	dopts->details = opts->details;
	clock_gettime(CLOCK_REALTIME, &ts);
	snap->taken_ms =
		(uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	return snap;
}

int tl_snapshot_take(const struct tl_snapshot_opts *opts,
		     struct tl_snapshot **ret)
{
	struct tl_dump_opts dopts;
	struct collect c = { 0 };
	struct tl_snapshot *snap;
	struct owners_job job;
	bool bound = false;
	int err;

	snap = snapshot_new(opts, &dopts);
	if (!snap)
		return -ENOMEM;
	owners_start(&job, opts);
	err = tl_sockdiag_dump(&dopts, collect_cb, collect_reset, &c);
	if (job.threaded) {
		pthread_join(job.thread, NULL);
		job.threaded = false;
	}
	if (err < 0)
		goto fail;
	snap->socks = c.socks;
	snap->n_socks = c.n;
	c.socks = NULL;

	snap->in_filter = malloc(snap->n_socks ? snap->n_socks : 1);
	if (!snap->in_filter) {
		err = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < snap->n_socks; i++) {
		snap->in_filter[i] =
			!!(snap->states & TL_STATE_BIT(snap->socks[i].state));
		bound |= snap->socks[i].ifindex != 0;
	}
	tl_snapshot_classify(snap->socks, snap->n_socks);
	/* Only a socket bound to a device shows its name. */
	if (bound && opts->replay_fd < 0)
		tli_snapshot_name_interfaces(snap, opts->netns_fd);
	err = owners_finish(&job, opts, snap);
	if (err < 0)
		goto fail;
	*ret = snap;
	return 0;
fail:
	tl_owners_free(job.result);
	free(c.socks);
	tl_snapshot_free(snap);
	return err;
}

/*
 * A stream: the sockets the dump hands over before the owners are known
 * wait in held; afterwards each goes to the caller as it arrives. The
 * cookies of what went out let a restarted dump skip it.
 */
struct stream {
	const struct tl_snapshot_opts *opts;
	struct tl_snapshot *snap;
	struct owners_job *job;
	struct tli_lindex x;
	tl_snapshot_cb cb;
	void *arg;
	bool ready; /* owners known: sockets go straight out */
	struct collect held;
	uint64_t *sent; /* cookies handed out, in order */
	size_t n_sent, cap_sent;
	size_t n_sorted; /* sent[0..n_sorted) is sorted: restarts */
};

static int cookie_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int stream_emit(struct stream *st, struct tl_sock *sk)
{
	if (st->n_sorted && bsearch(&sk->cookie, st->sent, st->n_sorted,
				    sizeof(*st->sent), cookie_cmp))
		return 0;
	if (st->n_sent == st->cap_sent &&
	    tli_grow((void **)&st->sent, &st->cap_sent, sizeof(*st->sent),
		     1024) < 0)
		return -ENOMEM;
	st->sent[st->n_sent++] = sk->cookie;
	classify_one(&st->x, sk);
	return st->cb(st->snap, sk, st->arg);
}

/*
 * The most sockets a stream holds while the owners pass runs: 544 KiB.
 * 32768 (4.25 MiB) cost 44 bytes a socket more at 100,000 connections,
 * for no wall time the benchmark could see, and only more CPU.
 */
#define STREAM_HOLD_MAX 4096

/* The owners are known: what waited goes out, and from now on each socket. */
static int stream_ready(struct stream *st)
{
	int err = owners_finish(st->job, st->opts, st->snap);

	if (err < 0)
		return err;
	st->ready = true;
	for (size_t i = 0; i < st->held.n; i++) {
		err = stream_emit(st, &st->held.socks[i]);
		if (err < 0)
			return err;
	}
	free(st->held.socks);
	st->held = (struct collect){ 0 };
	return 0;
}

static int stream_cb(const struct tl_sock *in, void *arg)
{
	struct stream *st = arg;
	struct tl_sock sk = *in;
	int err;

	/* Listeners come along for the recording and for the tie. */
	if (!(st->snap->states & TL_STATE_BIT(sk.state)))
		return 0;
	if (!st->ready) {
		/*
		 * Past STREAM_HOLD_MAX sockets held, waiting for the owners
		 * costs less than holding more (the /proc pass takes longer
		 * than the whole dump): the dump pauses, the kernel keeping
		 * its place, and the pass has the CPUs to itself meanwhile.
		 * What the dump did not get to then comes in its own thread
		 * (tli_dump_threaded) while the sockets before are printed,
		 * so holding more would save little time for its memory.
		 */
		if (st->job->threaded &&
		    !__atomic_load_n(&st->job->done, __ATOMIC_ACQUIRE) &&
		    st->held.n < STREAM_HOLD_MAX)
			return collect_cb(&sk, &st->held);
		err = stream_ready(st);
		if (err < 0)
			return err;
	}
	return stream_emit(st, &sk);
}

/* A restarted dump: what waits is dropped, what went out is skipped. */
static void stream_reset(void *arg)
{
	struct stream *st = arg;

	st->held.n = 0;
	qsort(st->sent, st->n_sent, sizeof(*st->sent), cookie_cmp);
	st->n_sorted = st->n_sent;
}

int tl_snapshot_stream(const struct tl_snapshot_opts *opts, tl_snapshot_cb cb,
		       void *arg, struct tl_snapshot **ret)
{
	struct tl_dump_opts dopts, lopts;
	struct collect c = { 0 };
	struct tl_snapshot *snap;
	struct owners_job job;
	struct stream st;
	int err;

	if (opts->replay_fd >= 0)
		return -EINVAL;
	snap = snapshot_new(opts, &dopts);
	if (!snap)
		return -ENOMEM;
	owners_start(&job, opts);
	/* The listeners first, unrecorded: the second dump records them. */
	lopts = dopts;
	lopts.states = TL_STATE_BIT(TL_LISTEN);
	lopts.record_fd = -1;
	err = tl_sockdiag_dump(&lopts, collect_cb, collect_reset, &c);
	if (err < 0)
		goto out;
	snap->socks = c.socks;
	snap->n_socks = c.n;
	/* Rows are printed as they come: any may name an interface. */
	tli_snapshot_name_interfaces(snap, opts->netns_fd);
	snap->in_filter = malloc(c.n ? c.n : 1);
	if (!snap->in_filter) {
		err = -ENOMEM;
		goto out;
	}
	memset(snap->in_filter, !!(snap->states & TL_STATE_BIT(TL_LISTEN)),
	       c.n);
	tl_snapshot_classify(snap->socks, snap->n_socks);

	st = (struct stream){
		.opts = opts, .snap = snap, .job = &job, .cb = cb, .arg = arg
	};
	tli_lindex_build(&st.x, snap->socks, snap->n_socks);
	err = tli_dump_threaded(&dopts, stream_cb, stream_reset, &st);
	/* A dump with nothing in it still ends with the owners known. */
	if (err >= 0 && !st.ready)
		err = stream_ready(&st);
	tli_lindex_free(&st.x);
	free(st.held.socks);
	free(st.sent);
out:
	if (job.threaded)
		pthread_join(job.thread, NULL);
	tl_owners_free(job.result);
	if (err < 0) {
		tl_snapshot_free(snap);
		return err;
	}
	*ret = snap;
	return 0;
}

void tl_snapshot_free(struct tl_snapshot *snap)
{
	if (!snap)
		return;
	free(snap->socks);
	free(snap->in_filter);
	if (snap->ifnames)
		if_freenameindex(snap->ifnames);
	if (!snap->owners_borrowed)
		tl_owners_free(snap->owners);
	free(snap);
}

size_t tl_snapshot_owners(const struct tl_snapshot *snap,
			  const struct tl_sock *sk,
			  const struct tl_fdref **first)
{
	*first = NULL;
	if (!snap->owners || sk->inode == 0)
		return 0;
	return tl_owners_find(snap->owners, sk->inode, first);
}

const struct tl_sock *tl_snapshot_listener(const struct tl_snapshot *snap,
					   const struct tl_sock *sk)
{
	if (sk->listener == 0 || sk->listener > snap->n_socks)
		return NULL;
	return &snap->socks[sk->listener - 1];
}

bool tl_snapshot_may_queue(const struct tl_snapshot *snap,
			   const struct tl_sock *sk, const struct tl_sock *l)
{
	const struct tl_sock *mine = tl_snapshot_listener(snap, sk);

	if (!mine || !l)
		return false;
	if (l == mine)
		return true;
	/* The same group: on its port, matching it as well as its own. */
	if (sk->n_listeners < 2 || l->state != TL_LISTEN ||
	    l->sport != sk->sport ||
	    child_match(l, sk) != child_match(mine, sk))
		return false;
	/* An empty accept queue holds none; a SYN queue is not counted. */
	return sk->limbo != TL_LIMBO_ACCEPT_QUEUE || l->rqueue > 0;
}

/*
 * Whether listener l takes a connection to addr better than *best (score
 * *best_score) does; if so it becomes the best.
 */
static void pick_listener(const struct tl_sock *l, int family,
			  const uint8_t *addr, const struct tl_sock **best,
			  int *best_score)
{
	int score = listener_match(l, family, addr);

	/* SO_REUSEPORT: the longest queue, as a snapshot ties. */
	if (score > *best_score ||
	    (score && score == *best_score && l->ifindex == (*best)->ifindex &&
	     l->rqueue > (*best)->rqueue)) {
		*best_score = score;
		*best = l;
	}
}

const struct tl_sock *tl_snapshot_find_listener(const struct tl_snapshot *snap,
						int family, const uint8_t *addr,
						uint16_t port)
{
	const struct tl_sock *best = NULL;
	int best_score = 0;

	if (!snap || !addr)
		return NULL;
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *l = &snap->socks[i];

		if (l->state == TL_LISTEN && l->sport == port)
			pick_listener(l, family, addr, &best, &best_score);
	}
	return best;
}

const struct tl_sock *tli_lindex_find_listener(const struct tli_lindex *x,
					       int family, const uint8_t *addr,
					       uint16_t port)
{
	const struct tl_sock *best = NULL;
	int best_score = 0;

	for (size_t i = tli_lindex_first(x, port);
	     i < x->n && x->ls[i].port == port; i++)
		pick_listener(&x->socks[x->ls[i].idx], family, addr, &best,
			      &best_score);
	return best;
}
