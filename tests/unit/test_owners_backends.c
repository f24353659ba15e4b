// SPDX-License-Identifier: MIT
/*
 * The owners backends agree: the BPF iterators, the single-thread /proc
 * pass and the parallel /proc pass give the same processes and refs,
 * field by field, on a few thousand sockets held by processes that share
 * them after fork.
 *
 * Needs root (a private network namespace, and the BPF iterators): exits
 * 77 without it. The BPF comparison is skipped when the build or the
 * kernel has no BPF; the /proc comparison still runs.
 *
 * The holders are children that set themselves up, say so through a pipe
 * and sleep; only they are compared, because the rest of the machine
 * (this test included) changes between two scans.
 *
 * With --pidns the same runs as pid 1 of a pid namespace of its own with
 * its own /proc, as in a container: there the BPF pass must name the
 * processes by their pids in that namespace and list no other, and since
 * the namespace holds only this test both passes must list the same
 * processes. Either way one child is not dumpable in a user namespace
 * whose root is uid 100000 here, which /proc shows as its owner; and the
 * BPF pass must refuse a /proc of a pid namespace other than the
 * caller's, whose pids it cannot give.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tcplimbo/owners.h"
#include "test_netns.h"

/* Connections: two socket fds each, plus the listener. */
#define N_CONNS 1500
#define N_KIDS 7
/* The child in a user namespace, and the kernel uid of that namespace's
 * root, which owns its /proc/PID/fd once it is not dumpable. */
#define USERNS_KID 5
#define USERNS_ROOT 100000
/* argv[1] of this program re-executed as that child. */
#define NODUMP_ARG "--nodump-kid"

static int conn_fds[2 * N_CONNS + 1];
static size_t n_conn_fds;
static pid_t kids[N_KIDS];

/* N_CONNS loopback connections, every fd kept (client and accepted). */
static void make_conns(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(l >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 4096), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	conn_fds[n_conn_fds++] = l;
	for (int i = 0; i < N_CONNS; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0), s;

		assert_true(c >= 0);
		assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)),
				 0);
		s = accept(l, NULL, NULL);
		assert_true(s >= 0);
		conn_fds[n_conn_fds++] = c;
		conn_fds[n_conn_fds++] = s;
	}
}

/* A thread that uses some CPU, says so, then sleeps: its time is the
 * group's. */
static void *burn(void *arg)
{
	int *done = arg;
	struct timespec t0, t;
	volatile unsigned long x = 0;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do {
		for (int i = 0; i < 100000; i++)
			x += (unsigned long)i;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L +
			 (t.tv_nsec - t0.tv_nsec) <
		 50000000L);
	/* Read x once, so that the loop is work no compiler drops. */
	if (x == 1 || write(done[1], "b", 1) != 1)
		_exit(1);
	for (;;)
		pause();
	return NULL;
}

/*
 * The user namespace child, after it re-executed itself inside the
 * namespace (the mm's namespace, which names its owner when it is not
 * dumpable, is the one it was exec'd in): not dumpable, then ready.
 */
static int nodump_kid(const char *ready_fd)
{
	char *end;
	long fd = strtol(ready_fd, &end, 10);

	if (*end || fd < 0 || fd > 1000000)
		return 1;
	/* exec kept the death signal only if nothing made it secure. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_NAME, "nodump", 0, 0, 0);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
	    write((int)fd, "r", 1) != 1)
		return 1;
	close((int)fd);
	for (;;)
		pause();
}

/*
 * The user namespace child before that: a namespace of its own, whose
 * maps the parent writes (only a process with CAP_SETUID out here may map
 * its root to another uid), then the exec. ready is the pipe it says
 * ready on, sync the pair it waits for the maps on.
 */
static void userns_kid(int ready, const int sync[2][2])
{
	char fd[16];
	int keep;
	char c;

	if (unshare(CLONE_NEWUSER) < 0) {
		perror("unshare(CLONE_NEWUSER)");
		_exit(1);
	}
	if (write(sync[0][1], "u", 1) != 1 || read(sync[1][0], &c, 1) != 1 ||
	    c != 'm')
		_exit(1);
	/* Past exec: the ready pipe, without O_CLOEXEC. */
	keep = fcntl(ready, F_DUPFD, 100);
	if (keep < 0)
		_exit(1);
	snprintf(fd, sizeof(fd), "%d", keep);
	execl("/proc/self/exe", "test-owners-backends", NODUMP_ARG, fd,
	      (char *)NULL);
	perror("exec /proc/self/exe");
	_exit(1);
}

/* The parent's half: maps the child's namespace's root to USERNS_ROOT. */
static void map_userns_kid(pid_t pid, const int sync[2][2])
{
	static const char *const maps[] = { "uid_map", "gid_map" };
	char path[64], line[64];
	char c;

	assert_int_equal(read(sync[0][0], &c, 1), 1);
	for (size_t i = 0; i < 2; i++) {
		int fd, n;

		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, maps[i]);
		n = snprintf(line, sizeof(line), "0 %d 1\n", USERNS_ROOT);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, line, (size_t)n), n);
		close(fd);
	}
	assert_int_equal(write(sync[1][1], "m", 1), 1);
}

/* What each child does to itself before it sleeps. */
static void kid_setup(int k)
{
	pthread_t t;
	int done[2];
	char c;

	switch (k) {
	case 1: /* holds half, one of them at a high fd, a lower limit */
		for (size_t i = 1; i < n_conn_fds; i += 2)
			close(conn_fds[i]);
		dup2(conn_fds[0], 3000 + N_CONNS * 2);
		{
			struct rlimit rl = { 5000, 6000 + N_CONNS * 2 };

			setrlimit(RLIMIT_NOFILE, &rl);
		}
		break;
	case 2: /* another uid, not dumpable: /proc says root owns it */
		if (setresgid(65533, 65533, 65533) == 0)
			setresuid(65533, 65533, 65533);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		prctl(PR_SET_NAME, "x) y (z", 0, 0, 0);
		break;
	case 3: /* another uid, still dumpable */
		if (setresgid(65534, 65534, 65534) == 0)
			setresuid(65534, 65534, 65534);
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		break;
	case 4: /* two threads, one of which used CPU */
		if (pipe(done) < 0 || pthread_create(&t, NULL, burn, done) ||
		    read(done[0], &c, 1) != 1)
			_exit(1);
		close(done[0]);
		close(done[1]);
		break;
	case 6: /* a zombie: it exits and nobody reaps it yet */
		_exit(0);
	default:
		break;
	}
}

static void start_kids(void)
{
	int p[2], sync[2][2];
	char c;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(pipe2(sync[0], O_CLOEXEC), 0);
	assert_int_equal(pipe2(sync[1], O_CLOEXEC), 0);
	for (int k = 0; k < N_KIDS; k++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			close(p[0]);
			prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
			if (k == USERNS_KID)
				userns_kid(p[1], sync);
			kid_setup(k);
			if (write(p[1], "r", 1) != 1)
				_exit(1);
			close(p[1]);
			for (;;)
				pause();
		}
		kids[k] = pid;
		if (k == USERNS_KID)
			map_userns_kid(pid, sync);
	}
	close(p[1]);
	for (int i = 0; i < 2; i++) {
		close(sync[i][0]);
		close(sync[i][1]);
	}
	/* Every child but the zombie says it is ready. */
	for (int k = 0; k < N_KIDS - 1; k++)
		assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	/* This process's copies go: only the children hold them now. */
	for (size_t i = 0; i < n_conn_fds; i++)
		close(conn_fds[i]);
	/* Let the zombie finish exiting (bounded: 2 s). */
	for (int i = 0; i < 200; i++) {
		siginfo_t si = { 0 };

		if (waitid(P_PID, (id_t)kids[N_KIDS - 1], &si,
			   WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == kids[N_KIDS - 1])
			break;
		usleep(10000);
	}
}

static bool is_kid(pid_t pid)
{
	for (int k = 0; k < N_KIDS; k++)
		if (kids[k] == pid)
			return true;
	return false;
}

/* Compares a and b on the children: procs field by field, then refs. */
static void same_on_kids(const struct tl_owners *a, const struct tl_owners *b)
{
	size_t ia = 0, ib = 0, kids_refs = 0;

	for (int k = 0; k < N_KIDS; k++) {
		const struct tl_proc *pa = tl_owners_proc(a, kids[k]);
		const struct tl_proc *pb = tl_owners_proc(b, kids[k]);

		assert_non_null(pa);
		assert_non_null(pb);
		assert_int_equal(pa->pid, pb->pid);
		assert_int_equal(pa->uid, pb->uid);
		assert_int_equal(pa->nfds, pb->nfds);
		assert_int_equal(pa->nofile, pb->nofile);
		assert_int_equal(pa->nofile_hard, pb->nofile_hard);
		assert_int_equal(pa->start_ticks, pb->start_ticks);
		assert_int_equal(pa->cpu_ticks, pb->cpu_ticks);
		/* The children are the test's: a master and its workers. */
		assert_int_equal(pa->ppid, getpid());
		assert_int_equal(pb->ppid, getpid());
		assert_int_equal(pa->fd_error, pb->fd_error);
		assert_string_equal(pa->comm, pb->comm);
	}
	/* The refs of the children, in order: same inode, holder and fd. */
	for (;;) {
		while (ia < a->n_refs &&
		       !is_kid(a->procs[a->refs[ia].proc].pid))
			ia++;
		while (ib < b->n_refs &&
		       !is_kid(b->procs[b->refs[ib].proc].pid))
			ib++;
		if (ia == a->n_refs || ib == b->n_refs)
			break;
		assert_int_equal(a->refs[ia].inode, b->refs[ib].inode);
		assert_int_equal(a->procs[a->refs[ia].proc].pid,
				 b->procs[b->refs[ib].proc].pid);
		assert_int_equal(a->refs[ia].fd, b->refs[ib].fd);
		ia++;
		ib++;
		kids_refs++;
	}
	assert_int_equal(ia, a->n_refs);
	assert_int_equal(ib, b->n_refs);
	/* Kids 0, 2, 3, 4, 5 hold every socket; kid 1 half of them plus
	 * one. */
	assert_int_equal(kids_refs, 5 * n_conn_fds + (n_conn_fds + 1) / 2 + 1);
}

/*
 * As pid 1 of its own pid namespace this test and its children are all
 * there is: both passes list exactly them, with the same parents (0 for
 * this test's, which is outside).
 */
static void same_procs(const struct tl_owners *a, const struct tl_owners *b)
{
	assert_int_equal(getpid(), 1);
	assert_int_equal(a->n_procs, N_KIDS + 1);
	assert_int_equal(b->n_procs, a->n_procs);
	for (size_t i = 0; i < a->n_procs; i++) {
		assert_int_equal(a->procs[i].pid, b->procs[i].pid);
		assert_int_equal(a->procs[i].ppid, b->procs[i].ppid);
		assert_string_equal(a->procs[i].comm, b->procs[i].comm);
	}
	assert_int_equal(a->procs[0].pid, 1);
	assert_int_equal(a->procs[0].ppid, 0);
}

static void test_backends_agree(void **state)
{
	struct tl_owners_opts opts = {
		.flags = TL_OWNERS_LIMITS | TL_OWNERS_STAT,
		.backend = TL_OWNERS_PROC,
		.threads = 1,
	};
	struct tl_owners *one = NULL, *many = NULL, *bpf = NULL;
	const struct tl_proc *p;
	int r;

	/* The /proc pass first: it is what fixes the CPU times /proc shows
	 * (prev_cputime), which the BPF pass then reads back. */
	assert_int_equal(tl_owners_take(&opts, &one), 0);
	assert_int_equal(one->backend, TL_OWNERS_PROC);
	assert_int_equal(one->threads, 1);
	opts.threads = 4;
	assert_int_equal(tl_owners_take(&opts, &many), 0);
	assert_int_equal(many->backend, TL_OWNERS_PROC);
	assert_int_equal(many->threads, 4);
	same_on_kids(one, many);

	/* The children as set up, so equal cannot mean equally wrong. */
	p = tl_owners_proc(one, kids[1]);
	assert_int_equal(p->nofile, 5000);
	assert_int_equal(tl_owners_proc(one, kids[0])->nfds - p->nfds,
			 n_conn_fds - (n_conn_fds + 1) / 2 - 1);
	p = tl_owners_proc(one, kids[2]);
	assert_string_equal(p->comm, "x) y (z");
	assert_int_equal(p->uid, 0);
	assert_int_equal(tl_owners_proc(one, kids[3])->uid, 65534);
	assert_true(tl_owners_proc(one, kids[4])->cpu_ticks >= 4);
	p = tl_owners_proc(one, kids[USERNS_KID]);
	assert_int_equal(p->uid, USERNS_ROOT);
	assert_string_equal(p->comm, "nodump");
	assert_int_equal(tl_owners_proc(one, kids[6])->nfds, 0);
	if (getpid() == 1)
		same_procs(one, many);

	opts.backend = TL_OWNERS_BPF;
	r = tl_owners_take(&opts, &bpf);
	if (r == -EOPNOTSUPP || r == -EPERM) {
		tl_owners_free(one);
		tl_owners_free(many);
		skip();
	}
	assert_int_equal(r, 0);
	assert_int_equal(bpf->backend, TL_OWNERS_BPF);
	same_on_kids(one, bpf);
	if (getpid() == 1)
		same_procs(one, bpf);
	tl_owners_free(one);
	tl_owners_free(many);
	tl_owners_free(bpf);
}

/*
 * In a pid namespace below the one /proc shows (unshare --pid --fork
 * without --mount-proc), a process's iterators see only its own
 * namespace's tasks: the BPF pass refuses, with -EXDEV, rather than give
 * pids /proc does not have; the /proc pass still runs. The child that
 * looks says what it found by its exit status.
 */
static void test_bpf_refuses_outer_proc(void **state)
{
	struct tl_owners_opts opts = { .backend = TL_OWNERS_BPF, .threads = 1 };
	pid_t me = getpid(), pid;
	int st = 0;

	pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct tl_owners *o = NULL;
		pid_t inner;
		int r;

		if (unshare(CLONE_NEWPID) < 0)
			_exit(3);
		inner = fork();
		if (inner < 0)
			_exit(3);
		if (inner > 0)
			_exit(waitpid(inner, &st, 0) == inner && WIFEXITED(st) ?
				      WEXITSTATUS(st) :
				      3);
		r = tl_owners_take(&opts, &o);
		if (r == -EOPNOTSUPP || r == -EPERM)
			_exit(77);
		if (r != -EXDEV)
			_exit(1);
		opts.backend = TL_OWNERS_PROC;
		/* /proc is this test's namespace's, which has the test. */
		if (tl_owners_take(&opts, &o) < 0 || !tl_owners_proc(o, me))
			_exit(2);
		tl_owners_free(o);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		skip();
	/* 1: the BPF pass did not refuse; 2: the /proc pass failed. */
	assert_int_equal(WEXITSTATUS(st), 0);
}

static int setup(void **state)
{
	assert_int_equal(test_lo_up(), 0);
	make_conns();
	start_kids();
	return 0;
}

static int teardown(void **state)
{
	for (int k = 0; k < N_KIDS; k++) {
		if (kids[k] <= 0)
			continue;
		kill(kids[k], SIGKILL);
		waitpid(kids[k], NULL, 0);
	}
	return 0;
}

/*
 * --pidns: a pid namespace and a mount namespace, in which the rest runs
 * as pid 1 with a /proc of its own; this process waits and passes on its
 * exit status with _exit(). Once pid 1 is gone no process can be made in
 * that namespace, and this one's children would be, so LeakSanitizer's
 * exit-time check, which clones a tracer, fails with ENOMEM; pid 1 has
 * made the check that matters.
 */
static int in_pidns(void)
{
	int st;
	pid_t pid;

	if (unshare(CLONE_NEWPID | CLONE_NEWNS) < 0) {
		perror("unshare(CLONE_NEWPID | CLONE_NEWNS)");
		return 77;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("proc", "/proc", "proc",
			  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
			perror("mount /proc");
			_exit(1);
		}
		return -1;
	}
	if (waitpid(pid, &st, 0) != pid)
		_exit(1);
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backends_agree),
		cmocka_unit_test(test_bpf_refuses_outer_proc),
	};
	struct rlimit rl;

	if (argc == 3 && strcmp(argv[1], NODUMP_ARG) == 0)
		return nodump_kid(argv[2]);
	if (geteuid() != 0) {
		fprintf(stderr, "needs root (a network namespace)\n");
		return 77;
	}
	if (argc == 2 && strcmp(argv[1], "--pidns") == 0) {
		int r = in_pidns();

		if (r >= 0)
			return r;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		perror("unshare(CLONE_NEWNET)");
		return 77;
	}
	/* Enough fds for every socket twice over, and a few more. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max < 20000) {
		fprintf(stderr, "RLIMIT_NOFILE hard limit below 20000\n");
		return 77;
	}
	rl.rlim_cur = 20000;
	setrlimit(RLIMIT_NOFILE, &rl);
	return cmocka_run_group_tests(tests, setup, teardown);
}
