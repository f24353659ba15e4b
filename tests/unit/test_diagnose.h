/* SPDX-License-Identifier: MIT */
/*
 * The doctor's rules' tests' world (test_world.h) with this machine's
 * usual limits, and the builders of its sockets and processes: shared by
 * test_diagnose.c (listeners and fds) and test_diagnose_held.c (held
 * states, host pressure, the order of findings).
 */
#ifndef TL_TEST_DIAGNOSE_H
#define TL_TEST_DIAGNOSE_H

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* The world's sizes, before test_world.h. */
#define MAX_SOCKS 4096
#define MAX_PROCS 8
#include "test_world.h"

static inline int setup(void **state)
{
	if (world_new() < 0)
		return -1;
	/* This machine's usual limits. */
	W->ctr.have = TL_CTR_PORT_RANGE | TL_CTR_MAX_ORPHANS | TL_CTR_SOCKSTAT |
		      TL_CTR_NETSTAT | TL_CTR_MAX_SYN_BACKLOG | TL_CTR_MAX_TW;
	W->ctr.port_lo = 32768;
	W->ctr.port_hi = 60999;
	W->ctr.max_orphans = 131072;
	W->ctr.max_syn_backlog = 2048;
	W->ctr.max_tw_buckets = 131072;
	*state = W;
	return 0;
}

/* A process with nfds of nofile fds open. Returns its index. */
static inline uint32_t proc(pid_t pid, const char *comm, uint32_t nfds,
			    uint64_t nofile)
{
	struct tl_proc *p = &W->procs[W->n_procs];

	assert_true(W->n_procs < MAX_PROCS);
	p->pid = pid;
	p->nfds = nfds;
	p->nofile = nofile;
	p->nofile_hard = nofile;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	return (uint32_t)W->n_procs++;
}

static inline struct tl_sock *sock(int state, uint16_t sport, uint16_t dport)
{
	struct tl_sock *sk = &W->socks[W->n];

	assert_true(W->n < MAX_SOCKS);
	memset(sk, 0, sizeof(*sk));
	sk->family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", sk->src);
	inet_pton(AF_INET, "127.0.0.1", sk->dst);
	sk->state = (uint8_t)state;
	sk->sport = sport;
	sk->dport = dport;
	W->n++;
	return sk;
}

/* Gives sk an inode held by process index p. */
static inline void hold(struct tl_sock *sk, uint32_t p)
{
	sk->inode = W->next_inode++;
	W->refs[W->n_refs].inode = sk->inode;
	W->refs[W->n_refs].proc = p;
	W->refs[W->n_refs].fd = (int32_t)(3 + W->n_refs);
	W->n_refs++;
}

/* Process index p holds sk too (a listener inherited over fork). */
static inline void share(struct tl_sock *sk, uint32_t p)
{
	W->refs[W->n_refs].inode = sk->inode;
	W->refs[W->n_refs].proc = p;
	W->refs[W->n_refs].fd = 6;
	W->n_refs++;
}

/* The parent of process index p. */
static inline void parent(uint32_t p, uint32_t parent_idx)
{
	W->procs[p].ppid = W->procs[parent_idx].pid;
}

static inline struct tl_sock *listener(uint16_t port, uint32_t backlog,
				       uint32_t queued, uint32_t p)
{
	struct tl_sock *sk = sock(TL_LISTEN, port, 0);

	memset(sk->dst, 0, sizeof(sk->dst));
	sk->wqueue = backlog;
	sk->rqueue = queued;
	sk->has = TL_HAS_MEMINFO;
	hold(sk, p);
	return sk;
}

/* A connection in a listener's accept queue, age_ms after the handshake. */
static inline struct tl_sock *queued(uint16_t port, int state, uint32_t age_ms)
{
	static uint16_t client = 40000;
	struct tl_sock *sk = sock(state, port, client++);

	sk->has = TL_HAS_INFO;
	sk->last_data_sent_ms = age_ms;
	sk->last_ack_recv_ms = age_ms;
	return sk;
}

/* A held connection whose last ACK came age_ms ago. */
static inline struct tl_sock *held(int state, uint16_t sport, uint16_t dport,
				   uint32_t age_ms, uint32_t p)
{
	struct tl_sock *sk = sock(state, sport, dport);

	sk->has = TL_HAS_INFO;
	sk->last_ack_recv_ms = age_ms;
	sk->last_data_sent_ms = age_ms;
	hold(sk, p);
	return sk;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, world_teardown)

#endif
