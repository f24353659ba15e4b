// SPDX-License-Identifier: MIT
/*
 * evidence: the /proc parsers and the gatherer. Every file is read into a
 * bounded buffer and parsed by hand: /proc text of another process is
 * input like any other (a wchan or a link target may be anything).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcplimbo/evidence.h"

#define STATUS_BUF 8192
#define SMALL_BUF 512
#define SCHED_BUF 4096
#define FDINFO_BUF 16384
#define LINK_BUF 256
/* The most epoll fds whose fdinfo one gather reads. */
#define EPOLLS_READ_MAX 64

/* One syscall of the table. */
struct sysent {
	long nr[TL_EV_ARCH_MAX]; /* -1: the architecture has no such call */
	const char *name;
	uint8_t group;
	bool has_fd;
};

/*
 * The calls a server waits in. Numbers from asm/unistd_64.h (x86_64) and
 * asm-generic/unistd.h (arm64).
 */
static const struct sysent systab[] = {
	{ { 43, 202 }, "accept", TL_SYS_ACCEPT, true },
	{ { 288, 242 }, "accept4", TL_SYS_ACCEPT, true },
	{ { 232, -1 }, "epoll_wait", TL_SYS_EPOLL, true },
	{ { 281, 22 }, "epoll_pwait", TL_SYS_EPOLL, true },
	{ { 441, 441 }, "epoll_pwait2", TL_SYS_EPOLL, true },
	{ { 7, -1 }, "poll", TL_SYS_POLL, false },
	{ { 271, 73 }, "ppoll", TL_SYS_POLL, false },
	{ { 23, -1 }, "select", TL_SYS_POLL, false },
	{ { 270, 72 }, "pselect6", TL_SYS_POLL, false },
	{ { 202, 98 }, "futex", TL_SYS_FUTEX, false },
	{ { 0, 63 }, "read", TL_SYS_IO, true },
	{ { 1, 64 }, "write", TL_SYS_IO, true },
	{ { 45, 207 }, "recvfrom", TL_SYS_IO, true },
	{ { 47, 212 }, "recvmsg", TL_SYS_IO, true },
	{ { 44, 206 }, "sendto", TL_SYS_IO, true },
	{ { 42, 203 }, "connect", TL_SYS_IO, true },
	{ { 73, 32 }, "flock", TL_SYS_IO, true },
	{ { 426, 426 }, "io_uring_enter", TL_SYS_IO, true },
	{ { 35, 101 }, "nanosleep", TL_SYS_SLEEP, false },
	{ { 230, 115 }, "clock_nanosleep", TL_SYS_SLEEP, false },
	{ { 34, -1 }, "pause", TL_SYS_SLEEP, false },
	{ { 61, 260 }, "wait4", TL_SYS_WAIT, false },
	{ { 247, 95 }, "waitid", TL_SYS_WAIT, false },
	{ { 130, 133 }, "rt_sigsuspend", TL_SYS_WAIT, false },
	{ { 128, 137 }, "rt_sigtimedwait", TL_SYS_WAIT, false },
	{ { 219, 128 }, "restart_syscall", TL_SYS_OTHER, false },
};

/* Singular and plural nouns of each fd kind. */
static const char *const fd_kind_names[TL_FDK_MAX][2] = {
	[TL_FDK_TCP] = { "TCP socket", "TCP sockets" },
	[TL_FDK_SOCKET] = { "other socket", "other sockets" },
	[TL_FDK_FILE] = { "file", "files" },
	[TL_FDK_DEVICE] = { "device file", "device files" },
	[TL_FDK_PIPE] = { "pipe", "pipes" },
	[TL_FDK_EVENTFD] = { "eventfd", "eventfds" },
	[TL_FDK_EPOLL] = { "epoll fd", "epoll fds" },
	[TL_FDK_TIMERFD] = { "timerfd", "timerfds" },
	[TL_FDK_SIGNALFD] = { "signalfd", "signalfds" },
	[TL_FDK_OTHER] = { "other fd", "other fds" },
};

int tl_ev_arch_native(void)
{
#if defined(__x86_64__)
	return TL_EV_ARCH_X86_64;
#elif defined(__aarch64__)
	return TL_EV_ARCH_ARM64;
#else
	return TL_EV_ARCH_MAX;
#endif
}

const char *tl_ev_syscall_name(int arch, long nr, int *ret_group,
			       bool *ret_has_fd)
{
	if (arch >= 0 && arch < TL_EV_ARCH_MAX && nr >= 0) {
		for (size_t i = 0; i < sizeof(systab) / sizeof(systab[0]);
		     i++) {
			if (systab[i].nr[arch] != nr)
				continue;
			if (ret_group)
				*ret_group = systab[i].group;
			if (ret_has_fd)
				*ret_has_fd = systab[i].has_fd;
			return systab[i].name;
		}
	}
	if (ret_group)
		*ret_group = TL_SYS_OTHER;
	if (ret_has_fd)
		*ret_has_fd = false;
	return NULL;
}

const char *tl_fd_kind_name(int kind, uint64_t n)
{
	return kind >= 0 && kind < TL_FDK_MAX ? fd_kind_names[kind][n != 1] :
						NULL;
}

/* Unsigned number in base 10 or 16 at *p; moves *p past it. */
static int parse_num(const char **p, const char *end, unsigned base,
		     uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;
	size_t digits = 0;

	for (; s < end; s++, digits++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -EINVAL;
		v = v * base + d;
	}
	if (digits == 0)
		return -EINVAL;
	*p = s;
	*ret = v;
	return 0;
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* The line starting with key (key includes its ':'), or NULL. */
static const char *find_line(const char *buf, const char *end, const char *key,
			     const char **ret_eol)
{
	size_t klen = strlen(key);

	for (const char *line = buf; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;

		if ((size_t)(eol - line) >= klen &&
		    memcmp(line, key, klen) == 0) {
			*ret_eol = eol;
			return line + klen;
		}
		line = nl ? nl + 1 : end;
	}
	return NULL;
}

int tl_ev_parse_status(const char *buf, size_t len, char *ret_state,
		       pid_t *ret_tracer, uint32_t *ret_threads)
{
	const char *end, *p, *eol;
	uint64_t tracer = 0, threads = 0;
	char state;

	if (!buf)
		return -EINVAL;
	end = buf + len;
	p = find_line(buf, end, "State:", &eol);
	if (!p)
		return -ENOENT;
	p = skip_blanks(p, eol);
	if (p >= eol || *p < 'A' || *p > 'z' || (*p > 'Z' && *p < 'a'))
		return -EINVAL;
	state = *p;
	p = find_line(buf, end, "TracerPid:", &eol);
	if (p) {
		p = skip_blanks(p, eol);
		if (parse_num(&p, eol, 10, &tracer) < 0 || tracer > INT_MAX)
			return -EINVAL;
	}
	p = find_line(buf, end, "Threads:", &eol);
	if (p) {
		p = skip_blanks(p, eol);
		if (parse_num(&p, eol, 10, &threads) < 0 ||
		    threads > UINT32_MAX)
			return -EINVAL;
	}
	*ret_state = state;
	if (ret_tracer)
		*ret_tracer = (pid_t)tracer;
	if (ret_threads)
		*ret_threads = (uint32_t)threads;
	return 0;
}

int tl_ev_parse_syscall(const char *buf, size_t len, int arch, int *ret_kind,
			long *ret_nr, int64_t *ret_fd)
{
	const char *p = buf, *end = buf + len;
	uint64_t nr, arg;
	int group;
	bool has_fd;

	if (!buf)
		return -EINVAL;
	while (end > p && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	if (end - p == 7 && memcmp(p, "running", 7) == 0) {
		*ret_kind = TL_SYS_RUNNING;
		*ret_nr = -1;
		*ret_fd = -1;
		return 0;
	}
	if (p < end && *p == '-') {
		/* "-1 SP PC": blocked, but not in a syscall. */
		p++;
		if (parse_num(&p, end, 10, &nr) < 0 || nr != 1 ||
		    (p < end && *p != ' '))
			return -EINVAL;
		*ret_kind = TL_SYS_NONE;
		*ret_nr = -1;
		*ret_fd = -1;
		return 0;
	}
	if (parse_num(&p, end, 10, &nr) < 0 || nr > 100000 || p >= end ||
	    *p != ' ')
		return -EINVAL;
	p++;
	if (end - p < 3 || p[0] != '0' || p[1] != 'x')
		return -EINVAL;
	p += 2;
	if (parse_num(&p, end, 16, &arg) < 0 || (p < end && *p != ' '))
		return -EINVAL;
	tl_ev_syscall_name(arch, (long)nr, &group, &has_fd);
	*ret_kind = group;
	*ret_nr = (long)nr;
	/* An fd is an int: a larger register value is no fd. */
	*ret_fd = has_fd && arg <= INT32_MAX ? (int64_t)arg : -1;
	return 0;
}

int tl_ev_parse_sched(const char *buf, size_t len, uint64_t *ret_ns)
{
	const char *end, *p, *eol;
	uint64_t ms, frac = 0;
	size_t fdigits;

	if (!buf)
		return -EINVAL;
	end = buf + len;
	p = find_line(buf, end, "se.exec_start", &eol);
	if (!p)
		return -ENOENT;
	p = skip_blanks(p, eol);
	if (p >= eol || *p != ':')
		return -EINVAL;
	p = skip_blanks(p + 1, eol);
	if (parse_num(&p, eol, 10, &ms) < 0 || ms > UINT64_MAX / 1000000)
		return -EINVAL;
	if (p < eol && *p == '.') {
		const char *f = ++p;

		if (parse_num(&p, eol, 10, &frac) < 0)
			return -EINVAL;
		fdigits = (size_t)(p - f);
		if (fdigits > 6)
			return -EINVAL;
		for (; fdigits < 6; fdigits++)
			frac *= 10;
	}
	p = skip_blanks(p, eol);
	if (p != eol)
		return -EINVAL;
	*ret_ns = ms * 1000000 + frac;
	return 0;
}

/* Finds "key" on [p, eol) and parses the number after it and blanks. */
static int field_after(const char *p, const char *eol, const char *key,
		       unsigned base, uint64_t *ret)
{
	size_t klen = strlen(key);

	for (; p + klen <= eol; p++) {
		if (memcmp(p, key, klen) != 0)
			continue;
		p = skip_blanks(p + klen, eol);
		return parse_num(&p, eol, base, ret) < 0 ||
				       (p < eol && *p != ' ') ?
			       -EINVAL :
			       0;
	}
	return -EINVAL;
}

int tl_ev_parse_epoll(const char *buf, size_t len,
		      int (*cb)(int32_t tfd, uint32_t events, uint64_t ino,
				void *arg),
		      void *arg)
{
	const char *end;

	if (!buf || !cb)
		return -EINVAL;
	end = buf + len;
	for (const char *line = buf; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;
		uint64_t tfd, events, ino;
		int r;

		if (eol - line >= 4 && memcmp(line, "tfd:", 4) == 0) {
			const char *p = skip_blanks(line + 4, eol);

			if (parse_num(&p, eol, 10, &tfd) < 0 ||
			    tfd > INT32_MAX ||
			    field_after(p, eol, "events:", 16, &events) < 0 ||
			    events > UINT32_MAX ||
			    field_after(p, eol, "ino:", 16, &ino) < 0)
				return -EINVAL;
			r = cb((int32_t)tfd, (uint32_t)events, ino, arg);
			if (r)
				return r;
		}
		line = nl ? nl + 1 : end;
	}
	return 0;
}

int tl_ev_fd_kind(const char *link, size_t len, uint32_t *ret_inode)
{
	static const struct {
		const char *prefix;
		int kind;
	} anon[] = {
		{ "anon_inode:[eventfd]", TL_FDK_EVENTFD },
		{ "anon_inode:[eventpoll]", TL_FDK_EPOLL },
		{ "anon_inode:[timerfd]", TL_FDK_TIMERFD },
		{ "anon_inode:[signalfd]", TL_FDK_SIGNALFD },
		{ "pipe:[", TL_FDK_PIPE },
		{ "/dev/", TL_FDK_DEVICE },
	};
	uint32_t ino;

	if (!link || len == 0)
		return TL_FDK_OTHER;
	if (len > 7 && memcmp(link, "socket:", 7) == 0) {
		ino = tl_proc_parse_socket_link(link, len);
		if (ino && ret_inode)
			*ret_inode = ino;
		return TL_FDK_SOCKET;
	}
	for (size_t i = 0; i < sizeof(anon) / sizeof(anon[0]); i++) {
		size_t plen = strlen(anon[i].prefix);

		if (len >= plen && memcmp(link, anon[i].prefix, plen) == 0)
			return anon[i].kind;
	}
	return link[0] == '/' ? TL_FDK_FILE : TL_FDK_OTHER;
}

/* Reads dir_fd/path into buf (size - 1 bytes at most, terminated). */
static ssize_t read_at(int dir_fd, const char *path, char *buf, size_t size)
{
	size_t len = 0;
	int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;

			close(fd);
			return e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

/* Keeps what a kernel symbol may hold; anything else ends the name. */
static void copy_wchan(char *dst, const char *src, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o < TL_EV_WCHAN_MAX - 1; i++) {
		char c = src[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.'))
			break;
		dst[o++] = c;
	}
	dst[o] = '\0';
	/* "0" means not sleeping in the kernel. */
	if (strcmp(dst, "0") == 0)
		dst[0] = '\0';
}

/* Reads one thread of the process directory pdir. */
static void read_thread(int pdir, pid_t tid, struct tl_ev_thread *t,
			uint64_t *ret_exec_ns, bool *ret_has_exec)
{
	char path[64], buf[STATUS_BUF];
	ssize_t n;
	int kind;

	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->fd = -1;
	t->nr = -1;
	snprintf(path, sizeof(path), "task/%d/status", (int)tid);
	n = read_at(pdir, path, buf, sizeof(buf));
	if (n > 0 &&
	    tl_ev_parse_status(buf, (size_t)n, &t->state, NULL, NULL) < 0)
		t->state = 0;
	snprintf(path, sizeof(path), "task/%d/syscall", (int)tid);
	n = read_at(pdir, path, buf, SMALL_BUF);
	if (n > 0 && tl_ev_parse_syscall(buf, (size_t)n, tl_ev_arch_native(),
					 &kind, &t->nr, &t->fd) == 0) {
		t->kind = (uint8_t)kind;
		if (kind >= TL_SYS_ACCEPT)
			t->sys = tl_ev_syscall_name(tl_ev_arch_native(), t->nr,
						    NULL, NULL);
	}
	snprintf(path, sizeof(path), "task/%d/wchan", (int)tid);
	n = read_at(pdir, path, buf, SMALL_BUF);
	if (n > 0)
		copy_wchan(t->wchan, buf, (size_t)n);
	snprintf(path, sizeof(path), "task/%d/sched", (int)tid);
	n = read_at(pdir, path, buf, SCHED_BUF);
	if (n > 0 && tl_ev_parse_sched(buf, (size_t)n, ret_exec_ns) == 0)
		*ret_has_exec = true;
}

/* The pid of the process at owners index proc, or 0. */
static pid_t ref_pid(const struct tl_snapshot *snap, uint32_t proc)
{
	return snap->owners && proc < snap->owners->n_procs ?
		       snap->owners->procs[proc].pid :
		       0;
}

/* Whether pid holds sk, and one of its fds for it. */
static bool holds(const struct tl_snapshot *snap, const struct tl_sock *sk,
		  pid_t pid, int32_t *ret_fd)
{
	const struct tl_fdref *refs;
	size_t n = tl_snapshot_owners(snap, sk, &refs);

	for (size_t k = 0; k < n; k++) {
		if (ref_pid(snap, refs[k].proc) == pid) {
			if (ret_fd)
				*ret_fd = refs[k].fd;
			return true;
		}
	}
	return false;
}

static int cmp_tid(const void *a, const void *b)
{
	const struct tl_ev_thread *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static int gather_threads(int pdir, struct tl_evidence *ev,
			  const char *proc_root)
{
	uint64_t newest = 0, now = 0, ns;
	bool has_newest = false, has_now = false;
	char path[PATH_MAX], buf[SCHED_BUF];
	struct dirent *de;
	ssize_t n;
	DIR *d;
	int tfd = openat(pdir, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (tfd < 0)
		return -errno;
	d = fdopendir(tfd);
	if (!d) {
		close(tfd);
		return -ENOMEM;
	}
	while ((de = readdir(d)) && ev->n_read < TL_EV_THREADS_MAX) {
		const char *p = de->d_name, *end = p + strnlen(p, 16);
		uint64_t tid;
		bool has = false;

		if (parse_num(&p, end, 10, &tid) < 0 || p != end || tid == 0 ||
		    tid > INT_MAX)
			continue;
		read_thread(pdir, (pid_t)tid, &ev->threads[ev->n_read], &ns,
			    &has);
		if (has && (!has_newest || ns > newest)) {
			newest = ns;
			has_newest = true;
		}
		ev->n_read++;
	}
	closedir(d);
	/* readdir's order is the directory's: sort for stable texts. */
	qsort(ev->threads, ev->n_read, sizeof(ev->threads[0]), cmp_tid);
	/*
	 * exec_start runs on the scheduler's clock, not CLOCK_MONOTONIC: our
	 * own thread's, read now, is that clock's present.
	 */
	snprintf(path, sizeof(path), "%s/thread-self/sched", proc_root);
	n = read_at(AT_FDCWD, path, buf, sizeof(buf));
	if (n > 0 && tl_ev_parse_sched(buf, (size_t)n, &now) == 0)
		has_now = true;
	if (has_newest && has_now && now >= newest) {
		ev->has_idle = true;
		ev->idle_ms = (now - newest) / 1000000;
	}
	return 0;
}

struct epoll_ctx {
	struct tl_evidence *ev;
	int32_t epfd;
	uint32_t inode;
};

static int on_tfd(int32_t tfd, uint32_t events, uint64_t ino, void *arg)
{
	struct epoll_ctx *c = arg;
	struct tl_ev_reg *reg;

	if (ino != c->inode || c->ev->n_regs >= TL_EV_REGS_MAX)
		return 0;
	reg = &c->ev->regs[c->ev->n_regs++];
	reg->epfd = c->epfd;
	reg->tfd = tfd;
	reg->events = events;
	for (size_t i = 0; i < c->ev->n_read; i++)
		if (c->ev->threads[i].kind == TL_SYS_EPOLL &&
		    c->ev->threads[i].fd == c->epfd)
			reg->waited = true;
	return 0;
}

/* Walks the fd table: the census, and the listener in each epoll set. */
static int gather_fds(int pdir, struct tl_evidence *ev,
		      const struct tl_sock *listener)
{
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
	if (listener && listener->inode)
		info = malloc(FDINFO_BUF);
	while ((de = readdir(d)) && ev->n_fds < TL_EV_FDS_MAX) {
		const char *p = de->d_name, *end = p + strnlen(p, 16);
		uint64_t fd;
		ssize_t n;
		int kind;

		if (parse_num(&p, end, 10, &fd) < 0 || p != end ||
		    fd > INT32_MAX)
			continue;
		n = readlinkat(fdd, de->d_name, link, sizeof(link) - 1);
		if (n < 0)
			continue; /* closed since readdir */
		link[n] = '\0';
		kind = tl_ev_fd_kind(link, (size_t)n, NULL);
		ev->n_fds++;
		ev->kinds[kind]++;
		if (kind != TL_FDK_EPOLL)
			continue;
		ev->n_epolls++;
		if (!info || ev->n_epolls > EPOLLS_READ_MAX)
			continue;
		snprintf(path, sizeof(path), "fdinfo/%d", (int)fd);
		n = read_at(pdir, path, info, FDINFO_BUF);
		if (n >= 0) {
			struct epoll_ctx c = { ev, (int32_t)fd,
					       listener->inode };

			ev->n_epolls_read++;
			tl_ev_parse_epoll(info, (size_t)n, on_tfd, &c);
		}
	}
	free(info);
	closedir(d);
	return 0;
}

/* The TCP sockets of the snapshot pid holds, by state. */
static void count_tcp(const struct tl_snapshot *snap, pid_t pid,
		      struct tl_evidence *ev)
{
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
		}
	}
	/* The snapshot is a moment older than the fd walk. */
	if (total > ev->kinds[TL_FDK_SOCKET])
		total = ev->kinds[TL_FDK_SOCKET];
	ev->kinds[TL_FDK_TCP] = total;
	ev->kinds[TL_FDK_SOCKET] -= total;
}

/* The connections of listener L that pid holds (accepted, not closed). */
static uint64_t count_held(const struct tl_snapshot *snap,
			   const struct tl_sock *L, pid_t pid)
{
	static const uint8_t any[16];
	size_t alen = L->family == AF_INET ? 4 : 16;
	bool wild = memcmp(L->src, any, alen) == 0;
	uint64_t held = 0;

	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *sk = &snap->socks[i];

		if ((sk->state != TL_ESTABLISHED &&
		     sk->state != TL_CLOSE_WAIT) ||
		    sk->limbo != TL_LIMBO_NONE || sk->sport != L->sport)
			continue;
		if (!wild && (sk->family != L->family ||
			      memcmp(sk->src, L->src, alen) != 0))
			continue;
		if (holds(snap, sk, pid, NULL))
			held++;
	}
	return held;
}

int tl_evidence_gather(const char *proc_root, pid_t pid,
		       const struct tl_snapshot *snap,
		       const struct tl_sock *listener, unsigned what,
		       struct tl_evidence *ev)
{
	char path[PATH_MAX], buf[STATUS_BUF];
	ssize_t n;
	int pdir, r;

	if (!proc_root || pid <= 0 || !ev ||
	    (listener && (!snap || listener->state != TL_LISTEN)))
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	ev->pid = pid;
	ev->listener_fd = -1;
	r = snprintf(path, sizeof(path), "%s/%d", proc_root, (int)pid);
	if (r < 0 || (size_t)r >= sizeof(path))
		return -EINVAL;
	pdir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pdir < 0) {
		ev->gone = errno == ENOENT || errno == ESRCH;
		return 0;
	}
	n = read_at(pdir, "status", buf, sizeof(buf));
	if (n < 0 && (n == -ENOENT || n == -ESRCH)) {
		ev->gone = true;
		goto out;
	}
	if (n > 0)
		tl_ev_parse_status(buf, (size_t)n, &ev->state, &ev->tracer,
				   &ev->n_threads);
	/* Threads first: the epoll sets are matched against their waits. */
	if (what & (TL_EV_THREADS | TL_EV_LISTENER))
		gather_threads(pdir, ev, proc_root);
	if (listener) {
		ev->has_listener = true;
		ev->port = listener->sport;
		ev->backlog = listener->wqueue;
		ev->queued = listener->rqueue;
		holds(snap, listener, pid, &ev->listener_fd);
		ev->held = count_held(snap, listener, pid);
	}
	if (what & (TL_EV_FDS | TL_EV_LISTENER)) {
		if (gather_fds(pdir, ev,
			       what & TL_EV_LISTENER ? listener : NULL) == 0) {
			ev->has_fds = true;
			if (snap)
				count_tcp(snap, pid, ev);
		}
	}
out:
	close(pdir);
	return 0;
}
