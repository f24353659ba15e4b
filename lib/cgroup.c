// SPDX-License-Identifier: MIT
/*
 * The cgroup2 hierarchy: where it is mounted, which path each cgroup id
 * names, and which cgroup a process is in. On cgroup2 a cgroup's id is the
 * inode number of its directory, so one walk of the hierarchy maps every
 * id sock_diag reports to a path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "tcplimbo/context.h"
#include "util.h"

/*
 * Deepest directory the walk enters (an open fd each): systemd and
 * Kubernetes use fewer than 10; nested containers add theirs.
 */
#define WALK_DEPTH 64
/* Most cgroups the walk records: a busy node has a few thousand. */
#define WALK_MAX 200000
/* Least time between two walks after the first two, ms. */
#define WALK_GAP_MS 250
/* Largest mountinfo or cgroup file we read. */
#define TEXT_MAX (1024 * 1024)

struct cg_entry {
	uint64_t id;
	size_t path;		/* offset into pool */
	struct tl_context *ctx; /* computed on first use */
};

struct tl_cgroups {
	char root[TL_CGROUP_PATH_MAX]; /* prefix for every path we open */
	char mnt[TL_CGROUP_PATH_MAX];  /* the mount point, without root */
	char base[TL_CGROUP_PATH_MAX]; /* the mount's root in the hierarchy */
	struct cg_entry *ents;	       /* sorted by id */
	size_t n, cap;
	char *pool; /* NUL-terminated paths */
	size_t pool_len, pool_cap;
	uint64_t max_id;       /* largest id walked or asked for */
	uint64_t last_walk_ms; /* CLOCK_MONOTONIC of the last walk */
	unsigned rewalks;      /* walks after the first */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Reads a whole small file into a fresh buffer; returns its length. */
static ssize_t read_text(const char *path, char **ret)
{
	size_t cap = 4096, len = 0;
	char *buf, *nb;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			if (cap >= TEXT_MAX)
				break; /* the rest is past any line we need */
			nb = realloc(buf, cap * 2 + 1);
			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(buf);
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*ret = buf;
	return (ssize_t)len;
}

/* Whether the comma-separated list [p, end) holds item. */
static bool list_has(const char *p, const char *end, const char *item)
{
	size_t n = strlen(item);

	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		const char *e = c ? c : end;

		if ((size_t)(e - p) == n && memcmp(p, item, n) == 0)
			return true;
		p = e + 1;
	}
	return false;
}

/*
 * The path of the line of /proc/PID/cgroup for controller (NULL: cgroup2's
 * line, hierarchy 0 and no controllers), into buf.
 */
static int parse_proc(const char *text, size_t len, const char *controller,
		      char *buf, size_t size)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *c1 = memchr(p, ':', (size_t)(eol - p));
		const char *c2 =
			c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
		bool want = c2 &&
			    (controller ?
				     list_has(c1 + 1, c2, controller) :
				     c1 - p == 1 && *p == '0' && c2 == c1 + 1);

		if (want) {
			size_t n = (size_t)(eol - c2) - 1;

			if (n + 1 > size)
				return -ENAMETOOLONG;
			memcpy(buf, c2 + 1, n);
			buf[n] = '\0';
			/* A path holding a NUL is not one we can use. */
			if (strlen(buf) != n || n == 0 || buf[0] != '/')
				return -ENOENT;
			return 0;
		}
		p = eol + 1;
	}
	return -ENOENT;
}

int tl_cgroup_parse_proc(const char *text, size_t len, char *buf, size_t size)
{
	return parse_proc(text, len, NULL, buf, size);
}

int tl_cgroup_parse_proc_v1(const char *text, size_t len,
			    const char *controller, char *buf, size_t size)
{
	return parse_proc(text, len, controller, buf, size);
}

/* Copies one mountinfo field, decoding the kernel's \ooo escapes. */
static int copy_field(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\\' && i + 3 < n && s[i + 1] >= '0' &&
		    s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
		    s[i + 3] >= '0' && s[i + 3] <= '7') {
			c = (char)((s[i + 1] - '0') * 64 +
				   (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		}
		if (c == '\0' || o + 1 >= size)
			return c == '\0' ? -EINVAL : -ENAMETOOLONG;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/*
 * Whether the mountinfo line [p, eol) mounts cgroup2 (controller NULL), or
 * a cgroup v1 hierarchy with controller among its super options: then its
 * root and mount point fields, at f[3] and f[4] (fe the ends).
 */
static bool cgroup_line(const char *p, const char *eol, const char *controller,
			const char **f, const char **fe)
{
	const char *q = p, *sep;
	int nf = 0;

	/* id parent dev root mountpoint options [tags] - type ... */
	while (nf < 6 && q < eol) {
		while (q < eol && *q == ' ')
			q++;
		f[nf] = q;
		while (q < eol && *q != ' ')
			q++;
		fe[nf++] = q;
	}
	sep = nf == 6 ? q : eol;
	while (sep < eol) {
		if (sep + 3 <= eol && memcmp(sep, " - ", 3) == 0)
			break;
		sep++;
	}
	if (nf != 6 || sep + 3 >= eol)
		return false;
	if (!controller)
		return sep + 3 + 8 <= eol &&
		       memcmp(sep + 3, "cgroup2 ", 8) == 0;
	/* - cgroup SOURCE OPTS */
	if (sep + 3 + 7 > eol || memcmp(sep + 3, "cgroup ", 7) != 0)
		return false;
	q = memchr(sep + 10, ' ', (size_t)(eol - sep - 10));
	if (!q)
		return false;
	sep = memchr(q + 1, ' ', (size_t)(eol - q - 1));
	return list_has(q + 1, sep ? sep : eol, controller);
}

static int parse_mountinfo(const char *text, size_t len, const char *controller,
			   char *mnt, size_t mnt_size, char *base,
			   size_t base_size)
{
	const char *p = text, *end = text + len;
	const char *f[6], *fe[6], *first[6] = { 0 }, *first_e[6] = { 0 };
	int r;

	/*
	 * The first cgroup2 mount, unless a later one mounts the whole
	 * hierarchy (root "/") where the first mounts a subtree of it.
	 */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		if (cgroup_line(p, eol, controller, f, fe)) {
			bool whole = fe[3] - f[3] == 1 && *f[3] == '/';

			if (!first[3] || whole) {
				memcpy(first, f, sizeof(first));
				memcpy(first_e, fe, sizeof(first_e));
			}
			if (whole)
				break;
		}
		p = eol + 1;
	}
	if (!first[3])
		return -ENOENT;
	r = copy_field(first[4], (size_t)(first_e[4] - first[4]), mnt,
		       mnt_size);
	if (r == 0)
		r = copy_field(first[3], (size_t)(first_e[3] - first[3]), base,
			       base_size);
	return r == -EINVAL ? -ENOENT : r;
}

int tl_cgroup_parse_mountinfo(const char *text, size_t len, char *mnt,
			      size_t mnt_size, char *base, size_t base_size)
{
	return parse_mountinfo(text, len, NULL, mnt, mnt_size, base, base_size);
}

int tl_cgroup_parse_mountinfo_v1(const char *text, size_t len,
				 const char *controller, char *mnt,
				 size_t mnt_size, char *base, size_t base_size)
{
	return parse_mountinfo(text, len, controller, mnt, mnt_size, base,
			       base_size);
}

static int pool_add(struct tl_cgroups *cg, const char *s, size_t n, size_t *ret)
{
	if (cg->pool_len + n + 1 > cg->pool_cap) {
		size_t cap = cg->pool_cap ? cg->pool_cap * 2 : 16384;
		char *np;

		while (cap < cg->pool_len + n + 1)
			cap *= 2;
		np = realloc(cg->pool, cap);
		if (!np)
			return -ENOMEM;
		cg->pool = np;
		cg->pool_cap = cap;
	}
	memcpy(cg->pool + cg->pool_len, s, n);
	cg->pool[cg->pool_len + n] = '\0';
	*ret = cg->pool_len;
	cg->pool_len += n + 1;
	return 0;
}

static int add_entry(struct tl_cgroups *cg, uint64_t id, const char *path,
		     size_t plen)
{
	size_t off;
	int r;

	if (cg->n >= WALK_MAX)
		return -E2BIG;
	if (cg->n == cg->cap &&
	    tli_grow((void **)&cg->ents, &cg->cap, sizeof(*cg->ents), 256) < 0)
		return -ENOMEM;
	r = pool_add(cg, path, plen, &off);
	if (r < 0)
		return r;
	cg->ents[cg->n++] = (struct cg_entry){ .id = id, .path = off };
	if (id > cg->max_id)
		cg->max_id = id;
	return 0;
}

/*
 * Records every directory below dir_fd; path (len bytes used, of
 * TL_CGROUP_PATH_MAX) is dir_fd's path in the hierarchy. Takes dir_fd.
 */
static int walk(struct tl_cgroups *cg, int dir_fd, char *path, size_t len,
		int depth)
{
	DIR *d = fdopendir(dir_fd);
	struct dirent *de;
	int ret = 0;

	if (!d) {
		close(dir_fd);
		return 0; /* vanished or unreadable: best effort */
	}
	while ((de = readdir(d))) {
		size_t nlen = strlen(de->d_name);
		size_t sep = len > 1 ? 1 : 0; /* no "//" below "/" */
		uint64_t ino = de->d_ino;
		int fd;

		if (de->d_name[0] == '.' &&
		    (nlen == 1 || (nlen == 2 && de->d_name[1] == '.')))
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (len + sep + nlen + 1 > TL_CGROUP_PATH_MAX)
			continue; /* a path we could not print anyway */
		fd = openat(dirfd(d), de->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue; /* a file, or removed since */
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;

			if (fstat(fd, &st) < 0) {
				close(fd);
				continue;
			}
			ino = st.st_ino;
		}
		if (sep)
			path[len] = '/';
		memcpy(path + len + sep, de->d_name, nlen + 1);
		ret = add_entry(cg, ino, path, len + sep + nlen);
		if (ret == 0 && depth + 1 < WALK_DEPTH) {
			ret = walk(cg, fd, path, len + sep + nlen, depth + 1);
			fd = -1;
		}
		if (fd >= 0)
			close(fd);
		path[len] = '\0';
		if (ret < 0)
			break;
	}
	closedir(d);
	/* Too many cgroups: keep what we have, it is still useful. */
	return ret == -E2BIG ? 0 : ret;
}

static int cmp_ent(const void *a, const void *b)
{
	const struct cg_entry *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void clear_entries(struct tl_cgroups *cg)
{
	for (size_t i = 0; i < cg->n; i++)
		free(cg->ents[i].ctx);
	cg->n = 0;
	cg->pool_len = 0;
}

static int walk_all(struct tl_cgroups *cg)
{
	char dir[2 * TL_CGROUP_PATH_MAX + 2];
	char path[TL_CGROUP_PATH_MAX];
	struct stat st;
	size_t len;
	int fd, ret;

	clear_entries(cg);
	snprintf(dir, sizeof(dir), "%s%s", cg->root, cg->mnt);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		return -errno;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	len = strlen(cg->base);
	memcpy(path, cg->base, len + 1);
	ret = add_entry(cg, st.st_ino, path, len);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	ret = walk(cg, fd, path, len, 0);
	/* Sorted even when cut short, so lookups stay correct. */
	qsort(cg->ents, cg->n, sizeof(*cg->ents), cmp_ent);
	return ret;
}

int tl_cgroups_open(const char *root, struct tl_cgroups **ret)
{
	char path[TL_CGROUP_PATH_MAX + 32];
	struct tl_cgroups *cg;
	char *text = NULL;
	ssize_t n;
	int r;

	if (!root)
		root = "";
	if (strlen(root) >= TL_CGROUP_PATH_MAX)
		return -ENAMETOOLONG;
	cg = calloc(1, sizeof(*cg));
	if (!cg)
		return -ENOMEM;
	/* A root of "/" would double every slash: drop trailing ones. */
	snprintf(cg->root, sizeof(cg->root), "%s", root);
	for (size_t l = strlen(cg->root); l > 0 && cg->root[l - 1] == '/';)
		cg->root[--l] = '\0';
	snprintf(path, sizeof(path), "%s/proc/self/mountinfo", cg->root);
	n = read_text(path, &text);
	if (n < 0) {
		r = (int)n;
		goto fail;
	}
	r = tl_cgroup_parse_mountinfo(text, (size_t)n, cg->mnt, sizeof(cg->mnt),
				      cg->base, sizeof(cg->base));
	free(text);
	if (r < 0)
		goto fail;
	r = walk_all(cg);
	if (r < 0)
		goto fail;
	cg->last_walk_ms = now_ms();
	*ret = cg;
	return 0;
fail:
	tl_cgroups_free(cg);
	return r;
}

void tl_cgroups_free(struct tl_cgroups *cg)
{
	if (!cg)
		return;
	clear_entries(cg);
	free(cg->ents);
	free(cg->pool);
	free(cg);
}

static struct cg_entry *find(struct tl_cgroups *cg, uint64_t id)
{
	size_t lo = 0, hi = cg->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cg->ents[mid].id == id)
			return &cg->ents[mid];
		if (cg->ents[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static struct cg_entry *lookup(struct tl_cgroups *cg, uint64_t id)
{
	struct cg_entry *e;

	if (!cg || id == 0)
		return NULL;
	e = find(cg, id);
	/*
	 * Ids only grow, so an id past the largest seen is a cgroup made
	 * since the walk: walk again, once for that id. Many new cgroups at
	 * once (a busy node, a long watch) make at most a few walks a
	 * second: two at once, then one each WALK_GAP_MS.
	 */
	if (!e && id > cg->max_id) {
		uint64_t now = now_ms();

		if (cg->rewalks >= 2 && now - cg->last_walk_ms < WALK_GAP_MS)
			return NULL; /* asked again after the gap */
		cg->rewalks++;
		cg->last_walk_ms = now;
		if (walk_all(cg) < 0)
			return NULL;
		if (id > cg->max_id)
			cg->max_id = id;
		e = find(cg, id);
	}
	return e;
}

const char *tl_cgroups_path(struct tl_cgroups *cg, uint64_t id)
{
	struct cg_entry *e = lookup(cg, id);

	return e ? cg->pool + e->path : NULL;
}

const struct tl_context *tl_cgroups_context(struct tl_cgroups *cg, uint64_t id)
{
	struct cg_entry *e = lookup(cg, id);

	if (!e)
		return NULL;
	if (!e->ctx) {
		e->ctx = calloc(1, sizeof(*e->ctx));
		if (!e->ctx)
			return NULL;
		tli_context_of_path(cg->root, cg->pool + e->path, e->ctx);
	}
	return e->ctx;
}

/* Reads a process's cgroup2 path into buf (TL_CGROUP_PATH_MAX bytes). */
static int read_pid_path(const char *root, const char *proc_root, pid_t pid,
			 char *buf)
{
	char path[2 * TL_CGROUP_PATH_MAX + 64];
	char *text = NULL;
	ssize_t n;
	int r;

	if (pid <= 0)
		return -EINVAL;
	if (proc_root)
		r = tli_proc_path(path, sizeof(path), proc_root, pid, "cgroup");
	else if (snprintf(path, sizeof(path), "%s/proc/%d/cgroup", root,
			  (int)pid) >= (int)sizeof(path))
		r = -ENAMETOOLONG;
	else
		r = 0;
	if (r < 0)
		return r;
	n = read_text(path, &text);
	if (n < 0)
		return (int)n;
	r = tl_cgroup_parse_proc(text, (size_t)n, buf, TL_CGROUP_PATH_MAX);
	free(text);
	return r;
}

int tl_context_of_pid(const char *root, const char *proc_root, pid_t pid,
		      struct tl_context *out)
{
	char cgpath[TL_CGROUP_PATH_MAX];
	char rootbuf[TL_CGROUP_PATH_MAX];
	int r;

	/* The same prefix rule as tl_cgroups_open: no trailing slash. */
	snprintf(rootbuf, sizeof(rootbuf), "%s", root ? root : "");
	for (size_t l = strlen(rootbuf); l > 0 && rootbuf[l - 1] == '/';)
		rootbuf[--l] = '\0';
	r = read_pid_path(rootbuf, proc_root, pid, cgpath);
	if (r < 0)
		return r;
	tli_context_of_path(rootbuf, cgpath, out);
	return 0;
}

uint64_t tl_cgroups_pid(struct tl_cgroups *cg, const char *proc_root, pid_t pid)
{
	char path[3 * TL_CGROUP_PATH_MAX + 64];
	char cgpath[TL_CGROUP_PATH_MAX];
	const char *rel;
	struct stat st;
	size_t blen;

	if (!cg || read_pid_path(cg->root, proc_root, pid, cgpath) < 0)
		return 0;
	/* The path is relative to the mount's root in the hierarchy. */
	blen = strlen(cg->base);
	if (blen > 1) {
		if (strncmp(cgpath, cg->base, blen) != 0 ||
		    (cgpath[blen] != '/' && cgpath[blen] != '\0'))
			return 0;
		rel = cgpath + blen;
	} else {
		rel = cgpath;
	}
	if (strcmp(rel, "/") == 0)
		rel = "";
	snprintf(path, sizeof(path), "%s%s%s", cg->root, cg->mnt, rel);
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	return st.st_ino;
}

bool tl_cgroups_has_name(const struct tl_cgroups *cg, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; cg && i < cg->n; i++) {
		const char *path = cg->pool + cg->ents[i].path;
		const char *base = strrchr(path, '/');

		base = base ? base + 1 : path;
		if (strcmp(base, name) == 0 ||
		    (strncmp(base, name, n) == 0 &&
		     strcmp(base + n, ".service") == 0))
			return true;
	}
	return false;
}

/*
 * Adds the pids in the cgroup.procs of the cgroup at path to pids[*n..max):
 * as many as fit.
 */
static void add_pids(const struct tl_cgroups *cg, const char *path, pid_t *pids,
		     size_t *n, size_t max)
{
	size_t blen = strcmp(cg->base, "/") == 0 ? 0 : strlen(cg->base);
	char file[3 * TL_CGROUP_PATH_MAX + 16], buf[4096];
	ssize_t len;
	int fd;

	if (*n >= max ||
	    snprintf(file, sizeof(file), "%s%s%s/cgroup.procs", cg->root,
		     cg->mnt, path + blen) >= (int)sizeof(file))
		return;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return;
	buf[len] = '\0';
	/* Whole lines only: the last may be cut at the buffer's end. */
	for (char *p = buf, *nl; *n < max && (nl = strchr(p, '\n'));
	     p = nl + 1) {
		long pid = strtol(p, NULL, 10);

		if (pid > 0 && pid <= INT32_MAX)
			pids[(*n)++] = (pid_t)pid;
	}
}

size_t tl_cgroups_pids(struct tl_cgroups *cg,
		       bool (*match)(const struct tl_context *c,
				     const void *arg),
		       const void *arg, pid_t *pids, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; cg && i < cg->n && n < max; i++) {
		const struct tl_context *c =
			tl_cgroups_context(cg, cg->ents[i].id);
		/*
		 * A cgroup below a unit's or a container's is theirs too (the
		 * deepest unit or container names a path), so it matches on
		 * its own: each cgroup's processes are read once.
		 */
		if (c && match(c, arg))
			add_pids(cg, cg->pool + cg->ents[i].path, pids, &n,
				 max);
	}
	return n;
}
