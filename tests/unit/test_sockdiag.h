/* SPDX-License-Identifier: MIT */
/*
 * What test_sockdiag and test_sockdiag_live share: a dump's sockets
 * collected into a fixed array. Include after cmocka.h.
 */
#ifndef TL_TEST_SOCKDIAG_H
#define TL_TEST_SOCKDIAG_H

#include <errno.h>
#include <stddef.h>

#include "tcplimbo/sockdiag.h"

struct got {
	struct tl_sock s[64];
	size_t n;
};

/* A tl_sock_cb: appends the socket to the struct got at arg. */
static inline int grab(const struct tl_sock *sk, void *arg)
{
	struct got *g = arg;

	if (g->n >= 64)
		return -E2BIG;
	g->s[g->n++] = *sk;
	return 0;
}

#endif
