/* SPDX-License-Identifier: MIT */
/*
 * The evidence tests' fake /proc: a tree under a temporary directory that
 * tl_evidence_gather reads as it would /proc (a process, its threads and
 * their syscalls, its fds and epoll sets, its exe), with the snapshot of
 * the sockets it holds beside it. Shared by test_evidence.c and
 * test_evidence_limit.c.
 */
#ifndef TL_TEST_PROC_WORLD_H
#define TL_TEST_PROC_WORLD_H

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

static inline void put(const char *dir, const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline void put(const char *dir, const char *rel, const char *fmt, ...)
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

static inline void mkd(const char *dir, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static inline void lnk(const char *dir, const char *rel, const char *target)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(symlink(target, path), 0);
}

static inline void rmtree(const char *dir)
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

static inline void world_init(struct world *w, unsigned held, int held_state)
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

static inline void world_proc(struct world *w, const char *state, int tracer,
			      int nthreads)
{
	put(w->dir, "4711/status", STATUS_FMT, state, PID, PID, tracer,
	    nthreads);
}

/* A thread: its syscall line, wchan, and exec_start. */
static inline void world_thread(struct world *w, int tid, const char *state,
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
static inline void world_epoll(struct world *w, const char *events)
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

/* An epoll fd epfd that watches one fd, tfd (socket inode ino). */
static inline void world_epoll_one(struct world *w, int epfd, int tfd,
				   const char *events, unsigned ino)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "4711/fd/%d", epfd);
	lnk(w->dir, rel, "anon_inode:[eventpoll]");
	snprintf(rel, sizeof(rel), "4711/fdinfo/%d", epfd);
	put(w->dir, rel,
	    "pos:\t0\nflags:\t02\nmnt_id:\t17\nino:\t17\n"
	    "tfd: %8d events: %8s data: %x  pos:0 ino:%x sdev:9\n",
	    tfd, events, tfd, ino);
}

/* The process's file (its exe link, here a file): len bytes of head. */
static inline void world_exe(struct world *w, const uint8_t *head, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/4711/exe", w->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(head, 1, len, f), len);
	fclose(f);
}

static inline void conclude(struct world *w, int kind, struct tl_evidence *ev,
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

/* A leak's evidence: the threads and their I/O, no listener. */
static inline void conclude_leak(struct world *w, struct tl_evidence *ev,
				 struct tl_ev_verdict *v)
{
	assert_int_equal(tl_evidence_gather(w->dir, PID, &w->snap, NULL,
					    TL_EV_THREADS | TL_EV_LEAK, ev),
			 0);
	tl_evidence_conclude(ev, TL_FIND_CLOSE_WAIT_LEAK, v);
	rmtree(w->dir);
}

static const char EPOLL_FD4[] __attribute__((unused)) =
	"232 0x4 0x55984d67a420 0x3ff 0x186a0 0x0 0x0 0x7ffc 0x7f7c";
static const char FUTEX[]
	__attribute__((unused)) = "202 0x7f00 0x80 0x2 0x0 0x0 0x0 0x1 0x2";
static const char POLL1[]
	__attribute__((unused)) = "7 0x7ffd 0x1 0x493e0 0x0 0x0 0x0 0x1 0x2";
static const char NANOSLEEP[]
	__attribute__((unused)) = "230 0x1 0x0 0x7ffd 0x0 0x0 0x0 0x1 0x2";
/* recvfrom(fd, ...), fd in hex as the kernel writes it */
#define RECV_FD(fd) "45 " fd " 0x7f00 0x2000 0x0 0x0 0x0 0x1 0x2"

/* A process of one sleeping thread, in syscall, holding held connections. */
static inline void world_one(struct world *w, unsigned held, int held_state,
			     const char *syscall, const char *wchan,
			     const char *exec)
{
	world_init(w, held, held_state);
	world_proc(w, "S (sleeping)", 0, 1);
	world_thread(w, PID, "S (sleeping)", syscall, wchan, exec);
}

/*
 * A process of one thread waiting in epoll fd 4, which watches the
 * listener with events (or not, with NULL), holding held connections.
 */
static inline void world_waiter(struct world *w, unsigned held, int held_state,
				const char *events)
{
	world_one(w, held, held_state, EPOLL_FD4, "do_epoll_wait", "4990.0");
	world_epoll(w, events);
}

/*
 * Hand-filled evidence of a sleeping listener's process: its port, backlog
 * and queue, and n threads all in the syscall kind (a fake /proc gives no
 * CPU share, and these tests need none).
 */
static inline void listener_ev(struct tl_evidence *ev, uint16_t port,
			       uint32_t backlog, uint32_t queued, int n,
			       int kind)
{
	memset(ev, 0, sizeof(*ev));
	ev->pid = PID;
	ev->state = 'S';
	ev->has_fds = true;
	ev->has_listener = true;
	ev->port = port;
	ev->backlog = backlog;
	ev->queued = queued;
	ev->n_threads = ev->n_read = (uint32_t)n;
	for (int i = 0; i < n; i++) {
		ev->threads[i].tid = PID + i;
		ev->threads[i].kind = kind;
	}
}

#endif
