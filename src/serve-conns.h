/* SPDX-License-Identifier: MIT */
/*
 * serve's deadline for a request's headers. libmicrohttpd's timeout is an
 * idle one that every byte restarts, so a client dripping a byte every few
 * seconds held its connection for ever, and two addresses at their
 * per-address cap filled the connection limit and kept every scraper out.
 * Connections are tracked from libmicrohttpd's notifications, and a reaper
 * thread shuts down, once a second, those that have not delivered a
 * request's complete headers SERVE_HEADER_DEADLINE_S after their accept or
 * the end of their previous request.
 */
#ifndef TL_SERVE_CONNS_H
#define TL_SERVE_CONNS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>

/* Seconds a connection has to deliver a request's complete headers. */
#define SERVE_HEADER_DEADLINE_S 10

struct conn;

/*
 * The connections and the reaper. Open connections are in list, under
 * lock; the "closed" notification takes that lock before libmicrohttpd
 * closes the fd, so the reaper's shutdown() under it never reaches a
 * reused fd.
 */
struct serve_conns {
	/*
	 * At this many open connections in all, or from one address, the
	 * oldest that has sent no request is shut down to make room for a
	 * new one: libmicrohttpd's own limits turn the new one away
	 * instead, and a local user holding connections to a loopback
	 * exporter would keep every scraper out (they share 127.0.0.1).
	 * 0: no limit.
	 */
	unsigned limit, per_addr;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* on CLOCK_MONOTONIC; signalled to stop */
	struct conn *list;
	bool stop;
	pthread_t thread;
	bool running;
	/* Where the reaper's one line a pass goes (rate-limited there). */
	void (*log)(void *arg, const char *msg);
	void *log_arg;
};

/* Sets up sc, logging through log(log_arg, msg); 0 or -errno. */
int serve_conns_init(struct serve_conns *sc,
		     void (*log)(void *arg, const char *msg), void *log_arg);

/* Starts the reaper thread; 0 or -errno. */
int serve_conns_start(struct serve_conns *sc);

/* Stops the reaper, if it runs. */
void serve_conns_stop(struct serve_conns *sc);

/*
 * Stops the reaper and frees what sc holds, once libmicrohttpd has stopped
 * (its "closed" notifications take the lock).
 */
void serve_conns_destroy(struct serve_conns *sc);

/*
 * Stops d (started with MHD_USE_ITC) without cutting a scrape: it takes
 * no new connection, but the ones the kernel has queued on its listener
 * are taken and served (closing a listener resets its queue), and
 * requests in are answered, until none is left or wait_ms have passed;
 * then the reaper and d stop. A handshake that starts after the stop
 * begins never completes; its client's retry is refused.
 */
void serve_conns_stop_daemon(struct serve_conns *sc, struct MHD_Daemon *d,
			     unsigned wait_ms);

/* MHD_OPTION_NOTIFY_CONNECTION's callback; cls is the serve_conns. */
void serve_conns_notify(void *cls, struct MHD_Connection *c,
			void **socket_context,
			enum MHD_ConnectionNotificationCode code);

/* MHD_OPTION_NOTIFY_COMPLETED's callback: the request ended. */
void serve_conns_done(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode code);

/*
 * A request's headers are in (in_request, from the access handler), or it
 * ended: the deadline is off while a request is served, and on again for
 * the next request of a kept-alive connection.
 */
void serve_conns_request(struct serve_conns *sc, struct MHD_Connection *c,
			 bool in_request);

#endif
