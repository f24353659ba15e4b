// SPDX-License-Identifier: MIT
/*
 * What became of -N's network namespace since the command started: the
 * name or pid that named it, and whether anything can still happen in it.
 */
#include <errno.h>
#include <unistd.h>

#include "tcplimbo/netns.h"
#include "tcplimbo/sockdiag.h"
#include "tl.h"

int tl_netns_moved(const struct tl_global *g)
{
	uint64_t was;
	int fd, r = 0;

	if (!g->netns_spec || g->netns_fd < 0 ||
	    (g->netns_by != TL_NETNS_BY_NAME && g->netns_by != TL_NETNS_BY_PID))
		return 0;
	was = tl_netns_inode(g->netns_fd);
	fd = tl_netns_open_as(g->netns_spec, g->netns_by);
	if (fd < 0)
		return fd == -ENOENT || fd == -ESRCH ? -ENOENT : 0;
	if (tl_netns_inode(fd) != was)
		r = -ESTALE;
	close(fd);
	return r;
}

/* Counts a dump's sockets; the first is enough, and ends the dump. */
static int count_sock(const struct tl_sock *sk, void *arg)
{
	(void)sk;
	++*(size_t *)arg;
	return -ECANCELED;
}

bool tl_netns_over(const struct tl_global *g)
{
	struct tl_dump_opts d;
	size_t n = 0;

	if (tl_netns_held(g->proc_root, tl_netns_inode(g->netns_fd)) != 0)
		return false;
	tl_dump_opts_init(&d);
	d.netns_fd = g->netns_fd;
	d.details = false;
	return tl_sockdiag_dump(&d, count_sock, NULL, &n) == 0 && n == 0;
}
