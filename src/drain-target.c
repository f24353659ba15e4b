// SPDX-License-Identifier: MIT
/*
 * tcplimbo drain: which listener ADDR:PORT names, among those of the
 * snapshot, or why none or several, said once; and, for an address no
 * listener has, the wildcard or dual-stack listener that takes it.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "drain-cmd.h"
#include "tcplimbo/addr.h"
#include "tl.h"

/*
 * The fd by which o->pid holds listener l (o->fd only, with --fd), or -1
 * when it does not.
 */
static int held_as(const struct tl_snapshot *snap, const struct tl_sock *l,
		   const struct drain_opts *o)
{
	const struct tl_fdref *refs;
	size_t n = tl_snapshot_owners(snap, l, &refs);

	for (size_t k = 0; k < n; k++)
		if (snap->owners->procs[refs[k].proc].pid == o->pid &&
		    (!o->fd_set || refs[k].fd == o->fd))
			return refs[k].fd;
	return -1;
}

/*
 * Whether listener sk is bound to o's address: the same, or for an IPv4
 * one, an IPv6 listener bound to it as ::ffff:a.b.c.d (a JVM binds every
 * IPv4 address so), which takes the same connections.
 */
static bool at_addr(const struct tl_sock *sk, const struct drain_opts *o)
{
	return (sk->family == o->family || o->family == AF_INET) &&
	       tl_addr_equal(sk->family, sk->src, o->family, o->addr);
}

/*
 * For an address with no listener of its own: the listener on the
 * wildcard address of its family and port, whose queue holds the
 * connections to it, or for an IPv4 one (or '*' under -4) an IPv6
 * listener on [::] that is not IPV6_V6ONLY (*ret_dual), which holds them
 * as ::ffff:a.b.c.d; or NULL.
 */
static const struct tl_sock *covering(const struct tl_snapshot *snap,
				      const struct drain_opts *o,
				      bool *ret_dual)
{
	static const uint8_t any[16];
	const struct tl_sock *dual = NULL;

	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *sk = &snap->socks[i];

		if (sk->state != TL_LISTEN || sk->sport != o->port ||
		    memcmp(sk->src, any, 16) != 0)
			continue;
		if (o->family != AF_UNSPEC && sk->family == o->family) {
			*ret_dual = false;
			return sk;
		}
		if (sk->family == AF_INET6 &&
		    (o->family == AF_INET || o->only == AF_INET) &&
		    (sk->has & TL_HAS_V6ONLY) && !sk->v6only)
			dual = sk;
	}
	*ret_dual = dual != NULL;
	return dual;
}

/*
 * Who holds listener l, for a message (tl_err escapes it whole): "pid
 * 17645 (lab-server) as fd 5", each of the first two processes by its
 * first fd, or "" where no owner is known.
 */
static const char *holders(char *buf, size_t size,
			   const struct tl_snapshot *snap,
			   const struct tl_sock *l)
{
	const struct tl_fdref *refs;
	size_t n = tl_snapshot_owners(snap, l, &refs), off = 0, told = 0;
	size_t more = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < n; k++) {
		const struct tl_proc *p = &snap->owners->procs[refs[k].proc];

		/* A process's fds of one socket are next to each other. */
		if (k && refs[k].proc == refs[k - 1].proc)
			continue;
		if (told == 2 || off >= size) {
			more++;
			continue;
		}
		off += (size_t)snprintf(buf + off, size - off,
					"%spid %d (%s) as fd %d",
					told ? ", " : "", (int)p->pid, p->comm,
					refs[k].fd);
		told++;
	}
	if (more && off < size)
		snprintf(buf + off, size - off, " and %zu more process%s", more,
			 more == 1 ? "" : "es");
	return buf;
}

/* Whether item is one of list's ", "-separated items. */
static bool listed(const char *list, const char *item)
{
	size_t n = strlen(item);

	for (const char *p = list; (p = strstr(p, item)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

/* The listeners' first holders looked at for one that holds two. */
#define PIDS_TOLD 16

/* Whether a pid holds two listeners of the n in pids: --fd tells them. */
static bool held_twice(const pid_t *pids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++)
			if (pids[i] && pids[i] == pids[k])
				return true;
	return false;
}

const struct tl_sock *drain_find_target(const struct tl_snapshot *snap,
					const struct drain_opts *o,
					const char *spec, int *ret_fd)
{
	const struct tl_sock *found = NULL;
	const struct tl_proc *pr;
	size_t n = 0, n_addr = 0;
	uint32_t first_if = 0;
	const struct tl_sock *first = NULL;
	bool devices = false, addrs = false, dual;
	char shared[TL_ADDR_STR_MAX + 8], held[256];
	char which[256], where[256];
	pid_t pids[PIDS_TOLD] = { 0 };
	size_t off = 0, woff = 0;
	int fd = -1;

	which[0] = where[0] = '\0';
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *sk = &snap->socks[i];
		const struct tl_fdref *refs;

		if (sk->state != TL_LISTEN || sk->sport != o->port)
			continue;
		if (o->family != AF_UNSPEC && !at_addr(sk, o))
			continue;
		if (o->family == AF_UNSPEC && o->only && sk->family != o->only)
			continue;
		if (o->scope[0] && !tl_snapshot_on_device(snap, sk, o->scope))
			continue;
		if (n_addr && sk->ifindex != first_if)
			devices = true;
		/* '*': more than one address, or one shared (SO_REUSEPORT)? */
		if (first && (sk->family != first->family ||
			      memcmp(sk->src, first->src, 16)))
			addrs = true;
		first = first ? first : sk;
		first_if = n_addr ? first_if : sk->ifindex;
		n_addr++;
		if (o->pid && (fd = held_as(snap, sk, o)) < 0)
			continue;
		/*
		 * What tells them apart: owner, fd and queue, or that pid's
		 * fds; and their addresses.
		 */
		if (o->pid && off < sizeof(which))
			off += (size_t)snprintf(which + off,
						sizeof(which) - off, "%s%d",
						n ? ", " : "", fd);
		else if (tl_snapshot_owners(snap, sk, &refs) > 0 &&
			 off < sizeof(which))
			off += (size_t)snprintf(
				which + off, sizeof(which) - off,
				"%spid %d fd %d, %u queued", off ? "; " : "",
				(int)snap->owners->procs[refs[0].proc].pid,
				refs[0].fd, sk->rqueue);
		if (!o->pid && n < PIDS_TOLD &&
		    tl_snapshot_owners(snap, sk, &refs) > 0)
			pids[n] = snap->owners->procs[refs[0].proc].pid;
		/* Each address once: SO_REUSEPORT listeners share one. */
		tl_addr_format_port(shared, sizeof(shared), sk->family, sk->src,
				    sk->sport);
		if (woff < sizeof(where) && !listed(where, shared))
			woff += (size_t)snprintf(where + woff,
						 sizeof(where) - woff, "%s%s",
						 woff ? ", " : "", shared);
		found = sk;
		*ret_fd = fd;
		n++;
	}
	if (n == 1)
		return found;
	/* A --pid or --fd that holds none of one: who does. */
	held[0] = '\0';
	if (n == 0 && n_addr == 1)
		holders(held, sizeof(held), snap, first);
	if (n == 0 && o->pid && n_addr &&
	    (pr = tl_owners_proc(snap->owners, o->pid)) && pr->fd_error < 0)
		tl_err("drain: cannot tell whether pid %d holds %s on %s: its "
		       "fds could not be read (%s%s)",
		       (int)o->pid,
		       n_addr == 1 ? "the listener" : "any of the listeners",
		       spec, strerror(-pr->fd_error), tl_fds_denied_hint());
	else if (n == 0 && o->pid && n_addr && snap->owners &&
		 !snap->owners->hidden && !tl_owners_proc(snap->owners, o->pid))
		tl_err("drain: no process has pid %d (it may have exited)%s%s%s%s",
		       (int)o->pid, held[0] ? "; the listener on " : "",
		       held[0] ? spec : "", held[0] ? " is held by " : "",
		       held);
	else if (n == 0 && o->pid && n_addr) {
		char as[32] = "";

		if (o->fd_set)
			snprintf(as, sizeof(as), " as fd %d", o->fd);
		tl_err("drain: pid %d does not hold %s on %s%s%s%s",
		       (int)o->pid,
		       n_addr == 1 ? "the listener" : "any of the listeners",
		       spec, as, held[0] ? "; it is held by " : "", held);
	} else if (n > 1 && o->pid)
		tl_err("drain: pid %d holds %zu listeners on %s (SO_REUSEPORT), "
		       "as fds %s; name one with --fd",
		       (int)o->pid, n, spec, which);
	else if (n == 0 && !o->pid && (first = covering(snap, o, &dual)))
		tl_err("drain: no listener on %s in %s network namespace, but "
		       "%s takes %s: connections to %s queue there; drain "
		       "'%s' frees the slots of those whose client is gone",
		       spec, o->netns_spec ? "that" : "this",
		       tl_addr_format_port(shared, sizeof(shared),
					   first->family, first->src,
					   first->sport),
		       dual ? "IPv4 connections too (not IPV6_V6ONLY)" :
			      "the connections to every address of the port",
		       spec, shared);
	else if (n == 0)
		tl_err("drain: no listener on %s in %s network namespace "
		       "(see 'tcplimbo %s%s%sls --state listening')",
		       spec, o->netns_spec ? "that" : "this",
		       o->netns_spec ? "-N " : "",
		       o->netns_spec ? o->netns_spec : "",
		       o->netns_spec ? " " : "");
	else if (o->family == AF_UNSPEC && addrs)
		tl_err("drain: %zu listeners on port %u (%s); name one by its "
		       "address",
		       n, o->port, where);
	else if (devices)
		tl_err("drain: %zu listeners on %s, bound to different "
		       "devices; name one with its device, as ls shows it "
		       "(%s:%u), or with --pid PID",
		       n, spec,
		       first->family == AF_INET6 ? "[ADDR%DEVICE]" :
						   "ADDR%DEVICE",
		       o->port);
	else
		/* Under '*' too: the address they share, not the star. */
		tl_err("drain: %zu listeners share %s (SO_REUSEPORT), each "
		       "with its own queue; name one with --pid PID%s (%s%s)",
		       n,
		       tl_addr_format_port(shared, sizeof(shared),
					   first->family, first->src, o->port),
		       held_twice(pids, n < PIDS_TOLD ? n : PIDS_TOLD) ?
			       ", and --fd FD where a process holds several" :
			       "",
		       which[0] ? "" : "owners unknown", which);
	return NULL;
}
