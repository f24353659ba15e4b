// SPDX-License-Identifier: MIT
/*
 * Tests for lib/evidence_poll.c: what a thread in poll() or select()
 * waits on, read from its memory (a fake /proc's task/TID/mem), and what
 * the doctor concludes from it: told where the listener is in a set, a
 * loop at its limit where every set leaves it out while it holds
 * connections, unknown where a set could not be read whole.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "test_proc_world.h"

/*
 * Writes len bytes at offset addr of the thread's memory file, and its
 * schedstat, whose run time a set is read between.
 */
static void world_mem(struct world *w, int tid, long addr, const void *b,
		      size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "4711/task/%d/schedstat", tid);
	put(w->dir, path, "8000000 0 12\n");

	snprintf(path, sizeof(path), "%s/4711/task/%d/mem", w->dir, tid);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fseek(f, addr, SEEK_SET), 0);
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
}

/*
 * A server at its limit of clients: its threads in poll (select), more of
 * them than the three connections it holds (so not one worker busy with
 * each), the listener in no epoll set. Where the sets could not be read,
 * holding connections is a connection limit's mark, as it is for an
 * epoll server; without any held, nothing is said of a limit. Where they
 * were read and leave the listener out, the limit is likely.
 */
static void test_poll_limit(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	listener_ev(&ev, 8101, 128, 3, 5, TL_SYS_POLL);
	ev.held = 3;
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(
		v.text,
		"while the program holds 3 accepted connections on port 8101: a poll loop that leaves the listener out at its limit of connections"));
	ev.held = 0;
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WATCHED);
	assert_null(strstr(v.text, "limit"));

	/* Their sets read, the listener in none: that is a limit, likely. */
	for (int i = 0; i < 5; i++) {
		ev.threads[i].polls = TL_EV_POLLS_OTHER;
		ev.threads[i].poll_inputs = 4;
	}
	ev.held = 3;
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(strstr(
		v.text,
		"its threads in poll/select wait on 20 other fds for input, not on the listener, while the program holds 3 accepted connections on port 8101"));
	/* One of them on a lock, which may be an acceptor's: possible. */
	ev.threads[4].kind = TL_SYS_FUTEX;
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	/* One elsewhere (asleep): the limit, possibly, or another's job. */
	ev.threads[4].kind = TL_SYS_SLEEP;
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(v.text, "or one whose other threads should "
				       "accept"));
	ev.threads[4].kind = TL_SYS_POLL;
	ev.held = 0;
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WATCHED);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(strstr(v.text, "nothing in the program waits for it"));
	/* One set not read: what it waits on is not known. */
	ev.threads[2].polls = TL_EV_POLLS_UNKNOWN;
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(v.text, "its fd set could not be read"));
}

/*
 * A thread in poll() (POLL1: one struct pollfd at 0x7ffd): its set is
 * read from task/TID/mem. The listener (fd 3) in it for input: the
 * program is told. Another fd only: nothing waits for the listener. A
 * set that cannot be read whole leaves it unknown.
 */
static void test_poll_sets(void **state)
{
	/* struct pollfd { int fd; short events, revents; } on this CPU */
	uint8_t pfd[8] = { 3, 0, 0, 0, 0x01, 0, 0, 0 };
	struct tl_evidence ev;
	struct tl_ev_verdict v;
	struct world w;
	char text[256];

	(void)state;
	world_one(&w, 0, 0, POLL1, "do_sys_poll", "4990.0");
	world_mem(&w, PID, 0x7ffd, pfd, sizeof(pfd));
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.threads[0].polls, TL_EV_POLLS_LISTENER);
	assert_int_equal(ev.threads[0].fd, 3);
	assert_int_equal(ev.threads[0].poll_inputs, 1);
	assert_int_equal(v.cause, TL_CAUSE_WATCHED);
	assert_non_null(strstr(
		v.text,
		"thread 4711 waits in poll on 1 fd for input: the listener (fd 3), so the program is told"));
	assert_non_null(
		strstr(tl_evidence_threads_text(&ev, text, sizeof(text)),
		       "1 thread in poll on fd 3"));

	/* Asking fd 3 for output only: not for the listener's connections. */
	pfd[4] = 0x04;
	world_one(&w, 0, 0, POLL1, "do_sys_poll", "4990.0");
	world_mem(&w, PID, 0x7ffd, pfd, sizeof(pfd));
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.threads[0].polls, TL_EV_POLLS_OTHER);
	assert_int_equal(ev.threads[0].poll_inputs, 0);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WATCHED);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(strstr(
		v.text, "its thread in poll waits for input on no fd at all"));

	/* Another fd for input. */
	pfd[0] = 7;
	pfd[4] = 0x01;
	world_one(&w, 0, 0, POLL1, "do_sys_poll", "4990.0");
	world_mem(&w, PID, 0x7ffd, pfd, sizeof(pfd));
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.threads[0].polls, TL_EV_POLLS_OTHER);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WATCHED);
	assert_non_null(strstr(
		v.text, "its thread in poll waits on 1 other fd for input"));

	/*
	 * select(4, ...): its readfds bitmap has fds 3 and 5 set, but fd 5
	 * is past nfds, which the kernel does not look at.
	 */
	world_one(&w, 0, 0, "23 0x4 0x7ffd 0x0 0x0 0x0 0x0 0x1 0x2",
		  "do_select", "4990.0");
	world_mem(&w, PID, 0x7ffd, (const uint8_t[]){ 0x28 }, 1);
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.threads[0].polls, TL_EV_POLLS_LISTENER);
	assert_int_equal(ev.threads[0].poll_inputs, 1);
	assert_non_null(strstr(v.text, "waits in select on 1 fd for input: "
				       "the listener (fd 3), so"));
	world_one(&w, 0, 0, "23 0x4 0x7ffd 0x0 0x0 0x0 0x0 0x1 0x2",
		  "do_select", "4990.0");
	world_mem(&w, PID, 0x7ffd, (const uint8_t[]){ 0x20 }, 1);
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.threads[0].polls, TL_EV_POLLS_OTHER);
	assert_int_equal(ev.threads[0].poll_inputs, 0);

	/*
	 * One thread, a select() loop at its limit: it holds 2 clients and
	 * polls one of them (fd 9), not the listener. That is the limit,
	 * likely, not "workers all busy", which the loop also meets.
	 */
	pfd[0] = 9;
	pfd[4] = 0x01;
	world_one(&w, 2, TL_ESTABLISHED, POLL1, "do_sys_poll", "4990.0");
	world_mem(&w, PID, 0x7ffd, pfd, sizeof(pfd));
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.held, 2);
	assert_int_equal(ev.threads[0].polls, TL_EV_POLLS_OTHER);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(strstr(
		v.text,
		"and its thread in poll waits on 1 other fd for input, not on the listener, while the program holds 2 accepted connections"));

	/* The memory ends inside the set: not known. */
	world_one(&w, 0, 0, POLL1, "do_sys_poll", "4990.0");
	world_mem(&w, PID, 0x7ffd, pfd, 5);
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.threads[0].polls, TL_EV_POLLS_UNKNOWN);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(v.text, "its fd set could not be read"));
}

/*
 * poll() on 9000 fds, each for input, the listener first: only the first
 * 8192 (TL_EV_POLLSET_MAX bytes) are read, and the count says so.
 */
static void test_poll_set_cut(void **state)
{
	enum { N = 9000, READ = TL_EV_POLLSET_MAX / 8 };
	static uint8_t set[N * 8];
	struct tl_evidence ev;
	struct tl_ev_verdict v;
	struct world w;

	(void)state;
	for (int i = 0; i < N; i++) {
		set[i * 8] = (uint8_t)(i == 0 ? 3 : 10 + i % 200);
		set[i * 8 + 1] = (uint8_t)(i == 0 ? 0 : 1);
		set[i * 8 + 4] = 0x01;
	}
	world_one(&w, 0, 0, "7 0x7ffd 0x2328 0x493e0 0x0 0x0 0x0 0x1 0x2",
		  "do_sys_poll", "4990.0");
	world_mem(&w, PID, 0x7ffd, set, sizeof(set));
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.threads[0].polls, TL_EV_POLLS_LISTENER);
	assert_true(ev.threads[0].poll_cut);
	assert_int_equal(ev.threads[0].poll_inputs, READ);
	assert_non_null(strstr(v.text, "waits in poll on at least 8192 fds "
				       "for input, the listener (fd 3) among"));
	/* The same set of 8000: read whole, an exact count. */
	world_one(&w, 0, 0, "7 0x7ffd 0x1f40 0x493e0 0x0 0x0 0x0 0x1 0x2",
		  "do_sys_poll", "4990.0");
	world_mem(&w, PID, 0x7ffd, set, sizeof(set));
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_false(ev.threads[0].poll_cut);
	assert_non_null(strstr(v.text, "waits in poll on 8000 fds for input"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poll_limit),
		cmocka_unit_test(test_poll_sets),
		cmocka_unit_test(test_poll_set_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
