// SPDX-License-Identifier: MIT
/*
 * Tests for lib/evidence*.c: the /proc parsers on real and hostile text,
 * conclusions drawn from fake /proc trees (one per cause), and a gather on
 * the real /proc of a child this test stops and of one waiting in
 * epoll_wait on an edge-triggered listener.
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

#define STATUS_FMT                                                       \
	"Name:\t(a) b)\nUmask:\t0022\nState:\t%s\nTgid:\t%d\nPid:\t%d\n" \
	"PPid:\t1\nTracerPid:\t%d\nUid:\t0\t0\t0\t0\nThreads:\t%d\n"
#define SCHED_FMT                                                               \
	"lab-server (%d, #threads: 1)\n"                                        \
	"-------------------------------------------------------------------\n" \
	"se.exec_start                                :        %s\n"            \
	"se.vruntime                                  :          5144.893065\n"

/* /proc/PID/stat with a comm that holds ") (" and field 39 (the CPU). */
#define STAT_FMT                                                          \
	"%d (a) (b c) S 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 " \
	"1000 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 %d 0 0\n"

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

/* ---- parsers ---- */

static void test_parse_status(void **state)
{
	char text[512], st = 0;
	pid_t tracer = 7;
	uint32_t threads = 0;

	(void)state;
	snprintf(text, sizeof(text), STATUS_FMT, "T (stopped)", 10, 10, 0, 3);
	assert_int_equal(tl_ev_parse_status(text, strlen(text), &st, &tracer,
					    &threads),
			 0);
	assert_int_equal(st, 'T');
	assert_int_equal(tracer, 0);
	assert_int_equal(threads, 3);
	snprintf(text, sizeof(text), STATUS_FMT, "t (tracing stop)", 10, 10,
		 4242, 1);
	assert_int_equal(
		tl_ev_parse_status(text, strlen(text), &st, &tracer, NULL), 0);
	assert_int_equal(st, 't');
	assert_int_equal(tracer, 4242);
	/* A comm cannot fake the State line: it is on the Name line. */
	st = 0;
	assert_int_equal(tl_ev_parse_status("Name:\tState: T\n", 15, &st, NULL,
					    NULL),
			 -ENOENT);
	assert_int_equal(st, 0);
	assert_int_equal(tl_ev_parse_status("State:\t\n", 8, &st, NULL, NULL),
			 -EINVAL);
	assert_int_equal(
		tl_ev_parse_status("State:\tS\nTracerPid:\t99999999999\n", 33,
				   &st, &tracer, NULL),
		-EINVAL);
}

static void test_parse_syscall(void **state)
{
	static const char ew[] =
		"232 0x4 0x55984d67a420 0x3ff 0x186a0 0x0 0x0 0x7ffc6 0x7f7c\n";
	static const char acc[] = "288 0x3 0x0 0x0 0x80800 0x0 0x0 0x1 0x2\n";
	static const char fut[] = "202 0x7f00 0x80 0x2 0x0 0x0 0x0 0x1 0x2\n";
	static const char a64[] =
		"22 0x5 0xffff 0x40 0xffffffff 0x0 0x0 0x1 0x2";
	int kind;
	long nr;
	int64_t fd;

	(void)state;
	assert_int_equal(tl_ev_parse_syscall(ew, strlen(ew), TL_EV_ARCH_X86_64,
					     &kind, &nr, &fd),
			 0);
	assert_int_equal(kind, TL_SYS_EPOLL);
	assert_int_equal(nr, 232);
	assert_int_equal(fd, 4);
	assert_int_equal(tl_ev_parse_syscall(acc, strlen(acc),
					     TL_EV_ARCH_X86_64, &kind, &nr,
					     &fd),
			 0);
	assert_int_equal(kind, TL_SYS_ACCEPT);
	assert_int_equal(fd, 3);
	assert_int_equal(tl_ev_parse_syscall(fut, strlen(fut),
					     TL_EV_ARCH_X86_64, &kind, &nr,
					     &fd),
			 0);
	assert_int_equal(kind, TL_SYS_FUTEX);
	assert_int_equal(fd, -1);
	/* arm64: 22 is epoll_pwait; on x86_64 it is pipe, not in the table. */
	assert_int_equal(tl_ev_parse_syscall(a64, strlen(a64), TL_EV_ARCH_ARM64,
					     &kind, &nr, &fd),
			 0);
	assert_int_equal(kind, TL_SYS_EPOLL);
	assert_int_equal(fd, 5);
	assert_int_equal(tl_ev_parse_syscall(a64, strlen(a64),
					     TL_EV_ARCH_X86_64, &kind, &nr,
					     &fd),
			 0);
	assert_int_equal(kind, TL_SYS_OTHER);
	assert_int_equal(tl_ev_parse_syscall("running\n", 8, TL_EV_ARCH_X86_64,
					     &kind, &nr, &fd),
			 0);
	assert_int_equal(kind, TL_SYS_RUNNING);
	assert_int_equal(tl_ev_parse_syscall("-1 0x7ffd 0x7f00\n", 17,
					     TL_EV_ARCH_X86_64, &kind, &nr,
					     &fd),
			 0);
	assert_int_equal(kind, TL_SYS_NONE);
	/* An fd argument that is no int is no fd. */
	assert_int_equal(tl_ev_parse_syscall("43 0xffffffffff 0x0", 19,
					     TL_EV_ARCH_X86_64, &kind, &nr,
					     &fd),
			 0);
	assert_int_equal(fd, -1);
	kind = 99;
	assert_int_equal(tl_ev_parse_syscall("232 4", 5, TL_EV_ARCH_X86_64,
					     &kind, &nr, &fd),
			 -EINVAL);
	assert_int_equal(tl_ev_parse_syscall("-2 0x0", 6, TL_EV_ARCH_X86_64,
					     &kind, &nr, &fd),
			 -EINVAL);
	assert_int_equal(tl_ev_parse_syscall("", 0, TL_EV_ARCH_X86_64, &kind,
					     &nr, &fd),
			 -EINVAL);
	assert_int_equal(kind, 99);
	assert_string_equal(tl_ev_syscall_name(TL_EV_ARCH_ARM64, 242, NULL,
					       NULL),
			    "accept4");
	assert_null(tl_ev_syscall_name(TL_EV_ARCH_ARM64, 232, NULL, NULL));
}

static void test_parse_sched(void **state)
{
	char text[512];
	uint64_t ns = 0;

	(void)state;
	snprintf(text, sizeof(text), SCHED_FMT, 10, "382662.801880");
	assert_int_equal(tl_ev_parse_sched(text, strlen(text), &ns), 0);
	assert_true(ns == 382662801880ull);
	snprintf(text, sizeof(text), SCHED_FMT, 10, "12.5");
	assert_int_equal(tl_ev_parse_sched(text, strlen(text), &ns), 0);
	assert_true(ns == 12500000ull);
	snprintf(text, sizeof(text), SCHED_FMT, 10, "12.5x");
	assert_int_equal(tl_ev_parse_sched(text, strlen(text), &ns), -EINVAL);
	snprintf(text, sizeof(text), SCHED_FMT, 10,
		 "99999999999999999999999.0");
	assert_int_equal(tl_ev_parse_sched(text, strlen(text), &ns), -EINVAL);
	assert_int_equal(tl_ev_parse_sched("nr_switches : 3\n", 16, &ns),
			 -ENOENT);
}

static void test_parse_stat_cpu(void **state)
{
	char text[512], self[1024];
	uint32_t cpu = 0;
	ssize_t n;
	int fd;

	(void)state;
	/* Field 39, after a comm that holds ") (" and a space. */
	snprintf(text, sizeof(text), STAT_FMT, 10, 7);
	assert_int_equal(tl_ev_parse_stat_cpu(text, strlen(text), &cpu), 0);
	assert_int_equal(cpu, 7);
	/* Cut before or inside field 39, or not a number there. */
	assert_int_equal(tl_ev_parse_stat_cpu(text, strlen(text) - 7, &cpu),
			 -EINVAL);
	assert_int_equal(tl_ev_parse_stat_cpu(text, 40, &cpu), -EINVAL);
	snprintf(text, sizeof(text), STAT_FMT, 10, -1);
	assert_int_equal(tl_ev_parse_stat_cpu(text, strlen(text), &cpu),
			 -EINVAL);
	assert_int_equal(tl_ev_parse_stat_cpu("1 (x S", 6, &cpu), -EINVAL);
	/* Our own: a CPU of this machine. */
	fd = open("/proc/thread-self/stat", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, self, sizeof(self));
	close(fd);
	assert_true(n > 0);
	assert_int_equal(tl_ev_parse_stat_cpu(self, (size_t)n, &cpu), 0);
	assert_true(cpu < (uint32_t)CPU_SETSIZE);
}

struct tfds {
	int32_t tfd[4];
	uint32_t ev[4];
	uint64_t ino[4];
	int n;
};

static int on_tfd(int32_t tfd, uint32_t events, uint64_t ino, void *arg)
{
	struct tfds *t = arg;

	t->tfd[t->n] = tfd;
	t->ev[t->n] = events;
	t->ino[t->n] = ino;
	return ++t->n == 4;
}

static void test_parse_epoll(void **state)
{
	static const char info[] =
		"pos:\t0\nflags:\t02000002\nmnt_id:\t17\nino:\t17\n"
		"tfd:        3 events: 80000019 data:                3  pos:0 ino:b801 sdev:9\n"
		"tfd:       12 events: 40000000 data:       7f00000001  pos:0 ino:1 sdev:9\n";
	static const char bad[] = "tfd: 3 events: zz data: 0 ino:1 sdev:9\n";
	struct tfds t = { 0 };

	(void)state;
	assert_int_equal(tl_ev_parse_epoll(info, strlen(info), on_tfd, &t), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.tfd[0], 3);
	assert_true(t.ev[0] == 0x80000019u);
	assert_true(t.ino[0] == 0xb801u);
	assert_int_equal(t.tfd[1], 12);
	assert_true(t.ev[1] == TL_EPOLLONESHOT);
	memset(&t, 0, sizeof(t));
	assert_int_equal(tl_ev_parse_epoll(bad, strlen(bad), on_tfd, &t),
			 -EINVAL);
	assert_int_equal(t.n, 0);
}

static void test_fd_kind(void **state)
{
	uint32_t ino = 0;

	(void)state;
	assert_int_equal(tl_ev_fd_kind("socket:[123]", 12, &ino),
			 TL_FDK_SOCKET);
	assert_int_equal(ino, 123);
	assert_int_equal(tl_ev_fd_kind("pipe:[9]", 8, NULL), TL_FDK_PIPE);
	assert_int_equal(tl_ev_fd_kind("anon_inode:[eventpoll]", 22, NULL),
			 TL_FDK_EPOLL);
	assert_int_equal(tl_ev_fd_kind("anon_inode:[eventfd]", 20, NULL),
			 TL_FDK_EVENTFD);
	assert_int_equal(tl_ev_fd_kind("anon_inode:inotify", 18, NULL),
			 TL_FDK_OTHER);
	assert_int_equal(tl_ev_fd_kind("/dev/null", 9, NULL), TL_FDK_DEVICE);
	assert_int_equal(tl_ev_fd_kind("/var/log/x (deleted)", 20, NULL),
			 TL_FDK_FILE);
	assert_true(tl_ev_round_number(1000));
	assert_true(tl_ev_round_number(512));
	assert_true(tl_ev_round_number(20));
	assert_false(tl_ev_round_number(8));
	assert_false(tl_ev_round_number(37));
}

/* ---- ELF file heads ---- */

/* v as n little- or big-endian bytes at b. */
static void put_num(uint8_t *b, uint64_t v, unsigned n, bool msb)
{
	for (unsigned i = 0; i < n; i++)
		b[msb ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

/*
 * The head of an ELF file (64- or 32-bit, either byte order): a PT_LOAD
 * and a PT_NOTE header; the note segment at 0x100 holds a GNU build ID
 * note, then, with name, a note of that name (namesz bytes) and type.
 * Returns the bytes written.
 */
static size_t elf_head(uint8_t *b, size_t size, bool is64, bool msb,
		       const char *name, uint32_t namesz, uint32_t type)
{
	size_t ph = is64 ? 64 : 52, ent = is64 ? 56 : 32, n = 0x100;
	size_t start = n;

	assert_true(size >= 0x200);
	memset(b, 0, size);
	memcpy(b, "\177ELF", 4);
	b[4] = is64 ? 2 : 1;
	b[5] = msb ? 2 : 1;
	b[6] = 1;
	put_num(b + (is64 ? 32 : 28), ph, is64 ? 8 : 4, msb);
	put_num(b + (is64 ? 54 : 42), ent, 2, msb);
	put_num(b + (is64 ? 56 : 44), 2, 2, msb);
	put_num(b + ph, 1, 4, msb);	  /* PT_LOAD */
	put_num(b + ph + ent, 4, 4, msb); /* PT_NOTE */
	/* The GNU build ID: "GNU\0", 20 bytes of ID, type 3. */
	put_num(b + n, 4, 4, msb);
	put_num(b + n + 4, 20, 4, msb);
	put_num(b + n + 8, 3, 4, msb);
	memcpy(b + n + 12, "GNU", 4);
	n += 12 + 4 + 20;
	if (name) {
		put_num(b + n, namesz, 4, msb);
		put_num(b + n + 4, 8, 4, msb);
		put_num(b + n + 8, type, 4, msb);
		memcpy(b + n + 12, name, namesz);
		n += 12 + ((namesz + 3) & ~3u) + 8;
	}
	put_num(b + ph + ent + (is64 ? 8 : 4), start, is64 ? 8 : 4, msb);
	put_num(b + ph + ent + (is64 ? 32 : 16), n - start, is64 ? 8 : 4, msb);
	put_num(b + ph + ent + (is64 ? 48 : 28), 4, is64 ? 8 : 4, msb);
	return n;
}

static void test_parse_elf_runtime(void **state)
{
	uint8_t b[0x200];
	char self[TL_EV_ELF_HEAD];
	size_t n;
	ssize_t got;
	int fd;

	(void)state;
	/* Go's linker: "Go\0\0", type 4; in every width and byte order. */
	for (int w = 0; w < 4; w++) {
		n = elf_head(b, sizeof(b), w & 1, w & 2, "Go\0\0", 4, 4);
		assert_int_equal(tl_ev_parse_elf_runtime(b, n), TL_RT_GO);
		/* Cut inside the Go note: not read past the end, not Go. */
		assert_int_equal(tl_ev_parse_elf_runtime(b, n - 9),
				 TL_RT_UNKNOWN);
	}
	n = elf_head(b, sizeof(b), true, false, "Go", 3, 4);
	assert_int_equal(tl_ev_parse_elf_runtime(b, n), TL_RT_GO);
	/* Another type of a note named Go, a Gold note, none at all. */
	n = elf_head(b, sizeof(b), true, false, "Go\0\0", 4, 3);
	assert_int_equal(tl_ev_parse_elf_runtime(b, n), TL_RT_UNKNOWN);
	n = elf_head(b, sizeof(b), true, false, "Gold", 4, 4);
	assert_int_equal(tl_ev_parse_elf_runtime(b, n), TL_RT_UNKNOWN);
	n = elf_head(b, sizeof(b), true, false, NULL, 0, 0);
	assert_int_equal(tl_ev_parse_elf_runtime(b, n), TL_RT_UNKNOWN);
	/* A note whose name runs past its segment ends the walk. */
	n = elf_head(b, sizeof(b), true, false, "Go\0\0", 4, 4);
	put_num(b + 0x100, 0xfffffff0u, 4, false);
	assert_int_equal(tl_ev_parse_elf_runtime(b, n), TL_RT_UNKNOWN);
	/* Program headers past the bytes read. */
	n = elf_head(b, sizeof(b), true, false, "Go\0\0", 4, 4);
	put_num(b + 32, UINT64_MAX - 8, 8, false);
	assert_int_equal(tl_ev_parse_elf_runtime(b, n), TL_RT_UNKNOWN);
	/* Not ELF, or too short to tell. */
	assert_int_equal(tl_ev_parse_elf_runtime("#!/bin/sh\n", 10), -EINVAL);
	assert_int_equal(tl_ev_parse_elf_runtime(b, 15), -EINVAL);
	b[4] = 3;
	assert_int_equal(tl_ev_parse_elf_runtime(b, n), -EINVAL);
	/* This test program is C. */
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	got = read(fd, self, sizeof(self));
	close(fd);
	assert_true(got > 64);
	assert_int_equal(tl_ev_parse_elf_runtime(self, (size_t)got),
			 TL_RT_UNKNOWN);
}

/* ---- fake /proc trees ---- */

#define PID 4711
#define LINO 0xb801u

/* A snapshot: the listener on :8080 held by PID as fd 3, then conns. */
struct world {
	struct tl_sock socks[64];
	struct tl_proc procs[1];
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
/* recvfrom(fd, ...), fd in hex as the kernel writes it */
#define RECV_FD(fd) "45 " fd " 0x7f00 0x2000 0x0 0x0 0x0 0x1 0x2"

/*
 * A process of one thread waiting in epoll fd 4, which watches the
 * listener with events (or not, with NULL), holding held connections.
 */
static void world_waiter(struct world *w, unsigned held, int held_state,
			 const char *events)
{
	world_init(w, held, held_state);
	world_proc(w, "S (sleeping)", 0, 1);
	world_thread(w, PID, "S (sleeping)", EPOLL_FD4, "do_epoll_wait",
		     "4990.0");
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
	assert_non_null(strstr(v.text, "blocked in I/O on fd 8, which is "
				       "none of its clients' connections"));
	assert_non_null(strstr(v.text, "none of them has run for 4 s"));
	assert_non_null(strstr(v.remedy, "/proc/PID/fd/FD"));
	/* Its remedy says when it applies: given even when only possible. */
	assert_true(tl_ev_remedy_conditional(v.cause));
	assert_true(strncmp(v.remedy, "If ", 3) == 0);

	/* In recv on one of them (fd 10): it is reading, nothing to say. */
	world_init(&w, 2, TL_CLOSE_WAIT);
	world_proc(&w, "S (sleeping)", 0, 1);
	world_thread(&w, PID, "S (sleeping)", RECV_FD("0xa"), "wait_woken",
		     "1000.0");
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
	world_init(&w, 1, TL_ESTABLISHED);
	world_proc(&w, "S (sleeping)", 0, 1);
	world_thread(&w, PID, "S (sleeping)", POLL1, "do_sys_poll", "4990.0");
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

	/* A php-fpm worker whose request sleeps: possible, like poll. */
	world_init(&w, 1, TL_ESTABLISHED);
	world_proc(&w, "S (sleeping)", 0, 1);
	world_thread(&w, PID, "S (sleeping)",
		     "230 0x1 0x0 0x7ffd 0x0 0x0 0x0 0x1 0x2",
		     "hrtimer_nanosleep", "4990.0");
	world_epoll(&w, "19");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_LIMIT);
	assert_int_equal(v.certainty, TL_CERT_POSSIBLE);
	assert_non_null(strstr(v.text, "pm.max_children"));

	/* gunicorn's sync workers: in recv on the client it holds (fd 10),
	 * the listener in no epoll set (they select() on it when idle). */
	world_init(&w, 1, TL_ESTABLISHED);
	world_proc(&w, "S (sleeping)", 0, 1);
	world_thread(&w, PID, "S (sleeping)", RECV_FD("0xa"), "wait_woken",
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
	world_init(&w, 1, TL_ESTABLISHED);
	world_proc(&w, "S (sleeping)", 0, 1);
	world_thread(&w, PID, "S (sleeping)", RECV_FD("0x8"), "wait_woken",
		     "1000.0");
	world_epoll(&w, "19");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_true(ev.on_held == 0);
	assert_int_equal(v.cause, TL_CAUSE_BLOCKED);
	assert_non_null(strstr(v.text, "fd 8, which is none of its clients' "
				       "connections"));
	world_init(&w, 1, TL_ESTABLISHED);
	world_proc(&w, "S (sleeping)", 0, 1);
	world_thread(&w, PID, "S (sleeping)", RECV_FD("0x8"), "wait_woken",
		     "4990.0");
	world_epoll(&w, "19");
	conclude(&w, TL_FIND_NOT_ACCEPTING, &ev, &v);
	assert_int_equal(v.cause, TL_CAUSE_NOT_WAITED);
	/* Holding none, or with a thread elsewhere: not waited, as before. */
	world_init(&w, 0, 0);
	world_proc(&w, "S (sleeping)", 0, 1);
	world_thread(&w, PID, "S (sleeping)", POLL1, "do_sys_poll", "4990.0");
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
	world_init(&w, 0, 0);
	world_proc(&w, "S (sleeping)", 0, 1);
	world_thread(&w, PID, "S (sleeping)",
		     "230 0x0 0x0 0x7ffd 0x0 0x0 0x0 0x1 0x2",
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
	world_init(&w, 0, 0);
	world_proc(&w, "S (sleeping)", 0, 1);
	world_thread(&w, PID, "S (sleeping)",
		     "288 0x3 0x0 0x0 0x80800 0x0 0x0 0x1 0x2",
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
		cmocka_unit_test(test_parse_status),
		cmocka_unit_test(test_parse_syscall),
		cmocka_unit_test(test_parse_sched),
		cmocka_unit_test(test_parse_epoll),
		cmocka_unit_test(test_fd_kind),
		cmocka_unit_test(test_parse_stat_cpu),
		cmocka_unit_test(test_parse_elf_runtime),
		cmocka_unit_test(test_stopped),
		cmocka_unit_test(test_epoll_causes),
		cmocka_unit_test(test_go_accept),
		cmocka_unit_test(test_leak_blocked),
		cmocka_unit_test(test_limit_and_unwatched),
		cmocka_unit_test(test_fds_and_gone),
		cmocka_unit_test(test_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
