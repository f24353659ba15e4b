// SPDX-License-Identifier: MIT
/*
 * owners: one pass over /proc that maps socket inodes to the processes and
 * file descriptors holding them.
 *
 * This is a hot path: on a busy host there are hundreds of thousands of
 * fds, and the unavoidable cost is one readlinkat() per fd. Everything
 * else is kept per process (a handful of syscalls) or amortized: one
 * getdents64 buffer for the whole scan, arrays that grow by doubling, and
 * a radix sort of the refs at the end instead of a comparison sort.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "owners_impl.h"
#include "tcplimbo/owners.h"
#include "util.h"

/* /proc/PID/stat is well under 1 KiB; a longer file is not the kernel's. */
#define STAT_BUF_SIZE 2048
/* /proc/PID/limits is about 1.4 KiB. */
#define LIMITS_BUF_SIZE 4096
/* "socket:[4294967295]" is 19 bytes; a full buffer means "not a socket". */
#define LINK_BUF_SIZE 64

uint32_t tl_proc_parse_socket_link(const char *buf, size_t len)
{
	static const char prefix[] = "socket:[";
	const size_t plen = sizeof(prefix) - 1;
	const char *p, *end;
	uint64_t v;

	/* The shortest socket link is "socket:[1]". */
	if (!buf || len < plen + 2 || memcmp(buf, prefix, plen) != 0 ||
	    buf[len - 1] != ']')
		return 0;
	p = buf + plen;
	end = buf + len - 1;
	/* Leading zeros never come from the kernel; bounding digits also
	 * bounds the work on hostile input. */
	if (end - p > 10 || tli_parse_u64(&p, end, UINT32_MAX, &v) < 0 ||
	    p != end)
		return 0;
	return (uint32_t)v;
}

int tli_proc_parse_stat(const char *buf, size_t len, char comm[TL_COMM_MAX],
			uint64_t *ret_start_ticks, uint64_t *ret_cpu_ticks,
			pid_t *ret_ppid, uint64_t *ret_flags)
{
	const char *open, *close, *p, *end;
	uint64_t utime = 0, stime = 0, start = 0, ppid = 0, flags = 0;
	size_t clen;
	int field;

	if (!buf)
		return -EINVAL;
	end = buf + len;
	open = memchr(buf, '(', len);
	if (!open)
		return -EINVAL;
	/* The comm may itself hold ')', so the last one ends it. */
	close = memrchr(open + 1, ')', (size_t)(end - (open + 1)));
	if (!close)
		return -EINVAL;

	/* Field 3 (state) follows ") "; we want 4, 9, 14, 15 and 22. */
	p = close + 1;
	for (field = 3; field <= 22; field++) {
		uint64_t v = 0;

		if (p >= end || *p != ' ')
			return -EINVAL;
		p++;
		if (field == 4 || field == 9 || field == 14 || field == 15 ||
		    field == 22) {
			if (tli_parse_u64(&p, end, UINT64_MAX, &v) < 0)
				return -EINVAL;
			/* The number must end the field. */
			if (p < end && *p != ' ' && *p != '\n')
				return -EINVAL;
			if (field == 4)
				ppid = v;
			else if (field == 9)
				flags = v;
			else if (field == 14)
				utime = v;
			else if (field == 15)
				stime = v;
			else
				start = v;
		} else {
			const char *q = p;

			while (p < end && *p != ' ' && *p != '\n')
				p++;
			if (p == q)
				return -EINVAL;
		}
	}
	if (utime > UINT64_MAX - stime || ppid > INT32_MAX)
		return -EINVAL;

	clen = (size_t)(close - (open + 1));
	if (clen > TL_COMM_MAX - 1)
		clen = TL_COMM_MAX - 1;
	memcpy(comm, open + 1, clen);
	comm[clen] = '\0';
	if (ret_start_ticks)
		*ret_start_ticks = start;
	if (ret_cpu_ticks)
		*ret_cpu_ticks = utime + stime;
	if (ret_ppid)
		*ret_ppid = (pid_t)ppid;
	if (ret_flags)
		*ret_flags = flags;
	return 0;
}

int tl_proc_parse_stat(const char *buf, size_t len, char comm[TL_COMM_MAX],
		       uint64_t *ret_start_ticks, uint64_t *ret_cpu_ticks,
		       pid_t *ret_ppid)
{
	return tli_proc_parse_stat(buf, len, comm, ret_start_ticks,
				   ret_cpu_ticks, ret_ppid, NULL);
}

/* Parses "unlimited" or a number at *p, skipping leading blanks. */
static int parse_limit(const char **p, const char *end, uint64_t *ret)
{
	static const char unl[] = "unlimited";
	const size_t ulen = sizeof(unl) - 1;
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if ((size_t)(end - s) >= ulen && memcmp(s, unl, ulen) == 0) {
		s += ulen;
		*ret = UINT64_MAX;
	} else if (tli_parse_u64(&s, end, UINT64_MAX, ret) < 0) {
		return -EINVAL;
	}
	/* The value must end at a blank or the line's end. */
	if (s < end && *s != ' ' && *s != '\t' && *s != '\n')
		return -EINVAL;
	*p = s;
	return 0;
}

int tl_proc_parse_limits(const char *buf, size_t len, uint64_t *ret_soft,
			 uint64_t *ret_hard)
{
	static const char key[] = "Max open files";
	const size_t klen = sizeof(key) - 1;
	const char *line = buf, *end = buf + len;
	uint64_t soft, hard;

	if (!buf)
		return -EINVAL;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;
		const char *p;

		if ((size_t)(eol - line) < klen ||
		    memcmp(line, key, klen) != 0) {
			line = nl ? nl + 1 : end;
			continue;
		}
		p = line + klen;
		/* "Max open files" must be followed by blanks, not more
		 * words. */
		if (p >= eol || (*p != ' ' && *p != '\t'))
			return -EINVAL;
		if (parse_limit(&p, eol, &soft) < 0 ||
		    parse_limit(&p, eol, &hard) < 0)
			return -EINVAL;
		if (ret_soft)
			*ret_soft = soft;
		if (ret_hard)
			*ret_hard = hard;
		return 0;
	}
	return -ENOENT;
}

/* Parses a /proc entry name as a pid: digits only, no leading zero. */
static pid_t parse_pid(const char *name)
{
	uint64_t v;
	const char *p = name, *end = name + strnlen(name, 16);

	if (*p < '1' || *p > '9')
		return 0;
	if (tli_parse_u64(&p, end, INT_MAX, &v) < 0 || p != end)
		return 0;
	return (pid_t)v;
}

/* Parses an fd entry name; -1 if it is not a plain fd number. */
static int32_t parse_fd(const char *name)
{
	uint64_t v;
	const char *p = name, *end = name + strnlen(name, 16);

	if (*p == '0' && p[1] == '\0')
		return 0;
	if (*p < '1' || *p > '9')
		return -1;
	if (tli_parse_u64(&p, end, INT32_MAX, &v) < 0 || p != end)
		return -1;
	return (int32_t)v;
}

static bool vanished(int err)
{
	return err == -ENOENT || err == -ESRCH;
}

/*
 * Reads one fd directory, appending a ref for every socket. Returns 0,
 * -ENOMEM, -EACCES when the links cannot be read, or the -errno of
 * getdents64 (the process died mid-read).
 */
static int scan_fds(struct scan *s, int dir_fd, uint32_t proc_idx,
		    uint32_t *ret_nfds)
{
	struct tl_owners *o = s->o;
	uint32_t nfds = 0;

	for (;;) {
		ssize_t n = getdents64(dir_fd, s->dents, DENTS_BUF_SIZE);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			*ret_nfds = nfds;
			return -errno;
		}
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d =
				(struct dirent64 *)(s->dents + off);
			char link[LINK_BUF_SIZE];
			ssize_t llen;
			uint32_t ino;
			int32_t fd;

			off += d->d_reclen;
			fd = parse_fd(d->d_name);
			if (fd < 0)
				continue;
			nfds++;
			llen = readlinkat(dir_fd, d->d_name, link,
					  sizeof(link));
			/*
			 * EACCES here means the directory opened but its links
			 * are closed to us (a process the kernel guards, like
			 * pid 1 in some sandboxes): every link will fail the
			 * same way, so say so once. Any other failure is an fd
			 * closed since getdents.
			 */
			if (llen < 0 && (errno == EACCES || errno == EPERM)) {
				*ret_nfds = nfds;
				return -EACCES;
			}
			if (llen <= 0 || (size_t)llen >= sizeof(link))
				continue;
			ino = tl_proc_parse_socket_link(link, (size_t)llen);
			if (!ino)
				continue;
			if (o->n_refs == s->refs_cap &&
			    tli_grow((void **)&o->refs, &s->refs_cap,
				     sizeof(*o->refs), 1024) < 0)
				return -ENOMEM;
			o->refs[o->n_refs++] = (struct tl_fdref){
				.inode = ino, .proc = proc_idx, .fd = fd
			};
		}
	}
	*ret_nfds = nfds;
	return 0;
}

/*
 * Opens the fd directory of pid, or returns -errno. An exiting process has
 * closed its fds, unless it is a leader whose main thread exited while
 * other threads live on (pthread_exit() in main): their fd table is the
 * process's, and shows only under theirs. *ret_other says it was theirs.
 */
static int open_fd_dir(const struct scan *s, pid_t pid, uint64_t pflags,
		       bool *ret_other)
{
	char path[32];
	int tdir, fd;

	*ret_other = false;
	if (pflags & PF_EXITING) {
		snprintf(path, sizeof(path), "%d/task", (int)pid);
		tdir = tli_proc_other_thread(s->proc_fd, path, pid);
		if (tdir >= 0) {
			fd = openat(tdir, "fd",
				    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			fd = fd < 0 ? -errno : fd;
			close(tdir);
			/* That thread gone too: the leader's own, as ever. */
			if (!vanished(fd)) {
				*ret_other = true;
				return fd;
			}
		}
	}
	snprintf(path, sizeof(path), "%d/fd", (int)pid);
	fd = openat(s->proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* A process that vanishes at any step is dropped together with its refs. */
int tli_owners_scan_proc(struct scan *s, pid_t pid)
{
	struct tl_owners *o = s->o;
	size_t refs_start = o->n_refs;
	struct tl_proc *p;
	char path[32];
	char buf[LIMITS_BUF_SIZE];
	struct stat st;
	uint64_t pflags = 0;
	ssize_t len;
	bool other;
	int dir_fd, r;

	if (o->n_procs == s->procs_cap &&
	    tli_grow((void **)&o->procs, &s->procs_cap, sizeof(*o->procs),
		     256) < 0)
		return -ENOMEM;
	if (o->n_procs >= UINT32_MAX)
		return -ENOMEM;
	p = &o->procs[o->n_procs];
	memset(p, 0, sizeof(*p));
	p->pid = pid;

	/* The comm always comes from stat: one read, and it is needed to
	 * name the process even when its fds are closed to us. */
	snprintf(path, sizeof(path), "%d/stat", (int)pid);
	len = tli_read_file_at(s->proc_fd, path, buf, STAT_BUF_SIZE);
	/* ENOTDIR: a numeric name that is not a process directory. */
	if (len < 0 && (vanished((int)len) || len == -ENOTDIR))
		return 0;
	/* A malformed stat leaves comm empty and times 0: we keep the pid. */
	if (len > 0)
		tli_proc_parse_stat(buf, (size_t)len, p->comm, &p->start_ticks,
				    &p->cpu_ticks, &p->ppid, &pflags);
	/*
	 * A kernel thread has no fds: its fd directory, closed to a user
	 * who is not root, hides nothing and is not counted as denied.
	 */
	if (pflags & PF_KTHREAD)
		goto limits;

	snprintf(path, sizeof(path), "%d/fd", (int)pid);
	dir_fd = open_fd_dir(s, pid, pflags, &other);
	if (dir_fd < 0) {
		r = dir_fd;
		if (vanished(r))
			return 0;
		if (r == -ENOMEM)
			return r;
		/* The directory's owner is the process's uid, readable or
		 * not. */
		if (fstatat(s->proc_fd, path, &st, 0) == 0)
			p->uid = st.st_uid;
		else if (vanished(-errno))
			return 0;
		/*
		 * An exiting process (a zombie, most often) has closed its
		 * fds already: /proc/PID/fd would list none even to root,
		 * so nothing is hidden.
		 */
		if ((r == -EACCES || r == -EPERM) && (pflags & PF_EXITING) &&
		    !other)
			goto limits;
		p->fd_error = r;
		if (r == -EACCES || r == -EPERM)
			o->n_denied++;
	} else {
		if (fstat(dir_fd, &st) == 0)
			p->uid = st.st_uid;
		r = scan_fds(s, dir_fd, (uint32_t)o->n_procs, &p->nfds);
		close(dir_fd);
		if (r == -ENOMEM)
			return r;
		if (vanished(r)) {
			o->n_refs = refs_start;
			return 0;
		}
		if (r < 0)
			p->fd_error = r;
		if (r == -EACCES)
			o->n_denied++;
	}

limits:
	if (s->flags & TL_OWNERS_LIMITS) {
		snprintf(path, sizeof(path), "%d/limits", (int)pid);
		len = tli_read_file_at(s->proc_fd, path, buf, sizeof(buf));
		if (len < 0 && vanished((int)len)) {
			o->n_refs = refs_start;
			return 0;
		}
		if (len > 0)
			tl_proc_parse_limits(buf, (size_t)len, &p->nofile,
					     &p->nofile_hard);
	}
	o->n_procs++;
	return 0;
}

/*
 * Stable LSD radix sort of the refs by inode, 8 bits a pass; passes in
 * which every key has the same byte are skipped. Refs of one inode keep
 * their scan order (by process, then fd).
 */
static int sort_refs(struct tl_fdref *refs, size_t n)
{
	struct tl_fdref *tmp, *src = refs, *dst, *t;
	size_t count[4][256] = { { 0 } };

	if (n < 2)
		return 0;
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 4; b++)
			count[b][(refs[i].inode >> (8 * b)) & 0xff]++;
	dst = tmp;
	for (int b = 0; b < 4; b++) {
		size_t sum = 0, pos[256];
		unsigned shift = 8 * (unsigned)b;

		if (count[b][(src[0].inode >> shift) & 0xff] == n)
			continue;
		for (int i = 0; i < 256; i++) {
			pos[i] = sum;
			sum += count[b][i];
		}
		for (size_t i = 0; i < n; i++)
			dst[pos[(src[i].inode >> shift) & 0xff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != refs)
		memcpy(refs, src, n * sizeof(*refs));
	free(tmp);
	return 0;
}

struct pid_idx {
	pid_t pid;
	uint32_t idx;
};

static int cmp_pid_idx(const void *a, const void *b)
{
	const struct pid_idx *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/*
 * Orders the processes by pid so lookups can bisect. /proc lists pids in
 * order already, so this is usually only a check; other trees (tests) are
 * sorted and the refs renumbered.
 */
static int sort_procs(struct tl_owners *o)
{
	struct pid_idx *map;
	struct tl_proc *np;
	uint32_t *newidx;
	size_t i;

	for (i = 1; i < o->n_procs; i++)
		if (o->procs[i - 1].pid >= o->procs[i].pid)
			break;
	if (i >= o->n_procs)
		return 0;

	map = calloc(o->n_procs, sizeof(*map));
	np = calloc(o->n_procs, sizeof(*np));
	newidx = calloc(o->n_procs, sizeof(*newidx));
	if (!map || !np || !newidx) {
		free(map);
		free(np);
		free(newidx);
		return -ENOMEM;
	}
	for (i = 0; i < o->n_procs; i++)
		map[i] = (struct pid_idx){ o->procs[i].pid, (uint32_t)i };
	qsort(map, o->n_procs, sizeof(*map), cmp_pid_idx);
	for (i = 0; i < o->n_procs; i++) {
		np[i] = o->procs[map[i].idx];
		newidx[map[i].idx] = (uint32_t)i;
	}
	for (i = 0; i < o->n_refs; i++)
		o->refs[i].proc = newidx[o->refs[i].proc];
	free(o->procs);
	o->procs = np;
	free(map);
	free(newidx);
	return 0;
}

int tli_owners_list_pids(int proc_fd, char *dents, pid_t **ret, size_t *ret_n)
{
	pid_t *pids = NULL;
	size_t n_pids = 0, pids_cap = 0;

	/* The top-level entries are read in full before any process is
	 * scanned, because the scan reuses the dents buffer. */
	for (;;) {
		ssize_t n = getdents64(proc_fd, dents, DENTS_BUF_SIZE);

		if (n < 0) {
			int r = -errno;

			if (r == -EINTR)
				continue;
			free(pids);
			return r;
		}
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(dents + off);
			pid_t pid;

			off += d->d_reclen;
			if (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN)
				continue;
			pid = parse_pid(d->d_name);
			if (!pid)
				continue;
			if (n_pids == pids_cap &&
			    tli_grow((void **)&pids, &pids_cap, sizeof(*pids),
				     1024) < 0) {
				free(pids);
				return -ENOMEM;
			}
			pids[n_pids++] = pid;
		}
	}
	*ret = pids;
	*ret_n = n_pids;
	return 0;
}

/*
 * Builds o->index over the sorted refs: about two refs a range when the
 * inodes are spread evenly (the index then costs 2 bytes a ref), and a
 * binary search within a range where they bunch up, so no lookup takes
 * more steps than without it.
 */
static int build_index(struct tl_owners *o)
{
	struct tl_owners_index *ix;
	uint64_t span;
	size_t n, want, r = 0;
	unsigned shift = 0;

	free(o->index);
	o->index = NULL;
	/* start[] holds ref positions as uint32_t. */
	if (!o->n_refs || o->n_refs > UINT32_MAX)
		return 0;
	span = (uint64_t)o->refs[o->n_refs - 1].inode - o->refs[0].inode + 1;
	want = o->n_refs / 2 ? o->n_refs / 2 : 1;
	while ((span >> shift) > want)
		shift++;
	n = (size_t)((span - 1) >> shift) + 1;
	ix = malloc(sizeof(*ix) + (n + 1) * sizeof(ix->start[0]));
	if (!ix)
		return -ENOMEM;
	ix->min = o->refs[0].inode;
	ix->shift = shift;
	ix->n = n;
	for (size_t b = 0; b <= n; b++) {
		while (r < o->n_refs &&
		       (uint64_t)(o->refs[r].inode - ix->min) >> shift < b)
			r++;
		ix->start[b] = (uint32_t)r;
	}
	o->index = ix;
	return 0;
}

int tli_owners_sort(struct tl_owners *o)
{
	int r = sort_procs(o);

	if (r < 0)
		return r;
	r = sort_refs(o->refs, o->n_refs);
	if (r < 0)
		return r;
	return build_index(o);
}

int tl_owners_scan(const char *proc_root, unsigned flags,
		   struct tl_owners **ret)
{
	struct scan s = { .proc_fd = -1, .flags = flags };
	pid_t *pids = NULL;
	size_t n_pids = 0;
	int r;

	if (!proc_root || !ret)
		return -EINVAL;
	s.o = calloc(1, sizeof(*s.o));
	s.dents = malloc(DENTS_BUF_SIZE);
	if (!s.o || !s.dents) {
		r = -ENOMEM;
		goto fail;
	}
	s.proc_fd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s.proc_fd < 0) {
		r = -errno;
		goto fail;
	}

	r = tli_owners_list_pids(s.proc_fd, s.dents, &pids, &n_pids);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < n_pids; i++) {
		r = tli_owners_scan_proc(&s, pids[i]);
		if (r < 0)
			goto fail;
	}

	r = tli_owners_sort(s.o);
	if (r < 0)
		goto fail;
	s.o->backend = TL_OWNERS_PROC;
	s.o->threads = 1;

	close(s.proc_fd);
	free(s.dents);
	free(pids);
	*ret = s.o;
	return 0;

fail:
	if (s.proc_fd >= 0)
		close(s.proc_fd);
	free(s.dents);
	free(pids);
	tl_owners_free(s.o);
	return r;
}

void tl_owners_free(struct tl_owners *o)
{
	if (!o)
		return;
	free(o->procs);
	free(o->refs);
	free(o->index);
	free(o);
}

size_t tl_owners_find(const struct tl_owners *o, uint32_t inode,
		      const struct tl_fdref **first)
{
	size_t lo = 0, hi, end;

	if (first)
		*first = NULL;
	if (!o || !o->n_refs || !inode)
		return 0;
	hi = o->n_refs;
	if (o->index) {
		const struct tl_owners_index *ix = o->index;
		uint64_t b;

		if (inode < ix->min)
			return 0;
		b = (uint64_t)(inode - ix->min) >> ix->shift;
		if (b >= ix->n)
			return 0;
		lo = ix->start[b];
		hi = ix->start[b + 1];
	}
	/*
	 * Lower bound: the first ref whose inode is not below the key. Past
	 * the end of the key's range the next ref's inode is not the key.
	 */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->refs[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= o->n_refs || o->refs[lo].inode != inode)
		return 0;
	for (end = lo; end < o->n_refs && o->refs[end].inode == inode; end++)
		;
	if (first)
		*first = &o->refs[lo];
	return end - lo;
}

const struct tl_proc *tl_owners_proc(const struct tl_owners *o, pid_t pid)
{
	size_t lo = 0, hi;

	if (!o)
		return NULL;
	hi = o->n_procs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->procs[mid].pid == pid)
			return &o->procs[mid];
		if (o->procs[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
