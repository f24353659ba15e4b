// SPDX-License-Identifier: MIT
/*
 * The one network namespace a command looks at: its label, and what
 * became of -N's since the command started (the name or pid that named
 * it, and whether anything can still happen in it).
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
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

const char *tl_netns_label_of(const struct tl_global *g, uint64_t *ret_ino,
			      char *buf, size_t size)
{
	char name[TL_NETNS_SPEC_MAX];
	struct stat st;
	uint64_t ino;

	if (g->netns_spec) {
		ino = tl_netns_inode(g->netns_fd);
		if (g->netns_by == TL_NETNS_BY_NAME || !ino)
			tl_netns_name_label(buf, size, g->netns_spec);
		else if (tl_netns_pid(g))
			snprintf(buf, size, "net:[%llu] (pid %s)",
				 (unsigned long long)ino, g->netns_spec);
		else
			snprintf(buf, size, "net:[%llu]",
				 (unsigned long long)ino);
	} else {
		ino = stat("/proc/thread-self/ns/net", &st) == 0 ?
			      (uint64_t)st.st_ino :
			      0;
		/* As --all-netns and serve call it. */
		if (ino && tl_netns_host_inode(g->proc_root, ino) == ino)
			snprintf(buf, size, "host");
		/* In `ip netns exec NAME`: labelled as -N NAME labels it. */
		else if (ino && tl_netns_name_of(ino, name, sizeof(name)) == 0)
			tl_netns_name_label(buf, size, name);
		else
			snprintf(buf, size, "net:[%llu]",
				 (unsigned long long)ino);
	}
	*ret_ino = ino;
	return buf;
}
