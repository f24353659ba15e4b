// SPDX-License-Identifier: MIT
/*
 * Tests for lib/evidence_fds.c from fake /proc trees (test_proc_world.h):
 * what the fd a blocked thread waits on is (a pipe, a named pipe, a
 * connection of the snapshot), and epoll sets read whole or not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "test_proc_world.h"

/*
 * The fd a blocked process waits on is told for what it is: a pipe by its
 * link, an upstream by the snapshot's socket (its peer and state), and
 * nothing where neither tells.
 */
static void test_blocked_fd_what(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;
	struct tl_sock *up;

	(void)state;
	world_one(&w, 2, TL_CLOSE_WAIT, RECV_FD("0x8"), "wait_woken", "1000.0");
	lnk(w.dir, "4711/fd/8", "pipe:[4242]");
	conclude_leak(&w, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_BLOCKED);
	assert_string_equal(ev.threads[0].fd_what, "a pipe");
	assert_non_null(strstr(v.text, "on fd 8 (a pipe), which is none"));

	/* fd 20: its own connection to a database that does not answer. */
	world_one(&w, 2, TL_CLOSE_WAIT, RECV_FD("0x14"), "wait_woken",
		  "1000.0");
	up = &w.socks[w.snap.n_socks++];
	memset(up, 0, sizeof(*up));
	up->family = AF_INET;
	up->state = TL_ESTABLISHED;
	up->sport = 51234;
	inet_pton(AF_INET, "10.0.0.5", up->dst);
	up->dport = 5432;
	up->inode = LINO + 50;
	w.refs[w.owners.n_refs++] = (struct tl_fdref){ up->inode, 0, 20 };
	lnk(w.dir, "4711/fd/20", "socket:[47185]"); /* LINO + 50 */
	conclude_leak(&w, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_BLOCKED);
	assert_non_null(strstr(v.text, "on fd 20 (a TCP connection to "
				       "10.0.0.5:5432, established), which"));

	/*
	 * A named pipe's link is its path, as a file's is: its inode tells
	 * (a file would send the reader after a slow disk).
	 */
	world_one(&w, 2, TL_CLOSE_WAIT, RECV_FD("0x8"), "wait_woken", "1000.0");
	{
		char fifo[96];

		snprintf(fifo, sizeof(fifo), "%s/a.fifo", w.dir);
		assert_int_equal(mkfifo(fifo, 0600), 0);
		lnk(w.dir, "4711/fd/8", fifo);
	}
	conclude_leak(&w, &ev, &v);
	assert_string_equal(ev.threads[0].fd_what, "a named pipe");

	/* fd 8 closed since, or unreadable: nothing is guessed. */
	world_one(&w, 2, TL_CLOSE_WAIT, RECV_FD("0x8"), "wait_woken", "1000.0");
	conclude_leak(&w, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_BLOCKED);
	assert_string_equal(ev.threads[0].fd_what, "");
	assert_non_null(strstr(v.text, "on fd 8, which is none"));
}

/* Writes text, longer than put() takes, to dir/rel. */
static void put_long(const char *dir, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/*
 * An epoll set longer than what is read of its fdinfo (16 KiB: a loop
 * with a few hundred connections) may hold its CLOSE-WAIT sockets further
 * on: not told as unwatched, which only a set read whole can show.
 */
static void test_cut_set(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;
	char line[96], *info = calloc(1, 40000);
	size_t len = 0;

	(void)state;
	assert_non_null(info);
	len += (size_t)snprintf(info, 40000,
				"pos:\t0\nflags:\t02\nmnt_id:\t17\nino:\t17\n");
	for (int fd = 100; len < 30000; fd++) {
		int n = snprintf(line, sizeof(line),
				 "tfd: %8d events:       19 data: %x  pos:0 "
				 "ino:9 sdev:9\n",
				 fd, fd);

		memcpy(info + len, line, (size_t)n + 1);
		len += (size_t)n;
	}
	world_one(&w, 2, TL_CLOSE_WAIT, EPOLL_FD4, "do_epoll_wait", "1000.0");
	lnk(w.dir, "4711/fd/4", "anon_inode:[eventpoll]");
	put_long(w.dir, "4711/fdinfo/4", info);
	conclude_leak(&w, &ev, &v);
	assert_false(ev.leak_unwatched);
	assert_int_not_equal(v.cause, TL_CAUSE_UNWATCHED);
	/* The same set, short: read whole, and told. */
	world_one(&w, 2, TL_CLOSE_WAIT, EPOLL_FD4, "do_epoll_wait", "1000.0");
	lnk(w.dir, "4711/fd/4", "anon_inode:[eventpoll]");
	info[200] = '\0';
	put(w.dir, "4711/fdinfo/4", "%s\n", info);
	conclude_leak(&w, &ev, &v);
	assert_true(ev.leak_unwatched);
	free(info);
}

/*
 * A JVM's class path is counted as its code by the file's name: a .jar,
 * a shared object; not a directory that only looks like one.
 */
static void test_code_files(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	world_one(&w, 1, TL_ESTABLISHED, EPOLL_FD4, "do_epoll_wait", "1000.0");
	lnk(w.dir, "4711/fd/20", "/usr/share/java/a.jar");
	lnk(w.dir, "4711/fd/21", "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13");
	lnk(w.dir, "4711/fd/22", "/usr/lib/jni/libx.so");
	lnk(w.dir, "4711/fd/23", "/srv/x.so.d/data");
	lnk(w.dir, "4711/fd/24", "/var/log/app.jar.log");
	conclude(&w, TL_FIND_FD_EXHAUSTION, &ev, &v);
	assert_int_equal(ev.kinds[TL_FDK_FILE], 5);
	assert_int_equal(ev.code_files, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocked_fd_what),
		cmocka_unit_test(test_cut_set),
		cmocka_unit_test(test_code_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
