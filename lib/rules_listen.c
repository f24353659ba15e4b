// SPDX-License-Identifier: MIT
/*
 * The rules about listeners: a process out of fds (fd-exhaustion), a full
 * accept queue or one that drops SYNs (accept-queue-overflow), one whose
 * connections wait longer than a working accept loop lets them
 * (not-accepting), and a full SYN queue (syn-backlog).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose_int.h"
#include "internal.h"
#include "tcplimbo/diagnose.h"
#include "tcplimbo/drain.h"

/* Adds the socket at index i, queued or in a SYN queue, to l's counts. */
static void lstat_add(struct diag *d, struct diag_lstat *l, size_t i)
{
	const struct tl_sock *sk = &d->snap->socks[i];
	uint64_t age;

	if (sk->state == TL_NEW_SYN_RECV ||
	    (sk->state == TL_SYN_RECV && sk->limbo != TL_LIMBO_ACCEPT_QUEUE)) {
		l->syn++;
		return;
	}
	if (sk->limbo != TL_LIMBO_ACCEPT_QUEUE)
		return;
	l->queued++;
	if (sk->n_listeners > 1) {
		l->shared++;
		if (sk->n_listeners > l->group)
			l->group = sk->n_listeners;
	}
	if (sk->state == TL_CLOSE_WAIT)
		l->closed++;
	if (tl_diag_queue_age(sk, &age)) {
		if (!l->has_age || age >= l->oldest_ms) {
			l->oldest_ms = age;
			l->oldest = (uint32_t)i + 1;
		}
		l->has_age = true;
		if (age >= d->o->queue_age_ms)
			l->stale++;
	}
}

int tli_diag_listener_stats(struct diag *d)
{
	const struct tl_snapshot *snap = d->snap;
	const size_t n = snap->n_socks;
	struct tli_lindex x;
	bool any_shared = false;
	int r;

	r = tli_diag_alloc_zero((void **)&d->ls, n, sizeof(*d->ls));
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const struct tl_sock *sk = &snap->socks[i];

		if (sk->listener == 0 || sk->listener > n)
			continue;
		/*
		 * Only the accept queue is told apart by the listeners' Recv-Q:
		 * a group's SYN queues stay with the listener tied, as one.
		 */
		if (sk->n_listeners > 1 && sk->limbo == TL_LIMBO_ACCEPT_QUEUE)
			any_shared = true;
		else
			lstat_add(d, &d->ls[sk->listener - 1], i);
	}
	if (!any_shared)
		return 0;
	/*
	 * SO_REUSEPORT groups whose queues cannot be told apart: each
	 * connection counts for every listener it may wait on, found by
	 * the snapshot's index of listeners by port.
	 */
	r = tli_lindex_build(&x, snap->socks, n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const struct tl_sock *sk = &snap->socks[i];

		if (sk->listener == 0 || sk->listener > n ||
		    sk->n_listeners < 2 || sk->limbo != TL_LIMBO_ACCEPT_QUEUE)
			continue;
		for (size_t k = tli_lindex_first(&x, sk->sport);
		     k < x.n && x.ls[k].port == sk->sport; k++)
			if (tl_snapshot_may_queue(snap, sk,
						  &snap->socks[x.ls[k].idx]))
				lstat_add(d, &d->ls[x.ls[k].idx], i);
	}
	tli_lindex_free(&x);
	return 0;
}

/*
 * How many connections a listener's accept queue holds, for a finding:
 * its Recv-Q when they are shared with other listeners, else the larger
 * of Recv-Q and those seen (the two are read at different moments).
 */
static uint64_t lstat_count(const struct diag_lstat *l, const struct tl_sock *L)
{
	if (l->shared)
		return L->rqueue;
	return l->queued > L->rqueue ? l->queued : L->rqueue;
}

/*
 * Of listener i's queued CLOSE-WAIT connections, those whose client is on
 * this host and still holds its socket: it only shut down its sending
 * side (shutdown(SHUT_WR), nc -N) and waits for the answer. drain's plan
 * tells them apart; 0 where it cannot be made.
 */
static uint64_t half_closed(const struct diag *d, const struct diag_lstat *l,
			    size_t i)
{
	struct tl_drain_plan p;
	uint64_t n;

	if (l->closed == 0 ||
	    tl_drain_plan(d->snap, &d->snap->socks[i], &p) < 0)
		return 0;
	n = p.n_half_closed < l->closed ? p.n_half_closed : l->closed;
	tl_drain_plan_release(&p);
	return n;
}

/*
 * tli_queue_unlisted of listener L: its queue does not move where its
 * oldest has waited past --queue-age.
 */
static uint64_t lstat_hidden(const struct diag_lstat *l,
			     const struct tl_sock *L)
{
	return tli_queue_unlisted(L, l->queued, l->shared, l->stale);
}

/*
 * ", 2 of them already closed by their clients (CLOSE-WAIT)": how many of
 * listener L's queued connections the client has closed, how many it only
 * half-closed (half, of l->closed), and how many were reset while queued,
 * or "" for none.
 */
static const char *closed_text(char *buf, size_t size,
			       const struct diag_lstat *l,
			       const struct tl_sock *L, uint64_t half)
{
	uint64_t gone = l->closed - half, hidden = lstat_hidden(l, L);
	size_t off = 0;

	buf[0] = '\0';
	if (gone && gone >= l->queued && !hidden)
		off = (size_t)snprintf(buf, size, ", %s (CLOSE-WAIT)",
				       l->queued == 1 ?
					       "already closed by the client" :
					       "all already closed by their "
					       "clients");
	else if (gone)
		off = (size_t)snprintf(
			buf, size,
			", %llu of them already closed by %s (CLOSE-WAIT)",
			(unsigned long long)gone,
			gone == 1 ? "the client" : "their clients");
	if (half && off < size) {
		const char *why =
			half == 1 ? "its client shut down its sending "
				    "side and waits for the answer" :
				    "their clients shut down their "
				    "sending side and wait for the answer";

		if (half >= l->queued && !hidden)
			off += (size_t)snprintf(
				buf + off, size - off,
				", %shalf-closed only (CLOSE-WAIT: %s)",
				l->queued == 1 ? "" : "all ", why);
		else
			off += (size_t)snprintf(
				buf + off, size - off,
				", %llu of them half-closed only (CLOSE-WAIT: "
				"%s)",
				(unsigned long long)half, why);
	}
	if (hidden && off < size)
		snprintf(buf + off, size - off,
			 ", %llu reset by %s or destroyed while queued "
			 "(counted in the listener's Recv-Q, listed by no "
			 "dump)",
			 (unsigned long long)hidden,
			 hidden == 1 ? "the client" : "their clients");
	return buf;
}

/*
 * Appends "pid 12 (nginx) has 64 of 64 fds open" for each process holding
 * the listener that is near its limit; returns how many there were and
 * sets *ret_at when one of them is at its limit.
 */
static size_t near_text(struct diag *d, const struct tl_fdref *refs,
			size_t nref, char *buf, size_t size, bool *ret_at)
{
	size_t off = 0, n = 0;
	char fds[80];

	buf[0] = '\0';
	*ret_at = false;
	for (size_t k = 0; k < nref; k++) {
		const struct tl_proc *p =
			tli_diag_proc_at(d->snap, refs[k].proc);

		if (!tli_diag_fd_near(p, d->o))
			continue;
		*ret_at |= tli_diag_fd_at_limit(p);
		if (off < size)
			off += (size_t)snprintf(
				buf + off, size - off, "%spid %d (%s) has %s",
				n ? ", " : "", (int)p->pid, p->comm,
				tli_diag_fds_text(fds, sizeof(fds), p));
		n++;
	}
	return n;
}

/*
 * fd-exhaustion of the processes holding a listener whose queue waits,
 * where one of them is at its limit. Those at (or near) it are named,
 * each with its own numbers: a master that shares the listener with a
 * worker out of fds is not the one failing accept().
 */
static int fd_listener(struct diag *d, size_t i)
{
	const struct tl_snapshot *snap = d->snap;
	const struct tl_sock *L = &snap->socks[i];
	struct diag_lstat *l = &d->ls[i];
	const struct tl_proc *first = NULL;
	const struct tl_fdref *refs;
	size_t nref = tl_snapshot_owners(snap, L, &refs), n_near, others = 0;
	struct tl_finding *f;
	char near[200], addr[80], closed[400];
	bool at;

	if (!l->stale && !diag_queue_full(L))
		return 0;
	n_near = near_text(d, refs, nref, near, sizeof(near), &at);
	/*
	 * Near the limit but with an fd free, accept() would take it: the
	 * queue waits for another reason (WEBrick at its MaxClients), which
	 * not-accepting tells; the fd table is fd_process's warning.
	 */
	if (n_near == 0 || !at)
		return 0;
	f = tli_diag_add(d, TL_FIND_FD_EXHAUSTION, TL_SEV_CRITICAL);
	if (!f)
		return -ENOMEM;
	for (size_t k = 0; k < nref; k++) {
		const struct tl_proc *p = tli_diag_proc_at(snap, refs[k].proc);

		if (!p)
			continue;
		if (!tli_diag_fd_near(p, d->o)) {
			size_t j = 0;

			/* Several fds of one process count once. */
			while (j < k && refs[j].proc != refs[k].proc)
				j++;
			others += j == k;
			continue;
		}
		if (!first)
			first = p;
		tli_diag_add_pid(f, p->pid, p->comm);
		d->proc_done[refs[k].proc] = 1;
	}
	tli_diag_set_local(f, L);
	f->sock = (uint32_t)i + 1;
	f->example = l->oldest;
	f->count = lstat_count(l, L);
	f->oldest_ms = l->oldest_ms;
	f->has_age = l->has_age;
	f->value = first->nfds;
	f->limit = first->nofile;
	tli_diag_summary(
		f, "%s%s %llu connection%s wait%s in the queue of %s%s%s%s",
		near, ": at the limit, where accept() fails with EMFILE, and",
		(unsigned long long)f->count, f->count == 1 ? "" : "s",
		f->count == 1 ? "s" : "",
		tl_addr_format_port(addr, sizeof(addr), L->family, L->src,
				    L->sport),
		closed_text(closed, sizeof(closed), l, L, half_closed(d, l, i)),
		others == 0 ?
			"" :
		others == 1 ?
			"; one more process shares the listener, with fds to spare" :
			"; more processes share the listener, with fds to spare",
		/*
		 * What clients then meet is dropped handshakes, not a
		 * queue: worth saying, with who does that, not why.
		 */
		L->wqueue == 0 ?
			"; its backlog is 0 (listen() with 0, as memcached calls it to stop taking connections): new handshakes are dropped while one waits" :
			"");
	l->reported = true;
	return 0;
}

/* fd-exhaustion of a process with sockets here, not yet reported. */
static int fd_process(struct diag *d, const uint8_t *here, size_t k)
{
	const struct tl_proc *p = &d->snap->owners->procs[k];
	struct tl_finding *f;
	char who[160], fds[80];

	if (!here[k] || d->proc_done[k] || !tli_diag_fd_near(p, d->o))
		return 0;
	f = tli_diag_add(d, TL_FIND_FD_EXHAUSTION,
			 tli_diag_fd_at_limit(p) ? TL_SEV_CRITICAL :
						   TL_SEV_WARNING);
	if (!f)
		return -ENOMEM;
	tli_diag_add_pid(f, p->pid, p->comm);
	f->count = p->nfds;
	f->value = p->nfds;
	f->limit = p->nofile;
	tli_diag_summary(
		f, "%s has %s (RLIMIT_NOFILE)%s",
		tli_diag_who_text(who, sizeof(who), d->snap, f),
		tli_diag_fds_text(fds, sizeof(fds), p),
		tli_diag_fd_at_limit(p) ?
			": accept(), socket() and open() fail with EMFILE" :
			"");
	d->proc_done[k] = 1;
	return 0;
}

/*
 * fd-exhaustion: first where it keeps a listener's connections waiting,
 * then for any other process with a socket here.
 */
int tli_diag_rule_fd_exhaustion(struct diag *d)
{
	const struct tl_snapshot *snap = d->snap;
	const struct tl_owners *ow = snap->owners;
	uint8_t *here = NULL;
	int r = 0;

	if (!ow || ow->n_procs == 0)
		return 0;
	for (size_t i = 0; i < snap->n_socks && r >= 0; i++)
		if (snap->socks[i].state == TL_LISTEN)
			r = fd_listener(d, i);
	if (r >= 0)
		r = tli_diag_alloc_zero((void **)&here, ow->n_procs, 1);
	if (r < 0)
		return r;
	/* Only processes with a socket in this namespace belong to it. */
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_fdref *refs;
		size_t nr = tl_snapshot_owners(snap, &snap->socks[i], &refs);

		for (size_t k = 0; k < nr; k++)
			if (refs[k].proc < ow->n_procs)
				here[refs[k].proc] = 1;
	}
	for (size_t k = 0; k < ow->n_procs && r >= 0; k++)
		r = fd_process(d, here, k);
	free(here);
	return r;
}

uint32_t tli_diag_queue_drops(const struct tl_counters *ctr,
			      const struct tl_sock *L)
{
	if (ctr && (ctr->have & TL_CTR_NETSTAT) && ctr->listen_drops < L->drops)
		return (uint32_t)ctr->listen_drops;
	return L->drops;
}

/*
 * The warning case of accept-queue-overflow, for a queue that is not full:
 * the listener has dropped at least drops_min SYNs while its queue moves
 * (nothing in it is stale) and is at least half full now. A queue that
 * does not move is not-accepting's finding instead; drops of a queue under
 * no pressure now are in the past (tl_diag_young tells them).
 */
static bool drops_maybe(const struct tl_diag_opts *o,
			const struct tl_counters *ctr, const struct tl_sock *L,
			bool stale)
{
	return !stale && (L->has & TL_HAS_MEMINFO) && o->drops_min &&
	       diag_queue_pressed(L) &&
	       tli_diag_queue_drops(ctr, L) >= o->drops_min;
}

static bool drops_syns(const struct diag *d, const struct tl_sock *L,
		       const struct diag_lstat *l)
{
	return drops_maybe(d->o, d->ctr, L, l->stale) &&
	       tli_diag_drops_go_on(d->o, d->ctr, d->snap, L);
}

bool tl_diag_drops_unsure(const struct tl_snapshot *snap,
			  const struct tl_counters *ctr,
			  const struct tl_diag_opts *opts)
{
	struct tl_diag_opts defaults;

	if (!opts) {
		tl_diag_opts_init(&defaults);
		opts = &defaults;
	}
	/*
	 * Staleness is the not-accepting rule's, which needs the snapshot's
	 * ages: a queue that does not move would not warn here anyway, and
	 * one more look costs only a moment.
	 */
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *L = &snap->socks[i];

		if (L->state == TL_LISTEN && !diag_queue_full(L) &&
		    drops_maybe(opts, ctr, L, false))
			return true;
	}
	return false;
}

/*
 * accept-queue-overflow: a full accept queue (critical), or a listener
 * that has dropped SYNs while its queue moves (a warning; a queue that
 * does not move is not-accepting).
 */
int tli_diag_rule_overflow(struct diag *d)
{
	const struct tl_snapshot *snap = d->snap;
	const struct tl_counters *ctr = d->ctr;
	char who[160], addr[80];

	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *L = &snap->socks[i];
		const struct diag_lstat *l = &d->ls[i];
		struct tl_finding *f;
		bool full;

		if (L->state != TL_LISTEN || l->reported)
			continue;
		full = diag_queue_full(L);
		if (!full && !drops_syns(d, L, l))
			continue;
		f = tli_diag_add_listener(
			d, TL_FIND_ACCEPT_QUEUE_OVERFLOW,
			full ? TL_SEV_CRITICAL : TL_SEV_WARNING, i);
		if (!f)
			return -ENOMEM;
		f->example = l->oldest;
		f->value = tli_diag_queue_drops(d->ctr, L);
		f->limit = L->wqueue;
		tl_addr_format_port(addr, sizeof(addr), L->family, L->src,
				    L->sport);
		if (full) {
			char ovf[128] = "", closed[400];

			/* The namespace's counter, since it was made. */
			if (ctr && (ctr->have & TL_CTR_NETSTAT) &&
			    ctr->listen_overflows)
				snprintf(
					ovf, sizeof(ovf),
					" (counted in TcpExt ListenOverflows: %llu so far in this network namespace)",
					(unsigned long long)
						ctr->listen_overflows);
			f->count = L->rqueue;
			f->oldest_ms = l->oldest_ms;
			f->has_age = l->has_age;
			tli_diag_summary(
				f,
				"the accept queue of %s, held by %s, is full: %u connection%s for a backlog of %u%s%s; new SYNs are dropped%s",
				addr,
				tli_diag_who_text(who, sizeof(who), d->snap, f),
				L->rqueue, L->rqueue == 1 ? "" : "s", L->wqueue,
				l->stale ? ", and they are not being accepted" :
					   "",
				/* Whether drain can help: as not-accepting says. */
				closed_text(closed, sizeof(closed), l, L,
					    half_closed(d, l, i)),
				ovf);
		} else if (f->value < L->drops) {
			f->count = f->value;
			tli_diag_summary(
				f,
				"the listener %s, held by %s, has dropped up to %llu SYN%s or handshake ACK%s for a full queue, as many as TcpExt ListenDrops counts in its namespace, and its queue is at least half full now (backlog %u, %u queued; its own drop counter, %u, also counts other drops, such as TCP_DEFER_ACCEPT's)",
				addr,
				tli_diag_who_text(who, sizeof(who), d->snap, f),
				(unsigned long long)f->value,
				f->value == 1 ? "" : "s",
				f->value == 1 ? "" : "s", L->wqueue, L->rqueue,
				L->drops);
		} else {
			f->count = L->drops;
			tli_diag_summary(
				f,
				"the listener %s, held by %s, has dropped %u SYN%s since it started, and its queue is at least half full now (backlog %u, %u queued)",
				addr,
				tli_diag_who_text(who, sizeof(who), d->snap, f),
				L->drops, L->drops == 1 ? "" : "s", L->wqueue,
				L->rqueue);
		}
	}
	return 0;
}

/* The most such children a summary names. */
#define LOST_MAX 4

/* "; its children 5, 6 hold 8 of its connections but not the listener". */
static void lost_text(char *buf, size_t size, const struct tl_snapshot *snap,
		      const struct tl_sock *L)
{
	pid_t pids[LOST_MAX];
	uint64_t conns = 0;
	size_t n = tli_lost_children(snap, L, 0, pids, LOST_MAX, &conns), off;

	buf[0] = '\0';
	if (n == 0)
		return;
	off = (size_t)snprintf(buf, size, "; %s",
			       n == 1 ? "its child" : "its children");
	for (size_t i = 0; i < n && i < LOST_MAX && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s %d",
					i ? "," : "", (int)pids[i]);
	if (off < size && n > LOST_MAX)
		off += (size_t)snprintf(buf + off, size - off, " and %zu more",
					n - LOST_MAX);
	if (off < size)
		snprintf(
			buf + off, size - off,
			" %s %llu of its connections but not the listener: none of them accepts on it (children it forks for each connection, at its limit of them; an old generation finishing after a graceful restart; or workers that let go of it)",
			n == 1 ? "holds" : "hold", (unsigned long long)conns);
}

/*
 * Whether finding f, of an SO_REUSEPORT listener, says again what an
 * earlier one of this rule said: the same queued connections (its oldest
 * is theirs), held by the same processes. A program with several such
 * listeners on a port (BIND: one a thread) is one finding, not one each;
 * the one kept takes the graver severity of the two.
 */
static bool same_group_told(struct diag *d, size_t first,
			    const struct tl_finding *f)
{
	for (size_t k = first; k + 1 < d->n; k++) {
		struct tl_finding *e = &d->v[k];

		if (e->kind == f->kind && e->example == f->example &&
		    e->n_pids == f->n_pids &&
		    !memcmp(e->pids, f->pids,
			    tli_diag_stored_pids(f) * sizeof(f->pids[0]))) {
			if (f->severity > e->severity)
				e->severity = f->severity;
			return true;
		}
	}
	return false;
}

/*
 * Whether every listener of listener i's SO_REUSEPORT group (those whose
 * queues its connections may be in) is held by f's processes: BIND's
 * threads each have one. Then the finding is the group's, and *ret_rq
 * the sum of their own queues.
 */
static bool group_all_theirs(const struct diag *d, size_t i,
			     const struct tl_finding *f, uint64_t *ret_rq)
{
	const struct tl_sock *L = &d->snap->socks[i];
	unsigned n = 0;

	*ret_rq = 0;
	/* Holders not seen may be different processes: none claimed. */
	if (f->n_pids == 0)
		return false;
	for (size_t j = 0; j < d->snap->n_socks; j++) {
		const struct tl_sock *M = &d->snap->socks[j];
		struct tl_finding g;

		if (M->state != TL_LISTEN || !d->ls[j].shared ||
		    M->family != L->family || M->sport != L->sport ||
		    memcmp(M->src, L->src, sizeof(L->src)) != 0)
			continue;
		memset(&g, 0, sizeof(g));
		tli_diag_add_owners(d->snap, &g, M);
		if (g.n_pids != f->n_pids ||
		    memcmp(g.pids, f->pids,
			   tli_diag_stored_pids(f) * sizeof(f->pids[0])) != 0)
			return false;
		n++;
		*ret_rq += M->rqueue;
	}
	return n == d->ls[i].group;
}

/* not-accepting: connections queued longer than queue_age_ms. */
int tli_diag_rule_not_accepting(struct diag *d)
{
	const struct tl_snapshot *snap = d->snap;
	char who[160], addr[80], lost[320], closed[400], secs[TL_AGE_STR_MAX];
	size_t first = d->n;
	uint64_t half, group_rq;

	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *L = &snap->socks[i];
		const struct diag_lstat *l = &d->ls[i];
		struct tl_finding *f;

		if (L->state != TL_LISTEN || l->reported || !l->stale ||
		    diag_queue_full(L))
			continue;
		/* Clients that have gone make it critical; waiting ones not. */
		half = half_closed(d, l, i);
		f = tli_diag_add_listener(d, TL_FIND_NOT_ACCEPTING,
					  l->closed > half ||
							  lstat_hidden(l, L) ?
						  TL_SEV_CRITICAL :
						  TL_SEV_WARNING,
					  i);
		if (!f)
			return -ENOMEM;
		f->example = l->oldest;
		if (l->shared && same_group_told(d, first, f)) {
			d->n--;
			continue;
		}
		/* The state they are in: all closed by their clients, or not. */
		if (l->queued && l->closed >= l->queued)
			f->state = TL_CLOSE_WAIT;
		f->count = lstat_count(l, L);
		f->oldest_ms = l->oldest_ms;
		f->has_age = l->has_age;
		f->value = L->rqueue;
		f->limit = L->wqueue;
		tli_diag_who_text(who, sizeof(who), d->snap, f);
		tl_addr_format_port(addr, sizeof(addr), L->family, L->src,
				    L->sport);
		lost_text(lost, sizeof(lost), snap, L);
		if (l->shared && group_all_theirs(d, i, f, &group_rq)) {
			/* All theirs: the group's count, not one queue's. */
			f->count = l->queued > group_rq ? l->queued : group_rq;
			f->value = group_rq;
			tli_diag_summary(
				f,
				"%s %s not accepting connections on %s: %llu queued in %s %u SO_REUSEPORT listeners on the port, %sfor %s%s",
				who, tli_diag_plural(d->snap, f) ? "are" : "is",
				addr, (unsigned long long)f->count,
				tli_diag_plural(d->snap, f) ? "their" : "its",
				l->group, f->count == 1 ? "" : "the oldest ",
				tl_age_str(secs, l->oldest_ms),
				closed_text(closed, sizeof(closed), l, L,
					    half));
		} else if (l->shared)
			/* Which queue holds which is the kernel's hash. */
			tli_diag_summary(
				f,
				"%s %s not accepting connections on %s: %u in its own accept queue; it and %u other SO_REUSEPORT listener%s on the port hold %llu between them, the oldest for %s%s",
				who, tli_diag_plural(d->snap, f) ? "are" : "is",
				addr, L->rqueue, l->group - 1u,
				l->group == 2 ? "" : "s",
				(unsigned long long)l->queued,
				tl_age_str(secs, l->oldest_ms),
				closed_text(closed, sizeof(closed), l, L,
					    half));
		else
			tli_diag_summary(
				f,
				"%s %s not accepting connections on %s: %llu queued, %sfor %s%s%s",
				who, tli_diag_plural(d->snap, f) ? "are" : "is",
				addr, (unsigned long long)f->count,
				f->count == 1 ? "" : "the oldest ",
				tl_age_str(secs, l->oldest_ms),
				closed_text(closed, sizeof(closed), l, L, half),
				lost);
	}
	return 0;
}

/* syn-backlog: half-open connections against the SYN queue's limit. */
int tli_diag_rule_syn_backlog(struct diag *d)
{
	const struct tl_snapshot *snap = d->snap;
	const struct tl_counters *ctr = d->ctr;
	char who[160], addr[80];

	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *L = &snap->socks[i];
		const struct diag_lstat *l = &d->ls[i];
		struct tl_finding *f;
		uint64_t limit = L->wqueue;

		if (L->state != TL_LISTEN || l->syn < d->o->syn_min ||
		    L->wqueue == 0)
			continue;
		if (ctr && (ctr->have & TL_CTR_MAX_SYN_BACKLOG) &&
		    ctr->max_syn_backlog && ctr->max_syn_backlog < limit)
			limit = ctr->max_syn_backlog;
		if (l->syn * 100 < limit * d->o->syn_warn_pct)
			continue;
		f = tli_diag_add_listener(
			d, TL_FIND_SYN_BACKLOG,
			l->syn >= limit ? TL_SEV_CRITICAL : TL_SEV_WARNING, i);
		if (!f)
			return -ENOMEM;
		f->count = l->syn;
		f->value = l->syn;
		f->limit = limit;
		tli_diag_summary(
			f,
			"%llu half-open connections (NEW_SYN_RECV) on %s (%s), SYN queue limit %llu",
			(unsigned long long)l->syn,
			tl_addr_format_port(addr, sizeof(addr), L->family,
					    L->src, L->sport),
			tli_diag_who_text(who, sizeof(who), d->snap, f),
			(unsigned long long)limit);
	}
	return 0;
}
