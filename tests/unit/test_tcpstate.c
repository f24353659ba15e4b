// SPDX-License-Identifier: MIT
/*
 * Tests for lib/tcpstate.c: the transition table against RFC 9293's
 * Figure 5 written down again here, independently, by name; the per-state
 * texts; name lookup; and the diagram with known counts.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tcplimbo/tcpstate.h"

/*
 * RFC 9293 Figure 5 ("TCP Connection State Diagram"), arrow by arrow, as
 * the RFC labels them, plus the two transitions its notes add: note 1's
 * RST from SYN-RECEIVED back to LISTEN is drawn in the figure; note 2's
 * FIN-WAIT-1 to TIME-WAIT is not.
 */
static const struct {
	const char *from, *event, *send, *to;
} rfc[] = {
	{ "CLOSED", "passive OPEN", "nothing", "LISTEN" },
	{ "CLOSED", "active OPEN", "SYN", "SYN-SENT" },
	{ "LISTEN", "CLOSE", "nothing", "CLOSED" },
	{ "LISTEN", "rcv SYN", "SYN,ACK", "SYN-RECEIVED" },
	{ "LISTEN", "SEND", "SYN", "SYN-SENT" },
	{ "SYN-SENT", "CLOSE", "nothing", "CLOSED" },
	{ "SYN-SENT", "rcv SYN", "SYN,ACK", "SYN-RECEIVED" },
	{ "SYN-SENT", "rcv SYN,ACK", "ACK", "ESTABLISHED" },
	{ "SYN-RECEIVED", "rcv ACK of SYN", "nothing", "ESTABLISHED" },
	{ "SYN-RECEIVED", "CLOSE", "FIN", "FIN-WAIT-1" },
	{ "SYN-RECEIVED", "rcv RST", "nothing", "LISTEN" },
	{ "ESTABLISHED", "CLOSE", "FIN", "FIN-WAIT-1" },
	{ "ESTABLISHED", "rcv FIN", "ACK", "CLOSE-WAIT" },
	{ "FIN-WAIT-1", "rcv ACK of FIN", "nothing", "FIN-WAIT-2" },
	{ "FIN-WAIT-1", "rcv FIN", "ACK", "CLOSING" },
	{ "FIN-WAIT-1", "rcv FIN with ACK of FIN", "ACK", "TIME-WAIT" },
	{ "FIN-WAIT-2", "rcv FIN", "ACK", "TIME-WAIT" },
	{ "CLOSE-WAIT", "CLOSE", "FIN", "LAST-ACK" },
	{ "CLOSING", "rcv ACK of FIN", "nothing", "TIME-WAIT" },
	{ "LAST-ACK", "rcv ACK of FIN", "nothing", "CLOSED" },
	{ "TIME-WAIT", "timeout 2MSL", "nothing", "CLOSED" },
};

#define N_RFC (sizeof(rfc) / sizeof(rfc[0]))

static const char *sname(int s)
{
	const struct tl_tcp_state_info *i = tl_tcpstate_info(s);

	assert_non_null(i);
	return i->rfc_name;
}

static void test_table_is_rfc(void **state)
{
	const struct tl_tcp_transition *t;
	size_t n = tl_tcpstate_transitions(&t);
	int seen[N_RFC] = { 0 };

	(void)state;
	assert_int_equal(n, N_RFC);
	for (size_t i = 0; i < n; i++) {
		const char *from = sname(t[i].from), *to = sname(t[i].to);
		const char *ev = tl_tcpstate_event_name(t[i].event);
		const char *send = tl_tcpstate_segment_name(t[i].send);
		size_t k;

		assert_non_null(ev);
		assert_non_null(send);
		for (k = 0; k < N_RFC; k++)
			if (!strcmp(rfc[k].from, from) &&
			    !strcmp(rfc[k].event, ev) &&
			    !strcmp(rfc[k].send, send) &&
			    !strcmp(rfc[k].to, to))
				break;
		if (k == N_RFC)
			fail_msg("not in RFC 9293: %s --%s / %s--> %s", from,
				 ev, send, to);
		seen[k]++;
	}
	for (size_t k = 0; k < N_RFC; k++)
		if (seen[k] != 1)
			fail_msg("RFC transition %s --%s--> %s seen %d times",
				 rfc[k].from, rfc[k].event, rfc[k].to, seen[k]);
}

static void test_no_kernel_state_in_table(void **state)
{
	const struct tl_tcp_transition *t;
	size_t n = tl_tcpstate_transitions(&t);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_int_not_equal(t[i].from, TL_NEW_SYN_RECV);
		assert_int_not_equal(t[i].to, TL_NEW_SYN_RECV);
		/* Deterministic: one next state per (state, event). */
		for (size_t k = i + 1; k < n; k++)
			assert_false(t[i].from == t[k].from &&
				     t[i].event == t[k].event);
	}
}

static void test_reachable_and_leavable(void **state)
{
	const struct tl_tcp_transition *t;
	size_t n = tl_tcpstate_transitions(&t);
	int reach[TL_STATE_MAX] = { 0 };
	int changed = 1;

	(void)state;
	reach[TL_CLOSE] = 1;
	while (changed) {
		changed = 0;
		for (size_t i = 0; i < n; i++)
			if (reach[t[i].from] && !reach[t[i].to]) {
				reach[t[i].to] = 1;
				changed = 1;
			}
	}
	for (int s = TL_ESTABLISHED; s < TL_NEW_SYN_RECV; s++) {
		int out = 0;

		assert_true(reach[s]);
		for (size_t i = 0; i < n; i++)
			out += t[i].from == s;
		assert_true(out > 0);
	}
}

static void test_next(void **state)
{
	int send = -1;

	(void)state;
	assert_int_equal(tl_tcpstate_next(TL_ESTABLISHED, TL_EV_RCV_FIN, &send),
			 TL_CLOSE_WAIT);
	assert_int_equal(send, TL_SEG_ACK);
	assert_int_equal(tl_tcpstate_next(TL_CLOSE_WAIT, TL_EV_CLOSE, &send),
			 TL_LAST_ACK);
	assert_int_equal(send, TL_SEG_FIN);
	assert_int_equal(tl_tcpstate_next(TL_TIME_WAIT, TL_EV_TIMEOUT_2MSL,
					  NULL),
			 TL_CLOSE);
	/* CLOSE_WAIT has no timer and ignores the peer: only close(). */
	assert_int_equal(tl_tcpstate_next(TL_CLOSE_WAIT, TL_EV_TIMEOUT_2MSL,
					  NULL),
			 -EINVAL);
	assert_int_equal(tl_tcpstate_next(TL_CLOSE_WAIT, TL_EV_RCV_FIN, NULL),
			 -EINVAL);
	assert_int_equal(tl_tcpstate_next(TL_ESTABLISHED, TL_EV_RCV_SYN, NULL),
			 -EINVAL);
	assert_int_equal(tl_tcpstate_next(99, TL_EV_CLOSE, NULL), -EINVAL);
}

static void test_info(void **state)
{
	(void)state;
	assert_null(tl_tcpstate_info(0));
	assert_null(tl_tcpstate_info(TL_STATE_MAX));
	assert_null(tl_tcpstate_info(-1));
	for (int s = 1; s < TL_STATE_MAX; s++) {
		const struct tl_tcp_state_info *i = tl_tcpstate_info(s);

		assert_non_null(i);
		assert_int_equal(i->state, s);
		assert_true(strlen(i->rfc_name) > 0);
		assert_true(strlen(i->meaning) > 10);
		assert_true(strlen(i->how) > 10);
		assert_true(strlen(i->leave) > 10);
		assert_true(strlen(i->bug) > 10);
		assert_non_null(tl_tcpstate_actor_name(i->actor));
	}
	/* Whose move: the facts the doctor relies on. */
	assert_int_equal(tl_tcpstate_info(TL_CLOSE_WAIT)->actor,
			 TL_ACTOR_PROGRAM);
	assert_int_equal(tl_tcpstate_info(TL_FIN_WAIT2)->actor, TL_ACTOR_PEER);
	assert_int_equal(tl_tcpstate_info(TL_TIME_WAIT)->actor, TL_ACTOR_TIMER);
	assert_int_equal(tl_tcpstate_info(TL_NEW_SYN_RECV)->rfc_state,
			 TL_SYN_RECV);
	assert_non_null(strstr(tl_tcpstate_info(TL_FIN_WAIT2)->kernel,
			       "tcp_fin_timeout"));
	assert_non_null(
		strstr(tl_tcpstate_info(TL_LISTEN)->kernel, "accept queue"));
	assert_null(tl_tcpstate_event_name(TL_EV_MAX));
	assert_null(tl_tcpstate_segment_name(-1));
	assert_null(tl_tcpstate_actor_name(TL_ACTOR_MAX));
}

static void test_lookup(void **state)
{
	char longname[200];

	(void)state;
	assert_int_equal(tl_tcpstate_lookup("close-wait"), TL_CLOSE_WAIT);
	assert_int_equal(tl_tcpstate_lookup("CLOSE_WAIT"), TL_CLOSE_WAIT);
	assert_int_equal(tl_tcpstate_lookup("CLOSE-WAIT"), TL_CLOSE_WAIT);
	assert_int_equal(tl_tcpstate_lookup("Time_Wait"), TL_TIME_WAIT);
	assert_int_equal(tl_tcpstate_lookup("established"), TL_ESTABLISHED);
	assert_int_equal(tl_tcpstate_lookup("ESTAB"), TL_ESTABLISHED);
	assert_int_equal(tl_tcpstate_lookup("syn-received"), TL_SYN_RECV);
	assert_int_equal(tl_tcpstate_lookup("SYN_RECV"), TL_SYN_RECV);
	assert_int_equal(tl_tcpstate_lookup("new-syn-recv"), TL_NEW_SYN_RECV);
	assert_int_equal(tl_tcpstate_lookup("fin-wait-1"), TL_FIN_WAIT1);
	assert_int_equal(tl_tcpstate_lookup("FIN_WAIT2"), TL_FIN_WAIT2);
	assert_int_equal(tl_tcpstate_lookup("closed"), TL_CLOSE);
	assert_int_equal(tl_tcpstate_lookup("listen"), TL_LISTEN);
	assert_int_equal(tl_tcpstate_lookup("last-ack"), TL_LAST_ACK);
	assert_int_equal(tl_tcpstate_lookup(""), -EINVAL);
	assert_int_equal(tl_tcpstate_lookup("close-wai"), -EINVAL);
	assert_int_equal(tl_tcpstate_lookup("close-waitx"), -EINVAL);
	assert_int_equal(tl_tcpstate_lookup(NULL), -EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(tl_tcpstate_lookup(longname), -EINVAL);
}

/* The line of the diagram that holds this text, or NULL. */
static const char *find_line(const char *buf, const char *text)
{
	return strstr(buf, text);
}

static void test_diagram(void **state)
{
	uint64_t counts[TL_STATE_MAX] = { 0 };
	char *buf = malloc(TL_TCPSTATE_DIAGRAM_MAX);
	char small[100];
	const char *p;
	int len, width = 0;

	(void)state;
	assert_non_null(buf);
	counts[TL_CLOSE] = TL_TCPSTATE_UNKNOWN;
	counts[TL_ESTABLISHED] = 1234;
	counts[TL_CLOSE_WAIT] = 5;
	counts[TL_TIME_WAIT] = 2000000;
	counts[TL_LISTEN] = 3;
	counts[TL_NEW_SYN_RECV] = 7;
	len = tl_tcpstate_diagram(buf, TL_TCPSTATE_DIAGRAM_MAX, counts);
	assert_true(len > 0);
	assert_int_equal((size_t)len, strlen(buf));
	assert_non_null(find_line(buf, "| ESTAB        1234 |"));
	assert_non_null(find_line(buf, "| CLOSE-WAIT      5 |"));
	assert_non_null(find_line(buf, "| TIME-WAIT     >1M |"));
	assert_non_null(find_line(buf, "| LISTEN          3 |"));
	assert_non_null(find_line(buf, "| requests        7 |"));
	assert_non_null(find_line(buf, "| CLOSED          - |"));
	assert_non_null(find_line(buf, "| FIN-WAIT-2      0 |"));
	assert_null(strchr(buf, '$'));
	/* Every line fits a terminal. */
	for (p = buf; *p; p++) {
		width = *p == '\n' ? 0 : width + 1;
		assert_true(width <= 80);
	}
	/* Without counts: no numbers in the boxes. */
	len = tl_tcpstate_diagram(buf, TL_TCPSTATE_DIAGRAM_MAX, NULL);
	assert_true(len > 0);
	assert_non_null(find_line(buf, "| ESTAB             |"));
	assert_int_equal(tl_tcpstate_diagram(small, sizeof(small), counts),
			 -ENOSPC);
	assert_int_equal(tl_tcpstate_diagram(small, 0, counts), -ENOSPC);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_rfc),
		cmocka_unit_test(test_no_kernel_state_in_table),
		cmocka_unit_test(test_reachable_and_leavable),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_diagram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
