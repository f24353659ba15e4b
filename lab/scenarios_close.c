// SPDX-License-Identifier: MIT
/*
 * The lab's scenarios about the closing side: FIN_WAIT2 held by a client
 * that never closes (and net.ipv4.tcp_fin_timeout for orphans), the
 * active closer's TIME_WAIT, and CLOSE_WAIT held by a program the server
 * started, which inherited the connection. Split from scenarios.c, which keeps the
 * accept-side scenarios and the table.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lab.h"
#include "tcplimbo/counters.h"
#include "tl.h"

#define ANY (-1)

int lab_sc_fin_wait2(struct lab_run *r)
{
	static const char *const cargs[] = { "--send", "", "--no-close", NULL };
	static const struct lab_expect e_closed[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, 0, 1, 1 },
		{ LAB_SERVER, TL_FIN_WAIT2, ANY, ANY, 1, 1 },
		{ LAB_CLIENT, TL_CLOSE_WAIT, TL_LIMBO_NONE, 1, 1, 1 },
	};
	/* The client's CLOSE_WAIT stays, unless the orphan's expiry reset it. */
	struct lab_expect e_expired[] = {
		{ LAB_SERVER, 0, ANY, ANY, 0, 0 },
		{ LAB_CLIENT, TL_CLOSE_WAIT, TL_LIMBO_NONE, 1, 1, 1 },
	};
	struct tl_snapshot *snap = NULL;
	const struct tl_sock *fw2;
	bool orphan = false;
	static const struct lab_expect e_exited[] = {
		{ LAB_CLIENT, 0, ANY, ANY, 0, 0 },
	};
	static const struct lab_opening opening = {
		.mode = "close-first",
		.cargs = cargs,
		.phases = { "written", "holding" },
		.step = "server-closed",
		.e = e_closed,
		.n = LAB_N(e_closed),
	};
	unsigned fin = (r->opts->wait_ms + 999) / 1000 + 2;
	struct lab_proc *srv, *cli;
	char val[16];
	int err;

	if (r->private_netns) {
		snprintf(val, sizeof(val), "%u", fin);
		err = lab_sysctl_write("/proc/sys/net/ipv4/tcp_fin_timeout",
				       val);
		if (err < 0) {
			tl_err("lab: setting tcp_fin_timeout: %s",
			       strerror(-err));
			return err;
		}
	}
	fin = lab_fin_timeout_s();
	err = lab_open(r, &opening, &srv, &cli, &snap);
	if (err)
		return err;
	/*
	 * Which kind of FIN_WAIT2 the server's close() left depends on a
	 * race in the kernel: when the peer's ACK of our FIN is processed
	 * while close() still holds the socket, the full socket stays, as an
	 * orphan with a timer; otherwise it becomes a timewait entry. At the
	 * timeout a timewait entry goes quietly, but an orphan whose
	 * tcp_fin_timeout is shorter than TIME_WAIT's 60 s sends a RST.
	 */
	fw2 = lab_find(r, snap, &e_closed[1]);
	orphan = fw2 && fw2->limbo == TL_LIMBO_ORPHAN;
	tl_snapshot_free(snap);
	if (orphan)
		e_expired[1].min = e_expired[1].max = 0;
	lab_step_num(r, "tcp_fin_timeout", fin, "s");
	lab_step_text(
		r,
		"The server accepted the connection and closed it at once: "
		"its kernel sent a FIN, the client's kernel acknowledged "
		"it, and the server's side waits in FIN_WAIT2 for the "
		"client's FIN. The client never calls close(), so its "
		"socket sits in CLOSE_WAIT with Recv-Q 1 (the FIN), held by "
		"its fd: the mirror image of the seed. The server's side "
		"has no fd: closed by its program, it is %s, and the kernel "
		"gives a closed FIN_WAIT2 net.ipv4.tcp_fin_timeout (%u s "
		"here%s) before dropping it.",
		orphan ? "an orphan (the full socket, kept because the "
			 "client's ACK arrived while close() still held it)" :
			 "a timewait entry (the socket itself is gone; a "
			 "mini-socket keeps the connection's ports and state)",
		fin,
		r->private_netns ? ", set for this namespace; 60 by default" :
				   "");
	err = lab_step_end(r);
	if (err)
		return err;
	if (r->private_netns) {
		err = lab_sleep(r, fin * 1000 + 500,
				"waiting out tcp_fin_timeout");
		if (!err)
			err = lab_step(r, "fin-timeout", e_expired,
				       LAB_N(e_expired), LAB_STEP_MS, NULL);
		if (err)
			return err;
		lab_step_pids(r, srv, cli);
		if (orphan)
			lab_step_text(
				r,
				"After tcp_fin_timeout the kernel dropped the "
				"server's FIN_WAIT2. It was a full orphan "
				"socket, not a timewait entry (the client's "
				"ACK arrived while close() still held it), and "
				"an orphan whose tcp_fin_timeout is shorter "
				"than TIME_WAIT's 60 s ends with a RST: that "
				"RST ended the client's CLOSE_WAIT too. Had it "
				"been a timewait entry, it would have gone "
				"quietly and the client's CLOSE_WAIT, which "
				"has no timer, would have stayed.");
		else
			lab_step_text(
				r,
				"After tcp_fin_timeout the kernel dropped the "
				"server's FIN_WAIT2 timewait entry, quietly. "
				"The client's CLOSE_WAIT has no timer and "
				"stays; when the client finally writes or "
				"closes, the server's kernel no longer knows "
				"the connection and answers with a RST. A "
				"FIN_WAIT2 that lasts for ever is one whose "
				"owner called shutdown(SHUT_WR) and kept the "
				"fd.");
		err = lab_step_end(r);
		if (err)
			return err;
	}
	err = lab_client_next(r, cli, NULL);
	if (!err)
		err = lab_step(r, "client-exited", e_exited, LAB_N(e_exited),
			       LAB_STEP_MS, NULL);
	if (err)
		return err;
	lab_step_pids(r, srv, NULL);
	lab_step_text(r, "The client exited: its kernel closed the socket and "
			 "sent its FIN at last. Nothing of the connection is "
			 "left on the client's side.");
	if (!r->private_netns)
		lab_step_text(r,
			      "Without a namespace of our own we did not "
			      "shorten tcp_fin_timeout, so the server's "
			      "FIN_WAIT2 was still there to receive that FIN "
			      "and went on to TIME_WAIT.");
	return lab_step_end(r);
}

int lab_sc_time_wait(struct lab_run *r)
{
	static const char *const cargs[] = { "--send", "ping", NULL };
	/* Listener's Recv-Q 0: the accept() is over, the dump consistent. */
	static const struct lab_expect e_conn[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, 0, 1, 1 },
		{ LAB_SERVER, TL_ESTABLISHED, TL_LIMBO_NONE, ANY, 1, 1 },
		{ LAB_CLIENT, TL_ESTABLISHED, TL_LIMBO_NONE, ANY, 1, 1 },
	};
	static const struct lab_expect e_tw[] = {
		{ LAB_SERVER, 0, ANY, ANY, 0, 0 },
		{ LAB_CLIENT, TL_TIME_WAIT, ANY, ANY, 1, 1 },
	};
	static const struct lab_opening opening = {
		.mode = "good",
		.cargs = cargs,
		.step = "connected",
		.e = e_conn,
		.n = LAB_N(e_conn),
	};
	struct tl_snapshot *snap = NULL;
	const struct tl_sock *sk;
	struct lab_proc *srv, *cli;
	unsigned t1 = 0, t2;
	double t0;
	int err;

	err = lab_open(r, &opening, &srv, &cli, NULL);
	if (err)
		return err;
	lab_step_text(r, "A good server: it accepts, reads until the client "
			 "closes, then closes too. Both sides are ESTABLISHED "
			 "and held by fds.");
	err = lab_step_end(r);
	if (!err)
		err = lab_sleep(r, r->opts->wait_ms, "the client closes");
	if (!err)
		err = lab_client_next(r, cli, "written");
	if (!err)
		err = lab_client_next(r, cli, "closed");
	if (!err)
		err = lab_step(r, "client-closed", e_tw, LAB_N(e_tw),
			       LAB_STEP_MS, &snap);
	if (err)
		return err;
	t0 = lab_mono_s();
	sk = lab_find(r, snap, &e_tw[1]);
	if (sk)
		t1 = sk->timer_ms;
	tl_snapshot_free(snap);
	lab_step_pids(r, srv, cli);
	lab_step_num(r, "timer_ms", t1, "ms");
	lab_step_text(
		r,
		"The client closed first, so it is the active closer: its "
		"socket went through FIN_WAIT1 and FIN_WAIT2 and, when the "
		"server (having read EOF) closed too, into TIME_WAIT, with "
		"%u s left on its timer. The server's side went CLOSE_WAIT, "
		"LAST_ACK, CLOSED in a moment and is gone. TIME_WAIT keeps "
		"the address pair reserved so late segments of this "
		"connection are not taken for a new one's.",
		(t1 + 999) / 1000);
	err = lab_step_end(r);
	if (!err)
		err = lab_client_next(r, cli, NULL);
	if (!err)
		err = lab_sleep(r, r->opts->wait_ms, "TIME_WAIT counts down");
	if (!err)
		err = lab_step(r, "later", e_tw, LAB_N(e_tw), LAB_STEP_MS,
			       &snap);
	if (err)
		return err;
	sk = lab_find(r, snap, &e_tw[1]);
	t2 = sk ? sk->timer_ms : 0;
	tl_snapshot_free(snap);
	lab_step_pids(r, srv, NULL);
	lab_step_num(r, "timer_ms", t2, "ms");
	lab_step_text(
		r,
		"%.1f s later the timer shows %u s left. TIME_WAIT lasts "
		"60 s on Linux (TCP_TIMEWAIT_LEN), fixed when the kernel is "
		"built: net.ipv4.tcp_fin_timeout does not shorten it. The "
		"client process has exited and its TIME_WAIT stays: it "
		"belongs to the kernel, not to a process. Only the active "
		"closer pays it, which is why servers like their clients to "
		"close first.",
		lab_mono_s() - t0, (t2 + 999) / 1000);
	return lab_step_end(r);
}

int lab_sc_inherited(struct lab_run *r)
{
	static const char *const cargs[] = { "--count", "2", "--send", "ping",
					     NULL };
	static const struct lab_expect e_closed[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, 0, 1, 1 },
		{ LAB_SERVER, TL_CLOSE_WAIT, TL_LIMBO_NONE, ANY, 2, 2 },
		{ LAB_CLIENT, TL_FIN_WAIT2, ANY, ANY, 2, 2 },
	};
	static const struct lab_opening opening = {
		.mode = "spawn",
		.cargs = cargs,
		.phases = { "written", "closed" },
		.step = "server-closed-its-copy",
		.e = e_closed,
		.n = LAB_N(e_closed),
	};
	struct tl_snapshot *snap = NULL;
	struct lab_proc *srv, *cli;
	const struct tl_fdref *refs;
	pid_t holder = 0;
	int err;

	err = lab_open(r, &opening, &srv, &cli, &snap);
	if (err)
		return err;
	/* Who holds the first CLOSE_WAIT: not the server. */
	for (size_t i = 0; i < snap->n_socks && !holder; i++)
		if (snap->socks[i].state == TL_CLOSE_WAIT &&
		    tl_snapshot_owners(snap, &snap->socks[i], &refs) > 0)
			holder = snap->owners->procs[refs[0].proc].pid;
	tl_snapshot_free(snap);
	lab_step_text(
		r,
		"The server (pid %d) accepted each connection and started "
		"sleep for it without marking the connection close-on-exec, "
		"so sleep got a copy of the fd. The clients wrote \"ping\" and "
		"closed; the server read it and EOF and closed its copy, "
		"correctly. But a socket is closed only when its last fd is: "
		"sleep (pid %d) still holds each connection, in CLOSE_WAIT, "
		"and never looks at it. ss -p names sleep, which never "
		"accepted anything; tcplimbo doctor names the server that "
		"did, and its fix: SOCK_CLOEXEC on accept4().",
		(int)srv->pid, (int)holder);
	err = lab_step_end(r);
	if (!err)
		err = lab_sleep(r, r->opts->wait_ms, "the clients exit");
	if (!err)
		err = lab_client_next(r, cli, NULL);
	return err;
}
