// SPDX-License-Identifier: MIT
/*
 * The conclusions about a CLOSE-WAIT leak from evidence filled in by hand,
 * where a fake /proc cannot give what decides them: a thread's share of a
 * CPU and its user and kernel time, and several threads' waits at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcplimbo/diagnose.h"
#include "tcplimbo/evidence.h"

#define PID 4711

/* ev as a process of one thread, both in state st, the thread in kind. */
static void one_thread(struct tl_evidence *ev, char st, int kind, int64_t fd)
{
	memset(ev, 0, sizeof(*ev));
	ev->pid = PID;
	ev->state = st;
	ev->n_threads = ev->n_read = 1;
	ev->threads[0] = (struct tl_ev_thread){
		.tid = PID, .state = st, .kind = (uint8_t)kind, .fd = fd
	};
}

/*
 * A selectors loop that reads the end of file and ignores it: its
 * CLOSE-WAIT socket, data read, stays registered level-triggered, and its
 * one thread spins. Filled in by hand: the share of a CPU a fake /proc
 * gives is nothing.
 */
static void test_leak_eof_spin(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.pid = PID;
	ev.state = 'R';
	ev.n_threads = ev.n_read = 1;
	ev.threads[0] = (struct tl_ev_thread){ .tid = PID,
					       .state = 'R',
					       .kind = TL_SYS_RUNNING,
					       .fd = -1,
					       .has_busy = true,
					       .busy_pct = 97,
					       .busy_ms = 26 };
	ev.has_leak_reg = true;
	ev.leak_reg = (struct tl_ev_reg){ 3, 5, 0x19, false };
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_EOF_SPIN);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_string_equal(tl_ev_cause_name(v.cause), "eof-spin");
	assert_string_equal(
		v.text,
		"its CLOSE-WAIT connection on fd 5, whose data it has read, is in epoll fd 3, level-triggered and asking for input, so every wait reports its end of file again at once; thread 4711 used 97 % of a CPU over the 26 ms we watched it: a loop that reads the end of file, ignores it and spins");
	assert_true(v.fd == 5);
	assert_non_null(strstr(v.remedy, "When read() (or recv()) returns 0"));
	/* Less than half a CPU: a loaded machine or real work, no word. */
	ev.threads[0].busy_pct = 49;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
	/*
	 * A loaded machine gave it 30 % of a CPU, but it was runnable all
	 * the time (it waited for a CPU, not for an event): it spins.
	 */
	ev.threads[0].busy_pct = 30;
	ev.threads[0].runnable_pct = 95;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_EOF_SPIN);
	assert_non_null(strstr(
		v.text,
		"thread 4711 used 30 % of a CPU over the 26 ms we watched it and waited for a CPU another 65 % (runnable 95 %): a loop"));
	/* Beside a thread that ran more but waits: the spinner is told. */
	ev.threads[1] = ev.threads[0];
	ev.threads[1].tid = PID + 1;
	ev.threads[1].busy_pct = ev.threads[1].runnable_pct = 35;
	ev.n_threads = ev.n_read = 2;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_EOF_SPIN);
	assert_non_null(strstr(v.text, "thread 4711 used 30 %"));
	ev.n_threads = ev.n_read = 1;
	ev.threads[0].runnable_pct = 40;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
	ev.threads[0].runnable_pct = 0;
	/* Data never read: not this loop, which reads (a stuck one is). */
	ev.threads[0].busy_pct = 97;
	ev.leak_unread = true;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WAITED);
	/*
	 * Its CPU time nearly all in user space: it computes in the loop's
	 * thread, which does not wait (a spin spends much in the kernel).
	 */
	ev.leak_unread = false;
	ev.threads[0].has_times = true;
	ev.threads[0].utime_ticks = 980;
	ev.threads[0].stime_ticks = 20;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WAITED);
	assert_non_null(strstr(
		v.text,
		"; of the CPU time thread 4711 has used, 2 % was in the kernel: it computes rather than waits"));
	/* 40 % in the kernel: the spin; and too few ticks to tell. */
	ev.threads[0].stime_ticks = 650;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_EOF_SPIN);
	ev.threads[0].utime_ticks = 19;
	ev.threads[0].stime_ticks = 0;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_EOF_SPIN);
	/* Not registered: nothing reports it again. */
	ev.leak_unread = ev.has_leak_reg = false;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
}

/*
 * A thread per connection: the threads that hold the clients are blocked
 * on an upstream while the acceptor waits for more, in accept() or in
 * poll() (an accept with a timeout). The leak is told as blocked. Not
 * where the waiting thread is in an epoll wait (an event loop, which may
 * be the one that leaks), nor where it runs.
 */
static void test_leak_blocked_acceptor(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.pid = PID;
	ev.state = 'S';
	ev.n_threads = ev.n_read = 3;
	ev.has_idle = true;
	ev.idle_ms = 3000;
	ev.threads[0] = (struct tl_ev_thread){ .tid = PID,
					       .state = 'S',
					       .kind = TL_SYS_ACCEPT,
					       .fd = 3,
					       .has_idle = true,
					       .idle_ms = 3000 };
	for (int i = 1; i < 3; i++)
		ev.threads[i] = (struct tl_ev_thread){ .tid = PID + i,
						       .state = 'S',
						       .kind = TL_SYS_IO,
						       .fd = 5 + i,
						       .has_idle = true,
						       .idle_ms = 3000 };
	ev.on_other = 6; /* threads 1 and 2 */
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_BLOCKED);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_true(v.fd == 6);
	ev.threads[0].kind = TL_SYS_POLL;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_BLOCKED);
	ev.threads[0].kind = TL_SYS_EPOLL;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_not_equal(v.cause, TL_CAUSE_BLOCKED);
	/* Running: it may be about to close them. */
	ev.threads[0].kind = TL_SYS_RUNNING;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_not_equal(v.cause, TL_CAUSE_BLOCKED);
}

/*
 * A process of one thread, asleep in an epoll wait on fd 4 for idle_ms,
 * holding 3 CLOSE-WAIT connections: an event loop at rest.
 */
static void one_epoll_loop(struct tl_evidence *ev, uint64_t idle_ms)
{
	memset(ev, 0, sizeof(*ev));
	ev->pid = PID;
	ev->state = 'S';
	ev->n_threads = ev->n_read = 1;
	ev->has_idle = idle_ms > 0;
	ev->idle_ms = idle_ms;
	ev->threads[0] = (struct tl_ev_thread){ .tid = PID,
						.state = 'S',
						.kind = TL_SYS_EPOLL,
						.fd = 4,
						.has_idle = idle_ms > 0,
						.idle_ms = idle_ms };
	ev->tcp[TL_CLOSE_WAIT] = 3;
}

/*
 * haproxy waiting on a server that does not answer: its one thread waits
 * in epoll for everything, so none is blocked; its three requests out,
 * one for each client that has gone, tell it. One request out for ten
 * leaked connections does not: a leak that also calls a slow service.
 */
static void test_leak_upstream(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	one_epoll_loop(&ev, 4000);
	ev.tcp[TL_ESTABLISHED] = 3;
	ev.up_waiting = 3;
	ev.up_wait_ms = 4900;
	ev.up_family = 2; /* AF_INET */
	memcpy(ev.up_addr, "\x7f\x00\x00\x01", 4);
	ev.up_port = 9292;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_UPSTREAM);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_string_equal(tl_ev_cause_name(v.cause), "upstream-wait");
	assert_true(tl_ev_remedy_conditional(v.cause));
	assert_string_equal(
		v.text,
		"3 of its connections out sent a request that has had no answer, the longest for 4 s (to 127.0.0.1:9292), beside its 3 in CLOSE-WAIT: a proxy, or a program that calls another service for its clients, keeps each client's connection until that answer comes or a timeout of its own ends the wait");
	assert_non_null(strstr(v.remedy, "If it waits for its upstream"));
	/*
	 * The same wait on its own listener's queue (the s30 adversarial
	 * audit's self-call): no other host to look on, its own accept.
	 */
	ev.up_self = true;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_UPSTREAM);
	assert_non_null(strstr(v.text, "to 127.0.0.1:9292, its own listener: "
				       "the request waits there in the accept "
				       "queue"));
	/* Of 3, only the longest is known to be its own: the upstream's fix. */
	assert_non_null(strstr(v.remedy, "If it waits for its upstream"));
	ev.up_waiting = 1;
	ev.tcp[TL_CLOSE_WAIT] = 1;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_UPSTREAM);
	assert_non_null(
		strstr(v.remedy, "If it waits on its own listener, nothing"));
	assert_null(strstr(v.remedy, "upstream's host"));
	ev.up_waiting = 3;
	ev.tcp[TL_CLOSE_WAIT] = 3;
	ev.up_self = false;
	/*
	 * Varnish's workers: blocked in an epoll set of no connection of
	 * theirs (on_other), their requests out unanswered, one for each
	 * held client. The upstream is the cause; a thread blocked in I/O
	 * on one fd names that fd instead.
	 */
	ev.on_other = 1;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_UPSTREAM);
	ev.threads[0].kind = TL_SYS_IO;
	ev.threads[0].fd = 11;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_BLOCKED);
	assert_true(v.fd == 11);
	ev.up_waiting = 0;
	ev.threads[0].kind = TL_SYS_EPOLL;
	ev.threads[0].fd = 4;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_BLOCKED);
	ev.up_waiting = 3;
	ev.on_other = 0;
	/* One request out for ten leaked: not what holds them. */
	ev.tcp[TL_CLOSE_WAIT] = 10;
	ev.up_waiting = 1;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
	/*
	 * Unless every one of the ten got its request no more than a second
	 * before that request went out (Varnish folding ten clients' request
	 * for one URL into one fetch). One older is a leak from before.
	 */
	ev.cw_timed = 10;
	ev.cw_recv_ms = 5800;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_UPSTREAM);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(
		v.text,
		"beside its 10 in CLOSE-WAIT: a proxy, or a program that calls another service for its clients, keeps each client's connection until that answer comes or a timeout of its own ends the wait; none of those 10 got its last data (the client's request) more than a second before that request was sent, so they may all wait on its answer (a cache that folds identical requests into one fetch, as Varnish does)"));
	ev.cw_recv_ms = 6000;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
	/* One whose times the kernel did not give may be one. */
	ev.cw_recv_ms = 100;
	ev.cw_timed = 9;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
	/* None waiting: nothing to say. */
	ev.tcp[TL_CLOSE_WAIT] = 3;
	ev.up_waiting = 0;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
}

/*
 * Node's cluster primary with its worker stopped: the primary waits in
 * epoll and holds what it accepted for the worker. The stopped child is
 * the cause, told with its pid; one of several is counted.
 */
static void test_leak_child_stopped(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	one_epoll_loop(&ev, 0);
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
	ev.stopped_children = 1;
	ev.stopped_child = PID + 9;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_CHILD_STOPPED);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_string_equal(tl_ev_cause_name(v.cause), "child-stopped");
	assert_true(tl_ev_remedy_conditional(v.cause));
	assert_non_null(
		strstr(v.text, "its child 4720 is stopped by a signal"));
	assert_non_null(strstr(v.remedy, "kill -CONT CHILD"));
	ev.stopped_children = 2;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_non_null(strstr(v.text, "2 of its children are stopped"));
	assert_non_null(strstr(v.text, "4720 the first"));
	/* Its requests out waiting: the upstream speaks first. */
	ev.up_waiting = 3;
	ev.up_wait_ms = 2000;
	ev.up_family = 2; /* AF_INET */
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_UPSTREAM);
}

/*
 * A sync worker asleep inside a request (time.sleep() in a gunicorn
 * handler) while its client has gone: its one thread in clock_nanosleep,
 * no epoll fd. Asleep-in-request, with the timeout's remedy; not where a
 * thread does other work, in an event loop (an epoll fd), or where the
 * connections are not known to be ones it accepted.
 */
static void test_leak_asleep(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	one_thread(&ev, 'S', TL_SYS_SLEEP, -1);
	ev.threads[0].has_idle = true;
	ev.threads[0].idle_ms = 32500;
	ev.has_idle = true;
	ev.idle_ms = 32500;
	ev.tcp[TL_CLOSE_WAIT] = 1;
	ev.has_fds = true;
	/* Connections not known to be a server's own: not this. */
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
	ev.served = true;
	/* An event loop (an epoll fd): its sleep is not this. */
	ev.n_epolls = 1;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
	ev.n_epolls = 0;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_ASLEEP);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_string_equal(tl_ev_cause_name(v.cause), "asleep-in-request");
	assert_true(tl_ev_remedy_conditional(v.cause));
	assert_non_null(strstr(v.text, "and it has not run for 32 s: a "
				       "program asleep inside a request"));
	assert_non_null(strstr(v.remedy, "If it sleeps inside its requests"));
	/* The setting line comes after the fix, and only where known. */
	assert_null(strstr(v.remedy, "above"));
	/* Two threads, one on a lock: none of them has run. */
	ev.n_threads = ev.n_read = 2;
	ev.threads[1] = ev.threads[0];
	ev.threads[1].kind = TL_SYS_FUTEX;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_ASLEEP);
	assert_non_null(strstr(v.text, "and none of them has run for 32 s"));
	/* Both on locks: that is lock-wait's, not asleep. */
	ev.threads[0].kind = TL_SYS_FUTEX;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_not_equal(v.cause, TL_CAUSE_ASLEEP);
	/* One running: busy elsewhere, not asleep. */
	ev.threads[0].kind = TL_SYS_RUNNING;
	ev.threads[1].kind = TL_SYS_SLEEP;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_not_equal(v.cause, TL_CAUSE_ASLEEP);
	/* Ran within the second: not known to be stuck. */
	ev.threads[0].kind = TL_SYS_SLEEP;
	ev.threads[0].idle_ms = 400;
	ev.idle_ms = 400;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
	ev.threads[0].idle_ms = 32500;
	/*
	 * Python's socketserver: its main thread polls the listener every
	 * half second for new clients, and serves none of these: it leaves
	 * the handlers' sleep (or lock) to tell.
	 */
	ev.threads[2] = (struct tl_ev_thread){ .tid = PID + 2,
					       .state = 'S',
					       .kind = TL_SYS_POLL,
					       .fd = -1,
					       .has_idle = true,
					       .idle_ms = 300 };
	ev.n_threads = ev.n_read = 3;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_ASLEEP);
	assert_non_null(strstr(v.text, "none but the one waiting for new "
				       "clients has run for 32 s"));
	/*
	 * Fewer asleep than connections held: a poll loop that serves them
	 * itself, beside a helper thread asleep, is no thread per request.
	 */
	ev.tcp[TL_CLOSE_WAIT] = 3;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_not_equal(v.cause, TL_CAUSE_ASLEEP);
	ev.tcp[TL_CLOSE_WAIT] = 1;
	/* An epoll wait is an event loop, which may be the one to close. */
	ev.threads[2].kind = TL_SYS_EPOLL;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_not_equal(v.cause, TL_CAUSE_ASLEEP);
	/* A thread not read may be the one at work. */
	ev.threads[2].kind = TL_SYS_POLL;
	ev.n_threads = 4;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
}

/*
 * The fork bug: a server whose only thread is back in accept() holds the
 * connections its children served, with no event loop. Abandoned,
 * likely; not where a thread does anything else, nor for a client.
 */
static void test_leak_abandoned(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	one_thread(&ev, 'S', TL_SYS_ACCEPT, 3);
	ev.tcp[TL_CLOSE_WAIT] = 2;
	ev.has_fds = true;
	ev.served = true;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_equal(v.cause, TL_CAUSE_ABANDONED);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_string_equal(tl_ev_cause_name(v.cause), "abandoned");
	assert_false(tl_ev_remedy_conditional(v.cause));
	assert_non_null(strstr(v.text, "its only thread is in accept()"));
	assert_non_null(strstr(v.remedy, "close its own copy"));
	/* Two in accept: all of them. */
	ev.n_threads = ev.n_read = 2;
	ev.threads[1] = ev.threads[0];
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_non_null(strstr(v.text, "all its threads are in accept()"));
	/* One in poll: it may serve them. */
	ev.threads[1].kind = TL_SYS_POLL;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_not_equal(v.cause, TL_CAUSE_ABANDONED);
	ev.threads[1].kind = TL_SYS_ACCEPT;
	/* An epoll fd: an event loop holds them, or should. */
	ev.n_epolls = 1;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_not_equal(v.cause, TL_CAUSE_ABANDONED);
	ev.n_epolls = 0;
	/* A thread not read may be the one that serves them. */
	ev.n_threads = 3;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_not_equal(v.cause, TL_CAUSE_ABANDONED);
	ev.n_threads = 2;
	/* Connections not known to be its clients': not this. */
	ev.served = false;
	tl_evidence_conclude(&ev, TL_FIND_CLOSE_WAIT_LEAK, &v);
	assert_int_not_equal(v.cause, TL_CAUSE_ABANDONED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leak_eof_spin),
		cmocka_unit_test(test_leak_blocked_acceptor),
		cmocka_unit_test(test_leak_upstream),
		cmocka_unit_test(test_leak_child_stopped),
		cmocka_unit_test(test_leak_asleep),
		cmocka_unit_test(test_leak_abandoned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
