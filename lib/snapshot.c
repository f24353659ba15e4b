// SPDX-License-Identifier: MIT
/*
 * A snapshot: one sock_diag dump and one /proc scan, joined. Sockets with
 * no fd are classified, and those still in an accept queue are tied to
 * their listener, because the listener's owner is the process that is
 * not calling accept().
 */
#include <errno.h>
#include <pthread.h>
#include <netinet/in.h>
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

struct lref {
	uint16_t port;
	uint32_t idx;
};

static int lref_cmp(const void *a, const void *b)
{
	const struct lref *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* States a socket can be in while it waits in a listener's queues. */
static bool queue_state(int state)
{
	return state == TL_ESTABLISHED || state == TL_CLOSE_WAIT ||
	       state == TL_SYN_RECV || state == TL_NEW_SYN_RECV;
}

void tl_snapshot_classify(struct tl_sock *socks, size_t n)
{
	struct lref *ls = NULL;
	size_t nl = 0;

	for (size_t i = 0; i < n; i++)
		if (socks[i].state == TL_LISTEN)
			nl++;
	if (nl) {
		ls = malloc(nl * sizeof(*ls));
		/*
		 * Without memory for the index we still classify; we only
		 * cannot name listeners.
		 */
		if (ls) {
			nl = 0;
			for (size_t i = 0; i < n; i++)
				if (socks[i].state == TL_LISTEN)
					ls[nl++] =
						(struct lref){ socks[i].sport,
							       (uint32_t)i };
			qsort(ls, nl, sizeof(*ls), lref_cmp);
		} else {
			nl = 0;
		}
	}

	for (size_t i = 0; i < n; i++) {
		struct tl_sock *sk = &socks[i];

		sk->limbo = TL_LIMBO_NONE;
		sk->listener = 0;
		if (tl_sock_is_timewait(sk)) {
			sk->limbo = TL_LIMBO_TIMEWAIT;
			continue;
		}
		if (sk->inode != 0 || sk->state == TL_LISTEN)
			continue;
		if (!queue_state(sk->state)) {
			/* FIN_WAIT*, CLOSING, LAST_ACK with no fd. */
			sk->limbo = TL_LIMBO_ORPHAN;
			continue;
		}
		/*
		 * Request sockets (SYN_RECV without tcp_info) sit in the SYN
		 * queue, not the accept queue; tie them but don't call them
		 * accepted.
		 */
		if (sk->state == TL_ESTABLISHED || sk->state == TL_CLOSE_WAIT ||
		    full_socket(sk))
			sk->limbo = TL_LIMBO_ACCEPT_QUEUE;
		if (nl) {
			struct lref key = { sk->sport, 0 };
			size_t lo = 0, hi = nl;
			int best = 0;

			/* First listener on this port. */
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;

				if (lref_cmp(&ls[mid], &key) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (; lo < nl && ls[lo].port == sk->sport; lo++) {
				int m = listener_match(&socks[ls[lo].idx],
						       sk->family, sk->src);

				if (m > best) {
					best = m;
					sk->listener = ls[lo].idx + 1;
				}
			}
		}
		/*
		 * A request socket has no cgroup of its own; the full socket
		 * it becomes is a clone of its listener and gets the
		 * listener's, so that is the one to show.
		 */
		if (sk->listener && !(sk->has & TL_HAS_CGROUP) &&
		    (socks[sk->listener - 1].has & TL_HAS_CGROUP)) {
			sk->cgroup_id = socks[sk->listener - 1].cgroup_id;
			sk->has |= TL_HAS_CGROUP;
		}
	}
	free(ls);
}

/* The owners pass, run beside the dump: both mostly wait on the kernel. */
struct owners_job {
	struct tl_owners_opts opts;
	struct tl_owners *result;
	int err;
};

static void *owners_work(void *arg)
{
	struct owners_job *job = arg;

	job->err = tl_owners_take(&job->opts, &job->result);
	return NULL;
}

int tl_snapshot_take(const struct tl_snapshot_opts *opts,
		     struct tl_snapshot **ret)
{
	struct tl_dump_opts dopts;
	struct collect c = { 0 };
	struct tl_snapshot *snap;
	struct timespec ts;
	struct owners_job job = { .err = 0 };
	pthread_t owners_thread;
	bool threaded = false;
	uint32_t want;
	int err;

	snap = calloc(1, sizeof(*snap));
	if (!snap)
		return -ENOMEM;
	want = opts->states ? opts->states : TL_STATES_REAL;
	snap->states = want;

	tl_dump_opts_init(&dopts);
	dopts.family = opts->family;
	/* Listeners are always needed to tie fd-less sockets to them. */
	dopts.states = want | TL_STATE_BIT(TL_LISTEN);
	dopts.netns_fd = opts->netns_fd;
	dopts.record_fd = opts->record_fd;
	dopts.replay_fd = opts->replay_fd;
	dopts.details = opts->details;

	clock_gettime(CLOCK_REALTIME, &ts);
	snap->taken_ms =
		(uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	/*
	 * A new owners pass runs in a thread of its own while this one dumps
	 * (the dump's setns() moves only this thread): on two CPUs the two
	 * kernel walks overlap. Without a thread it runs after the dump.
	 */
	if (opts->owners && !opts->owners_from) {
		job.opts = (struct tl_owners_opts){
			.proc_root = opts->proc_root,
			.flags = TL_OWNERS_LIMITS | TL_OWNERS_STAT,
			.backend = opts->owners_backend,
			.threads = opts->owners_threads,
		};
		threaded = pthread_create(&owners_thread, NULL, owners_work,
					  &job) == 0;
	}
	err = tl_sockdiag_dump(&dopts, collect_cb, collect_reset, &c);
	if (threaded)
		pthread_join(owners_thread, NULL);
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
	for (size_t i = 0; i < snap->n_socks; i++)
		snap->in_filter[i] =
			!!(want & TL_STATE_BIT(snap->socks[i].state));
	tl_snapshot_classify(snap->socks, snap->n_socks);

	if (opts->owners && opts->owners_from) {
		/* Read-only from here on; tl_snapshot_free leaves it alone. */
		snap->owners = (struct tl_owners *)opts->owners_from;
		snap->owners_borrowed = true;
	} else if (opts->owners) {
		if (!threaded)
			owners_work(&job);
		err = job.err;
		if (err < 0)
			goto fail;
		snap->owners = job.result;
		job.result = NULL;
	}
	*ret = snap;
	return 0;
fail:
	tl_owners_free(job.result);
	free(c.socks);
	tl_snapshot_free(snap);
	return err;
}

void tl_snapshot_free(struct tl_snapshot *snap)
{
	if (!snap)
		return;
	free(snap->socks);
	free(snap->in_filter);
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
		int score;

		if (l->state != TL_LISTEN || l->sport != port)
			continue;
		score = listener_match(l, family, addr);
		if (score > best_score) {
			best_score = score;
			best = l;
		}
	}
	return best;
}
