// SPDX-License-Identifier: MIT
/*
 * evidence: the gatherer; the parsers are in evidence_parse.c, the threads
 * in evidence_tasks.c. Every file is read into a bounded buffer and parsed
 * by hand: /proc text of another process is input like any other (a wchan
 * or a link target may be anything).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "evidence_int.h"
#include "tcplimbo/addr.h"
#include "tcplimbo/evidence.h"
#include "tcplimbo/owners.h"
#include "tcplimbo/tcpstate.h"
#include "internal.h"
#include "util.h"

#define LINK_BUF 256
/* The most epoll fds whose fdinfo one gather reads. */
#define EPOLLS_READ_MAX 64

/* Reads dir_fd/path into buf: at most size - 1 bytes, terminated. */
ssize_t tli_ev_read_at(int dir_fd, const char *path, char *buf, size_t size)
{
	ssize_t len = tli_read_file_at(dir_fd, path, buf, size - 1);

	buf[len > 0 ? len : 0] = '\0';
	return len;
}

/* The pid of the process at owners index proc, or 0. */
static pid_t ref_pid(const struct tl_snapshot *snap, uint32_t proc)
{
	return snap->owners && proc < snap->owners->n_procs ?
		       snap->owners->procs[proc].pid :
		       0;
}

/* The most of its fds for one listener looked for in poll sets. */
#define LISTENER_FDS_MAX 8

/* Its fds for sk (a dup, an inherited copy), at most max of them. */
static size_t fds_of(const struct tl_snapshot *snap, const struct tl_sock *sk,
		     pid_t pid, int32_t *fds, size_t max)
{
	const struct tl_fdref *refs;
	size_t n = tl_snapshot_owners(snap, sk, &refs), got = 0;

	for (size_t k = 0; k < n && got < max; k++)
		if (ref_pid(snap, refs[k].proc) == pid)
			fds[got++] = refs[k].fd;
	return got;
}

/* Whether pid holds sk, and one of its fds for it. */
static bool holds(const struct tl_snapshot *snap, const struct tl_sock *sk,
		  pid_t pid, int32_t *ret_fd)
{
	int32_t fd;

	if (fds_of(snap, sk, pid, &fd, 1) == 0)
		return false;
	if (ret_fd)
		*ret_fd = fd;
	return true;
}

/*
 * The threads in accept() on an fd that is none of the listener's fds
 * (a JVM's Attach Listener on its UNIX socket, an admin socket, another
 * listener): they take nothing from this queue. Nothing is marked where
 * the listener's fds are not known.
 */
static void accept_other(struct tl_evidence *ev, const int32_t *fds,
			 size_t n_fds)
{
	for (size_t i = 0; n_fds && i < ev->n_read && i < 64; i++) {
		const struct tl_ev_thread *t = &ev->threads[i];
		bool mine = t->fd < 0;

		if (t->kind != TL_SYS_ACCEPT)
			continue;
		for (size_t k = 0; k < n_fds && !mine; k++)
			mine = t->fd == fds[k];
		if (!mine)
			ev->accept_other |= 1ULL << i;
	}
}

/*
 * Whether pid holds the listener as fd 0 (fds, n_fds of them) and its
 * parent holds it too: the parent handed it over as standard input (an
 * inetd's wait service, systemd's StandardInput=socket). A daemon that
 * closed its standard input before it made the listener gets fd 0 too,
 * from no one.
 */
static bool handed_stdin(const struct tl_snapshot *snap,
			 const struct tl_sock *l, pid_t pid, const int32_t *fds,
			 size_t n_fds)
{
	const struct tl_proc *p;
	int32_t any;
	bool zero = false;

	for (size_t k = 0; k < n_fds; k++)
		zero |= fds[k] == 0;
	if (!zero || !snap->owners)
		return false;
	p = tl_owners_proc(snap->owners, pid);
	return p && p->ppid > 0 && fds_of(snap, l, p->ppid, &any, 1) > 0;
}

/* The most SO_REUSEPORT siblings of a listener looked for in epoll sets. */
#define SIBLINGS_MAX 8
/* The most CLOSE-WAIT sockets of a leak looked for in epoll sets. */
#define LEAK_INODES_MAX 64

struct epoll_ctx {
	struct tl_evidence *ev;
	int32_t epfd;
	uint32_t inode;
	/* other listeners of the same address and port */
	uint32_t siblings[SIBLINGS_MAX];
	size_t n_siblings;
	/* its CLOSE-WAIT sockets, some of them (TL_EV_LEAK), unread first */
	uint32_t closed[LEAK_INODES_MAX];
	size_t n_closed, n_unread;
	bool closed_more;     /* it holds more than closed has room for */
	bool cut;	      /* a set's fdinfo was longer than FDINFO_BUF */
	uint32_t closed_regs; /* registrations of those, of any events */
};

static bool waited_on(const struct tl_evidence *ev, int32_t epfd)
{
	for (size_t i = 0; i < ev->n_read; i++)
		if (ev->threads[i].kind == TL_SYS_EPOLL &&
		    ev->threads[i].fd == epfd)
			return true;
	return false;
}

/* A sibling's registration that asks for EPOLLIN (or EPOLLRDNORM). */
static void on_sibling(struct epoll_ctx *c, int32_t tfd, uint32_t events,
		       uint64_t ino)
{
	if (c->ev->has_sibling || !(events & (0x001u | 0x040u)))
		return;
	for (size_t k = 0; k < c->n_siblings; k++) {
		if (ino != c->siblings[k])
			continue;
		c->ev->has_sibling = true;
		c->ev->sibling =
			(struct tl_ev_reg){ c->epfd, tfd, events,
					    waited_on(c->ev, c->epfd) };
		return;
	}
}

/*
 * A CLOSE-WAIT socket's registration that asks for input, level-triggered:
 * its event loop is told of the FIN on every wait until it reads. An
 * edge-triggered one (Go's and Tokio's runtimes register every socket so,
 * and poll it from any thread) tells nothing of who waits.
 */
static void on_closed(struct epoll_ctx *c, int32_t tfd, uint32_t events,
		      uint64_t ino)
{
	size_t k = 0;

	while (k < c->n_closed && ino != c->closed[k])
		k++;
	if (k == c->n_closed)
		return;
	c->closed_regs++;
	if (c->ev->leak_unread || !(events & (0x001u | 0x040u)) ||
	    (events & (TL_EPOLLET | TL_EPOLLONESHOT)))
		return;
	/* One with data never read tells more: keep looking. */
	if (c->ev->has_leak_reg && k >= c->n_unread)
		return;
	c->ev->has_leak_reg = true;
	c->ev->leak_unread = k < c->n_unread;
	c->ev->leak_reg = (struct tl_ev_reg){ c->epfd, tfd, events,
					      waited_on(c->ev, c->epfd) };
}

static int on_tfd(int32_t tfd, uint32_t events, uint64_t ino, void *arg)
{
	struct epoll_ctx *c = arg;
	struct tl_ev_reg *reg;

	on_closed(c, tfd, events, ino);
	if (ino != c->inode) {
		on_sibling(c, tfd, events, ino);
		return 0;
	}
	if (c->ev->n_regs >= TL_EV_REGS_MAX)
		return 0;
	reg = &c->ev->regs[c->ev->n_regs++];
	reg->epfd = c->epfd;
	reg->tfd = tfd;
	reg->events = events;
	reg->waited = waited_on(c->ev, c->epfd);
	return 0;
}

/*
 * The other listeners of L's address, port and device in snap: SO_REUSEPORT
 * shares them, each with a queue of its own (nginx's reuseport gives each
 * worker one, and every worker holds them all).
 */
static void find_siblings(const struct tl_snapshot *snap,
			  const struct tl_sock *L, struct epoll_ctx *c)
{
	size_t alen = L->family == AF_INET6 ? 16 : 4;

	for (size_t i = 0; snap && i < snap->n_socks; i++) {
		const struct tl_sock *s = &snap->socks[i];

		if (c->n_siblings < SIBLINGS_MAX && s->state == TL_LISTEN &&
		    s->inode && s->inode != L->inode &&
		    s->family == L->family && s->sport == L->sport &&
		    s->ifindex == L->ifindex &&
		    memcmp(s->src, L->src, alen) == 0)
			c->siblings[c->n_siblings++] = s->inode;
	}
}

/*
 * Some of the CLOSE-WAIT sockets pid holds in snap, into c->closed: first
 * those with data never read (Recv-Q above the FIN's one), then others.
 */
static void find_closed(const struct tl_snapshot *snap, pid_t pid,
			struct epoll_ctx *c)
{
	for (int unread = 1; unread >= 0; unread--) {
		for (size_t i = 0; snap && i < snap->n_socks; i++) {
			const struct tl_sock *s = &snap->socks[i];

			if (s->state != TL_CLOSE_WAIT || !s->inode ||
			    (s->rqueue > 1) != unread ||
			    !holds(snap, s, pid, NULL))
				continue;
			if (c->n_closed >= LEAK_INODES_MAX) {
				c->closed_more = true;
				return;
			}
			c->closed[c->n_closed++] = s->inode;
		}
		if (unread)
			c->n_unread = c->n_closed;
	}
}

/*
 * Walks the fd table: the census, and in each epoll set the listener or,
 * for a leak, one of its CLOSE-WAIT sockets.
 */
static int gather_fds(int pdir, struct tl_evidence *ev,
		      const struct tl_snapshot *snap,
		      const struct tl_sock *listener, bool leak)
{
	struct epoll_ctx c = { .ev = ev };
	char link[LINK_BUF], path[64], *info = NULL;
	struct dirent *de;
	DIR *d;
	int fdd = openat(pdir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fdd < 0)
		return -errno;
	d = fdopendir(fdd);
	if (!d) {
		close(fdd);
		return -ENOMEM;
	}
	if (listener && listener->inode) {
		c.inode = listener->inode;
		find_siblings(snap, listener, &c);
	}
	if (leak)
		find_closed(snap, ev->pid, &c);
	if (c.inode || c.n_closed)
		info = malloc(FDINFO_BUF);
	while ((de = readdir(d)) && ev->n_fds < TL_EV_FDS_MAX) {
		uint64_t fd;
		ssize_t n;
		int kind;

		if (tli_parse_dec(de->d_name, INT32_MAX, &fd) < 0)
			continue;
		n = readlinkat(fdd, de->d_name, link, sizeof(link) - 1);
		if (n < 0)
			continue; /* closed since readdir */
		link[n] = '\0';
		kind = tl_ev_fd_kind(link, (size_t)n, NULL);
		ev->n_fds++;
		ev->kinds[kind]++;
		ev->stdio_devices += kind == TL_FDK_DEVICE && fd <= 2;
		ev->code_files += kind == TL_FDK_FILE && tli_ev_code_file(link);
		if (kind != TL_FDK_EPOLL)
			continue;
		ev->n_epolls++;
		if (!info || ev->n_epolls > EPOLLS_READ_MAX)
			continue;
		snprintf(path, sizeof(path), "fdinfo/%d", (int)fd);
		n = tli_ev_read_at(pdir, path, info, FDINFO_BUF);
		if (n >= 0) {
			c.epfd = (int32_t)fd;
			ev->n_epolls_read++;
			/* The rest of a longer set is not known (not in it). */
			c.cut |= n >= FDINFO_BUF - 1;
			tl_ev_parse_epoll(info, (size_t)n, on_tfd, &c);
		}
	}
	/*
	 * Every fd read, every set read, each of its CLOSE-WAIT sockets
	 * looked for: in none of them, nothing will report their end of
	 * file to the program.
	 */
	ev->leak_unwatched = !de && info && !c.cut && c.n_closed &&
			     !c.closed_more && c.closed_regs == 0 &&
			     ev->n_epolls && ev->n_epolls_read == ev->n_epolls;
	free(info);
	closedir(d);
	return 0;
}

/*
 * Whether sk, a connection out, waits on its peer: it sent, the peer
 * acknowledged it (bytes_acked counts the SYN too), and nothing came back
 * since, for a second or more: nothing at all, or the last receive older
 * than the last send. The times are in jiffies: a send and its answer
 * over loopback can share one, so an answered request is told by the
 * bytes received, not by the times alone.
 */
static bool waits_upstream(const struct tl_sock *sk)
{
	return sk->state == TL_ESTABLISHED && sk->listener == 0 &&
	       (sk->has & TL_HAS_INFO) && sk->rqueue == 0 && sk->wqueue == 0 &&
	       sk->bytes_acked > 1 && sk->last_data_sent_ms >= 1000 &&
	       (sk->bytes_received == 0 ||
		sk->last_data_recv_ms > sk->last_data_sent_ms);
}

static void add_upstream(struct tl_evidence *ev, const struct tl_sock *sk,
			 const struct tl_sock **longest)
{
	ev->up_waiting++;
	if (sk->last_data_sent_ms <= ev->up_wait_ms)
		return;
	*longest = sk;
	ev->up_wait_ms = sk->last_data_sent_ms;
	ev->up_family = sk->family;
	memcpy(ev->up_addr, sk->dst, sizeof(ev->up_addr));
	ev->up_port = sk->dport;
}

/*
 * Whether connection out sk waits, unaccepted, in the queue of a listener
 * pid holds: its peer, the other end in this namespace, is in that
 * listener's accept queue. A program that calls itself while it does not
 * accept waits on itself.
 */
static bool to_own_queue(const struct tl_snapshot *snap, pid_t pid,
			 const struct tl_sock *sk)
{
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *p = &snap->socks[i];
		const struct tl_sock *l;

		if (p->limbo != TL_LIMBO_ACCEPT_QUEUE ||
		    p->sport != sk->dport || p->dport != sk->sport ||
		    !tl_addr_equal(p->family, p->src, sk->family, sk->dst) ||
		    !tl_addr_equal(p->family, p->dst, sk->family, sk->src))
			continue;
		l = tl_snapshot_listener(snap, p);
		return l && holds(snap, l, pid, NULL);
	}
	return false;
}

/*
 * The TCP sockets of the snapshot pid holds, by state; for a leak, also
 * its connections that wait on an upstream.
 */
static void count_tcp(const struct tl_snapshot *snap, pid_t pid, bool leak,
		      struct tl_evidence *ev)
{
	const struct tl_sock *longest = NULL;
	uint32_t total = 0;

	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *sk = &snap->socks[i];
		const struct tl_fdref *refs;
		size_t n = tl_snapshot_owners(snap, sk, &refs);

		for (size_t k = 0; k < n; k++) {
			if (ref_pid(snap, refs[k].proc) != pid ||
			    sk->state >= TL_STATE_MAX)
				continue;
			ev->tcp[sk->state]++;
			total++;
			if (leak && waits_upstream(sk))
				add_upstream(ev, sk, &longest);
			if (leak && sk->state == TL_CLOSE_WAIT &&
			    (sk->has & TL_HAS_INFO)) {
				ev->cw_timed++;
				if (sk->last_data_recv_ms > ev->cw_recv_ms)
					ev->cw_recv_ms = sk->last_data_recv_ms;
			}
		}
	}
	/* One that holds no listener calls no listener of its own. */
	ev->up_self = longest && ev->tcp[TL_LISTEN] &&
		      to_own_queue(snap, pid, longest);
	/* The snapshot is a moment older than the fd walk. */
	if (total > ev->kinds[TL_FDK_SOCKET])
		total = ev->kinds[TL_FDK_SOCKET];
	ev->kinds[TL_FDK_TCP] = total;
	ev->kinds[TL_FDK_SOCKET] -= total;
}

/* The connections of listener L that pid holds (accepted, not closed). */
/* Whether inode is among the n refs of one process, sorted by inode. */
static bool has_inode(const struct tl_fdref *mine, size_t n, uint32_t inode)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mine[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && mine[lo].inode == inode;
}

/*
 * What the process's threads are in I/O on: the connections of listener L
 * it holds (ev->held) and the threads in I/O on one of them (ev->on_held,
 * serving a client), and the threads in I/O on an fd that is none of its
 * clients (ev->on_other): no connection a listener here made, so an
 * upstream, a file, a pipe; a thread stuck there does not get back to its
 * clients. L may be NULL (a leak: only the latter). The process's own refs
 * come from one walk of the owners' array (sorted by inode), so the pass
 * over the sockets asks no index per socket.
 */
static void scan_held(const struct tl_snapshot *snap, const struct tl_sock *L,
		      struct tl_evidence *ev, int pdir)
{
	const struct tl_owners *ow = snap->owners;
	const struct tl_proc *me = ow ? tl_owners_proc(ow, ev->pid) : NULL;
	const struct tl_sock *on[64] = { 0 };
	uint32_t ino[64] = { 0 };
	struct tl_fdref *mine;
	char addr[TL_ADDR_STR_MAX + 8];
	size_t n = 0;
	uint64_t io = 0;

	if (!me)
		return;
	mine = malloc(ow->n_refs * sizeof(*mine) + 1);
	if (!mine)
		return;
	for (size_t k = 0; k < ow->n_refs; k++)
		if (ow->refs[k].proc == (uint32_t)(me - ow->procs))
			mine[n++] = ow->refs[k];
	/* Each thread in I/O, and the socket inode of its fd if it is one. */
	for (size_t t = 0; t < ev->n_read && t < 64; t++) {
		if (ev->threads[t].kind != TL_SYS_IO || ev->threads[t].fd < 0)
			continue;
		io |= UINT64_C(1) << t;
		for (size_t k = 0; k < n && !ino[t]; k++)
			if (mine[k].fd == ev->threads[t].fd)
				ino[t] = mine[k].inode;
	}
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *sk = &snap->socks[i];
		bool conn = L && tli_accepted_of(L, sk) &&
			    has_inode(mine, n, sk->inode);

		ev->held += conn;
		ev->held_closed += conn && sk->state == TL_CLOSE_WAIT;
		for (size_t t = 0; io && t < ev->n_read && t < 64; t++) {
			if (!ino[t] || sk->inode != ino[t])
				continue;
			on[t] = sk;
			if (conn)
				ev->on_held |= UINT64_C(1) << t;
		}
	}
	free(mine);
	for (size_t t = 0; io && t < ev->n_read && t < 64; t++)
		if (io >> t & 1) {
			tli_ev_describe_fd(pdir, &ev->threads[t], on[t]);
			/* A call to itself, queued where it does not accept. */
			if (on[t] && !ev->has_self_fd && ev->tcp[TL_LISTEN] &&
			    to_own_queue(snap, ev->pid, on[t])) {
				ev->has_self_fd = true;
				ev->self_fd = ev->threads[t].fd;
				snprintf(
					ev->threads[t].fd_what,
					sizeof(ev->threads[t].fd_what),
					"a TCP connection to %s, queued at its own listener",
					tl_addr_format_port(addr, sizeof(addr),
							    on[t]->family,
							    on[t]->dst,
							    on[t]->dport));
			}
		}
	if (L) {
		const struct tl_fdref *first;
		size_t nl = tl_owners_find(ow, L->inode, &first);

		/* A process may hold it twice (dup): count each once. */
		for (size_t k = 0; k < nl; k++) {
			size_t j = 0;

			while (j < k && first[j].proc != first[k].proc)
				j++;
			ev->sharers += j == k;
		}
		tli_lost_children(snap, L, ev->pid, NULL, 0,
				  &ev->children_held);
	}
	for (size_t i = 0; io && i < snap->n_socks; i++) {
		const struct tl_sock *l = &snap->socks[i];

		if (l->state != TL_LISTEN)
			continue;
		for (size_t t = 0; t < ev->n_read && t < 64; t++)
			if (on[t] && tli_accepted_of(l, on[t]))
				io &= ~(UINT64_C(1) << t);
	}
	/* A leak's process may wait in epoll on no connection at all. */
	if (!L)
		tli_ev_epoll_elsewhere(pdir, snap, ev, &io);
	ev->on_other = io;
}

/*
 * Whether one of the threads read is a Tokio worker: the multi-threaded
 * runtime names its threads tokio-runtime-worker unless the program names
 * them itself (comm keeps the first 15 bytes). A program that renames them
 * stays unknown, which only keeps the general conclusion.
 */
static bool tokio_threads(int pdir, const struct tl_evidence *ev)
{
	static const char worker[] = "tokio-runtime-w";
	char path[64], comm[32];

	for (size_t i = 0; i < ev->n_read; i++) {
		snprintf(path, sizeof(path), "task/%d/comm",
			 (int)ev->threads[i].tid);
		if (tli_ev_read_at(pdir, path, comm, sizeof(comm)) > 0 &&
		    strncmp(comm, worker, sizeof(worker) - 1) == 0)
			return true;
	}
	return false;
}

/*
 * The runtime of the program, read from the start of its file or its
 * threads' names, only where it changes what a registration means (an
 * edge-triggered listener): the file is the program's, not /proc text,
 * and stays unread otherwise.
 */
static void gather_runtime(int pdir, int fdir, struct tl_evidence *ev)
{
	bool edge = false;
	char *head;
	ssize_t n;

	for (size_t i = 0; i < ev->n_regs; i++)
		edge |= (ev->regs[i].events & TL_EPOLLET) != 0;
	if (!edge)
		return;
	head = malloc(TL_EV_ELF_HEAD);
	if (!head)
		return;
	n = tli_read_file_at(fdir, "exe", head, TL_EV_ELF_HEAD);
	if (n > 0 && tl_ev_parse_elf_runtime(head, (size_t)n) == TL_RT_GO)
		ev->runtime = TL_RT_GO;
	else if (tokio_threads(pdir, ev))
		ev->runtime = TL_RT_TOKIO;
	free(head);
}

/*
 * Its fd limit, which tells a limit set low from a table filled up: the
 * one the snapshot's owners pass read, which the finding was made on, or
 * /proc/PID/limits where that pass did not read it.
 */
static void gather_limit(int pdir, const struct tl_snapshot *snap,
			 struct tl_evidence *ev)
{
	const struct tl_proc *p =
		snap && snap->owners ? tl_owners_proc(snap->owners, ev->pid) :
				       NULL;
	char buf[TL_EV_STATUS_BUF];
	ssize_t n;

	if (p && p->nofile) {
		ev->nofile = p->nofile;
		return;
	}
	n = tli_ev_read_at(pdir, "limits", buf, sizeof(buf));
	if (n <= 0 ||
	    tl_proc_parse_limits(buf, (size_t)n, &ev->nofile, NULL) < 0)
		ev->nofile = 0;
}

int tl_evidence_gather(const char *proc_root, pid_t pid,
		       const struct tl_snapshot *snap,
		       const struct tl_sock *listener, unsigned what,
		       struct tl_evidence *ev)
{
	char path[PATH_MAX], buf[TL_EV_STATUS_BUF];
	struct stat st;
	ssize_t n;
	int pdir, fdir, r;

	if (pid <= 0 || !ev ||
	    (listener && (!snap || listener->state != TL_LISTEN)))
		return -EINVAL;
	if (!proc_root)
		proc_root = "/proc";
	memset(ev, 0, sizeof(*ev));
	ev->pid = pid;
	ev->listener_fd = -1;
	ev->served = what & TL_EV_SERVED;
	r = snprintf(path, sizeof(path), "%s/%d", proc_root, (int)pid);
	if (r < 0 || (size_t)r >= sizeof(path))
		return -EINVAL;
	pdir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pdir < 0) {
		r = errno;
		/* No such root is the caller's mistake, not an exit. */
		if (stat(proc_root, &st) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
		ev->gone = r == ENOENT || r == ESRCH;
		return 0;
	}
	fdir = pdir;
	n = tli_ev_read_at(pdir, "status", buf, sizeof(buf));
	if (n < 0 && (n == -ENOENT || n == -ESRCH)) {
		ev->gone = true;
		goto out;
	}
	if (n > 0)
		tl_ev_parse_status(buf, (size_t)n, &ev->state, &ev->tracer,
				   &ev->n_threads);
	/*
	 * A zombie leader whose other threads live on: its main thread
	 * called pthread_exit(). The fd table, the memory and the exe are
	 * the live threads', and show only under theirs.
	 */
	if (ev->state == 'Z' && ev->n_threads > 1) {
		fdir = tli_proc_other_thread(pdir, "task", pid);
		ev->main_exited = fdir >= 0;
		if (fdir < 0)
			fdir = pdir;
	}
	/* Stopped or traced, it is its live threads that are. */
	if (ev->main_exited) {
		uint32_t threads;

		n = tli_ev_read_at(fdir, "status", buf, sizeof(buf));
		if (n > 0)
			tl_ev_parse_status(buf, (size_t)n, &ev->state,
					   &ev->tracer, &threads);
	}
	/* Threads first: the epoll sets are matched against their waits. */
	if (what & (TL_EV_THREADS | TL_EV_LISTENER | TL_EV_LEAK)) {
		tli_ev_gather_threads(pdir, ev, proc_root);
		tli_ev_gather_frozen(pdir, proc_root, ev);
	}
	if (listener) {
		ev->has_listener = true;
		ev->port = listener->sport;
		ev->backlog = listener->wqueue;
		ev->queued = listener->rqueue;
		holds(snap, listener, pid, &ev->listener_fd);
	}
	if (listener) {
		int32_t fds[LISTENER_FDS_MAX];
		size_t nf = fds_of(snap, listener, pid, fds, LISTENER_FDS_MAX);

		accept_other(ev, fds, nf);
		ev->listener_stdin = handed_stdin(snap, listener, pid, fds, nf);
		if ((what & TL_EV_LISTENER) &&
		    tli_ev_any_thread(ev, TL_SYS_POLL))
			tli_ev_gather_polls(pdir, ev, fds, nf);
	}
	if (what & (TL_EV_FDS | TL_EV_LISTENER | TL_EV_LEAK)) {
		if (gather_fds(fdir, ev, snap,
			       what & TL_EV_LISTENER ? listener : NULL,
			       what & TL_EV_LEAK) == 0) {
			ev->has_fds = true;
			if (snap)
				count_tcp(snap, pid, what & TL_EV_LEAK, ev);
		}
		gather_limit(pdir, snap, ev);
	}
	/* Which runtime: its own registrations, and its own limits' names. */
	if (listener || (what & TL_EV_FDS))
		gather_runtime(pdir, fdir, ev);
	if (snap && (listener || (what & TL_EV_LEAK)))
		scan_held(snap, listener, ev, fdir);
	if (what & TL_EV_LEAK)
		tli_ev_gather_children(pdir, proc_root, ev);
out:
	if (fdir != pdir)
		close(fdir);
	close(pdir);
	return 0;
}
