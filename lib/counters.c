// SPDX-License-Identifier: MIT
/*
 * Kernel counters and limits for one network namespace. The files are
 * read through /proc/thread-self, and from inside the target namespace,
 * because /proc/net follows the reading thread's namespace and /proc/self
 * would follow the process's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcplimbo/counters.h"
#include "tcplimbo/netns.h"
#include "util.h"

/* /proc/net/netstat is a few KiB; anything bigger is not what we expect. */
#define COUNTERS_FILE_MAX (256 * 1024)

/* A token: a run of non-space characters. */
struct tok {
	const char *p;
	size_t len;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Next token at or after *pos in [buf, end); returns false at the end. */
static bool next_tok(const char **pos, const char *end, struct tok *t)
{
	const char *p = *pos;

	while (p < end && is_space(*p) && *p != '\n')
		p++;
	if (p >= end || *p == '\n') {
		*pos = p;
		return false;
	}
	t->p = p;
	while (p < end && !is_space(*p))
		p++;
	t->len = (size_t)(p - t->p);
	*pos = p;
	return true;
}

static bool tok_is(const struct tok *t, const char *s)
{
	size_t n = strlen(s);

	return t->len == n && memcmp(t->p, s, n) == 0;
}

/* Parses a decimal token into *ret; rejects signs, junk and overflow. */
static int tok_u64(const struct tok *t, uint64_t *ret)
{
	const char *p = t->p, *end = t->p + t->len;

	if (t->len > 20 || tli_parse_u64(&p, end, UINT64_MAX, ret) < 0 ||
	    p != end)
		return -EINVAL;
	return 0;
}

/* Start of the line after the one containing p, or end. */
static const char *next_line(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl + 1 : end;
}

static bool line_starts(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

int tl_counters_parse_netstat(const char *buf, size_t len,
			      struct tl_counters *c)
{
	const char *end = buf + len, *p = buf;

	while (p < end) {
		const char *names, *vals;
		unsigned found = 0;
		struct tok n, v;

		if (!line_starts(p, end, "TcpExt:")) {
			p = next_line(p, end);
			continue;
		}
		/* The header line, then the values line, token for token. */
		names = p;
		vals = next_line(p, end);
		if (!line_starts(vals, end, "TcpExt:"))
			return -EINVAL;
		for (;;) {
			bool hn = next_tok(&names, end, &n);
			bool hv = next_tok(&vals, end, &v);
			uint64_t x;

			if (!hn && !hv)
				break;
			if (hn != hv)
				return -EINVAL;
			if (tok_is(&n, "TcpExt:")) {
				if (!tok_is(&v, "TcpExt:"))
					return -EINVAL;
				continue;
			}
			if (tok_u64(&v, &x) < 0)
				return -EINVAL;
			if (tok_is(&n, "ListenOverflows")) {
				c->listen_overflows = x;
				found |= 1;
			} else if (tok_is(&n, "ListenDrops")) {
				c->listen_drops = x;
				found |= 2;
			} else if (tok_is(&n, "SyncookiesSent")) {
				c->syncookies_sent = x;
			}
		}
		if (found != 3)
			return -EINVAL;
		c->have |= TL_CTR_NETSTAT;
		return 0;
	}
	return -ENOENT;
}

int tl_counters_parse_sockstat(const char *buf, size_t len,
			       struct tl_counters *c)
{
	const char *end = buf + len, *p = buf;

	for (; p < end; p = next_line(p, end)) {
		const char *q = p;
		unsigned found = 0;
		struct tok name, val;

		if (!line_starts(p, end, "TCP:"))
			continue;
		q += 4;
		/* "TCP: inuse N orphan N tw N alloc N mem N" */
		while (next_tok(&q, end, &name)) {
			uint64_t x;

			if (!next_tok(&q, end, &val) || tok_u64(&val, &x) < 0)
				return -EINVAL;
			if (tok_is(&name, "inuse")) {
				c->tcp_inuse = x;
				found |= 1;
			} else if (tok_is(&name, "orphan")) {
				c->tcp_orphan = x;
				found |= 2;
			} else if (tok_is(&name, "tw")) {
				c->tcp_tw = x;
				found |= 4;
			} else if (tok_is(&name, "alloc")) {
				c->tcp_alloc = x;
			}
		}
		if (found != 7)
			return -EINVAL;
		c->have |= TL_CTR_SOCKSTAT;
		return 0;
	}
	return -ENOENT;
}

int tl_counters_parse_values(const char *buf, size_t len, uint64_t *ret,
			     size_t max)
{
	const char *end = buf + len, *p = buf;
	size_t n = 0;
	struct tok t;

	for (;;) {
		/* Values may be split by tabs or spaces; stop at the end. */
		while (p < end && is_space(*p))
			p++;
		if (p >= end)
			break;
		if (!next_tok(&p, end, &t))
			break;
		if (n == max || tok_u64(&t, &ret[n]) < 0)
			return -EINVAL;
		n++;
	}
	return n ? (int)n : -EINVAL;
}

/* Reads a whole small file; returns its length or -errno. *ret: free(). */
static ssize_t read_file(const char *path, char **ret)
{
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	r = tli_read_fd_alloc(fd, 16384, COUNTERS_FILE_MAX, ret);
	close(fd);
	return r;
}

struct read_ctx {
	const char *proc_root;
	struct tl_counters *c;
};

/* Reads proc_root/rel whole; returns its length or -errno. *ret: free(). */
static ssize_t read_rel(const char *proc_root, const char *rel, char **ret)
{
	char path[512];
	int r;

	r = snprintf(path, sizeof(path), "%s/%s", proc_root, rel);
	if (r < 0 || (size_t)r >= sizeof(path))
		return -ENAMETOOLONG;
	return read_file(path, ret);
}

int tl_sysctl_values(const char *proc_root, const char *rel, uint64_t *v,
		     size_t max)
{
	char *buf = NULL;
	ssize_t len;
	int r;

	len = read_rel(proc_root, rel, &buf);
	if (len < 0)
		return (int)len;
	r = tl_counters_parse_values(buf, (size_t)len, v, max);
	free(buf);
	return r;
}

static int parse_file(const char *proc_root, const char *rel,
		      int (*parse)(const char *, size_t, struct tl_counters *),
		      struct tl_counters *c)
{
	char *buf = NULL;
	ssize_t len;
	int r;

	len = read_rel(proc_root, rel, &buf);
	if (len < 0)
		return (int)len;
	r = parse(buf, (size_t)len, c);
	free(buf);
	return r;
}

/* Reads a sysctl holding one number into *dst, and sets bit if it could. */
static void read_one(const char *proc_root, const char *rel, uint64_t *dst,
		     unsigned bit, struct tl_counters *c)
{
	uint64_t v;

	if (tl_sysctl_values(proc_root, rel, &v, 1) == 1) {
		*dst = v;
		c->have |= bit;
	}
}

static int read_all(void *arg)
{
	struct read_ctx *ctx = arg;
	struct tl_counters *c = ctx->c;
	const char *root = ctx->proc_root;
	uint64_t v[2];

	/* Missing files are normal (old kernels, fake trees): skip them. */
	(void)parse_file(root, "thread-self/net/netstat",
			 tl_counters_parse_netstat, c);
	(void)parse_file(root, "thread-self/net/sockstat",
			 tl_counters_parse_sockstat, c);
	if (tl_sysctl_values(root, "sys/net/ipv4/ip_local_port_range", v, 2) ==
		    2 &&
	    v[0] <= v[1] && v[1] <= 65535) {
		c->port_lo = v[0];
		c->port_hi = v[1];
		c->have |= TL_CTR_PORT_RANGE;
	}
	read_one(root, "sys/net/ipv4/tcp_max_orphans", &c->max_orphans,
		 TL_CTR_MAX_ORPHANS, c);
	read_one(root, "sys/net/ipv4/tcp_max_syn_backlog", &c->max_syn_backlog,
		 TL_CTR_MAX_SYN_BACKLOG, c);
	read_one(root, "sys/net/ipv4/tcp_fin_timeout", &c->fin_timeout_s,
		 TL_CTR_FIN_TIMEOUT, c);
	read_one(root, "sys/net/ipv4/tcp_max_tw_buckets", &c->max_tw_buckets,
		 TL_CTR_MAX_TW, c);
	read_one(root, "sys/net/core/somaxconn", &c->somaxconn,
		 TL_CTR_SOMAXCONN, c);
	if (tl_sysctl_values(root, "sys/net/ipv4/tcp_tw_reuse", &c->tw_reuse,
			     1) == 1 &&
	    tl_sysctl_values(root, "sys/net/ipv4/tcp_timestamps",
			     &c->timestamps, 1) == 1)
		c->have |= TL_CTR_TW_REUSE;
	return 0;
}

int tl_counters_read(const char *proc_root, int netns_fd,
		     struct tl_counters *ret)
{
	struct tl_counters c;
	struct read_ctx ctx = { proc_root ? proc_root : "/proc", &c };
	int r;

	memset(&c, 0, sizeof(c));
	r = tl_netns_run(netns_fd, read_all, &ctx);
	if (r < 0)
		return r;
	*ret = c;
	return 0;
}
