// SPDX-License-Identifier: MIT
/*
 * Scenarios of programs that stop accepting for a reason /proc can show,
 * which the doctor names (see lib/evidence.c): a stopped server, an
 * edge-triggered listener accepted once per wakeup, an EPOLLONESHOT
 * listener never re-armed, a server at its own connection limit, and a
 * CLOSE_WAIT leak that fills the fd table until accept() fails with EMFILE.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "lab.h"
#include "tcplimbo/evidence.h"
#include "tl.h"

#define ANY (-1)

/* Waits (bounded) until the process's State is c ('T' or 'S'). */
static int await_state(struct lab_run *r, pid_t pid, char c)
{
	for (int i = 0; i < 200; i++) {
		struct tl_evidence ev;
		int err;

		if (tl_evidence_gather("/proc", pid, NULL, NULL, 0, &ev) == 0 &&
		    ev.state == c)
			return 0;
		err = lab_sleep(r, 10, "the server stops");
		if (err)
			return err;
	}
	tl_err("lab: pid %d did not reach State %c within 2 s", (int)pid, c);
	return -ETIMEDOUT;
}

int lab_sc_stopped(struct lab_run *r)
{
	static const char *const cargs[] = { "--count", "2", "--send", "ping",
					     NULL };
	static const struct lab_expect e_stopped[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, 2, 1, 1 },
		{ LAB_SERVER, TL_ESTABLISHED, TL_LIMBO_ACCEPT_QUEUE, 4, 2, 2 },
	};
	static const struct lab_expect e_resumed[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, 0, 1, 1 },
		{ LAB_SERVER, TL_ESTABLISHED, TL_LIMBO_NONE, 0, 2, 2 },
	};
	struct lab_proc *srv, *cli;
	int err;

	err = lab_start_server(r, "good", NULL, &srv);
	if (err)
		return err;
	if (kill(srv->pid, SIGSTOP) < 0)
		return -errno;
	err = await_state(r, srv->pid, 'T');
	if (!err)
		err = lab_start_client(r, cargs, &cli);
	if (!err)
		err = lab_client_next(r, cli, "written");
	if (!err)
		err = lab_step(r, "server-stopped", e_stopped, LAB_N(e_stopped),
			       LAB_STEP_MS, NULL);
	if (err)
		return err;
	lab_step_pids(r, srv, cli);
	lab_step_text(
		r,
		"A working server (mode good) got SIGSTOP: /proc/%d/status "
		"says State T (stopped) and TracerPid 0, so a signal stopped "
		"it, not a debugger. The kernel does not need the program to "
		"finish handshakes or buffer data: both connections wait in "
		"the accept queue with \"ping\" unread (Recv-Q 4). Nothing is "
		"wrong in the program's code; it is not running. tcplimbo "
		"doctor says so: \"stopped\", with kill -CONT as the fix.",
		(int)srv->pid);
	err = lab_step_end(r);
	if (!err)
		err = lab_sleep(r, r->opts->wait_ms,
				"next, the server is continued");
	if (err)
		return err;
	if (kill(srv->pid, SIGCONT) < 0)
		return -errno;
	err = lab_step(r, "resumed", e_resumed, LAB_N(e_resumed), LAB_STEP_MS,
		       NULL);
	if (err)
		return err;
	lab_step_pids(r, srv, cli);
	lab_step_text(r,
		      "We sent SIGCONT. The server ran again, accepted both "
		      "queued connections and read \"ping\" from each: the "
		      "queue is empty, the connections are held by its fds.");
	return lab_step_end(r);
}

int lab_sc_epollet(struct lab_run *r)
{
	static const char *const cargs[] = { "--count", "4",	      "--send",
					     "",	"--no-close", NULL };
	static const struct lab_expect e_stuck[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, ANY, 1, 1 },
		{ LAB_SERVER, TL_ESTABLISHED, TL_LIMBO_ACCEPT_QUEUE, ANY, 1,
		  3 },
		{ LAB_SERVER, TL_ESTABLISHED, TL_LIMBO_NONE, ANY, 1, 3 },
	};
	struct tl_snapshot *snap = NULL;
	struct lab_proc *srv, *cli;
	unsigned queued, held;
	int err;

	err = lab_start_server(r, "edge-once", NULL, &srv);
	if (!err)
		err = lab_start_client(r, cargs, &cli);
	/* Two wakeups of 300 ms work each, then it waits for ever. */
	if (!err)
		err = lab_sleep(r, 1000, "the server handles its wakeups");
	if (!err)
		err = lab_step(r, "stuck", e_stuck, LAB_N(e_stuck), LAB_STEP_MS,
			       &snap);
	if (err)
		return err;
	queued = lab_count(r, snap, &e_stuck[1]);
	held = lab_count(r, snap, &e_stuck[2]);
	tl_snapshot_free(snap);
	lab_step_pids(r, srv, cli);
	lab_step_num(r, "accepted", held, NULL);
	lab_step_num(r, "queued", queued, NULL);
	lab_step_text(
		r,
		"The server registered its listener with EPOLLET and calls "
		"accept() once per wakeup, after some work. Four clients "
		"connected at once; epoll reports the listener once for the "
		"connections that arrive between two waits, and the server "
		"accepted %u. Edge-triggered epoll "
		"reports new arrivals, not a queue that is still full, so "
		"the other %u wait until another client connects; under "
		"load the queue only grows. The fix: accept until EAGAIN on "
		"every wakeup (/proc/%d/fdinfo shows the listener's events "
		"with bit 31, EPOLLET).",
		held, queued, (int)srv->pid);
	return lab_step_end(r);
}

int lab_sc_oneshot(struct lab_run *r)
{
	static const char *const cargs[] = { "--count", "3",	      "--send",
					     "",	"--no-close", NULL };
	static const struct lab_expect e_stuck[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, 2, 1, 1 },
		{ LAB_SERVER, TL_ESTABLISHED, TL_LIMBO_ACCEPT_QUEUE, ANY, 2,
		  2 },
		{ LAB_SERVER, TL_ESTABLISHED, TL_LIMBO_NONE, ANY, 1, 1 },
	};
	static const struct lab_opening opening = {
		.mode = "oneshot",
		.cargs = cargs,
		.step = "not-rearmed",
		.e = e_stuck,
		.n = LAB_N(e_stuck),
	};
	struct lab_proc *srv, *cli;
	int err;

	err = lab_open(r, &opening, &srv, &cli, NULL);
	if (err)
		return err;
	lab_step_text(
		r,
		"The server registered its listener with EPOLLONESHOT, "
		"accepted one connection when epoll reported it, and never "
		"re-armed it with EPOLL_CTL_MOD. epoll disabled the entry "
		"when it delivered the event (/proc/%d/fdinfo shows events "
		"40000000: the EPOLLONESHOT bit and no events left), so the "
		"other 2 connections wait in the queue for ever while the "
		"server sleeps in epoll_wait.",
		(int)srv->pid);
	return lab_step_end(r);
}

int lab_sc_limit(struct lab_run *r)
{
	static const char *const sargs[] = { "--maxconn", "10", NULL };
	static const char *const cargs[] = { "--count", "12",	      "--send",
					     "",	"--no-close", NULL };
	static const struct lab_expect e_full[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, 2, 1, 1 },
		{ LAB_SERVER, TL_ESTABLISHED, TL_LIMBO_NONE, ANY, 10, 10 },
		{ LAB_SERVER, TL_ESTABLISHED, TL_LIMBO_ACCEPT_QUEUE, ANY, 2,
		  2 },
	};
	static const struct lab_expect e_done[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, 0, 1, 1 },
		{ LAB_SERVER, TL_ESTABLISHED, ANY, ANY, 0, 0 },
		{ LAB_SERVER, TL_CLOSE_WAIT, ANY, ANY, 0, 0 },
	};
	static const struct lab_opening opening = {
		.mode = "limit",
		.sargs = sargs,
		.cargs = cargs,
		.phases = { "written" },
		.step = "at-limit",
		.e = e_full,
		.n = LAB_N(e_full),
	};
	struct lab_proc *srv, *cli;
	int err;

	err = lab_open(r, &opening, &srv, &cli, NULL);
	if (err)
		return err;
	lab_step_num(r, "maxconn", 10, NULL);
	lab_step_text(
		r,
		"The server accepts up to its limit of 10 connections (like "
		"haproxy's maxconn or nginx's worker_connections), then "
		"removes the listener from its epoll set until one closes. "
		"The clients hold all 12 open: 10 are the server's, 2 wait in "
		"the accept queue. The server is not hung and accepting "
		"faster would not help: it is at its own limit, holding a "
		"round number of connections. Raise the limit, or find why "
		"connections are held so long.");
	err = lab_step_end(r);
	if (!err)
		err = lab_sleep(r, r->opts->wait_ms, "the clients exit");
	if (!err)
		err = lab_client_next(r, cli, "holding");
	if (!err)
		err = lab_client_next(r, cli, NULL);
	if (!err)
		err = lab_step(r, "clients-gone", e_done, LAB_N(e_done),
			       LAB_STEP_MS, NULL);
	if (err)
		return err;
	lab_step_pids(r, srv, NULL);
	lab_step_text(r, "The clients exited. The server read EOF on its 10 "
			 "connections and closed them; below its limit it "
			 "watched the listener again, accepted the 2 queued "
			 "connections (already closed by their clients) and "
			 "closed them too.");
	return lab_step_end(r);
}

int lab_sc_leak_emfile(struct lab_run *r)
{
	static const char *const sargs[] = { "--nofile", "24", NULL };
	static const char *const cargs[] = { "--count", "20", "--send", "ping",
					     NULL };
	static const struct lab_expect e_full[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, ANY, 1, 1 },
		{ LAB_SERVER, TL_CLOSE_WAIT, TL_LIMBO_NONE, 0, 12, 19 },
		{ LAB_SERVER, TL_CLOSE_WAIT, TL_LIMBO_ACCEPT_QUEUE, 5, 1, 8 },
		{ LAB_CLIENT, TL_FIN_WAIT2, ANY, ANY, 20, 20 },
	};
	static const struct lab_opening opening = {
		.mode = "no-close",
		.sargs = sargs,
		.cargs = cargs,
		.phases = { "written", "closed" },
		.step = "fd-table-full",
		.e = e_full,
		.n = LAB_N(e_full),
	};
	struct tl_snapshot *snap = NULL;
	struct lab_proc *srv, *cli;
	const struct tl_proc *p;
	unsigned held, queued;
	int err;

	err = lab_open(r, &opening, &srv, &cli, &snap);
	if (err)
		return err;
	held = lab_count(r, snap, &e_full[1]);
	queued = lab_count(r, snap, &e_full[2]);
	p = snap->owners ? tl_owners_proc(snap->owners, srv->pid) : NULL;
	if (p) {
		lab_step_num(r, "server_fds", p->nfds, NULL);
		lab_step_num(r, "server_fd_limit", (double)p->nofile, NULL);
	}
	tl_snapshot_free(snap);
	lab_step_text(
		r,
		"The server (RLIMIT_NOFILE 24) accepts, reads \"ping\" and "
		"EOF, and never closes. 20 clients connected and closed: %u "
		"leaked CLOSE_WAIT sockets now fill its fd table, so accept() "
		"fails with EMFILE and the other %u connections wait in the "
		"queue (closed by their clients too). The fd exhaustion is "
		"the leak's doing: raising the limit only delays it; closing "
		"on EOF fixes both.",
		held, queued);
	return lab_step_end(r);
}
