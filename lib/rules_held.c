// SPDX-License-Identifier: MIT
/*
 * The rules about connections a program holds in a state it or its peer
 * never leaves (close-wait-leak, fin-wait2-stuck). The host's ports and
 * orphans are lib/rules_ports.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diagnose_int.h"
#include "internal.h"
#include "tcplimbo/diagnose.h"
#include "tcplimbo/owners.h"

/*
 * Sockets of one state held by one process, or by a process we could not
 * see: those are told apart by where they lead (see struct unseen).
 */
struct hold {
	uint32_t proc; /* index in owners, UINT32_MAX for unknown */
	uint64_t count, old, oldest_ms;
	uint64_t unread;     /* of old, with data the program never read */
	uint64_t part;	     /* of those, some of whose data it did read */
	uint32_t unread_max; /* the largest Recv-Q of those */
	const struct tl_sock *first;
	/*
	 * Of old, the connections the program opened itself (CLOSE-WAIT
	 * only): the oldest of them, and whether they lead to more than
	 * one server.
	 */
	uint64_t out;
	const struct tl_sock *first_out, *first_in;
	uint64_t first_out_ms, first_in_ms;
	bool out_many;
};

/*
 * The remedy of a CLOSE-WAIT finding whose sockets all still hold what
 * their clients sent: taken, never served.
 */
static const char unread_remedy[] =
	"These connections were accepted but never served: the program has not read what their clients sent, so it is not a missed end of file but a queue inside the program that does not move (every worker busy or stuck, a worker that blocks its event loop, connections handed to a process that does not take them, as Node's cluster primary holds them for its workers). See what its threads or workers are doing; more workers, a limit on queued connections or a timeout on requests lets it catch up. Restarting the process releases the sockets.";

/*
 * The remedy of a CLOSE-WAIT finding whose sockets the program opened
 * itself: it is the client, and the servers have closed.
 */
static const char client_remedy[] =
	"The program opened these connections itself and the server closed them: the program does not read them, or misses read() returning 0, and does not close them. Connection pools and keep-alive clients do this when they keep idle connections without watching them. Fix the program to close() a connection when read() returns 0 or an error, or have its pool check idle connections and drop the ones the server closed (an idle timeout shorter than the server's keeps them from piling up). Restarting the process releases the sockets; ss -K cannot, since the fd stays open.";

/*
 * The remedy of a CLOSE-WAIT finding whose sockets a program holds only
 * because it inherited them from the server that accepted them.
 */
#define INHERITED_REMEDY \
	"The server that holds the listener accepted these connections and started this program, which inherited their fds because they were not marked close-on-exec: the server has closed its copy, but the child's copy keeps each connection open, in CLOSE-WAIT, for as long as the child runs, and the child does not know it has them. Fix the server: accept with accept4(..., SOCK_CLOEXEC) and create sockets with SOCK_CLOEXEC (look for code that clears FD_CLOEXEC, or a spawn that passes every fd on, such as Python's subprocess with close_fds=False), or close the fds in the child before exec. Ending the child releases the sockets."
static const char inherited_remedy[] = INHERITED_REMEDY;
/* Where the child holds the listener too, it may be a worker on purpose. */
static const char inherited_listener_remedy[] = INHERITED_REMEDY
	" If this program was started to accept on the listener (a supervisor's worker), the leak is its own instead: it must close() a connection when read() returns 0.";

/* Whether process index pi holds sk. */
static bool holds_sock(const struct tl_snapshot *snap, const struct tl_sock *sk,
		       uint32_t pi, int32_t *ret_fd)
{
	const struct tl_fdref *refs;
	size_t n = tl_snapshot_owners(snap, sk, &refs);

	for (size_t k = 0; k < n; k++)
		if (refs[k].proc == pi) {
			if (ret_fd)
				*ret_fd = refs[k].fd;
			return true;
		}
	return false;
}

/* Whether process index pi holds a listener that could have made sk. */
static bool holds_listener_of(const struct tl_snapshot *snap,
			      const struct tl_sock *sk, uint32_t pi)
{
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *l = &snap->socks[i];

		if (l->state == TL_LISTEN && tli_accepted_of(l, sk) &&
		    holds_sock(snap, l, pi, NULL))
			return true;
	}
	return false;
}

/*
 * Whether processes pi and qi hold one listener that could have made sk
 * at the same fd, as a program exec'd with its parent's fds does; sets
 * *ret_fd to it.
 */
static bool same_listener_fd(const struct tl_snapshot *snap,
			     const struct tl_sock *sk, uint32_t pi, uint32_t qi,
			     int32_t *ret_fd)
{
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *l = &snap->socks[i];
		int32_t a, b;

		if (l->state == TL_LISTEN && tli_accepted_of(l, sk) &&
		    holds_sock(snap, l, pi, &a) &&
		    holds_sock(snap, l, qi, &b) && a == b) {
			*ret_fd = a;
			return true;
		}
	}
	return false;
}

/* How far up the tree an inherited socket's server is looked for. */
#define ANCESTORS_MAX 8

/*
 * The process that accepted sk when process index pi holds it only by
 * inheritance: an ancestor holds a listener sk could come from, and pi
 * runs another program (its comm differs: it was exec'd, and the fd came
 * along, not marked close-on-exec). A child that runs its parent's
 * program (a server's fork per connection) serves the connection on
 * purpose, and so does one handed it as its standard input or output
 * (inetd) or by a service manager (systemd's Accept=yes, pid 1).
 *
 * Where the listener was not marked close-on-exec either, pi holds it
 * too, at the fd the ancestor holds it at. That is also how a worker
 * program a supervisor starts to accept on the listener looks, so
 * *ret_listener_fd is set to that fd (else -1) for the text to say so.
 * A listener held at another fd was handed over on purpose, and pi is
 * taken to accept on it. Returns the ancestor, or NULL.
 */
static const struct tl_proc *inherited_from(const struct diag *d, uint32_t pi,
					    const struct tl_sock *sk,
					    int32_t *ret_listener_fd)
{
	const struct tl_snapshot *snap = d->snap;
	const struct tl_owners *ow = snap->owners;
	const struct tl_proc *p = tli_diag_proc_at(snap, pi), *q = p;
	int32_t fd = -1;
	bool with_listener;

	*ret_listener_fd = -1;
	if (!p || !sk || !holds_sock(snap, sk, pi, &fd) || fd <= 2)
		return NULL;
	with_listener = holds_listener_of(snap, sk, pi);
	for (int depth = 0; depth < ANCESTORS_MAX; depth++) {
		uint32_t qi;

		if (q->ppid <= 0 || !(q = tl_owners_proc(ow, q->ppid)))
			return NULL;
		qi = (uint32_t)(q - ow->procs);
		if (!holds_listener_of(snap, sk, qi))
			continue;
		if (q->pid == 1 || strcmp(q->comm, p->comm) == 0)
			return NULL;
		/*
		 * Another name need not be another program: a worker forked
		 * without exec may name itself (varnishd's cache-main,
		 * gunicorn's workers with setproctitle), and accepts on the
		 * listener it shares. Where /proc can tell, its image does.
		 */
		if (d->o->live &&
		    tl_proc_same_image(d->o->proc_root, p->pid, q->pid) == 1)
			return NULL;
		if (with_listener &&
		    !same_listener_fd(snap, sk, pi, qi, ret_listener_fd))
			return NULL;
		return q;
	}
	return NULL;
}

uint8_t *tli_diag_listening_ports(const struct tl_snapshot *snap)
{
	uint8_t *bits = calloc(65536 / 8, 1);

	for (size_t i = 0; bits && i < snap->n_socks; i++)
		if (snap->socks[i].state == TL_LISTEN)
			bits[snap->socks[i].sport / 8] |=
				(uint8_t)(1u << (snap->socks[i].sport % 8));
	return bits;
}

bool tli_diag_port_in(const uint8_t *bits, uint16_t port)
{
	return bits[port / 8] & (1u << (port % 8));
}

/*
 * Whether sk is a connection its program opened with connect() rather
 * than accepted: nothing here listens on its local port, and the port is
 * in the range connect() takes ports from (the kernel's default where
 * the counters are not known). A server that has closed its listener
 * still holds its connections on its service's port, outside that range.
 */
static bool outgoing(const struct diag *d, const uint8_t *listening,
		     const struct tl_sock *sk)
{
	uint64_t lo = 32768, hi = 60999;

	if (d->ctr && (d->ctr->have & TL_CTR_PORT_RANGE)) {
		lo = d->ctr->port_lo;
		hi = d->ctr->port_hi;
	}
	return !tli_diag_port_in(listening, sk->sport) && sk->sport >= lo &&
	       sk->sport <= hi;
}

/* Whether two connections lead to the same peer (address and port). */
static bool same_peer(const struct tl_sock *a, const struct tl_sock *b)
{
	return a->family == b->family && a->dport == b->dport &&
	       memcmp(a->dst, b->dst, 16) == 0;
}

/*
 * Where a socket of no known owner leads: a server's connection by its
 * local port (the service it belongs to, on any address), a client's by
 * the peer it connected to. Sockets of owners hidden from us (another
 * user's, hidepid) are grouped so, one finding each, not merged into one.
 */
struct unseen {
	const struct tl_sock *sk;
	bool server;
};

static int cmp_unseen(const void *a, const void *b)
{
	const struct unseen *x = a, *y = b;
	int c;

	if (x->server != y->server)
		return x->server ? -1 : 1;
	if (x->server)
		return x->sk->sport < y->sk->sport ?
			       -1 :
			       x->sk->sport > y->sk->sport;
	if (x->sk->family != y->sk->family)
		return x->sk->family < y->sk->family ? -1 : 1;
	c = memcmp(x->sk->dst, y->sk->dst, 16);
	if (c)
		return c;
	return x->sk->dport < y->sk->dport ? -1 : x->sk->dport > y->sk->dport;
}

/*
 * Counts sk into g: all of them, and those held longer than age_ms; out
 * when the program opened it itself.
 */
static void hold_add(struct hold *g, const struct tl_sock *sk, uint32_t age_ms,
		     bool out)
{
	uint64_t age = 0;

	g->count++;
	if (diag_held_age(sk, &age) && age >= age_ms) {
		g->old++;
		/*
		 * Recv-Q counts the peer's FIN as one byte until read()
		 * returns 0: more is data the program never read.
		 */
		if (sk->state == TL_CLOSE_WAIT && sk->rqueue > 1) {
			g->unread++;
			/*
			 * bytes_received counts the FIN too: more than
			 * Recv-Q, and the program read the rest (php-fpm
			 * reads a request but its last empty record).
			 */
			if ((sk->has & TL_HAS_INFO) &&
			    sk->bytes_received > sk->rqueue)
				g->part++;
			if (sk->rqueue > g->unread_max)
				g->unread_max = sk->rqueue;
		}
		if (age >= g->oldest_ms) {
			g->oldest_ms = age;
			g->first = sk;
		}
		if (out) {
			g->out_many |= g->first_out &&
				       !same_peer(g->first_out, sk);
			if (!g->first_out || age >= g->first_out_ms) {
				g->first_out = sk;
				g->first_out_ms = age;
			}
			g->out++;
		} else if (!g->first_in || age >= g->first_in_ms) {
			g->first_in = sk;
			g->first_in_ms = age;
		}
	}
}

/*
 * "; nor read what their clients sent (Recv-Q up to 79)": said of the
 * group's sockets whose data was never read ("the last of" where some of
 * it was read: not "never served" then), or "". Who sent it depends
 * on the side the program is on: its clients, the servers it connected
 * to, or both (peer).
 */
static const char *unread_text(char *buf, size_t size, const struct hold *g,
			       bool inherited)
{
	const char *one, *many, *served;

	if (g->out == 0) {
		one = "its client";
		many = "their clients";
		/* Taken by a server, not by a program that inherited them. */
		served = inherited ? "" : ": taken, never served";
	} else if (g->out == g->old) {
		one = "the server";
		many = g->out_many ? "the servers" : "the server";
		served = "";
	} else {
		one = "its peer";
		many = "their peers";
		served = "";
	}
	if (g->unread == 0)
		buf[0] = '\0';
	else if (g->unread == g->old && g->part == 0)
		snprintf(buf, size, ", nor read what %s sent (Recv-Q %s%u)%s",
			 g->old == 1 ? one : many, g->old == 1 ? "" : "up to ",
			 g->unread_max, served);
	else if (g->unread == g->old)
		snprintf(buf, size,
			 ", nor read the last of what %s sent (Recv-Q %s%u)",
			 g->old == 1 ? one : many, g->old == 1 ? "" : "up to ",
			 g->unread_max);
	else
		snprintf(
			buf, size,
			"; %llu of them still hold what %s sent, not read (Recv-Q up to %u)",
			(unsigned long long)g->unread,
			g->out == 0	 ? "their client" :
			g->out == g->old ? one :
					   "their peer",
			g->unread_max);
	return buf;
}

/*
 * Who holds g's sockets, into who; returns whether the verb is plural.
 * Holders not seen may be several processes (another user's, whose fds
 * could not be read): they are told as such, with the uid the kernel
 * gives the sockets, not as one unknown process.
 */
static bool held_who(const struct tl_snapshot *snap, const struct tl_finding *f,
		     const struct hold *g, char *who, size_t size)
{
	/* Not looked for: how many hold them is not known either. */
	if (f->n_pids == 0 && g->first && !snap->owners) {
		snprintf(who, size,
			 "the holder (owners not looked for: --no-owners; "
			 "socket uid %u)",
			 (unsigned)g->first->uid);
		return false;
	}
	if (f->n_pids == 0 && g->first && !diag_all_read(snap)) {
		snprintf(who, size,
			 g->old == 1 ?
				 "a process not seen (the socket's uid %u)" :
				 "processes not seen (the sockets' uid %u)",
			 (unsigned)g->first->uid);
		return g->old != 1;
	}
	tli_diag_who_text(who, size, snap, f);
	return tli_diag_plural(snap, f);
}

/*
 * The summary of a CLOSE-WAIT finding. The sockets' side decides the
 * words: a server's connections were accepted from clients, a client's
 * lead to the servers it connected to, which closed them.
 */
static void close_wait_summary(struct diag *d, struct tl_finding *f,
			       const struct hold *g, uint32_t age_ms,
			       bool inherited)
{
	const struct tl_snapshot *snap = d->snap;
	char who[160], addr[80], svc[80], unread[128];
	char age[TL_AGE_STR_MAX], oldest[TL_AGE_STR_MAX];
	bool many = held_who(snap, f, g, who, sizeof(who));
	const char *not_closed = many ? "they have not called close()" :
					"it has not called close()";
	/* One connection is no oldest of several, nor an example. */
	const char *for_ = g->old == 1 ? "for" : "oldest";
	const char *eg = g->old == 1 ? "with" : "e.g. the one with";

	unread_text(unread, sizeof(unread), g, inherited);
	/* The peer tells one connection from another, not our port. */
	if (g->first_in)
		tl_addr_format_port(addr, sizeof(addr), g->first_in->family,
				    g->first_in->dst, g->first_in->dport);
	if (g->first_out)
		tl_addr_format_port(svc, sizeof(svc), g->first_out->family,
				    g->first_out->dst, g->first_out->dport);
	if (g->out == 0)
		tli_diag_summary(
			f,
			"%s %s %llu %s closed more than %s ago (CLOSE-WAIT, %s %s, %s %s); %s%s",
			who, many ? "hold" : "holds",
			(unsigned long long)g->old,
			g->old == 1 ? "connection its peer" :
				      "connections their peers",
			tl_age_str(age, age_ms), for_,
			tl_age_str(oldest, g->oldest_ms), eg, addr, not_closed,
			unread);
	else if (g->out == g->old && !g->out_many)
		tli_diag_summary(
			f,
			"%s %s %llu connection%s to %s that the server closed more than %s ago (CLOSE-WAIT, %s %s); %s%s",
			who, many ? "hold" : "holds",
			(unsigned long long)g->old, g->old == 1 ? "" : "s", svc,
			tl_age_str(age, age_ms), for_,
			tl_age_str(oldest, g->oldest_ms), not_closed, unread);
	else if (g->out == g->old)
		tli_diag_summary(
			f,
			"%s %s %llu connections to servers that closed them more than %s ago (CLOSE-WAIT, oldest %s, e.g. the one to %s); %s%s",
			who, many ? "hold" : "holds",
			(unsigned long long)g->old, tl_age_str(age, age_ms),
			tl_age_str(oldest, g->oldest_ms), svc, not_closed,
			unread);
	else
		tli_diag_summary(
			f,
			"%s %s %llu connections their peers closed more than %s ago (CLOSE-WAIT, oldest %s): %llu accepted from %s (e.g. the one with %s) and %llu opened to %s%s%s; %s%s",
			who, many ? "hold" : "holds",
			(unsigned long long)g->old, tl_age_str(age, age_ms),
			tl_age_str(oldest, g->oldest_ms),
			(unsigned long long)(g->old - g->out),
			g->old - g->out == 1 ? "a client" : "clients", addr,
			(unsigned long long)g->out,
			g->out_many ? "servers (e.g. the one to " : "", svc,
			g->out_many ? ")" : "", not_closed, unread);
}

/*
 * A server's connections held by a program it started (a, see
 * inherited_from), not by itself: the summary names the server and the
 * remedy is the server's.
 */
static void inherited_text(struct diag *d, struct tl_finding *f,
			   const struct hold *g, const struct tl_proc *a,
			   int32_t listener_fd)
{
	const struct tl_proc *p = tli_diag_proc_at(d->snap, g->proc);
	size_t len = strlen(f->summary);
	const char *them = g->old == 1 ? "it" : "them";

	if (!p)
		return;
	f->inherited_from = a->pid;
	if (listener_fd < 0) {
		f->remedy = inherited_remedy;
		snprintf(
			f->summary + len, sizeof(f->summary) - len,
			"; it did not accept %s: pid %d (%s), %s, holds the listener, so pid %d most likely inherited %s when that process started it (fds not marked close-on-exec)",
			them, (int)a->pid, a->comm,
			a->pid == p->ppid ? "its parent" : "an ancestor",
			(int)p->pid, them);
		return;
	}
	f->remedy = inherited_listener_remedy;
	snprintf(
		f->summary + len, sizeof(f->summary) - len,
		"; it holds the listener too, at fd %d as pid %d (%s), %s, does: most likely it inherited both when that process started it (fds not marked close-on-exec) and did not accept %s, unless it was started to accept on that listener itself",
		(int)listener_fd, (int)a->pid, a->comm,
		a->pid == p->ppid ? "its parent" : "an ancestor", them);
}

/*
 * A server an inetd started for a connection, which holds it as its
 * standard input or output (fd 0 to 2) while its parent, of another
 * name, holds the listener it came from (xinetd's wait = no services):
 * the super-server is named, whose limits bound how many such run.
 */
static void inetd_text(struct diag *d, struct tl_finding *f,
		       const struct hold *g, const struct tl_sock *sk)
{
	const struct tl_snapshot *snap = d->snap;
	const struct tl_proc *p = tli_diag_proc_at(snap, g->proc), *q;
	size_t len = strnlen(f->summary, sizeof(f->summary));
	int32_t fd = -1;

	if (!p || !sk || p->ppid <= 1 ||
	    !(q = tl_owners_proc(snap->owners, p->ppid)) ||
	    strcmp(q->comm, p->comm) == 0 ||
	    !holds_sock(snap, sk, g->proc, &fd) || fd > 2 ||
	    !holds_listener_of(snap, sk, (uint32_t)(q - snap->owners->procs)))
		return;
	snprintf(f->summary + len, sizeof(f->summary) - len,
		 "; pid %d (%s), its parent, holds the listener and started "
		 "it with %s as its fd %d, as an inetd starts a service's "
		 "server: %s bound how many such servers run",
		 (int)q->pid, q->comm,
		 g->old == 1 ? "the connection" : "a connection", (int)fd,
		 strcmp(q->comm, "xinetd") == 0 ?
			 "xinetd's instances and per_source" :
			 "the super-server's own limits");
}

/*
 * Why a close-wait-leak below --close-wait-critical is critical: its
 * program is near or at its fd limit, where each such socket is an fd
 * the next accept() needs. Appended to the summary, which otherwise
 * gives a count that reads as a warning's.
 */
static void critical_why(struct tl_finding *f, const struct hold *g,
			 const struct tl_proc *p, const struct tl_diag_opts *o)
{
	size_t len = strnlen(f->summary, sizeof(f->summary));

	if (f->severity != TL_SEV_CRITICAL ||
	    g->old >= o->close_wait_critical || !p || !tli_diag_fd_near(p, o))
		return;
	snprintf(f->summary + len, sizeof(f->summary) - len,
		 "; critical: it has %u of its %llu fds open, and each of "
		 "these holds one",
		 p->nfds, (unsigned long long)p->nofile);
}

/* The finding of one group, when it has enough old sockets. */
static int hold_report(struct diag *d, const struct hold *g, int kind,
		       uint32_t age_ms)
{
	const struct tl_snapshot *snap = d->snap;
	const struct tl_diag_opts *o = d->o;
	const struct tl_proc *p = tli_diag_proc_at(snap, g->proc), *a = NULL;
	struct tl_finding *f;
	char who[160], addr[80], age[TL_AGE_STR_MAX], oldest[TL_AGE_STR_MAX];
	int sev = TL_SEV_WARNING;
	int32_t listener_fd = -1;
	bool many;

	/* --close-wait-min is CLOSE-WAIT's: one held FIN-WAIT-2 is news. */
	if (g->old == 0 ||
	    (kind == TL_FIND_CLOSE_WAIT_LEAK && g->old < o->close_wait_min))
		return 0;
	if (kind == TL_FIND_CLOSE_WAIT_LEAK &&
	    (g->old >= o->close_wait_critical || tli_diag_fd_near(p, o) ||
	     (p && d->proc_done && d->proc_done[g->proc])))
		sev = TL_SEV_CRITICAL;
	f = tli_diag_add(d, kind, sev);
	if (!f)
		return -ENOMEM;
	if (p)
		tli_diag_add_pid(f, p->pid, p->comm);
	tli_diag_add_owners(snap, f, g->first);
	f->example = (uint32_t)(g->first - snap->socks) + 1;
	f->count = g->old;
	f->oldest_ms = g->oldest_ms;
	f->has_age = true;
	f->value = g->count;
	f->unread = g->unread - g->part;
	if (kind == TL_FIND_CLOSE_WAIT_LEAK) {
		/*
		 * A client's connections are told by the server they lead
		 * to: its own ephemeral port names no service.
		 */
		tli_diag_set_local(f, g->out == g->old ? g->first_out :
							 g->first_in);
		if (g->out == g->old) {
			f->local_port = 0;
			memcpy(f->remote_addr, g->first_out->dst, 16);
			f->remote_port = g->first_out->dport;
			f->remedy = client_remedy;
		} else if (g->out == 0 && g->unread == g->old && !g->part) {
			f->remedy = unread_remedy;
		}
		if (g->first_in)
			a = inherited_from(d, g->proc, g->first_in,
					   &listener_fd);
		close_wait_summary(d, f, g, age_ms, a != NULL);
		if (a)
			inherited_text(d, f, g, a, listener_fd);
		else
			inetd_text(d, f, g, g->first_in);
		critical_why(f, g, p, o);
		return 0;
	}
	tli_diag_set_local(f, g->first);
	tl_addr_format_port(addr, sizeof(addr), g->first->family, g->first->dst,
			    g->first->dport);
	many = held_who(snap, f, g, who, sizeof(who));
	tli_diag_summary(
		f,
		"%s %s %llu half-closed connection%s whose peer has not closed for more than %s (FIN-WAIT-2, oldest %s, e.g. the one to %s)",
		who, many ? "hold" : "holds", (unsigned long long)g->old,
		g->old == 1 ? "" : "s", tl_age_str(age, age_ms),
		tl_age_str(oldest, g->oldest_ms), addr);
	return 0;
}

/*
 * close-wait-leak and fin-wait2-stuck: sockets a program still holds in a
 * state only it (CLOSE_WAIT) or the peer (FIN_WAIT2) can end, for longer
 * than age_ms, grouped by the process holding them.
 */
static int rule_held(struct diag *d, int state, int kind, uint32_t age_ms)
{
	const struct tl_snapshot *snap = d->snap;
	size_t np = snap->owners ? snap->owners->n_procs : 0, nu = 0;
	struct hold *h = NULL;
	struct unseen *u = NULL;
	uint8_t *listening = NULL;
	int r;

	r = tli_diag_alloc_zero((void **)&h, np, sizeof(*h));
	if (r < 0)
		return r;
	for (size_t i = 0; i < np; i++)
		h[i].proc = (uint32_t)i;
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *sk = &snap->socks[i];
		const struct tl_fdref *refs;
		bool out;

		if (sk->state != state || !diag_held(sk))
			continue;
		if (!listening) {
			listening = tli_diag_listening_ports(snap);
			if (!listening) {
				r = -ENOMEM;
				goto out;
			}
		}
		/* Only CLOSE-WAIT's words depend on the side. */
		out = state == TL_CLOSE_WAIT && outgoing(d, listening, sk);
		if (tl_snapshot_owners(snap, sk, &refs) > 0 &&
		    refs[0].proc < np) {
			hold_add(&h[refs[0].proc], sk, age_ms, out);
			continue;
		}
		if (!u) {
			u = calloc(snap->n_socks - i, sizeof(*u));
			if (!u) {
				r = -ENOMEM;
				goto out;
			}
		}
		u[nu].sk = sk;
		u[nu].server = !outgoing(d, listening, sk);
		nu++;
	}
	for (size_t i = 0; i < np && r == 0; i++)
		r = hold_report(d, &h[i], kind, age_ms);
	if (nu > 1)
		qsort(u, nu, sizeof(*u), cmp_unseen);
	for (size_t i = 0; i < nu && r == 0;) {
		struct hold g = { .proc = UINT32_MAX };
		size_t j = i;

		for (; j < nu && cmp_unseen(&u[i], &u[j]) == 0; j++)
			hold_add(&g, u[j].sk, age_ms,
				 state == TL_CLOSE_WAIT && !u[j].server);
		r = hold_report(d, &g, kind, age_ms);
		i = j;
	}
out:
	free(listening);
	free(u);
	free(h);
	return r;
}

/* close-wait-leak: CLOSE_WAIT held past close_wait_age_ms. */
int tli_diag_rule_close_wait(struct diag *d)
{
	return rule_held(d, TL_CLOSE_WAIT, TL_FIND_CLOSE_WAIT_LEAK,
			 d->o->close_wait_age_ms);
}

/* fin-wait2-stuck: FIN_WAIT2 held past fin_wait2_age_ms. */
int tli_diag_rule_fin_wait2(struct diag *d)
{
	return rule_held(d, TL_FIN_WAIT2, TL_FIND_FIN_WAIT2_STUCK,
			 d->o->fin_wait2_age_ms);
}
