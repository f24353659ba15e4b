// SPDX-License-Identifier: MIT
/*
 * Tests for lib/owners.c: a scan of a fake /proc tree built in a
 * temporary directory, and a scan of the real /proc that must find a
 * socket this test opens. The /proc text parsers are in
 * test_owners_parse.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "owners_impl.h"
#include "tcplimbo/owners.h"

#include "test_owners.h"

static void write_file(const char *dir, const char *rel, const char *text,
		       size_t len)
{
	char path[PATH_MAX];
	int fd;

	assert_true(snprintf(path, sizeof(path), "%s/%s", dir, rel) <
		    (int)sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void write_str(const char *dir, const char *rel, const char *text)
{
	write_file(dir, rel, text, strlen(text));
}

static void make_dir(const char *dir, const char *rel)
{
	char path[PATH_MAX];

	assert_true(snprintf(path, sizeof(path), "%s/%s", dir, rel) <
		    (int)sizeof(path));
	assert_int_equal(mkdir(path, 0755), 0);
}

static void make_link(const char *dir, const char *rel, const char *target)
{
	char path[PATH_MAX];

	assert_true(snprintf(path, sizeof(path), "%s/%s", dir, rel) <
		    (int)sizeof(path));
	assert_int_equal(symlink(target, path), 0);
}

static void remove_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];

	/* The tree is ours, under a mkdtemp name without quotes. */
	assert_true(snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir) <
		    (int)sizeof(cmd));
	assert_int_equal(system(cmd), 0);
}

/* Inodes spread over all four bytes (odd, so never 0). */
static uint32_t spread_inode(int i)
{
	return ((uint32_t)i * 2654435761U) | 1;
}

/*
 * Builds the fake /proc tree described in the comments below; returns its
 * path in dir (64 bytes).
 */
static void build_tree(char dir[64])
{
	snprintf(dir, 64, "%s", "/tmp/tl-owners-XXXXXX");
	assert_non_null(mkdtemp(dir));
	/* Readable by the unprivileged child of the EACCES test. */
	assert_int_equal(chmod(dir, 0755), 0);

	/* Non-numeric and out-of-range entries are not processes. */
	make_link(dir, "self", "100");
	make_dir(dir, "sys");
	make_dir(dir, "sys/fd");
	make_link(dir, "sys/fd/3", "socket:[777]");
	make_dir(dir, "99999999999");
	write_str(dir, "99999999999/stat", STAT_100);
	make_dir(dir, "99999999999/fd");
	make_link(dir, "99999999999/fd/3", "socket:[778]");
	make_dir(dir, "0100");
	make_dir(dir, "0100/fd");
	make_link(dir, "0100/fd/3", "socket:[779]");
	write_str(dir, "42", "a regular file named like a pid\n");

	/* 100: comm with spaces and ')', a mix of fd kinds. */
	make_dir(dir, "100");
	write_str(dir, "100/stat", STAT_100);
	write_str(dir, "100/limits",
		  LIMITS_HEAD "Max open files            1024                 "
			      "524288               files     \n" LIMITS_TAIL);
	write_file(dir, "100/cmdline", "a\0b c\0\0", 7);
	make_dir(dir, "100/fd");
	make_link(dir, "100/fd/0", "/dev/null");
	make_link(dir, "100/fd/1", "pipe:[9]");
	make_link(dir, "100/fd/3", "socket:[123]");
	make_link(dir, "100/fd/4", "socket:[456]");
	make_link(dir, "100/fd/5", "socket:[4294967296]");
	make_link(dir, "100/fd/6", "socket:[4294967295]");
	make_link(dir, "100/fd/7", "socket:[]");
	make_link(dir, "100/fd/not-an-fd", "socket:[780]");

	/* 200: shares socket 123 with 100 (as after fork), unlimited. */
	make_dir(dir, "200");
	write_str(dir, "200/stat", STAT_200);
	write_str(dir, "200/limits",
		  LIMITS_HEAD "Max open files            unlimited            "
			      "unlimited            files     \n");
	make_dir(dir, "200/fd");
	make_link(dir, "200/fd/7", "socket:[123]");
	make_link(dir, "200/fd/8", "socket:[789]");
	/* Only the top byte sets it apart from the small inodes. */
	make_link(dir, "200/fd/9", "socket:[16777216]");

	/* 300: no fd directory, as when the process exits mid-scan. */
	make_dir(dir, "300");
	write_str(dir, "300/stat",
		  "300 (gone) Z 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 "
		  "20 0 1 0 5 0 0\n");

	/* 400: "fd" is a regular file: opening it fails with ENOTDIR, the
	 * class of errors that are neither "vanished" nor "denied". */
	make_dir(dir, "400");
	write_str(dir, "400/stat",
		  "400 (notdir) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 "
		  "0 20 0 1 0 6 0 0\n");
	write_str(dir, "400/limits",
		  "Max open files            10                   20\n");
	write_str(dir, "400/fd", "not a directory\n");

	/* 500: malformed stat and limits without the line: kept, blank. */
	make_dir(dir, "500");
	write_str(dir, "500/stat", "500 (noclose S 1 1");
	write_str(dir, "500/limits", LIMITS_HEAD);
	make_dir(dir, "500/fd");
	make_link(dir, "500/fd/0", "socket:[12");
	/* Inodes that differ in every byte, for the sort. */
	for (int i = 1; i <= 40; i++) {
		char rel[32], target[32];

		snprintf(rel, sizeof(rel), "500/fd/%d", i);
		snprintf(target, sizeof(target), "socket:[%u]",
			 spread_inode(i));
		make_link(dir, rel, target);
	}

	/* 600: no stat at all (vanished before we looked): skipped, even
	 * though its fds are there. */
	make_dir(dir, "600");
	make_dir(dir, "600/fd");
	make_link(dir, "600/fd/3", "socket:[999]");

	/* 700: no limits file, as when the process exits after its fds were
	 * read: with TL_OWNERS_LIMITS it is dropped together with its refs. */
	make_dir(dir, "700");
	write_str(dir, "700/stat",
		  "700 (late) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 "
		  "0 20 0 1 0 6 0 0\n");
	make_dir(dir, "700/fd");
	make_link(dir, "700/fd/3", "socket:[701]");
}

static const struct tl_proc *proc_of(const struct tl_owners *o,
				     const struct tl_fdref *r)
{
	assert_true(r->proc < o->n_procs);
	return &o->procs[r->proc];
}

static void test_scan_fake(void **state)
{
	char dir[64];
	struct tl_owners *o = NULL;
	const struct tl_fdref *r;
	const struct tl_proc *p;
	char cmd[64];
	(void)state;

	build_tree(dir);
	if (geteuid() == 0) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/200/fd", dir);
		assert_int_equal(chown(path, 1234, 1234), 0);
	}

	assert_int_equal(
		tl_owners_scan(dir, TL_OWNERS_LIMITS | TL_OWNERS_STAT, &o), 0);
	assert_non_null(o);

	/* Kept: 100, 200, 400, 500; skipped: 300, 600, 700 and the
	 * non-pids. */
	assert_int_equal(o->n_procs, 4);
	assert_int_equal(o->procs[0].pid, 100);
	assert_int_equal(o->procs[1].pid, 200);
	assert_int_equal(o->procs[2].pid, 400);
	assert_int_equal(o->procs[3].pid, 500);
	assert_int_equal(o->n_denied, 0);
	assert_null(tl_owners_proc(o, 300));
	assert_null(tl_owners_proc(o, 600));
	assert_null(tl_owners_proc(o, 700));
	assert_null(tl_owners_proc(o, 42));
	assert_null(tl_owners_proc(o, 0));

	p = tl_owners_proc(o, 100);
	assert_non_null(p);
	assert_string_equal(p->comm, "(a) b)");
	assert_int_equal(p->nfds, 7);
	assert_int_equal(p->nofile, 1024);
	assert_int_equal(p->nofile_hard, 524288);
	assert_int_equal(p->start_ticks, 12345);
	assert_int_equal(p->cpu_ticks, 10);
	assert_int_equal(p->ppid, 1);
	assert_int_equal(p->fd_error, 0);
	assert_int_equal(p->uid, geteuid());

	p = tl_owners_proc(o, 200);
	assert_non_null(p);
	assert_string_equal(p->comm, "srv x");
	assert_int_equal(p->nfds, 3);
	assert_true(p->nofile == UINT64_MAX);
	assert_true(p->nofile_hard == UINT64_MAX);
	assert_int_equal(p->start_ticks, 999);
	assert_int_equal(p->cpu_ticks, 150);
	assert_int_equal(p->ppid, 100);
	if (geteuid() == 0)
		assert_int_equal(p->uid, 1234);

	p = tl_owners_proc(o, 400);
	assert_non_null(p);
	assert_string_equal(p->comm, "notdir");
	assert_int_equal(p->fd_error, -ENOTDIR);
	assert_int_equal(p->nfds, 0);
	assert_int_equal(p->nofile, 10);
	assert_int_equal(p->nofile_hard, 20);

	p = tl_owners_proc(o, 500);
	assert_non_null(p);
	assert_string_equal(p->comm, "");
	assert_int_equal(p->start_ticks, 0);
	assert_int_equal(p->nfds, 41);
	assert_int_equal(p->nofile, 0);
	assert_int_equal(p->fd_error, 0);

	/* Refs: 123 (x2), 456, 789, 16777216, 4294967295 and 500's 40;
	 * sorted by inode. */
	assert_int_equal(o->n_refs, 46);
	for (size_t i = 1; i < o->n_refs; i++)
		assert_true(o->refs[i - 1].inode <= o->refs[i].inode);
	for (int i = 1; i <= 40; i++) {
		assert_int_equal(tl_owners_find(o, spread_inode(i), &r), 1);
		assert_int_equal(proc_of(o, r)->pid, 500);
		assert_int_equal(r->fd, i);
	}
	assert_int_equal(tl_owners_find(o, 16777216, &r), 1);
	assert_int_equal(r->fd, 9);

	assert_int_equal(tl_owners_find(o, 123, &r), 2);
	assert_non_null(r);
	assert_int_equal(r[0].inode, 123);
	assert_int_equal(r[1].inode, 123);
	/* Stable sort: scan order, and the scan goes by pid. */
	assert_int_equal(proc_of(o, &r[0])->pid, 100);
	assert_int_equal(r[0].fd, 3);
	assert_int_equal(proc_of(o, &r[1])->pid, 200);
	assert_int_equal(r[1].fd, 7);

	assert_int_equal(tl_owners_find(o, 456, &r), 1);
	assert_int_equal(proc_of(o, r)->pid, 100);
	assert_int_equal(r->fd, 4);
	assert_int_equal(tl_owners_find(o, 789, &r), 1);
	assert_int_equal(proc_of(o, r)->pid, 200);
	assert_int_equal(r->fd, 8);
	assert_int_equal(tl_owners_find(o, UINT32_MAX, &r), 1);
	assert_int_equal(r->fd, 6);

	/* Absent: below, between and above the present ones, and the
	 * sockets of entries that are not (or no longer) processes. */
	static const uint32_t absent[] = { 0,	1,   122, 124, 457, 790, 777,
					   778, 779, 780, 999, 12,  701 };
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		r = (const void *)1;
		assert_int_equal(tl_owners_find(o, absent[i], &r), 0);
		assert_null(r);
	}
	assert_int_equal(tl_owners_find(o, 123, NULL), 2);

	/* Without flags: no limits, but comm still comes from stat. */
	tl_owners_free(o);
	o = NULL;
	assert_int_equal(tl_owners_scan(dir, 0, &o), 0);
	p = tl_owners_proc(o, 100);
	assert_non_null(p);
	assert_string_equal(p->comm, "(a) b)");
	assert_int_equal(p->nofile, 0);
	/* 700's limits are not read, so it is kept. */
	assert_int_equal(o->n_procs, 5);
	assert_non_null(tl_owners_proc(o, 700));
	assert_int_equal(o->n_refs, 47);
	assert_int_equal(tl_owners_find(o, 701, &r), 1);
	assert_int_equal(r->fd, 3);

	/* cmdline: NULs become spaces, the trailing ones go. */
	assert_int_equal(tl_proc_read_cmdline(dir, 100, cmd, sizeof(cmd)), 5);
	assert_string_equal(cmd, "a b c");
	assert_int_equal(tl_proc_read_cmdline(dir, 100, cmd, 3), 1);
	assert_string_equal(cmd, "a");
	assert_int_equal(tl_proc_read_cmdline(dir, 200, cmd, sizeof(cmd)),
			 -ENOENT);
	assert_string_equal(cmd, "");
	assert_int_equal(tl_proc_read_cmdline(dir, 0, cmd, sizeof(cmd)),
			 -EINVAL);
	assert_int_equal(tl_proc_read_cmdline(dir, 100, cmd, 0), -EINVAL);
	/* NULL is /proc, as everywhere in the API. */
	assert_true(tl_proc_read_cmdline(NULL, getpid(), cmd, sizeof(cmd)) > 0);

	tl_owners_free(o);
	tl_owners_free(NULL);
	remove_tree(dir);
}

/*
 * A zombie leader (State Z, PF_EXITING) whose other threads live on: its
 * own fd directory lists nothing, the live thread's holds the table, and
 * its command line is theirs too. One with no other thread has closed
 * its fds: nothing, and nothing denied.
 */
static void test_scan_main_exited(void **state)
{
	char dir[64], cmd[64];
	struct tl_owners *o = NULL;
	const struct tl_proc *p;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", "/tmp/tl-owners-XXXXXX");
	assert_non_null(mkdtemp(dir));
	make_dir(dir, "800");
	write_str(dir, "800/stat",
		  "800 (srv) Z 1 800 800 0 -1 4 0 0 0 0 1 1 0 "
		  "0 20 0 2 0 6 0 0\n");
	write_str(dir, "800/cmdline", "");
	make_dir(dir, "800/fd");
	make_dir(dir, "800/task");
	make_dir(dir, "800/task/800");
	make_dir(dir, "800/task/800/fd");
	make_dir(dir, "800/task/801");
	make_dir(dir, "800/task/801/fd");
	make_link(dir, "800/task/801/fd/0", "/dev/null");
	make_link(dir, "800/task/801/fd/3", "socket:[8003]");
	write_file(dir, "800/task/801/cmdline",
		   "srv\0--port\0"
		   "80",
		   14);
	make_dir(dir, "900");
	write_str(dir, "900/stat",
		  "900 (dead) Z 1 900 900 0 -1 4 0 0 0 0 1 1 0 "
		  "0 20 0 1 0 6 0 0\n");
	write_str(dir, "900/cmdline", "");
	make_dir(dir, "900/fd");
	make_dir(dir, "900/task");
	make_dir(dir, "900/task/900");

	assert_int_equal(tl_owners_scan(dir, TL_OWNERS_STAT, &o), 0);
	assert_int_equal(o->n_procs, 2);
	p = tl_owners_proc(o, 800);
	assert_non_null(p);
	assert_int_equal(p->nfds, 2);
	assert_int_equal(p->fd_error, 0);
	assert_int_equal(o->n_refs, 1);
	assert_int_equal(o->refs[0].inode, 8003);
	assert_int_equal(o->refs[0].fd, 3);
	assert_int_equal(proc_of(o, &o->refs[0])->pid, 800);
	p = tl_owners_proc(o, 900);
	assert_non_null(p);
	assert_int_equal(p->nfds, 0);
	assert_int_equal(o->n_denied, 0);
	assert_int_equal(tl_proc_read_cmdline(dir, 800, cmd, sizeof(cmd)), 13);
	assert_string_equal(cmd, "srv --port 80");
	assert_int_equal(tl_proc_read_cmdline(dir, 900, cmd, sizeof(cmd)), 0);
	tl_owners_free(o);
	remove_tree(dir);
}

/*
 * EACCES on an fd directory, honestly: the directory is root's with mode
 * 0700 and the scan runs in a child that has dropped to nobody. (Root
 * would read it regardless.) Without root, the chmod alone denies us.
 */
static void test_scan_denied(void **state)
{
	char dir[64], path[PATH_MAX];
	int status;
	pid_t child;
	(void)state;

	build_tree(dir);
	snprintf(path, sizeof(path), "%s/200/fd", dir);
	/*
	 * Root drops to nobody below, whom 0700 keeps out; a user who is not
	 * root is kept out of its own directory by 0000.
	 */
	assert_int_equal(chmod(path, geteuid() == 0 ? 0700 : 0000), 0);

	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct tl_owners *o = NULL;
		const struct tl_proc *p;
		const struct tl_fdref *r;

		if (geteuid() == 0 && (setgroups(0, NULL) < 0 ||
				       setgid(65534) < 0 || setuid(65534) < 0))
			_exit(10);
		if (tl_owners_scan(dir, TL_OWNERS_LIMITS, &o) < 0)
			_exit(11);
		p = tl_owners_proc(o, 200);
		if (o->n_denied != 1 || o->n_procs != 4 || o->n_refs != 43)
			_exit(12);
		if (!p || p->fd_error != -EACCES || p->nfds != 0)
			_exit(13);
		/* The process is kept with what we could read. */
		if (strcmp(p->comm, "srv x") != 0 || p->nofile != UINT64_MAX)
			_exit(14);
		/* 123 is still found through 100; 789 is not found. */
		if (tl_owners_find(o, 123, &r) != 1 || r->fd != 3 ||
		    tl_owners_find(o, 789, &r) != 0)
			_exit(15);
		tl_owners_free(o);
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(chmod(path, 0700), 0);
	remove_tree(dir);
}

static void test_scan_errors(void **state)
{
	struct tl_owners *o = (void *)1;
	char dir[64];
	(void)state;

	assert_int_equal(tl_owners_scan("/nonexistent-tl-proc", 0, &o),
			 -ENOENT);
	assert_ptr_equal(o, (void *)1);
	assert_int_equal(tl_owners_scan("/dev/null", 0, &o), -ENOTDIR);
	assert_int_equal(tl_owners_scan(NULL, 0, &o), -EINVAL);

	/* An empty tree is a valid, empty result. */
	snprintf(dir, sizeof(dir), "%s", "/tmp/tl-owners-XXXXXX");
	assert_non_null(mkdtemp(dir));
	o = NULL;
	assert_int_equal(tl_owners_scan(dir, 0, &o), 0);
	assert_int_equal(o->n_procs, 0);
	assert_int_equal(o->n_refs, 0);
	assert_int_equal(tl_owners_find(o, 1, NULL), 0);
	assert_null(tl_owners_proc(o, 1));
	tl_owners_free(o);
	assert_int_equal(rmdir(dir), 0);
}

/* A small deterministic generator, so a failure repeats. */
static uint32_t rnd(uint64_t *x)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*x >> 32);
}

/* The binary search tl_owners_find does without an index. */
static size_t find_plain(struct tl_owners *o, uint32_t inode,
			 const struct tl_fdref **first)
{
	struct tl_owners_index *ix = o->index;
	size_t n;

	o->index = NULL;
	n = tl_owners_find(o, inode, first);
	o->index = ix;
	return n;
}

/* An inode of layout for the i-th ref (see test_find_index). */
static uint32_t layout_inode(int layout, size_t i, size_t n, uint64_t *seed)
{
	uint32_t v = rnd(seed);

	switch (layout) {
	case 0: /* dense */
		return 1000000 + v % (uint32_t)(3 * n);
	case 1: /* the whole range */
		return v ? v : 1;
	case 2: /* bunched, with outliers at both ends */
		if (i % 97 == 0)
			return i % 2 ? UINT32_MAX : 1;
		return 5000 + v % 64;
	case 3: /* many fds on few sockets */
		return 77 + v % 3;
	default: /* runs of sockets, far apart */
		return (v % 8) * 400000000u + v % 1000 + 1;
	}
}

/* Both searches agree on inode k. */
static void same_find(struct tl_owners *o, uint32_t k)
{
	const struct tl_fdref *a, *b;

	assert_int_equal(tl_owners_find(o, k, &a), find_plain(o, k, &b));
	assert_ptr_equal(a, b);
}

/*
 * The lookup index against the plain search, on inode layouts a machine
 * can show: dense, sparse over the whole 32-bit range, bunched (most refs
 * within a few inodes, a few far away), many refs to one inode, runs far
 * apart. Every present inode, its neighbours and random ones must give
 * the same refs both ways; the index stays within 2 bytes a ref.
 */
static void test_find_index(void **state)
{
	static const size_t sizes[] = { 1, 2, 3, 7, 100, 4096, 50001 };
	uint64_t seed = 42;
	(void)state;

	for (int layout = 0; layout < 5; layout++) {
		for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]);
		     si++) {
			size_t n = sizes[si];
			struct tl_owners *o = calloc(1, sizeof(*o));

			assert_non_null(o);
			o->procs = calloc(1, sizeof(*o->procs));
			o->refs = calloc(n, sizeof(*o->refs));
			assert_non_null(o->procs);
			assert_non_null(o->refs);
			o->n_procs = 1;
			o->n_refs = n;
			for (size_t i = 0; i < n; i++)
				o->refs[i] = (struct tl_fdref){
					.inode = layout_inode(layout, i, n,
							      &seed),
					.fd = (int32_t)i,
				};
			assert_int_equal(tli_owners_sort(o), 0);
			assert_non_null(o->index);
			assert_true(o->index->n <= n / 2 + 1);
			for (size_t i = 0; i < n; i++) {
				same_find(o, o->refs[i].inode - 1);
				same_find(o, o->refs[i].inode);
				same_find(o, o->refs[i].inode + 1);
			}
			for (int i = 0; i < 20000; i++) {
				uint32_t k = rnd(&seed);

				same_find(o,
					  i % 2 ? o->refs[0].inode + k % 4096 :
						  k);
			}
			tl_owners_free(o);
		}
	}
}

/* The real /proc must show a socket we hold, with our pid and fd. */
static void test_scan_real(void **state)
{
	struct tl_owners *o = NULL;
	const struct tl_fdref *r;
	const struct tl_proc *p;
	char name[17] = { 0 }, cmd[256];
	struct rlimit rl;
	struct stat st;
	size_t n, mine = 0;
	int sk, sk2;
	(void)state;

	sk = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(sk >= 0);
	/* A second fd on the same socket: two refs, one process. */
	sk2 = dup(sk);
	assert_true(sk2 >= 0);
	assert_int_equal(fstat(sk, &st), 0);
	assert_true(st.st_ino > 0 && st.st_ino <= UINT32_MAX);

	assert_int_equal(tl_owners_scan("/proc",
					TL_OWNERS_LIMITS | TL_OWNERS_STAT, &o),
			 0);
	n = tl_owners_find(o, (uint32_t)st.st_ino, &r);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(r[i].inode, (uint32_t)st.st_ino);
		if (proc_of(o, &r[i])->pid == getpid() &&
		    (r[i].fd == sk || r[i].fd == sk2))
			mine++;
	}
	assert_int_equal(mine, 2);

	p = tl_owners_proc(o, getpid());
	assert_non_null(p);
	assert_int_equal(prctl(PR_GET_NAME, name), 0);
	assert_string_equal(p->comm, name);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur == RLIM_INFINITY)
		assert_true(p->nofile == UINT64_MAX);
	else
		assert_int_equal(p->nofile, rl.rlim_cur);
	assert_true(p->nfds >= 5); /* stdio, the two socket fds */
	assert_int_equal(p->fd_error, 0);
	assert_int_equal(p->uid, geteuid());
	assert_true(p->start_ticks > 0);
	assert_non_null(tl_owners_proc(o, 1));
	for (size_t i = 1; i < o->n_procs; i++)
		assert_true(o->procs[i - 1].pid < o->procs[i].pid);

	assert_true(tl_proc_read_cmdline("/proc", getpid(), cmd, sizeof(cmd)) >
		    0);
	assert_non_null(strstr(cmd, "test-owners"));

	tl_owners_free(o);
	close(sk2);
	close(sk);
}

struct held_thread {
	int wake[2]; /* the thread's id comes on [0]; it goes when [1] closes */
	int done[2];
};

/* Says its id, and lives until told to go. */
static void *held_thread(void *arg)
{
	struct held_thread *h = arg;
	pid_t tid = (pid_t)syscall(SYS_gettid);
	char c;

	if (write(h->wake[1], &tid, sizeof(tid)) != sizeof(tid))
		return NULL;
	while (read(h->done[0], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/*
 * One process's /proc: a thread's id is taken as its process's (status's
 * Tgid says which), and whether a root is this pid namespace's /proc.
 */
static void test_proc_one(void **state)
{
	char dir[64] = "/tmp/test-tgid-XXXXXX";
	struct held_thread h;
	pthread_t t;
	pid_t tid = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	make_dir(dir, "4");
	make_dir(dir, "5");
	make_dir(dir, "6");
	make_dir(dir, "7");
	write_str(dir, "4/status",
		  "Name:\tsrv\nUmask:\t0022\nState:\tS\n"
		  "Tgid:\t4\nNgid:\t0\nPid:\t4\n");
	/* A name may hold "\nTgid:" escaped, never raw: the key is a line. */
	write_str(dir, "5/status",
		  "Name:\tTgid: 9\nUmask:\t0022\nState:\tS\n"
		  "Tgid:\t4\nNgid:\t0\nPid:\t5\n");
	write_str(dir, "6/status", "Name:\tx\nState:\tS\n");
	write_str(dir, "7/status", "Name:\tx\nTgid:\t4x\n");
	assert_int_equal(tl_proc_tgid(dir, 4), 4);
	assert_int_equal(tl_proc_tgid(dir, 5), 4);
	assert_int_equal(tl_proc_tgid(dir, 6), -EINVAL);
	assert_int_equal(tl_proc_tgid(dir, 7), -EINVAL);
	assert_int_equal(tl_proc_tgid(dir, 8), -ENOENT);
	assert_int_equal(tl_proc_tgid(dir, 0), -EINVAL);
	assert_int_equal(tl_proc_tgid(NULL, getpid()), getpid());
	/*
	 * The image: 4 and 5 one file at one place (a fork), 6 another file,
	 * 7 none, 8 the same file exec()ed again (elsewhere), 9 hidden.
	 */
	{
		static const struct {
			int pid;
			const char *exe;
			unsigned long long stack, args;
		} im[] = { { 4, "/bin/sh", 0x7ffd1000, 0x7ffd2000 },
			   { 5, "/bin/sh", 0x7ffd1000, 0x7ffd2000 },
			   { 6, "/bin/ls", 0x7ffd1000, 0x7ffd2000 },
			   { 8, "/bin/sh", 0x7ffe3000, 0x7ffe4000 },
			   { 9, "/bin/sh", 0, 0 } };
		char p[96], line[600];

		for (size_t i = 0; i < sizeof(im) / sizeof(im[0]); i++) {
			size_t off;

			snprintf(p, sizeof(p), "%s/%d/exe", dir, im[i].pid);
			if (im[i].pid >= 8) {
				snprintf(p, sizeof(p), "%d", im[i].pid);
				make_dir(dir, p);
				snprintf(p, sizeof(p), "%s/%d/exe", dir,
					 im[i].pid);
			}
			assert_int_equal(symlink(im[i].exe, p), 0);
			/* Fields 3 to 52; 28 startstack, 48 arg_start. */
			off = (size_t)snprintf(line, sizeof(line),
					       "%d (a) b) S", im[i].pid);
			for (int f = 4; f <= 52; f++)
				off += (size_t)snprintf(
					line + off, sizeof(line) - off, " %llu",
					f == 28 ? im[i].stack :
					f == 48 ? im[i].args :
						  (unsigned long long)f);
			snprintf(line + off, sizeof(line) - off, "\n");
			snprintf(p, sizeof(p), "%d/stat", im[i].pid);
			write_str(dir, p, line);
		}
		assert_int_equal(tl_proc_same_image(dir, 4, 5), 1);
		assert_int_equal(tl_proc_same_image(dir, 4, 6), 0);
		assert_int_equal(tl_proc_same_image(dir, 4, 8), 0);
		assert_int_equal(tl_proc_same_image(dir, 4, 9), -EACCES);
		assert_int_equal(tl_proc_same_image(dir, 4, 7), -ENOENT);
		assert_int_equal(tl_proc_same_image(dir, 0, 4), -EINVAL);
		assert_int_equal(tl_proc_same_image(NULL, getpid(), getpid()),
				 1);
	}
	assert_int_equal(tl_proc_is_own_pidns(NULL), 0);
	/* A directory without self is another pid namespace's /proc. */
	assert_int_equal(tl_proc_is_own_pidns(dir), -EXDEV);
	remove_tree(dir);
	assert_int_equal(tl_proc_is_own_pidns("/proc"), 0);
	assert_int_equal(tl_proc_is_own_pidns(dir), -ENOENT);
	assert_int_equal(tl_proc_is_own_pidns("/dev/null"), -ENOTDIR);

	assert_int_equal(tl_proc_tgid("/proc", getpid()), getpid());
	assert_int_equal(pipe(h.wake), 0);
	assert_int_equal(pipe(h.done), 0);
	assert_int_equal(pthread_create(&t, NULL, held_thread, &h), 0);
	assert_int_equal(read(h.wake[0], &tid, sizeof(tid)), sizeof(tid));
	assert_true(tid > 0 && tid != getpid());
	assert_int_equal(tl_proc_tgid("/proc", tid), getpid());
	close(h.done[1]);
	assert_int_equal(pthread_join(t, NULL), 0);
	close(h.done[0]);
	close(h.wake[0]);
	close(h.wake[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_fake),
		cmocka_unit_test(test_scan_main_exited),
		cmocka_unit_test(test_scan_denied),
		cmocka_unit_test(test_scan_errors),
		cmocka_unit_test(test_scan_real),
		cmocka_unit_test(test_find_index),
		cmocka_unit_test(test_proc_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
