// SPDX-License-Identifier: MIT
/*
 * drain's safety checks on a real listener of this process (pidfd_getfd
 * on ourselves needs no privilege): a connection that is not in the dead
 * set stops the drain and is described; an empty queue ends an accept at
 * its deadline, blocking or not; the listener's flags are never changed;
 * a plan with live connections, without an owner, or whose fd no longer
 * holds the listener is refused. And tl_drain_plan on a hand-built
 * snapshot sorts the queue into dead, live and hidden.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tcplimbo/drain.h"

/* A listener on 127.0.0.1, an ephemeral port; returns its fd. */
static int listener(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (void *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (void *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static int client(uint16_t port, uint16_t *ret_port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	assert_int_equal(connect(fd, (void *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (void *)&a, &len), 0);
	*ret_port = ntohs(a.sin_port);
	return fd;
}

/* A plan for our own listener fd, with one dead cookie nobody has. */
static void own_plan(struct tl_drain_plan *p, struct tl_sock *l,
		     struct tl_sock *dead, const struct tl_sock **deadp,
		     int lfd)
{
	struct stat st;

	assert_int_equal(fstat(lfd, &st), 0);
	memset(l, 0, sizeof(*l));
	l->state = TL_LISTEN;
	l->inode = (uint32_t)st.st_ino;
	memset(dead, 0, sizeof(*dead));
	dead->state = TL_CLOSE_WAIT;
	dead->cookie = 0xdeadbeefcafeull;
	*deadp = dead;
	memset(p, 0, sizeof(*p));
	p->listener = l;
	p->pid = getpid();
	p->fd = lfd;
	p->dead = deadp;
	p->n_dead = 1;
}

static void test_stops_on_live(void **state)
{
	struct tl_drain_opts o = { .timeout_ms = 2000 };
	struct tl_drain_result res;
	struct tl_drain_plan p;
	struct tl_sock l, dead;
	const struct tl_sock *deadp;
	uint16_t port, cport;
	int lfd = listener(&port), cfd = client(port, &cport);
	char b;

	(void)state;
	own_plan(&p, &l, &dead, &deadp, lfd);
	assert_int_equal(tl_drain_run(&p, &o, &res), 0);
	/* The live client was taken by accept(): stopped, and described. */
	assert_int_equal(res.stop, -ESTALE);
	assert_int_equal(res.freed, 0);
	assert_int_equal(res.other_family, AF_INET);
	assert_int_equal(res.other_port, cport);
	assert_int_equal(res.other_state, TL_ESTABLISHED);
	/* It was closed: the client sees the end. */
	assert_int_equal(read(cfd, &b, 1), 0);
	close(cfd);
	close(lfd);
}

static void deadline(bool nonblock)
{
	struct tl_drain_opts o = { .timeout_ms = 200 };
	struct tl_drain_result res;
	struct tl_drain_plan p;
	struct tl_sock l, dead;
	const struct tl_sock *deadp;
	uint16_t port;
	int lfd = listener(&port), flags;

	if (nonblock)
		fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
	flags = fcntl(lfd, F_GETFL);
	own_plan(&p, &l, &dead, &deadp, lfd);
	/* Nothing queued: the accept ends (a hang is meson's timeout). */
	assert_int_equal(tl_drain_run(&p, &o, &res), 0);
	assert_int_equal(res.stop, -ETIMEDOUT);
	assert_int_equal(res.freed, 0);
	assert_int_equal(fcntl(lfd, F_GETFL), flags);
	close(lfd);
}

static void test_deadline_blocking(void **state)
{
	(void)state;
	deadline(false);
}

static void test_deadline_nonblocking(void **state)
{
	(void)state;
	deadline(true);
}

static void test_refusals(void **state)
{
	struct tl_drain_opts o = { .timeout_ms = 100 };
	struct tl_drain_result res;
	struct tl_drain_plan p;
	struct tl_sock l, dead, live = { .state = TL_ESTABLISHED };
	const struct tl_sock *deadp, *livep = &live;
	uint16_t port;
	int lfd = listener(&port);

	(void)state;
	own_plan(&p, &l, &dead, &deadp, lfd);
	p.live = &livep;
	p.n_live = 1;
	assert_int_equal(tl_drain_run(&p, &o, &res), -EBUSY);
	p.n_live = 0;
	p.pid = 0;
	assert_int_equal(tl_drain_run(&p, &o, &res), -ENOENT);
	p.pid = getpid();
	/* The fd number now holds something else: not the listener. */
	l.inode += 1;
	assert_int_equal(tl_drain_run(&p, &o, &res), -ESTALE);
	close(lfd);
}

static void test_plan(void **state)
{
	struct tl_sock socks[5];
	struct tl_snapshot snap = { .socks = socks, .n_socks = 5 };
	struct tl_drain_plan p;

	(void)state;
	memset(socks, 0, sizeof(socks));
	socks[0].state = TL_LISTEN;
	socks[0].rqueue = 4; /* one more than the dump shows */
	socks[1].state = TL_CLOSE_WAIT;
	socks[1].limbo = TL_LIMBO_ACCEPT_QUEUE;
	socks[1].listener = 1;
	socks[2].state = TL_ESTABLISHED;
	socks[2].limbo = TL_LIMBO_ACCEPT_QUEUE;
	socks[2].listener = 1;
	socks[3].state = TL_CLOSE_WAIT;
	socks[3].limbo = TL_LIMBO_ACCEPT_QUEUE;
	socks[3].listener = 1;
	/* Held by a program: not in any queue. */
	socks[4].state = TL_CLOSE_WAIT;
	socks[4].inode = 99;
	assert_int_equal(tl_drain_plan(&snap, &socks[0], &p), 0);
	assert_int_equal(p.n_dead, 2);
	assert_ptr_equal(p.dead[0], &socks[1]);
	assert_ptr_equal(p.dead[1], &socks[3]);
	assert_int_equal(p.n_live, 1);
	assert_ptr_equal(p.live[0], &socks[2]);
	assert_int_equal(p.hidden, 1);
	assert_int_equal(p.pid, 0); /* no owners scanned */
	tl_drain_plan_release(&p);
	assert_int_equal(tl_drain_plan(&snap, &socks[1], &p), -EINVAL);
}

/*
 * Two SO_REUSEPORT listeners with queues: every dead connection of the
 * port may be in either, so each plan lists them all but frees no more
 * than its own Recv-Q; a live one may be in either and blocks both.
 */
static void test_plan_reuseport(void **state)
{
	struct tl_sock socks[5];
	struct tl_snapshot snap = { .socks = socks, .n_socks = 5 };
	struct tl_drain_plan p;

	(void)state;
	memset(socks, 0, sizeof(socks));
	for (int i = 0; i < 2; i++) {
		socks[i].state = TL_LISTEN;
		socks[i].family = AF_INET;
		socks[i].sport = 80;
		socks[i].inode = 10 + (uint32_t)i;
	}
	socks[0].rqueue = 1;
	socks[1].rqueue = 2;
	for (int i = 2; i < 5; i++) {
		socks[i].state = TL_CLOSE_WAIT;
		socks[i].family = AF_INET;
		socks[i].sport = 80;
		socks[i].limbo = TL_LIMBO_ACCEPT_QUEUE;
		socks[i].listener = 2;
		socks[i].n_listeners = 2;
	}
	assert_int_equal(tl_drain_plan(&snap, &socks[0], &p), 0);
	assert_int_equal(p.n_dead, 3);
	assert_int_equal(p.n_shared, 3);
	assert_int_equal(p.hidden, 0);
	assert_int_equal(tl_drain_plan_want(&p), 1);
	tl_drain_plan_release(&p);
	assert_int_equal(tl_drain_plan(&snap, &socks[1], &p), 0);
	assert_int_equal(tl_drain_plan_want(&p), 2);
	tl_drain_plan_release(&p);
	/* Without the sharing, the same three are all the second's. */
	for (int i = 2; i < 5; i++)
		socks[i].n_listeners = 1;
	assert_int_equal(tl_drain_plan(&snap, &socks[0], &p), 0);
	assert_int_equal(p.n_dead, 0);
	tl_drain_plan_release(&p);
	assert_int_equal(tl_drain_plan(&snap, &socks[1], &p), 0);
	assert_int_equal(p.n_dead, 3);
	assert_int_equal(p.n_shared, 0);
	assert_int_equal(tl_drain_plan_want(&p), 3);
	tl_drain_plan_release(&p);
	/* A live one that may be in the first's queue. */
	socks[4].state = TL_ESTABLISHED;
	for (int i = 2; i < 5; i++)
		socks[i].n_listeners = 2;
	assert_int_equal(tl_drain_plan(&snap, &socks[0], &p), 0);
	assert_int_equal(p.n_live, 1);
	tl_drain_plan_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stops_on_live),
		cmocka_unit_test(test_deadline_blocking),
		cmocka_unit_test(test_deadline_nonblocking),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_plan_reuseport),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
