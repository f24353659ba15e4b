// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the sock_diag parser: the input is parsed as one
 * message, then replayed as a whole recorded dump (the path --replay
 * takes), and whatever parsed is classified as a snapshot would be.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "tcplimbo/snapshot.h"
#include "tcplimbo/sockdiag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct acc {
	struct tl_sock s[256];
	size_t n;
};

static int keep(const struct tl_sock *sk, void *arg)
{
	struct acc *a = arg;

	if (a->n == 256)
		return -E2BIG;
	a->s[a->n++] = *sk;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct acc a;
	struct tl_dump_opts o;
	struct tl_sock sk;
	int fd, r;

	/* The parser reads through a header cast, so give it alignment. */
	void *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	r = tl_sockdiag_parse(copy, size, &sk);
	if (r != 0 && r != -EBADMSG)
		abort();
	if (r == 0 && sk.family != 2 && sk.family != 10)
		abort();
	free(copy);

	fd = memfd_create("dump", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size &&
	    lseek(fd, 0, SEEK_SET) == 0) {
		tl_dump_opts_init(&o);
		o.replay_fd = fd;
		a.n = 0;
		r = tl_sockdiag_dump(&o, keep, NULL, &a);
		if (r > 0)
			abort();
		tl_snapshot_classify(a.s, a.n);
		for (size_t i = 0; i < a.n; i++)
			if (a.s[i].listener > a.n ||
			    (a.s[i].listener &&
			     a.s[a.s[i].listener - 1].state != TL_LISTEN))
				abort();
	}
	close(fd);
	return 0;
}
