// SPDX-License-Identifier: MIT
/*
 * tli_dump_threaded_with against scripted dumps: what the caller's
 * callbacks see must be what the dump called, in the same order, restarts
 * included, at every batch boundary; a failing callback stops the dump and
 * its error comes back; the dump's own error comes back after everything
 * it gave.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

/* A script: n sockets, restarts before the ones listed, then err. */
struct script {
	size_t n;
	const size_t *resets; /* positions, ascending; SIZE_MAX ends */
	int err;
	/* What the dump saw: its callback's first failure, and where. */
	int cb_err;
	size_t stopped_at;
	pthread_t thread;
};

/* The event log the caller's side keeps: a socket's number, or -1. */
struct log {
	long *ev;
	size_t n, cap;
	size_t fail_at; /* fail the callback at this socket; SIZE_MAX never */
	int fail_err;
	pthread_t thread;
	bool other_thread; /* a callback ran outside the caller's thread */
};

static struct script *current;

static void log_add(struct log *l, long v)
{
	if (!pthread_equal(pthread_self(), l->thread))
		l->other_thread = true;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		l->ev = realloc(l->ev, l->cap * sizeof(*l->ev));
		assert_non_null(l->ev);
	}
	l->ev[l->n++] = v;
}

static int on_sock(const struct tl_sock *sk, void *arg)
{
	struct log *l = arg;

	log_add(l, (long)sk->cookie);
	if (sk->cookie == l->fail_at)
		return l->fail_err;
	return 0;
}

static void on_reset(void *arg)
{
	log_add(arg, -1);
}

/* Plays the current script through cb and reset, as a dump would. */
static int scripted(const struct tl_dump_opts *opts, tl_sock_cb cb,
		    void (*reset)(void *arg), void *arg)
{
	struct script *s = current;
	const size_t *r = s->resets;
	(void)opts;

	s->thread = pthread_self();
	for (size_t i = 0; i < s->n; i++) {
		struct tl_sock sk = { .cookie = i, .state = TL_ESTABLISHED };
		int e;

		while (*r == i) {
			reset(arg);
			r++;
		}
		e = cb(&sk, arg);
		if (e < 0) {
			s->cb_err = e;
			s->stopped_at = i;
			return e;
		}
	}
	while (*r != SIZE_MAX) {
		reset(arg);
		r++;
	}
	return s->err;
}

/* The script run directly and through the thread: the same log. */
static void check_same(struct script *s, size_t fail_at, int fail_err, int want)
{
	struct log direct = { .fail_at = fail_at, .fail_err = fail_err };
	struct log threaded = direct;
	struct tl_dump_opts opts;

	tl_dump_opts_init(&opts);
	current = s;
	direct.thread = pthread_self();
	threaded.thread = pthread_self();
	assert_int_equal(scripted(&opts, on_sock, on_reset, &direct), want);
	s->cb_err = 0;
	assert_int_equal(tli_dump_threaded_with(scripted, &opts, on_sock,
						on_reset, &threaded),
			 want);
	assert_false(threaded.other_thread);
	assert_false(pthread_equal(s->thread, pthread_self()));
	assert_int_equal(threaded.n, direct.n);
	assert_memory_equal(threaded.ev, direct.ev,
			    direct.n * sizeof(*direct.ev));
	free(direct.ev);
	free(threaded.ev);
}

static void test_order(void **state)
{
	static const size_t sizes[] = { 0, 1, 255, 256, 257, 2048, 2049, 9000 };
	static const size_t none[] = { SIZE_MAX };
	static const size_t edges[] = { 0, 256, 256, 300, 2048, SIZE_MAX };
	(void)state;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct script a = { .n = sizes[i], .resets = none };
		struct script b = { .n = sizes[i], .resets = edges };

		check_same(&a, SIZE_MAX, 0, 0);
		/* Restarts past the end come after every socket. */
		check_same(&b, SIZE_MAX, 0, 0);
	}
}

/* The dump's error comes back once everything before it is handed over. */
static void test_dump_error(void **state)
{
	static const size_t none[] = { SIZE_MAX };
	struct script s = { .n = 3000, .resets = none, .err = -EIO };
	(void)state;

	check_same(&s, SIZE_MAX, 0, -EIO);
}

/*
 * A callback that fails stops the dump: its error comes back, it is
 * called no more, and the dump sees its own callback fail soon after
 * (within what was in flight), not at the end.
 */
static void test_cb_error(void **state)
{
	static const size_t none[] = { SIZE_MAX };
	struct log l = { .fail_at = 700, .fail_err = -EPIPE };
	struct script s = { .n = 100000, .resets = none };
	struct tl_dump_opts opts;
	(void)state;

	tl_dump_opts_init(&opts);
	current = &s;
	l.thread = pthread_self();
	assert_int_equal(tli_dump_threaded_with(scripted, &opts, on_sock,
						on_reset, &l),
			 -EPIPE);
	assert_int_equal(l.n, 701);
	assert_int_equal(l.ev[700], 700);
	assert_int_equal(s.cb_err, -ECANCELED);
	assert_true(s.stopped_at > 700 && s.stopped_at < 700 + 10 * 256);
	free(l.ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_dump_error),
		cmocka_unit_test(test_cb_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
