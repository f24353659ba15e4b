// SPDX-License-Identifier: MIT
/*
 * evidence: what fills a process's fd table, for fd-exhaustion, and the
 * busy loop a program at its limit spins in when its listener stays
 * readable and accept() keeps failing with EMFILE; and what the fd a
 * thread waits on is.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "evidence_int.h"
#include "tcplimbo/addr.h"
#include "tcplimbo/evidence.h"
#include "tcplimbo/tcpstate.h"
#include "util.h"

/*
 * The fd kind most of n_fds are, if any: more than half of them. Device
 * files on fds 0 to 2 are its standard streams (/dev/null, a terminal),
 * which every process has and no leak makes, so they do not count for
 * the kind. *ret_top is the largest kind all the same (0 when nothing is
 * left), for the text.
 */
static bool majority_kind(const struct tl_evidence *ev, int *ret_top)
{
	uint32_t n[TL_FDK_MAX];
	int top = 0;

	memcpy(n, ev->kinds, sizeof(n));
	n[TL_FDK_DEVICE] -= ev->stdio_devices <= n[TL_FDK_DEVICE] ?
				    ev->stdio_devices :
				    n[TL_FDK_DEVICE];
	for (int k = 1; k < TL_FDK_MAX; k++)
		if (n[k] > n[top])
			top = k;
	*ret_top = n[top] ? top : -1;
	return (uint64_t)n[top] * 2 > ev->n_fds;
}

/*
 * The soft limit the kernel gives the first process (INR_OPEN_CUR), which
 * systemd keeps for services too: a lower one was chosen by someone.
 */
#define DEFAULT_NOFILE 1024U

/* True when the fd limit is known to be below the default. */
static bool low_limit(const struct tl_evidence *ev)
{
	return ev->nofile && ev->nofile < DEFAULT_NOFILE;
}

/* The largest fd kind, with TCP split by state for the text. */
static void conclude_fds(const struct tl_evidence *ev, struct tl_ev_verdict *v,
			 size_t *len)
{
	uint32_t cw = ev->tcp[TL_CLOSE_WAIT], est = ev->tcp[TL_ESTABLISHED];
	int top;
	bool first = true;

	if (!ev->has_fds || ev->n_fds == 0)
		return;
	tli_appendf(v->text, sizeof(v->text), len, "%sits %u fds",
		    *len ? "; " : "", ev->n_fds);
	/*
	 * A new fd is refused at the limit (it bounds the fd numbers, not
	 * their count), so more fds than the limit came before it: opened
	 * before the limit was lowered (by the program, as memcached sets
	 * its own, or by prlimit), or handed across exec above it.
	 */
	if (ev->nofile && ev->n_fds > ev->nofile)
		tli_appendf(
			v->text, sizeof(v->text), len,
			", %llu more than its limit of %llu (opened before the limit was lowered, or inherited across exec with numbers above it)",
			(unsigned long long)(ev->n_fds - ev->nofile),
			(unsigned long long)ev->nofile);
	tli_appendf(v->text, sizeof(v->text), len, ": ");
	for (int k = 0; k < TL_FDK_MAX; k++) {
		if (!ev->kinds[k])
			continue;
		tli_appendf(v->text, sizeof(v->text), len, "%s%u %s",
			    first ? "" : ", ", ev->kinds[k],
			    tl_fd_kind_name(k, ev->kinds[k]));
		first = false;
		if (k != TL_FDK_TCP)
			continue;
		tli_appendf(v->text, sizeof(v->text), len, " (");
		for (int s = 1, f2 = 1; s < TL_STATE_MAX; s++) {
			if (!ev->tcp[s])
				continue;
			tli_appendf(v->text, sizeof(v->text), len, "%s%u %s",
				    f2 ? "" : ", ", ev->tcp[s],
				    tl_state_name(s));
			f2 = 0;
		}
		tli_appendf(v->text, sizeof(v->text), len, ")");
	}
	/* Only a verdict of the listener's kind may stand before this one. */
	if (v->cause != TL_CAUSE_UNKNOWN && v->cause != TL_CAUSE_WATCHED)
		return;
	/* Half leaked is enough to be the cause, but not "most". */
	if ((uint64_t)cw * 2 >= ev->n_fds) {
		tli_ev_set(v, TL_CAUSE_CLOSE_WAIT, TL_CERT_LIKELY);
		tli_appendf(
			v->text, sizeof(v->text), len,
			": %s are CLOSE-WAIT sockets the program never closed, so the leak is what exhausts the fds",
			(uint64_t)cw * 2 > ev->n_fds ? "most" : "half");
	} else if ((uint64_t)est * 2 >= ev->n_fds) {
		tli_ev_set(v, TL_CAUSE_CONNECTIONS, TL_CERT_POSSIBLE);
		tli_appendf(
			v->text, sizeof(v->text), len,
			": %s are open connections, so the load may be real (raise the limit) or connections are kept too long",
			(uint64_t)est * 2 > ev->n_fds ? "most" : "half");
		v->remedy = NULL;
	} else {
		bool most = majority_kind(ev, &top);
		/* Where the device files would have looked like the leak. */
		bool stdio =
			ev->stdio_devices &&
			(top < 0 || ev->kinds[TL_FDK_DEVICE] >= ev->kinds[top]);
		bool low = low_limit(ev);
		const char *sep = ": ";

		tli_ev_set(v, TL_CAUSE_FDS_OTHER, TL_CERT_POSSIBLE);
		v->remedy = NULL;
		if (low) {
			/*
			 * What a program holds at start fills a small table:
			 * the limit is the first suspect, a leak the second.
			 */
			tli_ev_set(v, TL_CAUSE_LOW_LIMIT, TL_CERT_LIKELY);
			tli_appendf(
				v->text, sizeof(v->text), len,
				": its limit of %llu fds is below Linux's default of %u, so something set it lower (the program itself, a ulimit -n, LimitNOFILE=, a container's --ulimit or a prlimit), and a program's ordinary fds may fill it",
				(unsigned long long)ev->nofile, DEFAULT_NOFILE);
			sep = "; ";
		}
		if (most && top == TL_FDK_FILE &&
		    (uint64_t)ev->code_files * 2 > ev->kinds[TL_FDK_FILE])
			/* A JVM's class path: what it opened at start. */
			tli_appendf(
				v->text, sizeof(v->text), len,
				"%smost are files, and %u of its %u files are its own code (.jar archives or shared objects), which a program opens at start and its fd limit must leave room for; the same one open many times would be a leak (a class loader or JarFile not closed)",
				sep, ev->code_files, ev->kinds[TL_FDK_FILE]);
		else if (most)
			tli_appendf(
				v->text, sizeof(v->text), len,
				low ? "%sif the limit is right, look for a leak among the %s, which are most of them" :
				      "%smost are %s, so look there for a leak",
				sep, tl_fd_kind_name(top, 2));
		else if (top >= 0)
			tli_appendf(
				v->text, sizeof(v->text), len,
				"%sno kind is a majority; the largest kind is %s",
				sep, tl_fd_kind_name(top, 2));
		if (low || top >= 0)
			sep = "; ";
		if (stdio)
			tli_appendf(
				v->text, sizeof(v->text), len,
				"%s%u of its device files %s on fds 0 to 2, its standard streams, not a leak",
				sep, ev->stdio_devices,
				ev->stdio_devices == 1 ? "is" : "are");
	}
}

/*
 * At the fd limit, a listener that is watched level-triggered by a waiting
 * thread wakes it for every queued connection: accept() fails with EMFILE
 * and the loop spins. A listener in no epoll set may be watched by
 * select() or poll(), whose set a spinning thread never waits in long
 * enough to be read; a thread that used most of a CPU while we looked,
 * never waiting, with connections queued, is the same spin seen from
 * outside.
 */
static void spin_text(const struct tl_evidence *ev, struct tl_ev_verdict *v,
		      size_t *len)
{
	bool running = tli_ev_any_thread(ev, TL_SYS_RUNNING) ||
		       tli_ev_accepts_listener(ev);
	const struct tl_ev_thread *b = tli_ev_busiest(ev);
	const struct tl_ev_reg *paused = NULL;
	char threads[256], waited[64];

	for (size_t i = 0; i < ev->n_regs; i++) {
		const struct tl_ev_reg *r = &ev->regs[i];

		/*
		 * Left in its set asking for nothing (not a one-shot that
		 * fired): paused, no spin.
		 */
		if (!tli_ev_can_report(r->events)) {
			if (!(r->events & TL_EPOLLONESHOT))
				paused = r;
			continue;
		}
		if (!(r->waited || running) ||
		    (r->events & (TL_EPOLLET | TL_EPOLLONESHOT)))
			continue;
		tli_appendf(
			v->text, sizeof(v->text), len,
			"; the listener (fd %d) is in epoll fd %d level-triggered, so while connections are queued every wait returns at once and retries the failing accept(), a busy loop (%s)",
			(int)r->tfd, (int)r->epfd,
			tl_evidence_threads_text(ev, threads, sizeof(threads)));
		return;
	}
	if (paused) {
		tli_appendf(
			v->text, sizeof(v->text), len,
			"; the listener (fd %d) is in epoll fd %d but asks it for no events (events 0x%x, no EPOLLIN): the program has paused accepting on purpose (at its own connection limit, or backing off after a failed accept()), and does not spin",
			(int)paused->tfd, (int)paused->epfd, paused->events);
		return;
	}
	/* Registered edge-triggered or one-shot: epoll does not spin. */
	if (ev->n_regs || ev->n_epolls_read < ev->n_epolls || !ev->has_fds ||
	    !ev->has_listener || ev->queued == 0 || !b || !tli_ev_spins(b))
		return;
	tli_appendf(
		v->text, sizeof(v->text), len,
		"; thread %d used %u %% of a CPU over the %u ms we watched it%s, never waiting for an event, while %u connection%s waited in the queue and the listener is %s: a loop that retries the failing accept() at once, directly or woken by select() or poll() for the queued connections, fits that busy loop",
		(int)b->tid, b->busy_pct, b->busy_ms,
		tli_ev_runnable_text(b, waited, sizeof(waited)), ev->queued,
		ev->queued == 1 ? "" : "s",
		ev->n_epolls ? "in none of its epoll sets" : "in no epoll set");
}

void tli_ev_conclude_fds(const struct tl_evidence *ev, struct tl_ev_verdict *v,
			 size_t *len)
{
	conclude_fds(ev, v, len);
	spin_text(ev, v, len);
}

/*
 * The kind of the socket at fd (path, "fd/N" under pdir), by the protocol
 * its file tells (sockfs's system.sockprotoname: UNIX-STREAM, UDP,
 * NETLINK, ...), into buf; a TCP one is no connection of the snapshot.
 */
static const char *socket_kind(int pdir, const char *path, char *buf,
			       size_t size)
{
	char at[96], name[32];
	ssize_t n;

	snprintf(at, sizeof(at), "/proc/self/fd/%d/%s", pdir, path);
	n = getxattr(at, "system.sockprotoname", name, sizeof(name) - 1);
	if (n <= 0)
		return "a socket that is no TCP connection here";
	name[n] = '\0';
	/* The kernel's names: letters, digits and dashes, NUL-ended. */
	for (ssize_t i = 0; i < n && name[i]; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-')
			return "a socket that is no TCP connection here";
	if (strncmp(name, "UNIX", 4) == 0)
		return TLI_EV_UNIX_SOCKET;
	if (strncmp(name, "TCP", 3) == 0)
		return "a TCP socket that is no connection here (another network namespace's, or not connected)";
	snprintf(buf, size, "a %s socket", name);
	return buf;
}

/*
 * What the file at fd (path, "fd/N" under pdir) is, by its inode's type
 * where it can be read (a named pipe has a path like a file's; a file
 * under /dev may be a plain one, /dev/shm's), else by its link's path.
 * Only the type, from the cached inode: the file may be on an NFS server
 * that is gone, the very wait being diagnosed, and a full stat would
 * hang with it.
 */
static const char *file_kind(int pdir, const char *path, const char *link)
{
	struct statx stx;

	if (statx(pdir, path, AT_STATX_DONT_SYNC, STATX_TYPE, &stx) == 0 &&
	    (stx.stx_mask & STATX_TYPE)) {
		if (S_ISFIFO(stx.stx_mode))
			return "a named pipe";
		if (S_ISCHR(stx.stx_mode) || S_ISBLK(stx.stx_mode))
			return "a device file";
		if (S_ISREG(stx.stx_mode))
			return "a file";
	}
	return strncmp(link, "/dev/", 5) == 0 ? "a device file" : "a file";
}

void tli_ev_describe_fd(int pdir, struct tl_ev_thread *t,
			const struct tl_sock *sk)
{
	char addr[80], path[64], link[256], proto[64];
	const char *kind;
	ssize_t n;

	if (sk) {
		snprintf(t->fd_what, sizeof(t->fd_what),
			 "a TCP connection to %s, %s",
			 tl_addr_format_port(addr, sizeof(addr), sk->family,
					     sk->dst, sk->dport),
			 tl_state_name(sk->state));
		return;
	}
	snprintf(path, sizeof(path), "fd/%lld", (long long)t->fd);
	n = readlinkat(pdir, path, link, sizeof(link) - 1);
	if (n < 0)
		return; /* closed since, or not ours to read */
	link[n] = '\0';
	switch (tl_ev_fd_kind(link, (size_t)n, NULL)) {
	case TL_FDK_TCP:
	case TL_FDK_SOCKET:
		kind = socket_kind(pdir, path, proto, sizeof(proto));
		break;
	case TL_FDK_FILE:
	case TL_FDK_DEVICE:
		kind = file_kind(pdir, path, link);
		break;
	case TL_FDK_PIPE:
		kind = "a pipe";
		break;
	default:
		return;
	}
	snprintf(t->fd_what, sizeof(t->fd_what), "%s", kind);
}

void tli_ev_set_blocked(const struct tl_evidence *ev, int64_t fd, bool epoll,
			const char *what, const char *whose,
			const char *threads, struct tl_ev_verdict *v,
			size_t *len)
{
	char is[TL_EV_FD_WHAT_MAX + 4] = "";
	bool unix_read = false;

	/* What the fd is, where the gather could tell. */
	for (size_t i = 0; !epoll && i < ev->n_read; i++)
		if (ev->threads[i].fd == fd && ev->threads[i].fd_what[0]) {
			const struct tl_ev_thread *t = &ev->threads[i];

			snprintf(is, sizeof(is), " (%s)", t->fd_what);
			/*
			 * Fds handed over come with recvmsg (SCM_RIGHTS); a
			 * client of a local service reads its answer with
			 * read or recv, and is told as any blocked call.
			 */
			unix_read = strcmp(t->fd_what, TLI_EV_UNIX_SOCKET) ==
					    0 &&
				    t->sys && strcmp(t->sys, "recvmsg") == 0;
			break;
		}
	tli_ev_set(v, TL_CAUSE_BLOCKED, TL_CERT_POSSIBLE);
	v->fd = fd;
	/* What it waits on is its own accept queue: no peer to look at. */
	if (!epoll && ev->has_self_fd && ev->self_fd == fd)
		v->remedy = tli_ev_remedy_self;
	/*
	 * Reading a unix socket is how a worker waits for the connections
	 * (or the jobs) another process hands it: its idle state, not a
	 * peer that does not answer.
	 */
	if (unix_read) {
		v->remedy = tli_ev_remedy_unix_wait;
		tli_appendf(
			v->text, sizeof(v->text), len,
			"its threads wait in recvmsg on fd %lld (a unix socket), which is none of %s: a program that waits there (for the next connection or job another process hands it, or an answer from a local service) does not get back to %s; %s",
			(long long)fd, what, whose, threads);
		return;
	}
	tli_appendf(
		v->text, sizeof(v->text), len,
		epoll ? "its threads wait in epoll fd %lld%s, a set that holds no connection and so none of %s, or wait for one that does: a program stuck on something else (a lock, a child, a timer) does not get back to %s; %s" :
			"its threads are blocked in I/O on fd %lld%s, which is none of %s, or wait for one that is: a program stuck on something else (an upstream that does not answer, a slow disk) does not get back to %s; %s",
		(long long)fd, is, what, whose, threads);
}

/* The targets of one epoll set, as far as room goes. */
#define TARGETS_MAX 64

struct targets {
	uint64_t ino[TARGETS_MAX];
	size_t n;
	bool more; /* there were more than room for */
};

static int on_target(int32_t tfd, uint32_t events, uint64_t ino, void *arg)
{
	struct targets *tg = arg;

	(void)tfd;
	(void)events;
	if (tg->n < TARGETS_MAX)
		tg->ino[tg->n++] = ino;
	else
		tg->more = true;
	return 0;
}

void tli_ev_epoll_elsewhere(int pdir, const struct tl_snapshot *snap,
			    const struct tl_evidence *ev, uint64_t *io)
{
	char path[32], *info = NULL;

	/*
	 * In poll() only where it holds a listener to wait on: a logging
	 * or timer thread polls too, beside a backend's lock wait.
	 */
	for (size_t t = 0; t < ev->n_read; t++)
		if (ev->threads[t].kind == TL_SYS_ACCEPT ||
		    (ev->threads[t].kind == TL_SYS_POLL && ev->tcp[TL_LISTEN]))
			return;
	for (size_t t = 0; t < ev->n_read && t < 64; t++) {
		struct targets tg = { .n = 0 };
		bool tcp = false;
		ssize_t n;

		if (ev->threads[t].kind != TL_SYS_EPOLL ||
		    ev->threads[t].fd < 0)
			continue;
		if (!info && !(info = malloc(FDINFO_BUF)))
			return;
		snprintf(path, sizeof(path), "fdinfo/%lld",
			 (long long)ev->threads[t].fd);
		n = tli_ev_read_at(pdir, path, info, FDINFO_BUF);
		/* A set cut at FDINFO_BUF may hold a TCP socket further on. */
		if (n < 0 || n >= FDINFO_BUF - 1 ||
		    tl_ev_parse_epoll(info, (size_t)n, on_target, &tg) < 0 ||
		    tg.more)
			continue;
		/* A listener in it is an event loop's: it is the program's
		 * own wait, and its leak is a leak. */
		for (size_t i = 0; i < snap->n_socks && !tcp; i++)
			for (size_t k = 0; k < tg.n && !tcp; k++)
				tcp = snap->socks[i].inode &&
				      snap->socks[i].inode == tg.ino[k];
		if (!tcp)
			*io |= UINT64_C(1) << t;
	}
	free(info);
}
