// SPDX-License-Identifier: MIT
/*
 * The doctor's rules. Each rule looks at one kind of limbo in a snapshot,
 * measures how long it has lasted where the kernel says so, and names the
 * processes that hold the sockets (or the listener they wait on). The
 * thresholds keep healthy traffic quiet: short queueing, brief CLOSE_WAIT
 * and ordinary TIME_WAIT are how TCP works, not findings.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tcplimbo/diagnose.h"
#include "tcplimbo/tcpstate.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const kind_names[TL_FIND_KIND_MAX] = {
	[TL_FIND_NOT_ACCEPTING] = "not-accepting",
	[TL_FIND_ACCEPT_QUEUE_OVERFLOW] = "accept-queue-overflow",
	[TL_FIND_FD_EXHAUSTION] = "fd-exhaustion",
	[TL_FIND_CLOSE_WAIT_LEAK] = "close-wait-leak",
	[TL_FIND_FIN_WAIT2_STUCK] = "fin-wait2-stuck",
	[TL_FIND_TIME_WAIT_PRESSURE] = "time-wait-pressure",
	[TL_FIND_ORPHAN_PRESSURE] = "orphan-pressure",
	[TL_FIND_SYN_BACKLOG] = "syn-backlog",
};

/* Why it happens, in the state machine's terms. */
static const char *const explanations[TL_FIND_KIND_MAX] = {
	[TL_FIND_NOT_ACCEPTING] =
		"The kernel, not accept(), completes the handshake: a new connection is ESTABLISHED and waits in the listener's accept queue, with no fd and so no owner, until the program calls accept(). Data the client sends is buffered there; when the client gives up and closes, the queued socket moves to CLOSE-WAIT, and only the program can leave CLOSE-WAIT. These connections have waited longer than a working accept loop would let them.",
	[TL_FIND_ACCEPT_QUEUE_OVERFLOW] =
		"A listener's accept queue holds at most backlog+1 completed connections. Once it is full, the kernel drops new SYNs (and handshake ACKs): clients see connect() time out or retry, and TcpExt ListenOverflows/ListenDrops grow.",
	[TL_FIND_FD_EXHAUSTION] =
		"The process has (nearly) as many open files as RLIMIT_NOFILE allows. accept() then fails with EMFILE and leaves the connection in the accept queue, where it stays ESTABLISHED (or CLOSE-WAIT once the client gives up); an event loop woken for the listener can spin on the failing accept().",
	[TL_FIND_CLOSE_WAIT_LEAK] =
		"CLOSE-WAIT means the peer sent its FIN and the kernel acknowledged it; the connection stays there until this program calls close(). No timer ends CLOSE-WAIT, so sockets that stay for long are leaked: the program missed read() returning 0, or lost the fd on an error path.",
	[TL_FIND_FIN_WAIT2_STUCK] =
		"FIN-WAIT-2 means this side sent its FIN and it was acknowledged; the peer has not closed yet. A socket still held by its program (after shutdown(SHUT_WR)) has no timer: it waits for the peer for ever. After close() the kernel would drop it after net.ipv4.tcp_fin_timeout.",
	[TL_FIND_TIME_WAIT_PRESSURE] =
		"The side that closes first spends 60 s in TIME-WAIT, keeping its local port bound to that peer. A client that opens and closes connections to one destination faster than the ports come back runs out of ephemeral ports (connect() fails with EADDRNOTAVAIL).",
	[TL_FIND_ORPHAN_PRESSURE] =
		"Orphans are sockets their program has closed while the kernel still finishes the close (FIN-WAIT-1, LAST-ACK, CLOSING). Past net.ipv4.tcp_max_orphans the kernel resets connections and logs 'too many orphaned sockets'.",
	[TL_FIND_SYN_BACKLOG] =
		"Half-open connections (SYN received, SYN,ACK sent, the client's ACK not yet back) wait in the listener's SYN queue as NEW_SYN_RECV request sockets, limited by the backlog and net.ipv4.tcp_max_syn_backlog. A full SYN queue means a SYN flood, a lossy path, or clients that do not finish the handshake; with tcp_syncookies the kernel falls back to cookies.",
};

static const char *const remedies[TL_FIND_KIND_MAX] = {
	[TL_FIND_NOT_ACCEPTING] =
		"Find out why the process does not call accept(): its accept loop may be blocked, busy, dead or never started (look at its threads: /proc/PID/task/*/stack, a debugger, its logs). Fixing or restarting it drains the queue; closing the listener resets the queued connections.",
	[TL_FIND_ACCEPT_QUEUE_OVERFLOW] =
		"Accept faster than clients connect: more acceptor threads, less work before the next accept(). A bigger listen() backlog (capped by net.core.somaxconn) absorbs bursts, not a program that has stopped accepting.",
	[TL_FIND_FD_EXHAUSTION] =
		"Look for an fd leak (ls -l /proc/PID/fd); raise the limit if the load is real (ulimit -n, LimitNOFILE= in systemd). In the program, handle EMFILE from accept(): keep a spare fd to close, then accept and close the waiting connection, or back off instead of retrying at once.",
	[TL_FIND_CLOSE_WAIT_LEAK] =
		"Fix the program to close() a connection when read() returns 0 or an error, on every path (connection pools included). Restarting the process releases the sockets; ss -K cannot, since the fd stays open.",
	[TL_FIND_FIN_WAIT2_STUCK] =
		"The peer is not closing its side: look at the peer (it may be leaking the connection in CLOSE-WAIT). In this program, close() half-closed sockets after a timeout so the kernel's tcp_fin_timeout applies.",
	[TL_FIND_TIME_WAIT_PRESSURE] =
		"Reuse connections (keep-alive, pooling) instead of one per request; let the server close first; widen net.ipv4.ip_local_port_range; net.ipv4.tcp_tw_reuse=1 lets connect() reuse TIME-WAIT ports safely (with timestamps).",
	[TL_FIND_ORPHAN_PRESSURE] =
		"Find the peers that stopped reading (orphans in FIN-WAIT-1 with a full send queue). Raise net.ipv4.tcp_max_orphans only with memory to spare (each may hold up to 64 KiB).",
	[TL_FIND_SYN_BACKLOG] =
		"Keep net.ipv4.tcp_syncookies=1; for legitimate bursts raise the listen() backlog, net.core.somaxconn and net.ipv4.tcp_max_syn_backlog; for a flood, filter upstream.",
};

/* The state each kind is about, for the state machine's words. */
static const uint8_t kind_state[TL_FIND_KIND_MAX] = {
	[TL_FIND_NOT_ACCEPTING] = TL_ESTABLISHED,
	[TL_FIND_ACCEPT_QUEUE_OVERFLOW] = TL_LISTEN,
	[TL_FIND_FD_EXHAUSTION] = TL_LISTEN,
	[TL_FIND_CLOSE_WAIT_LEAK] = TL_CLOSE_WAIT,
	[TL_FIND_FIN_WAIT2_STUCK] = TL_FIN_WAIT2,
	[TL_FIND_TIME_WAIT_PRESSURE] = TL_TIME_WAIT,
	[TL_FIND_ORPHAN_PRESSURE] = TL_FIN_WAIT1,
	[TL_FIND_SYN_BACKLOG] = TL_NEW_SYN_RECV,
};

const char *tl_finding_kind_name(int kind)
{
	if (kind < 0 || kind >= TL_FIND_KIND_MAX)
		return NULL;
	return kind_names[kind];
}

const char *tl_severity_name(int sev)
{
	switch (sev) {
	case TL_SEV_WARNING:
		return "warning";
	case TL_SEV_CRITICAL:
		return "critical";
	default:
		return NULL;
	}
}

void tl_diag_opts_init(struct tl_diag_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->queue_age_ms = 5000;
	o->close_wait_age_ms = 30000;
	o->close_wait_min = 1;
	o->close_wait_critical = 100;
	o->fin_wait2_age_ms = 60000;
	o->fd_warn_pct = 90;
	o->port_warn_pct = 50;
	o->port_crit_pct = 90;
	o->orphan_warn_pct = 50;
	o->orphan_crit_pct = 90;
	o->syn_warn_pct = 50;
	o->syn_min = 16;
	o->drops_min = 1;
}

bool tl_diag_queue_age(const struct tl_sock *sk, uint64_t *ret_ms)
{
	if (!(sk->has & TL_HAS_INFO))
		return false;
	*ret_ms = sk->last_data_sent_ms;
	return true;
}

/* A growing array of findings. */
struct flist {
	struct tl_finding *v;
	size_t n, cap;
};

static struct tl_finding *flist_add(struct flist *l, int kind, int sev)
{
	struct tl_finding *f;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct tl_finding *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv)
			return NULL;
		l->v = nv;
		l->cap = cap;
	}
	f = &l->v[l->n++];
	memset(f, 0, sizeof(*f));
	f->kind = (uint8_t)kind;
	f->severity = (uint8_t)sev;
	f->state = kind_state[kind];
	f->explanation = explanations[kind];
	f->remedy = remedies[kind];
	return f;
}

/*
 * Writes a finding's one-line summary. A long one is cut: the summary is
 * for people, the numbers are in the fields.
 */
static void set_summary(struct tl_finding *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_summary(struct tl_finding *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->summary, sizeof(f->summary), fmt, ap);
	va_end(ap);
}

/* How many of a finding's pids are stored in pids[]. */
static size_t stored_pids(const struct tl_finding *f)
{
	return f->n_pids < TL_FINDING_PIDS_MAX ? f->n_pids :
						 TL_FINDING_PIDS_MAX;
}

static void add_pid(struct tl_finding *f, pid_t pid, const char *comm)
{
	size_t n = stored_pids(f);

	for (size_t i = 0; i < n; i++)
		if (f->pids[i] == pid)
			return;
	if (f->n_pids == 0 && comm)
		snprintf(f->comm, sizeof(f->comm), "%s", comm);
	if (f->n_pids < TL_FINDING_PIDS_MAX)
		f->pids[f->n_pids] = pid;
	f->n_pids++;
}

/* Adds every process holding sk to f. */
static void add_owners(const struct tl_snapshot *snap, struct tl_finding *f,
		       const struct tl_sock *sk)
{
	const struct tl_fdref *refs;
	size_t n = tl_snapshot_owners(snap, sk, &refs);

	for (size_t i = 0; i < n; i++) {
		const struct tl_proc *p;

		if (refs[i].proc >= snap->owners->n_procs)
			continue;
		p = &snap->owners->procs[refs[i].proc];
		add_pid(f, p->pid, p->comm);
	}
}

static void set_local(struct tl_finding *f, const struct tl_sock *sk)
{
	f->family = sk->family;
	memcpy(f->local_addr, sk->src, sizeof(f->local_addr));
	f->local_port = sk->sport;
}

/* "127.0.0.1:80" or "[::1]:80". */
static const char *addr_text(char *buf, size_t size, int family,
			     const uint8_t *addr, uint16_t port)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, a, sizeof(a));
	if (family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", a, port);
	else
		snprintf(buf, size, "%s:%u", a, port);
	return buf;
}

/* "pid 12 (nginx)", "pids 12, 13 (nginx)", or "an unknown process". */
static const char *who_text(char *buf, size_t size, const struct tl_finding *f)
{
	size_t n = stored_pids(f);
	size_t off = 0;

	if (n == 0) {
		snprintf(buf, size, "an unknown process");
		return buf;
	}
	off = (size_t)snprintf(buf, size, "pid%s ", n > 1 ? "s" : "");
	for (size_t i = 0; i < n && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%d",
					i ? ", " : "", (int)f->pids[i]);
	if (off < size && f->n_pids > n)
		off += (size_t)snprintf(buf + off, size - off, " and %zu more",
					f->n_pids - n);
	if (off < size)
		snprintf(buf + off, size - off, " (%s)", f->comm);
	return buf;
}

static const struct tl_proc *proc_at(const struct tl_snapshot *snap,
				     uint32_t idx)
{
	if (!snap->owners || idx >= snap->owners->n_procs)
		return NULL;
	return &snap->owners->procs[idx];
}

/* True when both a process's fd count and its fd limit are known. */
static bool fd_known(const struct tl_proc *p)
{
	return p && !p->fd_error && p->nofile != UINT64_MAX && p->nofile > 0;
}

/* True when a process is at or near its fd limit. */
static bool fd_near(const struct tl_proc *p, const struct tl_diag_opts *o)
{
	return fd_known(p) &&
	       (uint64_t)p->nfds * 100 >= p->nofile * o->fd_warn_pct;
}

static bool fd_at_limit(const struct tl_proc *p)
{
	return fd_known(p) && p->nfds >= p->nofile;
}

/* What the rules learn about one listener's queues. */
struct lstat {
	uint64_t queued, stale, closed, oldest_ms, syn;
	uint32_t oldest; /* index + 1 of the oldest queued socket */
	bool has_age;
};

static int alloc_zero(void **p, size_t n, size_t size)
{
	*p = n ? calloc(n, size) : NULL;
	return (n && !*p) ? -ENOMEM : 0;
}

/*
 * A finding about the listener at index i: first (when not NULL) leads the
 * processes named, then everyone holding the listener.
 */
static struct tl_finding *listener_finding(struct flist *out, int kind, int sev,
					   const struct tl_snapshot *snap,
					   size_t i,
					   const struct tl_proc *first)
{
	const struct tl_sock *L = &snap->socks[i];
	struct tl_finding *f = flist_add(out, kind, sev);

	if (!f)
		return NULL;
	if (first)
		add_pid(f, first->pid, first->comm);
	add_owners(snap, f, L);
	set_local(f, L);
	f->sock = (uint32_t)i + 1;
	return f;
}

/* Per listener: not-accepting, accept-queue-overflow, fd-exhaustion, syn-backlog. */
static int rule_listeners(const struct tl_snapshot *snap,
			  const struct tl_counters *ctr,
			  const struct tl_diag_opts *o, struct flist *out,
			  uint8_t *proc_done)
{
	const size_t n = snap->n_socks;
	struct lstat *ls = NULL;
	char who[160], addr[80];
	int r;

	r = alloc_zero((void **)&ls, n, sizeof(*ls));
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const struct tl_sock *sk = &snap->socks[i];
		struct lstat *l;
		uint64_t age;

		if (sk->listener == 0 || sk->listener > n)
			continue;
		l = &ls[sk->listener - 1];
		if (sk->state == TL_NEW_SYN_RECV ||
		    (sk->state == TL_SYN_RECV &&
		     sk->limbo != TL_LIMBO_ACCEPT_QUEUE)) {
			l->syn++;
			continue;
		}
		if (sk->limbo != TL_LIMBO_ACCEPT_QUEUE)
			continue;
		l->queued++;
		if (sk->state == TL_CLOSE_WAIT)
			l->closed++;
		if (tl_diag_queue_age(sk, &age)) {
			if (!l->has_age || age >= l->oldest_ms) {
				l->oldest_ms = age;
				l->oldest = (uint32_t)i + 1;
			}
			l->has_age = true;
			if (age >= o->queue_age_ms)
				l->stale++;
		}
	}

	for (size_t i = 0; i < n; i++) {
		const struct tl_sock *L = &snap->socks[i];
		const struct lstat *l = &ls[i];
		const struct tl_proc *emfile = NULL;
		uint32_t emfile_idx = 0;
		const struct tl_fdref *refs;
		size_t nref;
		bool full, stale;
		struct tl_finding *f;

		if (L->state != TL_LISTEN)
			continue;
		/* Recv-Q of a listener is its accept queue, Send-Q the backlog. */
		full = L->rqueue > L->wqueue;
		stale = l->stale > 0;
		nref = tl_snapshot_owners(snap, L, &refs);
		for (size_t k = 0; k < nref && !emfile; k++) {
			const struct tl_proc *p = proc_at(snap, refs[k].proc);

			if (fd_near(p, o)) {
				emfile = p;
				emfile_idx = refs[k].proc;
			}
		}
		addr_text(addr, sizeof(addr), L->family, L->src, L->sport);

		if (emfile && (stale || full)) {
			f = listener_finding(out, TL_FIND_FD_EXHAUSTION,
					     TL_SEV_CRITICAL, snap, i, emfile);
			if (!f)
				goto nomem;
			f->example = l->oldest;
			f->count = l->queued > L->rqueue ? l->queued :
							   L->rqueue;
			f->oldest_ms = l->oldest_ms;
			f->has_age = l->has_age;
			f->value = emfile->nfds;
			f->limit = emfile->nofile;
			set_summary(
				f,
				"%s has %u of %llu fds open: accept() is failing with EMFILE and %llu connection%s wait%s in the queue of %s%s",
				who_text(who, sizeof(who), f), emfile->nfds,
				(unsigned long long)emfile->nofile,
				(unsigned long long)f->count,
				f->count == 1 ? "" : "s",
				f->count == 1 ? "s" : "", addr,
				l->closed ?
					", some already closed by the client" :
					"");
			if (proc_done)
				proc_done[emfile_idx] = 1;
		} else if (full) {
			f = listener_finding(out, TL_FIND_ACCEPT_QUEUE_OVERFLOW,
					     TL_SEV_CRITICAL, snap, i, NULL);
			if (!f)
				goto nomem;
			f->example = l->oldest;
			f->count = L->rqueue;
			f->oldest_ms = l->oldest_ms;
			f->has_age = l->has_age;
			f->value = L->drops;
			f->limit = L->wqueue;
			set_summary(
				f,
				"the accept queue of %s (%s) is full: %u connections for a backlog of %u%s; new SYNs are dropped%s",
				addr, who_text(who, sizeof(who), f), L->rqueue,
				L->wqueue,
				stale ? ", and they are not being accepted" :
					"",
				ctr && (ctr->have & TL_CTR_NETSTAT) &&
						ctr->listen_overflows ?
					" (TcpExt ListenOverflows grows)" :
					"");
		} else if (stale) {
			f = listener_finding(out, TL_FIND_NOT_ACCEPTING,
					     l->closed ? TL_SEV_CRITICAL :
							 TL_SEV_WARNING,
					     snap, i, NULL);
			if (!f)
				goto nomem;
			f->example = l->oldest;
			f->count = l->queued;
			f->oldest_ms = l->oldest_ms;
			f->has_age = l->has_age;
			f->value = L->rqueue;
			f->limit = L->wqueue;
			set_summary(
				f,
				"%s is not accepting connections on %s: %llu queued, the oldest for %llu s%s",
				who_text(who, sizeof(who), f), addr,
				(unsigned long long)l->queued,
				(unsigned long long)(l->oldest_ms / 1000),
				l->closed ?
					", some already closed by the client (CLOSE-WAIT in the queue)" :
					"");
		} else if ((L->has & TL_HAS_MEMINFO) && o->drops_min &&
			   L->drops >= o->drops_min) {
			f = listener_finding(out, TL_FIND_ACCEPT_QUEUE_OVERFLOW,
					     TL_SEV_WARNING, snap, i, NULL);
			if (!f)
				goto nomem;
			f->example = l->oldest;
			f->count = L->drops;
			f->value = L->drops;
			f->limit = L->wqueue;
			set_summary(
				f,
				"the listener %s (%s) has dropped %u SYNs since it started (backlog %u, %u queued now)",
				addr, who_text(who, sizeof(who), f), L->drops,
				L->wqueue, L->rqueue);
		}

		if (l->syn >= o->syn_min && L->wqueue > 0) {
			uint64_t limit = L->wqueue;

			if (ctr && (ctr->have & TL_CTR_MAX_SYN_BACKLOG) &&
			    ctr->max_syn_backlog &&
			    ctr->max_syn_backlog < limit)
				limit = ctr->max_syn_backlog;
			if (l->syn * 100 >= limit * o->syn_warn_pct) {
				f = listener_finding(out, TL_FIND_SYN_BACKLOG,
						     l->syn >= limit ?
							     TL_SEV_CRITICAL :
							     TL_SEV_WARNING,
						     snap, i, NULL);
				if (!f)
					goto nomem;
				f->count = l->syn;
				f->value = l->syn;
				f->limit = limit;
				set_summary(
					f,
					"%llu half-open connections (NEW_SYN_RECV) on %s (%s), SYN queue limit %llu",
					(unsigned long long)l->syn, addr,
					who_text(who, sizeof(who), f),
					(unsigned long long)limit);
			}
		}
	}
	free(ls);
	return 0;
nomem:
	free(ls);
	return -ENOMEM;
}

/* Sockets of one state held by one process (or by nobody we could see). */
struct hold {
	uint32_t proc; /* index in owners, UINT32_MAX for unknown */
	uint64_t count, old, oldest_ms;
	const struct tl_sock *first;
};

/*
 * close-wait-leak and fin-wait2-stuck: sockets a program still holds in a
 * state only it (CLOSE_WAIT) or the peer (FIN_WAIT2) can end, for longer
 * than age_ms, grouped by the process holding them.
 */
static int rule_held(const struct tl_snapshot *snap,
		     const struct tl_diag_opts *o, struct flist *out,
		     const uint8_t *proc_done, int state, int kind,
		     uint32_t age_ms)
{
	/* One group a process, and the last one for sockets of no one seen. */
	size_t nh = (snap->owners ? snap->owners->n_procs : 0) + 1;
	struct hold *h = NULL;
	char who[160], addr[80];
	int r = 0;

	r = alloc_zero((void **)&h, nh, sizeof(*h));
	if (r < 0)
		return r;
	for (size_t i = 0; i < nh; i++)
		h[i].proc = i + 1 < nh ? (uint32_t)i : UINT32_MAX;
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *sk = &snap->socks[i];
		const struct tl_fdref *refs;
		size_t gi = nh - 1;
		struct hold *g;
		uint64_t age = 0;
		bool known;

		if (sk->state != state || sk->inode == 0 ||
		    sk->limbo != TL_LIMBO_NONE)
			continue;
		if (tl_snapshot_owners(snap, sk, &refs) > 0 &&
		    refs[0].proc < nh - 1)
			gi = refs[0].proc;
		g = &h[gi];
		/*
		 * The FIN (CLOSE_WAIT) or the ACK of ours (FIN_WAIT2) was the
		 * last segment with an ACK; nothing normally follows, so
		 * last_ack_recv is the time spent in the state.
		 */
		known = sk->has & TL_HAS_INFO;
		if (known)
			age = sk->last_ack_recv_ms;
		g->count++;
		if (known && age >= age_ms) {
			g->old++;
			if (age >= g->oldest_ms) {
				g->oldest_ms = age;
				g->first = sk;
			}
		}
	}
	for (size_t i = 0; i < nh; i++) {
		const struct hold *g = &h[i];
		const struct tl_proc *p = proc_at(snap, g->proc);
		struct tl_finding *f;
		int sev = TL_SEV_WARNING;

		if (g->old == 0 || g->old < o->close_wait_min)
			continue;
		if (kind == TL_FIND_CLOSE_WAIT_LEAK &&
		    (g->old >= o->close_wait_critical || fd_near(p, o) ||
		     (p && proc_done && proc_done[g->proc])))
			sev = TL_SEV_CRITICAL;
		f = flist_add(out, kind, sev);
		if (!f) {
			r = -ENOMEM;
			goto out;
		}
		if (p)
			add_pid(f, p->pid, p->comm);
		if (g->first) {
			add_owners(snap, f, g->first);
			set_local(f, g->first);
			f->example = (uint32_t)(g->first - snap->socks) + 1;
		}
		f->count = g->old;
		f->oldest_ms = g->oldest_ms;
		f->has_age = true;
		f->value = g->count;
		addr_text(addr, sizeof(addr), f->family, f->local_addr,
			  f->local_port);
		if (kind == TL_FIND_CLOSE_WAIT_LEAK)
			set_summary(
				f,
				"%s holds %llu connection%s its peer closed more than %u s ago (CLOSE-WAIT, oldest %llu s, e.g. %s); it never calls close()",
				who_text(who, sizeof(who), f),
				(unsigned long long)g->old,
				g->old == 1 ? "" : "s", age_ms / 1000,
				(unsigned long long)(g->oldest_ms / 1000),
				addr);
		else
			set_summary(
				f,
				"%s holds %llu half-closed connection%s whose peer has not closed for more than %u s (FIN-WAIT-2, oldest %llu s, e.g. %s)",
				who_text(who, sizeof(who), f),
				(unsigned long long)g->old,
				g->old == 1 ? "" : "s", age_ms / 1000,
				(unsigned long long)(g->oldest_ms / 1000),
				addr);
	}
out:
	free(h);
	return r;
}

/* fd-exhaustion for processes holding sockets here, not yet reported. */
static int rule_fds(const struct tl_snapshot *snap,
		    const struct tl_diag_opts *o, struct flist *out,
		    uint8_t *proc_done)
{
	const struct tl_owners *ow = snap->owners;
	uint8_t *here = NULL;
	char who[160];
	int r;

	if (!ow || ow->n_procs == 0)
		return 0;
	r = alloc_zero((void **)&here, ow->n_procs, 1);
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
	for (size_t k = 0; k < ow->n_procs; k++) {
		const struct tl_proc *p = &ow->procs[k];
		struct tl_finding *f;

		if (!here[k] || proc_done[k] || !fd_near(p, o))
			continue;
		f = flist_add(out, TL_FIND_FD_EXHAUSTION,
			      fd_at_limit(p) ? TL_SEV_CRITICAL :
					       TL_SEV_WARNING);
		if (!f) {
			free(here);
			return -ENOMEM;
		}
		add_pid(f, p->pid, p->comm);
		f->count = p->nfds;
		f->value = p->nfds;
		f->limit = p->nofile;
		set_summary(
			f, "%s has %u of %llu fds open (RLIMIT_NOFILE)%s",
			who_text(who, sizeof(who), f), p->nfds,
			(unsigned long long)p->nofile,
			fd_at_limit(p) ?
				": accept(), socket() and open() fail with EMFILE" :
				"");
		proc_done[k] = 1;
	}
	free(here);
	return 0;
}

static int cmp_sockp(const void *a, const void *b)
{
	const struct tl_sock *x = *(const struct tl_sock *const *)a;
	const struct tl_sock *y = *(const struct tl_sock *const *)b;
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	c = memcmp(x->src, y->src, 16);
	if (c)
		return c;
	c = memcmp(x->dst, y->dst, 16);
	if (c)
		return c;
	if (x->dport != y->dport)
		return x->dport < y->dport ? -1 : 1;
	return 0;
}

/*
 * time-wait-pressure: local ports of the ephemeral range in use towards
 * one destination (same local address), against the size of the range.
 */
static int rule_ports(const struct tl_snapshot *snap,
		      const struct tl_counters *ctr,
		      const struct tl_diag_opts *o, struct flist *out)
{
	const struct tl_sock **v = NULL;
	uint8_t *listening = NULL;
	uint64_t range, tw_total = 0;
	size_t nv = 0;
	char who[160], addr[80], dst[80];
	int r = 0;

	if (!ctr || !(ctr->have & TL_CTR_PORT_RANGE))
		goto buckets;
	range = ctr->port_hi - ctr->port_lo + 1;
	r = alloc_zero((void **)&v, snap->n_socks, sizeof(*v));
	if (r < 0)
		return r;
	listening = calloc(65536 / 8, 1);
	if (!listening) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < snap->n_socks; i++)
		if (snap->socks[i].state == TL_LISTEN)
			listening[snap->socks[i].sport / 8] |=
				(uint8_t)(1u << (snap->socks[i].sport % 8));
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *sk = &snap->socks[i];

		if (sk->state == TL_LISTEN || sk->state == TL_NEW_SYN_RECV ||
		    sk->limbo == TL_LIMBO_ACCEPT_QUEUE)
			continue;
		if (sk->sport < ctr->port_lo || sk->sport > ctr->port_hi)
			continue;
		/* The server side of accepted connections uses no new port. */
		if (listening[sk->sport / 8] & (1u << (sk->sport % 8)))
			continue;
		v[nv++] = sk;
	}
	if (nv > 1)
		qsort(v, nv, sizeof(*v), cmp_sockp);
	for (size_t i = 0; i < nv;) {
		size_t j = i;
		uint64_t tw = 0;
		struct tl_finding *f;
		int sev;

		while (j < nv && cmp_sockp(&v[i], &v[j]) == 0) {
			if (v[j]->state == TL_TIME_WAIT)
				tw++;
			j++;
		}
		if ((j - i) * 100 < range * o->port_warn_pct || tw == 0) {
			i = j;
			continue;
		}
		sev = (j - i) * 100 >= range * o->port_crit_pct ?
			      TL_SEV_CRITICAL :
			      TL_SEV_WARNING;
		f = flist_add(out, TL_FIND_TIME_WAIT_PRESSURE, sev);
		if (!f) {
			r = -ENOMEM;
			goto out;
		}
		for (size_t k = i; k < j; k++)
			add_owners(snap, f, v[k]);
		f->family = v[i]->family;
		memcpy(f->local_addr, v[i]->src, 16);
		memcpy(f->remote_addr, v[i]->dst, 16);
		f->remote_port = v[i]->dport;
		f->example = (uint32_t)(v[i] - snap->socks) + 1;
		f->count = j - i;
		f->value = tw;
		f->limit = range;
		inet_ntop(f->family == AF_INET6 ? AF_INET6 : AF_INET,
			  f->local_addr, addr, sizeof(addr));
		addr_text(dst, sizeof(dst), f->family, f->remote_addr,
			  f->remote_port);
		set_summary(
			f,
			"%llu of the %llu ephemeral ports from %s to %s are taken (%llu in TIME-WAIT)%s%s",
			(unsigned long long)(j - i), (unsigned long long)range,
			addr, dst, (unsigned long long)tw,
			f->n_pids ? ", connections by " : "",
			f->n_pids ? who_text(who, sizeof(who), f) : "");
		i = j;
	}
buckets:
	for (size_t i = 0; i < snap->n_socks; i++)
		if (snap->socks[i].state == TL_TIME_WAIT)
			tw_total++;
	if (ctr && (ctr->have & TL_CTR_MAX_TW) && ctr->max_tw_buckets &&
	    tw_total * 100 >= ctr->max_tw_buckets * o->port_warn_pct) {
		struct tl_finding *f =
			flist_add(out, TL_FIND_TIME_WAIT_PRESSURE,
				  tw_total * 100 >= ctr->max_tw_buckets *
							    o->port_crit_pct ?
					  TL_SEV_CRITICAL :
					  TL_SEV_WARNING);

		if (!f) {
			r = -ENOMEM;
			goto out;
		}
		f->count = tw_total;
		f->value = tw_total;
		f->limit = ctr->max_tw_buckets;
		set_summary(
			f,
			"%llu TIME-WAIT sockets of at most %llu (net.ipv4.tcp_max_tw_buckets); past it the kernel skips TIME-WAIT",
			(unsigned long long)tw_total,
			(unsigned long long)ctr->max_tw_buckets);
	}
out:
	free(listening);
	free(v);
	return r;
}

/* orphan-pressure: the kernel's orphan count against tcp_max_orphans. */
static int rule_orphans(const struct tl_snapshot *snap,
			const struct tl_counters *ctr,
			const struct tl_diag_opts *o, struct flist *out)
{
	struct tl_finding *f;
	uint64_t orphans;

	if (!ctr || !(ctr->have & TL_CTR_SOCKSTAT) ||
	    !(ctr->have & TL_CTR_MAX_ORPHANS) || ctr->max_orphans == 0)
		return 0;
	orphans = ctr->tcp_orphan;
	if (orphans * 100 < ctr->max_orphans * o->orphan_warn_pct)
		return 0;
	f = flist_add(out, TL_FIND_ORPHAN_PRESSURE,
		      orphans * 100 >= ctr->max_orphans * o->orphan_crit_pct ?
			      TL_SEV_CRITICAL :
			      TL_SEV_WARNING);
	if (!f)
		return -ENOMEM;
	f->count = 0;
	for (size_t i = 0; i < snap->n_socks; i++)
		if (snap->socks[i].limbo == TL_LIMBO_ORPHAN)
			f->count++;
	f->value = orphans;
	f->limit = ctr->max_orphans;
	set_summary(
		f,
		"%llu orphaned sockets of at most %llu (net.ipv4.tcp_max_orphans); %llu of them here",
		(unsigned long long)orphans,
		(unsigned long long)ctr->max_orphans,
		(unsigned long long)f->count);
	return 0;
}

/* Sort: most severe group first; a group is the findings of one pid. */
struct sortent {
	struct tl_finding f;
	int group_sev;
};

static pid_t first_pid(const struct tl_finding *f)
{
	return f->n_pids ? f->pids[0] : 0;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = first_pid(&((const struct sortent *)a)->f);
	pid_t y = first_pid(&((const struct sortent *)b)->f);

	return x < y ? -1 : x > y;
}

static int cmp_final(const void *a, const void *b)
{
	const struct sortent *x = a, *y = b;
	pid_t px = first_pid(&x->f), py = first_pid(&y->f);

	if (x->group_sev != y->group_sev)
		return x->group_sev > y->group_sev ? -1 : 1;
	/* Findings with a process before host-wide ones. */
	if ((px == 0) != (py == 0))
		return px == 0 ? 1 : -1;
	if (px != py)
		return px < py ? -1 : 1;
	if (x->f.severity != y->f.severity)
		return x->f.severity > y->f.severity ? -1 : 1;
	if (x->f.kind != y->f.kind)
		return x->f.kind < y->f.kind ? -1 : 1;
	return x->f.local_port < y->f.local_port ? -1 :
	       x->f.local_port > y->f.local_port ? 1 :
						   0;
}

static int sort_findings(struct flist *l)
{
	struct sortent *e;

	if (l->n < 2)
		return 0;
	e = calloc(l->n, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++)
		e[i].f = l->v[i];
	qsort(e, l->n, sizeof(*e), cmp_pid);
	for (size_t i = 0; i < l->n;) {
		size_t j = i;
		int sev = 0;

		while (j < l->n && first_pid(&e[j].f) == first_pid(&e[i].f)) {
			if (e[j].f.severity > sev)
				sev = e[j].f.severity;
			j++;
		}
		for (size_t k = i; k < j; k++)
			e[k].group_sev = first_pid(&e[k].f) ? sev :
							      e[k].f.severity;
		i = j;
	}
	qsort(e, l->n, sizeof(*e), cmp_final);
	for (size_t i = 0; i < l->n; i++)
		l->v[i] = e[i].f;
	free(e);
	return 0;
}

int tl_diagnose(const struct tl_snapshot *snap, const struct tl_counters *ctr,
		const struct tl_diag_opts *opts, struct tl_finding **ret)
{
	struct tl_diag_opts defaults;
	struct flist out = { 0 };
	uint8_t *proc_done = NULL;
	int r;

	*ret = NULL;
	if (!opts) {
		tl_diag_opts_init(&defaults);
		opts = &defaults;
	}
	if (snap->owners) {
		r = alloc_zero((void **)&proc_done, snap->owners->n_procs, 1);
		if (r < 0)
			return r;
	}
	r = rule_listeners(snap, ctr, opts, &out, proc_done);
	if (r >= 0)
		r = rule_held(snap, opts, &out, proc_done, TL_CLOSE_WAIT,
			      TL_FIND_CLOSE_WAIT_LEAK, opts->close_wait_age_ms);
	if (r >= 0)
		r = rule_held(snap, opts, &out, proc_done, TL_FIN_WAIT2,
			      TL_FIND_FIN_WAIT2_STUCK, opts->fin_wait2_age_ms);
	if (r >= 0 && proc_done)
		r = rule_fds(snap, opts, &out, proc_done);
	if (r >= 0)
		r = rule_ports(snap, ctr, opts, &out);
	if (r >= 0)
		r = rule_orphans(snap, ctr, opts, &out);
	if (r >= 0)
		r = sort_findings(&out);
	free(proc_done);
	if (r < 0) {
		free(out.v);
		return r;
	}
	if (out.n == 0) {
		free(out.v);
		return 0;
	}
	*ret = out.v;
	return (int)out.n;
}
