// SPDX-License-Identifier: MIT
/*
 * The doctor's rules. Each rule looks at one kind of limbo in a snapshot,
 * measures how long it has lasted where the kernel says so, and names the
 * processes that hold the sockets (or the listener they wait on). The
 * thresholds keep healthy traffic quiet: short queueing, brief CLOSE_WAIT
 * and ordinary TIME_WAIT are how TCP works, not findings.
 *
 * This file holds what every rule shares (the texts of each kind, the
 * helpers that start and word a finding), the table of rules and the
 * order of findings; the rules themselves live in lib/rules_*.c, one
 * function a kind.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diagnose_int.h"
#include "tcplimbo/diagnose.h"
#include "tcplimbo/tcpstate.h"
#include "util.h"

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
		"The kernel, not accept(), completes the handshake: a new connection is ESTABLISHED and waits in the listener's accept queue, with no fd and so no owner, until the program calls accept(). Data the client sends is buffered there; when the client gives up and closes, the queued socket moves to CLOSE-WAIT, and only the program can leave CLOSE-WAIT. A connection queued this long has waited longer than a working accept loop would let it.",
	[TL_FIND_ACCEPT_QUEUE_OVERFLOW] =
		"A listener's accept queue holds at most backlog+1 completed connections. Once it is full, the kernel drops new SYNs (and handshake ACKs): clients see connect() time out or retry, and TcpExt ListenOverflows/ListenDrops grow.",
	[TL_FIND_FD_EXHAUSTION] =
		"The process has (nearly) as many open files as RLIMIT_NOFILE allows. accept() then fails with EMFILE and leaves the connection in the accept queue, where it stays ESTABLISHED (or CLOSE-WAIT once the client gives up); an event loop woken for the listener can spin on the failing accept(). Where one fd is still free, accept() takes it and what the program opens next fails instead (a pipe, a log file, a connection to its backend): then it accepts and drops each client at once, and its queue stays empty.",
	[TL_FIND_CLOSE_WAIT_LEAK] =
		"CLOSE-WAIT means the peer sent its FIN and the kernel acknowledged it; the connection stays there until this program calls close(). No timer ends CLOSE-WAIT, so sockets that stay for long are usually leaked: the program missed read() returning 0 or lost the fd on an error path (a program that is stopped or blocked does not close them either).",
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
		"Look for an fd leak (ls -l /proc/PID/fd); raise the limit if the load is real (ulimit -n, LimitNOFILE= in systemd, a container's --ulimit nofile=N, or the program's own setting where it sets its limit itself, such as memcached -c). In the program, handle EMFILE from accept(): keep a spare fd to close, then accept and close the waiting connection, or back off instead of retrying at once.",
	[TL_FIND_CLOSE_WAIT_LEAK] =
		"If the program has lost track of a connection, fix it to close() a connection when read() returns 0 or an error, on every path (connection pools included). If it is still busy with the request (a long query, a sleep, a lock), the connection closes when the request ends: a timeout on the request, or on the call it waits in, bounds that. Restarting the process releases the sockets; ss -K cannot, since the fd stays open.",
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

/*
 * The CLOSE-WAIT past its age held by processes with fewer than
 * close_wait_min of them: close-wait-leak's grouping (by the first
 * process that holds each; those no process seen holds, a server's by
 * its port and a client's by its peer), so that what --close-wait-min
 * hides is said.
 */
struct few_key {
	uint8_t server;
	uint8_t addr[16];
	uint16_t port;
};

static int cmp_few(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct few_key));
}

static void few_add(struct tl_diag_young *ret, uint64_t n, uint32_t min)
{
	if (n && n < min) {
		ret->close_wait_few += n;
		ret->close_wait_few_holders++;
	}
}

static void young_few(const struct tl_snapshot *snap,
		      const struct tl_diag_opts *opts,
		      struct tl_diag_young *ret)
{
	size_t np = snap->owners ? snap->owners->n_procs : 0, nu = 0;
	uint64_t *n = NULL;
	struct few_key *u = NULL;
	uint8_t *listening = NULL;

	if (opts->close_wait_min <= 1)
		return;
	n = calloc(np + 1, sizeof(*n));
	u = calloc(snap->n_socks + 1, sizeof(*u));
	listening = tli_diag_listening_ports(snap);
	if (!n || !u || !listening)
		goto out;
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *sk = &snap->socks[i];
		const struct tl_fdref *refs;
		uint64_t age;

		if (sk->state != TL_CLOSE_WAIT || !diag_held(sk) ||
		    !diag_held_age(sk, &age) || age < opts->close_wait_age_ms)
			continue;
		if (tl_snapshot_owners(snap, sk, &refs) > 0 &&
		    refs[0].proc < np) {
			n[refs[0].proc]++;
			continue;
		}
		u[nu].server = tli_diag_port_in(listening, sk->sport);
		if (u[nu].server) {
			u[nu].port = sk->sport;
		} else {
			memcpy(u[nu].addr, sk->dst, 16);
			u[nu].port = sk->dport;
		}
		nu++;
	}
	for (size_t i = 0; i < np; i++)
		few_add(ret, n[i], opts->close_wait_min);
	qsort(u, nu, sizeof(*u), cmp_few);
	for (size_t i = 0, j; i < nu; i = j) {
		for (j = i; j < nu && cmp_few(&u[i], &u[j]) == 0; j++)
			;
		few_add(ret, j - i, opts->close_wait_min);
	}
out:
	free(listening);
	free(u);
	free(n);
}

void tl_diag_young(const struct tl_snapshot *snap,
		   const struct tl_counters *ctr,
		   const struct tl_diag_opts *opts, struct tl_diag_young *ret)
{
	/*
	 * Listeners with a connection queued past the age: not-accepting
	 * counts their whole queue, young ones included.
	 */
	bool *told = calloc(snap->n_socks ? snap->n_socks : 1, sizeof(*told));

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; told && i < snap->n_socks; i++) {
		const struct tl_sock *sk = &snap->socks[i];
		uint64_t age;

		if (sk->limbo == TL_LIMBO_ACCEPT_QUEUE && sk->listener &&
		    sk->listener <= snap->n_socks &&
		    tl_diag_queue_age(sk, &age) && age >= opts->queue_age_ms)
			told[sk->listener - 1] = true;
	}
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *sk = &snap->socks[i];
		uint64_t age;

		if (sk->state == TL_LISTEN) {
			uint32_t drops = tli_diag_queue_drops(ctr, sk);

			/* As accept-queue-overflow leaves them out. */
			if ((sk->has & TL_HAS_MEMINFO) && opts->drops_min &&
			    drops >= opts->drops_min &&
			    (!diag_queue_pressed(sk) ||
			     (!diag_queue_full(sk) &&
			      !tli_diag_drops_go_on(opts, ctr, snap, sk)))) {
				if (!ret->drops_listeners++) {
					ret->drops_family = sk->family;
					memcpy(ret->drops_addr, sk->src, 16);
					ret->drops_port = sk->sport;
				}
				ret->drops += drops;
			}
			/* ListenDrops bounds them all together too. */
			if (ctr && (ctr->have & TL_CTR_NETSTAT) &&
			    ret->drops > ctr->listen_drops)
				ret->drops = ctr->listen_drops;
		} else if (sk->limbo == TL_LIMBO_ACCEPT_QUEUE) {
			/*
			 * As not-accepting counts them: by their listener. A
			 * full queue is a finding already, of any age.
			 */
			if (sk->listener == 0 || sk->listener > snap->n_socks ||
			    !tl_diag_queue_age(sk, &age) ||
			    age >= opts->queue_age_ms ||
			    age < opts->queue_age_ms / 10 ||
			    diag_queue_full(&snap->socks[sk->listener - 1]) ||
			    (told && told[sk->listener - 1]))
				continue;
			ret->queued++;
			if (age > ret->queued_oldest_ms)
				ret->queued_oldest_ms = age;
		} else if ((sk->state == TL_CLOSE_WAIT ||
			    sk->state == TL_FIN_WAIT2) &&
			   diag_held(sk) && diag_held_age(sk, &age)) {
			bool cw = sk->state == TL_CLOSE_WAIT;
			uint32_t limit = cw ? opts->close_wait_age_ms :
					      opts->fin_wait2_age_ms;
			uint64_t *n = cw ? &ret->close_wait : &ret->fin_wait2;
			uint64_t *oldest = cw ? &ret->close_wait_oldest_ms :
						&ret->fin_wait2_oldest_ms;

			if (age >= limit || age < limit / 10)
				continue;
			(*n)++;
			if (age > *oldest)
				*oldest = age;
		}
	}
	free(told);
	young_few(snap, opts, ret);
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

struct tl_finding *tli_diag_add(struct diag *d, int kind, int sev)
{
	struct tl_finding *f;

	if (d->n == d->cap &&
	    tli_grow((void **)&d->v, &d->cap, sizeof(*d->v), 8) < 0)
		return NULL;
	f = &d->v[d->n++];
	memset(f, 0, sizeof(*f));
	f->kind = (uint8_t)kind;
	f->severity = (uint8_t)sev;
	f->state = kind_state[kind];
	f->explanation = explanations[kind];
	f->remedy = remedies[kind];
	return f;
}

/*
 * The summary is for people, the numbers are in the fields: a long one is
 * cut.
 */
void tli_diag_summary(struct tl_finding *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->summary, sizeof(f->summary), fmt, ap);
	va_end(ap);
}

size_t tli_diag_stored_pids(const struct tl_finding *f)
{
	return f->n_pids < TL_FINDING_PIDS_MAX ? f->n_pids :
						 TL_FINDING_PIDS_MAX;
}

void tli_diag_add_pid(struct tl_finding *f, pid_t pid, const char *comm)
{
	size_t n = tli_diag_stored_pids(f);

	for (size_t i = 0; i < n; i++)
		if (f->pids[i] == pid)
			return;
	if (f->n_pids == 0 && comm)
		snprintf(f->comm, sizeof(f->comm), "%s", comm);
	if (f->n_pids < TL_FINDING_PIDS_MAX)
		f->pids[f->n_pids] = pid;
	f->n_pids++;
}

void tli_diag_add_owners(const struct tl_snapshot *snap, struct tl_finding *f,
			 const struct tl_sock *sk)
{
	const struct tl_fdref *refs;
	size_t n = tl_snapshot_owners(snap, sk, &refs);

	for (size_t i = 0; i < n; i++) {
		const struct tl_proc *p = tli_diag_proc_at(snap, refs[i].proc);

		if (p)
			tli_diag_add_pid(f, p->pid, p->comm);
	}
}

void tli_diag_set_local(struct tl_finding *f, const struct tl_sock *sk)
{
	f->family = sk->family;
	memcpy(f->local_addr, sk->src, sizeof(f->local_addr));
	f->local_port = sk->sport;
}

/*
 * The pid among f's that is the parent of all the others (a pre-forking
 * server's master and its workers), or 0.
 */
static pid_t master_of(const struct tl_snapshot *snap,
		       const struct tl_finding *f)
{
	size_t n = tli_diag_stored_pids(f);

	if (n < 2 || !snap->owners)
		return 0;
	for (size_t m = 0; m < n; m++) {
		size_t k = 0;

		for (; k < n; k++) {
			const struct tl_proc *p;

			if (k == m)
				continue;
			p = tl_owners_proc(snap->owners, f->pids[k]);
			if (!p || p->ppid != f->pids[m])
				break;
		}
		if (k == n)
			return f->pids[m];
	}
	return 0;
}

const char *tl_age_str(char buf[TL_AGE_STR_MAX], uint64_t ms)
{
	unsigned long long s = ms / 1000, tenth = ms % 1000 / 100;

	if (ms < 100)
		snprintf(buf, TL_AGE_STR_MAX, "%llu ms",
			 (unsigned long long)ms);
	else if (tenth && s < 10)
		snprintf(buf, TL_AGE_STR_MAX, "%llu.%llu s", s, tenth);
	else
		snprintf(buf, TL_AGE_STR_MAX, "%llu s", s);
	return buf;
}

bool tli_diag_plural(const struct tl_snapshot *snap, const struct tl_finding *f)
{
	return f->n_pids > 1 && !master_of(snap, f);
}

/* Whether f's pids are not all of one comm (each known to the owners). */
static bool comms_differ(const struct tl_snapshot *snap,
			 const struct tl_finding *f)
{
	size_t n = tli_diag_stored_pids(f);

	for (size_t i = 0; snap->owners && i < n; i++) {
		const struct tl_proc *p =
			tl_owners_proc(snap->owners, f->pids[i]);

		if (!p)
			return false;
		if (strcmp(p->comm, f->comm) != 0)
			return true;
	}
	return false;
}

/* Appends f's pids but skip to buf at off: "1, 2 and 3 more". */
static size_t pid_list(char *buf, size_t size, size_t off,
		       const struct tl_finding *f, pid_t skip)
{
	size_t n = tli_diag_stored_pids(f);
	bool first = true;

	for (size_t i = 0; i < n && off < size; i++) {
		if (f->pids[i] == skip)
			continue;
		off += (size_t)snprintf(buf + off, size - off, "%s%d",
					first ? "" : ", ", (int)f->pids[i]);
		first = false;
	}
	if (off < size && f->n_pids > n)
		off += (size_t)snprintf(buf + off, size - off, " and %zu more",
					f->n_pids - n);
	return off;
}

/*
 * Whether comm is a server known to pre-fork workers that share its
 * listener, and to call them so: only of these are a parent and its
 * children of the same name told as master and workers (of another, the
 * roles would be our guess).
 */
static bool prefork_server(const char *comm)
{
	static const char *const names[] = {
		"nginx",    "apache2", "httpd",	   "php-fpm",	"uwsgi",
		"gunicorn", "unicorn", "puma",	   "haproxy",	"lighttpd",
		"postgres", "dovecot", "varnishd", "openresty",
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		size_t n = strlen(names[i]);

		/* php-fpm8.2, puma 6.4.0 (app): a version or title after. */
		if (strncmp(comm, names[i], n) == 0 &&
		    (comm[n] == '\0' || comm[n] == ' ' || comm[n] == ':' ||
		     (comm[n] >= '0' && comm[n] <= '9')))
			return true;
	}
	return false;
}

const char *tli_diag_who_text(char *buf, size_t size,
			      const struct tl_snapshot *snap,
			      const struct tl_finding *f)
{
	pid_t master = master_of(snap, f);
	size_t off;

	if (f->n_pids == 0) {
		/*
		 * Every process's fds were read and none holds it: it is held
		 * where no fd table shows it, not by a process we missed.
		 */
		if (diag_all_read(snap))
			snprintf(buf, size,
				 "a holder in no process's fds (a socket in "
				 "flight in a unix socket's message, or in an "
				 "io_uring's registered files)");
		else if (f->sock && f->sock <= snap->n_socks)
			/* Its uid, from the kernel: whose fds to look in. */
			snprintf(buf, size, "a holder not seen (socket uid %u)",
				 snap->socks[f->sock - 1].uid);
		else
			snprintf(buf, size, "a holder not seen");
		return buf;
	}
	if (master) {
		/*
		 * Named by the parent, whatever pid came first. Children of
		 * another program (the server inetd started, a program a
		 * shell script runs) are no workers of a pre-forked server:
		 * named apart, as a parent's children; and so are those of a
		 * program not known to pre-fork.
		 */
		const struct tl_proc *m = tl_owners_proc(snap->owners, master);
		const struct tl_proc *w = tl_owners_proc(
			snap->owners, f->pids[f->pids[0] == master ? 1 : 0]);
		const char *name = m ? m->comm : f->comm;

		if (w && strcmp(w->comm, name) != 0)
			off = (size_t)snprintf(buf, size,
					       "%s (parent %d) with %s "
					       "(child%s ",
					       name, (int)master, w->comm,
					       f->n_pids > 2 ? "ren" : "");
		else if (prefork_server(name))
			off = (size_t)snprintf(buf, size,
					       "%s (master %d, worker%s ", name,
					       (int)master,
					       f->n_pids > 2 ? "s" : "");
		else
			off = (size_t)snprintf(buf, size,
					       "%s (parent %d, child%s ", name,
					       (int)master,
					       f->n_pids > 2 ? "ren" : "");
		off = pid_list(buf, size, off, f, master);
		if (off < size)
			snprintf(buf + off, size - off, ")");
		return buf;
	}
	off = (size_t)snprintf(buf, size, "pid%s ", f->n_pids > 1 ? "s" : "");
	if (!comms_differ(snap, f)) {
		off = pid_list(buf, size, off, f, 0);
		if (off < size)
			snprintf(buf + off, size - off, " (%s)", f->comm);
		return buf;
	}
	/* A chain of different programs (NSD's xfrd, main and server): each
	 * named, so that no pid bears another's name. */
	for (size_t i = 0; i < tli_diag_stored_pids(f) && off < size; i++) {
		const struct tl_proc *p =
			tl_owners_proc(snap->owners, f->pids[i]);

		off += (size_t)snprintf(buf + off, size - off, "%s%d (%s)",
					i ? ", " : "", (int)f->pids[i],
					p ? p->comm : "?");
	}
	if (off < size && f->n_pids > tli_diag_stored_pids(f))
		snprintf(buf + off, size - off, " and %zu more",
			 f->n_pids - tli_diag_stored_pids(f));
	return buf;
}

const struct tl_proc *tli_diag_proc_at(const struct tl_snapshot *snap,
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

bool tli_diag_fd_near(const struct tl_proc *p, const struct tl_diag_opts *o)
{
	return fd_known(p) &&
	       (uint64_t)p->nfds * 100 >= p->nofile * o->fd_warn_pct;
}

bool tli_diag_fd_at_limit(const struct tl_proc *p)
{
	return fd_known(p) && p->nfds >= p->nofile;
}

const char *tli_diag_fds_text(char *buf, size_t size, const struct tl_proc *p)
{
	if (fd_known(p) && p->nfds > p->nofile)
		snprintf(buf, size, "%u fds open, more than its limit of %llu",
			 p->nfds, (unsigned long long)p->nofile);
	else
		snprintf(buf, size, "%u of %llu fds open", p->nfds,
			 (unsigned long long)p->nofile);
	return buf;
}

int tli_diag_alloc_zero(void **p, size_t n, size_t size)
{
	*p = n ? calloc(n, size) : NULL;
	return (n && !*p) ? -ENOMEM : 0;
}

struct tl_finding *tli_diag_add_listener(struct diag *d, int kind, int sev,
					 size_t i)
{
	const struct tl_sock *L = &d->snap->socks[i];
	struct tl_finding *f = tli_diag_add(d, kind, sev);

	if (!f)
		return NULL;
	tli_diag_add_owners(d->snap, f, L);
	tli_diag_set_local(f, L);
	f->sock = (uint32_t)i + 1;
	return f;
}

/*
 * The rules in the order they run. fd-exhaustion comes first: a listener
 * whose process is out of fds is reported as that, not also as a queue
 * that is full or not accepted. The order of the output is
 * tl_findings_sort's, not this one's.
 */
static const diag_rule_fn rules[] = {
	tli_diag_rule_fd_exhaustion, tli_diag_rule_overflow,
	tli_diag_rule_not_accepting, tli_diag_rule_syn_backlog,
	tli_diag_rule_close_wait,    tli_diag_rule_fin_wait2,
	tli_diag_rule_time_wait,     tli_diag_rule_orphans,
};

/* Sort: most severe group first; a group is the findings of one pid. */
struct sortent {
	struct tl_finding f;
	int group_sev;
};

static pid_t first_pid(const struct tl_finding *f)
{
	return f->n_pids ? f->pids[0] : 0;
}

static int cmp_group(const void *a, const void *b)
{
	const struct tl_finding *x = &((const struct sortent *)a)->f;
	const struct tl_finding *y = &((const struct sortent *)b)->f;
	pid_t px = first_pid(x), py = first_pid(y);

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return px < py ? -1 : px > py;
}

static int cmp_final(const void *a, const void *b)
{
	const struct sortent *x = a, *y = b;
	pid_t px = first_pid(&x->f), py = first_pid(&y->f);

	if (x->group_sev != y->group_sev)
		return x->group_sev > y->group_sev ? -1 : 1;
	if (x->f.group != y->f.group)
		return x->f.group < y->f.group ? -1 : 1;
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

/*
 * A master and its workers are told by the master: first among the pids,
 * its name the finding's, whatever the order of their pids (a worker's
 * is lower once pids wrap).
 */
static void master_first(const struct tl_snapshot *snap, struct tl_finding *f)
{
	pid_t m = master_of(snap, f);
	const struct tl_proc *p;
	size_t i = 0;

	if (!m || f->pids[0] == m)
		return;
	while (f->pids[i] != m)
		i++;
	memmove(&f->pids[1], &f->pids[0], i * sizeof(f->pids[0]));
	f->pids[0] = m;
	p = tl_owners_proc(snap->owners, m);
	if (p)
		snprintf(f->comm, sizeof(f->comm), "%s", p->comm);
}

int tl_findings_sort(struct tl_finding *v, size_t n)
{
	struct sortent *e;

	if (n < 2)
		return 0;
	e = calloc(n, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		e[i].f = v[i];
	qsort(e, n, sizeof(*e), cmp_group);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		int sev = 0;

		while (j < n && cmp_group(&e[j], &e[i]) == 0) {
			if (e[j].f.severity > sev)
				sev = e[j].f.severity;
			j++;
		}
		for (size_t k = i; k < j; k++)
			e[k].group_sev = first_pid(&e[k].f) ? sev :
							      e[k].f.severity;
		i = j;
	}
	qsort(e, n, sizeof(*e), cmp_final);
	for (size_t i = 0; i < n; i++)
		v[i] = e[i].f;
	free(e);
	return 0;
}

int tl_diagnose(const struct tl_snapshot *snap, const struct tl_counters *ctr,
		const struct tl_diag_opts *opts, struct tl_finding **ret)
{
	struct tl_diag_opts defaults;
	struct diag d = { .snap = snap, .ctr = ctr, .o = opts };
	int r;

	*ret = NULL;
	if (!opts) {
		tl_diag_opts_init(&defaults);
		d.o = &defaults;
	}
	r = tli_diag_alloc_zero((void **)&d.proc_done,
				snap->owners ? snap->owners->n_procs : 0, 1);
	if (r >= 0)
		r = tli_diag_listener_stats(&d);
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(rules); i++)
		r = rules[i](&d);
	for (size_t i = 0; r >= 0 && i < d.n; i++)
		master_first(snap, &d.v[i]);
	if (r >= 0)
		r = tl_findings_sort(d.v, d.n);
	free(d.proc_done);
	free(d.ls);
	if (r < 0 || d.n == 0) {
		free(d.v);
		return r < 0 ? r : 0;
	}
	*ret = d.v;
	return (int)d.n;
}
