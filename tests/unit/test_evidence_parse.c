// SPDX-License-Identifier: MIT
/*
 * Tests for the evidence parsers (lib/evidence_parse.c) on real and
 * hostile text: status, a task's syscall, sched, a task's stat, an epoll
 * fd's fdinfo, fd link targets, and the head of a program's ELF file.
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

static void test_parse_syscall_args(void **state)
{
	static const char sel[] =
		"270 0x6 0x7ffc10 0x0 0x7ffc20 0x7ffc30 0x0 0x7ffc00 0x7f01\n";
	static const char pol[] = "7 0x5617a0 0x3 0x3e8 0x8 0x0 0x0 0x1 0x2";
	uint64_t args[6] = { 0 }, addr;
	size_t len;
	bool cut, select;

	(void)state;
	assert_int_equal(tl_ev_parse_syscall_args(sel, strlen(sel), args), 0);
	assert_true(args[0] == 6 && args[1] == 0x7ffc10 && args[3] == 0x7ffc20);
	/* pselect6: nfds 6 is one byte of readfds at arg 2. */
	assert_int_equal(tl_ev_pollset_where(TL_EV_ARCH_X86_64, 270, args,
					     &addr, &len, &cut, &select),
			 0);
	assert_true(addr == 0x7ffc10 && len == 1 && !cut && select);
	/* On arm64, 270 is no poll: nothing to read. */
	assert_int_equal(tl_ev_pollset_where(TL_EV_ARCH_ARM64, 270, args, &addr,
					     &len, &cut, &select),
			 -ENOENT);
	assert_int_equal(tl_ev_parse_syscall_args(pol, strlen(pol), args), 0);
	assert_int_equal(tl_ev_pollset_where(TL_EV_ARCH_X86_64, 7, args, &addr,
					     &len, &cut, &select),
			 0);
	assert_true(addr == 0x5617a0 && len == 24 && !cut && !select);
	/* A select() without readfds waits on no input. */
	args[1] = 0;
	assert_int_equal(tl_ev_pollset_where(TL_EV_ARCH_X86_64, 23, args, &addr,
					     &len, &cut, &select),
			 -ENOENT);
	/* A set longer than we read is cut; a negative nfds is no set. */
	args[0] = 0x1000;
	args[1] = 100000;
	assert_int_equal(tl_ev_pollset_where(TL_EV_ARCH_X86_64, 7, args, &addr,
					     &len, &cut, &select),
			 0);
	assert_true(cut && len == TL_EV_POLLSET_MAX);
	args[1] = UINT64_MAX;
	assert_int_equal(tl_ev_pollset_where(TL_EV_ARCH_X86_64, 7, args, &addr,
					     &len, &cut, &select),
			 -EINVAL);
	args[0] = UINT64_MAX;
	assert_int_equal(tl_ev_pollset_where(TL_EV_ARCH_X86_64, 23, args, &addr,
					     &len, &cut, &select),
			 -EINVAL);
	/* Not the syscall line of a thread in a call. */
	assert_int_equal(tl_ev_parse_syscall_args("running\n", 8, args),
			 -EINVAL);
	assert_int_equal(tl_ev_parse_syscall_args("-1 0x7ffd 0x7f00\n", 17,
						  args),
			 -EINVAL);
	assert_int_equal(tl_ev_parse_syscall_args("7 0x1 0x2 0x3", 13, args),
			 -EINVAL);
	assert_int_equal(tl_ev_parse_syscall_args(
				 "7 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8 0x9", 37,
				 args),
			 -EINVAL);
}

static void test_pollset_scan(void **state)
{
	/* fds 3 and 5 of readfds: bits 3 and 5 of the first byte. */
	static const uint8_t bits[2] = { 0x28, 0x01 };
	/* struct pollfd: fd 4 POLLOUT, fd 7 POLLIN, fd -1, fd 9 POLLRDNORM */
	static const int32_t fds[4] = { 4, 7, -1, 9 };
	static const int16_t evs[4] = { 0x004, 0x001, 0x001, 0x040 };
	uint8_t pfds[32];
	const int32_t want5[] = { 5 }, want4[] = { 4 }, want9[] = { 2, 9 };
	uint32_t inputs = 0;

	(void)state;
	for (int i = 0; i < 4; i++) {
		memcpy(pfds + 8 * i, &fds[i], 4);
		memcpy(pfds + 8 * i + 4, &evs[i], 2);
		memset(pfds + 8 * i + 6, 0, 2);
	}
	assert_int_equal(
		tl_ev_pollset_scan(bits, 2, 0, true, want5, 1, &inputs), 5);
	assert_int_equal(inputs, 3);
	/* Bits at a byte offset of 8: fds 64 and up. */
	inputs = 0;
	assert_int_equal(
		tl_ev_pollset_scan(bits, 2, 8, true, want5, 1, &inputs), -1);
	assert_int_equal(inputs, 3);
	/* poll: fd 4 asks for output only, fd -1 is skipped. */
	inputs = 0;
	assert_int_equal(tl_ev_pollset_scan(pfds, sizeof(pfds), 0, false, want4,
					    1, &inputs),
			 -1);
	assert_int_equal(inputs, 2);
	inputs = 0;
	assert_int_equal(tl_ev_pollset_scan(pfds, sizeof(pfds), 0, false, want9,
					    2, &inputs),
			 9);
	/* A partial struct at the end is not read. */
	inputs = 0;
	assert_int_equal(
		tl_ev_pollset_scan(pfds, 12, 0, false, want9, 2, &inputs), -1);
	assert_int_equal(inputs, 0);
	assert_int_equal(
		tl_ev_pollset_scan(bits, 2, 3, true, want5, 1, &inputs), -1);
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

/* The first of schedstat's three numbers, nothing else. */
static void test_parse_schedstat(void **state)
{
	uint64_t ns = 7, wait = 7;

	(void)state;
	assert_int_equal(tl_ev_parse_schedstat("27982076644 2070600570 1077\n",
					       28, &ns, NULL),
			 0);
	assert_true(ns == 27982076644ull);
	assert_int_equal(tl_ev_parse_schedstat("27982076644 2070600570 1077\n",
					       28, &ns, &wait),
			 0);
	assert_true(ns == 27982076644ull && wait == 2070600570ull);
	ns = wait = 7;
	assert_int_equal(tl_ev_parse_schedstat("", 0, &ns, NULL), -EINVAL);
	assert_int_equal(tl_ev_parse_schedstat("12", 2, &ns, NULL), -EINVAL);
	assert_int_equal(tl_ev_parse_schedstat("-12 3 4\n", 8, &ns, NULL),
			 -EINVAL);
	assert_int_equal(tl_ev_parse_schedstat("99999999999999999999 1 1\n", 25,
					       &ns, NULL),
			 -EINVAL);
	assert_int_equal(tl_ev_parse_schedstat(NULL, 0, &ns, NULL), -EINVAL);
	/* The wait asked for but missing or malformed: nothing set. */
	assert_int_equal(tl_ev_parse_schedstat("12 ", 3, &ns, &wait), -EINVAL);
	assert_int_equal(tl_ev_parse_schedstat("12 x 3\n", 7, &ns, &wait),
			 -EINVAL);
	assert_true(ns == 7 && wait == 7);
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

/* utime and stime (fields 14 and 15), after a comm with ") (" in it. */
static void test_parse_stat_times(void **state)
{
	static const char text[] =
		"9 (a) (b c) R 1 1 1 0 -1 4194560 0 0 0 0 412 17 0 0 20 0\n";
	uint64_t u = 0, s = 0;

	(void)state;
	assert_int_equal(tl_ev_parse_stat_times(text, strlen(text), &u, &s), 0);
	assert_true(u == 412 && s == 17);
	/* Cut inside stime, or before it. */
	assert_int_equal(tl_ev_parse_stat_times(text, strlen(text) - 17, &u,
						&s),
			 -EINVAL);
	assert_int_equal(tl_ev_parse_stat_times(text, 30, &u, &s), -EINVAL);
	assert_int_equal(tl_ev_parse_stat_times("1 (x) R 1 2 3 4 5 6 7 8 9 "
						"10 x 12\n",
						33, &u, &s),
			 -EINVAL);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_status),
		cmocka_unit_test(test_parse_syscall),
		cmocka_unit_test(test_parse_syscall_args),
		cmocka_unit_test(test_pollset_scan),
		cmocka_unit_test(test_parse_sched),
		cmocka_unit_test(test_parse_epoll),
		cmocka_unit_test(test_fd_kind),
		cmocka_unit_test(test_parse_schedstat),
		cmocka_unit_test(test_parse_stat_cpu),
		cmocka_unit_test(test_parse_stat_times),
		cmocka_unit_test(test_parse_elf_runtime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
