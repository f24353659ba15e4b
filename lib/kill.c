// SPDX-License-Identifier: MIT
/*
 * SOCK_DESTROY for a list of sockets, then one dump to check the result:
 * sock_diag answers "done" for a socket it only marked, and a user who is
 * told a socket is gone must be able to rely on it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "tcplimbo/kill.h"
#include "util.h"

static const char *const result_names[] = {
	[TL_KILL_DESTROYED] = "destroyed", [TL_KILL_GONE] = "gone",
	[TL_KILL_SURVIVED] = "survived",   [TL_KILL_FAILED] = "failed",
	[TL_KILL_NOT_TRIED] = "not-tried",
};

const char *tl_kill_result_name(int result)
{
	if (result < 0 || (size_t)result >= ARRAY_SIZE(result_names))
		return NULL;
	return result_names[result];
}

/* The cookies of the destroyed sockets, sorted, and which a dump showed. */
struct survivors {
	uint64_t *cookies;
	bool *seen;
	size_t n;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int check_cb(const struct tl_sock *sk, void *arg)
{
	struct survivors *s = arg;
	uint64_t *hit = bsearch(&sk->cookie, s->cookies, s->n,
				sizeof(*s->cookies), cmp_u64);

	if (hit)
		s->seen[hit - s->cookies] = true;
	return 0;
}

static void check_reset(void *arg)
{
	struct survivors *s = arg;

	for (size_t i = 0; i < s->n; i++)
		s->seen[i] = false;
}

/* Dumps the namespace once and marks destroyed sockets that are still in it. */
static int verify(struct tl_kill_item *items, size_t n, int netns_fd)
{
	struct survivors s = { 0 };
	struct tl_dump_opts o;
	int err;

	s.cookies = calloc(n ? n : 1, sizeof(*s.cookies));
	s.seen = calloc(n ? n : 1, sizeof(*s.seen));
	if (!s.cookies || !s.seen) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (items[i].result == TL_KILL_DESTROYED)
			s.cookies[s.n++] = items[i].sk->cookie;
	err = 0;
	if (s.n == 0)
		goto out;
	qsort(s.cookies, s.n, sizeof(*s.cookies), cmp_u64);
	tl_dump_opts_init(&o);
	o.netns_fd = netns_fd;
	/* Every state: a socket that survived may have moved on. */
	o.states = TL_STATES_REAL;
	err = tl_sockdiag_dump(&o, check_cb, check_reset, &s);
	if (err < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		uint64_t *hit;

		if (items[i].result != TL_KILL_DESTROYED)
			continue;
		hit = bsearch(&items[i].sk->cookie, s.cookies, s.n,
			      sizeof(*s.cookies), cmp_u64);
		if (hit && s.seen[hit - s.cookies])
			items[i].result = TL_KILL_SURVIVED;
	}
out:
	free(s.cookies);
	free(s.seen);
	return err;
}

int tl_kill(struct tl_kill_item *items, size_t n, int netns_fd)
{
	int fatal = 0;

	for (size_t i = 0; i < n; i++) {
		int r;

		if (fatal) {
			items[i].err = fatal;
			items[i].result = TL_KILL_NOT_TRIED;
			continue;
		}
		r = tl_sockdiag_destroy(items[i].sk, netns_fd);
		items[i].err = r < 0 ? r : 0;
		if (r == 0)
			items[i].result = TL_KILL_DESTROYED;
		else if (r == -ENOENT)
			items[i].result = TL_KILL_GONE;
		else
			items[i].result = TL_KILL_FAILED;
		/* Every later try would fail the same way. */
		if (r == -EOPNOTSUPP || r == -EPERM)
			fatal = r;
	}
	return verify(items, n, netns_fd);
}
