// SPDX-License-Identifier: MIT
/*
 * tl_snapshot_stream against tl_snapshot_take on the same real sockets, in
 * a network namespace of the test's own: the same sockets, classes,
 * listeners and owners, while the stream's snapshot keeps only the
 * listeners.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tcplimbo/snapshot.h"
#include "test_netns.h"

#define MAX_SEEN 64

/* What a socket looked like to the caller: enough to compare two views. */
struct seen {
	uint64_t cookie;
	uint8_t state, limbo;
	uint16_t listener_port; /* 0: not tied */
	pid_t owner;		/* 0: no owner */
};

struct view {
	struct seen s[MAX_SEEN];
	size_t n;
};

static struct seen see(const struct tl_snapshot *snap, const struct tl_sock *sk)
{
	const struct tl_sock *l = tl_snapshot_listener(snap, sk);
	const struct tl_fdref *r;
	struct seen v = { .cookie = sk->cookie,
			  .state = sk->state,
			  .limbo = sk->limbo };

	v.listener_port = l ? l->sport : 0;
	if (tl_snapshot_owners(snap, sk, &r) > 0)
		v.owner = snap->owners->procs[r[0].proc].pid;
	return v;
}

static int add(const struct tl_snapshot *snap, const struct tl_sock *sk,
	       void *arg)
{
	struct view *v = arg;

	if (v->n >= MAX_SEEN)
		return -E2BIG;
	v->s[v->n++] = see(snap, sk);
	return 0;
}

static int seen_cmp(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;

	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

static int listen_on(struct sockaddr_in *a)
{
	socklen_t alen = sizeof(*a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = 0;
	if (l < 0 || bind(l, (struct sockaddr *)a, sizeof(*a)) < 0 ||
	    listen(l, 8) < 0 || getsockname(l, (struct sockaddr *)a, &alen) < 0)
		return -1;
	return l;
}

static int connect_to(const struct sockaddr_in *a)
{
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (c < 0 || connect(c, (const struct sockaddr *)a, sizeof(*a)) < 0)
		return -1;
	return c;
}

/*
 * The child: a listener that never accepts (two clients queued, one of
 * them closed, so its child is CLOSE_WAIT in the queue) and one that
 * accepted its client. Exit status: 0 passed, 77 skipped, else the step.
 */
static int stream_child(void)
{
	struct sockaddr_in q, k;
	struct tl_snapshot_opts o;
	struct tl_snapshot *taken = NULL, *streamed = NULL;
	struct view vt = { .n = 0 }, vs = { .n = 0 }, ve = { .n = 0 };
	int r = test_private_net(), lq, lk, c1, c2, c3, a;
	size_t nl = 0;

	if (r)
		return r;
	lq = listen_on(&q);
	lk = listen_on(&k);
	c1 = connect_to(&q);
	c2 = connect_to(&q);
	c3 = connect_to(&k);
	if (lq < 0 || lk < 0 || c1 < 0 || c2 < 0 || c3 < 0)
		return 4;
	a = accept(lk, NULL, NULL);
	if (a < 0)
		return 5;
	close(c2);
	/* Let the FIN reach the queued child. */
	usleep(100 * 1000);

	tl_snapshot_opts_init(&o);
	o.owners_backend = TL_OWNERS_PROC;
	if (tl_snapshot_take(&o, &taken) < 0)
		return 6;
	for (size_t i = 0; i < taken->n_socks; i++)
		if (taken->in_filter[i] &&
		    add(taken, &taken->socks[i], &vt) < 0)
			return 7;
	if (tl_snapshot_stream(&o, add, &vs, &streamed) < 0)
		return 8;
	/* The stream's snapshot keeps the listeners and nothing else. */
	for (size_t i = 0; i < streamed->n_socks; i++) {
		if (streamed->socks[i].state != TL_LISTEN)
			return 9;
		nl++;
	}
	if (nl != 2 || !streamed->owners)
		return 10;
	/* Both views hold the same sockets, seen the same way. */
	if (vt.n != vs.n || vt.n != 2 + 3 * 2)
		return 11;
	qsort(vt.s, vt.n, sizeof(vt.s[0]), seen_cmp);
	qsort(vs.s, vs.n, sizeof(vs.s[0]), seen_cmp);
	if (memcmp(vt.s, vs.s, vt.n * sizeof(vt.s[0])) != 0)
		return 12;
	/* The queued children: tied to lq, owned by nobody, one CLOSE_WAIT. */
	for (size_t i = 0, queued = 0, cw = 0; i < vs.n; i++) {
		const struct seen *s = &vs.s[i];

		if (s->limbo == TL_LIMBO_ACCEPT_QUEUE) {
			if (s->listener_port != ntohs(q.sin_port) || s->owner)
				return 13;
			queued++;
			cw += s->state == TL_CLOSE_WAIT;
		} else if (s->limbo == TL_LIMBO_ORPHAN ||
			   s->limbo == TL_LIMBO_TIMEWAIT) {
			/* c2, closed: FIN_WAIT2 with no fd (see ls-fin-wait2). */
			if (s->owner || s->state != TL_FIN_WAIT2)
				return 14;
		} else if (s->owner != getpid()) {
			return 14;
		}
		if (i == vs.n - 1 && (queued != 2 || cw != 1))
			return 15;
	}
	/* A state filter: only what was asked for reaches the callback. */
	o.states = TL_STATE_BIT(TL_CLOSE_WAIT);
	tl_snapshot_free(streamed);
	if (tl_snapshot_stream(&o, add, &ve, &streamed) < 0)
		return 16;
	if (ve.n != 1 || ve.s[0].state != TL_CLOSE_WAIT ||
	    ve.s[0].listener_port != ntohs(q.sin_port))
		return 17;
	tl_snapshot_free(streamed);
	tl_snapshot_free(taken);
	/* A replay is read once: the stream refuses it. */
	o.replay_fd = 0;
	if (tl_snapshot_stream(&o, add, &ve, &streamed) != -EINVAL)
		return 18;
	return 0;
}

static void test_stream_matches_take(void **st)
{
	(void)st;
	test_run_child(stream_child);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_matches_take),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
