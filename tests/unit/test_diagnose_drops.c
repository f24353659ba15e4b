// SPDX-License-Identifier: MIT
/*
 * Tests for lib/rules_listen.c, continued: a listener's drop counter,
 * which counts since it started. Drops of a half-full queue are told only
 * where they go on: grown at the doctor's second look (drops_later) or
 * since the exporter's last scan (drops_before), with the namespace's
 * TcpExt ListenDrops grown too; never at an exporter's first look.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "test_diagnose.h"

static void test_listener_drops(void **state)
{
	uint32_t srv = proc(100, "server", 5, 1024);
	struct tl_sock *l;

	struct tl_diag_young y;

	(void)state;
	l = listener(80, 128, 0, srv);
	l->drops = 3;
	W->ctr.listen_drops = 100;
	/*
	 * Drops of a queue under no pressure now are past ones: no finding
	 * (a health check would fail until a restart), but told.
	 */
	assert_int_equal(diagnose(), 0);
	tl_diag_young(&W->snap, &W->ctr, &W->opts, &y);
	assert_int_equal(y.drops_listeners, 1);
	assert_int_equal(y.drops, 3);
	l->rqueue = 63;
	assert_int_equal(diagnose(), 0);
	/* At least half full now: the drops may be going on. */
	l->rqueue = 64;
	tl_diag_young(&W->snap, &W->ctr, &W->opts, &y);
	assert_int_equal(y.drops_listeners, 0);
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_ACCEPT_QUEUE_OVERFLOW);
	assert_int_equal(W->f[0].severity, TL_SEV_WARNING);
	assert_int_equal(W->f[0].count, 3);
	assert_int_equal(W->f[0].value, 3);
	assert_int_equal(W->f[0].limit, 128);
	assert_false(W->f[0].has_age);
	assert_non_null(strstr(W->f[0].summary,
			       "has dropped 3 SYNs since it started, and its "
			       "queue is at least half full now (backlog 128, "
			       "64 queued)"));
	W->opts.drops_min = 10;
	assert_int_equal(diagnose(), 0);
	W->opts.drops_min = 1;

	/*
	 * The namespace's TcpExt ListenDrops: at most that many
	 * drops are a full queue's; none at all is no finding (Apache's
	 * TCP_DEFER_ACCEPT drops a data-less ACK a request).
	 */
	W->ctr.listen_drops = 0;
	l->drops = 6;
	assert_int_equal(diagnose(), 0);
	W->ctr.listen_drops = 1;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].count, 1);
	assert_int_equal(W->f[0].value, 1);
	assert_non_null(strstr(W->f[0].summary,
			       "has dropped up to 1 SYN or handshake ACK "
			       "for a full queue"));
	assert_non_null(strstr(W->f[0].summary, "its own drop counter, 6,"));
	W->ctr.listen_drops = 40;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].count, 6);
	assert_non_null(strstr(W->f[0].summary, "has dropped 6 SYNs since"));
	l->drops = 1;
	assert_int_equal(diagnose(), 1);
	assert_non_null(strstr(W->f[0].summary, "has dropped 1 SYN since"));
	/* Without the counters, the listener's own count stands. */
	W->ctr.have &= ~(unsigned)TL_CTR_NETSTAT;
	W->ctr.listen_drops = 0;
	assert_int_equal(diagnose(), 1);
}

/*
 * A small backlog half full under a healthy load, with drops from an hour
 * ago: a second dump a moment later (drops_later) tells whether they go
 * on. Only then is it a finding; past drops are told as held back.
 */
static void test_listener_drops_later(void **state)
{
	uint32_t srv = proc(100, "server", 5, 1024);
	struct tl_sock *l, again;
	struct tl_snapshot later = { 0 };
	struct tl_diag_young y;

	(void)state;
	l = listener(8000, 5, 3, srv);
	l->drops = 84;
	l->cookie = 77;
	W->ctr.listen_drops = 4551;
	assert_int_equal(diagnose(), 1);
	assert_true(tl_diag_drops_unsure(&W->snap, &W->ctr, &W->opts));
	assert_true(tl_diag_drops_unsure(&W->snap, &W->ctr, NULL));
	/* The same listener, by its cookie, with no drop since. */
	again = *l;
	later.socks = &again;
	later.n_socks = 1;
	W->opts.drops_later = &later;
	assert_int_equal(diagnose(), 0);
	tl_diag_young(&W->snap, &W->ctr, &W->opts, &y);
	assert_int_equal(y.drops_listeners, 1);
	assert_int_equal(y.drops, 84);
	/* Dropping still: the warning stands. */
	again.drops = 85;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_ACCEPT_QUEUE_OVERFLOW);
	assert_int_equal(W->f[0].severity, TL_SEV_WARNING);
	tl_diag_young(&W->snap, &W->ctr, &W->opts, &y);
	assert_int_equal(y.drops_listeners, 0);
	/*
	 * Its counter grew while the namespace's ListenDrops did not: the
	 * handshake ACKs TCP_DEFER_ACCEPT drops (uwsgi, Apache), no full
	 * queue's. With ListenDrops grown too, the warning stands.
	 */
	{
		struct tl_counters c2 = W->ctr;

		W->opts.drops_later_ctr = &c2;
		assert_int_equal(diagnose(), 0);
		tl_diag_young(&W->snap, &W->ctr, &W->opts, &y);
		assert_int_equal(y.drops_listeners, 1);
		c2.listen_drops++;
		assert_int_equal(diagnose(), 1);
		/* Not read the second time: the listener's counter speaks. */
		c2.have = 0;
		c2.listen_drops--;
		assert_int_equal(diagnose(), 1);
		W->opts.drops_later_ctr = NULL;
	}
	/* Closed meanwhile: its drops ended with it. */
	again.cookie = 78;
	assert_int_equal(diagnose(), 0);
	/* A full queue is critical whatever the counter did. */
	l->rqueue = 6;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].severity, TL_SEV_CRITICAL);
	assert_false(tl_diag_drops_unsure(&W->snap, &W->ctr, &W->opts));
	W->opts.drops_later = NULL;
	/* Under no pressure: nothing to look at again. */
	l->rqueue = 2;
	assert_int_equal(diagnose(), 0);
	assert_false(tl_diag_drops_unsure(&W->snap, &W->ctr, &W->opts));
}

/*
 * The exporter's way: the drop counters of its previous scan
 * (drops_before), sorted by cookie, instead of a second dump.
 */
static void test_listener_drops_before(void **state)
{
	uint32_t srv = proc(100, "server", 5, 1024);
	struct tl_drops_seen seen[3] = { { 12, 9, false, 0 },
					 { 77, 84, false, 0 },
					 { 90, 1, false, 0 } };
	struct tl_diag_young y;
	struct tl_sock *l;

	(void)state;
	l = listener(8000, 5, 3, srv);
	l->drops = 84;
	l->cookie = 77;
	W->ctr.listen_drops = 4551;
	W->opts.drops_before = seen;
	W->opts.n_drops_before = 3;
	/* As many as at the last scan: past drops, held back. */
	assert_int_equal(diagnose(), 0);
	tl_diag_young(&W->snap, &W->ctr, &W->opts, &y);
	assert_int_equal(y.drops_listeners, 1);
	assert_int_equal(y.drops, 84);
	/* More since: they go on. */
	l->drops = 86;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_ACCEPT_QUEUE_OVERFLOW);
	assert_int_equal(W->f[0].severity, TL_SEV_WARNING);
	tl_diag_young(&W->snap, &W->ctr, &W->opts, &y);
	assert_int_equal(y.drops_listeners, 0);
	/*
	 * But the namespace's ListenDrops stood at 4551 since: the two
	 * drops are TCP_DEFER_ACCEPT's, not a full queue's.
	 */
	seen[1].has_ns = true;
	seen[1].ns_drops = 4551;
	assert_int_equal(diagnose(), 0);
	seen[1].ns_drops = 4550;
	assert_int_equal(diagnose(), 1);
	seen[1].has_ns = false;
	/* An exporter's first look has nothing to compare: it waits. */
	W->opts.drops_first_look = true;
	assert_int_equal(diagnose(), 0);
	W->opts.drops_first_look = false;
	/* A listener the last scan did not see is new, and so are its drops. */
	l->drops = 84;
	l->cookie = 78;
	assert_int_equal(diagnose(), 1);
	/*
	 * Unless its namespace's ListenDrops stood since the last scan, as
	 * another listener of the namespace that scan saw tells (a
	 * TCP_DEFER_ACCEPT listener restarted between scans).
	 */
	{
		struct tl_sock *o = listener(8001, 5, 0, srv);

		o->drops = 1;
		o->cookie = 90;
		seen[2].has_ns = true;
		seen[2].ns_drops = 4551;
		assert_int_equal(diagnose(), 0);
		seen[2].ns_drops = 4549;
		assert_int_equal(diagnose(), 1);
		assert_int_equal(W->f[0].local_port, 8000);
		seen[2].has_ns = false;
	}
	/* Both looks: the second dump's word stands where it says past. */
	{
		struct tl_sock again = *l;
		struct tl_snapshot later = { .socks = &again, .n_socks = 1 };

		W->opts.drops_later = &later;
		assert_int_equal(diagnose(), 0);
		W->opts.drops_later = NULL;
	}
	/* A full queue is critical whatever the counter did. */
	l->cookie = 77;
	l->rqueue = 6;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].severity, TL_SEV_CRITICAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_listener_drops),
		T(test_listener_drops_before),
		T(test_listener_drops_later),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
