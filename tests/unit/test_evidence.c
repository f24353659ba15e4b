// SPDX-License-Identifier: MIT
/*
 * Tests for lib/evidence*.c: conclusions drawn from fake /proc trees
 * (test_proc_world.h), one per cause: stopped, epoll, Go's and Tokio's
 * accept loops, a leak blocked elsewhere; and a gather on the real /proc
 * of a child this test stops and of one waiting in epoll_wait on an
 * edge-triggered listener. Limits and the fd census are in
 * test_evidence_limit.c, the parsers in test_evidence_parse.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tcplimbo/diagnose.h"
#include "tcplimbo/evidence.h"

#include "test_evidence.h"

#include "test_proc_world.h"

static void test_stopped(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	world_init(&w, 0, 0);
	world_proc(&w, "T (stopped)", 0, 1);
	world_thread(&w, PID, "T (stopped)", "-1 0x7ffd 0x7f00",
		     "do_signal_stop", "2000.500000");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.state, 'T');
	assert_true(ev.has_idle);
	assert_true(ev.idle_ms == 2999);
	assert_string_equal(ev.threads[0].wchan, "do_signal_stop");
	assert_int_equal(v.cause, TL_CAUSE_STOPPED);
	assert_int_equal(v.certainty, TL_CERT_CERTAIN);
	assert_non_null(strstr(v.text, "SIGSTOP"));
	assert_non_null(strstr(v.text, "has not run for 2 s"));
	assert_non_null(strstr(v.remedy, "kill -CONT"));

	/* A thread last on a CPU we cannot visit: no claim of idleness. */
	world_init(&w, 0, 0);
	world_proc(&w, "T (stopped)", 0, 1);
	world_thread(&w, PID, "T (stopped)", "-1 0x7ffd 0x7f00",
		     "do_signal_stop", "2000.500000");
	put(w.dir, "4711/task/4711/stat", STAT_FMT, PID, 100000);
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_STOPPED);
	assert_false(ev.has_idle);
	assert_null(strstr(v.text, "has not run"));

	world_init(&w, 0, 0);
	world_proc(&w, "t (tracing stop)", 999, 1);
	world_thread(&w, PID, "t (tracing stop)", "-1 0x0 0x0", "0", "1.0");
	conclude(&w, TL_FIND_ACCEPT_QUEUE_OVERFLOW, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_TRACED);
	assert_non_null(strstr(v.text, "TracerPid 999"));
	assert_string_equal(ev.threads[0].wchan, "");
}

static void test_epoll_causes(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;
	char text[256];

	(void)state;
	/* Edge-triggered, a thread waiting on it. */
	world_waiter(&w, 0, 0, "80000019");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.n_regs, 1);
	assert_int_equal(ev.regs[0].epfd, 4);
	assert_int_equal(ev.regs[0].tfd, 3);
	assert_true(ev.regs[0].waited);
	assert_int_equal(ev.listener_fd, 3);
	assert_int_equal(v.cause, TL_CAUSE_EDGE);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(strstr(v.text, "EPOLLET"));
	assert_non_null(strstr(v.remedy, "EAGAIN"));

	/* EPOLLONESHOT, fired and not re-armed. */
	world_waiter(&w, 0, 0, "40000000");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_ONESHOT);
	assert_non_null(strstr(v.text, "re-armed"));

	/* Armed EPOLLONESHOT is not the cause. */
	world_init(&w, 0, 0);
	world_proc(&w, "S (sleeping)", 0, 2);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	world_thread(&w, PID + 1, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	world_epoll(&w, "40000019");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WAITED);
	assert_false(ev.regs[0].waited);
	assert_string_equal(tl_evidence_threads_text(&ev, text, sizeof(text)),
			    "2 threads in futex, none in accept");
}

/*
 * A Go program: its listener is edge-triggered as every socket of Go's
 * netpoller, and that registration is not the cause.
 */
static void test_go_accept(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;
	uint8_t head[0x200];
	size_t n = elf_head(head, sizeof(head), true, false, "Go\0\0", 4, 4);

	(void)state;
	world_init(&w, 2, TL_ESTABLISHED);
	world_proc(&w, "S (sleeping)", 0, 2);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	world_thread(&w, PID + 1, "S (sleeping)", EPOLL_FD4, "do_epoll_wait",
		     "4990.0");
	world_epoll(&w, "8000201d");
	world_exe(&w, head, n);
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.runtime, TL_RT_GO);
	assert_int_equal(v.cause, TL_CAUSE_GO_ACCEPT);
	assert_string_equal(tl_ev_cause_name(v.cause), "go-accept-loop");
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(strstr(v.text, "pid 4711 is a Go program"));
	assert_non_null(
		strstr(v.text, "fd 3, in epoll fd 4, events 0x8000201d"));
	assert_non_null(
		strstr(v.text, "it holds 2 of the listener's connections;"));
	assert_non_null(strstr(v.remedy, "goroutine"));
	assert_null(strstr(v.remedy, "level-triggered"));

	/* An overflow may be a loop that is too slow: only possible. */
	world_waiter(&w, 2, TL_ESTABLISHED, "8000201d");
	world_exe(&w, head, n);
	conclude(&w, TL_FIND_ACCEPT_QUEUE_OVERFLOW, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_GO_ACCEPT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(v.text, "does not keep up"));

	/* The same registration in a program of no known runtime. */
	world_waiter(&w, 2, TL_ESTABLISHED, "8000201d");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.runtime, TL_RT_UNKNOWN);
	assert_int_equal(v.cause, TL_CAUSE_EDGE);
}

/*
 * A Tokio program: its I/O driver registers the listener edge-triggered
 * too; its worker threads' names tell it, and only the full prefix does.
 */
static void test_tokio_accept(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	for (int named = 0; named < 3; named++) {
		world_init(&w, 2, TL_ESTABLISHED);
		world_proc(&w, "S (sleeping)", 0, 2);
		world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
			     "4990.0");
		world_thread(&w, PID + 1, "S (sleeping)", EPOLL_FD4,
			     "do_epoll_wait", "4990.0");
		put(w.dir, "4711/task/4711/comm", "server\n");
		/* A program that names its threads "tokio" is not told. */
		put(w.dir, "4711/task/4712/comm",
		    named == 0 ? "tokio-runtime-w\n" :
		    named == 1 ? "tokio\n" :
				 "tokio-runtime-x\n");
		world_epoll(&w, "8000201d");
		conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
		if (named > 0) {
			assert_int_equal(ev.runtime, TL_RT_UNKNOWN);
			assert_int_equal(v.cause, TL_CAUSE_EDGE);
			continue;
		}
		assert_int_equal(ev.runtime, TL_RT_TOKIO);
		assert_string_equal(tl_ev_runtime_name(ev.runtime), "tokio");
		assert_int_equal(v.cause, TL_CAUSE_TOKIO);
		assert_string_equal(tl_ev_cause_name(v.cause),
				    "tokio-accept-loop");
		assert_int_equal(v.certainty, TL_CERT_LIKELY);
		assert_non_null(strstr(v.text, "pid 4711 runs on Tokio"));
		assert_non_null(strstr(
			v.text,
			"until WouldBlock: so no task is calling accept() on this listener"));
		assert_non_null(strstr(
			v.text, "it holds 2 of the listener's connections;"));
		assert_non_null(strstr(v.remedy, "Semaphore"));
		assert_null(strstr(v.remedy, "level-triggered"));
	}

	/* Level-triggered, the threads' names are not read at all. */
	world_init(&w, 2, TL_ESTABLISHED);
	world_proc(&w, "S (sleeping)", 0, 1);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	put(w.dir, "4711/task/4711/comm", "tokio-runtime-w\n");
	world_epoll(&w, "0000201d");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.runtime, TL_RT_UNKNOWN);
}

/*
 * Two threads holding 2 CLOSE-WAIT: one in poll(), one in epoll_wait on
 * fd 4, whose set holds the listener or not (events, as world_epoll);
 * the process holds a listener or, without listener, only connections.
 */
static void world_poll_and_loop(struct world *w, bool listener,
				const char *events)
{
	world_init(w, 2, TL_CLOSE_WAIT);
	if (!listener)
		w->socks[0].state = TL_ESTABLISHED;
	world_proc(w, "S (sleeping)", 0, 2);
	world_thread(w, PID, "S (sleeping)", POLL1, "poll_schedule_timeout",
		     "1000.0");
	world_thread(w, PID + 1, "S (sleeping)", EPOLL_FD4, "do_epoll_wait",
		     "1000.0");
	world_epoll(w, events);
}

/*
 * CLOSE-WAIT sockets held (fds 10, 11) by a process whose workers are
 * stuck on something else: blocked, not (only) leaking.
 */
static void test_leak_blocked(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	world_init(&w, 2, TL_CLOSE_WAIT);
	world_proc(&w, "S (sleeping)", 0, 2);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "1000.0");
	world_thread(&w, PID + 1, "S (sleeping)", RECV_FD("0x8"), "wait_woken",
		     "1000.0");
	conclude_leak(&w, &ev, &v);
	assert_true(ev.on_other == 2);
	assert_int_equal(v.cause, TL_CAUSE_BLOCKED);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_string_equal(tl_ev_cause_name(v.cause), "blocked-elsewhere");
	/* Words that fit a client leaking too, which has no clients. */
	assert_non_null(strstr(v.text, "blocked in I/O on fd 8, which is "
				       "none of the connections it holds"));
	assert_non_null(strstr(v.text, "does not get back to the connections "
				       "it should close"));
	assert_non_null(strstr(v.text, "none of them has run for 4 s"));
	assert_non_null(strstr(v.remedy, "/proc/PID/fd/FD"));
	assert_true(v.fd == 8);
	/* Its remedy says when it applies: given even when only possible. */
	assert_true(tl_ev_remedy_conditional(v.cause));
	assert_true(strncmp(v.remedy, "If ", 3) == 0);

	/*
	 * The same with a housekeeping thread that ran 10 ms ago (a JVM's
	 * wakes every 50 ms): the blocked thread has not run for 4 s.
	 */
	world_init(&w, 2, TL_CLOSE_WAIT);
	world_proc(&w, "S (sleeping)", 0, 2);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	world_thread(&w, PID + 1, "S (sleeping)", RECV_FD("0x8"), "wait_woken",
		     "1000.0");
	conclude_leak(&w, &ev, &v);
	assert_true(ev.idle_ms < 1000);
	assert_int_equal(v.cause, TL_CAUSE_BLOCKED);
	assert_non_null(
		strstr(v.text, "the blocked ones have not run for 4 s"));
	/* Threads in one call on different fds are told together. */
	world_init(&w, 2, TL_CLOSE_WAIT);
	world_proc(&w, "S (sleeping)", 0, 3);
	world_thread(&w, PID, "S (sleeping)", RECV_FD("0x8"), "wait_woken",
		     "1000.0");
	world_thread(&w, PID + 1, "S (sleeping)", RECV_FD("0xc"), "wait_woken",
		     "1000.0");
	world_thread(&w, PID + 2, "S (sleeping)", RECV_FD("0x8"), "wait_woken",
		     "1000.0");
	conclude_leak(&w, &ev, &v);
	assert_non_null(strstr(v.text, "3 threads in recvfrom on fds 8, 12"));

	/* In recv on one of them (fd 10): it is reading, nothing to say. */
	world_one(&w, 2, TL_CLOSE_WAIT, RECV_FD("0xa"), "wait_woken", "1000.0");
	conclude_leak(&w, &ev, &v);
	assert_true(ev.on_other == 0);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);

	/*
	 * In recv on a client that is still connected (fd 10, ESTABLISHED,
	 * from its listener) while others leak: serving, not blocked.
	 */
	world_init(&w, 2, TL_CLOSE_WAIT);
	w.socks[1].state = TL_ESTABLISHED;
	world_proc(&w, "S (sleeping)", 0, 1);
	world_thread(&w, PID, "S (sleeping)", RECV_FD("0xa"), "wait_woken",
		     "1000.0");
	conclude_leak(&w, &ev, &v);
	assert_true(ev.on_other == 0);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);

	/* An event loop beside it may be the one that leaks. */
	world_init(&w, 2, TL_CLOSE_WAIT);
	world_proc(&w, "S (sleeping)", 0, 2);
	world_thread(&w, PID, "S (sleeping)", EPOLL_FD4, "do_epoll_wait",
		     "1000.0");
	world_thread(&w, PID + 1, "S (sleeping)", RECV_FD("0x8"), "wait_woken",
		     "1000.0");
	conclude_leak(&w, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);

	/*
	 * Its one thread waits in an epoll set that holds no connection, only
	 * an eventfd (a PostgreSQL backend waiting for a lock): blocked.
	 */
	world_one(&w, 2, TL_CLOSE_WAIT, EPOLL_FD4, "do_epoll_wait", "1000.0");
	world_epoll(&w, NULL);
	conclude_leak(&w, &ev, &v);
	assert_true(ev.on_other == 1);
	assert_int_equal(v.cause, TL_CAUSE_BLOCKED);
	assert_non_null(strstr(v.text, "wait in epoll fd 4, a set that holds "
				       "no connection"));
	/*
	 * Beside a thread that waits for new clients, the same set is an
	 * idle helper's (puma's reactor on its wake-up pipe, the main
	 * thread in poll on the listener): the program runs, it leaks.
	 */
	world_poll_and_loop(&w, true, NULL);
	conclude_leak(&w, &ev, &v);
	assert_true(ev.on_other == 0);
	assert_int_not_equal(v.cause, TL_CAUSE_BLOCKED);
	/*
	 * The same threads in a process that holds no listener: its thread
	 * in poll() waits for no client (a logging thread beside a backend's
	 * lock wait), and the set's wait is told.
	 */
	world_poll_and_loop(&w, false, NULL);
	conclude_leak(&w, &ev, &v);
	assert_true(ev.on_other == 2);
	assert_int_equal(v.cause, TL_CAUSE_BLOCKED);
	/*
	 * A set that holds its listener is its event loop: a leak, and one
	 * it no longer watches (Twisted's half-close left to a protocol
	 * that never closes, asyncio's eof_received() returning True).
	 */
	world_one(&w, 2, TL_CLOSE_WAIT, EPOLL_FD4, "do_epoll_wait", "1000.0");
	world_epoll(&w, "19");
	conclude_leak(&w, &ev, &v);
	assert_true(ev.on_other == 0);
	assert_true(ev.leak_unwatched);
	assert_int_equal(v.cause, TL_CAUSE_UNWATCHED);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_string_equal(tl_ev_cause_name(v.cause), "unwatched");
	assert_non_null(strstr(v.text, "its event loop waits in epoll fd 4, "
				       "but none of its 2 CLOSE-WAIT "
				       "connections is in its epoll set: it "
				       "stopped reading them"));
	assert_non_null(v.remedy);
	/*
	 * Beside a thread in poll(), whose set /proc does not show (it may
	 * watch them there): possible, and no fix asserted.
	 */
	world_poll_and_loop(&w, true, "19");
	conclude_leak(&w, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_UNWATCHED);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_null(v.remedy);
	/* The same set holding one of its connections: it is told. */
	world_one(&w, 2, TL_CLOSE_WAIT, EPOLL_FD4, "do_epoll_wait", "1000.0");
	world_epoll_one(&w, 4, 10, "19", LINO + 1);
	conclude_leak(&w, &ev, &v);
	assert_true(ev.on_other == 0);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
}

/* Its CLOSE-WAIT fd 10 in epoll fd 4 with events, its thread asleep. */
static void world_loop(struct world *w, const char *events)
{
	world_one(w, 2, TL_CLOSE_WAIT, NANOSLEEP, "hrtimer_nanosleep",
		  "1000.0");
	world_epoll_one(w, 4, 10, events, LINO + 1);
}

/*
 * An asyncio loop a coroutine's time.sleep() blocks: its CLOSE-WAIT
 * sockets are registered for input in an epoll set no thread waits on.
 * Not where the registration is edge-triggered (Go's, Tokio's: any thread
 * polls it), one-shot, or asks for no input.
 */
static void test_leak_loop_not_waited(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	world_loop(&w, "19");
	conclude_leak(&w, &ev, &v);
	assert_true(ev.has_leak_reg);
	assert_int_equal(ev.leak_reg.epfd, 4);
	assert_int_equal(ev.leak_reg.tfd, 10);
	assert_false(ev.leak_reg.waited);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WAITED);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_string_equal(
		v.text,
		"its CLOSE-WAIT connection on fd 10 is in epoll fd 4, level-triggered and asking for input, but no thread waits on that epoll fd: the event loop that would read the end of file and close it does not run; 1 thread in clock_nanosleep; it has not run for 4 s");
	assert_true(v.fd == 10);
	assert_non_null(strstr(v.remedy, "asyncio coroutine"));
	/* fds: the census is read for a leak too. */
	assert_true(ev.has_fds);
	assert_int_equal(ev.kinds[TL_FDK_EPOLL], 1);
	/* Its limit: /proc/PID/limits, unless the owners pass read it. */
	assert_true(ev.nofile == 0);
	world_loop(&w, "19");
	put(w.dir, "4711/limits",
	    "Limit                     Soft Limit           Hard Limit           Units     \n"
	    "Max open files            64                   4096                 files     \n");
	conclude_leak(&w, &ev, &v);
	assert_true(ev.nofile == 64);
	world_loop(&w, "19");
	put(w.dir, "4711/limits",
	    "Max open files            64                   4096                 files     \n");
	w.procs[0].nofile = 12;
	conclude_leak(&w, &ev, &v);
	assert_true(ev.nofile == 12);

	world_loop(&w, "80000019");
	conclude_leak(&w, &ev, &v);
	assert_false(ev.has_leak_reg);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
	world_loop(&w, "40000019");
	conclude_leak(&w, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
	world_loop(&w, "4");
	conclude_leak(&w, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
	/*
	 * Its thread on a CPU: a loop that spins on the end of file it
	 * ignores looks the same, but has read the data. Told only where
	 * the socket holds data never read.
	 */
	world_loop(&w, "19");
	put(w.dir, "4711/task/4711/syscall", "running\n");
	conclude_leak(&w, &ev, &v);
	assert_true(ev.has_leak_reg && !ev.leak_unread);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
	world_loop(&w, "19");
	put(w.dir, "4711/task/4711/syscall", "running\n");
	w.socks[1].rqueue = 6;
	conclude_leak(&w, &ev, &v);
	assert_true(ev.has_leak_reg && ev.leak_unread);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WAITED);
	/* The unread one is named, not the first registered. */
	world_loop(&w, "19");
	w.socks[2].rqueue = 6;
	world_epoll_one(&w, 5, 11, "19", LINO + 2);
	conclude_leak(&w, &ev, &v);
	assert_true(ev.leak_unread);
	assert_int_equal(ev.leak_reg.tfd, 11);
	assert_int_equal(ev.leak_reg.epfd, 5);
	/* Registered, and its thread waits on that set: running, a leak. */
	world_loop(&w, "19");
	put(w.dir, "4711/task/4711/syscall", "%s\n", EPOLL_FD4);
	conclude_leak(&w, &ev, &v);
	assert_true(ev.has_leak_reg && ev.leak_reg.waited);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
}

/*
 * Every thread in futex, none run for 4 s: what a deadlock looks like
 * (two threads each holding a lock the other wants, the accept loop
 * waiting for one of them). Said only when every thread was read and
 * none has run for a second, and as possible: the locks' holders are
 * not known.
 */
static void test_all_locked(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	for (int leak = 0; leak < 2; leak++) {
		/* Held connections would make it a pool at its limit. */
		world_init(&w, leak ? 2 : 0, TL_CLOSE_WAIT);
		world_proc(&w, "S (sleeping)", 0, 3);
		for (int t = 0; t < 3; t++)
			world_thread(&w, PID + t, "S (sleeping)", FUTEX,
				     "futex_wait_queue", "1000.0");
		if (leak)
			conclude_leak(&w, &ev, &v);
		else
			conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
		assert_int_equal(v.cause, TL_CAUSE_LOCKED);
		assert_string_equal(tl_ev_cause_name(v.cause), "lock-wait");
		assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
		assert_non_null(strstr(
			v.text,
			leak ? "all 3 threads wait in futex, on a lock or a condition variable, and none has run for 4 s: nothing in the program gets to close them" :
			       "all 3 threads wait in futex, on a lock or a condition variable, and none has run for 4 s: nothing in the program waits for the listener"));
		assert_non_null(strstr(v.remedy, "thread apply all bt"));
		assert_true(tl_ev_remedy_conditional(v.cause));
	}

	/* One of them ran 10 ms ago: it gets somewhere. */
	world_init(&w, 2, TL_CLOSE_WAIT);
	world_proc(&w, "S (sleeping)", 0, 2);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "1000.0");
	world_thread(&w, PID + 1, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	conclude_leak(&w, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);

	/* A third thread was not read: it may be the one that works. */
	world_init(&w, 2, TL_CLOSE_WAIT);
	world_proc(&w, "S (sleeping)", 0, 3);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "1000.0");
	world_thread(&w, PID + 1, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "1000.0");
	conclude_leak(&w, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);

	/* One thread in accept(): slow perhaps, not locked. */
	world_init(&w, 2, TL_ESTABLISHED);
	world_proc(&w, "S (sleeping)", 0, 2);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "1000.0");
	world_thread(&w, PID + 1, "S (sleeping)",
		     "288 0x3 0x0 0x0 0x80800 0x0 0x0 0x1 0x2",
		     "inet_csk_accept", "1000.0");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_not_equal(v.cause, TL_CAUSE_LOCKED);
}

/*
 * A thread listed in task/ that exits before it is read (a thread per
 * connection, under churn) is no thread of the process any more: before,
 * it was a thread whose syscall "could not be read", and the verdict
 * blamed ptrace access, as root.
 */
static void test_thread_exited(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	world_waiter(&w, 0, 0, "19");
	world_proc(&w, "S (sleeping)", 0, 2);
	mkd(w.dir, "4711/task/4712"); /* its files are gone: ENOENT */
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.n_read, 1);
	assert_int_equal(ev.n_threads, 1);
	assert_int_equal(v.cause, TL_CAUSE_WATCHED);
	assert_null(strstr(v.text, "could not be read"));

	/* One that cannot be read (EACCES) still says so. */
	world_waiter(&w, 0, 0, "19");
	world_proc(&w, "S (sleeping)", 0, 2);
	mkd(w.dir, "4711/task/4712");
	mkd(w.dir, "4711/task/4712/syscall"); /* read() fails: EISDIR */
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.n_read, 2);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
}

/* ---- the real kernel ---- */

/*
 * proc_root: NULL is /proc, as everywhere in the API; one that does not
 * exist is an error, not a process that exited.
 */
static void test_proc_root(void **state)
{
	struct tl_evidence ev;

	(void)state;
	assert_int_equal(tl_evidence_gather(NULL, getpid(), NULL, NULL,
					    TL_EV_THREADS, &ev),
			 0);
	assert_false(ev.gone);
	assert_true(ev.state != 0);
	assert_int_equal(tl_evidence_gather("/nonexistent-tl", getpid(), NULL,
					    NULL, TL_EV_THREADS, &ev),
			 -ENOENT);
	assert_int_equal(tl_evidence_gather("/dev/null", getpid(), NULL, NULL,
					    TL_EV_THREADS, &ev),
			 -ENOTDIR);
	/* A pid no process has, under a real /proc, is gone. */
	assert_int_equal(tl_evidence_gather("/proc", 0x3fffffff, NULL, NULL,
					    TL_EV_THREADS, &ev),
			 0);
	assert_true(ev.gone);
	assert_int_equal(tl_evidence_gather(NULL, 0, NULL, NULL, TL_EV_THREADS,
					    &ev),
			 -EINVAL);
}

/* Waits (bounded) until /proc/PID/status shows state c. */
static bool wait_state(pid_t pid, char c)
{
	for (int i = 0; i < 200; i++) {
		struct tl_evidence ev;
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		if (tl_evidence_gather("/proc", pid, NULL, NULL, TL_EV_THREADS,
				       &ev) == 0 &&
		    ev.state == c && ev.n_read == 1 &&
		    (c != 'S' || ev.threads[0].kind == TL_SYS_EPOLL))
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

static void test_real(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event e = { .events = EPOLLIN | EPOLLET };
	struct tl_evidence ev;
	struct tl_ev_verdict v;
	struct world w;
	struct stat st;
	int lfd, efd, status;
	pid_t pid;

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	efd = epoll_create1(EPOLL_CLOEXEC);
	assert_true(efd >= 0);
	e.data.fd = lfd;
	assert_int_equal(epoll_ctl(efd, EPOLL_CTL_ADD, lfd, &e), 0);
	assert_int_equal(fstat(lfd, &st), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct epoll_event out;

		epoll_wait(efd, &out, 1, 20000);
		_exit(0);
	}
	if (!wait_state(pid, 'S')) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		skip(); /* /proc/PID/task/TID/syscall needs ptrace access */
	}
	world_init(&w, 0, 0);
	rmtree(w.dir);
	w.socks[0].inode = (uint32_t)st.st_ino;
	w.refs[0].inode = (uint32_t)st.st_ino;
	w.procs[0].pid = pid;
	w.refs[0].fd = lfd;
	assert_int_equal(tl_evidence_gather("/proc", pid, &w.snap, &w.socks[0],
					    TL_EV_THREADS | TL_EV_LISTENER,
					    &ev),
			 0);
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(ev.n_regs, 1);
	assert_int_equal(ev.regs[0].epfd, efd);
	assert_true(ev.regs[0].events & TL_EPOLLET);
	assert_true(ev.regs[0].waited);
	assert_int_equal(v.cause, TL_CAUSE_EDGE);

	assert_int_equal(kill(pid, SIGSTOP), 0);
	assert_true(wait_state(pid, 'T'));
	assert_int_equal(tl_evidence_gather("/proc", pid, &w.snap, &w.socks[0],
					    TL_EV_THREADS | TL_EV_LISTENER,
					    &ev),
			 0);
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(v.cause, TL_CAUSE_STOPPED);
	assert_int_equal(ev.tracer, 0);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(efd);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stopped),
		cmocka_unit_test(test_epoll_causes),
		cmocka_unit_test(test_go_accept),
		cmocka_unit_test(test_tokio_accept),
		cmocka_unit_test(test_leak_blocked),
		cmocka_unit_test(test_leak_loop_not_waited),
		cmocka_unit_test(test_all_locked),
		cmocka_unit_test(test_thread_exited),
		cmocka_unit_test(test_real),
		cmocka_unit_test(test_proc_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
