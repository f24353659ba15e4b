// SPDX-License-Identifier: MIT
/*
 * The bpf backend's user-space following of sockets (lib/sktrack.c) on
 * hand-built changes: owners carried from connect() and listen() to later
 * changes, a new connection named by the listener on its address, the
 * time in a state, a released port given back, an address reused by a
 * new socket, and a table that grows, shrinks and stops at its limit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "sktrack.h"

#define MS 1000000ULL

/*
 * Applies one change at ts_ms and returns the event as filled: the
 * socket key, family (0: AF_INET), local address (as inet_pton takes it)
 * and port, the states, and pid, comm and kflag when the kernel named an
 * owner (kflag TL_EVENT_OWNER or _LISTENER_OWNER; 0 when it did not).
 */
static struct tl_event step(struct tli_sktrack *t, uint64_t ts_ms, uint64_t key,
			    int family, const char *src, uint16_t sport,
			    int old_state, int new_state, uint32_t pid,
			    const char *comm, uint16_t kflag)
{
	struct tl_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.key = key;
	ev.family = (uint8_t)(family ? family : AF_INET);
	assert_int_equal(inet_pton(ev.family, src, ev.src), 1);
	ev.sport = sport;
	ev.old_state = (uint8_t)old_state;
	ev.new_state = (uint8_t)new_state;
	if (kflag) {
		ev.flags |= kflag;
		ev.pid = pid;
		snprintf(ev.comm, sizeof(ev.comm), "%s", comm);
	}
	tli_sktrack_apply(t, ts_ms * MS, &ev);
	return ev;
}

static void assert_owner(const struct tl_event *ev, uint16_t kind, uint32_t pid,
			 const char *comm)
{
	assert_int_equal(ev->flags & (TL_EVENT_OWNER | TL_EVENT_LISTENER_OWNER),
			 kind);
	assert_int_equal(ev->pid, pid);
	assert_string_equal(ev->comm, comm);
}

static void assert_unnamed(const struct tl_event *ev)
{
	assert_int_equal(ev->flags & (TL_EVENT_OWNER | TL_EVENT_LISTENER_OWNER),
			 0);
}

static struct tli_sktrack *tracker(size_t max)
{
	struct tli_sktrack *t = NULL;

	assert_int_equal(tli_sktrack_new(max, &t), 0);
	assert_non_null(t);
	return t;
}

/* A client: named at connect() for every later change, ports kept. */
static void test_client(void **state)
{
	struct tli_sktrack *t = tracker(100);
	const uint64_t k = 0xffff888012345600ULL;
	struct tl_event ev;

	(void)state;
	ev = step(t, 1, k, 0, "127.0.0.1", 0, TL_CLOSE, TL_SYN_SENT, 10, "cli",
		  TL_EVENT_OWNER);
	assert_owner(&ev, TL_EVENT_OWNER, 10, "cli");
	assert_false(ev.flags & TL_EVENT_HAS_MS);
	ev = step(t, 3, k, 0, "127.0.0.1", 40000, TL_SYN_SENT, TL_ESTABLISHED,
		  0, NULL, 0);
	assert_owner(&ev, TL_EVENT_OWNER, 10, "cli");
	assert_true(ev.flags & TL_EVENT_HAS_MS);
	assert_int_equal(ev.ms_in_old, 2);
	ev = step(t, 10, k, 0, "127.0.0.1", 40000, TL_ESTABLISHED, TL_FIN_WAIT1,
		  0, NULL, 0);
	assert_int_equal(ev.ms_in_old, 7);
	ev = step(t, 11, k, 0, "127.0.0.1", 40000, TL_FIN_WAIT1, TL_FIN_WAIT2,
		  0, NULL, 0);
	assert_int_equal(tli_sktrack_sockets(t), 1);
	/* The port released before the change: the one it had. */
	ev = step(t, 15, k, 0, "127.0.0.1", 0, TL_FIN_WAIT2, TL_CLOSE, 0, NULL,
		  0);
	assert_owner(&ev, TL_EVENT_OWNER, 10, "cli");
	assert_int_equal(ev.sport, 40000);
	assert_int_equal(ev.ms_in_old, 4);
	assert_int_equal(tli_sktrack_sockets(t), 0);
	tli_sktrack_free(t);
}

/*
 * A listener and a connection it made: the connection is named by the
 * listener's owner, also after the listener closed; the listener by its
 * own. What the kernel already gave is kept.
 */
static void test_listener(void **state)
{
	struct tli_sktrack *t = tracker(100);
	const uint64_t l = 0xffff888000001000ULL, c = 0xffff888000002000ULL;
	struct tl_event ev;

	(void)state;
	step(t, 1, l, 0, "0.0.0.0", 80, TL_CLOSE, TL_LISTEN, 20, "srv",
	     TL_EVENT_OWNER);
	assert_int_equal(tli_sktrack_listeners(t), 1);
	ev = step(t, 2, c, 0, "127.0.0.1", 80, TL_LISTEN, TL_SYN_RECV, 0, NULL,
		  0);
	assert_owner(&ev, TL_EVENT_LISTENER_OWNER, 20, "srv");
	assert_false(ev.flags & TL_EVENT_HAS_MS);
	ev = step(t, 3, c, 0, "127.0.0.1", 80, TL_SYN_RECV, TL_ESTABLISHED, 0,
		  NULL, 0);
	assert_owner(&ev, TL_EVENT_LISTENER_OWNER, 20, "srv");
	assert_int_equal(ev.ms_in_old, 1);
	ev = step(t, 5, l, 0, "0.0.0.0", 80, TL_LISTEN, TL_CLOSE, 0, NULL, 0);
	assert_owner(&ev, TL_EVENT_OWNER, 20, "srv");
	assert_int_equal(tli_sktrack_listeners(t), 0);
	ev = step(t, 6, c, 0, "127.0.0.1", 80, TL_ESTABLISHED, TL_CLOSE, 0,
		  NULL, 0);
	assert_owner(&ev, TL_EVENT_LISTENER_OWNER, 20, "srv");
	/* Kernel-named (accept hook): kept, and carried on. */
	ev = step(t, 7, c, 0, "127.0.0.1", 81, TL_LISTEN, TL_SYN_RECV, 21,
		  "worker", TL_EVENT_OWNER);
	assert_owner(&ev, TL_EVENT_OWNER, 21, "worker");
	ev = step(t, 8, c, 0, "127.0.0.1", 81, TL_SYN_RECV, TL_ESTABLISHED, 0,
		  NULL, 0);
	assert_owner(&ev, TL_EVENT_OWNER, 21, "worker");
	tli_sktrack_free(t);
}

/* The listener on the connection's own address first, then the wildcard
 * of its family; none: unnamed (user space asks /proc). */
static void test_listener_match(void **state)
{
	struct tli_sktrack *t = tracker(100);
	struct tl_event ev;

	(void)state;
	step(t, 1, 0x100, 0, "0.0.0.0", 80, TL_CLOSE, TL_LISTEN, 31, "v4",
	     TL_EVENT_OWNER);
	step(t, 1, 0x200, AF_INET6, "::", 80, TL_CLOSE, TL_LISTEN, 32, "v6",
	     TL_EVENT_OWNER);
	step(t, 1, 0x300, 0, "0.0.0.0", 81, TL_CLOSE, TL_LISTEN, 34, "wild",
	     TL_EVENT_OWNER);
	step(t, 1, 0x400, 0, "127.0.0.2", 81, TL_CLOSE, TL_LISTEN, 33, "one",
	     TL_EVENT_OWNER);
	/* Same bucket, other port. */
	step(t, 1, 0x500, 0, "0.0.0.0", 80 + 256, TL_CLOSE, TL_LISTEN, 35,
	     "other", TL_EVENT_OWNER);
	assert_int_equal(tli_sktrack_listeners(t), 5);
	ev = step(t, 2, 0x1100, AF_INET6, "::ffff:127.0.0.1", 80, TL_LISTEN,
		  TL_SYN_RECV, 0, NULL, 0);
	assert_owner(&ev, TL_EVENT_LISTENER_OWNER, 32, "v6");
	/* Each says whether its listener is on the wildcard, or on its own
	 * address, which is then the listener's. */
	assert_true(ev.flags & TL_EVENT_LISTENER_ANY);
	ev = step(t, 2, 0x1200, 0, "127.0.0.1", 80, TL_LISTEN, TL_SYN_RECV, 0,
		  NULL, 0);
	assert_owner(&ev, TL_EVENT_LISTENER_OWNER, 31, "v4");
	assert_true(ev.flags & TL_EVENT_LISTENER_ANY);
	ev = step(t, 2, 0x1300, 0, "127.0.0.2", 81, TL_LISTEN, TL_SYN_RECV, 0,
		  NULL, 0);
	assert_owner(&ev, TL_EVENT_LISTENER_OWNER, 33, "one");
	assert_false(ev.flags & TL_EVENT_LISTENER_ANY);
	ev = step(t, 2, 0x1400, 0, "127.0.0.3", 81, TL_LISTEN, TL_SYN_RECV, 0,
		  NULL, 0);
	assert_owner(&ev, TL_EVENT_LISTENER_OWNER, 34, "wild");
	assert_true(ev.flags & TL_EVENT_LISTENER_ANY);
	/* And its later changes too. */
	ev = step(t, 3, 0x1400, 0, "127.0.0.3", 81, TL_SYN_RECV, TL_ESTABLISHED,
		  0, NULL, 0);
	assert_true(ev.flags & TL_EVENT_LISTENER_ANY);
	ev = step(t, 2, 0x1500, 0, "127.0.0.1", 82, TL_LISTEN, TL_SYN_RECV, 0,
		  NULL, 0);
	assert_unnamed(&ev);
	/* Two on one address and port (SO_REUSEPORT): not a guess. */
	step(t, 3, 0x700, 0, "0.0.0.0", 84, TL_CLOSE, TL_LISTEN, 36, "a",
	     TL_EVENT_OWNER);
	step(t, 3, 0x800, 0, "0.0.0.0", 84, TL_CLOSE, TL_LISTEN, 37, "b",
	     TL_EVENT_OWNER);
	ev = step(t, 4, 0x1700, 0, "127.0.0.1", 84, TL_LISTEN, TL_SYN_RECV, 0,
		  NULL, 0);
	assert_unnamed(&ev);
	/* A listener from before (no owner in its change) names nobody. */
	step(t, 3, 0x600, 0, "0.0.0.0", 83, TL_CLOSE, TL_LISTEN, 0, NULL, 0);
	ev = step(t, 4, 0x1600, 0, "127.0.0.1", 83, TL_LISTEN, TL_SYN_RECV, 0,
		  NULL, 0);
	assert_unnamed(&ev);
	tli_sktrack_free(t);
}

/*
 * A socket whose close was never seen (a lost record): the next socket at
 * its address starts afresh, with none of its owner or time.
 */
static void test_reuse(void **state)
{
	struct tli_sktrack *t = tracker(100);
	const uint64_t k = 0xffff888000003000ULL;
	struct tl_event ev;

	(void)state;
	step(t, 1, 0x700, 0, "0.0.0.0", 90, TL_CLOSE, TL_LISTEN, 40, "srv",
	     TL_EVENT_OWNER);
	step(t, 1, k, 0, "127.0.0.1", 0, TL_CLOSE, TL_SYN_SENT, 10, "cli",
	     TL_EVENT_OWNER);
	step(t, 2, k, 0, "127.0.0.1", 41000, TL_SYN_SENT, TL_ESTABLISHED, 0,
	     NULL, 0);
	ev = step(t, 9, k, 0, "127.0.0.1", 90, TL_LISTEN, TL_SYN_RECV, 0, NULL,
		  0);
	assert_owner(&ev, TL_EVENT_LISTENER_OWNER, 40, "srv");
	assert_false(ev.flags & TL_EVENT_HAS_MS);
	/* And a socket first seen in the middle of its life: unnamed, but
	 * timed from then on. */
	ev = step(t, 10, 0x900, 0, "127.0.0.1", 5000, TL_ESTABLISHED,
		  TL_CLOSE_WAIT, 0, NULL, 0);
	assert_unnamed(&ev);
	assert_false(ev.flags & TL_EVENT_HAS_MS);
	ev = step(t, 30, 0x900, 0, "127.0.0.1", 5000, TL_CLOSE_WAIT,
		  TL_LAST_ACK, 0, NULL, 0);
	assert_unnamed(&ev);
	assert_int_equal(ev.ms_in_old, 20);
	tli_sktrack_free(t);
}

/* Enough sockets to grow the table several times; every other one
 * closed; the rest still found, each with its own owner. */
static void test_grow(void **state)
{
	struct tli_sktrack *t = tracker(100000);
	const uint64_t base = 0xffff888100000000ULL;
	const unsigned n = 20000;
	struct tl_event ev;
	char comm[16];

	(void)state;
	for (unsigned i = 0; i < n; i++) {
		snprintf(comm, sizeof(comm), "c%u", i);
		step(t, 1, base + (uint64_t)i * 2048, 0, "127.0.0.1", 0,
		     TL_CLOSE, TL_SYN_SENT, i + 1, comm, TL_EVENT_OWNER);
	}
	assert_int_equal(tli_sktrack_sockets(t), n);
	for (unsigned i = 0; i < n; i += 2)
		step(t, 2, base + (uint64_t)i * 2048, 0, "127.0.0.1", 1,
		     TL_SYN_SENT, TL_CLOSE, 0, NULL, 0);
	assert_int_equal(tli_sktrack_sockets(t), n / 2);
	for (unsigned i = 0; i < n; i++) {
		ev = step(t, 3, base + (uint64_t)i * 2048, 0, "127.0.0.1", 1,
			  TL_SYN_SENT, TL_ESTABLISHED, 0, NULL, 0);
		if (i % 2) {
			snprintf(comm, sizeof(comm), "c%u", i);
			assert_owner(&ev, TL_EVENT_OWNER, i + 1, comm);
			assert_int_equal(ev.ms_in_old, 2);
		} else {
			/* Closed: a new socket to this tracker. */
			assert_unnamed(&ev);
		}
	}
	assert_int_equal(tli_sktrack_sockets(t), n);
	for (unsigned i = 0; i < n; i++)
		step(t, 4, base + (uint64_t)i * 2048, 0, "127.0.0.1", 1,
		     TL_ESTABLISHED, TL_CLOSE, 0, NULL, 0);
	assert_int_equal(tli_sktrack_sockets(t), 0);
	tli_sktrack_free(t);
}

/* At its limit the table takes no more; those left out go unnamed, and
 * room made by a close is used again. */
static void test_limit(void **state)
{
	struct tli_sktrack *t = tracker(10);
	const uint64_t base = 0xffff888200000000ULL;
	size_t full;
	struct tl_event ev;

	(void)state;
	for (unsigned i = 0; i < 5000; i++)
		step(t, 1, base + (uint64_t)i * 64, 0, "127.0.0.1", 0, TL_CLOSE,
		     TL_SYN_SENT, 7, "c", TL_EVENT_OWNER);
	full = tli_sktrack_sockets(t);
	assert_true(full >= 10 && full < 5000);
	ev = step(t, 2, base + 4999 * 64, 0, "127.0.0.1", 1, TL_SYN_SENT,
		  TL_ESTABLISHED, 0, NULL, 0);
	assert_unnamed(&ev);
	step(t, 3, base, 0, "127.0.0.1", 1, TL_SYN_SENT, TL_CLOSE, 0, NULL, 0);
	assert_int_equal(tli_sktrack_sockets(t), full - 1);
	step(t, 4, base + 4999 * 64, 0, "127.0.0.1", 0, TL_CLOSE, TL_SYN_SENT,
	     8, "d", TL_EVENT_OWNER);
	ev = step(t, 5, base + 4999 * 64, 0, "127.0.0.1", 1, TL_SYN_SENT,
		  TL_ESTABLISHED, 0, NULL, 0);
	assert_owner(&ev, TL_EVENT_OWNER, 8, "d");
	tli_sktrack_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client),
		cmocka_unit_test(test_listener),
		cmocka_unit_test(test_listener_match),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
