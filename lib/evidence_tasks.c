// SPDX-License-Identifier: MIT
/*
 * evidence: a process's threads, read from /proc/PID/task: each one's
 * state, syscall and fd, wchan, how long since it ran, and for one that
 * runs at every look, the share of a CPU it used meanwhile.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evidence_int.h"
#include "tcplimbo/context.h"
#include "tcplimbo/evidence.h"
#include "util.h"

/* Keeps what a kernel symbol may hold; anything else ends the name. */
static void copy_wchan(char *dst, const char *src, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o < TL_EV_WCHAN_MAX - 1; i++) {
		char c = src[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.'))
			break;
		dst[o++] = c;
	}
	dst[o] = '\0';
	/* "0" means not sleeping in the kernel. */
	if (strcmp(dst, "0") == 0)
		dst[0] = '\0';
}

/*
 * Looks again, a few times a millisecond apart, at a thread /proc shows
 * running: a thread on a CPU the moment we read says nothing of where it
 * waits, and one that wakes for a moment (a timer, a signal) would hide
 * the wait that explains the process. *budget bounds the looks of one
 * gather. A thread still running at the last look is measured: the CPU
 * time it used while we looked tells a loop that never waits (one
 * spinning on a failing accept()) from a thread that was merely busy.
 */
#define RUNNING_LOOKS 24

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool tli_ev_run_ns(int pdir, pid_t tid, uint64_t *ret_ns, uint64_t *ret_wait)
{
	char path[64], buf[TL_EV_SMALL_BUF];
	ssize_t n;

	snprintf(path, sizeof(path), "task/%d/schedstat", (int)tid);
	n = tli_ev_read_at(pdir, path, buf, sizeof(buf));
	return n > 0 &&
	       tl_ev_parse_schedstat(buf, (size_t)n, ret_ns, ret_wait) == 0;
}

/*
 * The share of a CPU the thread used since run0 at wall0, and the share
 * of the time it was runnable (ran, or waited for a CPU since wait0).
 */
static void measure_busy(int pdir, struct tl_ev_thread *t, uint64_t run0,
			 uint64_t wait0, uint64_t wall0)
{
	uint64_t run1, wait1, wall = mono_ns() - wall0, pct, runnable;

	if (!tli_ev_run_ns(pdir, t->tid, &run1, &wait1) || run1 < run0 ||
	    wait1 < wait0 || wall < TL_EV_BUSY_MIN_MS * 1000000ull)
		return;
	pct = (run1 - run0) * 100 / wall;
	runnable = (run1 - run0 + wait1 - wait0) * 100 / wall;
	t->has_busy = true;
	t->busy_pct = (uint8_t)(pct > 100 ? 100 : pct);
	t->runnable_pct = (uint8_t)(runnable > 100 ? 100 : runnable);
	t->busy_ms = (uint32_t)(wall / 1000000);
}

static int read_syscall(int pdir, struct tl_ev_thread *t, unsigned *budget)
{
	char path[64], buf[TL_EV_SMALL_BUF];
	uint64_t run0 = 0, wait0 = 0, wall0 = 0;
	bool timed = false;
	ssize_t n;
	int kind = -1;

	snprintf(path, sizeof(path), "task/%d/syscall", (int)t->tid);
	for (;;) {
		n = tli_ev_read_at(pdir, path, buf, sizeof(buf));
		if (n < 0)
			return (int)n;
		if (n == 0 ||
		    tl_ev_parse_syscall(buf, (size_t)n, tl_ev_arch_native(),
					&kind, &t->nr, &t->fd) < 0)
			return -EINVAL;
		if (kind != TL_SYS_RUNNING)
			return kind;
		if (*budget == 0)
			break;
		if (!timed) {
			timed = tli_ev_run_ns(pdir, t->tid, &run0, &wait0);
			wall0 = mono_ns();
		}
		(*budget)--;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	if (timed)
		measure_busy(pdir, t, run0, wait0, wall0);
	return kind;
}

/* Whether a read's error says the thread (or process) is gone. */
static bool gone_error(ssize_t n)
{
	return n == -ENOENT || n == -ESRCH;
}

/*
 * Reads one thread of the process directory pdir. False when the thread
 * has exited since the task directory was listed (a thread per
 * connection comes and goes under churn): it is no thread of the process
 * any more, and nothing about it is unknown.
 */
static bool read_thread(int pdir, pid_t tid, struct tl_ev_thread *t,
			uint64_t *ret_exec_ns, int32_t *ret_cpu,
			bool *ret_has_exec, unsigned *budget)
{
	uint32_t cpu;

	char path[64], buf[TL_EV_STATUS_BUF];
	ssize_t n;
	int kind;

	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->fd = -1;
	t->nr = -1;
	snprintf(path, sizeof(path), "task/%d/status", (int)tid);
	n = tli_ev_read_at(pdir, path, buf, sizeof(buf));
	if (n > 0 &&
	    tl_ev_parse_status(buf, (size_t)n, &t->state, NULL, NULL) < 0)
		t->state = 0;
	kind = read_syscall(pdir, t, budget);
	if (gone_error(kind))
		return false;
	if (kind >= 0) {
		t->kind = (uint8_t)kind;
		if (kind >= TL_SYS_ACCEPT)
			t->sys = tl_ev_syscall_name(tl_ev_arch_native(), t->nr,
						    NULL, NULL);
	}
	snprintf(path, sizeof(path), "task/%d/wchan", (int)tid);
	n = tli_ev_read_at(pdir, path, buf, TL_EV_SMALL_BUF);
	if (n > 0)
		copy_wchan(t->wchan, buf, (size_t)n);
	snprintf(path, sizeof(path), "task/%d/sched", (int)tid);
	n = tli_ev_read_at(pdir, path, buf, TL_EV_SCHED_BUF);
	if (n > 0 && tl_ev_parse_sched(buf, (size_t)n, ret_exec_ns) == 0)
		*ret_has_exec = true;
	/* Its exec_start is on the clock of the CPU it last ran on. */
	*ret_cpu = -1;
	snprintf(path, sizeof(path), "task/%d/stat", (int)tid);
	n = tli_ev_read_at(pdir, path, buf, TL_EV_SMALL_BUF * 2);
	if (n > 0 && tl_ev_parse_stat_cpu(buf, (size_t)n, &cpu) == 0)
		*ret_cpu = (int32_t)cpu;
	if (n > 0 && tl_ev_parse_stat_times(buf, (size_t)n, &t->utime_ticks,
					    &t->stime_ticks) == 0)
		t->has_times = true;
	return true;
}

/* The most CPUs whose clocks one gather visits. */
#define CLOCKS_MAX 16

/* Our own exec_start, read now: the present of this CPU's clock. */
static bool clock_now(const char *proc_root, uint64_t *ret_ns)
{
	char path[PATH_MAX], buf[TL_EV_SCHED_BUF];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/thread-self/sched", proc_root);
	n = tli_ev_read_at(AT_FDCWD, path, buf, sizeof(buf));
	return n > 0 && tl_ev_parse_sched(buf, (size_t)n, ret_ns) == 0;
}

/*
 * How long ago the last of n threads ran, in ns. exec_start is on the
 * scheduler clock of the CPU a thread last ran on (rq_clock_task, which
 * leaves out the time the hypervisor stole and interrupts took), and on a
 * virtual machine those clocks run apart, by a second a day here: each
 * thread is compared with its own CPU's present, read on that CPU. False
 * when a CPU is not known, cannot be visited (a cpuset) or read: then
 * nothing is claimed.
 */
static bool idle_ns(const char *proc_root, const uint64_t *exec,
		    const int32_t *cpu, size_t n, uint64_t *ret_ns,
		    uint64_t *each)
{
	int32_t seen[CLOCKS_MAX];
	size_t n_seen = 0;
	uint64_t idle = UINT64_MAX;
	cpu_set_t old, one;
	bool ok = n > 0;

	if (sched_getaffinity(0, sizeof(old), &old) < 0)
		return false;
	for (size_t i = 0; i < n && ok; i++) {
		uint64_t newest = 0, now;
		bool dup = false;

		for (size_t k = 0; k < n_seen; k++)
			dup |= seen[k] == cpu[i];
		if (dup)
			continue;
		if (cpu[i] < 0 || cpu[i] >= CPU_SETSIZE ||
		    n_seen == CLOCKS_MAX) {
			ok = false;
			break;
		}
		seen[n_seen++] = cpu[i];
		for (size_t j = 0; j < n; j++)
			if (cpu[j] == cpu[i] && exec[j] > newest)
				newest = exec[j];
		CPU_ZERO(&one);
		CPU_SET(cpu[i], &one);
		/* setaffinity returns once we run there. */
		if (sched_setaffinity(0, sizeof(one), &one) < 0 ||
		    sched_getcpu() != cpu[i] || !clock_now(proc_root, &now)) {
			ok = false;
			break;
		}
		/* Each thread of this CPU, against its present. */
		for (size_t j = 0; j < n; j++)
			if (cpu[j] == cpu[i])
				each[j] = now >= exec[j] ? now - exec[j] : 0;
		/* A clock read before the thread's last run means just now. */
		now = now >= newest ? now - newest : 0;
		if (now < idle)
			idle = now;
	}
	if (n_seen)
		sched_setaffinity(0, sizeof(old), &old);
	if (ok)
		*ret_ns = idle;
	return ok;
}

static int cmp_tid(const void *a, const void *b)
{
	const struct tl_ev_thread *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

int tli_ev_gather_threads(int pdir, struct tl_evidence *ev,
			  const char *proc_root)
{
	uint64_t exec[TL_EV_THREADS_MAX], each[TL_EV_THREADS_MAX], idle;
	int32_t cpu[TL_EV_THREADS_MAX];
	size_t of[TL_EV_THREADS_MAX]; /* exec[k] is threads[of[k]]'s */
	unsigned budget = RUNNING_LOOKS;
	size_t n_exec = 0;
	struct dirent *de;
	DIR *d;
	int tfd = openat(pdir, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (tfd < 0)
		return -errno;
	d = fdopendir(tfd);
	if (!d) {
		close(tfd);
		return -ENOMEM;
	}
	while ((de = readdir(d)) && ev->n_read < TL_EV_THREADS_MAX) {
		uint64_t tid;
		bool has = false;

		if (tli_parse_dec(de->d_name, INT_MAX, &tid) < 0 || tid == 0)
			continue;
		if (!read_thread(pdir, (pid_t)tid, &ev->threads[ev->n_read],
				 &exec[n_exec], &cpu[n_exec], &has, &budget)) {
			/* Counted in Threads: a moment before it exited. */
			if (ev->n_threads > 0)
				ev->n_threads--;
			continue;
		}
		/*
		 * A main thread that exited while the others live on runs
		 * nothing, waits for nothing: no thread of the process any
		 * more (main_exited tells it).
		 */
		if (ev->main_exited && (pid_t)tid == ev->pid &&
		    (ev->threads[ev->n_read].state == 'Z' ||
		     ev->threads[ev->n_read].state == 'X')) {
			if (ev->n_threads > 0)
				ev->n_threads--;
			continue;
		}
		of[n_exec] = ev->n_read;
		n_exec += has;
		ev->n_read++;
	}
	closedir(d);
	if (idle_ns(proc_root, exec, cpu, n_exec, &idle, each)) {
		ev->has_idle = true;
		ev->idle_ms = idle / 1000000;
		for (size_t k = 0; k < n_exec; k++) {
			ev->threads[of[k]].has_idle = true;
			ev->threads[of[k]].idle_ms = each[k] / 1000000;
		}
	}
	/* readdir's order is the directory's: sort for stable texts. */
	qsort(ev->threads, ev->n_read, sizeof(ev->threads[0]), cmp_tid);
	return 0;
}

/* Room for cgroup.events (a handful of short lines). */
#define EVENTS_BUF 512
/* The most cgroup levels walked up from a process's own. */
#define FREEZE_LEVELS 64

/* Whether the file at path holds the line `line`. */
static bool file_has_line(const char *path, const char *line)
{
	char buf[EVENTS_BUF];
	size_t l = strlen(line);
	ssize_t n = tli_ev_read_at(AT_FDCWD, path, buf, sizeof(buf) - 1);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (const char *p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, line, l) == 0 && (p[l] == '\n' || p[l] == '\0'))
			return true;
	return false;
}

/* Reads dir_fd/name whole (a hybrid machine's cgroup file is long). */
static ssize_t read_alloc_at(int dir_fd, const char *name, char **ret)
{
	ssize_t n;
	int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	n = tli_read_fd_alloc(fd, 4096, 1024 * 1024, ret);
	close(fd);
	return n;
}

/* Whether every thread read is in state D, as a frozen one is. */
static bool all_in_d(const struct tl_evidence *ev)
{
	for (size_t i = 0; i < ev->n_read; i++)
		if (ev->threads[i].state != 'D')
			return false;
	return true;
}

/* Copies a frozen cgroup's path to ev, marked where cut to fit. */
static void set_frozen_cgroup(struct tl_evidence *ev, const char *cg)
{
	if (strlen(cg) >= sizeof(ev->frozen_cgroup))
		snprintf(ev->frozen_cgroup, sizeof(ev->frozen_cgroup),
			 "%.*s...", (int)sizeof(ev->frozen_cgroup) - 4, cg);
	else
		snprintf(ev->frozen_cgroup, sizeof(ev->frozen_cgroup), "%s",
			 cg);
}

/*
 * The cgroup of the process for controller (NULL: cgroup2's): its path in
 * the hierarchy into cg (TL_CGROUP_PATH_MAX bytes), and its directory into
 * dir (PATH_MAX bytes) under the first mount of our mountinfo whose root
 * holds that path (a subtree bind-mounted elsewhere may come first); *mlen
 * is the length of the mount point that dir starts with.
 */
static int cgroup_dir(int pdir, const char *proc_root, const char *controller,
		      char *cg, char *dir, size_t *mlen)
{
	char mnt[TL_CGROUP_PATH_MAX], base[TL_CGROUP_PATH_MAX], path[PATH_MAX];
	char *text = NULL;
	size_t blen = 0;
	ssize_t n;
	int r;

	n = read_alloc_at(pdir, "cgroup", &text);
	if (n <= 0)
		return n < 0 ? (int)n : -ENOENT;
	r = controller ? tl_cgroup_parse_proc_v1(text, (size_t)n, controller,
						 cg, TL_CGROUP_PATH_MAX) :
			 tl_cgroup_parse_proc(text, (size_t)n, cg,
					      TL_CGROUP_PATH_MAX);
	free(text);
	text = NULL;
	if (r < 0)
		return r;
	if (snprintf(path, sizeof(path), "%s/self/mountinfo", proc_root) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	n = read_alloc_at(AT_FDCWD, path, &text);
	if (n <= 0)
		return n < 0 ? (int)n : -ENOENT;
	r = -ENOENT;
	for (const char *l = text, *end = text + n; l < end && r < 0;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t llen = (size_t)((nl ? nl : end) - l);

		r = controller ?
			    tl_cgroup_parse_mountinfo_v1(l, llen, controller,
							 mnt, sizeof(mnt), base,
							 sizeof(base)) :
			    tl_cgroup_parse_mountinfo(l, llen, mnt, sizeof(mnt),
						      base, sizeof(base));
		l = nl ? nl + 1 : end;
		if (r < 0)
			continue;
		blen = strlen(base);
		if (blen <= 1)
			blen = 0;
		else if (strncmp(cg, base, blen) != 0 ||
			 (cg[blen] != '/' && cg[blen] != '\0'))
			r = -ENOENT;
	}
	free(text);
	if (r < 0)
		return r;
	if (snprintf(dir, PATH_MAX, "%s%s", mnt,
		     strcmp(cg + blen, "/") == 0 ? "" : cg + blen) >= PATH_MAX)
		return -ENAMETOOLONG;
	*mlen = strlen(mnt);
	return 0;
}

/*
 * Of the cgroup at dir (cg its path) and its ancestors up to the mount
 * (mlen, the mount point's length in dir), the highest whose file name
 * holds the line: the length of its path in cg, or cg's whole length
 * where none does. dir is cut level by level.
 */
static size_t highest_with(char *dir, size_t mlen, const char *cg,
			   const char *name, const char *line)
{
	char path[PATH_MAX];
	size_t cglen = strlen(cg), best = 0;

	for (int level = 0; level < FREEZE_LEVELS; level++) {
		char *slash;

		if (snprintf(path, sizeof(path), "%s/%s", dir, name) <
			    (int)sizeof(path) &&
		    file_has_line(path, line))
			best = cglen;
		slash = strrchr(dir, '/');
		if (!slash || (size_t)(slash - dir) < mlen ||
		    (size_t)(slash - dir) == mlen - 1)
			break;
		*slash = '\0';
		while (cglen > 1 && cg[cglen - 1] != '/')
			cglen--;
		if (cglen > 1)
			cglen--;
	}
	return best ? best : strlen(cg);
}

/* The cgroup to thaw, best bytes of cg, to ev, and whether an ancestor. */
static void set_thaw(struct tl_evidence *ev, char *cg, size_t best)
{
	ev->frozen_by_ancestor = best < strlen(cg);
	cg[best] = '\0';
	set_frozen_cgroup(ev, cg);
}

/*
 * Whether the cgroup v2 that proc_root/PID/cgroup names says frozen 1 in
 * its cgroup.events. The hierarchy is found where our own mountinfo
 * mounts cgroup2 (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid
 * machine). frozen 1 is the effective state: the cgroup to thaw is the
 * highest of its own and its ancestors whose cgroup.freeze is 1, and
 * that one goes to ev->frozen_cgroup.
 */
static bool cgroup_frozen(int pdir, const char *proc_root,
			  struct tl_evidence *ev)
{
	char cg[TL_CGROUP_PATH_MAX], path[PATH_MAX], dir[PATH_MAX];
	size_t mlen;

	if (cgroup_dir(pdir, proc_root, NULL, cg, dir, &mlen) < 0 ||
	    snprintf(path, sizeof(path), "%s/cgroup.events", dir) >=
		    (int)sizeof(path) ||
	    !file_has_line(path, "frozen 1"))
		return false;
	set_thaw(ev, cg, highest_with(dir, mlen, cg, "cgroup.freeze", "1"));
	return true;
}

/*
 * The cgroup v1 freezer's word on the process: 1 where the freezer.state
 * of its freezer cgroup says FROZEN, or FREEZING (frozen_v1 2) with a
 * thread in the freezer already; 0 where it says THAWED, or FREEZING of
 * a process none of whose threads is frozen yet (one stuck in I/O keeps a
 * cgroup FREEZING: it is what is not frozen); -errno where it cannot be
 * read (no v1 freezer mounted, a path outside the mount). The cgroup to
 * thaw, its own or the highest ancestor whose freezer.self_freezing is
 * 1 (a parent's freeze shows in the child's freezer.state too), goes to
 * ev->frozen_cgroup.
 */
static int freezer_v1(int pdir, const char *proc_root, size_t refrigerated,
		      struct tl_evidence *ev)
{
	char cg[TL_CGROUP_PATH_MAX], path[PATH_MAX], dir[PATH_MAX];
	char state[32];
	size_t mlen;
	ssize_t n;
	int r;

	r = cgroup_dir(pdir, proc_root, "freezer", cg, dir, &mlen);
	if (r < 0)
		return r;
	if (snprintf(path, sizeof(path), "%s/freezer.state", dir) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	n = tli_ev_read_at(AT_FDCWD, path, state, sizeof(state) - 1);
	if (n <= 0)
		return n < 0 ? (int)n : -ENOENT;
	state[n] = '\0';
	if (strncmp(state, "THAWED", 6) == 0)
		return 0;
	if (strncmp(state, "FROZEN", 6) == 0)
		ev->frozen_v1 = 1;
	else if (strncmp(state, "FREEZING", 8) == 0 && refrigerated)
		ev->frozen_v1 = 2;
	else if (strncmp(state, "FREEZING", 8) == 0)
		return 0;
	else
		return -EINVAL;
	set_thaw(ev, cg,
		 highest_with(dir, mlen, cg, "freezer.self_freezing", "1"));
	return 1;
}

void tli_ev_gather_frozen(int pdir, const char *proc_root,
			  struct tl_evidence *ev)
{
	size_t refrigerated = 0, trapped = 0;

	for (size_t i = 0; i < ev->n_read; i++) {
		const char *w = ev->threads[i].wchan;

		if (strcmp(w, "__refrigerator") == 0)
			refrigerated++;
		/* cgroup v2's trap, do_freezer_trap, is inlined there. */
		else if (strcmp(w, "get_signal") == 0 ||
			 strcmp(w, "do_freezer_trap") == 0)
			trapped++;
	}
	if (ev->n_read == 0)
		return;
	/*
	 * cgroup v1's freezer: a thread that slept freezable (in futex,
	 * nanosleep) is frozen in place, in state D, and only the others
	 * sleep in __refrigerator. Its freezer.state tells; where it cannot
	 * be read, every thread asleep in the freezer does.
	 */
	if (refrigerated || all_in_d(ev)) {
		int r = freezer_v1(pdir, proc_root, refrigerated, ev);

		if (r >= 0 || refrigerated == ev->n_read) {
			ev->frozen = r != 0;
			return;
		}
	}
	if (trapped)
		ev->frozen = cgroup_frozen(pdir, proc_root, ev);
}

void tli_ev_frozen_how(const struct tl_evidence *ev, char *buf, size_t size)
{
	if (ev->frozen_v1 && ev->frozen_by_ancestor)
		snprintf(
			buf, size,
			"v1 freezer: its freezer cgroup's freezer.state says %s, and %s, an ancestor of that cgroup, froze it (freezer.self_freezing 1)",
			ev->frozen_v1 > 1 ? "FREEZING" : "FROZEN",
			ev->frozen_cgroup);
	else if (ev->frozen_v1)
		snprintf(buf, size,
			 "v1 freezer: the freezer.state of %s says %s",
			 ev->frozen_cgroup,
			 ev->frozen_v1 > 1 ? "FREEZING" : "FROZEN");
	else if (ev->frozen_cgroup[0])
		snprintf(
			buf, size,
			"freezer: its cgroup.events says frozen 1, and cgroup.freeze of %s, %s, is 1",
			ev->frozen_cgroup,
			ev->frozen_by_ancestor ? "an ancestor of its cgroup" :
						 "its cgroup");
	else
		snprintf(buf, size,
			 "v1 freezer: its threads sleep in __refrigerator");
}

/* The most children looked at, and the room for one thread's list. */
#define CHILDREN_MAX 256
#define CHILDREN_BUF 4096

/* Whether the process pid under proc_root is stopped, not by a tracer. */
static bool signal_stopped(const char *proc_root, pid_t pid)
{
	char path[PATH_MAX], buf[TL_EV_STATUS_BUF], state = 0;
	pid_t tracer = 0;
	uint32_t threads = 0;
	ssize_t n;

	if (tli_proc_path(path, sizeof(path), proc_root, pid, "status") < 0)
		return false;
	n = tli_ev_read_at(AT_FDCWD, path, buf, sizeof(buf));
	if (n <= 0 ||
	    tl_ev_parse_status(buf, (size_t)n, &state, &tracer, &threads) < 0)
		return false;
	return state == 'T' && tracer == 0;
}

void tli_ev_gather_children(int pdir, const char *proc_root,
			    struct tl_evidence *ev)
{
	char path[64], *buf = malloc(CHILDREN_BUF);
	unsigned looked = 0;

	if (!buf)
		return;
	/* The threads gathered: those the kernel lists children under. */
	for (size_t t = 0; t < ev->n_read && looked < CHILDREN_MAX; t++) {
		ssize_t n;
		char *p, *end;

		snprintf(path, sizeof(path), "task/%d/children",
			 (int)ev->threads[t].tid);
		n = tli_ev_read_at(pdir, path, buf, CHILDREN_BUF);
		if (n <= 0)
			continue;
		for (p = buf; *p && looked < CHILDREN_MAX; p = end) {
			uint64_t pid;
			char c;

			while (*p == ' ' || *p == '\n')
				p++;
			for (end = p; *end && *end != ' ' && *end != '\n';
			     end++)
				;
			if (end == p)
				break;
			c = *end;
			*end = '\0';
			if (tli_parse_dec(p, INT_MAX, &pid) == 0 && pid > 0) {
				looked++;
				if (signal_stopped(proc_root, (pid_t)pid) &&
				    ev->stopped_children++ < TL_EV_STOPPED_MAX)
					ev->stopped_kids[ev->stopped_children -
							 1] = (pid_t)pid;
			}
			*end = c;
		}
	}
	ev->stopped_child = ev->stopped_children ? ev->stopped_kids[0] : 0;
	free(buf);
}
