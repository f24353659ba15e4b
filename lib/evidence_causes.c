// SPDX-License-Identifier: MIT
/*
 * evidence's names and remedies: what each cause and certainty is called
 * in JSON, and the remedy that fits each cause.
 */
#include <stdbool.h>
#include <stdint.h>

#include "evidence_int.h"
#include "tcplimbo/evidence.h"

static const char *const cause_names[TL_CAUSE_MAX] = {
	[TL_CAUSE_UNKNOWN] = "unknown",
	[TL_CAUSE_GONE] = "exited",
	[TL_CAUSE_ZOMBIE] = "zombie",
	[TL_CAUSE_STOPPED] = "stopped",
	[TL_CAUSE_FROZEN] = "frozen",
	[TL_CAUSE_TRACED] = "traced",
	[TL_CAUSE_ACCEPTING] = "accepting",
	[TL_CAUSE_ONESHOT] = "oneshot-not-rearmed",
	[TL_CAUSE_EDGE] = "edge-triggered",
	[TL_CAUSE_NOT_WAITED] = "epoll-not-waited",
	[TL_CAUSE_LIMIT] = "connection-limit",
	[TL_CAUSE_NOT_WATCHED] = "listener-not-watched",
	[TL_CAUSE_WATCHED] = "watched",
	[TL_CAUSE_CLOSE_WAIT] = "close-wait-leak",
	[TL_CAUSE_CONNECTIONS] = "connections",
	[TL_CAUSE_FDS_OTHER] = "fds",
	[TL_CAUSE_GO_ACCEPT] = "go-accept-loop",
	[TL_CAUSE_BLOCKED] = "blocked-elsewhere",
	[TL_CAUSE_TOKIO] = "tokio-accept-loop",
	[TL_CAUSE_LOCKED] = "lock-wait",
	[TL_CAUSE_LOW_LIMIT] = "low-fd-limit",
	[TL_CAUSE_EOF_SPIN] = "eof-spin",
	[TL_CAUSE_UPSTREAM] = "upstream-wait",
	[TL_CAUSE_CHILD_STOPPED] = "child-stopped",
	[TL_CAUSE_ASLEEP] = "asleep-in-request",
	[TL_CAUSE_ABANDONED] = "abandoned",
	[TL_CAUSE_UNWATCHED] = "unwatched",
};

static const char *const cert_names[] = {
	[TL_CERT_POSSIBLE] = "possible",
	[TL_CERT_LIKELY] = "likely",
	[TL_CERT_CERTAIN] = "certain",
};

/* Remedies that fit a cause; NULL keeps the finding's general one. */
static const char *const remedies[TL_CAUSE_MAX] = {
	[TL_CAUSE_GONE] =
		"The process has exited: restart the service. Whoever still holds the listener (see the processes above) drains the queue only if it accepts.",
	[TL_CAUSE_ZOMBIE] =
		"The process has exited and its parent has not reaped it: restart the service, and look at the parent for why it does not wait() for its children.",
	[TL_CAUSE_STOPPED] =
		"Resume it with kill -CONT PID and find who stopped it (an operator's Ctrl-Z or kill -STOP, a supervisor, a checkpoint tool). It goes on as soon as it runs: a server accepts what is queued, and any process can close what its peers closed.",
	[TL_CAUSE_FROZEN] =
		"Thaw it and find who froze it (docker pause, podman pause, lxc-freeze, systemctl freeze, a checkpoint tool): docker unpause or podman unpause with the container named above, lxc-unfreeze -n NAME, systemctl thaw UNIT, or write 0 to cgroup.freeze of the cgroup named above (under cgroup v1, THAWED to its freezer.state). Frozen, it runs nothing; the kernel still queues connections for it. It goes on as soon as it thaws.",
	[TL_CAUSE_TRACED] =
		"A debugger holds it stopped: continue or detach in the debugger (the tracer pid is given above). It goes on as soon as it runs.",
	[TL_CAUSE_ONESHOT] =
		"The listener was registered with EPOLLONESHOT and not re-armed after its last wakeup: re-arm it with epoll_ctl(EPOLL_CTL_MOD) after every accept round, or register it without EPOLLONESHOT. A restart only hides the bug until the next wakeup.",
	[TL_CAUSE_EDGE] =
		"With EPOLLET, epoll reports the listener once for all the connections that arrived since it last reported it, not once each: on each wakeup call accept() until it fails with EAGAIN, or register the listener level-triggered. Otherwise connections that arrived together stay queued, all but one, until more arrive.",
	[TL_CAUSE_NOT_WAITED] =
		"The listener is registered, but no thread waits on that epoll set: the event loop that should run it is busy or blocked elsewhere (see the threads above; a debugger's backtrace shows where).",
	[TL_CAUSE_LIMIT] =
		"If the program serves as many connections as it will at once (its own connection limit, as above), raise the limit if the load is real (haproxy maxconn, nginx worker_connections, Apache MaxRequestWorkers, lighttpd server.max-connections, Tomcat maxConnections, gunicorn --workers or --threads, php-fpm pm.max_children, puma --threads, socat max-children), or find why connections are held so long (slow or idle clients: shorter timeouts, such as Apache's RequestReadTimeout, or a buffering proxy in front; slow requests: a timeout on them, such as php-fpm's request_terminate_timeout); accepting faster will not help.",
	[TL_CAUSE_NOT_WATCHED] =
		"No thread calls accept() and no event loop watches the listener: the accept loop never started, has exited or is stuck behind something else (see the threads above). Fixing or restarting it drains the queue; closing the listener resets the queued connections.",
	[TL_CAUSE_GO_ACCEPT] =
		"In a Go program the edge-triggered registration is normal: look for the goroutine that should call Accept. The usual reasons are a limit on connections (a semaphore, netutil.LimitListener, a server's maximum-connections setting) filled by connections held too long, a deadlock, or an accept loop that returned on an error. A goroutine dump shows where it waits: GET /debug/pprof/goroutine?debug=2 where net/http/pprof is served, or kill -QUIT PID, which prints every goroutine's stack to the program's stderr and ends it.",
	[TL_CAUSE_TOKIO] =
		"In a Tokio program the edge-triggered registration is normal: look for the task that should call accept(). The usual reasons are a limit on connections (a Semaphore permit taken before accept(), tower's ConcurrencyLimit, a server's maximum-connections setting) filled by connections held too long, a task that blocks its worker thread or a lock, or an accept loop that ended on an error (accept().await? returns from the loop on the first EMFILE). Where the program was built with console-subscriber, tokio-console shows what each task waits for.",
	[TL_CAUSE_BLOCKED] =
		"If it is stuck there, the fd named above is what it waits on: ls -l /proc/PID/fd/FD and ss -tp show what it is (often a connection to an upstream or a database that does not answer; for an epoll fd, /proc/PID/fdinfo/FD lists the fds it watches). A timeout on that call lets the program get back to its clients; restarting it frees them.",
	[TL_CAUSE_LOCKED] =
		"If the threads wait on each other, it is a deadlock: see which lock each waits on and which thread holds it, in a backtrace of every thread (gdb -p PID -batch -ex 'thread apply all bt'; a runtime's own dump where it has one: jstack PID for Java, py-spy dump --pid PID for Python). Take locks in one order everywhere, or bound the wait. Restarting the process frees its connections, until the deadlock comes back.",
	[TL_CAUSE_EOF_SPIN] =
		"When read() (or recv()) returns 0, the client has closed: close() the connection, after sending what is still owed, or at least remove it from the epoll set. Left in a level-triggered set, it is reported again on every wait, so the loop burns a CPU while the sockets pile up in CLOSE-WAIT until the fds run out. Restarting the process releases the sockets.",
	[TL_CAUSE_LOW_LIMIT] =
		"Find who set the fd limit this low and raise it there: the program itself (the setting given with the finding, where one is known), or what starts it: a ulimit -n or prlimit in its start script, its service manager (LimitNOFILE= in a systemd unit), or its container runtime (--ulimit nofile). Or keep the program's own connection limit well below its fd limit, so that it turns connections away itself instead of leaving them queued.",
	[TL_CAUSE_UPSTREAM] =
		"If it waits for its upstream, look there: the upstream named above, and the program that serves it (on the upstream's host, ss -tlnp shows who listens on its port). A timeout on the upstream's answer bounds the wait, and the clients' connections close when it ends; a client that has gone has no use for the answer.",
	[TL_CAUSE_CHILD_STOPPED] =
		"If it hands its connections to that worker, resume the worker with kill -CONT CHILD and find who stopped it (an operator's kill -STOP, a supervisor, a checkpoint tool): it then takes what waits for it. Restarting the worker, or the whole service, also frees them.",
	[TL_CAUSE_ASLEEP] =
		"If it sleeps inside its requests, each client's connection closes when its request ends: a timeout on requests bounds that (the setting given with the finding, where one is known), and a client that has gone has no use for the answer. A backtrace of its threads shows what the handler sleeps for. Restarting it frees them.",
	[TL_CAUSE_ABANDONED] =
		"Nothing in the program will read or close the connections it holds: it has lost track of them. A server that forks a child for each connection must close its own copy of the accepted socket in the parent, right after fork(); one that hands connections to threads or a pool must close each when its handler ends, on every path, errors included. Restarting the process releases the sockets.",
	[TL_CAUSE_CLOSE_WAIT] =
		"The CLOSE-WAIT leak fills the fd table: fix the program to close() a connection when read() returns 0. Raising the fd limit only delays EMFILE; restarting releases the sockets.",
};

/* The child-stopped remedy where several children are stopped. */
const char tli_ev_remedy_children[] =
	"If it hands its connections to those workers, resume them with kill -CONT CHILD and find who stopped them (an operator's kill -STOP, a supervisor, a checkpoint tool): each then takes what waits for it. Restarting the workers, or the whole service, also frees them.";

const char tli_ev_remedy_unix_wait[] =
	"If it waits on that unix socket for connections (or work) another process hands it, its loop must also watch the connections it holds (poll them together with that socket) and close each when read() returns 0; if it waits there for a local service's answer instead, a timeout on that call lets it get back to them. Restarting it frees them.";

const char tli_ev_remedy_self[] =
	"If it waits on its own listener, nothing outside will answer: the request waits in its own accept queue, which only its accept loop empties. Find why it does not accept (the not-accepting finding on that listener, if any, says), and do not make a request to its own service from a thread its accept loop waits on, or bound that request with a timeout. Restarting it frees them until it calls itself again.";

const char tli_ev_remedy_pool_or_loop[] =
	"If the workers serve one request each and all are busy, raise their number if the load is real (uWSGI's --processes, gunicorn's --workers) or find why requests take so long; if each runs an event loop that serves many connections (Tornado's fork_processes, asyncio), a handler must not sleep or block in it: await asyncio.sleep() rather than time.sleep(), or move blocking work to run_in_executor(); a stack dump (py-spy dump --pid PID) shows which handler. Restarting the workers frees the queue until it fills again.";

/* A connection-limit cause where the limit is one thread, serving one. */
const char tli_ev_remedy_serial[] =
	"If it serves one connection at a time, with its one thread, a client that sends slowly or not at all holds up everyone queued behind it: put a timeout on each connection's reads and writes (for Python's socketserver and http.server, a timeout attribute on the handler class), or serve each connection in its own thread or process (ThreadingHTTPServer, ThreadingMixIn or ForkingMixIn in Python). Closing that one client's connection lets the queue move.";

const char *tl_ev_cause_name(int cause)
{
	return cause >= 0 && cause < TL_CAUSE_MAX ? cause_names[cause] : NULL;
}

const char *tl_ev_remedy_own_limit(const char *remedy)
{
	static const char own[] =
		"If the program serves as many connections as it will at once (its own connection limit, as above), raise that limit if the load is real (the setting given with the finding), or find why connections are held so long (slow or idle clients: shorter timeouts, or a buffering proxy in front; slow requests: a timeout on them); accepting faster will not help.";

	return remedy && remedy == remedies[TL_CAUSE_LIMIT] ? own : NULL;
}

bool tl_ev_remedy_conditional(int cause)
{
	/* Each begins with "If ...": the limit's, a blocked program's, a
	 * locked one's, one waiting on its upstream or on a stopped child,
	 * one asleep in a request, one whose loop does not watch them. */
	return cause == TL_CAUSE_LIMIT || cause == TL_CAUSE_BLOCKED ||
	       cause == TL_CAUSE_LOCKED || cause == TL_CAUSE_UPSTREAM ||
	       cause == TL_CAUSE_CHILD_STOPPED || cause == TL_CAUSE_ASLEEP ||
	       cause == TL_CAUSE_UNWATCHED;
}

const char *tl_ev_runtime_name(int runtime)
{
	return runtime == TL_RT_GO    ? "go" :
	       runtime == TL_RT_TOKIO ? "tokio" :
					NULL;
}

const char *tl_certainty_name(int certainty)
{
	return certainty >= 0 && certainty <= TL_CERT_CERTAIN ?
		       cert_names[certainty] :
		       NULL;
}

bool tl_ev_round_number(uint64_t n)
{
	/* Below 10 a count says nothing about a configured limit. */
	if (n < 10)
		return false;
	return n % 10 == 0 || (n & (n - 1)) == 0;
}

void tli_ev_set(struct tl_ev_verdict *v, int cause, int cert)
{
	v->cause = (uint8_t)cause;
	v->certainty = (uint8_t)cert;
	v->remedy = remedies[cause];
}
