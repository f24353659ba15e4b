// SPDX-License-Identifier: MIT
/*
 * evidence's conclusions about a CLOSE-WAIT leak whose process is not
 * blocked on something else: its event loop does not run or spins on an
 * end of file, its requests wait on an upstream, or a child it hands its
 * connections to is stopped. Split from evidence_conclude.c, which
 * decides when these are asked.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "evidence_int.h"
#include "tcplimbo/addr.h"
#include "tcplimbo/diagnose.h"
#include "tcplimbo/evidence.h"
#include "util.h"

/* The remedy of a leak whose event loop does not run. */
static const char loop_remedy[] =
	"The event loop that serves these connections is stuck: the thread that should wait on its epoll set sleeps, blocks or computes in a callback instead (time.sleep() or a blocking call in an asyncio coroutine, synchronous work in a Node.js handler, a blocking call in a Netty handler), so nothing it holds is read or closed. Find that call in a backtrace of the thread (see above) and make it asynchronous, or move it to a worker thread. Restarting the process releases the sockets until the call blocks again.";

/* Whether a thread runs a loop that may spin on system calls. */
static bool may_spin(const struct tl_evidence *ev)
{
	for (size_t i = 0; i < ev->n_read; i++)
		if (ev->threads[i].kind == TL_SYS_RUNNING &&
		    !tli_ev_computes(&ev->threads[i]))
			return true;
	return false;
}

/*
 * Whether a CLOSE-WAIT socket registered for input waits in an epoll set
 * no thread waits on. A running thread may be a loop that spins instead:
 * it reads the end of file, ignores it, and the level-triggered set
 * reports the socket again at once. That loop has read the data, so a
 * running thread counts only where the socket holds no unread data, and
 * only if it spends its time in system calls: one that computes in user
 * space (a `while (true)` in a callback) keeps the loop from waiting.
 */
static bool loop_stuck(const struct tl_evidence *ev)
{
	return ev->has_leak_reg && !ev->leak_reg.waited &&
	       (ev->leak_unread || !may_spin(ev));
}

/*
 * Its CLOSE-WAIT sockets wait, registered for input, in an epoll set no
 * thread waits on: the event loop that would read them, see the end of
 * file and close them does not run (a blocking call in a callback or a
 * coroutine, or a long computation).
 */
static void loop_not_waited(const struct tl_evidence *ev,
			    struct tl_ev_verdict *v, size_t *len)
{
	char threads[256];
	size_t tlen =
		strlen(tl_evidence_threads_text(ev, threads, sizeof(threads)));

	const struct tl_ev_thread *b = tli_ev_busiest(ev);

	if (ev->has_idle && ev->idle_ms >= 1000)
		tli_appendf(threads, sizeof(threads), &tlen,
			    "; %s run for %llu s", tli_ev_none_ran(ev),
			    (unsigned long long)(ev->idle_ms / 1000));
	else if (b && tli_ev_computes(b))
		tli_appendf(
			threads, sizeof(threads), &tlen,
			"; of the CPU time thread %d has used, %llu %% was in the kernel: it computes rather than waits",
			(int)b->tid,
			(unsigned long long)(b->stime_ticks * 100 /
					     (b->utime_ticks + b->stime_ticks)));
	tli_ev_set(v, TL_CAUSE_NOT_WAITED, TL_CERT_LIKELY);
	v->remedy = loop_remedy;
	v->fd = ev->leak_reg.tfd;
	tli_appendf(
		v->text, sizeof(v->text), len,
		"its CLOSE-WAIT connection on fd %d is in epoll fd %d, level-triggered and asking for input, but no thread waits on that epoll fd: the event loop that would read the end of file and close it does not run; %s",
		(int)ev->leak_reg.tfd, (int)ev->leak_reg.epfd, threads);
}

/*
 * A loop that reads the end of file and ignores it: the socket stays in
 * the level-triggered set, which reports it again on every wait, and the
 * thread spins. Told where one of the CLOSE-WAIT sockets, its data read,
 * is so registered and a thread used most of a CPU while we looked.
 */
static void eof_spin(const struct tl_evidence *ev, struct tl_ev_verdict *v,
		     size_t *len)
{
	const struct tl_ev_thread *b = tli_ev_busiest(ev);
	char waited[64];

	if (!ev->has_leak_reg || ev->leak_unread || !b || !tli_ev_spins(b) ||
	    tli_ev_computes(b))
		return;
	tli_ev_set(v, TL_CAUSE_EOF_SPIN, TL_CERT_LIKELY);
	v->fd = ev->leak_reg.tfd;
	tli_appendf(
		v->text, sizeof(v->text), len,
		"its CLOSE-WAIT connection on fd %d, whose data it has read, is in epoll fd %d, level-triggered and asking for input, so every wait reports its end of file again at once; thread %d used %u %% of a CPU over the %u ms we watched it%s: a loop that reads the end of file, ignores it and spins",
		(int)ev->leak_reg.tfd, (int)ev->leak_reg.epfd, (int)b->tid,
		b->busy_pct, b->busy_ms,
		tli_ev_runnable_text(b, waited, sizeof(waited)));
}

/*
 * A proxy, or a server that calls another service for each client: its
 * requests out wait for an answer, about one (or more) for each of its
 * CLOSE-WAIT connections, and it keeps a client's connection until the
 * answer comes or its own timeout ends the wait. An event loop waits in
 * epoll for both, so no thread is blocked: the connections out tell it.
 * A cache that folds identical requests into one fetch (Varnish, nginx's
 * proxy_cache_lock) keeps many clients on one request out: there every
 * client's last data (its request) came no earlier than a second before
 * that request went out, which connections leaked before it cannot have.
 */
bool tli_ev_conclude_upstream(const struct tl_evidence *ev,
			      struct tl_ev_verdict *v, size_t *len)
{
	uint32_t cw = ev->tcp[TL_CLOSE_WAIT];
	char peer[TL_ADDR_STR_MAX + 8];
	bool folded;

	if (ev->up_waiting == 0)
		return false;
	folded = (uint64_t)ev->up_waiting * 2 < cw && ev->cw_timed == cw &&
		 ev->cw_recv_ms <= ev->up_wait_ms + 1000;
	if ((uint64_t)ev->up_waiting * 2 < cw && !folded)
		return false;
	tli_ev_set(v, TL_CAUSE_UPSTREAM, TL_CERT_POSSIBLE);
	/* Its own listener: no host to look on, a deadlock of its own. */
	if (ev->up_self) {
		/* Only the longest is known to be its own: the rest may not. */
		if (ev->up_waiting == 1)
			v->remedy = tli_ev_remedy_self;
		tli_appendf(
			v->text, sizeof(v->text), len,
			"%u of its connections out sent a request that has had no answer%s for %llu s, to %s, its own listener: the request waits there in the accept queue, not accepted; beside its %u in CLOSE-WAIT: it calls itself while it does not accept, and waits on itself",
			ev->up_waiting,
			ev->up_waiting == 1 ? "" : ", the longest-waiting",
			(unsigned long long)(ev->up_wait_ms / 1000),
			tl_addr_format_port(peer, sizeof(peer), ev->up_family,
					    ev->up_addr, ev->up_port),
			cw);
		return true;
	}
	tli_appendf(
		v->text, sizeof(v->text), len,
		"%u of its connections out sent a request that has had no answer%s for %llu s (to %s), beside its %u in CLOSE-WAIT: a proxy, or a program that calls another service for its clients, keeps each client's connection until that answer comes or a timeout of its own ends the wait",
		ev->up_waiting, ev->up_waiting == 1 ? "" : ", the longest",
		(unsigned long long)(ev->up_wait_ms / 1000),
		tl_addr_format_port(peer, sizeof(peer), ev->up_family,
				    ev->up_addr, ev->up_port),
		cw);
	if (folded)
		tli_appendf(
			v->text, sizeof(v->text), len,
			"; none of those %u got its last data (the client's request) more than a second before %s was sent, so they may all wait on %s (a cache that folds identical requests into one fetch, as Varnish does)",
			cw,
			ev->up_waiting == 1 ? "that request" :
					      "the oldest of those requests",
			ev->up_waiting == 1 ? "its answer" : "their answers");
	return true;
}

/*
 * A process that hands the connections it accepts to its workers (Node's
 * cluster primary does, as does a master passing sockets over a Unix
 * socket) holds each until a worker takes it: a stopped worker takes
 * none, and they wait, unread, in the one that accepted them.
 */
static void child_stopped(const struct tl_evidence *ev, struct tl_ev_verdict *v,
			  size_t *len)
{
	if (ev->stopped_children == 0)
		return;
	tli_ev_set(v, TL_CAUSE_CHILD_STOPPED, TL_CERT_POSSIBLE);
	if (ev->stopped_children == 1)
		tli_appendf(
			v->text, sizeof(v->text), len,
			"its child %d is stopped by a signal such as SIGSTOP (State T, no tracer)",
			(int)ev->stopped_child);
	else
		tli_appendf(
			v->text, sizeof(v->text), len,
			"%u of its children are stopped by a signal such as SIGSTOP (State T, no tracer), %d the first",
			ev->stopped_children, (int)ev->stopped_child);
	if (ev->stopped_children > 1)
		v->remedy = tli_ev_remedy_children;
	tli_appendf(
		v->text, sizeof(v->text), len,
		": a process that hands the connections it accepts to its workers (Node's cluster primary does) holds each until a worker takes it, and a stopped worker takes none");
}

/*
 * Every thread asleep (nanosleep, clock_nanosleep, pause) or on a lock,
 * at least one asleep, none run for a second, and no epoll fd (no event
 * loop, whose sleep other causes tell): a worker that sleeps inside a
 * request (a sleep() in a handler, a back-off before a retry; gunicorn's
 * sync worker, a thread of Python's ThreadingHTTPServer) reads none of
 * its connections, and closes them only when it wakes. Threads that wait
 * for new clients (tli_ev_acceptor: socketserver's serve_forever() polls
 * its listener every half second) are left out, where there is a thread
 * asleep or on a lock for each CLOSE-WAIT connection (one per request):
 * a poll loop that serves them all itself, beside a helper thread that
 * sleeps, is no such server.
 * Only a server's (ev->served): a client that sleeps between polls and
 * forgot a connection it opened has a leak of its own, and a program that
 * inherited its server's connections is told by that.
 */
static void asleep_in_request(const struct tl_evidence *ev,
			      struct tl_ev_verdict *v, size_t *len)
{
	char threads[256];
	uint64_t idle = UINT64_MAX;
	size_t acceptors = 0;
	bool asleep = false;

	if (!ev->served || !ev->has_fds || ev->n_epolls || ev->n_read == 0 ||
	    ev->n_threads > ev->n_read)
		return;
	for (size_t i = 0; i < ev->n_read; i++) {
		const struct tl_ev_thread *t = &ev->threads[i];

		if (t->kind != TL_SYS_SLEEP && t->kind != TL_SYS_FUTEX) {
			if (!tli_ev_acceptor(t))
				return;
			acceptors++;
			continue;
		}
		if (!t->has_idle || t->idle_ms < 1000)
			return;
		asleep |= t->kind == TL_SYS_SLEEP;
		if (t->idle_ms < idle)
			idle = t->idle_ms;
	}
	if (!asleep ||
	    (acceptors && ev->n_read - acceptors < ev->tcp[TL_CLOSE_WAIT]))
		return;
	tli_ev_set(v, TL_CAUSE_ASLEEP, TL_CERT_POSSIBLE);
	tli_appendf(
		v->text, sizeof(v->text), len,
		"%s, and %s for %llu s: a program asleep inside a request (a sleep() in a handler, a back-off before a retry) reads none of its connections and closes them only when it wakes",
		tl_evidence_threads_text(ev, threads, sizeof(threads)),
		acceptors == 1 ?
			"none but the one waiting for new clients has run" :
		acceptors ? "none but those waiting for new clients have run" :
		ev->n_read == 1 ? "it has not run" :
				  "none of them has run",
		(unsigned long long)(idle / 1000));
}

/* The remedy of a leak its event loop no longer watches. */
static const char unwatched_remedy[] =
	"If the program took these connections out of its event loop and forgot them, close each when its peer has closed (read() returned 0, a half-close), after sending what it still owes (Twisted: loseConnection() in readConnectionLost(); asyncio: transport.close() in eof_received(), or return False from it; Node.js: socket.end() on 'end'; libuv: uv_close() after uv_read_stop()). If a handler still holds them while it waits for something else (a long-poll, an await that does not read), have it watch for their end too (asyncio streams: a read() that returns b'', or reader.at_eof()) or bound the wait with a timeout. If it forks a child to serve each one, it must close its own copy right after fork(). Restarting the process releases the sockets.";

/*
 * An event loop that waits, in epoll, while none of its CLOSE-WAIT
 * sockets is in any of its epoll sets (ev->leak_unwatched): the program
 * stopped reading them, at their end of file or before, and nothing will
 * tell it to close them. The frameworks that leave closing to the
 * application after a half-close, or pause a connection's reads, make
 * exactly this. Likely where that loop (and threads in accept()) is all
 * the program runs; where other threads wait too, they may be the ones
 * holding the connections (a handler that sleeps or waits on a lock, a
 * poll() loop of its own), and it is possible.
 */
static void unwatched(const struct tl_evidence *ev, struct tl_ev_verdict *v,
		      size_t *len)
{
	char threads[256], which[64], sets[48];
	const struct tl_ev_thread *loop = NULL;
	uint32_t cw = ev->tcp[TL_CLOSE_WAIT];
	const char *them = cw == 1 ? "it" : "them";
	size_t others = 0;

	if (!ev->leak_unwatched || ev->n_read == 0 ||
	    ev->n_threads > ev->n_read)
		return;
	for (size_t i = 0; i < ev->n_read; i++) {
		const struct tl_ev_thread *t = &ev->threads[i];

		/*
		 * A thread in poll() or select() may watch them there, in
		 * a set /proc does not show: it counts with the others.
		 */
		if (t->kind == TL_SYS_EPOLL && t->fd >= 0) {
			if (!loop)
				loop = t;
		} else if (t->kind != TL_SYS_ACCEPT) {
			others++;
		}
	}
	if (!loop)
		return;
	tli_ev_set(v, TL_CAUSE_UNWATCHED,
		   others ? TL_CERT_POSSIBLE : TL_CERT_LIKELY);
	if (!others)
		v->remedy = unwatched_remedy;
	if (cw == 1)
		snprintf(which, sizeof(which), "its CLOSE-WAIT connection is");
	else
		snprintf(which, sizeof(which),
			 "none of its %u CLOSE-WAIT connections is", cw);
	if (ev->n_epolls == 1)
		snprintf(sets, sizeof(sets), "%s its epoll set",
			 cw == 1 ? "not in" : "in");
	else
		snprintf(sets, sizeof(sets), "in %s of its %u epoll sets",
			 cw == 1 ? "none" : "any", ev->n_epolls);
	tli_appendf(
		v->text, sizeof(v->text), len,
		"its event loop waits in epoll fd %lld, but %s %s: it stopped reading %s%s, so no end of file reaches the loop, and only what holds %s can close %s (a protocol that handles half-close and never closes, asyncio's eof_received() returning True, reads paused for good with libuv's uv_read_stop() or Netty's NIO autoRead off; or a handler that holds %s while it awaits something else, as a long-poll does); %s",
		(long long)loop->fd, which, sets, them,
		!others ?
			"" :
		cw == 1 ?
			", or a thread of its own that waits elsewhere holds it (a handler that sleeps or waits on a lock)" :
			", or threads of its own that wait elsewhere hold them (a handler that sleeps or waits on a lock)",
		them, them, them,
		tl_evidence_threads_text(ev, threads, sizeof(threads)));
}

/*
 * Every thread in accept(), and no event loop (no epoll fd): the process
 * only waits for new clients, and nothing in it will read or close the
 * connections it holds. The classic case is a server that forks a child
 * for each connection and keeps its own copy in the parent; a thread
 * that ended without closing its connection looks the same. Only a
 * server's (ev->served), every thread read.
 */
static void abandoned(const struct tl_evidence *ev, struct tl_ev_verdict *v,
		      size_t *len)
{
	if (!ev->served || !ev->has_fds || ev->n_epolls || ev->n_read == 0 ||
	    ev->n_threads > ev->n_read)
		return;
	for (size_t i = 0; i < ev->n_read; i++)
		if (ev->threads[i].kind != TL_SYS_ACCEPT)
			return;
	tli_ev_set(v, TL_CAUSE_ABANDONED, TL_CERT_LIKELY);
	tli_appendf(
		v->text, sizeof(v->text), len,
		"%s in accept(), waiting for new clients, and it has no event loop (no epoll fd): nothing in it reads or closes the connections it already has, as when a server that forks a child for each connection keeps its own copy of each in the parent",
		ev->n_read == 1 ? "its only thread is" : "all its threads are");
}

void tli_ev_conclude_unblocked(const struct tl_evidence *ev,
			       struct tl_ev_verdict *v, size_t *len)
{
	if (loop_stuck(ev))
		loop_not_waited(ev, v, len);
	else
		eof_spin(ev, v, len);
	if (v->cause == TL_CAUSE_UNKNOWN)
		tli_ev_conclude_upstream(ev, v, len);
	if (v->cause == TL_CAUSE_UNKNOWN)
		child_stopped(ev, v, len);
	if (v->cause == TL_CAUSE_UNKNOWN)
		asleep_in_request(ev, v, len);
	if (v->cause == TL_CAUSE_UNKNOWN)
		abandoned(ev, v, len);
	if (v->cause == TL_CAUSE_UNKNOWN)
		unwatched(ev, v, len);
}
