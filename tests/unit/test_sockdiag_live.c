// SPDX-License-Identifier: MIT
/*
 * sock_diag against the running kernel, in network namespaces of the
 * tests' own: the dump of both families in one walk (and, run as
 * sockdiag_live-fallback with no_tcpdiag.c preloaded, the fallback to one
 * request a family), its recording and replay, SOCK_DESTROY and the
 * lookup of one socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "tcplimbo/sockdiag.h"
#include "test_netns.h"
#include "test_sockdiag.h"

/* Finds the sockets in state with this local port: how many, the last. */
static int find_in(int state, uint16_t port, struct tl_sock *ret)
{
	struct tl_dump_opts o;
	struct got g = { .n = 0 };
	int found = 0;

	tl_dump_opts_init(&o);
	o.family = AF_INET;
	o.states = TL_STATE_BIT(state);
	if (tl_sockdiag_dump(&o, grab, NULL, &g) < 0)
		return -1;
	for (size_t i = 0; i < g.n; i++)
		if (g.s[i].sport == port) {
			*ret = g.s[i];
			found++;
		}
	return found;
}

/* The one ESTABLISHED socket with this local port, or fails. */
static int find_child(uint16_t port, struct tl_sock *ret)
{
	return find_in(TL_ESTABLISHED, port, ret);
}

/*
 * The child of test_destroy, in a network namespace of its own. Exit
 * status: 0 passed, 77 skipped, anything else the step that failed.
 */
static int destroy_child(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	struct tl_sock sk, lsk, now;
	char c;
	int l, cl, r;

	r = test_private_net();
	if (r)
		return r;
	/* A listener that never accepts, and one client in its queue. */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(l, 4) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &alen) < 0)
		return 4;
	cl = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cl < 0 || connect(cl, (struct sockaddr *)&a, sizeof(a)) < 0)
		return 5;
	if (find_child(ntohs(a.sin_port), &sk) != 1 || sk.inode != 0)
		return 6;
	/* Looked up again: the same socket, as it is now. */
	if (tl_sockdiag_lookup(&sk, -1, &now) != 0 || now.cookie != sk.cookie ||
	    now.state != TL_ESTABLISHED)
		return 11;
	if (find_in(TL_LISTEN, ntohs(a.sin_port), &lsk) != 1 ||
	    tl_sockdiag_lookup(&lsk, -1, &now) != 0 ||
	    now.cookie != lsk.cookie || now.state != TL_LISTEN)
		return 12;
	r = tl_sockdiag_destroy(&sk, -1);
	if (r == -EOPNOTSUPP)
		return 77; /* no CONFIG_INET_DIAG_DESTROY */
	if (r != 0)
		return 7;
	/* Gone from the table, and the peer got a RST. */
	if (find_child(ntohs(a.sin_port), &sk) != 0)
		return 8;
	if (recv(cl, &c, 1, 0) != -1 || errno != ECONNRESET)
		return 9;
	/* The same socket again: nothing to destroy, nothing to find. */
	if (tl_sockdiag_destroy(&sk, -1) != -ENOENT)
		return 10;
	if (tl_sockdiag_lookup(&sk, -1, &now) != -ENOENT)
		return 13;
	/* A closed listener is gone, even where a new one takes its port. */
	close(l);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(l, 4) < 0)
		return 14;
	if (tl_sockdiag_lookup(&lsk, -1, &now) != -ENOENT)
		return 15;
	close(l);
	return 0;
}

static void test_destroy(void **st)
{
	(void)st;
	test_run_child(destroy_child);
}

/* A listener on loopback and one client connected to it; 0 or -1. */
static int pair(int family)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr *a = family == AF_INET ? (void *)&a4 : (void *)&a6;
	socklen_t alen = family == AF_INET ? sizeof(a4) : sizeof(a6);
	int l = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (l < 0 || c < 0 || bind(l, a, alen) < 0 || listen(l, 4) < 0 ||
	    getsockname(l, a, &alen) < 0 || connect(c, a, alen) < 0)
		return -1;
	return 0; /* both stay open until the child exits */
}

/* How many messages of each kind a recording holds. */
struct kinds {
	size_t by_family, getsock, done, other;
};

static int count_kinds(int fd, struct kinds *k)
{
	static char buf[1 << 16];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	size_t off = 0;

	memset(k, 0, sizeof(*k));
	if (n <= 0 || (size_t)n == sizeof(buf))
		return -1;
	while (off + sizeof(struct nlmsghdr) <= (size_t)n) {
		const struct nlmsghdr *h = (const void *)(buf + off);

		if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > (size_t)n - off)
			return -1;
		if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY)
			k->by_family++;
		else if (h->nlmsg_type == TCPDIAG_GETSOCK)
			k->getsock++;
		else if (h->nlmsg_type == NLMSG_DONE)
			k->done++;
		else
			k->other++;
		off += NLMSG_ALIGN(h->nlmsg_len);
	}
	return 0;
}

/* Dumps family (recording to fd from its start) into g; 0 or -errno. */
static int dump_into(int family, int rec_fd, int replay_fd, struct got *g)
{
	struct tl_dump_opts o;

	tl_dump_opts_init(&o);
	o.family = family;
	o.record_fd = rec_fd;
	o.replay_fd = replay_fd;
	memset(g, 0, sizeof(*g));
	if (rec_fd >= 0 && (ftruncate(rec_fd, 0) < 0 || lseek(rec_fd, 0, 0)))
		return -EIO;
	if (replay_fd >= 0 && lseek(replay_fd, 0, 0))
		return -EIO;
	return tl_sockdiag_dump(&o, grab, NULL, g);
}

static size_t count_family(const struct got *g, int family)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n; i++)
		n += g->s[i].family == family;
	return n;
}

/*
 * The child of test_dump_one_walk, in a network namespace of its own, with
 * an IPv4 and an IPv6 listener and a client of each. Exit status: 0
 * passed, 77 skipped, anything else the step that failed. Run with
 * TL_TEST_NO_TCPDIAG (and no_tcpdiag.c preloaded, which makes the kernel
 * refuse the one-walk request) it wants the fallback: one request a
 * family, the refusal not in the recording.
 */
static int one_walk_child(void)
{
	bool fallback = getenv("TL_TEST_NO_TCPDIAG") != NULL;
	struct kinds k;
	struct got g;
	int fd, r = test_private_net();

	if (r)
		return r;
	if (pair(AF_INET) < 0)
		return 3;
	if (pair(AF_INET6) < 0)
		return errno == EAFNOSUPPORT ? 77 : 4;
	fd = open("/tmp", O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
	if (fd < 0)
		return 5;
	/* Both families: every socket, from one walk of the tables. */
	if (dump_into(AF_UNSPEC, fd, -1, &g) < 0)
		return 6;
	if (g.n != 6 || count_family(&g, AF_INET) != 3 ||
	    count_family(&g, AF_INET6) != 3)
		return 7;
	if (count_kinds(fd, &k) < 0 || k.other ||
	    (fallback ? k.by_family != 6 || k.getsock || k.done != 2 :
			k.getsock != 6 || k.by_family || k.done != 1))
		return 8;
	/* The recording replays to the same sockets. */
	if (dump_into(AF_UNSPEC, -1, fd, &g) < 0 || g.n != 6 ||
	    count_family(&g, AF_INET6) != 3)
		return 9;
	/* One family asked for: that family's request and sockets only. */
	if (dump_into(AF_INET6, fd, -1, &g) < 0 || g.n != 3 ||
	    count_family(&g, AF_INET6) != 3)
		return 10;
	if (count_kinds(fd, &k) < 0 || k.by_family != 3 || k.getsock ||
	    k.done != 1)
		return 11;
	if (dump_into(AF_INET, -1, -1, &g) < 0 || g.n != 3 ||
	    count_family(&g, AF_INET) != 3)
		return 12;
	close(fd);
	return 0;
}

static void test_dump_one_walk(void **st)
{
	(void)st;
	test_run_child(one_walk_child);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_destroy),
		cmocka_unit_test(test_dump_one_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
