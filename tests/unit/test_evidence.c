// SPDX-License-Identifier: MIT
/*
 * Tests for lib/evidence*.c: conclusions drawn from fake /proc trees (one
 * per cause), and a gather on the real /proc of a child this test stops
 * and of one waiting in epoll_wait on an edge-triggered listener. The
 * parsers are in test_evidence_parse.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tcplimbo/diagnose.h"
#include "tcplimbo/evidence.h"

#include "test_evidence.h"

static void put(const char *dir, const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void put(const char *dir, const char *rel, const char *fmt, ...)
{
	char path[PATH_MAX], text[4096];
	va_list ap;
	int fd, n;

	assert_true(snprintf(path, sizeof(path), "%s/%s", dir, rel) <
		    (int)sizeof(path));
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && n < (int)sizeof(text));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, (size_t)n), n);
	close(fd);
}

static void mkd(const char *dir, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void lnk(const char *dir, const char *rel, const char *target)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(symlink(target, path), 0);
}

static void rmtree(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* ---- fake /proc trees ---- */

#define PID 4711
#define LINO 0xb801u

/* A snapshot: the listener on :8080 held by PID as fd 3, then conns. */
struct world {
	struct tl_sock socks[64];
	struct tl_proc procs[3]; /* the process; children in a few tests */
	struct tl_fdref refs[64];
	struct tl_owners owners;
	struct tl_snapshot snap;
	char dir[64];
};

static void world_init(struct world *w, unsigned held, int held_state)
{
	struct tl_sock *L = &w->socks[0];

	memset(w, 0, sizeof(*w));
	w->procs[0].pid = PID;
	L->family = AF_INET;
	L->state = TL_LISTEN;
	L->sport = 8080;
	L->wqueue = 128;
	L->rqueue = 5;
	L->inode = LINO;
	w->refs[0] = (struct tl_fdref){ LINO, 0, 3 };
	for (unsigned i = 1; i <= held; i++) {
		struct tl_sock *sk = &w->socks[i];

		sk->family = AF_INET;
		sk->state = (uint8_t)held_state;
		sk->sport = 8080;
		sk->dport = (uint16_t)(40000 + i);
		sk->inode = LINO + i; /* refs stay sorted by inode */
		w->refs[i] =
			(struct tl_fdref){ sk->inode, 0, (int32_t)(9 + i) };
	}
	/* One connection that is someone else's, on another port. */
	w->socks[held + 1] = w->socks[held ? 1 : 0];
	w->socks[held + 1].state = TL_ESTABLISHED;
	w->socks[held + 1].sport = 9999;
	w->socks[held + 1].inode = 0;
	w->owners.procs = w->procs;
	w->owners.n_procs = 1;
	w->owners.refs = w->refs;
	w->owners.n_refs = held + 1;
	w->snap.socks = w->socks;
	w->snap.n_socks = held + 2;
	w->snap.owners = &w->owners;

	snprintf(w->dir, sizeof(w->dir), "%s", "/tmp/tl-evidence-XXXXXX");
	assert_non_null(mkdtemp(w->dir));
	mkd(w->dir, "thread-self");
	put(w->dir, "thread-self/sched", SCHED_FMT, 1, "5000.000000");
	mkd(w->dir, "4711");
	mkd(w->dir, "4711/task");
	mkd(w->dir, "4711/fd");
	mkd(w->dir, "4711/fdinfo");
	lnk(w->dir, "4711/fd/0", "/dev/null");
	lnk(w->dir, "4711/fd/1", "pipe:[77]");
	lnk(w->dir, "4711/fd/3", "socket:[47105]"); /* 0xb801 */
	for (unsigned i = 1; i <= held; i++) {
		char rel[64], target[64];

		snprintf(rel, sizeof(rel), "4711/fd/%u", 9 + i);
		snprintf(target, sizeof(target), "socket:[%u]", LINO + i);
		lnk(w->dir, rel, target);
	}
}

static void world_proc(struct world *w, const char *state, int tracer,
		       int nthreads)
{
	put(w->dir, "4711/status", STATUS_FMT, state, PID, PID, tracer,
	    nthreads);
}

/* A thread: its syscall line, wchan, and exec_start. */
static void world_thread(struct world *w, int tid, const char *state,
			 const char *syscall, const char *wchan,
			 const char *exec)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "4711/task/%d", tid);
	mkd(w->dir, rel);
	snprintf(rel, sizeof(rel), "4711/task/%d/status", tid);
	put(w->dir, rel, STATUS_FMT, state, PID, tid, 0, 1);
	snprintf(rel, sizeof(rel), "4711/task/%d/syscall", tid);
	put(w->dir, rel, "%s\n", syscall);
	snprintf(rel, sizeof(rel), "4711/task/%d/wchan", tid);
	put(w->dir, rel, "%s", wchan);
	snprintf(rel, sizeof(rel), "4711/task/%d/sched", tid);
	put(w->dir, rel, SCHED_FMT, tid, exec);
	/* It last ran on the CPU this test runs on: one we may visit. */
	snprintf(rel, sizeof(rel), "4711/task/%d/stat", tid);
	put(w->dir, rel, STAT_FMT, tid, sched_getcpu());
}

/* An epoll fd 4 watching the listener with events, or nothing. */
static void world_epoll(struct world *w, const char *events)
{
	lnk(w->dir, "4711/fd/4", "anon_inode:[eventpoll]");
	if (events)
		put(w->dir, "4711/fdinfo/4",
		    "pos:\t0\nflags:\t02\nmnt_id:\t17\nino:\t17\n"
		    "tfd:        5 events:       19 data: 5  pos:0 ino:9 sdev:9\n"
		    "tfd:        3 events: %8s data: 3  pos:0 ino:b801 sdev:9\n",
		    events);
	else
		put(w->dir, "4711/fdinfo/4",
		    "pos:\t0\nflags:\t02\nmnt_id:\t17\nino:\t17\n"
		    "tfd:        5 events:       19 data: 5  pos:0 ino:9 sdev:9\n");
}

/* The process's file (its exe link, here a file): len bytes of head. */
static void world_exe(struct world *w, const uint8_t *head, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/4711/exe", w->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(head, 1, len, f), len);
	fclose(f);
}

static void conclude(struct world *w, int kind, struct tl_evidence *ev,
		     struct tl_ev_verdict *v)
{
	assert_int_equal(tl_evidence_gather(w->dir, PID, &w->snap, &w->socks[0],
					    TL_EV_THREADS | TL_EV_LISTENER |
						    TL_EV_FDS,
					    ev),
			 0);
	tl_evidence_conclude(ev, kind, v);
	rmtree(w->dir);
}

static const char EPOLL_FD4[] =
	"232 0x4 0x55984d67a420 0x3ff 0x186a0 0x0 0x0 0x7ffc 0x7f7c";
static const char FUTEX[] = "202 0x7f00 0x80 0x2 0x0 0x0 0x0 0x1 0x2";
static const char POLL1[] = "7 0x7ffd 0x1 0x493e0 0x0 0x0 0x0 0x1 0x2";
static const char NANOSLEEP[] = "230 0x1 0x0 0x7ffd 0x0 0x0 0x0 0x1 0x2";
/* recvfrom(fd, ...), fd in hex as the kernel writes it */
#define RECV_FD(fd) "45 " fd " 0x7f00 0x2000 0x0 0x0 0x0 0x1 0x2"

/* A process of one sleeping thread, in syscall, holding held connections. */
static void world_one(struct world *w, unsigned held, int held_state,
		      const char *syscall, const char *wchan, const char *exec)
{
	world_init(w, held, held_state);
	world_proc(w, "S (sleeping)", 0, 1);
	world_thread(w, PID, "S (sleeping)", syscall, wchan, exec);
}

/*
 * A process of one thread waiting in epoll fd 4, which watches the
 * listener with events (or not, with NULL), holding held connections.
 */
static void world_waiter(struct world *w, unsigned held, int held_state,
			 const char *events)
{
	world_one(w, held, held_state, EPOLL_FD4, "do_epoll_wait", "4990.0");
	world_epoll(w, events);
}

static void test_stopped(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	world_init(&w, 0, 0);
	world_proc(&w, "T (stopped)", 0, 1);
	world_thread(&w, PID, "T (stopped)", "-1 0x7ffd 0x7f00",
		     "do_signal_stop", "2000.500000");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.state, 'T');
	assert_true(ev.has_idle);
	assert_true(ev.idle_ms == 2999);
	assert_string_equal(ev.threads[0].wchan, "do_signal_stop");
	assert_int_equal(v.cause, TL_CAUSE_STOPPED);
	assert_int_equal(v.certainty, TL_CERT_CERTAIN);
	assert_non_null(strstr(v.text, "SIGSTOP"));
	assert_non_null(strstr(v.text, "has not run for 2 s"));
	assert_non_null(strstr(v.remedy, "kill -CONT"));

	/* A thread last on a CPU we cannot visit: no claim of idleness. */
	world_init(&w, 0, 0);
	world_proc(&w, "T (stopped)", 0, 1);
	world_thread(&w, PID, "T (stopped)", "-1 0x7ffd 0x7f00",
		     "do_signal_stop", "2000.500000");
	put(w.dir, "4711/task/4711/stat", STAT_FMT, PID, 100000);
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_STOPPED);
	assert_false(ev.has_idle);
	assert_null(strstr(v.text, "has not run"));

	world_init(&w, 0, 0);
	world_proc(&w, "t (tracing stop)", 999, 1);
	world_thread(&w, PID, "t (tracing stop)", "-1 0x0 0x0", "0", "1.0");
	conclude(&w, TL_FIND_ACCEPT_QUEUE_OVERFLOW, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_TRACED);
	assert_non_null(strstr(v.text, "TracerPid 999"));
	assert_string_equal(ev.threads[0].wchan, "");
}

static void test_epoll_causes(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;
	char text[256];

	(void)state;
	/* Edge-triggered, a thread waiting on it. */
	world_waiter(&w, 0, 0, "80000019");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.n_regs, 1);
	assert_int_equal(ev.regs[0].epfd, 4);
	assert_int_equal(ev.regs[0].tfd, 3);
	assert_true(ev.regs[0].waited);
	assert_int_equal(ev.listener_fd, 3);
	assert_int_equal(v.cause, TL_CAUSE_EDGE);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(strstr(v.text, "EPOLLET"));
	assert_non_null(strstr(v.remedy, "EAGAIN"));

	/* EPOLLONESHOT, fired and not re-armed. */
	world_waiter(&w, 0, 0, "40000000");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_ONESHOT);
	assert_non_null(strstr(v.text, "re-armed"));

	/* Armed EPOLLONESHOT is not the cause. */
	world_init(&w, 0, 0);
	world_proc(&w, "S (sleeping)", 0, 2);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	world_thread(&w, PID + 1, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	world_epoll(&w, "40000019");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WAITED);
	assert_false(ev.regs[0].waited);
	assert_string_equal(tl_evidence_threads_text(&ev, text, sizeof(text)),
			    "2 threads in futex, none in accept");
}

/*
 * A Go program: its listener is edge-triggered as every socket of Go's
 * netpoller, and that registration is not the cause.
 */
static void test_go_accept(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;
	uint8_t head[0x200];
	size_t n = elf_head(head, sizeof(head), true, false, "Go\0\0", 4, 4);

	(void)state;
	world_init(&w, 2, TL_ESTABLISHED);
	world_proc(&w, "S (sleeping)", 0, 2);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	world_thread(&w, PID + 1, "S (sleeping)", EPOLL_FD4, "do_epoll_wait",
		     "4990.0");
	world_epoll(&w, "8000201d");
	world_exe(&w, head, n);
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.runtime, TL_RT_GO);
	assert_int_equal(v.cause, TL_CAUSE_GO_ACCEPT);
	assert_string_equal(tl_ev_cause_name(v.cause), "go-accept-loop");
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(strstr(v.text, "pid 4711 is a Go program"));
	assert_non_null(
		strstr(v.text, "fd 3, in epoll fd 4, events 0x8000201d"));
	assert_non_null(
		strstr(v.text, "it holds 2 of the listener's connections;"));
	assert_non_null(strstr(v.remedy, "goroutine"));
	assert_null(strstr(v.remedy, "level-triggered"));

	/* An overflow may be a loop that is too slow: only possible. */
	world_waiter(&w, 2, TL_ESTABLISHED, "8000201d");
	world_exe(&w, head, n);
	conclude(&w, TL_FIND_ACCEPT_QUEUE_OVERFLOW, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_GO_ACCEPT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(v.text, "does not keep up"));

	/* The same registration in a program of no known runtime. */
	world_waiter(&w, 2, TL_ESTABLISHED, "8000201d");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.runtime, TL_RT_UNKNOWN);
	assert_int_equal(v.cause, TL_CAUSE_EDGE);
}

/*
 * A Tokio program: its I/O driver registers the listener edge-triggered
 * too; its worker threads' names tell it, and only the full prefix does.
 */
static void test_tokio_accept(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	for (int named = 0; named < 3; named++) {
		world_init(&w, 2, TL_ESTABLISHED);
		world_proc(&w, "S (sleeping)", 0, 2);
		world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
			     "4990.0");
		world_thread(&w, PID + 1, "S (sleeping)", EPOLL_FD4,
			     "do_epoll_wait", "4990.0");
		put(w.dir, "4711/task/4711/comm", "server\n");
		/* A program that names its threads "tokio" is not told. */
		put(w.dir, "4711/task/4712/comm",
		    named == 0 ? "tokio-runtime-w\n" :
		    named == 1 ? "tokio\n" :
				 "tokio-runtime-x\n");
		world_epoll(&w, "8000201d");
		conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
		if (named > 0) {
			assert_int_equal(ev.runtime, TL_RT_UNKNOWN);
			assert_int_equal(v.cause, TL_CAUSE_EDGE);
			continue;
		}
		assert_int_equal(ev.runtime, TL_RT_TOKIO);
		assert_string_equal(tl_ev_runtime_name(ev.runtime), "tokio");
		assert_int_equal(v.cause, TL_CAUSE_TOKIO);
		assert_string_equal(tl_ev_cause_name(v.cause),
				    "tokio-accept-loop");
		assert_int_equal(v.certainty, TL_CERT_LIKELY);
		assert_non_null(strstr(v.text, "pid 4711 runs on Tokio"));
		assert_non_null(strstr(
			v.text,
			"until WouldBlock: so no task is calling accept() on this listener"));
		assert_non_null(strstr(
			v.text, "it holds 2 of the listener's connections;"));
		assert_non_null(strstr(v.remedy, "Semaphore"));
		assert_null(strstr(v.remedy, "level-triggered"));
	}

	/* Level-triggered, the threads' names are not read at all. */
	world_init(&w, 2, TL_ESTABLISHED);
	world_proc(&w, "S (sleeping)", 0, 1);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	put(w.dir, "4711/task/4711/comm", "tokio-runtime-w\n");
	world_epoll(&w, "0000201d");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.runtime, TL_RT_UNKNOWN);
}

/* A leak's evidence: the threads and their I/O, no listener. */
static void conclude_leak(struct world *w, struct tl_evidence *ev,
			  struct tl_ev_verdict *v)
{
	assert_int_equal(tl_evidence_gather(w->dir, PID, &w->snap, NULL,
					    TL_EV_THREADS | TL_EV_LEAK, ev),
			 0);
	tl_evidence_conclude(ev, TL_FIND_CLOSE_WAIT_LEAK, v);
	rmtree(w->dir);
}

/*
 * CLOSE-WAIT sockets held (fds 10, 11) by a process whose workers are
 * stuck on something else: blocked, not (only) leaking.
 */
static void test_leak_blocked(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	world_init(&w, 2, TL_CLOSE_WAIT);
	world_proc(&w, "S (sleeping)", 0, 2);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "1000.0");
	world_thread(&w, PID + 1, "S (sleeping)", RECV_FD("0x8"), "wait_woken",
		     "1000.0");
	conclude_leak(&w, &ev, &v);
	assert_true(ev.on_other == 2);
	assert_int_equal(v.cause, TL_CAUSE_BLOCKED);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_string_equal(tl_ev_cause_name(v.cause), "blocked-elsewhere");
	/* Words that fit a client leaking too, which has no clients. */
	assert_non_null(strstr(v.text, "blocked in I/O on fd 8, which is "
				       "none of the connections it accepted"));
	assert_non_null(strstr(v.text, "does not get back to the connections "
				       "it should close"));
	assert_non_null(strstr(v.text, "none of them has run for 4 s"));
	assert_non_null(strstr(v.remedy, "/proc/PID/fd/FD"));
	assert_true(v.fd == 8);
	/* Its remedy says when it applies: given even when only possible. */
	assert_true(tl_ev_remedy_conditional(v.cause));
	assert_true(strncmp(v.remedy, "If ", 3) == 0);

	/*
	 * The same with a housekeeping thread that ran 10 ms ago (a JVM's
	 * wakes every 50 ms): the blocked thread has not run for 4 s.
	 */
	world_init(&w, 2, TL_CLOSE_WAIT);
	world_proc(&w, "S (sleeping)", 0, 2);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	world_thread(&w, PID + 1, "S (sleeping)", RECV_FD("0x8"), "wait_woken",
		     "1000.0");
	conclude_leak(&w, &ev, &v);
	assert_true(ev.idle_ms < 1000);
	assert_int_equal(v.cause, TL_CAUSE_BLOCKED);
	assert_non_null(
		strstr(v.text, "the blocked ones have not run for 4 s"));
	/* Threads in one call on different fds are told together. */
	world_init(&w, 2, TL_CLOSE_WAIT);
	world_proc(&w, "S (sleeping)", 0, 3);
	world_thread(&w, PID, "S (sleeping)", RECV_FD("0x8"), "wait_woken",
		     "1000.0");
	world_thread(&w, PID + 1, "S (sleeping)", RECV_FD("0xc"), "wait_woken",
		     "1000.0");
	world_thread(&w, PID + 2, "S (sleeping)", RECV_FD("0x8"), "wait_woken",
		     "1000.0");
	conclude_leak(&w, &ev, &v);
	assert_non_null(strstr(v.text, "3 threads in recvfrom on fds 8, 12"));

	/* In recv on one of them (fd 10): it is reading, nothing to say. */
	world_one(&w, 2, TL_CLOSE_WAIT, RECV_FD("0xa"), "wait_woken", "1000.0");
	conclude_leak(&w, &ev, &v);
	assert_true(ev.on_other == 0);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);

	/*
	 * In recv on a client that is still connected (fd 10, ESTABLISHED,
	 * from its listener) while others leak: serving, not blocked.
	 */
	world_init(&w, 2, TL_CLOSE_WAIT);
	w.socks[1].state = TL_ESTABLISHED;
	world_proc(&w, "S (sleeping)", 0, 1);
	world_thread(&w, PID, "S (sleeping)", RECV_FD("0xa"), "wait_woken",
		     "1000.0");
	conclude_leak(&w, &ev, &v);
	assert_true(ev.on_other == 0);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);

	/* An event loop beside it may be the one that leaks. */
	world_init(&w, 2, TL_CLOSE_WAIT);
	world_proc(&w, "S (sleeping)", 0, 2);
	world_thread(&w, PID, "S (sleeping)", EPOLL_FD4, "do_epoll_wait",
		     "1000.0");
	world_thread(&w, PID + 1, "S (sleeping)", RECV_FD("0x8"), "wait_woken",
		     "1000.0");
	conclude_leak(&w, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);

	/*
	 * Its one thread waits in an epoll set that holds no connection, only
	 * an eventfd (a PostgreSQL backend waiting for a lock): blocked.
	 */
	world_one(&w, 2, TL_CLOSE_WAIT, EPOLL_FD4, "do_epoll_wait", "1000.0");
	world_epoll(&w, NULL);
	conclude_leak(&w, &ev, &v);
	assert_true(ev.on_other == 1);
	assert_int_equal(v.cause, TL_CAUSE_BLOCKED);
	assert_non_null(strstr(v.text, "wait in epoll fd 4, a set that holds "
				       "no connection"));
	/* A set that holds its listener is its event loop: a leak. */
	world_one(&w, 2, TL_CLOSE_WAIT, EPOLL_FD4, "do_epoll_wait", "1000.0");
	world_epoll(&w, "19");
	conclude_leak(&w, &ev, &v);
	assert_true(ev.on_other == 0);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
	/* The same set holding one of its connections: it is told. */
	world_one(&w, 2, TL_CLOSE_WAIT, EPOLL_FD4, "do_epoll_wait", "1000.0");
	lnk(w.dir, "4711/fd/4", "anon_inode:[eventpoll]");
	put(w.dir, "4711/fdinfo/4",
	    "pos:\t0\nflags:\t02\nmnt_id:\t17\nino:\t17\n"
	    "tfd:       10 events:       19 data: a  pos:0 ino:%x sdev:9\n",
	    (unsigned)(LINO + 1));
	conclude_leak(&w, &ev, &v);
	assert_true(ev.on_other == 0);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
}

static void test_limit_and_unwatched(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;
	char text[256];

	(void)state;
	/* 20 connections held, the listener in no epoll set. */
	world_init(&w, 20, TL_ESTABLISHED);
	world_proc(&w, "S (sleeping)", 0, 3);
	world_thread(&w, PID, "S (sleeping)", EPOLL_FD4, "do_epoll_wait",
		     "4990.0");
	world_thread(&w, PID + 1, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	world_thread(&w, PID + 2, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	world_epoll(&w, NULL);
	conclude(&w, TL_FIND_ACCEPT_QUEUE_OVERFLOW, &ev, &v);
	assert_int_equal(ev.held, 20);
	assert_int_equal(ev.n_regs, 0);
	assert_int_equal(ev.n_epolls, 1);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(strstr(v.text, "holds 20 accepted connections"));
	assert_non_null(strstr(v.remedy, "maxconn"));
	assert_string_equal(
		tl_evidence_threads_text(&ev, text, sizeof(text)),
		"2 threads in futex, 1 in epoll_wait on fd 4, none in accept");

	/*
	 * A blocking pool (Java's): no epoll set, every thread in futex, 4
	 * connections held: its workers may all be busy. Possible.
	 */
	world_init(&w, 4, TL_ESTABLISHED);
	world_proc(&w, "S (sleeping)", 0, 2);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	world_thread(&w, PID + 1, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(v.text, "holds 4 of its connections"));
	/*
	 * 120 threads of which one was read, in futex, nothing held: what the
	 * others do is not known. Not 'likely', and not 'none in accept'.
	 */
	world_init(&w, 0, 0);
	world_proc(&w, "S (sleeping)", 0, 120);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WATCHED);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_null(strstr(v.text, "none in accept"));
	assert_non_null(strstr(v.text, "119 more not read, none of those read "
				       "in accept"));

	/*
	 * lighttpd at server.max-connections: the listener stays in the set
	 * with no events asked for (only EPOLLERR|EPOLLHUP, always added).
	 */
	world_waiter(&w, 4, TL_ESTABLISHED, "18");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.n_regs, 1);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_non_null(strstr(v.text, "the listener is in epoll fd 4 but "
				       "asks it for no events (events 0x18, "
				       "no EPOLLIN) while the program holds 4 "
				       "accepted connections"));
	/* The same with nothing held: not watched at all. */
	world_waiter(&w, 0, 0, "18");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WATCHED);
	assert_non_null(strstr(v.text, "asks it for no events"));

	/*
	 * A pre-forked worker at MaxRequestWorkers: its one thread polls,
	 * on fds /proc cannot show, while it holds a client: possible.
	 */
	world_one(&w, 1, TL_ESTABLISHED, POLL1, "do_sys_poll", "4990.0");
	world_epoll(&w, "19");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_false(ev.regs[0].waited);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(v.text, "no thread waits for the listener (it "
				       "is in epoll fd 4, which no thread "
				       "waits on): its threads are in poll"));
	assert_non_null(strstr(v.remedy, "MaxRequestWorkers"));
	assert_true(tl_ev_remedy_conditional(v.cause));
	assert_true(strncmp(v.remedy, "If ", 3) == 0);
	assert_false(tl_ev_remedy_conditional(TL_CAUSE_EDGE));

	/*
	 * A php-fpm worker whose request sleeps (it has no epoll set: it
	 * blocks in accept() when idle): possible, like poll.
	 */
	world_one(&w, 1, TL_ESTABLISHED, NANOSLEEP, "hrtimer_nanosleep",
		  "4990.0");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.n_epolls, 0);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(v.text, "pm.max_children"));
	/*
	 * The same sleep, alone on the listener, holding only a connection
	 * whose client left: a child that inherited them from a server that
	 * exited serves nobody. Nothing waits for the listener.
	 */
	world_one(&w, 1, TL_CLOSE_WAIT, NANOSLEEP, "hrtimer_nanosleep",
		  "4990.0");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.held, 1);
	assert_int_equal(ev.held_closed, 1);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WATCHED);

	/*
	 * socat's fork at max-children: the parent sleeps, holding the
	 * listener; its children (same comm) hold the connections, one
	 * each, and not the listener.
	 */
	world_one(&w, 2, TL_ESTABLISHED, NANOSLEEP, "hrtimer_nanosleep",
		  "4990.0");
	w.procs[1].pid = PID + 100;
	w.procs[1].ppid = PID;
	w.procs[2].pid = PID + 101;
	w.procs[2].ppid = PID;
	w.refs[1].proc = 1;
	w.refs[2].proc = 2;
	w.owners.n_procs = 3;
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.held, 0);
	assert_int_equal(ev.children_held, 2);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(v.text, "while its children hold 2 of its "
				       "connections and not the listener"));
	assert_non_null(strstr(v.remedy, "socat max-children"));
	/* A child of another name is another program's. */
	world_one(&w, 1, TL_ESTABLISHED, NANOSLEEP, "hrtimer_nanosleep",
		  "4990.0");
	w.procs[1].pid = PID + 100;
	w.procs[1].ppid = PID;
	snprintf(w.procs[1].comm, sizeof(w.procs[1].comm), "other");
	w.refs[1].proc = 1;
	w.owners.n_procs = 2;
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.children_held, 0);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WATCHED);

	/*
	 * The same sleep where the listener is in an epoll set nobody waits
	 * on: an event loop a handler put to sleep (time.sleep() in asyncio
	 * or Twisted), not a worker limit.
	 */
	world_one(&w, 1, TL_ESTABLISHED, NANOSLEEP, "hrtimer_nanosleep",
		  "4990.0");
	world_epoll(&w, "19");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WAITED);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(strstr(v.text, "1 thread in clock_nanosleep"));
	assert_int_equal(ev.sharers, 1);
	/*
	 * The same, with a second process holding the listener: a pre-forked
	 * pool of event loops (uWSGI's workers), each asleep in the request
	 * it holds, is a pool at its limit.
	 */
	world_one(&w, 1, TL_ESTABLISHED, NANOSLEEP, "hrtimer_nanosleep",
		  "4990.0");
	world_epoll(&w, "19");
	w.refs[2] = w.refs[1];
	w.refs[1] = (struct tl_fdref){ LINO, 1, 3 };
	w.procs[1].pid = PID + 200;
	w.owners.n_procs = 2;
	w.owners.n_refs = 3;
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.sharers, 2);
	assert_int_equal(ev.held, 1);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);

	/* gunicorn's sync workers: in recv on the client it holds (fd 10),
	 * the listener in no epoll set (they select() on it when idle). */
	world_one(&w, 1, TL_ESTABLISHED, RECV_FD("0xa"), "wait_woken",
		  "4990.0");
	world_epoll(&w, NULL);
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_true(ev.on_held == 1);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(strstr(v.text, "(not in its epoll set): each thread "
				       "is in I/O on one of the listener's "
				       "connections it holds (1)"));

	/* A thread pool: the main thread waits for two workers in recv. */
	world_init(&w, 2, TL_ESTABLISHED);
	world_proc(&w, "S (sleeping)", 0, 3);
	world_thread(&w, PID, "S (sleeping)", FUTEX, "futex_wait_queue",
		     "4990.0");
	world_thread(&w, PID + 1, "S (sleeping)", RECV_FD("0xa"), "wait_woken",
		     "4990.0");
	world_thread(&w, PID + 2, "S (sleeping)", RECV_FD("0xb"), "wait_woken",
		     "4990.0");
	world_epoll(&w, "19");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_true(ev.on_held == 6);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);

	/*
	 * In recv on something else (an upstream, fd 8) and not run for 4 s:
	 * blocked there; run just now, only not waited.
	 */
	world_one(&w, 1, TL_ESTABLISHED, RECV_FD("0x8"), "wait_woken",
		  "1000.0");
	world_epoll(&w, "19");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_true(ev.on_held == 0);
	assert_int_equal(v.cause, TL_CAUSE_BLOCKED);
	assert_non_null(strstr(v.text, "fd 8, which is none of its clients' "
				       "connections"));
	world_one(&w, 1, TL_ESTABLISHED, RECV_FD("0x8"), "wait_woken",
		  "4990.0");
	world_epoll(&w, "19");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WAITED);
	/* Holding none, or with a thread elsewhere: not waited, as before. */
	world_one(&w, 0, 0, POLL1, "do_sys_poll", "4990.0");
	world_epoll(&w, "19");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WAITED);
	world_init(&w, 1, TL_ESTABLISHED);
	world_proc(&w, "S (sleeping)", 0, 2);
	world_thread(&w, PID, "S (sleeping)", POLL1, "do_sys_poll", "4990.0");
	world_thread(&w, PID + 1, "S (sleeping)", EPOLL_FD4, "do_epoll_wait",
		     "4990.0");
	world_epoll(&w, "19");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_WATCHED);

	/* 7 held: not a round number, only possible. */
	world_waiter(&w, 7, TL_CLOSE_WAIT, NULL);
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.held, 7);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);

	/* Nothing held, nothing waits for the listener. */
	world_one(&w, 0, 0, "230 0x0 0x0 0x7ffd 0x0 0x0 0x0 0x1 0x2",
		  "hrtimer_nanosleep", "1000.0");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WATCHED);
	assert_int_equal(v.certainty, TL_CERT_LIKELY);
	assert_non_null(strstr(v.text, "clock_nanosleep"));
	assert_non_null(strstr(v.text, "none of them has run for 4 s"));

	/* Syscalls unreadable (no ptrace access): no claim about waits. */
	world_init(&w, 0, 0);
	world_proc(&w, "S (sleeping)", 0, 1);
	mkd(w.dir, "4711/task/4711");
	put(w.dir, "4711/task/4711/status", STATUS_FMT, "S (sleeping)", PID,
	    PID, 0, 1);
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(ev.threads[0].kind, TL_SYS_UNKNOWN);
	assert_int_equal(v.cause, TL_CAUSE_UNKNOWN);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(v.text, "ptrace"));
	assert_null(strstr(tl_evidence_threads_text(&ev, text, sizeof(text)),
			   "none in accept"));
	assert_null(v.remedy);

	/* A thread in accept4: slow, not stuck; keep the finding's remedy. */
	world_one(&w, 0, 0, "288 0x3 0x0 0x0 0x80800 0x0 0x0 0x1 0x2",
		  "inet_csk_accept", "4990.0");
	conclude(&w, TL_FIND_ACCEPT_QUEUE_OVERFLOW, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_ACCEPTING);
	assert_null(v.remedy);
}

static void test_fds_and_gone(void **state)
{
	struct world w;
	struct tl_evidence ev;
	struct tl_ev_verdict v;

	(void)state;
	/* 12 CLOSE_WAIT of 15 fds. */
	world_waiter(&w, 12, TL_CLOSE_WAIT, "19");
	conclude(&w, TL_FIND_FD_EXHAUSTION, &ev, &v);
	assert_int_equal(ev.n_fds, 16);
	assert_int_equal(ev.kinds[TL_FDK_TCP], 13);
	assert_int_equal(ev.tcp[TL_CLOSE_WAIT], 12);
	assert_int_equal(ev.tcp[TL_LISTEN], 1);
	assert_int_equal(ev.kinds[TL_FDK_PIPE], 1);
	assert_int_equal(ev.kinds[TL_FDK_EPOLL], 1);
	assert_int_equal(ev.kinds[TL_FDK_DEVICE], 1);
	assert_int_equal(v.cause, TL_CAUSE_CLOSE_WAIT);
	assert_non_null(strstr(v.text, "12 close-wait"));
	assert_non_null(strstr(v.text, ", 1 pipe,"));
	assert_non_null(strstr(v.text, "13 TCP sockets"));
	/* Level-triggered and waited for: the EMFILE spin. */
	assert_non_null(strstr(v.text, "busy loop"));
	assert_non_null(strstr(v.remedy, "close-wait-leak"));

	/* The same with mostly files: the leak is not the cause. */
	world_init(&w, 1, TL_CLOSE_WAIT);
	world_proc(&w, "S (sleeping)", 0, 1);
	for (int i = 20; i < 30; i++) {
		char rel[32];

		snprintf(rel, sizeof(rel), "4711/fd/%d", i);
		lnk(w.dir, rel, "/var/log/app.log");
	}
	conclude(&w, TL_FIND_FD_EXHAUSTION, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_FDS_OTHER);
	assert_non_null(strstr(v.text, "most are files"));

	/* Gone. */
	world_init(&w, 0, 0);
	rmtree(w.dir);
	assert_int_equal(tl_evidence_gather(w.dir, PID, &w.snap, &w.socks[0],
					    TL_EV_THREADS, &ev),
			 0);
	assert_true(ev.gone);
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(v.cause, TL_CAUSE_GONE);
	assert_int_equal(tl_evidence_gather("/proc", 0, NULL, NULL, 0, &ev),
			 -EINVAL);
}

/* ---- the real kernel ---- */

/* Waits (bounded) until /proc/PID/status shows state c. */
static bool wait_state(pid_t pid, char c)
{
	for (int i = 0; i < 200; i++) {
		struct tl_evidence ev;
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		if (tl_evidence_gather("/proc", pid, NULL, NULL, TL_EV_THREADS,
				       &ev) == 0 &&
		    ev.state == c && ev.n_read == 1 &&
		    (c != 'S' || ev.threads[0].kind == TL_SYS_EPOLL))
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

static void test_real(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event e = { .events = EPOLLIN | EPOLLET };
	struct tl_evidence ev;
	struct tl_ev_verdict v;
	struct world w;
	struct stat st;
	int lfd, efd, status;
	pid_t pid;

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	efd = epoll_create1(EPOLL_CLOEXEC);
	assert_true(efd >= 0);
	e.data.fd = lfd;
	assert_int_equal(epoll_ctl(efd, EPOLL_CTL_ADD, lfd, &e), 0);
	assert_int_equal(fstat(lfd, &st), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct epoll_event out;

		epoll_wait(efd, &out, 1, 20000);
		_exit(0);
	}
	if (!wait_state(pid, 'S')) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		skip(); /* /proc/PID/task/TID/syscall needs ptrace access */
	}
	world_init(&w, 0, 0);
	rmtree(w.dir);
	w.socks[0].inode = (uint32_t)st.st_ino;
	w.refs[0].inode = (uint32_t)st.st_ino;
	w.procs[0].pid = pid;
	w.refs[0].fd = lfd;
	assert_int_equal(tl_evidence_gather("/proc", pid, &w.snap, &w.socks[0],
					    TL_EV_THREADS | TL_EV_LISTENER,
					    &ev),
			 0);
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(ev.n_regs, 1);
	assert_int_equal(ev.regs[0].epfd, efd);
	assert_true(ev.regs[0].events & TL_EPOLLET);
	assert_true(ev.regs[0].waited);
	assert_int_equal(v.cause, TL_CAUSE_EDGE);

	assert_int_equal(kill(pid, SIGSTOP), 0);
	assert_true(wait_state(pid, 'T'));
	assert_int_equal(tl_evidence_gather("/proc", pid, &w.snap, &w.socks[0],
					    TL_EV_THREADS | TL_EV_LISTENER,
					    &ev),
			 0);
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(v.cause, TL_CAUSE_STOPPED);
	assert_int_equal(ev.tracer, 0);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(efd);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stopped),
		cmocka_unit_test(test_epoll_causes),
		cmocka_unit_test(test_go_accept),
		cmocka_unit_test(test_tokio_accept),
		cmocka_unit_test(test_leak_blocked),
		cmocka_unit_test(test_limit_and_unwatched),
		cmocka_unit_test(test_fds_and_gone),
		cmocka_unit_test(test_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
