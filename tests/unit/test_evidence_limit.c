// SPDX-License-Identifier: MIT
/*
 * Tests for lib/evidence*.c, continued: a connection limit, a listener
 * nobody watches, every worker busy with a client, a child per
 * connection, and the fd census of fd-exhaustion and a process that is
 * gone, each from a fake /proc tree (test_proc_world.h). A process frozen
 * by its cgroup is test_evidence_frozen.c's.
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
 * 20 connections held, the listener in no epoll set: one thread in
 * epoll_wait, two in futex.
 */
static void world_held20(struct world *w)
{
	world_init(w, 20, TL_ESTABLISHED);
	world_proc(w, "S (sleeping)", 0, 3);
	world_thread(w, PID, "S (sleeping)", EPOLL_FD4, "do_epoll_wait",
		     "4990.0");
	world_thread(w, PID + 1, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	world_thread(w, PID + 2, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	world_epoll(w, NULL);
}

/* A second process, pid PID + 200, holds the listener too (fd 3). */
static void second_holder(struct world *w)
{
	w->refs[2] = w->refs[1];
	w->refs[1] = (struct tl_fdref){ LINO, 1, 3 };
	w->procs[1].pid = PID + 200;
	w->owners.n_procs = 2;
	w->owners.n_refs = 3;
}

static void test_limit_and_unwatched(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;
	char text[256];

	(void)state;
	world_held20(&w);
	conclude(&w, TL_FIND_ACCEPT_QUEUE_OVERFLOW, &ev, &v);
	assert_int_equal(ev.held, 20);
	assert_int_equal(ev.n_regs, 0);
	assert_int_equal(ev.n_epolls, 1);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(strstr(v.text, "holds 20 accepted connections"));
	assert_non_null(strstr(v.remedy, "maxconn"));
	assert_string_equal(
		tl_evidence_threads_text(&ev, text, sizeof(text)),
		"2 threads in futex, 1 in epoll_wait on fd 4, none in accept");
	/*
	 * The same near its fd limit (squid stops accepting when its free
	 * fds reach its reserve): 20 is no configured maximum. Possible,
	 * and the fds told.
	 */
	world_held20(&w);
	put(w.dir, "4711/limits",
	    "Limit                     Soft Limit           Hard Limit           Units\n"
	    "Max open files            28                   28                   files\n");
	conclude(&w, TL_FIND_ACCEPT_QUEUE_OVERFLOW, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_null(strstr(v.text, "round number"));
	assert_non_null(
		strstr(v.text, "of its 28 fds open: near its fd limit"));

	/*
	 * A blocking pool (Java's): no epoll set, every thread in futex, 4
	 * connections held: its workers may all be busy. Possible.
	 */
	world_init(&w, 4, TL_ESTABLISHED);
	world_proc(&w, "S (sleeping)", 0, 2);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	world_thread(&w, PID + 1, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(v.text, "holds 4 of its connections"));
	/*
	 * 120 threads of which one was read, in futex, nothing held: what the
	 * others do is not known. Not 'likely', and not 'none in accept'.
	 */
	world_init(&w, 0, 0);
	world_proc(&w, "S (sleeping)", 0, 120);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WATCHED);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_null(strstr(v.text, "none in accept"));
	assert_non_null(strstr(v.text, "119 more not read, none of those read "
				       "in accept"));

	/*
	 * lighttpd at server.max-connections: the listener stays in the set
	 * with no events asked for (only EPOLLERR|EPOLLHUP, always added).
	 */
	world_waiter(&w, 4, TL_ESTABLISHED, "18");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.n_regs, 1);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_non_null(strstr(v.text, "the listener is in epoll fd 4 but "
				       "asks it for no events (events 0x18, "
				       "no EPOLLIN) while the program holds 4 "
				       "accepted connections"));
	/* The same with nothing held: not watched at all. */
	world_waiter(&w, 0, 0, "18");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WATCHED);
	assert_non_null(strstr(v.text, "asks it for no events"));

	/*
	 * A pre-forked worker at MaxRequestWorkers: its one thread polls,
	 * on fds /proc cannot show, while it holds a client: possible.
	 */
	world_one(&w, 1, TL_ESTABLISHED, POLL1, "do_sys_poll", "4990.0");
	world_epoll(&w, "19");
	second_holder(&w);
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_false(ev.regs[0].waited);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(v.text, "no thread waits for the listener (it "
				       "is in epoll fd 4, which no thread "
				       "waits on): its threads are in poll"));
	assert_non_null(strstr(v.remedy, "MaxRequestWorkers"));
	assert_true(tl_ev_remedy_conditional(v.cause));
	assert_true(strncmp(v.remedy, "If ", 3) == 0);
	assert_false(tl_ev_remedy_conditional(TL_CAUSE_EDGE));

	/*
	 * A php-fpm worker whose request sleeps (it has no epoll set: it
	 * blocks in accept() when idle): possible, like poll.
	 */
	world_one(&w, 1, TL_ESTABLISHED, NANOSLEEP, "hrtimer_nanosleep",
		  "4990.0");
	second_holder(&w);
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.n_epolls, 0);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(v.text, "pm.max_children"));
	/*
	 * The same sleep alone on the listener, one process of one thread
	 * (php -S): no pool, one request that takes long holds up the rest.
	 */
	world_one(&w, 1, TL_ESTABLISHED, NANOSLEEP, "hrtimer_nanosleep",
		  "4990.0");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_null(strstr(v.text, "MaxRequestWorkers"));
	assert_non_null(strstr(v.text, "its only thread is in poll, select "
				       "or a sleep"));
	assert_non_null(strstr(v.remedy, "If it serves one connection at a "
					 "time"));
	/*
	 * In poll with the listener in its epoll set (thin, whose Ruby
	 * sleep waits in ppoll): a handler blocks its event loop.
	 */
	world_one(&w, 1, TL_ESTABLISHED, POLL1, "do_sys_poll", "4990.0");
	world_epoll(&w, "19");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WAITED);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(v.text, "a handler blocks its event loop"));
	/*
	 * The same sleep, alone on the listener, holding only a connection
	 * whose client left: a child that inherited them from a server that
	 * exited serves nobody. Nothing waits for the listener.
	 */
	world_one(&w, 1, TL_CLOSE_WAIT, NANOSLEEP, "hrtimer_nanosleep",
		  "4990.0");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.held, 1);
	assert_int_equal(ev.held_closed, 1);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WATCHED);

	/*
	 * socat's fork at max-children: the parent sleeps, holding the
	 * listener; its children (same comm) hold the connections, one
	 * each, and not the listener.
	 */
	world_one(&w, 2, TL_ESTABLISHED, NANOSLEEP, "hrtimer_nanosleep",
		  "4990.0");
	w.procs[1].pid = PID + 100;
	w.procs[1].ppid = PID;
	w.procs[2].pid = PID + 101;
	w.procs[2].ppid = PID;
	w.refs[1].proc = 1;
	w.refs[2].proc = 2;
	w.owners.n_procs = 3;
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.held, 0);
	assert_int_equal(ev.children_held, 2);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(v.text, "while its children hold 2 of its "
				       "connections and not the listener"));
	assert_non_null(strstr(v.remedy, "socat max-children"));
	/* A child of another name is another program's. */
	world_one(&w, 1, TL_ESTABLISHED, NANOSLEEP, "hrtimer_nanosleep",
		  "4990.0");
	w.procs[1].pid = PID + 100;
	w.procs[1].ppid = PID;
	snprintf(w.procs[1].comm, sizeof(w.procs[1].comm), "other");
	w.refs[1].proc = 1;
	w.owners.n_procs = 2;
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.children_held, 0);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WATCHED);

	/*
	 * The same sleep where the listener is in an epoll set nobody waits
	 * on: an event loop a handler put to sleep (time.sleep() in asyncio
	 * or Twisted), not a worker limit.
	 */
	world_one(&w, 1, TL_ESTABLISHED, NANOSLEEP, "hrtimer_nanosleep",
		  "4990.0");
	world_epoll(&w, "19");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WAITED);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(strstr(v.text, "1 thread in clock_nanosleep"));
	assert_int_equal(ev.sharers, 1);
	/*
	 * The same, with a second process holding the listener: a pre-forked
	 * pool of event loops (uWSGI's workers), each asleep in the request
	 * it holds, is a pool at its limit.
	 */
	world_one(&w, 1, TL_ESTABLISHED, NANOSLEEP, "hrtimer_nanosleep",
		  "4990.0");
	world_epoll(&w, "19");
	second_holder(&w);
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.sharers, 2);
	assert_int_equal(ev.held, 1);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	/* Or pre-forked event loops (Tornado's), which no limit bounds. */
	assert_non_null(strstr(v.text, "; or, if each process runs an event "
				       "loop that serves many connections at "
				       "once (Tornado's fork_processes"));
	assert_non_null(strstr(v.remedy, "a handler must not sleep or block"));
	assert_true(tl_ev_remedy_conditional(v.cause));

	/*
	 * One process of one thread in recv on the client it holds (fd 10),
	 * the listener in no epoll set (Python's HTTPServer): it serves one
	 * connection at a time, and no worker limit is there to raise.
	 */
	world_one(&w, 1, TL_ESTABLISHED, RECV_FD("0xa"), "wait_woken",
		  "4990.0");
	world_epoll(&w, NULL);
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_true(ev.on_held == 1);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(strstr(v.text, "(not in its epoll set): its only "
				       "thread is in I/O on one of the "
				       "listener's connections it holds (1)"));
	assert_non_null(strstr(v.remedy, "serves one connection at a time"));
	assert_null(strstr(v.remedy, "MaxRequestWorkers"));
	/*
	 * The same thread with the listener in an epoll set nobody waits on:
	 * an event loop (selectors, asyncio) that a handler blocks.
	 */
	world_one(&w, 1, TL_ESTABLISHED, RECV_FD("0xa"), "wait_woken",
		  "4990.0");
	world_epoll(&w, "19");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WAITED);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(strstr(v.text, "so a handler blocks its event loop"));
	assert_null(strstr(v.remedy, "socketserver"));
	/*
	 * gunicorn's sync workers: the same in each of two processes that
	 * hold the listener (they select() on it when idle): a pool at its
	 * limit, with the limits' remedy.
	 */
	world_one(&w, 1, TL_ESTABLISHED, RECV_FD("0xa"), "wait_woken",
		  "4990.0");
	world_epoll(&w, NULL);
	second_holder(&w);
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.sharers, 2);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(strstr(v.text, "(not in its epoll set): each thread "
				       "is in I/O on one of the listener's "
				       "connections it holds (1)"));
	assert_non_null(strstr(v.remedy, "gunicorn --workers"));

	/* A thread pool: the main thread waits for two workers in recv. */
	world_init(&w, 2, TL_ESTABLISHED);
	world_proc(&w, "S (sleeping)", 0, 3);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	world_thread(&w, PID + 1, "S (sleeping)", RECV_FD("0xa"), "wait_woken",
		     "4990.0");
	world_thread(&w, PID + 2, "S (sleeping)", RECV_FD("0xb"), "wait_woken",
		     "4990.0");
	world_epoll(&w, "19");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_true(ev.on_held == 6);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);

	/*
	 * In recv on something else (an upstream, fd 8) and not run for 4 s:
	 * blocked there; run just now, only not waited.
	 */
	world_one(&w, 1, TL_ESTABLISHED, RECV_FD("0x8"), "wait_woken",
		  "1000.0");
	world_epoll(&w, "19");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_true(ev.on_held == 0);
	assert_int_equal(v.cause, TL_CAUSE_BLOCKED);
	assert_non_null(strstr(v.text, "fd 8, which is none of its clients' "
				       "connections"));
	world_one(&w, 1, TL_ESTABLISHED, RECV_FD("0x8"), "wait_woken",
		  "4990.0");
	world_epoll(&w, "19");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WAITED);
	/*
	 * Its thread runs hot instead, on system calls (Knot at its
	 * tcp-max-clients: epoll_wait returns the listener at once, again
	 * and again): a loop spinning at its own limit, possibly.
	 */
	ev.threads[0].state = 'R';
	ev.threads[0].kind = TL_SYS_RUNNING;
	ev.threads[0].has_busy = true;
	ev.threads[0].busy_pct = 67;
	ev.threads[0].busy_ms = 30;
	ev.threads[0].has_times = true;
	ev.threads[0].utime_ticks = 40;
	ev.threads[0].stime_ticks = 60;
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(v.text, "level-triggered, and thread"));
	assert_non_null(strstr(v.text, "used 67 % of a CPU over the 30 ms"));
	assert_non_null(strstr(v.text, "does not accept at its own limit"));
	/*
	 * On a loaded machine the same loop gets little of a CPU, and waits
	 * for one the rest of the time: runnable, it still spins.
	 */
	ev.threads[0].busy_pct = 8;
	ev.threads[0].runnable_pct = 90;
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_non_null(strstr(v.text, "used 8 % of a CPU over the 30 ms we "
				       "watched and waited for a CPU another "
				       "82 % (runnable 90 %) while"));
	ev.threads[0].runnable_pct = 12;
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WAITED);
	ev.threads[0].busy_pct = 67;
	ev.threads[0].runnable_pct = 0;
	/* A thread that computes (user time) is busy elsewhere. */
	ev.threads[0].utime_ticks = 99;
	ev.threads[0].stime_ticks = 1;
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WAITED);
	/* Holding none of the listener's connections: no limit reached. */
	ev.threads[0].utime_ticks = 40;
	ev.threads[0].stime_ticks = 60;
	ev.held = 0;
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WAITED);
	/* Holding none, or with a thread elsewhere: not waited, as before. */
	world_one(&w, 0, 0, POLL1, "do_sys_poll", "4990.0");
	world_epoll(&w, "19");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WAITED);
	world_init(&w, 1, TL_ESTABLISHED);
	world_proc(&w, "S (sleeping)", 0, 2);
	world_thread(&w, PID, "S (sleeping)", POLL1, "do_sys_poll", "4990.0");
	world_thread(&w, PID + 1, "S (sleeping)", EPOLL_FD4, "do_epoll_wait",
		     "4990.0");
	world_epoll(&w, "19");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_WATCHED);

	/* 7 held: not a round number, only possible. */
	world_waiter(&w, 7, TL_CLOSE_WAIT, NULL);
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.held, 7);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);

	/* Nothing held, nothing waits for the listener. */
	world_one(&w, 0, 0, "230 0x0 0x0 0x7ffd 0x0 0x0 0x0 0x1 0x2",
		  "hrtimer_nanosleep", "1000.0");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WATCHED);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(strstr(v.text, "clock_nanosleep"));
	assert_non_null(strstr(v.text, "it has not run for 4 s"));

	/* Syscalls unreadable (no ptrace access): no claim about waits. */
	world_init(&w, 0, 0);
	world_proc(&w, "S (sleeping)", 0, 1);
	mkd(w.dir, "4711/task/4711");
	put(w.dir, "4711/task/4711/status", STATUS_FMT, "S (sleeping)", PID,
	    PID, 0, 1);
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.threads[0].kind, TL_SYS_UNKNOWN);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(v.text, "ptrace"));
	assert_null(strstr(tl_evidence_threads_text(&ev, text, sizeof(text)),
			   "none in accept"));
	assert_null(v.remedy);

	/* A thread in accept4: slow, not stuck; keep the finding's remedy. */
	world_one(&w, 0, 0, "288 0x3 0x0 0x0 0x80800 0x0 0x0 0x1 0x2",
		  "inet_csk_accept", "4990.0");
	conclude(&w, TL_FIND_ACCEPT_QUEUE_OVERFLOW, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_ACCEPTING);
	assert_null(v.remedy);
	/*
	 * In accept4 on fd 9, which is not the listener (fd 3): a JVM's
	 * Attach Listener on its UNIX socket, started by jstack. The
	 * listener's epoll set that nobody waits on tells, as before.
	 */
	world_init(&w, 0, 0);
	world_proc(&w, "S (sleeping)", 0, 2);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	world_thread(&w, PID + 1, "S (sleeping)",
		     "288 0x9 0x0 0x0 0x80800 0x0 0x0 0x1 0x2", "unix_accept",
		     "4990.0");
	world_epoll(&w, "19");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_true(ev.accept_other == 2);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WAITED);
}

static void test_fds_and_gone(void **state)
{
	struct world w;
	char gone[PATH_MAX];
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	/* 12 CLOSE_WAIT of 15 fds. */
	world_waiter(&w, 12, TL_CLOSE_WAIT, "19");
	conclude(&w, TL_FIND_FD_EXHAUSTION, &ev, &v);
	assert_int_equal(ev.n_fds, 16);
	assert_int_equal(ev.kinds[TL_FDK_TCP], 13);
	assert_int_equal(ev.tcp[TL_CLOSE_WAIT], 12);
	assert_int_equal(ev.tcp[TL_LISTEN], 1);
	assert_int_equal(ev.kinds[TL_FDK_PIPE], 1);
	assert_int_equal(ev.kinds[TL_FDK_EPOLL], 1);
	assert_int_equal(ev.kinds[TL_FDK_DEVICE], 1);
	assert_int_equal(v.cause, TL_CAUSE_CLOSE_WAIT);
	assert_non_null(strstr(v.text, "12 close-wait"));
	assert_non_null(strstr(v.text, ", 1 pipe,"));
	assert_non_null(strstr(v.text, "13 TCP sockets"));
	/* Level-triggered and waited for: the EMFILE spin. */
	assert_non_null(strstr(v.text, "busy loop"));
	assert_non_null(
		strstr(v.remedy, "The CLOSE-WAIT leak fills the fd table"));
	/* The leak's own finding waits for --close-wait-age: a "see:" line
	 * names it where it is printed, the remedy never. */
	assert_null(strstr(v.remedy, "see the close-wait-leak finding"));

	/* The same with mostly files: the leak is not the cause. */
	world_init(&w, 1, TL_CLOSE_WAIT);
	world_proc(&w, "S (sleeping)", 0, 1);
	for (int i = 20; i < 30; i++) {
		char rel[32];

		snprintf(rel, sizeof(rel), "4711/fd/%d", i);
		lnk(w.dir, rel, "/var/log/app.log");
	}
	conclude(&w, TL_FIND_FD_EXHAUSTION, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_FDS_OTHER);
	assert_non_null(strstr(v.text, "most are files"));

	/* Gone: its directory, not the whole /proc (that is an error). */
	world_init(&w, 0, 0);
	snprintf(gone, sizeof(gone), "%s/%d", w.dir, PID);
	rmtree(gone);
	assert_int_equal(tl_evidence_gather(w.dir, PID, &w.snap, &w.socks[0],
					    TL_EV_THREADS, &ev),
			 0);
	assert_true(ev.gone);
	assert_true(tl_evidence_exited(&ev));
	rmtree(w.dir);
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(v.cause, TL_CAUSE_GONE);

	/*
	 * Being reaped (State X) as we look has exited as a zombie has: the
	 * doctor drops a finding of such a process once its socket is gone.
	 */
	world_init(&w, 0, 0);
	world_proc(&w, "X (dead)", 0, 1);
	assert_int_equal(tl_evidence_gather(w.dir, PID, &w.snap, &w.socks[0],
					    TL_EV_THREADS, &ev),
			 0);
	assert_false(ev.gone);
	assert_int_equal(ev.state, 'X');
	assert_true(tl_evidence_exited(&ev));
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(v.cause, TL_CAUSE_GONE);
	assert_non_null(
		strstr(v.text, "its parent was reaping it as we looked"));
	world_proc(&w, "S (sleeping)", 0, 1);
	assert_int_equal(tl_evidence_gather(w.dir, PID, &w.snap, &w.socks[0],
					    TL_EV_THREADS, &ev),
			 0);
	assert_false(tl_evidence_exited(&ev));
	rmtree(w.dir);
}

/*
 * nginx with reuseport: every worker holds every worker's listener of an
 * address and watches only its own. A worker that holds 3 connections
 * and waits in epoll on its own listener (a sibling of the stuck one) is
 * not the stuck one's acceptor: its connections came from its own queue.
 * Before, it was taken for a worker at its connection limit.
 */
static void world_sibling(struct world *w, uint16_t port)
{
	struct tl_sock *sib;

	world_one(w, 3, TL_ESTABLISHED, EPOLL_FD4, "do_epoll_wait", "4990.0");
	sib = &w->socks[w->snap.n_socks++];
	*sib = w->socks[0];
	sib->sport = port;
	sib->rqueue = 0;
	sib->inode = LINO + 0x40;
	w->refs[w->owners.n_refs++] = (struct tl_fdref){ sib->inode, 0, 6 };
	lnk(w->dir, "4711/fd/6", "socket:[47169]"); /* 0xb841 */
	lnk(w->dir, "4711/fd/4", "anon_inode:[eventpoll]");
	put(w->dir, "4711/fdinfo/4",
	    "pos:\t0\nflags:\t02\nmnt_id:\t17\nino:\t17\n"
	    "tfd:        6 events:     2019 data: 6  pos:0 ino:b841 sdev:9\n");
}

static void test_reuseport_sibling(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	world_sibling(&w, 8080);
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.held, 3);
	assert_int_equal(ev.n_regs, 0);
	assert_true(ev.has_sibling);
	assert_int_equal(ev.sibling.tfd, 6);
	assert_int_equal(ev.sibling.epfd, 4);
	assert_true(ev.sibling.waited);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WATCHED);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(strstr(v.text, "another SO_REUSEPORT listener of its "
				       "address is (fd 6, in epoll fd 4, which "
				       "a thread waits on)"));

	/* A listener of another port is no sibling: a connection limit. */
	world_sibling(&w, 8081);
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_false(ev.has_sibling);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
}

/*
 * Python's ThreadingHTTPServer under a burst its backlog of 5 cannot
 * take: its queue moves, but one look finds its threads in futex, taking
 * turns on the GIL. That is no stopped loop: possible, and the finding's
 * own remedy stands. A full queue may be one that does not move: there
 * the threads' look still speaks.
 */
static void test_overflow_moving(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	listener_ev(&ev, 8000, 5, 4, 5, TL_SYS_FUTEX);
	tl_evidence_conclude(&ev, TL_FIND_ACCEPT_QUEUE_OVERFLOW, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WATCHED);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_null(v.remedy);
	assert_non_null(strstr(v.text, "the queue moves, so the program does "
				       "accept"));
	ev.queued = 6;
	tl_evidence_conclude(&ev, TL_FIND_ACCEPT_QUEUE_OVERFLOW, &v);
	assert_null(strstr(v.text, "the queue moves"));
	/*
	 * Full, its threads asleep, but one ran 300 ms ago: a loop that
	 * accepts in rounds (icecast's) may be slow, not stopped.
	 */
	listener_ev(&ev, 8000, 5, 6, 1, TL_SYS_SLEEP);
	ev.has_idle = true;
	ev.idle_ms = 300;
	tl_evidence_conclude(&ev, TL_FIND_ACCEPT_QUEUE_OVERFLOW, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WATCHED);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_null(v.remedy);
	assert_non_null(strstr(v.text, "but one ran 300 ms before: a loop "
				       "that accepts in rounds"));
	/* One running: it computes, and does not sleep between rounds. */
	ev.threads[0].kind = TL_SYS_RUNNING;
	tl_evidence_conclude(&ev, TL_FIND_ACCEPT_QUEUE_OVERFLOW, &v);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_null(strstr(v.text, "accepts in rounds"));
	ev.threads[0].kind = TL_SYS_SLEEP;
	/* None has run for 5 s: that loop does not run. */
	ev.idle_ms = 5000;
	tl_evidence_conclude(&ev, TL_FIND_ACCEPT_QUEUE_OVERFLOW, &v);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(v.remedy);
	/* An event loop whose set leaves the listener out: not watched. */
	ev.idle_ms = 300;
	ev.n_epolls = ev.n_epolls_read = 1;
	ev.threads[0].kind = TL_SYS_EPOLL;
	ev.threads[0].fd = 5;
	tl_evidence_conclude(&ev, TL_FIND_ACCEPT_QUEUE_OVERFLOW, &v);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_null(strstr(v.text, "accepts in rounds"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_and_unwatched),
		cmocka_unit_test(test_fds_and_gone),
		cmocka_unit_test(test_reuseport_sibling),
		cmocka_unit_test(test_overflow_moving),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
