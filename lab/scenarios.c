// SPDX-License-Identifier: MIT
/*
 * The lab's scenarios. Each one drives the server and the client(s) step by
 * step, waits (bounded) until the kernel shows what the step is about, and
 * explains it with the numbers the snapshot shows. The explanations state
 * kernel behaviour observed on Linux 6.x (see docs and DESIGN.md).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lab.h"
#include "tcplimbo/counters.h"
#include "tcplimbo/drain.h"
#include "tl.h"

#define ANY (-1)

double lab_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The namespace's net.ipv4.tcp_fin_timeout; 0 when unreadable. */
unsigned lab_fin_timeout_s(void)
{
	struct tl_counters c = { 0 };

	tl_counters_read(NULL, -1, &c);
	return c.have & TL_CTR_FIN_TIMEOUT && c.fin_timeout_s < 1u << 30 ?
		       (unsigned)c.fin_timeout_s :
		       0;
}

/* The namespace's TcpExt listen counters; zeros when unreadable. */
static void listen_counters(uint64_t *overflows, uint64_t *drops)
{
	struct tl_counters c = { 0 };

	tl_counters_read(NULL, -1, &c);
	*overflows = c.have & TL_CTR_NETSTAT ? c.listen_overflows : 0;
	*drops = c.have & TL_CTR_NETSTAT ? c.listen_drops : 0;
}

/*
 * Adds the listen counters' growth since ov0/dr0 to the step and returns it,
 * for the explanation to quote.
 */
static void step_listen(struct lab_run *r, uint64_t ov0, uint64_t dr0,
			uint64_t *ov, uint64_t *dr)
{
	listen_counters(ov, dr);
	*ov -= ov0;
	*dr -= dr0;
	lab_step_num(r, "listen_overflows", (double)*ov, NULL);
	lab_step_num(r, "listen_drops", (double)*dr, NULL);
}

static uint64_t snmp_or_zero(const char *name)
{
	uint64_t v = 0;

	return lab_counter("/proc/net/snmp", "Tcp:", name, &v) == 0 ? v : 0;
}

void lab_step_pids(struct lab_run *r, const struct lab_proc *srv,
		   const struct lab_proc *cli)
{
	if (srv)
		lab_step_num(r, "server_pid", srv->pid, NULL);
	if (cli)
		lab_step_num(r, "client_pid", cli->pid, NULL);
}

/* The other way the seed ends: the server exits without accepting. */
static int seed_exit(struct lab_run *r, struct lab_proc *srv)
{
	static const struct lab_expect e[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, ANY, 0, 0 },
		{ LAB_SERVER, 0, ANY, ANY, 0, 0 },
		{ LAB_CLIENT, 0, ANY, ANY, 0, 0 },
	};
	uint64_t rst0 = snmp_or_zero("OutRsts");
	int err = lab_stop(r, srv);

	if (!err)
		err = lab_step(r, "server-exited", e, LAB_N(e), LAB_STEP_MS,
			       NULL);
	if (err)
		return err;
	lab_step_num(r, "out_rsts", (double)(snmp_or_zero("OutRsts") - rst0),
		     NULL);
	lab_step_text(
		r, "The server exited without ever calling accept(). Closing "
		   "its listener reset every connection still in the queue: "
		   "the CLOSE_WAIT had unread data, so the kernel sent a RST "
		   "(Tcp OutRsts above), "
		   "and the RST ended the client's FIN_WAIT2 too. Nothing is "
		   "left: the post's \"until the server process exits\".");
	return lab_step_end(r);
}

/*
 * The third ending: the server is left alone, and tcplimbo frees the slot
 * from outside, as `tcplimbo drain` does: it borrows the listener's fd and
 * accepts and closes the dead connection itself.
 */
static int seed_drain(struct lab_run *r, struct lab_proc *srv)
{
	static const struct lab_expect e_lst = { LAB_LISTENER, TL_LISTEN, ANY,
						 ANY,	       1,	  1 };
	static const struct lab_expect e[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, 0, 1, 1 },
		{ LAB_SERVER, 0, ANY, ANY, 0, 0 },
		{ LAB_CLIENT, 0, ANY, ANY, 0, 0 },
	};
	struct tl_drain_opts dopts = { .timeout_ms = 1000 };
	struct tl_drain_plan plan = { 0 };
	struct tl_drain_result res = { 0 };
	struct tl_snapshot_opts so;
	struct tl_snapshot *snap = NULL;
	const struct tl_sock *l;
	int err;

	tl_snapshot_opts_init(&so);
	err = tl_snapshot_take(&so, &snap);
	if (err)
		return err;
	l = lab_find(r, snap, &e_lst);
	err = l ? tl_drain_plan(snap, l, &plan) : -ENOENT;
	if (!err)
		err = tl_drain_run(&plan, &dopts, &res);
	if (!err && res.stop)
		err = res.stop;
	tl_drain_plan_release(&plan);
	tl_snapshot_free(snap);
	if (err) {
		tl_err("lab: drain failed: %s", strerror(-err));
		return err;
	}
	err = lab_step(r, "drained", e, LAB_N(e), LAB_STEP_MS, NULL);
	if (err)
		return err;
	lab_step_pids(r, srv, NULL);
	lab_step_num(r, "freed", (double)res.freed, NULL);
	lab_step_text(
		r,
		"The server still never calls accept(), and yet its queue is "
		"empty: tcplimbo took a copy of the listener's fd from the "
		"server with pidfd_getfd(), checked the connection's cookie "
		"against the dead one it had seen, and called accept() and "
		"close() itself (%zu freed), as `tcplimbo drain` does. The "
		"unread \"ping\" made that close() a RST, which also ended "
		"the client's FIN_WAIT2. The server process was not touched: "
		"it is still running and still not accepting, but a new "
		"client can queue again. SOCK_DESTROY (ss -K) could not have "
		"done this: it hides the connection but keeps its slot.",
		res.freed);
	return lab_step_end(r);
}

/* The post, step for step. */
static int sc_seed(struct lab_run *r)
{
	static const char *const cargs[] = { "--send", "ping", NULL };
	static const struct lab_expect e_conn[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, 1, 1, 1 },
		{ LAB_SERVER, TL_ESTABLISHED, TL_LIMBO_ACCEPT_QUEUE, ANY, 1,
		  1 },
		{ LAB_CLIENT, TL_ESTABLISHED, TL_LIMBO_NONE, ANY, 1, 1 },
	};
	static const struct lab_expect e_closed[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, 1, 1, 1 },
		{ LAB_SERVER, TL_CLOSE_WAIT, TL_LIMBO_ACCEPT_QUEUE, 5, 1, 1 },
		{ LAB_CLIENT, TL_FIN_WAIT2, ANY, ANY, 1, 1 },
	};
	static const struct lab_expect e_accepted[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, 0, 1, 1 },
		{ LAB_SERVER, 0, ANY, ANY, 0, 0 },
		{ LAB_CLIENT, TL_TIME_WAIT, ANY, ANY, 1, 1 },
	};
	static const struct lab_opening opening = {
		.mode = "no-accept",
		.cargs = cargs,
		.step = "connected",
		.e = e_conn,
		.n = LAB_N(e_conn),
	};
	const struct lab_expect *lst = &e_conn[0];
	const struct lab_expect *cw = &e_closed[1];
	struct tl_snapshot *snap = NULL;
	const struct tl_sock *sk;
	struct lab_proc *srv, *cli;
	unsigned fin = lab_fin_timeout_s();
	int err;

	err = lab_open(r, &opening, &srv, &cli, &snap);
	if (err)
		return err;
	sk = lab_find(r, snap, lst);
	lab_step_text(
		r,
		"The client's connect() returned as soon as the kernel "
		"finished the three-way handshake, yet the server never "
		"called accept(). The server's side is ESTABLISHED all the "
		"same, with inode 0 and no fd: a finished connection waiting "
		"in the listener's accept queue (the listener's Recv-Q, %u, "
		"counts it; its Send-Q, %u, is the backlog). ss -p and "
		"netstat -p show no process for it; it belongs to the "
		"listener of pid %d.",
		sk ? sk->rqueue : 0, sk ? sk->wqueue : 0, (int)srv->pid);
	tl_snapshot_free(snap);
	snap = NULL;
	err = lab_step_end(r);
	if (!err)
		err = lab_sleep(r, r->opts->wait_ms,
				"the client waits before it writes");
	if (!err)
		err = lab_client_next(r, cli, "written");
	if (!err)
		err = lab_client_next(r, cli, "closed");
	if (err)
		return err;

	err = lab_step(r, "client-closed", e_closed, LAB_N(e_closed),
		       LAB_STEP_MS, &snap);
	if (err)
		return err;
	lab_step_pids(r, srv, cli);
	sk = lab_find(r, snap, cw);
	lab_step_text(
		r,
		"The client wrote 4 bytes and called close(): its kernel "
		"sent the data and a FIN. The server's kernel stored the "
		"bytes, acknowledged both on its own and moved the "
		"connection to CLOSE_WAIT, with Recv-Q %u: 4 bytes of "
		"\"ping\" plus 1 for the FIN. The client's socket waits in "
		"FIN_WAIT2 for the server's FIN, which only a close() by the "
		"server program can send, and no program holds an fd for "
		"this connection. The client's socket has no fd either: it "
		"was closed, so what is left of it is %s, which the kernel "
		"finishes alone.",
		sk ? sk->rqueue : 0,
		lab_closed_kind(r, snap, &e_closed[2], false));
	tl_snapshot_free(snap);
	snap = NULL;
	err = lab_step_end(r);
	if (!err)
		err = lab_sleep(r, r->opts->wait_ms,
				"the client is about to exit");
	if (!err)
		err = lab_client_next(r, cli, NULL);
	if (err)
		return err;

	err = lab_step(r, "client-exited", e_closed, LAB_N(e_closed),
		       LAB_STEP_MS, NULL);
	if (err)
		return err;
	lab_step_pids(r, srv, NULL);
	lab_step_text(
		r,
		"The client process is gone and nothing changed. Its "
		"FIN_WAIT2 socket had no fd to lose: the kernel drops it "
		"after net.ipv4.tcp_fin_timeout (%u s in this namespace). "
		"The server's CLOSE_WAIT has no timer at all: it lasts until "
		"the program accepts and closes it, or until the listener "
		"itself is closed (the server exits), which resets it.",
		fin);
	err = lab_step_end(r);
	if (!err)
		err = lab_sleep(r, r->opts->wait_ms,
				"next, the server starts accepting");
	if (err)
		return err;

	if (r->opts->end == LAB_END_EXIT)
		return seed_exit(r, srv);
	if (r->opts->end == LAB_END_DRAIN)
		return seed_drain(r, srv);
	kill(srv->pid, SIGUSR1);
	err = lab_step(r, "server-accepted", e_accepted, LAB_N(e_accepted),
		       LAB_STEP_MS, &snap);
	if (err)
		return err;
	lab_step_pids(r, srv, NULL);
	sk = lab_find(r, snap, &e_accepted[2]);
	lab_step_text(
		r,
		"We sent the server SIGUSR1 and it started calling accept(): "
		"it got the waiting connection, read \"ping\" and then 0 "
		"bytes (the FIN), and closed it. That close() sent the FIN "
		"the client's side was waiting for: the client's socket "
		"moved to TIME_WAIT (%u s left on its timer) and the "
		"server's is gone. This is the post's way out: connections "
		"stuck behind a failing accept() are freed once the program "
		"can accept and close them.",
		sk ? (sk->timer_ms + 999) / 1000 : 0);
	tl_snapshot_free(snap);
	return lab_step_end(r);
}

/* Measures a process's CPU use over ms; returns the fraction of a core. */
static int cpu_over(struct lab_run *r, pid_t pid, unsigned ms, const char *why,
		    double *cpu, double *wall)
{
	double c0 = 0, c1 = 0, t0 = lab_mono_s();
	int err;

	lab_cpu_seconds(pid, &c0);
	err = lab_sleep(r, ms, why);
	if (err)
		return err;
	lab_cpu_seconds(pid, &c1);
	*wall = lab_mono_s() - t0;
	*cpu = c1 - c0;
	return 0;
}

static void step_cpu(struct lab_run *r, double cpu, double wall)
{
	lab_step_num(r, "cpu_seconds", cpu, "s");
	lab_step_num(r, "wall_seconds", wall, "s");
	lab_step_num(r, "cpu_percent", wall > 0 ? 100.0 * cpu / wall : 0,
		     "% of a core");
}

static int sc_emfile(struct lab_run *r)
{
	static const char *const sargs[] = { "--nofile", "32", NULL };
	static const char *const cargs[] = { "--count", "5",	      "--send",
					     "ping",	"--no-close", NULL };
	static const char *const cargs2[] = { "--count", "5",	       "--send",
					      "",	 "--no-close", NULL };
	static const struct lab_expect e_queue[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, 5, 1, 1 },
		{ LAB_SERVER, TL_ESTABLISHED, TL_LIMBO_ACCEPT_QUEUE, 4, 5, 5 },
	};
	static const struct lab_expect e_freed[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, 0, 1, 1 },
		{ LAB_SERVER, TL_ESTABLISHED, TL_LIMBO_NONE, 0, 5, 5 },
	};
	static const struct lab_expect e_reserve[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, 0, 1, 1 },
		{ LAB_SERVER, 0, TL_LIMBO_ACCEPT_QUEUE, ANY, 0, 0 },
		{ LAB_CLIENT, TL_CLOSE_WAIT, TL_LIMBO_NONE, ANY, 5, 5 },
		{ LAB_SERVER, TL_FIN_WAIT2, ANY, ANY, 5, 5 },
	};
	unsigned ms = r->opts->wait_ms < 1000 ? 1000 : r->opts->wait_ms;
	struct tl_snapshot *snap = NULL;
	struct lab_proc *srv, *cli;
	const char *closed;
	double cpu = 0, wall = 0;
	uint64_t fails = 0;
	char got[32];
	int err;

	err = lab_start_server(r, "emfile", sargs, &srv);
	if (!err)
		err = lab_start_client(r, cargs, &cli);
	if (!err)
		err = lab_client_next(r, cli, "written");
	if (!err)
		err = cpu_over(r, srv->pid, ms, "the server spins on EMFILE",
			       &cpu, &wall);
	if (!err)
		err = lab_step(r, "queue-grows", e_queue, LAB_N(e_queue),
			       LAB_STEP_MS, NULL);
	if (err)
		return err;
	lab_step_pids(r, srv, cli);
	step_cpu(r, cpu, wall);
	lab_step_text(
		r,
		"The server uses every fd its RLIMIT_NOFILE (32) allows, so "
		"each accept() fails with EMFILE. Its epoll loop is "
		"level-triggered: the listener stays readable while "
		"connections wait, so epoll_wait returns at once and the "
		"loop spins. Over %.1f s it used %.2f s of CPU and accepted "
		"nothing. Meanwhile the kernel completed all 5 handshakes "
		"and queued the connections on the listener, data included "
		"(Recv-Q 4 each): inode 0, no owner, in the accept queue.",
		wall, cpu);
	err = lab_step_end(r);
	if (err)
		return err;

	kill(srv->pid, SIGUSR1);
	err = lab_expect_line(r, srv, "freed", 5000, got, sizeof(got));
	if (!err && tl_parse_uint(got, UINT64_MAX, &fails) < 0) {
		tl_err("lab: the server reported '%s'", got);
		err = -EPROTO;
	}
	if (!err)
		err = cpu_over(r, srv->pid, ms, "the server has fds again",
			       &cpu, &wall);
	if (!err)
		err = lab_step(r, "fds-freed", e_freed, LAB_N(e_freed),
			       LAB_STEP_MS, NULL);
	if (err)
		return err;
	lab_step_pids(r, srv, cli);
	lab_step_num(r, "emfile_accept_failures", (double)fails, NULL);
	step_cpu(r, cpu, wall);
	lab_step_text(
		r,
		"We sent SIGUSR1: the server closed the files it was "
		"hoarding, so accept() works again. Until then accept() had "
		"failed %llu time%s. Now the server took every waiting "
		"connection off the queue (the listener's Recv-Q is 0), "
		"read \"ping\" from each and holds them with fds of its own. "
		"Over %.1f s it used %.2f s of CPU: the spin is over.",
		(unsigned long long)fails, fails == 1 ? "" : "s", wall, cpu);
	err = lab_step_end(r);
	if (!err)
		err = lab_client_next(r, cli, "holding");
	if (!err)
		err = lab_client_next(r, cli, NULL);
	if (!err)
		err = lab_stop(r, srv);
	if (err)
		return err;

	/* A port of its own, away from the first round's TIME_WAITs. */
	r->port = r->private_netns && r->port < 65535 ? r->port + 1 : 0;
	err = lab_start_server(r, "reserve-fd", sargs, &srv);
	if (!err)
		err = lab_start_client(r, cargs2, &cli);
	if (!err)
		err = lab_client_next(r, cli, "written");
	if (!err)
		err = cpu_over(r, srv->pid, ms, "the reserve-fd server", &cpu,
			       &wall);
	if (!err)
		err = lab_step(r, "reserve-fd", e_reserve, LAB_N(e_reserve),
			       LAB_STEP_MS, &snap);
	if (err)
		return err;
	lab_step_pids(r, srv, cli);
	step_cpu(r, cpu, wall);
	closed = lab_closed_kind(r, snap, &e_reserve[3], true);
	tl_snapshot_free(snap);
	lab_step_text(
		r,
		"A new server at the same limit, with the spare-fd remedy "
		"(libuv's uv__emfile_trick, muduo's idle fd): it keeps one "
		"fd in reserve, and when accept() fails with EMFILE it "
		"closes the spare, accepts the connection, closes it at "
		"once and reopens the spare. The 5 clients are refused "
		"instead of left in the queue: they got EOF, so their "
		"sockets are in CLOSE_WAIT, held by the client; the "
		"server's closed sides are %s in FIN_WAIT2, which the "
		"kernel finishes alone. Over %.1f s "
		"it used %.2f s of CPU. nginx instead stops accepting for "
		"500 ms; Go's net/http backs off from 5 ms to 1 s.",
		closed, wall, cpu);
	return lab_step_end(r);
}

static void step_fds(struct lab_run *r, const struct tl_snapshot *snap,
		     pid_t pid)
{
	const struct tl_proc *p =
		snap->owners ? tl_owners_proc(snap->owners, pid) : NULL;

	if (!p)
		return;
	lab_step_num(r, "server_fds", p->nfds, NULL);
	if (p->nofile != UINT64_MAX)
		lab_step_num(r, "server_fd_limit", (double)p->nofile, NULL);
}

static int sc_leak(struct lab_run *r)
{
	static const char *const cargs[] = { "--count", "3", "--send", "ping",
					     NULL };
	static const struct lab_expect e_acc[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, 0, 1, 1 },
		{ LAB_SERVER, TL_ESTABLISHED, TL_LIMBO_NONE, 0, 3, 3 },
	};
	static const struct lab_expect e_closed[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, 0, 1, 1 },
		{ LAB_SERVER, TL_CLOSE_WAIT, TL_LIMBO_NONE, 0, 3, 3 },
		{ LAB_CLIENT, TL_FIN_WAIT2, ANY, ANY, 3, 3 },
	};
	static const struct lab_opening opening = {
		.mode = "no-close",
		.cargs = cargs,
		.phases = { "written" },
		.step = "accepted",
		.e = e_acc,
		.n = LAB_N(e_acc),
	};
	struct tl_snapshot *snap = NULL;
	struct lab_proc *srv, *cli;
	int err;

	err = lab_open(r, &opening, &srv, &cli, &snap);
	if (err)
		return err;
	step_fds(r, snap, srv->pid);
	tl_snapshot_free(snap);
	lab_step_text(r,
		      "The server accepted each connection and read "
		      "\"ping\": every server-side socket is held by an fd "
		      "of pid %d. Nothing is in limbo yet.",
		      (int)srv->pid);
	err = lab_step_end(r);
	if (!err)
		err = lab_sleep(r, r->opts->wait_ms, "the clients close");
	if (!err)
		err = lab_client_next(r, cli, "closed");
	if (!err)
		err = lab_step(r, "clients-closed", e_closed, LAB_N(e_closed),
			       LAB_STEP_MS, &snap);
	if (err)
		return err;
	lab_step_pids(r, srv, cli);
	step_fds(r, snap, srv->pid);
	tl_snapshot_free(snap);
	lab_step_text(
		r, "Each client closed its connection. The server read 0 bytes "
		   "(EOF) from each and never called close(), so these "
		   "CLOSE_WAIT sockets are held by the server's fds, which is "
		   "what ss -p shows. This leak is in the program, not in the "
		   "kernel: no timer ends CLOSE_WAIT, and every leaked socket "
		   "costs an fd until accept() fails with EMFILE (see the "
		   "emfile scenario).");
	err = lab_step_end(r);
	if (!err)
		err = lab_sleep(r, r->opts->wait_ms, "the clients exit");
	if (!err)
		err = lab_client_next(r, cli, NULL);
	if (!err)
		err = lab_step(r, "clients-exited", e_closed, LAB_N(e_closed),
			       LAB_STEP_MS, &snap);
	if (err)
		return err;
	lab_step_pids(r, srv, NULL);
	step_fds(r, snap, srv->pid);
	lab_step_text(r,
		      "The clients exited; the server's CLOSE_WAIT sockets "
		      "stay until it calls close() or exits. The clients' "
		      "FIN_WAIT2 sockets are %s the kernel drops after "
		      "net.ipv4.tcp_fin_timeout.",
		      lab_closed_kind(r, snap, &e_closed[2], true));
	tl_snapshot_free(snap);
	return lab_step_end(r);
}

static int sc_overflow(struct lab_run *r)
{
	static const char *const sargs[] = { "--backlog", "2", NULL };
	static const char *const cargs[] = { "--count",	   "5",
					     "--send",	   "",
					     "--no-close", "--connect-timeout",
					     "300",	   NULL };
	static const struct lab_expect e_full[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, 3, 1, 1 },
		{ LAB_SERVER, TL_ESTABLISHED, TL_LIMBO_ACCEPT_QUEUE, ANY, 3,
		  3 },
		{ LAB_CLIENT, TL_ESTABLISHED, ANY, ANY, 3, 3 },
		{ LAB_CLIENT, TL_SYN_SENT, ANY, ANY, 2, 2 },
	};
	static const struct lab_expect e_in[] = {
		{ LAB_LISTENER, TL_LISTEN, ANY, 0, 1, 1 },
		{ LAB_SERVER, TL_ESTABLISHED, TL_LIMBO_NONE, ANY, 5, 5 },
		{ LAB_CLIENT, TL_ESTABLISHED, ANY, ANY, 5, 5 },
	};
	uint64_t ov0, dr0, ov, dr;
	struct lab_proc *srv, *cli;
	double t0;
	int err;

	err = lab_start_server(r, "no-accept", sargs, &srv);
	if (err)
		return err;
	listen_counters(&ov0, &dr0);
	t0 = lab_mono_s();
	err = lab_start_client(r, cargs, &cli);
	if (!err)
		err = lab_step(r, "queue-full", e_full, LAB_N(e_full),
			       LAB_STEP_MS, NULL);
	if (err)
		return err;
	lab_step_pids(r, srv, cli);
	step_listen(r, ov0, dr0, &ov, &dr);
	lab_step_text(
		r,
		"The server listens with backlog 2 and never accepts. The "
		"kernel completed handshakes until the accept queue held "
		"backlog+1 = 3 connections (the listener's Recv-Q; its "
		"Send-Q is the backlog). Then it dropped the other clients' "
		"SYNs: those wait in SYN_SENT and resend the SYN after 1 s, "
		"2 s, 4 s... Each dropped SYN counts in TcpExt "
		"ListenOverflows and ListenDrops (+%llu and +%llu so far%s).",
		(unsigned long long)ov, (unsigned long long)dr,
		r->private_netns ? ", in this namespace only" :
				   ", machine-wide");
	err = lab_step_end(r);
	if (!err)
		err = lab_sleep(
			r, r->opts->wait_ms < 1500 ? 1500 : r->opts->wait_ms,
			"the waiting clients resend their SYNs");
	if (!err)
		err = lab_step(r, "syn-retries", e_full, LAB_N(e_full),
			       LAB_STEP_MS, NULL);
	if (err)
		return err;
	lab_step_pids(r, srv, cli);
	step_listen(r, ov0, dr0, &ov, &dr);
	lab_step_text(
		r,
		"%.1f s after the first dial the retransmitted SYNs were "
		"dropped too (ListenOverflows +%llu, ListenDrops +%llu in "
		"all). A blocking connect() on those clients would hang "
		"until a SYN gets through or net.ipv4.tcp_syn_retries runs "
		"out, about two minutes.",
		lab_mono_s() - t0, (unsigned long long)ov,
		(unsigned long long)dr);
	err = lab_step_end(r);
	if (err)
		return err;
	kill(srv->pid, SIGUSR1);
	/* The next SYN retransmission can be up to 8 s away. */
	err = lab_step(r, "server-accepts", e_in, LAB_N(e_in), 16000, NULL);
	if (err)
		return err;
	lab_step_pids(r, srv, cli);
	lab_step_text(r, "We sent SIGUSR1 and the server accepted the queued "
			 "connections, which made room: at their next SYN "
			 "retransmission the waiting clients got in, and the "
			 "server accepted them too. All 5 are ESTABLISHED and "
			 "held by the server's fds.");
	return lab_step_end(r);
}

static const char *const seed_steps[] = {
	"connected",
	"client-closed",
	"client-exited",
	"server-accepted",
	"server-exited",
	"drained",
	NULL,
};
static const char *const emfile_steps[] = {
	"queue-grows",
	"fds-freed",
	"reserve-fd",
	NULL,
};
static const char *const leak_steps[] = {
	"accepted",
	"clients-closed",
	"clients-exited",
	NULL,
};
static const char *const overflow_steps[] = {
	"queue-full",
	"syn-retries",
	"server-accepts",
	NULL,
};
static const char *const fin_wait2_steps[] = {
	"server-closed",
	"fin-timeout",
	"client-exited",
	NULL,
};
static const char *const stopped_steps[] = {
	"server-stopped",
	"resumed",
	NULL,
};
static const char *const epollet_steps[] = {
	"stuck",
	NULL,
};
static const char *const oneshot_steps[] = {
	"not-rearmed",
	NULL,
};
static const char *const limit_steps[] = {
	"at-limit",
	"clients-gone",
	NULL,
};
static const char *const leak_emfile_steps[] = {
	"fd-table-full",
	NULL,
};
static const char *const inherited_steps[] = {
	"server-closed-its-copy",
	NULL,
};

static const char *const time_wait_steps[] = {
	"connected",
	"client-closed",
	"later",
	NULL,
};

const struct lab_scenario lab_scenarios[] = {
	{ "seed",
	  "the post: a server that never accepts, a client that writes "
	  "\"ping\" and closes",
	  sc_seed, seed_steps },
	{ "emfile",
	  "a server out of fds spins on EMFILE while the queue grows; the "
	  "reserve-fd remedy",
	  sc_emfile, emfile_steps },
	{ "leak",
	  "a server that accepts and never closes: CLOSE_WAIT held by its "
	  "fds",
	  sc_leak, leak_steps },
	{ "overflow",
	  "more clients than backlog+1: SYN_SENT clients, ListenOverflows",
	  sc_overflow, overflow_steps },
	{ "fin-wait2",
	  "the server closes, the client never does: FIN_WAIT2 and "
	  "tcp_fin_timeout",
	  lab_sc_fin_wait2, fin_wait2_steps },
	{ "time-wait", "the active closer's TIME_WAIT and how long it lasts",
	  lab_sc_time_wait, time_wait_steps },
	{ "stopped",
	  "a working server stopped by SIGSTOP: the queue fills, SIGCONT "
	  "drains it",
	  lab_sc_stopped, stopped_steps },
	{ "epollet",
	  "an edge-triggered listener accepted once per wakeup: connections "
	  "stay queued",
	  lab_sc_epollet, epollet_steps },
	{ "oneshot",
	  "an EPOLLONESHOT listener never re-armed: one accept, then none",
	  lab_sc_oneshot, oneshot_steps },
	{ "limit",
	  "a server at its connection limit stops watching its listener "
	  "(like haproxy's maxconn)",
	  lab_sc_limit, limit_steps },
	{ "leak-emfile",
	  "a CLOSE_WAIT leak fills the fd table until accept() fails with "
	  "EMFILE",
	  lab_sc_leak_emfile, leak_emfile_steps },
	{ "inherited",
	  "a program the server starts inherits each connection: CLOSE_WAIT "
	  "held by a process that never accepted",
	  lab_sc_inherited, inherited_steps },
	{ NULL, NULL, NULL, NULL },
};

const struct lab_scenario *lab_scenario_find(const char *name)
{
	for (const struct lab_scenario *s = lab_scenarios; s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

bool lab_scenario_has_step(const struct lab_scenario *sc, const char *name)
{
	for (const char *const *st = sc->steps; *st; st++)
		if (strcmp(*st, name) == 0)
			return true;
	return false;
}
