// SPDX-License-Identifier: MIT
/*
 * Tests for lib/rules_held.c and the host-wide rules: CLOSE-WAIT leaks,
 * FIN-WAIT-2, TIME-WAIT, orphans and half-open connections, on snapshots
 * built by hand (test_diagnose.h); then the order, grouping and names of
 * findings. Listeners and fds are in test_diagnose.c. */
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

static void test_close_wait_leak(void **state)
{
	uint32_t leak = proc(200, "leaky", 20, 1024);
	uint32_t good = proc(300, "good", 20, 1024);
	int seen = 0;

	(void)state;
	held(TL_CLOSE_WAIT, 9000, 40001, 60000, leak);
	held(TL_CLOSE_WAIT, 9000, 40002, 45000, leak);
	held(TL_CLOSE_WAIT, 9000, 40003, 31000, leak);
	held(TL_CLOSE_WAIT, 9000, 40004, 1000, leak);
	held(TL_CLOSE_WAIT, 9001, 40005, 500, good);
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_CLOSE_WAIT_LEAK);
	assert_int_equal(W->f[0].severity, TL_SEV_WARNING);
	assert_int_equal(W->f[0].pids[0], 200);
	assert_string_equal(W->f[0].comm, "leaky");
	assert_int_equal(W->f[0].count, 3);
	assert_int_equal(W->f[0].value, 4);
	assert_int_equal(W->f[0].oldest_ms, 60000);
	assert_int_equal(W->f[0].state, TL_CLOSE_WAIT);
	assert_int_equal(W->f[0].example, 1);
	/* The example is the oldest connection's peer, not our own port. */
	assert_non_null(strstr(W->f[0].summary, "127.0.0.1:40001"));
	assert_null(strstr(W->f[0].summary, "127.0.0.1:9000"));
	assert_non_null(strstr(W->f[0].summary, "pid 200 (leaky) holds 3"));
	W->opts.close_wait_critical = 3;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].severity, TL_SEV_CRITICAL);
	/* Critical by its count: the count says why. */
	assert_null(strstr(W->f[0].summary, "critical:"));
	/* Critical below the count, near the fd limit: said so. */
	W->opts.close_wait_critical = 100;
	W->procs[leak].nfds = 1000;
	assert_true(diagnose() >= 1);
	for (int i = 0; i < W->nf; i++) {
		if (W->f[i].kind != TL_FIND_CLOSE_WAIT_LEAK)
			continue;
		seen++;
		assert_int_equal(W->f[i].severity, TL_SEV_CRITICAL);
		assert_non_null(strstr(W->f[i].summary,
				       "; critical: it has 1000 of its 1024 "
				       "fds open, and each of these holds "
				       "one"));
	}
	assert_int_equal(seen, 1);
	W->procs[leak].nfds = 20;
	W->opts.close_wait_age_ms = 90000;
	assert_int_equal(diagnose(), 0);
}

/* The fd by which process index p holds sk, to move it. */
static struct tl_fdref *ref_of(const struct tl_sock *sk, uint32_t p)
{
	for (size_t k = 0; k < W->n_refs; k++)
		if (W->refs[k].inode == sk->inode && W->refs[k].proc == p)
			return &W->refs[k];
	fail();
	return NULL;
}

static bool told_inherited(void)
{
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_CLOSE_WAIT_LEAK);
	return strstr(W->f[0].remedy, "close-on-exec") != NULL;
}

/*
 * python3 (pid 100) accepts on :8080 and starts sleep (pid 200) with
 * every fd open: sleep holds the connection the server has closed, and
 * the listener too where that was not close-on-exec either. The server is
 * named, and the remedy is the server's; not where the child holds the
 * connection on purpose.
 */
static void test_close_wait_inherited(void **state)
{
	uint32_t srv = proc(100, "python3", 20, 1024);
	uint32_t kid = proc(200, "sleep", 5, 1024);
	struct tl_sock *L, *c;

	(void)state;
	parent(kid, srv);
	L = listener(8080, 128, 0, srv);
	c = held(TL_CLOSE_WAIT, 8080, 40001, 60000, kid);
	c->rqueue = 5;
	assert_true(told_inherited());
	assert_int_equal(W->f[0].pids[0], 200);
	assert_int_equal(W->f[0].inherited_from, 100);
	assert_non_null(strstr(
		W->f[0].summary,
		"nor read what its client sent (Recv-Q 5); it did not accept it: pid 100 (python3), its parent, holds the listener, so pid 200 most likely inherited it when that process started it (fds not marked close-on-exec)"));
	assert_null(strstr(W->f[0].summary, "taken, never served"));
	assert_non_null(strstr(W->f[0].remedy, "SOCK_CLOEXEC"));

	/* Through a shell: an ancestor. */
	W->procs[proc(300, "sh", 3, 1024)].ppid = 100;
	W->procs[kid].ppid = 300;
	assert_true(told_inherited());
	assert_non_null(strstr(W->f[0].summary, "(python3), an ancestor,"));
	W->procs[kid].ppid = 100;

	/* A fork per connection runs the server's program: its own leak. */
	snprintf(W->procs[kid].comm, sizeof(W->procs[kid].comm), "python3");
	assert_false(told_inherited());
	assert_int_equal(W->f[0].inherited_from, 0);
	assert_non_null(strstr(W->f[0].summary, "taken, never served"));
	assert_null(strstr(W->f[0].summary, "did not accept"));
	snprintf(W->procs[kid].comm, sizeof(W->procs[kid].comm), "sleep");

	/* Handed over as its standard input (inetd). */
	ref_of(c, kid)->fd = 0;
	assert_false(told_inherited());
	ref_of(c, kid)->fd = 9;

	/*
	 * The child holds the listener too, at another fd: handed over on
	 * purpose, to accept on it.
	 */
	share(L, kid);
	assert_int_not_equal(ref_of(L, kid)->fd, ref_of(L, srv)->fd);
	assert_false(told_inherited());
	/*
	 * At the fd the server holds it at: the listener came along with the
	 * connection, not marked close-on-exec either. Told so, with the
	 * supervisor's worker named as what else it may be.
	 */
	ref_of(L, kid)->fd = ref_of(L, srv)->fd;
	assert_true(told_inherited());
	assert_int_equal(W->f[0].inherited_from, 100);
	assert_null(strstr(W->f[0].summary, "taken, never served"));
	assert_non_null(strstr(
		W->f[0].summary,
		"; it holds the listener too, at fd 3 as pid 100 (python3), its parent, does: most likely it inherited both when that process started it (fds not marked close-on-exec) and did not accept it, unless it was started to accept on that listener itself"));
	assert_non_null(strstr(W->f[0].remedy, "a supervisor's worker"));
	/* The same program: a prefork worker's own leak. */
	snprintf(W->procs[kid].comm, sizeof(W->procs[kid].comm), "python3");
	assert_false(told_inherited());
	snprintf(W->procs[kid].comm, sizeof(W->procs[kid].comm), "sleep");
	*ref_of(L, kid) = W->refs[--W->n_refs];
	assert_true(told_inherited());
	assert_null(strstr(W->f[0].remedy, "a supervisor's worker"));

	/* A service manager's (systemd, pid 1, Accept=yes). */
	W->procs[srv].pid = 1;
	W->procs[kid].ppid = 1;
	assert_false(told_inherited());
}

static void test_close_wait_unknown_owner(void **state)
{
	struct tl_sock *sk;

	(void)state;
	/* An inode, but no process read holds it; all were read. */
	sk = sock(TL_CLOSE_WAIT, 9000, 40001);
	sk->has = TL_HAS_INFO;
	sk->last_ack_recv_ms = 100000;
	sk->inode = 4242;
	sk->uid = 101;
	assert_int_equal(diagnose(), 1);
	assert_non_null(strstr(W->f[0].summary,
			       "a holder in no process's fds (a socket in "
			       "flight in a unix socket's message, or in an "
			       "io_uring's registered files) holds 1 "
			       "connection"));
	/* One process's fds could not be read: its holder may be that. */
	W->owners.n_denied = 1;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_CLOSE_WAIT_LEAK);
	assert_int_equal(W->f[0].n_pids, 0);
	assert_non_null(strstr(W->f[0].summary,
			       "a process not seen (the socket's uid 101) "
			       "holds 1 connection"));
	assert_non_null(strstr(W->f[0].summary, "it has not called close()"));
	/* Two: maybe two processes, and not told as one. */
	sk = sock(TL_CLOSE_WAIT, 9000, 40002);
	sk->has = TL_HAS_INFO;
	sk->last_ack_recv_ms = 100000;
	sk->inode = 4243;
	sk->uid = 101;
	assert_int_equal(diagnose(), 1);
	assert_non_null(strstr(W->f[0].summary,
			       "processes not seen (the sockets' uid 101) "
			       "hold 2 connections"));
	assert_non_null(
		strstr(W->f[0].summary, "they have not called close()"));
	/* Owners not looked for (--no-owners): nor how many hold them. */
	W->no_owners = true;
	assert_int_equal(diagnose(), 1);
	assert_non_null(strstr(W->f[0].summary,
			       "the holder (owners not looked for: "
			       "--no-owners; socket uid 101) holds 2 "
			       "connections"));
	assert_non_null(strstr(W->f[0].summary, "it has not called close()"));
	assert_null(strstr(W->f[0].summary, "not seen"));
}

/* An unseen CLOSE_WAIT, last ACKed 100 s ago: its holder is not known. */
static struct tl_sock *unseen(uint16_t sport, uint16_t dport)
{
	struct tl_sock *sk = sock(TL_CLOSE_WAIT, sport, dport);

	sk->has = TL_HAS_INFO;
	sk->last_ack_recv_ms = 100000;
	sk->inode = W->next_inode++;
	return sk;
}

/*
 * Sockets of holders we cannot see (another user's servers) are grouped
 * by the service they belong to, a listening port, or else by the peer a
 * client connected to: three findings here, not one merged.
 */
static void test_close_wait_unknown_grouped(void **state)
{
	int seen = 0;

	(void)state;
	/* Two servers' listeners, whose holders are hidden too. */
	sock(TL_LISTEN, 9000, 0)->inode = W->next_inode++;
	sock(TL_LISTEN, 9001, 0)->inode = W->next_inode++;
	unseen(9000, 40001);
	unseen(9001, 40002);
	unseen(9000, 40003);
	/* A client's connections to one upstream, from ephemeral ports. */
	unseen(45001, 5432);
	unseen(45002, 5432);
	assert_int_equal(diagnose(), 3);
	for (int i = 0; i < 3; i++) {
		const struct tl_finding *f = &W->f[i];

		assert_int_equal(f->kind, TL_FIND_CLOSE_WAIT_LEAK);
		assert_int_equal(f->n_pids, 0);
		if (f->local_port == 9000) {
			assert_int_equal(f->count, 2);
			seen |= 1;
		} else if (f->local_port == 9001) {
			assert_int_equal(f->count, 1);
			seen |= 2;
		} else {
			assert_int_equal(f->count, 2);
			assert_non_null(strstr(f->summary, "127.0.0.1:5432"));
			seen |= 4;
		}
	}
	assert_int_equal(seen, 7);
}

static void test_fin_wait2(void **state)
{
	uint32_t cli = proc(300, "halfcloser", 10, 1024);
	struct tl_sock *orphan;

	(void)state;
	held(TL_FIN_WAIT2, 40010, 9000, 120000, cli);
	/* An orphan FIN_WAIT2 ends with tcp_fin_timeout: not stuck. */
	orphan = sock(TL_FIN_WAIT2, 40011, 9000);
	orphan->timer_ms = 50000;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_FIN_WAIT2_STUCK);
	assert_int_equal(W->f[0].pids[0], 300);
	assert_int_equal(W->f[0].count, 1);
	assert_int_equal(W->f[0].oldest_ms, 120000);
	W->opts.fin_wait2_age_ms = 200000;
	assert_int_equal(diagnose(), 0);
}

/* --close-wait-min counts CLOSE-WAIT only: FIN-WAIT-2 stays reported. */
static void test_close_wait_min_is_close_wait(void **state)
{
	uint32_t p = proc(310, "both", 10, 1024);

	(void)state;
	held(TL_CLOSE_WAIT, 9000, 40020, 60000, p);
	held(TL_FIN_WAIT2, 40021, 9001, 120000, p);
	held(TL_FIN_WAIT2, 40022, 9001, 120000, p);
	assert_int_equal(diagnose(), 2);
	W->opts.close_wait_min = 3;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_FIN_WAIT2_STUCK);
	assert_int_equal(W->f[0].count, 2);
}

/*
 * Under keepalive (Go's accepted connections, redis's tcp-keepalive) the
 * replies to the CLOSE_WAIT's probes reset its last ACK every interval:
 * from the s30 watch/serve hunt, 2.7 s after 65 s. With no data sent
 * since that ACK, which came a second or more ago, the last data (the FIN
 * came after it) dates it. An ACK a moment old is a FIN that just came.
 */
static void test_close_wait_keepalive(void **state)
{
	uint32_t p = proc(330, "kaleak", 10, 1024);
	struct tl_sock *sk;

	(void)state;
	sk = held(TL_CLOSE_WAIT, 9011, 40050, 2660, p);
	sk->timer = TL_TIMER_KEEPALIVE;
	sk->last_data_sent_ms = 65068;
	sk->last_data_recv_ms = 65068;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_CLOSE_WAIT_LEAK);
	assert_int_equal(W->f[0].oldest_ms, 65068);
	/* Without the keepalive timer, the last ACK stands. */
	sk->timer = TL_TIMER_NONE;
	assert_int_equal(diagnose(), 0);
	/* A FIN that just came, a keep-alive client idle for 65 s before. */
	sk->timer = TL_TIMER_KEEPALIVE;
	sk->last_ack_recv_ms = 3;
	assert_int_equal(diagnose(), 0);
	/* Data sent since that ACK: it answered data, no probe. */
	sk->last_ack_recv_ms = 2660;
	sk->last_data_sent_ms = 1000;
	assert_int_equal(diagnose(), 0);
}

/*
 * What --close-wait-min held back is counted, by holder: one with 1 and
 * one with 2 past the age (and 1 young, not counted) under a minimum of
 * 3; one with 3 is a finding, not counted.
 */
static void test_close_wait_min_told(void **state)
{
	uint32_t a = proc(320, "a", 10, 1024), b = proc(321, "b", 10, 1024);
	uint32_t c = proc(322, "c", 10, 1024);
	struct tl_diag_young y;

	(void)state;
	held(TL_CLOSE_WAIT, 9000, 40030, 100000, a);
	held(TL_CLOSE_WAIT, 9000, 40031, 100000, b);
	held(TL_CLOSE_WAIT, 9000, 40032, 100000, b);
	held(TL_CLOSE_WAIT, 9000, 40033, 1000, b);
	for (uint16_t i = 0; i < 3; i++)
		held(TL_CLOSE_WAIT, 9000, (uint16_t)(40040 + i), 100000, c);
	W->opts.close_wait_min = 3;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].pids[0], 322);
	tl_diag_young(&W->snap, &W->ctr, &W->opts, &y);
	assert_int_equal(y.close_wait_few, 3);
	assert_int_equal(y.close_wait_few_holders, 2);
	/*
	 * Held by no process seen, grouped as the rule groups them: a
	 * server's by its port (2 on :9200, 1 on :9201), none at 3.
	 */
	sock(TL_LISTEN, 9200, 0);
	sock(TL_LISTEN, 9201, 0);
	for (uint16_t i = 0; i < 3; i++) {
		struct tl_sock *sk = sock(TL_CLOSE_WAIT, i < 2 ? 9200 : 9201,
					  (uint16_t)(40060 + i));

		sk->has = TL_HAS_INFO;
		sk->last_ack_recv_ms = 100000;
		sk->inode = W->next_inode++;
	}
	assert_int_equal(diagnose(), 1);
	tl_diag_young(&W->snap, &W->ctr, &W->opts, &y);
	assert_int_equal(y.close_wait_few, 6);
	assert_int_equal(y.close_wait_few_holders, 4);
	/* At the default of 1, nothing is held back by count. */
	W->opts.close_wait_min = 1;
	tl_diag_young(&W->snap, &W->ctr, &W->opts, &y);
	assert_int_equal(y.close_wait_few, 0);
	assert_int_equal(y.close_wait_few_holders, 0);
}

static void test_time_wait_pressure(void **state)
{
	uint32_t cli = proc(400, "hammer", 10, 1024);

	(void)state;
	W->ctr.port_lo = 1000;
	W->ctr.port_hi = 1099;
	for (int i = 0; i < 60; i++)
		sock(TL_TIME_WAIT, (uint16_t)(1000 + i), 80);
	held(TL_ESTABLISHED, 1060, 80, 1, cli);
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_TIME_WAIT_PRESSURE);
	assert_int_equal(W->f[0].severity, TL_SEV_WARNING);
	assert_int_equal(W->f[0].count, 61);
	assert_int_equal(W->f[0].value, 60);
	assert_int_equal(W->f[0].limit, 100);
	assert_int_equal(W->f[0].remote_port, 80);
	assert_int_equal(W->f[0].pids[0], 400);
	for (int i = 61; i < 95; i++)
		sock(TL_TIME_WAIT, (uint16_t)(1000 + i), 80);
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].severity, TL_SEV_CRITICAL);
}

static void test_time_wait_spread_is_fine(void **state)
{
	(void)state;
	W->ctr.port_lo = 1000;
	W->ctr.port_hi = 1099;
	/* 90 ports, but to 3 destinations: 30 each. */
	for (int i = 0; i < 90; i++)
		sock(TL_TIME_WAIT, (uint16_t)(1000 + i),
		     (uint16_t)(80 + i % 3));
	assert_int_equal(diagnose(), 0);
	/* Without the range there is nothing to compare with. */
	W->ctr.have &= ~(unsigned)TL_CTR_PORT_RANGE;
	assert_int_equal(diagnose(), 0);
}

static void test_orphans(void **state)
{
	(void)state;
	W->ctr.tcp_orphan = 70000;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_ORPHAN_PRESSURE);
	assert_int_equal(W->f[0].severity, TL_SEV_WARNING);
	assert_int_equal(W->f[0].n_pids, 0);
	W->ctr.tcp_orphan = 125000;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].severity, TL_SEV_CRITICAL);
	/* No counters, no host-wide rules. */
	free(W->f);
	W->f = NULL;
	assert_int_equal(tl_diagnose(&W->snap, NULL, &W->opts, &W->f), 0);
	assert_null(W->f);
}

static void test_syn_backlog(void **state)
{
	uint32_t srv = proc(100, "server", 5, 1024);

	(void)state;
	listener(443, 64, 0, srv);
	for (int i = 0; i < 40; i++)
		sock(TL_NEW_SYN_RECV, 443, (uint16_t)(50000 + i));
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_SYN_BACKLOG);
	assert_int_equal(W->f[0].severity, TL_SEV_WARNING);
	assert_int_equal(W->f[0].count, 40);
	assert_int_equal(W->f[0].limit, 64);
	assert_int_equal(W->f[0].pids[0], 100);
	assert_int_equal(W->f[0].sock, 1);
	assert_int_equal(W->f[0].example, 0);
	assert_int_equal(W->f[0].local_port, 443);
	for (int i = 40; i < 64; i++)
		sock(TL_NEW_SYN_RECV, 443, (uint16_t)(50000 + i));
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].severity, TL_SEV_CRITICAL);
}

/*
 * SO_REUSEPORT listeners with accept queues share their connections, but
 * not their SYN queues: the half-open ones count once, for one listener,
 * not once for each.
 */
static void test_reuseport_syn_once(void **state)
{
	uint32_t a = proc(100, "a", 5, 1024), b = proc(101, "b", 5, 1024);

	(void)state;
	listener(443, 64, 1, a);
	listener(443, 64, 1, b);
	queued(443, TL_ESTABLISHED, 1);
	for (int i = 0; i < 40; i++)
		sock(TL_NEW_SYN_RECV, 443, (uint16_t)(50000 + i));
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_SYN_BACKLOG);
	assert_int_equal(W->f[0].count, 40);
}

static void test_few_half_open_is_fine(void **state)
{
	uint32_t srv = proc(100, "server", 5, 1024);

	(void)state;
	/* 4 of a backlog of 5 is most of it, but 4 is a handful. */
	listener(443, 5, 0, srv);
	for (int i = 0; i < 4; i++)
		sock(TL_NEW_SYN_RECV, 443, (uint16_t)(50000 + i));
	assert_int_equal(diagnose(), 0);
}

static void test_order(void **state)
{
	uint32_t a = proc(100, "warned", 5, 1024);
	uint32_t b = proc(200, "critical", 5, 1024);

	(void)state;
	/* pid 100: a warning (not accepting, queue still open). */
	listener(7000, 128, 1, a);
	queued(7000, TL_ESTABLISHED, 10000);
	/* pid 200: a critical (not accepting, clients gone) and a leak. */
	listener(7001, 128, 1, b);
	queued(7001, TL_CLOSE_WAIT, 10000);
	held(TL_CLOSE_WAIT, 7001, 45000, 60000, b);
	/* Host-wide warning. */
	W->ctr.tcp_orphan = 70000;
	assert_int_equal(diagnose(), 4);
	assert_int_equal(W->f[0].pids[0], 200);
	assert_int_equal(W->f[0].severity, TL_SEV_CRITICAL);
	assert_int_equal(W->f[1].pids[0], 200);
	assert_int_equal(W->f[1].kind, TL_FIND_CLOSE_WAIT_LEAK);
	assert_int_equal(W->f[2].pids[0], 100);
	assert_int_equal(W->f[3].kind, TL_FIND_ORPHAN_PRESSURE);
}

/*
 * The doctor merges namespaces: one pid's findings in two groups are two
 * groups, each with its own severity, and a group's findings stay together.
 */
static void test_sort_groups(void **state)
{
	struct tl_finding v[4];

	(void)state;
	memset(v, 0, sizeof(v));
	for (int i = 0; i < 4; i++) {
		v[i].n_pids = 1;
		v[i].pids[0] = 300;
		v[i].kind = TL_FIND_CLOSE_WAIT_LEAK;
		v[i].severity = TL_SEV_WARNING;
		v[i].group = (uint32_t)(i % 2);
	}
	/* Group 1 has a critical: all of group 1 comes first. */
	v[3].severity = TL_SEV_CRITICAL;
	v[3].kind = TL_FIND_NOT_ACCEPTING;
	assert_int_equal(tl_findings_sort(v, 4), 0);
	assert_int_equal(v[0].group, 1);
	assert_int_equal(v[0].severity, TL_SEV_CRITICAL);
	assert_int_equal(v[1].group, 1);
	assert_int_equal(v[1].severity, TL_SEV_WARNING);
	assert_int_equal(v[2].group, 0);
	assert_int_equal(v[3].group, 0);
	assert_int_equal(tl_findings_sort(v, 0), 0);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tl_finding_kind_name(TL_FIND_NOT_ACCEPTING),
			    "not-accepting");
	assert_string_equal(tl_finding_kind_name(TL_FIND_SYN_BACKLOG),
			    "syn-backlog");
	assert_null(tl_finding_kind_name(TL_FIND_KIND_MAX));
	assert_string_equal(tl_severity_name(TL_SEV_CRITICAL), "critical");
	assert_null(tl_severity_name(TL_SEV_NONE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_close_wait_leak),
		T(test_close_wait_inherited),
		T(test_close_wait_unknown_owner),
		T(test_close_wait_unknown_grouped),
		T(test_fin_wait2),
		T(test_close_wait_min_is_close_wait),
		T(test_close_wait_min_told),
		T(test_close_wait_keepalive),
		T(test_time_wait_pressure),
		T(test_time_wait_spread_is_fine),
		T(test_orphans),
		T(test_syn_backlog),
		T(test_reuseport_syn_once),
		T(test_few_half_open_is_fine),
		T(test_order),
		T(test_sort_groups),
		T(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
