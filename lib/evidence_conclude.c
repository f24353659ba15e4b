// SPDX-License-Identifier: MIT
/*
 * evidence: from what /proc showed to a cause. Each conclusion names the
 * facts it rests on and says how sure it is: a process state read from the
 * kernel is certain, an epoll registration that explains a full queue is
 * likely, a guess from what is missing is only possible.
 */
#include <stdio.h>
#include <string.h>

#include "tcplimbo/diagnose.h"
#include "evidence_int.h"
#include "tcplimbo/evidence.h"
#include "util.h"

/* Whether a state letter from /proc (T, or t for traced) means stopped. */
static bool stopped(char s)
{
	return s == 'T' || s == 't';
}

/* The larger of the shares it ran and it was runnable. */
static unsigned busyness(const struct tl_ev_thread *t)
{
	return t->runnable_pct > t->busy_pct ? t->runnable_pct : t->busy_pct;
}

/*
 * Whether a thread ran hot, a fifth of a CPU or more, while we watched
 * (or was runnable so long: a loaded machine gives a spinning loop less),
 * and the program holds some of the listener's connections: the signs of
 * a loop spinning at its own connection limit.
 */
static bool spins_at_limit(const struct tl_evidence *ev)
{
	const struct tl_ev_thread *b = tli_ev_busiest(ev);

	return b && busyness(b) >= 20 && !tli_ev_computes(b) && ev->held > 0;
}

/*
 * The registration most telling about a stuck listener, or NULL when none
 * can report a connection.
 */
static const struct tl_ev_reg *worst_reg(const struct tl_evidence *ev,
					 int *ret_cause)
{
	const uint32_t flags = TL_EPOLLET | TL_EPOLLONESHOT | (1u << 28) |
			       (1u << 29); /* EXCLUSIVE, WAKEUP */

	for (size_t i = 0; i < ev->n_regs; i++) {
		/* A fired EPOLLONESHOT keeps its flags and loses its events. */
		if ((ev->regs[i].events & TL_EPOLLONESHOT) &&
		    (ev->regs[i].events & ~flags) == 0) {
			*ret_cause = TL_CAUSE_ONESHOT;
			return &ev->regs[i];
		}
	}
	for (size_t i = 0; i < ev->n_regs; i++) {
		if (tli_ev_can_report(ev->regs[i].events) &&
		    (ev->regs[i].events & TL_EPOLLET)) {
			*ret_cause = TL_CAUSE_EDGE;
			return &ev->regs[i];
		}
	}
	for (size_t i = 0; i < ev->n_regs; i++) {
		if (tli_ev_can_report(ev->regs[i].events) &&
		    !ev->regs[i].waited) {
			*ret_cause = TL_CAUSE_NOT_WAITED;
			return &ev->regs[i];
		}
	}
	*ret_cause = TL_CAUSE_WATCHED;
	for (size_t i = 0; i < ev->n_regs; i++)
		if (tli_ev_can_report(ev->regs[i].events))
			return &ev->regs[i];
	return NULL;
}

/* Whether every thread read waits in futex (some may not have been). */
static bool only_futex(const struct tl_evidence *ev)
{
	for (size_t i = 0; i < ev->n_read; i++)
		if (ev->threads[i].kind != TL_SYS_FUTEX)
			return false;
	return ev->n_read > 0;
}

bool tli_ev_spins(const struct tl_ev_thread *t)
{
	return t->has_busy && busyness(t) >= TLI_EV_SPIN_PCT;
}

const struct tl_ev_thread *tli_ev_busiest(const struct tl_evidence *ev)
{
	const struct tl_ev_thread *b = NULL;

	/* Ran or waited for a CPU: a loaded machine's spinner ranks high. */
	for (size_t i = 0; i < ev->n_read; i++)
		if (ev->threads[i].has_busy &&
		    (!b || busyness(&ev->threads[i]) > busyness(b)))
			b = &ev->threads[i];
	return b;
}

/*
 * The held connections that can keep a worker busy. Alone on its
 * listener, a process whose connections' clients have all left is
 * serving nobody: a child that inherited the listener and a client's fd
 * from a server that exited (ncat --sh-exec leaves them to the commands
 * it runs) holds them, sleeping.
 */
static uint64_t busy_held(const struct tl_evidence *ev)
{
	return ev->sharers > 1 ? ev->held : ev->held - ev->held_closed;
}

/*
 * Whether every worker is busy with a client it holds: each thread is in
 * I/O on one of the listener's connections the process holds, waits in
 * futex (a pool's main thread waiting for its workers), polls or sleeps
 * (a request of php-fpm's in sleep()), and some are in I/O, poll or sleep.
 * A thread in I/O on anything else (an upstream, a file) is blocked there
 * instead, and so is one asleep where the listener is registered in an
 * epoll set of a process alone on it: that is an event loop a handler put
 * to sleep (time.sleep() in asyncio), not a worker of a pool. Where
 * several processes share the listener, each with its own epoll set
 * (uWSGI's, a pre-forked pool of event loops), one asleep in a request is
 * a worker busy with it. *ret_sure when no thread polls or
 * sleeps, which /proc cannot tie to a client; then as many connections as
 * such threads must be held.
 */
static bool busy_serving(const struct tl_evidence *ev, bool registered,
			 bool *ret_sure)
{
	size_t on = 0, polls = 0;
	uint64_t held = busy_held(ev);

	if (held == 0 || ev->n_read == 0 || ev->n_threads > ev->n_read)
		return false;
	for (size_t i = 0; i < ev->n_read; i++) {
		if (i < 64 && (ev->on_held >> i & 1))
			on++;
		else if (ev->threads[i].kind == TL_SYS_POLL ||
			 (ev->threads[i].kind == TL_SYS_SLEEP &&
			  (!registered || ev->sharers > 1)))
			polls++;
		else if (ev->threads[i].kind != TL_SYS_FUTEX)
			return false;
	}
	*ret_sure = polls == 0;
	return on + polls > 0 && (polls == 0 || held >= polls);
}

/*
 * A server that serves one connection at a time: one process with one
 * thread, and no child holding its connections (Python's HTTPServer,
 * an inetd-less toy loop). Raising a worker limit does not apply.
 */
static bool serial(const struct tl_evidence *ev)
{
	return ev->n_threads == 1 && ev->sharers <= 1 && ev->children_held == 0;
}

bool tl_evidence_exited(const struct tl_evidence *ev)
{
	return ev->gone ||
	       ((ev->state == 'Z' || ev->state == 'X') && !ev->main_exited);
}

/* Process state: the one fact that explains everything when it holds. */
static bool conclude_state(const struct tl_evidence *ev,
			   struct tl_ev_verdict *v, size_t *len)
{
	char idle[48] = "";

	if (ev->has_idle && ev->idle_ms >= 1000)
		snprintf(idle, sizeof(idle), ", and has not run for %llu s",
			 (unsigned long long)(ev->idle_ms / 1000));
	if (ev->gone) {
		tli_ev_set(v, TL_CAUSE_GONE, TL_CERT_CERTAIN);
		tli_appendf(v->text, sizeof(v->text), len,
			    "pid %d has exited (no /proc/%d)", (int)ev->pid,
			    (int)ev->pid);
		return true;
	}
	/* State X: its parent is reaping it, not failing to. */
	if (ev->state == 'X' && tl_evidence_exited(ev)) {
		tli_ev_set(v, TL_CAUSE_GONE, TL_CERT_CERTAIN);
		tli_appendf(v->text, sizeof(v->text), len,
			    "pid %d has exited: its parent was reaping it as "
			    "we looked (State X)",
			    (int)ev->pid);
		return true;
	}
	if (tl_evidence_exited(ev)) {
		tli_ev_set(v, TL_CAUSE_ZOMBIE, TL_CERT_CERTAIN);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"pid %d is a zombie (State %c): it has exited and its parent has not reaped it",
			(int)ev->pid, ev->state);
		return true;
	}
	/* Frozen, not stopped: State stays S or D, and no signal wakes it. */
	if (ev->frozen && !stopped(ev->state)) {
		char how[TL_EV_FROZEN_CGROUP_MAX + 96];

		tli_ev_frozen_how(ev, how, sizeof(how));
		tli_ev_set(v, TL_CAUSE_FROZEN, TL_CERT_CERTAIN);
		tli_appendf(v->text, sizeof(v->text), len,
			    "pid %d is frozen by the cgroup %s", (int)ev->pid,
			    how);
		if (ev->has_idle && ev->idle_ms >= 1000)
			tli_appendf(v->text, sizeof(v->text), len,
				    "; it has not run for %llu s",
				    (unsigned long long)(ev->idle_ms / 1000));
		return true;
	}
	if (stopped(ev->state) && ev->tracer) {
		tli_ev_set(v, TL_CAUSE_TRACED, TL_CERT_CERTAIN);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"pid %d is stopped by a debugger (State %c, TracerPid %d)%s",
			(int)ev->pid, ev->state, (int)ev->tracer, idle);
		return true;
	}
	if (stopped(ev->state)) {
		tli_ev_set(v, TL_CAUSE_STOPPED, TL_CERT_CERTAIN);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"pid %d is stopped by a signal such as SIGSTOP (State T, no tracer)%s",
			(int)ev->pid, idle);
		return true;
	}
	return false;
}

bool tli_ev_acceptor(const struct tl_ev_thread *t)
{
	return t->kind == TL_SYS_ACCEPT || t->kind == TL_SYS_POLL;
}

/*
 * Whether the process is stuck on something else: each of its threads is
 * in I/O on an fd of other (bit i for threads[i]), none of those has run
 * for a second, and the rest wait in futex (for one that is, or a
 * runtime's housekeeping, which wakes often: a JVM's does every 50 ms)
 * or, where accept_ok, as an acceptor (see tli_ev_acceptor()): it waits for new
 * clients while the threads that hold the old ones are stuck; or, where
 * sleep_ok, asleep: a main loop that sleeps until a worker is free
 * (tinyproxy at MaxClients) waits for the stuck ones too. *ret_fd is
 * the first such fd, *ret_idle_ms how long the least idle of those
 * threads has not run.
 */
static bool blocked_on(const struct tl_evidence *ev, uint64_t other,
		       bool accept_ok, bool sleep_ok, int64_t *ret_fd,
		       uint64_t *ret_idle_ms)
{
	uint64_t idle = UINT64_MAX;
	int64_t fd = -1;

	if (!other || ev->n_read == 0 || ev->n_threads > ev->n_read ||
	    !ev->has_idle)
		return false;
	for (size_t i = 0; i < ev->n_read; i++) {
		const struct tl_ev_thread *t = &ev->threads[i];

		if (i < 64 && (other >> i & 1)) {
			if (!t->has_idle || t->idle_ms < 1000)
				return false;
			if (fd < 0)
				fd = t->fd;
			if (t->idle_ms < idle)
				idle = t->idle_ms;
		} else if (t->kind != TL_SYS_FUTEX &&
			   !(accept_ok && tli_ev_acceptor(t)) &&
			   !(sleep_ok && t->kind == TL_SYS_SLEEP)) {
			return false;
		}
	}
	*ret_fd = fd;
	*ret_idle_ms = idle;
	return true;
}

/*
 * Whether every thread of the process waits in futex (a lock, a condition
 * variable, a join) and none has run for a second: nothing in it gets
 * anywhere, and it is what a deadlock looks like from outside. Every
 * thread must have been read: one not read may be the one that works.
 */
static bool all_locked(const struct tl_evidence *ev)
{
	return ev->n_threads <= ev->n_read && only_futex(ev) && ev->has_idle &&
	       ev->idle_ms >= 1000;
}

/* The lock-wait cause: what keeps the program from what. */
static void set_locked(const struct tl_evidence *ev, const char *what,
		       struct tl_ev_verdict *v, size_t *len)
{
	tli_ev_set(v, TL_CAUSE_LOCKED, TL_CERT_POSSIBLE);
	tli_appendf(
		v->text, sizeof(v->text), len,
		"%s %u thread%s wait%s in futex, on a lock or a condition variable, and none has run for %llu s: %s; threads that all wait that long are usually deadlocked (each holds a lock another wants) or wait for one that has died or is stuck",
		ev->n_read == 1 ? "its" : "all", (unsigned)ev->n_read,
		ev->n_read == 1 ? "" : "s", ev->n_read == 1 ? "s" : "",
		(unsigned long long)(ev->idle_ms / 1000), what);
}

/* Whether the thread blocked on fd is in an epoll wait. */
static bool epoll_wait_on(const struct tl_evidence *ev, int64_t fd)
{
	for (size_t i = 0; i < ev->n_read; i++)
		if (ev->threads[i].fd == fd)
			return ev->threads[i].kind == TL_SYS_EPOLL;
	return false;
}

static void conclude_listener(const struct tl_evidence *ev, int kind,
			      struct tl_ev_verdict *v, size_t *len)
{
	const struct tl_ev_reg *reg;
	char threads[256], sets[96];
	uint64_t idle;
	int64_t fd;
	bool sure;
	int cause;

	tl_evidence_threads_text(ev, threads, sizeof(threads));
	/* A program that has not run for a while is waiting, not busy. */
	if (ev->has_idle && ev->idle_ms >= 1000) {
		size_t tlen = strlen(threads);

		tli_appendf(threads, sizeof(threads), &tlen,
			    "; %s run for %llu s", tli_ev_none_ran(ev),
			    (unsigned long long)(ev->idle_ms / 1000));
	}
	if (ev->n_epolls == 0)
		snprintf(sets, sizeof(sets), "in no epoll set");
	else if (ev->n_epolls == 1)
		snprintf(sets, sizeof(sets), "not in its epoll set");
	else
		snprintf(sets, sizeof(sets), "in none of its %u epoll sets",
			 ev->n_epolls);
	if (tli_ev_accepts_listener(ev)) {
		tli_ev_set(v, TL_CAUSE_ACCEPTING,
			   kind == TL_FIND_ACCEPT_QUEUE_OVERFLOW ?
				   TL_CERT_LIKELY :
				   TL_CERT_POSSIBLE);
		tli_appendf(v->text, sizeof(v->text), len,
			    "it is accepting, slower than clients arrive: %s",
			    threads);
		/* The finding's own remedy (accept faster) fits. */
		v->remedy = NULL;
		return;
	}
	reg = worst_reg(ev, &cause);
	/* Registered but asking for nothing is not watched either. */
	for (size_t i = 0; !reg && i < ev->n_regs; i++)
		if (!(ev->regs[i].events & TL_EPOLLONESHOT))
			snprintf(
				sets, sizeof(sets),
				"in epoll fd %d but asks it for no events (events 0x%x, no EPOLLIN)",
				(int)ev->regs[i].epfd, ev->regs[i].events);
	/*
	 * It watches another SO_REUSEPORT listener of this address and not
	 * this one: the kernel gives each listener its own connections, so
	 * those it holds came from that one and say nothing of this queue
	 * (nginx's reuseport: every worker holds every worker's listener).
	 */
	if (!reg && ev->has_sibling) {
		tli_ev_set(v, TL_CAUSE_NOT_WATCHED, TL_CERT_LIKELY);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"the listener is %s, but another SO_REUSEPORT listener of its address is (fd %d, in epoll fd %d%s): it takes connections from that one, whose queue is its own, not from this one; %s",
			sets, (int)ev->sibling.tfd, (int)ev->sibling.epfd,
			ev->sibling.waited ? ", which a thread waits on" : "",
			threads);
		return;
	}
	/*
	 * Go's netpoller and Tokio's I/O driver register every socket
	 * edge-triggered, and their accept takes connections until EAGAIN,
	 * so there the registration says nothing and a queue that stays is
	 * a goroutine or task that does not call accept.
	 */
	if (reg && (ev->runtime == TL_RT_GO || ev->runtime == TL_RT_TOKIO)) {
		bool overflow = kind == TL_FIND_ACCEPT_QUEUE_OVERFLOW;
		bool go = ev->runtime == TL_RT_GO;
		const char *who = go ? "goroutine" : "task";

		/* An overflow may also be a loop that is only too slow. */
		tli_ev_set(v, go ? TL_CAUSE_GO_ACCEPT : TL_CAUSE_TOKIO,
			   overflow ? TL_CERT_POSSIBLE : TL_CERT_LIKELY);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"pid %d %s, whose runtime registers every socket edge-triggered (here the listener, fd %d, in epoll fd %d, events 0x%x) and whose %s takes connections until %s: ",
			(int)ev->pid,
			go ? "is a Go program (its file carries Go's build ID note)" :
			     "runs on Tokio (its threads are named tokio-runtime-worker)",
			(int)reg->tfd, (int)reg->epfd, reg->events,
			go ? "Accept" : "accept()",
			go ? "EAGAIN" : "WouldBlock");
		if (overflow)
			tli_appendf(
				v->text, sizeof(v->text), len,
				"so its accept loop does not keep up: no %s calls %s, every call fails, or the program gets too little CPU; it holds ",
				who, go ? "Accept" : "accept()");
		else
			tli_appendf(
				v->text, sizeof(v->text), len,
				"so no %s is calling %s on this listener, or every call fails; it holds ",
				who, go ? "Accept" : "accept()");
		if (ev->held)
			tli_appendf(
				v->text, sizeof(v->text), len,
				"%llu of the listener's connections%s; %s",
				(unsigned long long)ev->held,
				tl_ev_round_number(ev->held) ?
					", a round number like a configured maximum" :
					"",
				threads);
		else
			tli_appendf(v->text, sizeof(v->text), len,
				    "none of the listener's connections; %s",
				    threads);
		return;
	}
	if (reg && cause == TL_CAUSE_ONESHOT) {
		tli_ev_set(v, cause, TL_CERT_LIKELY);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"the listener (fd %d) is in epoll fd %d with EPOLLONESHOT and has not been re-armed since it fired (events 0x%x): epoll will not report it again; %s",
			(int)reg->tfd, (int)reg->epfd, reg->events, threads);
		return;
	}
	if (reg && cause == TL_CAUSE_EDGE) {
		tli_ev_set(v, cause, TL_CERT_LIKELY);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"the listener (fd %d) is registered edge-triggered (EPOLLET, events 0x%x) in epoll fd %d: a program that accepts once per wakeup leaves the rest queued until the next connection arrives; %s",
			(int)reg->tfd, reg->events, (int)reg->epfd, threads);
		return;
	}
	/* Without the threads' syscalls nothing can be said about waits. */
	if (ev->n_read == 0 || tli_ev_any_thread(ev, TL_SYS_UNKNOWN)) {
		tli_ev_set(v, TL_CAUSE_UNKNOWN, TL_CERT_POSSIBLE);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"what its threads are doing could not be read (/proc/PID/task/TID/syscall needs ptrace access to the process); the listener is %s",
			reg ? "in an epoll set" : sets);
		v->remedy = NULL;
		return;
	}
	if (!reg && tli_ev_conclude_poll_sets(ev, sets, threads, v, len))
		return;
	/*
	 * Nobody waits for the listener: stuck on an upstream, a file. A
	 * thread asleep counts with them where no epoll set holds the
	 * listener: it is no event loop a handler put to sleep.
	 */
	if ((!reg || cause == TL_CAUSE_NOT_WAITED) &&
	    blocked_on(ev, ev->on_other, false, !reg, &fd, &idle)) {
		tli_ev_set_blocked(ev, fd, epoll_wait_on(ev, fd),
				   "its clients' connections", "its clients",
				   threads, v, len);
		return;
	}
	/*
	 * Nobody waits for the listener because every worker is busy with a
	 * client it holds (gunicorn's sync workers in recv, a pre-forked
	 * Apache child polling its one client, a thread pool's workers).
	 */
	if ((!reg || cause == TL_CAUSE_NOT_WAITED) &&
	    busy_serving(ev, reg != NULL, &sure)) {
		char where[96];

		if (reg)
			snprintf(
				where, sizeof(where),
				"it is in epoll fd %d, which no thread waits on",
				(int)reg->epfd);
		else
			snprintf(where, sizeof(where), "%s", sets);
		tli_ev_set(v, TL_CAUSE_LIMIT,
			   sure ? TL_CERT_LIKELY : TL_CERT_POSSIBLE);
		/*
		 * One thread: serial, or (in an epoll set) a blocked loop.
		 * In poll or asleep (Ruby's sleep waits in ppoll, PHP's in
		 * nanosleep), no worker pool either: a handler that takes
		 * long, which /proc does not tie to a client.
		 */
		if (serial(ev)) {
			if (reg)
				tli_ev_set(v, TL_CAUSE_NOT_WAITED,
					   sure ? TL_CERT_LIKELY :
						  TL_CERT_POSSIBLE);
			else
				v->remedy = tli_ev_remedy_serial;
			tli_appendf(
				v->text, sizeof(v->text), len,
				sure ? "no thread waits for the listener (%s): its only thread is in I/O on one of the listener's connections it holds (%llu), and no other process holds the listener, so %s; %s" :
				       "no thread waits for the listener (%s): its only thread is in poll, select or a sleep, which /proc does not tie to a client, while it holds %llu of the listener's connections, and no other process holds the listener, so %s; %s",
				where, (unsigned long long)ev->held,
				reg ? "a handler blocks its event loop, which serves nothing else meanwhile" :
				sure ?
				      "it serves one connection at a time and that client holds up the rest" :
				      "it serves one connection at a time and a request that takes long (a sleep, a slow call) holds up the rest",
				threads);
			return;
		}
		tli_appendf(
			v->text, sizeof(v->text), len,
			sure ? "no thread waits for the listener (%s): each thread is in I/O on one of the listener's connections it holds (%llu), or waits for one that is, so the workers are all busy serving: a worker limit (such as Apache's MaxRequestWorkers, gunicorn's workers or php-fpm's pm.max_children) or clients that hold the workers" :
			       "no thread waits for the listener (%s): its threads are in poll/select, sleep or I/O, which /proc does not tie to a client, while it holds %llu of the listener's connections, so the workers may all be busy serving: a worker limit (such as Apache's MaxRequestWorkers, gunicorn's workers or php-fpm's pm.max_children), requests that take long or clients that hold the workers",
			where, (unsigned long long)ev->held);
		/*
		 * One thread asleep with the listener in a set nobody
		 * waits on: a full pool of one-request workers (uWSGI's)
		 * looks the same as pre-forked event loops a handler put
		 * to sleep (Tornado's fork_processes), which no limit
		 * bounds.
		 */
		if (reg && ev->n_threads == 1 && ev->n_read == 1 &&
		    ev->threads[0].kind == TL_SYS_SLEEP) {
			v->remedy = tli_ev_remedy_pool_or_loop;
			tli_appendf(
				v->text, sizeof(v->text), len,
				"; or, if each process runs an event loop that serves many connections at once (Tornado's fork_processes, asyncio), a handler asleep in it blocks the loop, and more processes only move the problem");
		}
		tli_appendf(v->text, sizeof(v->text), len, "; %s", threads);
		return;
	}
	/*
	 * It holds none of the connections, its children do: a server that
	 * forks a child for each connection and stops accepting at its limit
	 * of them (socat's max-children), or a master whose old children
	 * finish their connections after a graceful restart.
	 */
	if ((!reg || cause == TL_CAUSE_NOT_WAITED) && ev->held == 0 &&
	    ev->children_held > 0) {
		tli_ev_set(v, TL_CAUSE_LIMIT, TL_CERT_POSSIBLE);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"no thread waits for the listener (%s) while its children hold %llu of its connections and not the listener: a server that forks a child for each connection waits so at its limit of children (socat's max-children, a forking server's max_children), or they are an old generation finishing after a graceful restart; %s",
			reg ? "its epoll set is not waited on" : sets,
			(unsigned long long)ev->children_held, threads);
		return;
	}
	/*
	 * A blocking pool (Java's, a C++ thread pool) whose workers wait in
	 * futex: on a lock, a condition variable, a sleep or the pool's own
	 * queue, which /proc does not tell apart, while the program holds
	 * connections and nobody waits for the listener.
	 */
	if (!reg && busy_held(ev) > 0 && only_futex(ev)) {
		tli_ev_set(v, TL_CAUSE_LIMIT, TL_CERT_POSSIBLE);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"no thread is in accept() or waits for the listener (%s) while the program holds %llu of its connections, and its threads wait in futex (on a lock, a condition variable or a sleep, which /proc does not tell apart): a pool whose workers are all busy with those connections or stuck on a lock, or an accept loop that stopped; %s",
			sets, (unsigned long long)busy_held(ev), threads);
		return;
	}
	/*
	 * No thread was seen in the wait, but one runs hot while the program
	 * holds accepted connections: a level-triggered listener wakes its
	 * loop on every wait, and a loop that will not accept past its own
	 * limit of connections (Knot's tcp-max-clients) goes round and round.
	 * One look at /proc catches it between two waits.
	 */
	if (reg && cause == TL_CAUSE_NOT_WAITED && spins_at_limit(ev)) {
		const struct tl_ev_thread *b = tli_ev_busiest(ev);
		char waited[64];

		tli_ev_set(v, TL_CAUSE_LIMIT, TL_CERT_POSSIBLE);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"the listener (fd %d) is in epoll fd %d, level-triggered, and thread %d used %u %% of a CPU over the %u ms we watched%s while the program holds %llu of the listener's connections: a loop that an always ready listener wakes at every wait, and that does not accept at its own limit of connections, spins so (or the thread is busy elsewhere); %s",
			(int)reg->tfd, (int)reg->epfd, (int)b->tid, b->busy_pct,
			b->busy_ms,
			tli_ev_runnable_text(b, waited, sizeof(waited)),
			(unsigned long long)ev->held, threads);
		return;
	}
	if (reg && cause == TL_CAUSE_NOT_WAITED) {
		tli_ev_set(v, cause, TL_CERT_LIKELY);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"the listener (fd %d) is in epoll fd %d, but no thread waits on that epoll fd: %s",
			(int)reg->tfd, (int)reg->epfd, threads);
		return;
	}
	if (reg) {
		tli_ev_set(v, TL_CAUSE_WATCHED, TL_CERT_POSSIBLE);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"the listener (fd %d) is in epoll fd %d (events 0x%x) and a thread waits on it, so the program is told; its accept() may be failing (EMFILE?) or it may give up on the connections: %s",
			(int)reg->tfd, (int)reg->epfd, reg->events, threads);
		v->remedy = NULL;
		return;
	}
	/* Not registered in any epoll set we could read. */
	if (ev->n_epolls_read < ev->n_epolls || !ev->has_fds) {
		tli_ev_set(v, TL_CAUSE_UNKNOWN, TL_CERT_POSSIBLE);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"the listener was not found in the epoll sets that could be read: %s",
			threads);
		v->remedy = NULL;
		return;
	}
	if (ev->held > 0 && ev->n_epolls) {
		/*
		 * Near its fd limit, the limit it keeps is its fds' (squid
		 * keeps some in reserve): a round count of connections is
		 * then no sign of a configured maximum.
		 */
		bool near_fds = ev->has_fds && ev->nofile &&
				ev->nofile != UINT64_MAX &&
				(uint64_t)ev->n_fds * 100 >= ev->nofile * 80;
		bool round = !near_fds && tl_ev_round_number(ev->held);
		char fds[128] = "";

		if (near_fds)
			snprintf(
				fds, sizeof(fds),
				", with %u of its %llu fds open: near its fd limit, where a program that keeps fds in reserve stops accepting",
				ev->n_fds, (unsigned long long)ev->nofile);
		tli_ev_set(v, TL_CAUSE_LIMIT,
			   round ? TL_CERT_LIKELY : TL_CERT_POSSIBLE);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"no thread is in accept() and the listener is %s while the program holds %llu accepted connection%s on port %u (backlog %u)%s%s: usually a connection limit; %s",
			sets, (unsigned long long)ev->held,
			ev->held == 1 ? "" : "s", ev->port, ev->backlog,
			round ? ", a round number like a configured maximum" :
				"",
			fds, threads);
		return;
	}
	if (tli_ev_conclude_polled(ev, sets, threads, v, len))
		return;
	/*
	 * An overflow whose queue is not full is told only where the queue
	 * moves: something accepts, between our looks. One look cannot tell
	 * a loop that has stopped from one that waited for a lock at that
	 * moment (Python's threads take turns on the GIL, in futex).
	 */
	if (kind == TL_FIND_ACCEPT_QUEUE_OVERFLOW &&
	    ev->queued <= ev->backlog) {
		tli_ev_set(v, TL_CAUSE_NOT_WATCHED, TL_CERT_POSSIBLE);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"no thread was in accept(), poll() or an epoll wait when we looked, but the queue moves, so the program does accept: its accept loop may be slower than clients arrive, or wait on a lock between accepts; %s",
			threads);
		v->remedy = NULL;
		return;
	}
	/*
	 * A full queue, no event loop, and a thread that ran less than a
	 * second ago: a loop that looks at the listener in rounds and sleeps
	 * between them (icecast's) is, at one look, one that never accepts.
	 * An event loop that waits on a set without the listener is not.
	 */
	if (kind == TL_FIND_ACCEPT_QUEUE_OVERFLOW && ev->has_idle &&
	    ev->idle_ms < 1000 && ev->n_epolls == 0 && !tli_ev_any_runs(ev)) {
		tli_ev_set(v, TL_CAUSE_NOT_WATCHED, TL_CERT_POSSIBLE);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"no thread was in accept(), poll() or an epoll wait when we looked, but one ran %llu ms before: a loop that accepts in rounds and sleeps between them, slower than clients arrive, looks the same at one look; %s",
			(unsigned long long)ev->idle_ms, threads);
		v->remedy = NULL;
		return;
	}
	if (all_locked(ev)) {
		set_locked(ev, "nothing in the program waits for the listener",
			   v, len);
		return;
	}
	/* What the threads not read were doing is not known. */
	tli_ev_set(v, TL_CAUSE_NOT_WATCHED,
		   ev->n_threads > ev->n_read ? TL_CERT_POSSIBLE :
						TL_CERT_LIKELY);
	if (ev->n_epolls)
		tli_appendf(
			v->text, sizeof(v->text), len,
			"no thread is in accept() and the listener is %s: nothing in the program waits for it; %s",
			sets, threads);
	else
		tli_appendf(
			v->text, sizeof(v->text), len,
			"no thread is in accept(), poll() or an epoll wait: nothing in the program waits for the listener; %s",
			threads);
	if (ev->listener_stdin)
		tli_appendf(
			v->text, sizeof(v->text), len,
			"; it holds the listener as its standard input (fd 0), handed to it to accept on, as inetd starts the server of a wait service");
}

/*
 * A process that holds CLOSE-WAIT sockets while it is stuck on something
 * else: not (or not only) leaking.
 */
static void conclude_leak(const struct tl_evidence *ev, struct tl_ev_verdict *v,
			  size_t *len)
{
	char threads[256];
	uint64_t idle;
	size_t tlen;
	int64_t fd;

	/* Asleep counts where no epoll set holds them: no loop of theirs. */
	if (!blocked_on(ev, ev->on_other, true, !ev->has_leak_reg, &fd,
			&idle)) {
		if (all_locked(ev))
			set_locked(ev,
				   "nothing in the program gets to close them",
				   v, len);
		else
			tli_ev_conclude_unblocked(ev, v, len);
		return;
	}
	/*
	 * Waiting in an event loop's set (or in poll(), whose set is read
	 * only for a listener) while about as many requests out go
	 * unanswered as connections are held: the upstream is what it waits
	 * on. A thread blocked on one fd names that fd itself.
	 */
	if ((fd < 0 || epoll_wait_on(ev, fd)) &&
	    tli_ev_conclude_upstream(ev, v, len))
		return;
	tlen = strlen(tl_evidence_threads_text(ev, threads, sizeof(threads)));
	if (ev->idle_ms >= 1000)
		tli_appendf(threads, sizeof(threads), &tlen,
			    "; %s run for %llu s", tli_ev_none_ran(ev),
			    (unsigned long long)(ev->idle_ms / 1000));
	else
		tli_appendf(threads, sizeof(threads), &tlen,
			    "; the blocked ones have not run for %llu s",
			    (unsigned long long)(idle / 1000));
	tli_ev_set_blocked(ev, fd, epoll_wait_on(ev, fd),
			   "the connections it holds",
			   "the connections it should close", threads, v, len);
}

void tl_evidence_conclude(const struct tl_evidence *ev, int kind,
			  struct tl_ev_verdict *ret)
{
	size_t len = 0;

	memset(ret, 0, sizeof(*ret));
	ret->fd = -1;
	/*
	 * A stopped process opens no fds: what fills its table is the cause
	 * of running out, and being stopped is said after it.
	 */
	if (kind == TL_FIND_FD_EXHAUSTION && stopped(ev->state) && !ev->gone) {
		tli_ev_conclude_fds(ev, ret, &len);
		tli_appendf(
			ret->text, sizeof(ret->text), &len,
			"%spid %d is also stopped (State T%s): that opens no fds, but nothing is accepted until it runs again",
			len ? "; " : "", (int)ev->pid,
			ev->tracer ? ", by a debugger" : ", no tracer");
		return;
	}
	if (conclude_state(ev, ret, &len))
		return;
	if (kind == TL_FIND_FD_EXHAUSTION) {
		tli_ev_conclude_fds(ev, ret, &len);
		return;
	}
	if (kind == TL_FIND_CLOSE_WAIT_LEAK) {
		conclude_leak(ev, ret, &len);
		return;
	}
	if (ev->has_listener)
		conclude_listener(ev, kind, ret, &len);
}
