// SPDX-License-Identifier: MIT
/*
 * Draining an accept queue from outside: borrow the listener's fd with
 * pidfd_getfd(), accept and close the connections whose client is gone.
 * Everything here is about not harming the program: same listener (by
 * inode), only dead connections (by cookie), never a blocking call without
 * a deadline, never a change to the listener's file flags.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tcplimbo/drain.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* One end of a connection, IPv4 as v4-mapped IPv6 so that families mix. */
struct end {
	uint8_t a[16];
	uint16_t port;
};

static void end_of(struct end *e, int family, const uint8_t *a, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	if (family == AF_INET) {
		e->a[10] = e->a[11] = 0xff;
		memcpy(e->a + 12, a, 4);
	} else {
		memcpy(e->a, a, 16);
	}
	e->port = port;
}

static int cmp_end(const struct end *x, const struct end *y)
{
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return memcmp(x->a, y->a, 16);
}

/* A queued CLOSE-WAIT connection by its client's end, then its own. */
struct cw {
	struct end client, self;
	const struct tl_sock *sk;
	bool half; /* its client here only half-closed */
};

static int cmp_cw(const void *a, const void *b)
{
	const struct cw *x = a, *y = b;
	int c = cmp_end(&x->client, &y->client);

	return c ? c : cmp_end(&x->self, &y->self);
}

/*
 * Which queued CLOSE-WAIT connections have a client that still holds its
 * socket here: the peer, in FIN-WAIT-1 or 2 and held by an fd (a closed
 * one has no inode, or is a timewait entry), only half-closed. cw is
 * sorted by cmp_cw; half is set for each found. One pass over the
 * snapshot.
 */
static void find_half_closed(const struct tl_snapshot *snap, struct cw *cw,
			     size_t n)
{
	for (size_t i = 0; i < snap->n_socks && n; i++) {
		const struct tl_sock *peer = &snap->socks[i];
		struct cw key;
		struct cw *hit;

		if ((peer->state != TL_FIN_WAIT2 &&
		     peer->state != TL_FIN_WAIT1) ||
		    peer->inode == 0)
			continue;
		/* Its local end is the connection's client end. */
		end_of(&key.client, peer->family, peer->src, peer->sport);
		end_of(&key.self, peer->family, peer->dst, peer->dport);
		hit = bsearch(&key, cw, n, sizeof(*cw), cmp_cw);
		if (hit)
			hit->half = true;
	}
}

int tl_drain_plan(const struct tl_snapshot *snap,
		  const struct tl_sock *listener, struct tl_drain_plan *ret)
{
	struct cw *cw = NULL;
	size_t n_cw = 0;
	struct tl_drain_plan p = { .listener = listener, .fd = -1 };
	const struct tl_fdref *refs;
	size_t queued = 0;

	if (!listener || listener < snap->socks ||
	    listener >= snap->socks + snap->n_socks ||
	    listener->state != TL_LISTEN)
		return -EINVAL;
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *sk = &snap->socks[i];

		if (sk->limbo == TL_LIMBO_ACCEPT_QUEUE &&
		    tl_snapshot_may_queue(snap, sk, listener))
			queued++;
	}
	p.dead = calloc(queued ? queued : 1, sizeof(*p.dead));
	p.live = calloc(queued ? queued : 1, sizeof(*p.live));
	cw = calloc(queued ? queued : 1, sizeof(*cw));
	if (!p.dead || !p.live || !cw) {
		free(cw);
		tl_drain_plan_release(&p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *sk = &snap->socks[i];

		if (sk->limbo != TL_LIMBO_ACCEPT_QUEUE ||
		    !tl_snapshot_may_queue(snap, sk, listener))
			continue;
		p.n_shared += sk->n_listeners > 1;
		if (sk->state == TL_CLOSE_WAIT) {
			end_of(&cw[n_cw].client, sk->family, sk->dst,
			       sk->dport);
			end_of(&cw[n_cw].self, sk->family, sk->src, sk->sport);
			cw[n_cw++].sk = sk;
		} else {
			p.live[p.n_live++] = sk;
		}
	}
	/*
	 * A FIN from the client: it will never write again, and if it closed
	 * its socket it will not read either: dead. Unless its socket, here
	 * on this host, is still held, waiting for an answer: live.
	 */
	if (n_cw > 1)
		qsort(cw, n_cw, sizeof(*cw), cmp_cw);
	find_half_closed(snap, cw, n_cw);
	for (size_t i = 0; i < n_cw; i++) {
		if (cw[i].half) {
			p.live[p.n_live++] = cw[i].sk;
			p.n_half_closed++;
		} else {
			p.dead[p.n_dead++] = cw[i].sk;
		}
	}
	free(cw);
	if (listener->rqueue > queued)
		p.hidden = listener->rqueue - (uint32_t)queued;
	if (tl_snapshot_owners(snap, listener, &refs) > 0) {
		p.pid = snap->owners->procs[refs[0].proc].pid;
		p.fd = refs[0].fd;
	}
	*ret = p;
	return 0;
}

size_t tl_drain_plan_want(const struct tl_drain_plan *plan)
{
	size_t want = plan->n_dead + plan->hidden;

	/* The others' share of the dead is not in this queue. */
	if (plan->n_shared && want > plan->listener->rqueue)
		want = plan->listener->rqueue;
	return want;
}

void tl_drain_plan_release(struct tl_drain_plan *p)
{
	if (!p)
		return;
	free(p->dead);
	free(p->live);
	p->dead = p->live = NULL;
	p->n_dead = p->n_live = 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The listener's fd, borrowed from its owner, checked to be the same one. */
static int borrow_fd(const struct tl_drain_plan *plan)
{
	struct stat st;
	int pidfd, fd, err;

	pidfd = (int)syscall(SYS_pidfd_open, plan->pid, 0);
	if (pidfd < 0)
		return -errno;
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, plan->fd, 0);
	err = fd < 0 ? -errno : 0;
	close(pidfd);
	if (fd < 0)
		return err == -EBADF ? -ESTALE : err;
	/* The program may have closed it and reused the number since. */
	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    st.st_ino != plan->listener->inode) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

/*
 * Two drains of one listener would each accept their own count of dead
 * connections, and between them take more than there are dead: the next
 * live client. The lock is an abstract unix socket named after the
 * listener's cookie, unique on the machine: bound while a drain runs,
 * gone with its process however that ends, and no file to leave behind.
 * Its scope is this process's network namespace, where drains are run
 * from (they reach others with -N). Returns its fd, -EALREADY when
 * another drain holds it, or other -errno.
 */
static int lock_listener(uint64_t cookie)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, n, err;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1,
		     "tcplimbo-drain-%" PRIu64, cookie);
	if (bind(fd, (struct sockaddr *)&a,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			     (size_t)n)) < 0) {
		err = errno == EADDRINUSE ? -EALREADY : -errno;
		close(fd);
		return err;
	}
	return fd;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * The deadline of each accept(): a timer that signals this thread, whose
 * handler does nothing but, installed without SA_RESTART, makes a blocked
 * accept() return EINTR. What was there before is put back by
 * deadline_end.
 */
struct deadline {
	timer_t timer;
	bool have_timer;
	struct sigaction old_sa;
	sigset_t old_mask;
};

static int deadline_begin(struct deadline *d)
{
	struct sigaction sa;
	struct sigevent sev;
	sigset_t alrm;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGALRM;
	sev._sigev_un._tid = gettid();
	if (timer_create(CLOCK_MONOTONIC, &sev, &d->timer) < 0)
		return -errno;
	d->have_timer = true;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &d->old_sa);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_UNBLOCK, &alrm, &d->old_mask);
	return 0;
}

static void deadline_end(struct deadline *d)
{
	if (!d->have_timer)
		return;
	timer_delete(d->timer);
	pthread_sigmask(SIG_SETMASK, &d->old_mask, NULL);
	sigaction(SIGALRM, &d->old_sa, NULL);
	d->have_timer = false;
}

static void arm(struct deadline *d, unsigned ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	timer_settime(d->timer, 0, &its, NULL);
}

/*
 * Accepts one connection within timeout_ms; returns its fd or -errno.
 * An empty queue ends it at once: waiting in accept() on a blocking
 * listener would take the next new client, once the program (resumed)
 * has accepted what was queued.
 */
static int accept_within(int lfd, struct deadline *d, unsigned timeout_ms)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int c, err;

	if (poll(&pfd, 1, 0) == 0)
		return -ETIMEDOUT;
	arm(d, timeout_ms ? timeout_ms : 1);
	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	err = c < 0 ? -errno : 0;
	arm(d, 0);
	if (c >= 0)
		return c;
	/* EINTR: the deadline; EAGAIN: a non-blocking queue ran dry. */
	if (err == -EINTR || err == -EAGAIN || err == -EWOULDBLOCK)
		return -ETIMEDOUT;
	return err;
}

/* Notes a connection that was not in the dead set, for the report. */
static void describe_other(int c, struct tl_drain_result *res)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct tcp_info ti;
	socklen_t tlen = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &tlen) == 0)
		res->other_state = ti.tcpi_state;
	memset(&ss, 0, sizeof(ss));
	if (getpeername(c, (struct sockaddr *)&ss, &len) < 0)
		return; /* a destroyed socket has no peer any more */
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)&ss;

		res->other_family = AF_INET;
		memcpy(res->other_peer, &in->sin_addr, 4);
		res->other_port = ntohs(in->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)&ss;

		res->other_family = AF_INET6;
		memcpy(res->other_peer, &in6->sin6_addr, 16);
		res->other_port = ntohs(in6->sin6_port);
	}
}

/*
 * Is an accepted connection one we may close? Dead by cookie, or in state
 * CLOSE: destroyed (ss -K) or reset while it was queued, no peer left, so
 * dead whatever the plan counted (an SO_REUSEPORT group's hidden ones
 * are counted for the group, not for each queue).
 */
static bool take_ok(int c, const uint64_t *cookies, bool *used, size_t n,
		    uint32_t *hidden_left, bool *was_hidden)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	struct tcp_info ti;
	socklen_t tlen = sizeof(ti);
	uint64_t *hit;

	*was_hidden = false;
	if (getsockopt(c, SOL_SOCKET, SO_COOKIE, &cookie, &len) == 0) {
		hit = bsearch(&cookie, cookies, n, sizeof(*cookies), cmp_u64);
		if (hit && !used[hit - cookies]) {
			used[hit - cookies] = true;
			return true;
		}
	}
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &tlen) == 0 &&
	    ti.tcpi_state == TL_CLOSE) {
		if (*hidden_left)
			(*hidden_left)--;
		*was_hidden = true;
		return true;
	}
	return false;
}

int tl_drain_run(const struct tl_drain_plan *plan,
		 const struct tl_drain_opts *opts, struct tl_drain_result *res)
{
	struct deadline d = { 0 };
	uint64_t *cookies = NULL;
	bool *used = NULL;
	uint32_t hidden_left = plan->hidden;
	size_t want = tl_drain_plan_want(plan);
	int lfd = -1, lock = -1, err;

	memset(res, 0, sizeof(*res));
	if (plan->n_live)
		return -EBUSY;
	if (plan->pid <= 0 || plan->fd < 0)
		return -ENOENT;
	if (want == 0)
		return 0;
	cookies = calloc(plan->n_dead ? plan->n_dead : 1, sizeof(*cookies));
	used = calloc(plan->n_dead ? plan->n_dead : 1, sizeof(*used));
	if (!cookies || !used) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < plan->n_dead; i++)
		cookies[i] = plan->dead[i]->cookie;
	qsort(cookies, plan->n_dead, sizeof(*cookies), cmp_u64);
	lock = lock_listener(plan->listener->cookie);
	if (lock < 0) {
		err = lock;
		goto out;
	}
	lfd = borrow_fd(plan);
	if (lfd < 0) {
		err = lfd;
		goto out;
	}
	err = deadline_begin(&d);
	if (err < 0)
		goto out;
	for (size_t i = 0; i < want; i++) {
		bool hidden;
		int c;

		if (i && opts && opts->delay_ms) {
			struct timespec ts = {
				.tv_sec = opts->delay_ms / 1000,
				.tv_nsec = (long)(opts->delay_ms % 1000) *
					   1000000L,
			};

			nanosleep(&ts, NULL);
		}
		c = accept_within(lfd, &d, opts ? opts->timeout_ms : 1000);
		if (c < 0) {
			res->stop = c;
			break;
		}
		if (take_ok(c, cookies, used, plan->n_dead, &hidden_left,
			    &hidden)) {
			res->freed++;
			res->freed_hidden += hidden;
			close(c);
			continue;
		}
		/* Not one of ours: the program took some meanwhile. Stop. */
		describe_other(c, res);
		res->stop = -ESTALE;
		close(c);
		break;
	}
	err = 0;
out:
	deadline_end(&d);
	if (lfd >= 0)
		close(lfd);
	if (lock >= 0)
		close(lock);
	free(cookies);
	free(used);
	return err;
}
