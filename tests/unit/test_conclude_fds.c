// SPDX-License-Identifier: MIT
/*
 * Tests for what fd-exhaustion's evidence says fills the fd table
 * (lib/evidence_conclude.c): "most" only for more than half of the fds,
 * the largest kind named as such otherwise, and device files on fds 0 to
 * 2 (stdio) not taken for a leak; and the busy loop of a select() or
 * poll() server whose accept() fails, told from the CPU a thread used
 * while we looked, and only then; and a limit set below the default, or
 * lowered below the fds already open, told as such. The evidence is filled in by hand, as
 * tl_evidence_gather would from /proc.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcplimbo/diagnose.h"
#include "tcplimbo/evidence.h"

/* A sleeping process's evidence, with no fds yet. */
static void ev_init(struct tl_evidence *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->pid = 4711;
	ev->state = 'S';
	ev->has_fds = true;
}

/* Adds n fds of kind (TCP ones in state). */
static void add(struct tl_evidence *ev, int kind, int state, uint32_t n)
{
	ev->n_fds += n;
	ev->kinds[kind] += n;
	if (kind == TL_FDK_TCP)
		ev->tcp[state] += n;
}

static void conclude(const struct tl_evidence *ev, struct tl_ev_verdict *v)
{
	tl_evidence_conclude(ev, TL_FIND_FD_EXHAUSTION, v);
	print_message("  %s: %s\n", tl_ev_cause_name(v->cause), v->text);
}

/*
 * memcached -c 24 at 24 fds: 8 TCP sockets are the largest kind, not
 * most of them.
 */
static void test_no_majority(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	ev_init(&ev);
	add(&ev, TL_FDK_DEVICE, 0, 3);
	ev.stdio_devices = 3;
	add(&ev, TL_FDK_TCP, TL_LISTEN, 1);
	add(&ev, TL_FDK_TCP, TL_ESTABLISHED, 7);
	add(&ev, TL_FDK_PIPE, 0, 6);
	add(&ev, TL_FDK_EVENTFD, 0, 5);
	add(&ev, TL_FDK_EPOLL, 0, 2);
	assert_int_equal(ev.n_fds, 24);
	conclude(&ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_FDS_OTHER);
	assert_null(strstr(v.text, "most"));
	assert_null(strstr(v.text, "look there for a leak"));
	assert_non_null(strstr(
		v.text,
		"no kind is a majority; the largest kind is TCP sockets"));
	/* The device files are fewer than the largest kind: no word on them. */
	assert_null(strstr(v.text, "standard streams"));
	assert_null(v.remedy);
}

/*
 * A leaking server under a limit of 5 fds: /dev/null on 0 to 2, its
 * listener and one CLOSE-WAIT. The device files are stdio, not a leak.
 */
static void test_stdio_devices(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	ev_init(&ev);
	add(&ev, TL_FDK_DEVICE, 0, 3);
	ev.stdio_devices = 3;
	add(&ev, TL_FDK_TCP, TL_LISTEN, 1);
	add(&ev, TL_FDK_TCP, TL_CLOSE_WAIT, 1);
	conclude(&ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_FDS_OTHER);
	assert_null(strstr(v.text, "most are device files"));
	assert_null(strstr(v.text, "look there for a leak"));
	assert_non_null(strstr(v.text, "the largest kind is TCP sockets"));
	assert_non_null(strstr(
		v.text,
		"3 of its device files are on fds 0 to 2, its standard streams, not a leak"));
}

/* Device files beyond stdio count: a real majority of them is named. */
static void test_device_majority(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	ev_init(&ev);
	add(&ev, TL_FDK_DEVICE, 0, 13);
	ev.stdio_devices = 3;
	add(&ev, TL_FDK_TCP, TL_LISTEN, 1);
	conclude(&ev, &v);
	assert_non_null(strstr(
		v.text, "most are device files, so look there for a leak"));
}

/*
 * A JVM at a limit of 48 (Jetty, from the s30 servers hunt): most of its
 * fds are its class path's .jar files, opened at start: no leak to look
 * for. Ordinary files, most of them, still are.
 */
static void test_code_files(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	ev_init(&ev);
	add(&ev, TL_FDK_FILE, 0, 38);
	ev.code_files = 35;
	add(&ev, TL_FDK_TCP, TL_LISTEN, 1);
	add(&ev, TL_FDK_TCP, TL_ESTABLISHED, 3);
	conclude(&ev, &v);
	assert_null(strstr(v.text, "look there for a leak"));
	assert_non_null(strstr(v.text, "35 of its 38 files are its own code "
				       "(.jar archives or shared objects)"));
	ev.code_files = 2;
	conclude(&ev, &v);
	assert_non_null(
		strstr(v.text, "most are files, so look there for a leak"));
}

/* A real majority keeps "most". */
static void test_majority(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	ev_init(&ev);
	add(&ev, TL_FDK_DEVICE, 0, 3);
	ev.stdio_devices = 3;
	add(&ev, TL_FDK_TCP, TL_LISTEN, 1);
	add(&ev, TL_FDK_FILE, 0, 10);
	conclude(&ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_FDS_OTHER);
	assert_non_null(strstr(v.text, "most are files, so look there"));
	assert_null(strstr(v.text, "standard streams"));
}

/* Exactly half in CLOSE-WAIT is the cause, but half is not most. */
static void test_half_close_wait(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	ev_init(&ev);
	add(&ev, TL_FDK_DEVICE, 0, 3);
	ev.stdio_devices = 3;
	add(&ev, TL_FDK_TCP, TL_LISTEN, 1);
	add(&ev, TL_FDK_TCP, TL_CLOSE_WAIT, 6);
	add(&ev, TL_FDK_PIPE, 0, 2);
	conclude(&ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_CLOSE_WAIT);
	assert_non_null(strstr(v.text, ": half are CLOSE-WAIT sockets"));
	add(&ev, TL_FDK_TCP, TL_CLOSE_WAIT, 1);
	conclude(&ev, &v);
	assert_non_null(strstr(v.text, ": most are CLOSE-WAIT sockets"));
}

/*
 * memcached -c 12 sets its own limit to 12 after opening 13 fds: a limit
 * below the default is the cause, not the 7 pipes every memcached has.
 */
static void memcached_ev(struct tl_evidence *ev)
{
	ev_init(ev);
	add(ev, TL_FDK_DEVICE, 0, 2);
	ev->stdio_devices = 2;
	add(ev, TL_FDK_TCP, TL_LISTEN, 1);
	add(ev, TL_FDK_PIPE, 0, 7);
	add(ev, TL_FDK_EVENTFD, 0, 1);
	add(ev, TL_FDK_EPOLL, 0, 2);
	ev->nofile = 12;
}

static void test_low_limit(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	memcached_ev(&ev);
	conclude(&ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_LOW_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_string_equal(tl_ev_cause_name(v.cause), "low-fd-limit");
	assert_non_null(strstr(
		v.text,
		"its 13 fds, 1 more than its limit of 12 (opened before the limit was lowered, or inherited across exec with numbers above it): 1 TCP socket (1 listen), 2 device files, 7 pipes"));
	assert_non_null(strstr(
		v.text,
		"its limit of 12 fds is below Linux's default of 1024, so something set it lower"));
	assert_non_null(strstr(
		v.text,
		"; if the limit is right, look for a leak among the pipes, which are most of them"));
	assert_null(strstr(v.text, "look there for a leak"));
	assert_non_null(v.remedy);
	assert_non_null(strstr(v.remedy, "LimitNOFILE="));
	/* At the default, the same table is a leak of pipes to look for. */
	ev.nofile = 1024;
	conclude(&ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_FDS_OTHER);
	assert_null(strstr(v.text, "lowered"));
	assert_non_null(strstr(v.text, "most are pipes, so look there"));
	/* Unknown (0) or unlimited: nothing said of the limit. */
	ev.nofile = 0;
	conclude(&ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_FDS_OTHER);
	assert_null(strstr(v.text, "limit"));
}

/* A leak is the cause whatever the limit; its excess is still told. */
static void test_low_limit_leak(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	memcached_ev(&ev);
	add(&ev, TL_FDK_TCP, TL_CLOSE_WAIT, 14);
	ev.nofile = 20;
	conclude(&ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_CLOSE_WAIT);
	assert_non_null(
		strstr(v.text, "its 27 fds, 7 more than its limit of 20"));
	assert_null(strstr(v.text, "below Linux's default"));
	/* Exactly at its limit: nothing was lowered. */
	ev.nofile = 27;
	conclude(&ev, &v);
	assert_null(strstr(v.text, "lowered"));
}

/*
 * ncat -lk at 16 fds: one thread running at 100 % of a CPU, the listener
 * in no epoll set and 9 connections queued.
 */
static void ncat_ev(struct tl_evidence *ev, uint8_t busy_pct)
{
	ev_init(ev);
	ev->state = 'R';
	add(ev, TL_FDK_DEVICE, 0, 3);
	ev->stdio_devices = 3;
	add(ev, TL_FDK_TCP, TL_LISTEN, 1);
	add(ev, TL_FDK_TCP, TL_ESTABLISHED, 12);
	ev->has_listener = true;
	ev->listener_fd = 3;
	ev->port = 47001;
	ev->backlog = 10;
	ev->queued = 9;
	ev->n_threads = 1;
	ev->n_read = 1;
	ev->threads[0].tid = 4711;
	ev->threads[0].state = 'R';
	ev->threads[0].kind = TL_SYS_RUNNING;
	ev->threads[0].fd = -1;
	ev->threads[0].has_busy = true;
	ev->threads[0].busy_pct = busy_pct;
	ev->threads[0].busy_ms = 26;
}

static void test_select_spin(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	ncat_ev(&ev, 100);
	conclude(&ev, &v);
	assert_non_null(strstr(
		v.text,
		"thread 4711 used 100 % of a CPU over the 26 ms we watched it, never waiting for an event, while 9 connections waited in the queue and the listener is in no epoll set: a loop that retries the failing accept() at once"));
	/* The fds' census still comes first, and names the cause. */
	assert_int_equal(v.cause, TL_CAUSE_CONNECTIONS);
	ev.queued = 1;
	ev.n_epolls = ev.n_epolls_read = 2;
	conclude(&ev, &v);
	assert_non_null(strstr(
		v.text,
		"while 1 connection waited in the queue and the listener is in none of its epoll sets"));
}

/* What does not show a busy loop tells none. */
static void test_no_spin(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	/* Busy, but less than half a CPU: a loaded machine or real work. */
	ncat_ev(&ev, 49);
	conclude(&ev, &v);
	assert_null(strstr(v.text, "CPU"));
	/* Not measured: the thread was not running at every look. */
	ncat_ev(&ev, 100);
	ev.threads[0].has_busy = false;
	conclude(&ev, &v);
	assert_null(strstr(v.text, "CPU"));
	/* Nothing queued: nothing for accept() to fail on. */
	ncat_ev(&ev, 100);
	ev.queued = 0;
	conclude(&ev, &v);
	assert_null(strstr(v.text, "CPU"));
	/* An epoll set we could not read may hold the listener. */
	ncat_ev(&ev, 100);
	ev.n_epolls = 1;
	conclude(&ev, &v);
	assert_null(strstr(v.text, "CPU"));
	/* Registered edge-triggered: epoll does not report it again. */
	ncat_ev(&ev, 100);
	ev.n_epolls = ev.n_epolls_read = 1;
	ev.n_regs = 1;
	ev.regs[0] = (struct tl_ev_reg){
		.epfd = 5, .tfd = 3, .events = TL_EPOLLET | 1, .waited = false
	};
	conclude(&ev, &v);
	assert_null(strstr(v.text, "CPU"));
	assert_null(strstr(v.text, "busy loop"));
}

/*
 * lighttpd at server.max-connections under server.max-fds = 16: the
 * listener stays in its epoll set asking for no events (0x18, EPOLLERR
 * and EPOLLHUP only), and a thread waits on the set. That is no busy
 * loop: it said level-triggered and spinning.
 */
static void test_paused_listener(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	ev_init(&ev);
	add(&ev, TL_FDK_DEVICE, 0, 3);
	ev.stdio_devices = 3;
	add(&ev, TL_FDK_TCP, TL_LISTEN, 1);
	add(&ev, TL_FDK_TCP, TL_ESTABLISHED, 4);
	add(&ev, TL_FDK_FILE, 0, 5);
	add(&ev, TL_FDK_EPOLL, 0, 1);
	ev.nofile = 16;
	ev.has_listener = true;
	ev.queued = 4;
	ev.n_epolls = ev.n_epolls_read = 1;
	ev.n_regs = 1;
	ev.regs[0] = (struct tl_ev_reg){
		.epfd = 6, .tfd = 4, .events = 0x18, .waited = true
	};
	ev.n_read = ev.n_threads = 1;
	ev.threads[0].tid = 4711;
	ev.threads[0].kind = TL_SYS_EPOLL;
	conclude(&ev, &v);
	assert_null(strstr(v.text, "busy loop"));
	assert_non_null(strstr(
		v.text,
		"the listener (fd 4) is in epoll fd 6 but asks it for no events (events 0x18, no EPOLLIN): the program has paused accepting on purpose"));
	assert_int_equal(v.cause, TL_CAUSE_LOW_LIMIT);
	/* Another program's setting is no remedy for this one. */
	assert_null(strstr(v.remedy, "memcached"));
	/* Asking for EPOLLIN, level-triggered and waited on: the spin. */
	ev.regs[0].events = 0x19;
	conclude(&ev, &v);
	assert_non_null(strstr(v.text, "a busy loop"));
	/* A one-shot that fired asks for nothing too, and is no pause. */
	ev.regs[0].events = TL_EPOLLONESHOT | 0x18;
	conclude(&ev, &v);
	assert_null(strstr(v.text, "paused accepting on purpose"));
	/*
	 * Level-triggered and not waited on: a thread in accept() on the
	 * listener is the spin seen in its failing accept(); one in accept()
	 * on another fd (a JVM's Attach Listener) is not.
	 */
	ev.regs[0].events = 0x19;
	ev.regs[0].waited = false;
	ev.threads[0].kind = TL_SYS_ACCEPT;
	ev.threads[0].fd = 4;
	conclude(&ev, &v);
	assert_non_null(strstr(v.text, "a busy loop"));
	ev.threads[0].fd = 9;
	ev.accept_other = 1;
	conclude(&ev, &v);
	assert_null(strstr(v.text, "busy loop"));
}

/*
 * Stopped at its fd limit: being stopped opens no fds, so the fds are
 * the cause and the stop is said after them.
 */
static void test_stopped_at_limit(void **state)
{
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	ev_init(&ev);
	ev.state = 'T';
	add(&ev, TL_FDK_FILE, 0, 36);
	add(&ev, TL_FDK_TCP, TL_ESTABLISHED, 10);
	ev.nofile = 46;
	conclude(&ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_LOW_LIMIT);
	assert_non_null(strstr(
		v.text,
		"pid 4711 is also stopped (State T, no tracer): that opens no fds, but nothing is accepted until it runs again"));
	/* Gone stays gone. */
	ev.gone = true;
	conclude(&ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_GONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_majority),
		cmocka_unit_test(test_stdio_devices),
		cmocka_unit_test(test_device_majority),
		cmocka_unit_test(test_code_files),
		cmocka_unit_test(test_majority),
		cmocka_unit_test(test_half_close_wait),
		cmocka_unit_test(test_low_limit),
		cmocka_unit_test(test_low_limit_leak),
		cmocka_unit_test(test_select_spin),
		cmocka_unit_test(test_no_spin),
		cmocka_unit_test(test_paused_listener),
		cmocka_unit_test(test_stopped_at_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
