// SPDX-License-Identifier: MIT
/*
 * serve's header deadline (see serve-conns.h): connections tracked through
 * libmicrohttpd's notifications, and the reaper that shuts down the late.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "serve-conns.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * A connection, tracked from libmicrohttpd's "started" notification to its
 * "closed" one, so that the reaper can close it at the header deadline.
 */
struct conn {
	struct conn *prev, *next;
	int fd;
	struct sockaddr_storage addr; /* the client's, port left out */
	uint64_t since_ns; /* accept, or the end of its previous request */
	bool in_request;   /* its headers are in: no deadline until it ends */
	bool shut;	   /* the reaper has shut it down */
};

/* A connection's entry, from the pointer libmicrohttpd keeps for us. */
static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* The client's address of c, its port zeroed, or all zeroes. */
static void client_addr(struct MHD_Connection *c, struct sockaddr_storage *ret)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	memset(ret, 0, sizeof(*ret));
	if (!ci || !ci->client_addr)
		return;
	if (ci->client_addr->sa_family == AF_INET) {
		memcpy(ret, ci->client_addr, sizeof(struct sockaddr_in));
		((struct sockaddr_in *)ret)->sin_port = 0;
	} else if (ci->client_addr->sa_family == AF_INET6) {
		memcpy(ret, ci->client_addr, sizeof(struct sockaddr_in6));
		((struct sockaddr_in6 *)ret)->sin6_port = 0;
	}
}

/*
 * Shuts k down (under lock). shutdown(), not close(): libmicrohttpd owns
 * the fd; its connection thread wakes, reads the end and closes it.
 */
static void shut(struct conn *k)
{
	shutdown(k->fd, SHUT_RDWR);
	k->shut = true;
}

/*
 * With new about to join the list (under lock): where all the open ones,
 * or those of new's address, are at their limit, shuts down the oldest of
 * them that has sent no request (shut(), as the reaper does). One
 * with a request in is being served and stays.
 */
static void make_room(struct serve_conns *s, const struct conn *new)
{
	struct conn *all = NULL, *mine = NULL;
	unsigned n_all = 0, n_mine = 0;

	for (struct conn *k = s->list; k; k = k->next) {
		bool same = memcmp(&k->addr, &new->addr, sizeof(k->addr)) == 0;

		if (k->shut)
			continue;
		n_all++;
		n_mine += same;
		if (k->in_request)
			continue;
		if (!all || k->since_ns < all->since_ns)
			all = k;
		if (same && (!mine || k->since_ns < mine->since_ns))
			mine = k;
	}
	if (s->per_addr && n_mine + 1 >= s->per_addr && mine)
		shut(mine);
	else if (s->limit && n_all + 1 >= s->limit && all)
		shut(all);
}

/*
 * libmicrohttpd's connection notifications. "Started" comes from the
 * thread that accepted, before the connection's own thread reads from
 * it; "closed" before libmicrohttpd closes the socket (0.9.75:
 * MHD_cleanup_connections notifies, then closes), so an entry in the list
 * always has an open fd.
 */
void serve_conns_notify(void *cls, struct MHD_Connection *c,
			void **socket_context,
			enum MHD_ConnectionNotificationCode code)
{
	struct serve_conns *s = cls;
	const union MHD_ConnectionInfo *ci;
	struct conn *k;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		k = *socket_context;
		if (!k)
			return;
		pthread_mutex_lock(&s->lock);
		if (k->prev)
			k->prev->next = k->next;
		else
			s->list = k->next;
		if (k->next)
			k->next->prev = k->prev;
		pthread_mutex_unlock(&s->lock);
		free(k);
		*socket_context = NULL;
		return;
	}
	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	k = calloc(1, sizeof(*k));
	if (!ci || !k) {
		/*
		 * Untracked, it would escape the deadline: without the memory
		 * to track it, it is not served.
		 */
		if (ci)
			shutdown(ci->connect_fd, SHUT_RDWR);
		free(k);
		*socket_context = NULL;
		return;
	}
	k->fd = ci->connect_fd;
	k->since_ns = now_ns();
	client_addr(c, &k->addr);
	pthread_mutex_lock(&s->lock);
	make_room(s, k);
	k->next = s->list;
	if (s->list)
		s->list->prev = k;
	s->list = k;
	pthread_mutex_unlock(&s->lock);
	*socket_context = k;
}

/*
 * A request's headers are in (handle() runs) or it ended (libmicrohttpd's
 * "completed"): the deadline is off while it is served, and on again for
 * the next request of a kept-alive connection.
 */
void serve_conns_request(struct serve_conns *s, struct MHD_Connection *c,
			 bool in_request)
{
	struct conn *k = conn_of(c);

	if (!k)
		return;
	pthread_mutex_lock(&s->lock);
	if (!in_request)
		k->since_ns = now_ns();
	k->in_request = in_request;
	pthread_mutex_unlock(&s->lock);
}

void serve_conns_done(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode code)
{
	(void)con_cls;
	(void)code;
	serve_conns_request(cls, c, false);
}

/*
 * Whether a connection is past the header deadline without a request at
 * now. One accepted (or done with a request) after now is not: the
 * reaper tests with the now of before its log line.
 */
static bool due(const struct conn *k, uint64_t now)
{
	return !k->in_request && !k->shut && now >= k->since_ns &&
	       now - k->since_ns >=
		       (uint64_t)SERVE_HEADER_DEADLINE_S * 1000000000u;
}

/*
 * Once a second, shuts down (shut()) the connections that are past the
 * header deadline without a request. Each pass is bounded by the
 * connection limit; the thread runs until reaper_stop.
 */
static void *reaper(void *arg)
{
	struct serve_conns *s = arg;
	struct timespec until;
	char msg[160];
	unsigned n;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		uint64_t now = now_ns();

		n = 0;
		for (struct conn *k = s->list; k; k = k->next)
			n += due(k, now);
		/*
		 * Said before it is done: libmicrohttpd logs the close it then
		 * sees as the client's, and the one line a second would be
		 * that instead of this.
		 */
		if (n) {
			pthread_mutex_unlock(&s->lock);
			snprintf(
				msg, sizeof(msg),
				"closing %u connection%s that sent no complete request headers within %d s",
				n, n == 1 ? "" : "s", SERVE_HEADER_DEADLINE_S);
			s->log(s->log_arg, msg);
			pthread_mutex_lock(&s->lock);
		}
		for (struct conn *k = s->list; k; k = k->next) {
			if (due(k, now))
				shut(k);
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec++;
		pthread_cond_timedwait(&s->wake, &s->lock, &until);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int serve_conns_init(struct serve_conns *sc,
		     void (*log)(void *arg, const char *msg), void *log_arg)
{
	pthread_condattr_t ca;
	int r;

	*sc = (struct serve_conns){ .log = log, .log_arg = log_arg };
	r = pthread_mutex_init(&sc->lock, NULL);
	if (r)
		return -r;
	/* The reaper's waits are measured on the clock its deadline is. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	r = pthread_cond_init(&sc->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (r) {
		pthread_mutex_destroy(&sc->lock);
		return -r;
	}
	return 0;
}

int serve_conns_start(struct serve_conns *sc)
{
	int r = pthread_create(&sc->thread, NULL, reaper, sc);

	if (r)
		return -r;
	sc->running = true;
	return 0;
}

void serve_conns_stop(struct serve_conns *sc)
{
	if (!sc->running)
		return;
	pthread_mutex_lock(&sc->lock);
	sc->stop = true;
	pthread_cond_signal(&sc->wake);
	pthread_mutex_unlock(&sc->lock);
	pthread_join(sc->thread, NULL);
	sc->running = false;
}

void serve_conns_destroy(struct serve_conns *sc)
{
	serve_conns_stop(sc);
	/* libmicrohttpd has closed every connection (and said so) by now. */
	pthread_cond_destroy(&sc->wake);
	pthread_mutex_destroy(&sc->lock);
}

/*
 * How many connections have a request in (a scrape being answered), or
 * came in, or ended their last request, less than 100 ms ago (its next
 * request may be on its way).
 */
static size_t busy(struct serve_conns *sc)
{
	uint64_t now = now_ns();
	size_t n = 0;

	pthread_mutex_lock(&sc->lock);
	for (struct conn *k = sc->list; k; k = k->next)
		n += !k->shut &&
		     (k->in_request || now - k->since_ns < 100000000u);
	pthread_mutex_unlock(&sc->lock);
	return n;
}

/* Hands what waits in lfd's accept queue to d; whether there was any. */
static bool take_queued(struct MHD_Daemon *d, MHD_socket lfd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	bool took = false;
	int fd;

	while ((fd = accept4(lfd, (struct sockaddr *)&sa, &len,
			     SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		/* On failure libmicrohttpd closes fd itself. */
		MHD_add_connection(d, fd, (struct sockaddr *)&sa, len);
		len = sizeof(sa);
		took = true;
	}
	return took;
}

/*
 * Makes lfd drop every SYN (and every handshake's last ACK) from now on.
 * The kernel would otherwise go on completing handshakes into the queue
 * until close(lfd), which resets each of them: a scrape cut after its
 * request was sent. A dropped SYN is retried by the client and meets a
 * closed port: refused, which Prometheus reports as the target down.
 */
static void refuse_new(MHD_socket lfd)
{
	struct sock_filter drop[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = drop };

	/* Without it, only the window until close stays open. */
	(void)setsockopt(lfd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
			 sizeof(prog));
}

void serve_conns_stop_daemon(struct serve_conns *sc, struct MHD_Daemon *d,
			     unsigned wait_ms)
{
	MHD_socket lfd = MHD_quiesce_daemon(d);
	uint64_t end = now_ns() + (uint64_t)wait_ms * 1000000u;

	if (lfd != MHD_INVALID_SOCKET) {
		refuse_new(lfd);
		fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
	}
	for (;;) {
		bool took = lfd != MHD_INVALID_SOCKET && take_queued(d, lfd);

		if ((!took && busy(sc) == 0) || now_ns() >= end)
			break;
		nanosleep(&(struct timespec){ 0, 20 * 1000000L }, NULL);
	}
	/* No shutdown() once libmicrohttpd closes its connections. */
	serve_conns_stop(sc);
	MHD_stop_daemon(d);
	/* Ours once quiesced, closed only after the stop (MHD's rule). */
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
}
