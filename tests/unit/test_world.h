/* SPDX-License-Identifier: MIT */
/*
 * A hand-built network namespace for the doctor's rules, shared by their
 * unit tests: sockets, processes and who holds what, classified as a real
 * snapshot would be and diagnosed. A test file defines MAX_SOCKS and
 * MAX_PROCS first if it needs more than the defaults, and builds its
 * sockets with helpers of its own.
 */
#ifndef TL_TEST_WORLD_H
#define TL_TEST_WORLD_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "internal.h"
#include "tcplimbo/diagnose.h"

#ifndef MAX_SOCKS
#define MAX_SOCKS 64
#endif
#ifndef MAX_PROCS
#define MAX_PROCS 8
#endif

struct world {
	struct tl_sock socks[MAX_SOCKS];
	size_t n;
	struct tl_proc procs[MAX_PROCS];
	size_t n_procs;
	struct tl_fdref refs[MAX_SOCKS];
	size_t n_refs;
	struct tl_owners owners;
	struct tl_snapshot snap;
	struct tl_counters ctr;
	struct tl_diag_opts opts;
	uint32_t next_inode;
	struct tl_finding *f;
	int nf;
	bool no_owners; /* as --no-owners: the snapshot has none */
};

static struct world *W;

/* A new, empty world in W, with the default options; 0 or -1. */
static inline int world_new(void)
{
	W = calloc(1, sizeof(*W));
	if (!W)
		return -1;
	W->next_inode = 1000;
	tl_diag_opts_init(&W->opts);
	return 0;
}

static inline int world_teardown(void **state)
{
	(void)state;
	free(W->f);
	free(W);
	W = NULL;
	return 0;
}

static inline int world_ref_cmp(const void *a, const void *b)
{
	const struct tl_fdref *x = a, *y = b;

	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

/* Classifies the world like a snapshot and runs the rules. */
static inline int diagnose(void)
{
	qsort(W->refs, W->n_refs, sizeof(W->refs[0]), world_ref_cmp);
	W->owners.procs = W->procs;
	W->owners.n_procs = W->n_procs;
	W->owners.refs = W->refs;
	W->owners.n_refs = W->n_refs;
	W->snap.socks = W->socks;
	W->snap.n_socks = W->n;
	W->snap.owners = W->no_owners ? NULL : &W->owners;
	W->snap.states = TL_STATES_REAL;
	tl_snapshot_classify(W->socks, W->n);
	free(W->f);
	W->f = NULL;
	W->nf = tl_diagnose(&W->snap, &W->ctr, &W->opts, &W->f);
	assert_true(W->nf >= 0);
	for (int i = 0; i < W->nf; i++)
		print_message("  finding: %s %s: %s\n  remedy: %s\n",
			      tl_severity_name(W->f[i].severity),
			      tl_finding_kind_name(W->f[i].kind),
			      W->f[i].summary, W->f[i].remedy);
	return W->nf;
}

#endif
