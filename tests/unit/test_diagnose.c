// SPDX-License-Identifier: MIT
/*
 * Tests for lib/diagnose.c and lib/rules_listen.c: findings on snapshots
 * built by hand (test_diagnose.h), classified with tl_snapshot_classify()
 * as a real snapshot would be: listeners not accepting or overflowing,
 * processes out of fds. Each rule is shown to fire on its case, to stay
 * quiet on healthy traffic, and to follow its threshold. Held states and
 * host-wide pressure are in test_diagnose_held.c, a listener's past and
 * present drops in test_diagnose_drops.c. */
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

static void test_post_not_accepting(void **state)
{
	uint32_t srv = proc(100, "server", 5, 1024);
	struct tl_sock *child;

	(void)state;
	listener(7777, 128, 1, srv);
	child = queued(7777, TL_ESTABLISHED, 10000);
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_NOT_ACCEPTING);
	assert_int_equal(W->f[0].severity, TL_SEV_WARNING);
	assert_int_equal(W->f[0].n_pids, 1);
	assert_int_equal(W->f[0].pids[0], 100);
	assert_string_equal(W->f[0].comm, "server");
	assert_int_equal(W->f[0].local_port, 7777);
	assert_int_equal(W->f[0].count, 1);
	assert_true(W->f[0].has_age);
	assert_int_equal(W->f[0].oldest_ms, 10000);
	/* Evidence: the listener and the queued socket, by index + 1. */
	assert_int_equal(W->f[0].sock, 1);
	assert_int_equal(W->f[0].example, child - W->socks + 1);
	assert_non_null(strstr(W->f[0].explanation, "accept queue"));
	assert_non_null(W->f[0].remedy);
	assert_int_equal(W->f[0].state, TL_ESTABLISHED);

	/* The client wrote, closed and left: CLOSE_WAIT in the queue. */
	child->state = TL_CLOSE_WAIT;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_NOT_ACCEPTING);
	assert_int_equal(W->f[0].severity, TL_SEV_CRITICAL);
	assert_int_equal(W->f[0].state, TL_CLOSE_WAIT);
	assert_non_null(strstr(W->f[0].summary,
			       "1 queued, for 10 s, already closed "
			       "by the client (CLOSE-WAIT)"));
	/* How many of them: all, or some. */
	queued(7777, TL_CLOSE_WAIT, 9000);
	W->socks[0].rqueue = 2;
	assert_int_equal(diagnose(), 1);
	assert_non_null(strstr(W->f[0].summary,
			       "2 queued, the oldest for 10 s, all already "
			       "closed by their clients (CLOSE-WAIT)"));
	queued(7777, TL_ESTABLISHED, 9000);
	W->socks[0].rqueue = 3;
	assert_int_equal(diagnose(), 1);
	assert_non_null(strstr(W->f[0].summary,
			       "3 queued, the oldest for 10 s, 2 of them "
			       "already closed by their clients (CLOSE-WAIT)"));
	/* Some in each state: ESTABLISHED, where a queued one starts. */
	assert_int_equal(W->f[0].state, TL_ESTABLISHED);
	/* Under 10 s a tenth is told, under a tenth milliseconds: with
	 * --queue-age 50ms a queue 0.7 s old is not "for 0 s". */
	W->opts.queue_age_ms = 50;
	W->n = 2;
	W->socks[0].rqueue = 1;
	child->state = TL_CLOSE_WAIT;
	child->last_data_sent_ms = child->last_ack_recv_ms = 700;
	assert_int_equal(diagnose(), 1);
	assert_non_null(strstr(W->f[0].summary, "1 queued, for 0.7 s,"));
	child->last_data_sent_ms = child->last_ack_recv_ms = 2000;
	assert_int_equal(diagnose(), 1);
	assert_non_null(strstr(W->f[0].summary, "1 queued, for 2 s,"));
	child->last_data_sent_ms = child->last_ack_recv_ms = 60;
	assert_int_equal(diagnose(), 1);
	assert_non_null(strstr(W->f[0].summary, "1 queued, for 60 ms,"));
	/*
	 * Its client, here, still holds its socket in FIN-WAIT-2: it only
	 * shut down its sending side and waits. Live: a warning, told so.
	 */
	{
		struct tl_sock *peer = sock(TL_FIN_WAIT2, child->dport, 7777);

		peer->inode = 555;
		assert_int_equal(diagnose(), 1);
		assert_int_equal(W->f[0].severity, TL_SEV_WARNING);
		assert_non_null(
			strstr(W->f[0].summary,
			       "1 queued, for 60 ms, half-closed only "
			       "(CLOSE-WAIT: its client shut down its "
			       "sending side and waits for the answer)"));
		assert_null(strstr(W->f[0].summary, "already closed"));
		/* Its socket closed (no inode): gone, critical. */
		peer->inode = 0;
		assert_int_equal(diagnose(), 1);
		assert_int_equal(W->f[0].severity, TL_SEV_CRITICAL);
	}
}

/*
 * SO_REUSEPORT: three listeners share a port. With one queue, its
 * connections are that listener's alone and the busy one is not named.
 * With two, each stuck one is named with its own Recv-Q, and the shared
 * connections are told as shared.
 */
static void test_reuseport_not_accepting(void **state)
{
	uint32_t busy = proc(100, "busy", 5, 1024);
	uint32_t stuck = proc(101, "stuck", 5, 1024);
	uint32_t stuck2 = proc(102, "stuck2", 5, 1024);
	struct tl_sock *l2;

	(void)state;
	listener(7777, 128, 0, busy);
	listener(7777, 128, 3, stuck);
	l2 = listener(7777, 128, 0, stuck2);
	for (int i = 0; i < 3; i++)
		queued(7777, TL_CLOSE_WAIT, 10000 + (uint32_t)i);
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_NOT_ACCEPTING);
	assert_int_equal(W->f[0].pids[0], 101);
	assert_int_equal(W->f[0].count, 3);
	assert_null(strstr(W->f[0].summary, "SO_REUSEPORT"));

	l2->rqueue = 1;
	assert_int_equal(diagnose(), 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(W->f[i].kind, TL_FIND_NOT_ACCEPTING);
		assert_int_not_equal(W->f[i].pids[0], 100);
		assert_int_equal(W->f[i].count, W->f[i].pids[0] == 101 ? 3 : 1);
		assert_int_equal(W->f[i].oldest_ms, 10002);
		assert_non_null(strstr(W->f[i].summary,
				       "it and 1 other SO_REUSEPORT listener "
				       "on the port hold 3 between them"));
	}
}

/*
 * One process's two SO_REUSEPORT listeners (BIND: one a thread), both
 * with a queue: one finding that counts the group's connections, not the
 * queue of whichever listener the dump gave first.
 */
static void test_reuseport_one_process(void **state)
{
	uint32_t named = proc(101, "named", 5, 1024);

	(void)state;
	listener(5353, 10, 1, named);
	listener(5353, 10, 5, named);
	for (int i = 0; i < 6; i++)
		queued(5353, TL_CLOSE_WAIT, 10000 + (uint32_t)i);
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_NOT_ACCEPTING);
	assert_int_equal(W->f[0].pids[0], 101);
	assert_int_equal(W->f[0].count, 6);
	assert_int_equal(W->f[0].value, 6);
	assert_non_null(strstr(W->f[0].summary,
			       "6 queued in its 2 SO_REUSEPORT listeners on "
			       "the port, the oldest for"));
}

static void test_short_queueing_is_normal(void **state)
{
	uint32_t srv = proc(100, "server", 5, 1024);

	(void)state;
	listener(80, 128, 3, srv);
	queued(80, TL_ESTABLISHED, 3);
	queued(80, TL_ESTABLISHED, 200);
	queued(80, TL_CLOSE_WAIT, 1000);
	assert_int_equal(diagnose(), 0);
	/* The threshold is the user's. */
	W->opts.queue_age_ms = 500;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_NOT_ACCEPTING);
	assert_int_equal(W->f[0].count, 3);
	assert_int_equal(W->f[0].oldest_ms, 1000);
}

/*
 * What the age thresholds hold back: from a tenth of the threshold up to
 * it, each edge on its side; what reaches the threshold is a finding.
 */
static void test_young(void **state)
{
	uint32_t srv = proc(100, "server", 9, 1024);
	struct tl_diag_young y;

	(void)state;
	listener(80, 128, 4, srv);
	queued(80, TL_ESTABLISHED, 3);
	queued(80, TL_ESTABLISHED, 499);
	queued(80, TL_ESTABLISHED, 500);
	queued(80, TL_CLOSE_WAIT, 4999);
	/* A queue with one past the age is a finding, young ones and all. */
	listener(81, 128, 2, srv);
	queued(81, TL_ESTABLISHED, 5000);
	queued(81, TL_ESTABLISHED, 4000);
	held(TL_CLOSE_WAIT, 80, 50000, 2999, srv);
	held(TL_CLOSE_WAIT, 80, 50001, 3000, srv);
	held(TL_CLOSE_WAIT, 80, 50002, 29999, srv);
	held(TL_CLOSE_WAIT, 80, 50003, 30000, srv);
	held(TL_FIN_WAIT2, 41000, 443, 5999, srv);
	held(TL_FIN_WAIT2, 41001, 443, 6000, srv);
	held(TL_FIN_WAIT2, 41002, 443, 59999, srv);
	held(TL_FIN_WAIT2, 41003, 443, 60000, srv);
	assert_int_equal(diagnose(), 3);
	tl_diag_young(&W->snap, &W->ctr, &W->opts, &y);
	assert_int_equal(y.queued, 2);
	assert_int_equal(y.queued_oldest_ms, 4999);
	assert_int_equal(y.close_wait, 2);
	assert_int_equal(y.close_wait_oldest_ms, 29999);
	assert_int_equal(y.fin_wait2, 2);
	assert_int_equal(y.fin_wait2_oldest_ms, 59999);
	/* The thresholds are the user's. */
	W->opts.queue_age_ms = 100000;
	W->opts.close_wait_age_ms = 1000;
	W->opts.fin_wait2_age_ms = 1000;
	tl_diag_young(&W->snap, &W->ctr, &W->opts, &y);
	assert_int_equal(y.queued, 0);
	assert_int_equal(y.close_wait, 0);
	assert_int_equal(y.fin_wait2, 0);
}

/*
 * A full queue is accept-queue-overflow at any age: its connections are
 * not also counted as not yet a finding.
 */
static void test_young_full_queue(void **state)
{
	uint32_t srv = proc(100, "server", 9, 1024);
	struct tl_diag_young y;

	(void)state;
	listener(80, 1, 2, srv);
	queued(80, TL_ESTABLISHED, 3000);
	queued(80, TL_ESTABLISHED, 3000);
	listener(81, 128, 1, srv);
	queued(81, TL_ESTABLISHED, 3000);
	W->opts.queue_age_ms = 10000;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_ACCEPT_QUEUE_OVERFLOW);
	tl_diag_young(&W->snap, &W->ctr, &W->opts, &y);
	assert_int_equal(y.queued, 1);
}

static void test_healthy_busy(void **state)
{
	uint32_t srv = proc(100, "server", 600, 1024);
	uint32_t cli = proc(200, "client", 600, 1024);

	(void)state;
	listener(8080, 4096, 0, srv);
	/* 500 long connections, both ends in this namespace. */
	for (int i = 0; i < 500; i++) {
		held(TL_ESTABLISHED, 8080, (uint16_t)(33000 + i), 50, srv);
		held(TL_ESTABLISHED, (uint16_t)(33000 + i), 8080, 50, cli);
	}
	/* Short ones, closed by the client: TIME_WAIT on its side. */
	for (int i = 0; i < 2000; i++)
		sock(TL_TIME_WAIT, (uint16_t)(40000 + i), 8080);
	/* A few just closed by the peer, the server about to close. */
	held(TL_CLOSE_WAIT, 8080, 50000, 20, srv);
	held(TL_LAST_ACK, 8080, 50001, 1, srv);
	/* And a connection in the queue for a millisecond. */
	queued(8080, TL_ESTABLISHED, 1);
	W->ctr.tcp_orphan = 10;
	assert_int_equal(diagnose(), 0);
}

static void test_queue_overflow(void **state)
{
	uint32_t srv = proc(100, "server", 5, 1024);

	(void)state;
	listener(80, 4, 5, srv);
	for (int i = 0; i < 3; i++)
		queued(80, TL_ESTABLISHED, 100);
	/* Two whose clients have gone: drain could free those slots. */
	for (int i = 0; i < 2; i++)
		queued(80, TL_CLOSE_WAIT, 100);
	W->ctr.listen_overflows = 12;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_ACCEPT_QUEUE_OVERFLOW);
	assert_int_equal(W->f[0].severity, TL_SEV_CRITICAL);
	assert_int_equal(W->f[0].pids[0], 100);
	assert_int_equal(W->f[0].count, 5);
	assert_int_equal(W->f[0].limit, 4);
	assert_int_equal(W->f[0].value, 0);
	assert_int_equal(W->f[0].sock, 1);
	assert_int_equal(W->f[0].local_port, 80);
	assert_non_null(
		strstr(W->f[0].summary,
		       "is full: 5 connections for a backlog of 4, 2 of "
		       "them already closed by their clients "
		       "(CLOSE-WAIT); new SYNs"));
	assert_non_null(
		strstr(W->f[0].summary,
		       "(counted in TcpExt ListenOverflows: 12 so far in this "
		       "network namespace)"));
}

/* listen(fd, 0) holds one connection: "1 connection", not "1 connections". */
static void test_queue_overflow_one(void **state)
{
	uint32_t srv = proc(100, "server", 5, 1024);

	(void)state;
	listener(80, 0, 1, srv);
	queued(80, TL_ESTABLISHED, 100);
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_ACCEPT_QUEUE_OVERFLOW);
	assert_non_null(strstr(W->f[0].summary,
			       "is full: 1 connection for a backlog of 0;"));
	/* No overflow counted: none is spoken of. */
	assert_null(strstr(W->f[0].summary, "ListenOverflows"));
}

static void test_emfile_with_queue(void **state)
{
	uint32_t srv = proc(100, "server", 1024, 1024);

	(void)state;
	listener(80, 128, 2, srv);
	queued(80, TL_ESTABLISHED, 20000);
	queued(80, TL_CLOSE_WAIT, 30000);
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_FD_EXHAUSTION);
	assert_int_equal(W->f[0].severity, TL_SEV_CRITICAL);
	assert_int_equal(W->f[0].pids[0], 100);
	/* The process at its limit and the listener's holder are one. */
	assert_int_equal(W->f[0].n_pids, 1);
	assert_int_equal(W->f[0].sock, 1);
	assert_int_equal(W->f[0].example, 3);
	assert_int_equal(W->f[0].local_port, 80);
	assert_int_equal(W->f[0].count, 2);
	assert_int_equal(W->f[0].value, 1024);
	assert_int_equal(W->f[0].limit, 1024);
	assert_int_equal(W->f[0].oldest_ms, 30000);
	assert_non_null(strstr(W->f[0].summary, "EMFILE"));
	assert_null(strstr(W->f[0].summary, "backlog"));
}

/*
 * memcached at its fd limit calls listen(fd, 0): clients then meet
 * dropped handshakes, and the summary says why the backlog is 0.
 */
static void test_emfile_backlog_zero(void **state)
{
	uint32_t srv = proc(100, "memcached", 23, 23);

	(void)state;
	listener(11211, 0, 5, srv);
	for (int i = 0; i < 5; i++)
		queued(11211, TL_CLOSE_WAIT, 30000);
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_FD_EXHAUSTION);
	assert_non_null(strstr(
		W->f[0].summary,
		"5 connections wait in the queue of 127.0.0.1:11211, all already closed by their clients (CLOSE-WAIT); its backlog is 0 (listen() with 0, as memcached calls it to stop taking connections): new handshakes are dropped while one waits"));
}

/*
 * nginx with one worker at its limit: the master (9 of 20000 fds) shares
 * the listener but is not the one failing accept(). Only the worker is
 * named, with its own numbers.
 */
static void test_emfile_worker_not_master(void **state)
{
	uint32_t master = proc(17179, "nginx", 9, 20000);
	uint32_t worker = proc(17182, "nginx", 65, 64);
	struct tl_sock *L;

	(void)state;
	parent(worker, master);
	L = listener(80, 511, 3, master);
	share(L, worker);
	queued(80, TL_ESTABLISHED, 20000);
	queued(80, TL_ESTABLISHED, 10000);
	queued(80, TL_CLOSE_WAIT, 8000);
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_FD_EXHAUSTION);
	assert_int_equal(W->f[0].n_pids, 1);
	assert_int_equal(W->f[0].pids[0], 17182);
	assert_int_equal(W->f[0].value, 65);
	assert_int_equal(W->f[0].limit, 64);
	assert_non_null(strstr(
		W->f[0].summary,
		"pid 17182 (nginx) has 65 fds open, more than its limit of 64"));
	assert_null(strstr(W->f[0].summary, "17179"));
	assert_null(strstr(W->f[0].summary, "20000"));
	assert_non_null(strstr(W->f[0].summary, "one more process shares"));

	/* Two workers at their limit: each with its own numbers. */
	W->procs[master].nfds = 64;
	W->procs[master].nofile = 64;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].n_pids, 2);
	assert_non_null(strstr(
		W->f[0].summary,
		"pid 17179 (nginx) has 64 of 64 fds open, "
		"pid 17182 (nginx) has 65 fds open, more than its limit of 64"));
	assert_null(strstr(W->f[0].summary, "shares"));

	/*
	 * Near the limit, one fd free: accept() would take it, so the
	 * queue waits for another reason (WEBrick at its MaxClients). It
	 * is not-accepting, and the fd table a warning of its own.
	 */
	W->procs[master].nfds = 9;
	W->procs[master].nofile = 20000;
	W->procs[worker].nfds = 60;
	assert_int_equal(diagnose(), 2);
	for (int i = 0; i < 2; i++) {
		if (W->f[i].kind == TL_FIND_FD_EXHAUSTION) {
			assert_int_equal(W->f[i].severity, TL_SEV_WARNING);
			assert_null(strstr(W->f[i].summary, "EMFILE"));
		} else {
			assert_int_equal(W->f[i].kind, TL_FIND_NOT_ACCEPTING);
		}
	}
}

/* A master and its workers on one listener are one program. */
static void test_master_workers(void **state)
{
	uint32_t m = proc(15915, "nginx", 9, 1024);
	uint32_t w1 = proc(15918, "nginx", 20, 1024);
	uint32_t w2 = proc(15919, "nginx", 20, 1024);
	struct tl_sock *L;

	(void)state;
	parent(w1, m);
	parent(w2, m);
	L = listener(8080, 511, 1, m);
	share(L, w1);
	share(L, w2);
	queued(8080, TL_ESTABLISHED, 10000);
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_NOT_ACCEPTING);
	assert_int_equal(W->f[0].n_pids, 3);
	assert_non_null(strstr(
		W->f[0].summary,
		"nginx (master 15915, workers 15918, 15919) is not accepting"));

	/*
	 * A program not known to pre-fork: a parent and its children, not
	 * roles we would guess.
	 */
	for (uint32_t i = m; i <= w2; i++)
		snprintf(W->procs[i].comm, sizeof(W->procs[i].comm), "python3");
	assert_int_equal(diagnose(), 1);
	assert_non_null(strstr(W->f[0].summary,
			       "python3 (parent 15915, children 15918, "
			       "15919) is not accepting"));
	assert_null(strstr(W->f[0].summary, "master"));
	/* php-fpm8.2 is php-fpm, with its version after. */
	for (uint32_t i = m; i <= w2; i++)
		snprintf(W->procs[i].comm, sizeof(W->procs[i].comm),
			 "php-fpm8.2");
	assert_int_equal(diagnose(), 1);
	assert_non_null(
		strstr(W->f[0].summary, "php-fpm8.2 (master 15915, workers"));

	/* One worker: "worker", singular. */
	for (uint32_t i = m; i <= w2; i++)
		snprintf(W->procs[i].comm, sizeof(W->procs[i].comm), "nginx");
	W->refs[--W->n_refs].inode = 0;
	assert_int_equal(diagnose(), 1);
	assert_non_null(strstr(W->f[0].summary,
			       "nginx (master 15915, worker 15918) is not"));
	/* And one child, singular. */
	snprintf(W->procs[m].comm, sizeof(W->procs[m].comm), "ruby");
	snprintf(W->procs[w1].comm, sizeof(W->procs[w1].comm), "ruby");
	assert_int_equal(diagnose(), 1);
	assert_non_null(strstr(W->f[0].summary,
			       "ruby (parent 15915, child 15918) is not"));
	snprintf(W->procs[m].comm, sizeof(W->procs[m].comm), "nginx");
	snprintf(W->procs[w1].comm, sizeof(W->procs[w1].comm), "nginx");

	/* Unrelated processes sharing it: several, a plural verb. */
	W->procs[w1].ppid = 1;
	assert_int_equal(diagnose(), 1);
	assert_non_null(strstr(W->f[0].summary,
			       "pids 15915, 15918 (nginx) are not accepting"));
	/*
	 * Of different programs, a chain (NSD's xfrd, main and server):
	 * each pid with its own name, none with another's.
	 */
	snprintf(W->procs[w1].comm, sizeof(W->procs[w1].comm), "nsd: main");
	assert_int_equal(diagnose(), 1);
	assert_non_null(strstr(W->f[0].summary,
			       "pids 15915 (nginx), 15918 (nsd: main) are "
			       "not accepting"));
}

/*
 * inetd's "wait" service: the server it started (sleep) holds the
 * listener with it, and after pids wrapped has the lower pid. Told by the
 * master all the same, the worker's program named apart.
 */
static void test_master_lower_pid_worker(void **state)
{
	uint32_t w = proc(8625, "sleep", 4, 1024);
	uint32_t m = proc(17099, "inetd", 9, 1024);
	struct tl_sock *L;

	(void)state;
	parent(w, m);
	L = listener(7011, 64, 1, w);
	share(L, m);
	queued(7011, TL_ESTABLISHED, 10000);
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].pids[0], 17099);
	assert_int_equal(W->f[0].pids[1], 8625);
	assert_string_equal(W->f[0].comm, "inetd");
	assert_non_null(
		strstr(W->f[0].summary,
		       "inetd (parent 17099) with sleep (child 8625) is not"));
}

/*
 * A graceful restart: the master holds the listener alone, its old
 * children hold their connections on the port but have let go of it.
 */
static void test_lost_children(void **state)
{
	uint32_t m = proc(11136, "apache2", 9, 1024);
	uint32_t c1 = proc(11137, "apache2", 20, 1024);
	uint32_t c2 = proc(11138, "apache2", 20, 1024);
	uint32_t other = proc(11139, "logger", 20, 1024);

	(void)state;
	parent(c1, m);
	parent(c2, m);
	parent(other, m);
	listener(8080, 511, 2, m);
	queued(8080, TL_ESTABLISHED, 10000);
	queued(8080, TL_CLOSE_WAIT, 10000);
	for (int i = 0; i < 3; i++) {
		held(TL_ESTABLISHED, 8080, (uint16_t)(41000 + i), 10, c1);
		held(TL_ESTABLISHED, 8080, (uint16_t)(42000 + i), 10, c2);
	}
	/* Not the program (another comm), or another port: not counted. */
	held(TL_ESTABLISHED, 8080, 43000, 10, other);
	held(TL_ESTABLISHED, 9090, 43001, 10, c1);
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_NOT_ACCEPTING);
	assert_int_equal(W->f[0].n_pids, 1);
	assert_non_null(strstr(W->f[0].summary,
			       "; its children 11137, 11138 hold 6 of its "
			       "connections but not the listener: none of "
			       "them accepts on it"));
	/* A child that holds the listener too is one of its holders. */
	share(&W->socks[0], c1);
	assert_int_equal(diagnose(), 1);
	assert_non_null(strstr(W->f[0].summary,
			       "; its child 11138 holds 3 of its connections"));
}

static void test_fd_near_limit(void **state)
{
	uint32_t a = proc(100, "near", 950, 1024);
	uint32_t b = proc(200, "elsewhere", 1024, 1024);
	uint32_t c = proc(300, "unlimited", 100000, UINT64_MAX);

	(void)state;
	held(TL_ESTABLISHED, 33000, 80, 10, a);
	held(TL_ESTABLISHED, 33001, 80, 10, c);
	/* b holds no socket here: another namespace's business. */
	(void)b;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_FD_EXHAUSTION);
	assert_int_equal(W->f[0].severity, TL_SEV_WARNING);
	assert_int_equal(W->f[0].pids[0], 100);
	W->procs[a].nfds = 1024;
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].severity, TL_SEV_CRITICAL);
	/* Unreadable fd directories tell nothing. */
	W->procs[a].fd_error = -EACCES;
	assert_int_equal(diagnose(), 0);
}

/* Ages as the findings and the doctor's notes write them. */
static void test_age_str(void **state)
{
	char buf[TL_AGE_STR_MAX];

	(void)state;
	assert_string_equal(tl_age_str(buf, 0), "0 ms");
	assert_string_equal(tl_age_str(buf, 99), "99 ms");
	assert_string_equal(tl_age_str(buf, 100), "0.1 s");
	assert_string_equal(tl_age_str(buf, 700), "0.7 s");
	assert_string_equal(tl_age_str(buf, 2599), "2.5 s");
	assert_string_equal(tl_age_str(buf, 5000), "5 s");
	assert_string_equal(tl_age_str(buf, 9999), "9.9 s");
	assert_string_equal(tl_age_str(buf, 10999), "10 s");
	assert_string_equal(tl_age_str(buf, UINT64_MAX), "18446744073709551 s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_post_not_accepting),
		T(test_reuseport_not_accepting),
		T(test_reuseport_one_process),
		T(test_short_queueing_is_normal),
		T(test_young),
		T(test_young_full_queue),
		T(test_healthy_busy),
		T(test_queue_overflow),
		T(test_queue_overflow_one),
		T(test_lost_children),
		T(test_emfile_with_queue),
		T(test_emfile_backlog_zero),
		T(test_emfile_worker_not_master),
		T(test_master_workers),
		T(test_fd_near_limit),
		T(test_master_lower_pid_worker),
		T(test_age_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
