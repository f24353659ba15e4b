// SPDX-License-Identifier: MIT
/*
 * Tests for close-wait-leak's side (lib/rules_held.c): CLOSE-WAIT sockets
 * a program opened itself are a client's, named by the server they lead
 * to and given a client's remedy; those it accepted keep the server's
 * words; a mix says both. Snapshots are built by hand and classified as a
 * real one would be.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

/* The world's sizes, before test_world.h. */
#define MAX_SOCKS 64
#define MAX_PROCS 4
#include "test_world.h"

static int setup(void **state)
{
	if (world_new() < 0)
		return -1;
	W->opts.close_wait_age_ms = 2000;
	W->ctr.have = TL_CTR_PORT_RANGE;
	W->ctr.port_lo = 32768;
	W->ctr.port_hi = 60999;
	*state = W;
	return 0;
}

static uint32_t proc(pid_t pid, const char *comm)
{
	struct tl_proc *p = &W->procs[W->n_procs];

	assert_true(W->n_procs < MAX_PROCS);
	p->pid = pid;
	p->nfds = 10;
	p->nofile = 1024;
	p->nofile_hard = 1024;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	return (uint32_t)W->n_procs++;
}

/* A socket from 127.0.0.1:sport to dst:dport, held by process index p. */
static struct tl_sock *sock(int state, uint16_t sport, const char *dst,
			    uint16_t dport, uint32_t p)
{
	struct tl_sock *sk = &W->socks[W->n];

	assert_true(W->n < MAX_SOCKS);
	memset(sk, 0, sizeof(*sk));
	sk->family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", sk->src);
	inet_pton(AF_INET, dst, sk->dst);
	sk->state = (uint8_t)state;
	sk->sport = sport;
	sk->dport = dport;
	sk->inode = W->next_inode++;
	W->refs[W->n_refs].inode = sk->inode;
	W->refs[W->n_refs].proc = p;
	W->refs[W->n_refs].fd = (int32_t)(3 + W->n_refs);
	W->n_refs++;
	W->n++;
	return sk;
}

/* A CLOSE-WAIT 5 s old, with rqueue bytes unread (the FIN is one). */
static struct tl_sock *closed(uint16_t sport, const char *dst, uint16_t dport,
			      uint32_t rqueue, uint32_t p)
{
	struct tl_sock *sk = sock(TL_CLOSE_WAIT, sport, dst, dport, p);

	sk->has = TL_HAS_INFO;
	sk->last_ack_recv_ms = 5000;
	sk->last_data_sent_ms = 5000;
	sk->rqueue = rqueue;
	sk->bytes_received = rqueue; /* the FIN's byte too: none read */
	return sk;
}

/* Whether a finding says anything a server's would. */
static void assert_no_server_words(const struct tl_finding *f)
{
	assert_null(strstr(f->summary, "client"));
	assert_null(strstr(f->summary, "served"));
	assert_null(strstr(f->remedy, "accepted"));
	assert_null(strstr(f->remedy, "cluster"));
}

/*
 * QA's case: socat (fork) answered "bye" and closed; a python client
 * connected three times and never read or closed. The finding is the
 * client's, named by the service, not by its own ephemeral port.
 */
static void test_client_close_wait(void **state)
{
	uint32_t socat = proc(100, "socat");
	uint32_t py = proc(200, "python3");
	struct tl_sock *l;

	(void)state;
	l = sock(TL_LISTEN, 18095, "0.0.0.0", 0, socat);
	inet_pton(AF_INET, "127.0.0.1", l->src);
	closed(50090, "127.0.0.1", 18095, 5, py);
	closed(50091, "127.0.0.1", 18095, 5, py);
	closed(50092, "127.0.0.1", 18095, 5, py);
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].kind, TL_FIND_CLOSE_WAIT_LEAK);
	assert_int_equal(W->f[0].pids[0], 200);
	assert_int_equal(W->f[0].count, 3);
	assert_int_equal(W->f[0].unread, 3);
	assert_int_equal(W->f[0].local_port, 0);
	assert_int_equal(W->f[0].remote_port, 18095);
	assert_non_null(strstr(
		W->f[0].summary,
		"holds 3 connections to 127.0.0.1:18095 that the server closed more than 2 s ago"));
	assert_non_null(
		strstr(W->f[0].summary,
		       "nor read what the server sent (Recv-Q up to 5)"));
	assert_null(strstr(W->f[0].summary, "50092"));
	assert_non_null(strstr(W->f[0].remedy, "opened these connections"));
	assert_non_null(strstr(W->f[0].remedy, "pool"));
	assert_no_server_words(&W->f[0]);
}

/* One connection: singular words. */
static void test_client_close_wait_one(void **state)
{
	uint32_t py = proc(200, "python3");

	(void)state;
	closed(50090, "10.0.0.7", 11211, 5, py);
	assert_int_equal(diagnose(), 1);
	assert_non_null(strstr(
		W->f[0].summary,
		"holds 1 connection to 10.0.0.7:11211 that the server closed"));
	assert_non_null(strstr(W->f[0].summary, "(CLOSE-WAIT, for "));
	assert_non_null(strstr(W->f[0].summary,
			       "nor read what the server sent (Recv-Q 5)"));
	assert_no_server_words(&W->f[0]);
}

/* A pool to several servers names one as an example. */
static void test_client_close_wait_servers(void **state)
{
	uint32_t py = proc(200, "pooler");

	(void)state;
	closed(50090, "10.0.0.7", 5432, 1, py);
	closed(50091, "10.0.0.8", 5432, 1, py);
	assert_int_equal(diagnose(), 1);
	assert_non_null(
		strstr(W->f[0].summary,
		       "holds 2 connections to servers that closed them"));
	assert_non_null(strstr(W->f[0].summary, "e.g. the one to 10.0.0."));
	assert_non_null(strstr(W->f[0].remedy, "opened these connections"));
	assert_no_server_words(&W->f[0]);
}

/* A server's accepted connections keep the server's words. */
static void test_server_close_wait_unchanged(void **state)
{
	uint32_t srv = proc(300, "srv");

	(void)state;
	sock(TL_LISTEN, 8080, "0.0.0.0", 0, srv);
	closed(8080, "127.0.0.1", 50100, 80, srv);
	closed(8080, "127.0.0.1", 50101, 80, srv);
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].local_port, 8080);
	assert_int_equal(W->f[0].remote_port, 0);
	assert_non_null(strstr(W->f[0].summary,
			       "nor read what their clients sent (Recv-Q up to "
			       "80): taken, never served"));
	assert_non_null(strstr(W->f[0].remedy, "accepted but never served"));
	assert_int_equal(W->f[0].unread, 2);
}

/*
 * A worker that read most of a request (php-fpm: all but the last, empty
 * record) and works on it: not "never served".
 */
static void test_server_close_wait_part_read(void **state)
{
	uint32_t srv = proc(300, "srv");

	(void)state;
	sock(TL_LISTEN, 9001, "0.0.0.0", 0, srv);
	closed(9001, "127.0.0.1", 50100, 9, srv)->bytes_received = 140;
	assert_int_equal(diagnose(), 1);
	assert_non_null(strstr(W->f[0].summary,
			       "nor read the last of what its client sent "
			       "(Recv-Q 9)"));
	assert_null(strstr(W->f[0].summary, "never served"));
	assert_null(strstr(W->f[0].remedy, "never served"));
	assert_int_equal(W->f[0].unread, 0);
}

/*
 * A server whose listener was closed still holds its connections on its
 * service's port, outside the ephemeral range: still a server's.
 */
static void test_server_without_listener(void **state)
{
	uint32_t srv = proc(300, "srv");

	(void)state;
	closed(9000, "127.0.0.1", 50100, 1, srv);
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].local_port, 9000);
	assert_non_null(
		strstr(W->f[0].summary, "1 connection its peer closed"));
	/* One is no oldest of several, nor an example. */
	assert_non_null(strstr(W->f[0].summary,
			       "(CLOSE-WAIT, for 5 s, with 127.0.0.1:50100)"));
	closed(9000, "127.0.0.1", 50101, 1, srv);
	assert_int_equal(diagnose(), 1);
	assert_non_null(
		strstr(W->f[0].summary, "2 connections their peers closed"));
	assert_non_null(strstr(W->f[0].summary,
			       "(CLOSE-WAIT, oldest 5 s, e.g. the one with "));
}

/* A proxy holds both kinds: the finding counts each, in its own words. */
static void test_mixed_close_wait(void **state)
{
	uint32_t px = proc(400, "proxy");

	(void)state;
	sock(TL_LISTEN, 8080, "0.0.0.0", 0, px);
	closed(8080, "127.0.0.1", 50100, 1, px);
	closed(8080, "127.0.0.1", 50101, 1, px);
	closed(50200, "10.0.0.9", 80, 1, px);
	assert_int_equal(diagnose(), 1);
	assert_int_equal(W->f[0].count, 3);
	assert_int_equal(W->f[0].local_port, 8080);
	assert_non_null(strstr(
		W->f[0].summary,
		"holds 3 connections their peers closed more than 2 s ago"));
	assert_non_null(strstr(W->f[0].summary,
			       "2 accepted from clients (e.g. the one with "
			       "127.0.0.1:5010"));
	assert_non_null(strstr(W->f[0].summary, "1 opened to 10.0.0.9:80;"));
	/* Neither side's own remedy: the general one covers both. */
	assert_null(strstr(W->f[0].remedy, "never served"));
	assert_null(strstr(W->f[0].remedy, "opened these connections"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_client_close_wait, setup,
						world_teardown),
		cmocka_unit_test_setup_teardown(test_client_close_wait_one,
						setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_client_close_wait_servers,
						setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_server_close_wait_part_read,
						setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_server_close_wait_unchanged,
						setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_server_without_listener,
						setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_mixed_close_wait, setup,
						world_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
