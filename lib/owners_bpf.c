// SPDX-License-Identifier: MIT
/*
 * The BPF owners pass: bpf/owners.bpf.c's two iterators, each created from
 * a link this process owns (no pinning) and read to its end once. The
 * task iterator gives the processes, the task-file iterator their socket
 * fds and fd counts; the result is the same struct tl_owners the /proc
 * pass fills, in the same order.
 *
 * The kernel walks the pid namespace of the task that reads the
 * iterators, and the programs write pids as that namespace numbers them;
 * the pass runs only when /proc is a /proc of the same namespace, so that
 * both passes name the same processes with the same pids.
 *
 * The programs come in a light skeleton: its loader program has the
 * kernel apply the CO-RE relocations, so no run parses the kernel's BTF
 * in user space, and libbpf has nothing to print.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>

#include <bpf/bpf.h>

#include "owners.h"
#include "owners.lskel.h"
#include "owners_impl.h"
#include "util.h"

/* The uid stat() shows for ids this user namespace does not map, unless
 * the kernel.overflowuid sysctl says otherwise. */
#define DEFAULT_OVERFLOW_UID 65534

/* Records are read this many bytes at a time (the kernel's seq buffer is
 * 8 pages, so more would not be filled in one read). */
#define ITER_BUF_SIZE (64 * 1024)

/* Another thread's CPU time, added to its leader after the task pass. */
struct thread_time {
	uint32_t tgid;
	uint64_t runtime_ns;
};

struct pass {
	struct tl_owners *o;
	unsigned flags;
	uint64_t ns_per_tick;
	size_t procs_cap, refs_cap;
	/* Per proc, while the task pass runs: the times /proc would sum. */
	struct cpu {
		uint64_t runtime_ns, prev_utime_ns, prev_stime_ns;
	} * cpu;
	struct thread_time *threads;
	size_t n_threads, threads_cap;
};

/* The index of pid's proc (procs are sorted by pid), or -1. */
static ssize_t proc_index(const struct tl_owners *o, uint32_t pid)
{
	size_t lo = 0, hi = o->n_procs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((uint32_t)o->procs[mid].pid == pid)
			return (ssize_t)mid;
		if ((uint32_t)o->procs[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int on_task(struct pass *p, const struct tl_bpf_task *t)
{
	struct tl_owners *o = p->o;
	struct tl_proc *pr;

	if (t->tgid == 0 || t->tgid > INT32_MAX)
		return 0;
	if (t->tgid != t->tid) {
		if (p->n_threads == p->threads_cap &&
		    tli_grow((void **)&p->threads, &p->threads_cap,
			     sizeof(*p->threads), 256) < 0)
			return -ENOMEM;
		p->threads[p->n_threads++] =
			(struct thread_time){ t->tgid, t->runtime_ns };
		return 0;
	}
	if (o->n_procs == p->procs_cap) {
		size_t cap = p->procs_cap;

		if (tli_grow((void **)&o->procs, &p->procs_cap,
			     sizeof(*o->procs), 256) < 0)
			return -ENOMEM;
		if (tli_grow((void **)&p->cpu, &cap, sizeof(*p->cpu), 256) < 0)
			return -ENOMEM;
	}
	pr = &o->procs[o->n_procs];
	memset(pr, 0, sizeof(*pr));
	pr->pid = (pid_t)t->tgid;
	pr->ppid = (pid_t)t->ppid;
	pr->uid = t->uid;
	/* nsec_to_clock_t, as /proc/PID/stat prints it. */
	pr->start_ticks = t->start_ns / p->ns_per_tick;
	if (p->flags & TL_OWNERS_LIMITS) {
		pr->nofile = t->nofile_cur;
		pr->nofile_hard = t->nofile_max;
	}
	memcpy(pr->comm, t->comm,
	       sizeof(t->comm) < TL_COMM_MAX ? sizeof(t->comm) : TL_COMM_MAX);
	pr->comm[TL_COMM_MAX - 1] = '\0';
	p->cpu[o->n_procs] = (struct cpu){
		.runtime_ns = t->runtime_ns + t->sig_runtime_ns,
		.prev_utime_ns = t->prev_utime_ns,
		.prev_stime_ns = t->prev_stime_ns,
	};
	o->n_procs++;
	return 0;
}

static int on_fd(struct pass *p, const struct tl_bpf_fd *f)
{
	struct tl_owners *o = p->o;
	ssize_t i = proc_index(o, f->tgid);

	/* Born between the two passes: the /proc pass would not have it. */
	if (i < 0)
		return 0;
	/*
	 * Counted already (a count ends each run of a process's fds, and is
	 * at least 1): its table seen a second time, when its main thread
	 * exited between the leader's run and another thread's (see
	 * owners.bpf.c). The first run stands.
	 */
	if (o->procs[i].nfds)
		return 0;
	if (f->flags & TL_BPF_FD_COUNT) {
		o->procs[i].nfds = f->fd;
		return 0;
	}
	if (!f->inode || f->fd > INT32_MAX)
		return 0;
	if (o->n_refs == p->refs_cap &&
	    tli_grow((void **)&o->refs, &p->refs_cap, sizeof(*o->refs), 1024) <
		    0)
		return -ENOMEM;
	o->refs[o->n_refs++] = (struct tl_fdref){ .inode = f->inode,
						  .proc = (uint32_t)i,
						  .fd = (int32_t)f->fd };
	return 0;
}

/*
 * Reads one iterator to its end, handing each record of rec_size bytes to
 * the pass. A record may straddle two reads; the tail is carried over.
 */
static int read_iter(struct pass *p, int link_fd, size_t rec_size, char *buf,
		     bool tasks)
{
	size_t have = 0;
	int fd, r = 0;

	fd = bpf_iter_create(link_fd);
	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t n = read(fd, buf + have, ITER_BUF_SIZE - have);
		size_t off = 0;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		for (; have - off >= rec_size; off += rec_size) {
			r = tasks ? on_task(p, (const void *)(buf + off)) :
				    on_fd(p, (const void *)(buf + off));
			if (r < 0)
				goto out;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
out:
	close(fd);
	return r;
}

/* Adds other threads' CPU time and turns it into ticks as /proc does. */
static void finish_cpu(struct pass *p)
{
	struct tl_owners *o = p->o;

	for (size_t i = 0; i < p->n_threads; i++) {
		ssize_t k = proc_index(o, p->threads[i].tgid);

		if (k >= 0)
			p->cpu[k].runtime_ns += p->threads[i].runtime_ns;
	}
	for (size_t i = 0; i < o->n_procs; i++) {
		const struct cpu *c = &p->cpu[i];

		/*
		 * /proc/PID/stat prints utime and stime scaled so that they
		 * add up to the group's runtime, each truncated to ticks, and
		 * never below what it printed before (prev_cputime). When that
		 * is still current we have the two numbers it printed.
		 */
		if (c->prev_utime_ns + c->prev_stime_ns >= c->runtime_ns)
			o->procs[i].cpu_ticks =
				c->prev_utime_ns / p->ns_per_tick +
				c->prev_stime_ns / p->ns_per_tick;
		else
			o->procs[i].cpu_ticks = c->runtime_ns / p->ns_per_tick;
	}
}

/* The kernel.overflowuid sysctl, or its default when it cannot be read. */
static uint32_t overflow_uid(const char *proc_root)
{
	char path[PATH_MAX], buf[32];
	const char *p = buf;
	uint64_t v;
	ssize_t len;

	if (snprintf(path, sizeof(path), "%s/sys/kernel/overflowuid",
		     proc_root) >= (int)sizeof(path))
		return DEFAULT_OVERFLOW_UID;
	len = tli_read_file_at(AT_FDCWD, path, buf, sizeof(buf) - 1);
	if (len <= 0 || tli_parse_u64(&p, buf + len, UINT32_MAX - 1, &v) < 0)
		return DEFAULT_OVERFLOW_UID;
	return (uint32_t)v;
}

int tli_owners_bpf_scan(const char *proc_root, unsigned flags,
			struct tl_owners **ret)
{
	struct pass p = { .flags = flags };
	struct owners_bpf *skel = NULL;
	char *buf = NULL;
	long hz = sysconf(_SC_CLK_TCK);
	int r;

	if (!proc_root || hz <= 0 || hz > 1000000000)
		return -EINVAL;
	r = tl_proc_is_own_pidns(proc_root);
	if (r < 0)
		return r;
	p.ns_per_tick = 1000000000ULL / (uint64_t)hz;
	p.o = calloc(1, sizeof(*p.o));
	buf = malloc(ITER_BUF_SIZE);
	if (!p.o || !buf) {
		r = -ENOMEM;
		goto out;
	}
	skel = owners_bpf__open();
	if (!skel) {
		r = errno ? -errno : -EINVAL;
		goto out;
	}
	skel->rodata->overflow_uid = overflow_uid(proc_root);
	r = owners_bpf__load(skel);
	if (r) {
		r = r < 0 ? r : -EINVAL;
		goto out;
	}
	r = owners_bpf__attach(skel);
	if (r < 0)
		goto out;
	r = read_iter(&p, skel->links.tl_tasks_fd, sizeof(struct tl_bpf_task),
		      buf, true);
	if (r < 0)
		goto out;
	/*
	 * The iterator walks pids in ascending order, so leaders come sorted;
	 * the fd pass looks them up by pid, and cpu[] is parallel to them.
	 */
	for (size_t i = 1; i < p.o->n_procs; i++)
		if (p.o->procs[i - 1].pid >= p.o->procs[i].pid) {
			r = -EIO;
			goto out;
		}
	r = read_iter(&p, skel->links.tl_files_fd, sizeof(struct tl_bpf_fd),
		      buf, false);
	if (r < 0)
		goto out;
	/*
	 * This process is in its own namespace under the pid getpid() says:
	 * without it the programs did not name processes as /proc does, and
	 * an answer would be wrong rather than empty.
	 */
	if (proc_index(p.o, (uint32_t)getpid()) < 0) {
		r = -EIO;
		goto out;
	}
	finish_cpu(&p);
	r = tli_owners_sort(p.o);
	if (r < 0)
		goto out;
	p.o->backend = TL_OWNERS_BPF;
	*ret = p.o;
	p.o = NULL;
out:
	owners_bpf__destroy(skel);
	free(buf);
	free(p.cpu);
	free(p.threads);
	tl_owners_free(p.o);
	return r;
}
