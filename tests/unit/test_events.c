// SPDX-License-Identifier: MIT
/*
 * The poll backend's differ on hand-built dumps, and the state machine
 * check both backends use.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "internal.h"
#include "tcplimbo/events.h"

#define MAX_SEEN 16

struct seen {
	struct tl_event ev[MAX_SEEN];
	int n;
	int fail_at; /* return -EIO on this call (1-based), 0 never */
};

static int record(const struct tl_event *ev, void *arg)
{
	struct seen *s = arg;

	if (s->fail_at && s->n + 1 == s->fail_at) {
		s->fail_at = 0;
		return -EIO;
	}
	assert_true(s->n < MAX_SEEN);
	s->ev[s->n++] = *ev;
	return 0;
}

static struct tl_sock sock(uint64_t cookie, int state, uint16_t sport,
			   uint16_t dport)
{
	struct tl_sock sk;

	memset(&sk, 0, sizeof(sk));
	sk.cookie = cookie;
	sk.state = (uint8_t)state;
	sk.family = AF_INET;
	sk.src[0] = 127;
	sk.src[3] = 1;
	sk.dst[0] = 127;
	sk.dst[3] = 1;
	sk.sport = sport;
	sk.dport = dport;
	sk.inode = (uint32_t)cookie * 10;
	return sk;
}

static struct tl_diff *diff_new(void)
{
	struct tl_diff *d = NULL;

	assert_int_equal(tl_diff_new(&d), 0);
	assert_non_null(d);
	return d;
}

/* What is open at the start is not a transition. */
static void test_baseline_is_silent(void **state)
{
	struct tl_sock a[] = { sock(1, TL_LISTEN, 3000, 0),
			       sock(2, TL_ESTABLISHED, 3000, 40000) };
	struct tl_diff *d = diff_new();
	struct seen s = { 0 };

	assert_int_equal(tl_diff_feed(d, a, 2, 1000, 7, record, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(tl_diff_count(d), 2);
	/* The same dump again: still nothing. */
	assert_int_equal(tl_diff_feed(d, a, 2, 2000, 7, record, &s), 0);
	assert_int_equal(s.n, 0);
	tl_diff_free(d);
}

/*
 * The post's server side: one socket, same cookie, goes established ->
 * close-wait. One transition, a legal step, with the socket's ports.
 */
static void test_established_to_close_wait(void **state)
{
	struct tl_sock a[] = { sock(5, TL_LISTEN, 3000, 0) };
	struct tl_sock b[] = { sock(5, TL_LISTEN, 3000, 0),
			       sock(9, TL_ESTABLISHED, 3000, 41000) };
	struct tl_sock c[] = { sock(9, TL_CLOSE_WAIT, 3000, 41000),
			       sock(5, TL_LISTEN, 3000, 0) };
	struct tl_diff *d = diff_new();
	struct seen s = { 0 };

	assert_int_equal(tl_diff_feed(d, a, 1, 1000, 7, record, &s), 0);
	/* It appears: CLOSE -> ESTABLISHED skipped the handshake's states. */
	assert_int_equal(tl_diff_feed(d, b, 2, 2000, 7, record, &s), 1);
	assert_int_equal(s.ev[0].old_state, TL_CLOSE);
	assert_int_equal(s.ev[0].new_state, TL_ESTABLISHED);
	assert_true(s.ev[0].flags & TL_EVENT_APPEARED);
	assert_true(s.ev[0].flags & TL_EVENT_JUMP);
	assert_false(s.ev[0].flags & TL_EVENT_HAS_MS);

	/* Order in the dump does not matter: keyed by cookie. */
	assert_int_equal(tl_diff_feed(d, c, 2, 12000, 7, record, &s), 1);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ev[1].key, 9);
	assert_int_equal(s.ev[1].old_state, TL_ESTABLISHED);
	assert_int_equal(s.ev[1].new_state, TL_CLOSE_WAIT);
	assert_int_equal(s.ev[1].sport, 3000);
	assert_int_equal(s.ev[1].dport, 41000);
	assert_int_equal(s.ev[1].inode, 90);
	assert_int_equal(s.ev[1].netns, 7);
	assert_int_equal(s.ev[1].ts_ms, 12000);
	assert_false(s.ev[1].flags & TL_EVENT_JUMP);
	assert_false(s.ev[1].flags & TL_EVENT_UNKNOWN);
	/* Seen established at 2000, close-wait at 12000. */
	assert_true(s.ev[1].flags & TL_EVENT_HAS_MS);
	assert_int_equal(s.ev[1].ms_in_old, 10000);
	tl_diff_free(d);
}

/* A socket of the baseline has no known start: its time is unknown. */
static void test_baseline_socket_time_unknown(void **state)
{
	struct tl_sock a[] = { sock(3, TL_ESTABLISHED, 40000, 3000) };
	struct tl_sock b[] = { sock(3, TL_FIN_WAIT1, 40000, 3000) };
	struct tl_sock c[] = { sock(3, TL_FIN_WAIT2, 40000, 3000) };
	struct tl_diff *d = diff_new();
	struct seen s = { 0 };

	tl_diff_feed(d, a, 1, 1000, 0, record, &s);
	assert_int_equal(tl_diff_feed(d, b, 1, 2000, 0, record, &s), 1);
	assert_false(s.ev[0].flags & TL_EVENT_HAS_MS);
	assert_false(s.ev[0].flags & TL_EVENT_JUMP);
	assert_int_equal(tl_diff_feed(d, c, 1, 2500, 0, record, &s), 1);
	assert_true(s.ev[1].flags & TL_EVENT_HAS_MS);
	assert_int_equal(s.ev[1].ms_in_old, 500);
	assert_false(s.ev[1].flags & TL_EVENT_JUMP);
	tl_diff_free(d);
}

/* Sampling misses FIN_WAIT1: established -> fin-wait-2 is a jump. */
static void test_jump_over_fin_wait1(void **state)
{
	struct tl_sock a[] = { sock(4, TL_ESTABLISHED, 40000, 3000) };
	struct tl_sock b[] = { sock(4, TL_FIN_WAIT2, 40000, 3000) };
	struct tl_diff *d = diff_new();
	struct seen s = { 0 };

	tl_diff_feed(d, a, 1, 0, 0, record, &s);
	assert_int_equal(tl_diff_feed(d, b, 1, 1000, 0, record, &s), 1);
	assert_int_equal(s.ev[0].old_state, TL_ESTABLISHED);
	assert_int_equal(s.ev[0].new_state, TL_FIN_WAIT2);
	assert_true(s.ev[0].flags & TL_EVENT_JUMP);
	tl_diff_free(d);
}

/*
 * A socket that appears directly in fin-wait-2 skipped states; one that
 * appears in syn-sent or listen did not.
 */
static void test_appear(void **state)
{
	struct tl_sock b[] = { sock(20, TL_FIN_WAIT2, 40001, 3000),
			       sock(21, TL_SYN_SENT, 40002, 3000),
			       sock(22, TL_LISTEN, 4000, 0) };
	struct tl_diff *d = diff_new();
	struct seen s = { 0 };

	tl_diff_feed(d, NULL, 0, 0, 0, record, &s);
	assert_int_equal(tl_diff_feed(d, b, 3, 100, 0, record, &s), 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(s.ev[i].old_state, TL_CLOSE);
		assert_true(s.ev[i].flags & TL_EVENT_APPEARED);
		assert_false(s.ev[i].flags & TL_EVENT_HAS_MS);
		if (s.ev[i].key == 20)
			assert_true(s.ev[i].flags & TL_EVENT_JUMP);
		else
			assert_false(s.ev[i].flags & TL_EVENT_JUMP);
	}
	tl_diff_free(d);
}

/* Leaving the table is reaching CLOSE, with the time in the last state. */
static void test_vanish(void **state)
{
	struct tl_sock a[] = { sock(30, TL_TIME_WAIT, 40000, 3000),
			       sock(31, TL_FIN_WAIT1, 40001, 3000) };
	struct tl_sock b[] = { sock(30, TL_TIME_WAIT, 40000, 3000),
			       sock(31, TL_FIN_WAIT1, 40001, 3000),
			       sock(32, TL_SYN_SENT, 40002, 3000) };
	struct tl_sock c[] = { sock(31, TL_FIN_WAIT1, 40001, 3000) };
	struct tl_diff *d = diff_new();
	struct seen s = { 0 };

	tl_diff_feed(d, a, 2, 0, 0, record, &s);
	assert_int_equal(tl_diff_feed(d, b, 3, 100, 0, record, &s), 1);
	assert_int_equal(tl_diff_feed(d, c, 1, 600, 0, record, &s), 2);
	assert_int_equal(s.n, 3);
	/* One event each: both branches below are checked. */
	assert_int_equal(s.ev[1].key + s.ev[2].key, 30 + 32);
	assert_int_not_equal(s.ev[1].key, s.ev[2].key);
	for (int i = 1; i < 3; i++) {
		assert_int_equal(s.ev[i].new_state, TL_CLOSE);
		assert_true(s.ev[i].flags & TL_EVENT_VANISHED);
		if (s.ev[i].key == 30) {
			/* TIME_WAIT -> CLOSE is the 2MSL timeout. */
			assert_false(s.ev[i].flags & TL_EVENT_JUMP);
			assert_false(s.ev[i].flags & TL_EVENT_HAS_MS);
		} else {
			/* SYN_SENT -> CLOSE: a legal shortcut; 500 ms in it. */
			assert_int_equal(s.ev[i].key, 32);
			assert_int_equal(s.ev[i].sport, 40002);
			assert_false(s.ev[i].flags & TL_EVENT_JUMP);
			assert_true(s.ev[i].flags & TL_EVENT_HAS_MS);
			assert_int_equal(s.ev[i].ms_in_old, 500);
		}
	}
	assert_int_equal(tl_diff_count(d), 1);
	tl_diff_free(d);
}

/*
 * An ESTABLISHED socket gone by the next dump may have been reset, or
 * closed in order through states no dump saw: a jump, with no cause.
 */
static void test_vanish_established(void **state)
{
	struct tl_sock a[] = { sock(50, TL_ESTABLISHED, 40000, 3000),
			       sock(51, TL_LISTEN, 3000, 0) };
	struct tl_sock b[] = { sock(51, TL_LISTEN, 3000, 0) };
	struct tl_diff *d = diff_new();
	const struct tl_event *e;
	struct seen s = { 0 };

	(void)state;
	tl_diff_feed(d, a, 2, 0, 0, record, &s);
	assert_int_equal(tl_diff_feed(d, b, 1, 100, 0, record, &s), 1);
	/* The first dump is the baseline: one event, the one that went. */
	assert_int_equal(s.n, 1);
	e = &s.ev[0];
	assert_int_equal(e->key, 50);
	assert_int_equal(e->old_state, TL_ESTABLISHED);
	assert_int_equal(e->new_state, TL_CLOSE);
	assert_true(e->flags & TL_EVENT_VANISHED);
	assert_true(e->flags & TL_EVENT_JUMP);
	assert_null(e->cause);
	tl_diff_free(d);
}

/* A restarted dump may repeat a socket: it is one socket. */
static void test_duplicates(void **state)
{
	struct tl_sock a[] = { sock(40, TL_ESTABLISHED, 1, 2) };
	struct tl_sock b[] = { sock(40, TL_CLOSE_WAIT, 1, 2),
			       sock(40, TL_CLOSE_WAIT, 1, 2) };
	struct tl_diff *d = diff_new();
	struct seen s = { 0 };

	tl_diff_feed(d, a, 1, 0, 0, record, &s);
	assert_int_equal(tl_diff_feed(d, b, 2, 10, 0, record, &s), 1);
	assert_int_equal(tl_diff_count(d), 1);
	tl_diff_free(d);
}

/* A failing callback stops delivery, but the differ stays consistent. */
static void test_callback_error(void **state)
{
	struct tl_sock a[] = { sock(50, TL_ESTABLISHED, 1, 2),
			       sock(51, TL_ESTABLISHED, 3, 4) };
	struct tl_sock b[] = { sock(50, TL_CLOSE_WAIT, 1, 2),
			       sock(51, TL_CLOSE_WAIT, 3, 4) };
	struct tl_diff *d = diff_new();
	struct seen s = { .fail_at = 1 };

	tl_diff_feed(d, a, 2, 0, 0, record, &s);
	assert_int_equal(tl_diff_feed(d, b, 2, 10, 0, record, &s), -EIO);
	assert_int_equal(s.n, 0);
	/* The new states were kept: the same dump reports nothing now. */
	assert_int_equal(tl_diff_feed(d, b, 2, 20, 0, record, &s), 0);
	tl_diff_free(d);
}

static void test_steps(void **state)
{
	/* RFC 9293's diagram. */
	assert_true(tl_events_step_known(TL_ESTABLISHED, TL_CLOSE_WAIT));
	assert_true(tl_events_step_known(TL_ESTABLISHED, TL_FIN_WAIT1));
	assert_true(tl_events_step_known(TL_FIN_WAIT1, TL_FIN_WAIT2));
	assert_true(tl_events_step_known(TL_CLOSE_WAIT, TL_LAST_ACK));
	assert_true(tl_events_step_known(TL_LISTEN, TL_SYN_RECV));
	assert_string_equal(tl_events_step_cause(TL_ESTABLISHED, TL_CLOSE_WAIT),
			    "rcv FIN");
	/* A refused connect(), far more often than a close(). */
	assert_string_equal(tl_events_step_cause(TL_SYN_SENT, TL_CLOSE),
			    "RST (refused), timeout or close");
	/* Linux's own. */
	assert_true(tl_events_step_known(TL_ESTABLISHED, TL_CLOSE));
	assert_true(tl_events_step_known(TL_FIN_WAIT2, TL_CLOSE));
	/*
	 * close() after shutdown(SHUT_WR), which haproxy does on every
	 * connection: the kernel sets the state it has again.
	 */
	assert_string_equal(tl_events_step_cause(TL_FIN_WAIT1, TL_FIN_WAIT1),
			    "close() after shutdown(): now an orphan");
	assert_true(tl_events_step_known(TL_LAST_ACK, TL_LAST_ACK));
	assert_false(tl_events_step_known(TL_ESTABLISHED, TL_ESTABLISHED));
	/* Not one step. */
	assert_false(tl_events_step_known(TL_ESTABLISHED, TL_FIN_WAIT2));
	assert_false(tl_events_step_known(TL_CLOSE, TL_FIN_WAIT2));
	assert_false(tl_events_step_known(TL_CLOSE_WAIT, TL_ESTABLISHED));
	assert_false(tl_events_step_known(TL_TIME_WAIT, TL_ESTABLISHED));
	assert_null(tl_events_step_cause(TL_CLOSE_WAIT, TL_FIN_WAIT1));
	assert_false(tl_events_step_known(-1, 300));
}

static void test_backend_names(void **state)
{
	enum tl_events_backend b;

	assert_int_equal(tl_events_backend_parse("bpf", &b), 0);
	assert_int_equal(b, TL_EVENTS_BPF);
	assert_int_equal(tl_events_backend_parse("poll", &b), 0);
	assert_int_equal(b, TL_EVENTS_POLL);
	assert_int_equal(tl_events_backend_parse("auto", &b), 0);
	assert_int_equal(b, TL_EVENTS_AUTO);
	assert_int_equal(tl_events_backend_parse("Poll", &b), -EINVAL);
	assert_int_equal(tl_events_backend_parse("", &b), -EINVAL);
	assert_string_equal(tl_events_backend_name(TL_EVENTS_POLL), "poll");
	assert_null(tl_events_backend_name(3));
	assert_null(tl_events_backend_name(-1));
}

/* Bad options fail before anything is opened. */
static void test_open_rejects(void **state)
{
	struct tl_events_opts o;
	struct tl_events *ev = NULL;

	tl_events_opts_init(&o);
	o.interval_ms = TL_EVENTS_INTERVAL_MIN - 1;
	assert_int_equal(tl_events_open(&o, &ev), -EINVAL);
	tl_events_opts_init(&o);
	o.interval_ms = TL_EVENTS_INTERVAL_MAX + 1;
	assert_int_equal(tl_events_open(&o, &ev), -EINVAL);
	tl_events_opts_init(&o);
	o.family = AF_UNIX;
	assert_int_equal(tl_events_open(&o, &ev), -EINVAL);
	assert_null(ev);
	/* Out of range, each field alone: none is taken as a default. */
	for (int k = 0; k < 9; k++) {
		tl_events_opts_init(&o);
		o.backend = TL_EVENTS_POLL;
		switch (k) {
		case 0:
			o.backend = 9;
			break;
		case 1:
			o.attach = 7;
			break;
		case 2:
			o.ring_bytes = TL_EVENTS_RING_MAX + 1;
			break;
		case 3:
			o.filter.nsport = TL_EVENTS_MAX_PORTS + 1;
			break;
		case 4:
			o.filter.nsport = -1;
			break;
		case 5:
			o.filter.ndport = -1;
			break;
		case 6:
			o.filter.naddr = TL_EVENTS_MAX_ADDRS + 1;
			break;
		case 7:
			o.filter.naddr = 1;
			o.filter.addr[0].family = 77;
			break;
		case 8: /* an address of family 0 */
			o.filter.naddr = 1;
			break;
		}
		assert_int_equal(tl_events_open(&o, &ev), -EINVAL);
		assert_null(ev);
	}
	assert_int_equal(tl_events_open(NULL, &ev), -EINVAL);
	tl_events_opts_init(&o);
	assert_int_equal(tl_events_open(&o, NULL), -EINVAL);
	tl_events_close(NULL);
	tl_diff_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_baseline_is_silent),
		cmocka_unit_test(test_established_to_close_wait),
		cmocka_unit_test(test_baseline_socket_time_unknown),
		cmocka_unit_test(test_jump_over_fin_wait1),
		cmocka_unit_test(test_appear),
		cmocka_unit_test(test_vanish),
		cmocka_unit_test(test_vanish_established),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_callback_error),
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_backend_names),
		cmocka_unit_test(test_open_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
