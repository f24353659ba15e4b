// SPDX-License-Identifier: MIT
/*
 * What /proc's mount options hide: mountinfo's hidepid and gid= for the
 * proc mount the owner scan reads (/proc, or --proc-root's), so that it
 * can say that other users' processes were not even listed to it.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

/* The n-th (from 0) space-separated field of [p, end), or NULL. */
static const char *field_at(const char *p, const char *end, int n,
			    size_t *ret_len)
{
	for (int i = 0; p < end; i++) {
		const char *q = memchr(p, ' ', (size_t)(end - p));

		if (!q)
			q = end;
		if (i == n) {
			*ret_len = (size_t)(q - p);
			return p;
		}
		p = q + 1;
	}
	return NULL;
}

/*
 * The byte of a mountinfo path at *f, its octal escape undone (\040 for a
 * space); advances *f past it.
 */
static unsigned char path_byte(const char **f, const char *end)
{
	const char *p = *f;

	if (*p == '\\' && end - p >= 4 && p[1] >= '0' && p[1] <= '3' &&
	    p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
		*f = p + 4;
		return (unsigned char)((p[1] - '0') << 6 | (p[2] - '0') << 3 |
				       (p[3] - '0'));
	}
	*f = p + 1;
	return (unsigned char)*p;
}

/*
 * Whether the mountinfo field [f, f + n) names the path mnt. The kernel
 * writes a space, tab, newline and backslash in a path as \ and three
 * octal digits.
 */
static bool path_is(const char *f, size_t n, const char *mnt)
{
	const char *end = f + n;

	while (f < end) {
		unsigned char c = path_byte(&f, end);

		if (*mnt == '\0' || (unsigned char)*mnt++ != c)
			return false;
	}
	return *mnt == '\0';
}

/* Whether the comma-separated options [p, p + n) hold "key=", and where. */
static const char *option(const char *p, size_t n, const char *key)
{
	size_t k = strlen(key);

	for (const char *end = p + n; p < end;) {
		const char *c = memchr(p, ',', (size_t)(end - p));

		if (!c)
			c = end;
		if ((size_t)(c - p) > k && memcmp(p, key, k) == 0)
			return p + k;
		p = c + 1;
	}
	return NULL;
}

/* Whether the option value at v (up to a comma or end) is word. */
static bool value_is(const char *v, const char *end, const char *word)
{
	const char *c = memchr(v, ',', (size_t)(end - v));
	size_t n = (size_t)((c ? c : end) - v);

	return n == strlen(word) && memcmp(v, word, n) == 0;
}

int tli_parse_hidepid(const char *buf, size_t len, const char *mnt,
		      long *ret_gid)
{
	const char *p = buf, *end = buf + len;
	int level = 0;

	*ret_gid = -1;
	if (!buf || !mnt)
		return 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *sep, *f, *v, *o;
		size_t fl, ol;
		int ofs = -1;

		/* 5: the mount point; after " - ": type, source, options. */
		f = field_at(p, le, 4, &fl);
		sep = f ? memmem(f, (size_t)(le - f), " - ", 3) : NULL;
		if (f && sep && path_is(f, fl, mnt)) {
			const char *t = field_at(sep + 3, le, 0, &fl);

			if (t && fl == 4 && memcmp(t, "proc", 4) == 0)
				ofs = 2;
		}
		o = ofs > 0 ? field_at(sep + 3, le, ofs, &ol) : NULL;
		if (o) {
			uint64_t g;

			level = 0;
			*ret_gid = -1;
			v = option(o, ol, "hidepid=");
			if (v && (value_is(v, o + ol, "2") ||
				  value_is(v, o + ol, "invisible")))
				level = 2;
			else if (v && (value_is(v, o + ol, "4") ||
				       value_is(v, o + ol, "ptraceable")))
				level = 4;
			else if (v && (value_is(v, o + ol, "1") ||
				       value_is(v, o + ol, "noaccess")))
				level = 1;
			v = option(o, ol, "gid=");
			if (v && tli_parse_u64(&v, o + ol, INT32_MAX, &g) == 0)
				*ret_gid = (long)g;
		}
		p = nl ? nl + 1 : end;
	}
	return level;
}

/* The most of /proc/self/mountinfo read: its proc mount comes early. */
#define MOUNTINFO_MAX (256 * 1024)

/* Whether gid is this process's group or one of its others. */
static bool in_group(gid_t gid)
{
	gid_t groups[256];
	int n = getgroups(256, groups);

	if (getegid() == gid)
		return true;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

bool tli_proc_hides_others(const char *proc_root)
{
	char mnt[PATH_MAX];
	char *buf;
	ssize_t n;
	long gid = -1;
	int level = 0;

	if (geteuid() == 0)
		return false;
	/* Mountinfo names a mount by its canonical path. */
	if (!realpath(proc_root, mnt))
		return false;
	buf = malloc(MOUNTINFO_MAX);
	if (!buf)
		return false;
	n = tli_read_file_at(AT_FDCWD, "/proc/self/mountinfo", buf,
			     MOUNTINFO_MAX);
	if (n > 0)
		level = tli_parse_hidepid(buf, (size_t)n, mnt, &gid);
	free(buf);
	return level >= 2 && !(gid >= 0 && in_group((gid_t)gid));
}

void tli_nsfs_net_mounts(const char *buf, size_t len,
			 void (*fn)(const char *path, void *arg), void *arg)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *root, *mnt, *sep, *fs;
		size_t rn = 0, mn = 0, fn_len = 0, o = 0;
		char path[PATH_MAX];

		if (!eol)
			eol = end;
		root = field_at(p, eol, 3, &rn);
		mnt = field_at(p, eol, 4, &mn);
		sep = memmem(p, (size_t)(eol - p), " - ", 3);
		fs = sep ? field_at(sep + 3, eol, 0, &fn_len) : NULL;
		if (root && mnt && fs && fn_len == 4 &&
		    memcmp(fs, "nsfs", 4) == 0 && rn > 5 &&
		    memcmp(root, "net:[", 5) == 0) {
			const char *q = mnt, *qend = mnt + mn;

			while (q < qend && o + 1 < sizeof(path))
				path[o++] = (char)path_byte(&q, qend);
			path[o] = '\0';
			if (o > 0 && o + 1 < sizeof(path) && path[0] == '/')
				fn(path, arg);
		}
		p = eol + 1;
	}
}
