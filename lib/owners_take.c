// SPDX-License-Identifier: MIT
/*
 * owners_take: the choice of owners backend, and the /proc pass spread
 * over threads.
 *
 * The parallel pass lists the pids once, then each thread takes the next
 * few pids from a shared counter (so one process with a million fds does
 * not leave the other threads idle behind it) and scans them into its own
 * arrays. The merge walks the pids in order and copies each process and
 * its refs, so the result is the single-thread pass's, entry for entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "owners_impl.h"
#include "util.h"
#include "tcplimbo/owners.h"

/* Pids a thread takes at once: few, because one may hold most fds. */
#define PIDS_PER_GRAB 4

/* Where one pid's result went: which thread, and its proc and refs. */
struct slot {
	uint32_t thread;
	uint32_t proc; /* UINT32_MAX: vanished, nothing kept */
	size_t ref_start, ref_end;
};

struct shared {
	const pid_t *pids;
	size_t n_pids;
	size_t next; /* the next pid to take; atomic */
	int failed;  /* atomic: a thread ran out of memory, all stop */
	struct slot *slots;
};

struct worker {
	struct scan s;
	struct shared *sh;
	uint32_t idx;
	pthread_t tid;
	bool started;
	int err;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct tl_owners *o = w->s.o;

	for (;;) {
		size_t first = __atomic_fetch_add(&sh->next, PIDS_PER_GRAB,
						  __ATOMIC_RELAXED);

		if (first >= sh->n_pids ||
		    __atomic_load_n(&sh->failed, __ATOMIC_RELAXED))
			break;
		for (size_t i = first;
		     i < first + PIDS_PER_GRAB && i < sh->n_pids; i++) {
			size_t procs = o->n_procs, refs = o->n_refs;
			int r = tli_owners_scan_proc(&w->s, sh->pids[i]);

			if (r < 0) {
				w->err = r;
				__atomic_store_n(&sh->failed, 1,
						 __ATOMIC_RELAXED);
				return NULL;
			}
			sh->slots[i] = (struct slot){
				.thread = w->idx,
				.proc = o->n_procs > procs ? (uint32_t)procs :
							     UINT32_MAX,
				.ref_start = refs,
				.ref_end = o->n_refs,
			};
		}
	}
	return NULL;
}

/* Copies every thread's results into one tl_owners, in pid order. */
static int merge(struct worker *w, unsigned n, const struct shared *sh,
		 struct tl_owners *out)
{
	size_t n_procs = 0, n_refs = 0;

	for (unsigned t = 0; t < n; t++) {
		n_procs += w[t].s.o->n_procs;
		n_refs += w[t].s.o->n_refs;
		out->n_denied += w[t].s.o->n_denied;
	}
	out->procs = calloc(n_procs ? n_procs : 1, sizeof(*out->procs));
	out->refs = calloc(n_refs ? n_refs : 1, sizeof(*out->refs));
	if (!out->procs || !out->refs)
		return -ENOMEM;
	for (size_t i = 0; i < sh->n_pids; i++) {
		const struct slot *sl = &sh->slots[i];
		const struct tl_owners *o;

		if (sl->proc == UINT32_MAX)
			continue;
		o = w[sl->thread].s.o;
		for (size_t k = sl->ref_start; k < sl->ref_end; k++) {
			out->refs[out->n_refs] = o->refs[k];
			out->refs[out->n_refs++].proc = (uint32_t)out->n_procs;
		}
		out->procs[out->n_procs++] = o->procs[sl->proc];
	}
	return 0;
}

static int scan_threads(const char *proc_root, unsigned flags, unsigned threads,
			struct tl_owners **ret)
{
	struct shared sh = { 0 };
	struct worker *w = NULL;
	struct tl_owners *out = NULL;
	pid_t *pids = NULL;
	char *dents = NULL;
	int proc_fd, r;
	unsigned n = 0;

	proc_fd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd < 0)
		return -errno;
	dents = malloc(DENTS_BUF_SIZE);
	if (!dents) {
		r = -ENOMEM;
		goto out;
	}
	r = tli_owners_list_pids(proc_fd, dents, &pids, &sh.n_pids);
	if (r < 0)
		goto out;
	sh.pids = pids;
	if (threads > sh.n_pids)
		threads = sh.n_pids ? (unsigned)sh.n_pids : 1;
	sh.slots = calloc(sh.n_pids ? sh.n_pids : 1, sizeof(*sh.slots));
	w = calloc(threads, sizeof(*w));
	out = calloc(1, sizeof(*out));
	if (!sh.slots || !w || !out) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < sh.n_pids; i++)
		sh.slots[i].proc = UINT32_MAX;
	for (n = 0; n < threads; n++) {
		w[n] = (struct worker){ .sh = &sh, .idx = n };
		w[n].s = (struct scan){ .proc_fd = proc_fd, .flags = flags };
		/* The first thread takes over the listing's buffer. */
		w[n].s.dents = n == 0 ? dents : malloc(DENTS_BUF_SIZE);
		if (n == 0)
			dents = NULL;
		w[n].s.o = calloc(1, sizeof(*w[n].s.o));
		if (!w[n].s.dents || !w[n].s.o) {
			r = -ENOMEM;
			n++;
			goto out;
		}
	}
	/* This thread is worker 0; the others start beside it. */
	for (unsigned t = 1; t < threads; t++) {
		r = -pthread_create(&w[t].tid, NULL, work, &w[t]);
		if (r < 0)
			break;
		w[t].started = true;
	}
	/* Fewer threads than asked still give the whole result. */
	work(&w[0]);
	r = 0;
	for (unsigned t = 0; t < threads; t++) {
		if (w[t].started)
			pthread_join(w[t].tid, NULL);
		if (w[t].err < 0)
			r = w[t].err;
	}
	if (r < 0)
		goto out;
	r = merge(w, threads, &sh, out);
	if (r < 0)
		goto out;
	r = tli_owners_sort(out);
	if (r < 0)
		goto out;
	out->backend = TL_OWNERS_PROC;
	out->threads = threads;
	*ret = out;
	out = NULL;
out:
	for (unsigned t = 0; t < n; t++) {
		free(w[t].s.dents);
		tl_owners_free(w[t].s.o);
	}
	free(w);
	free(sh.slots);
	free(pids);
	free(dents);
	tl_owners_free(out);
	close(proc_fd);
	return r;
}

/*
 * The machine's open files, from sys/fs/file-nr's first number (its
 * allocated file handles); UINT64_MAX when it cannot be read, so that the
 * choice falls to bpf.
 */
static uint64_t open_files(const char *proc_root)
{
	char path[PATH_MAX], buf[64];
	const char *p = buf;
	uint64_t v;
	ssize_t len;

	if (snprintf(path, sizeof(path), "%s/sys/fs/file-nr", proc_root) >=
	    (int)sizeof(path))
		return UINT64_MAX;
	len = tli_read_file_at(AT_FDCWD, path, buf, sizeof(buf) - 1);
	if (len <= 0)
		return UINT64_MAX;
	if (tli_parse_u64(&p, buf + len, UINT64_MAX, &v) < 0)
		return UINT64_MAX;
	return v;
}

int tl_owners_scan_bpf(unsigned flags, struct tl_owners **ret)
{
	if (!ret)
		return -EINVAL;
	return tli_owners_bpf_scan("/proc", flags, ret);
}

int tl_owners_take(const struct tl_owners_opts *opts, struct tl_owners **ret)
{
	const char *root = opts && opts->proc_root ? opts->proc_root : "/proc";
	bool real = strcmp(root, "/proc") == 0;
	unsigned threads;
	uint64_t files = 0;
	int r, bpf_r = 0;

	if (!opts || !ret)
		return -EINVAL;
	switch (opts->backend) {
	case TL_OWNERS_BPF:
		/* The iterators see this machine, not a tree of files. */
		if (!real)
			return -EINVAL;
		return tli_owners_bpf_scan(root, opts->flags, ret);
	case TL_OWNERS_AUTO:
		if (!real)
			break;
		/* Few open files: the /proc pass is cheaper than loading. */
		files = open_files(root);
		if (files < TL_OWNERS_BPF_MIN_FILES)
			break;
		bpf_r = tli_owners_bpf_scan(root, opts->flags, ret);
		/* Anything but memory: the /proc pass still works. */
		if (bpf_r == 0 || bpf_r == -ENOMEM)
			return bpf_r;
		break;
	case TL_OWNERS_PROC:
		break;
	default:
		return -EINVAL;
	}
	threads = opts->threads ? opts->threads :
				  tli_cpus(TL_OWNERS_MAX_THREADS);
	if (threads > TL_OWNERS_MAX_THREADS)
		threads = TL_OWNERS_MAX_THREADS;
	if (threads == 1)
		r = tl_owners_scan(root, opts->flags, ret);
	else
		r = scan_threads(root, opts->flags, threads, ret);
	if (r == 0 && opts->backend == TL_OWNERS_AUTO && real) {
		(*ret)->bpf_error = bpf_r;
		(*ret)->open_files = files;
	}
	if (r == 0)
		(*ret)->hidden = tli_proc_hides_others(root);
	return r;
}

const char *tl_owners_backend_name(enum tl_owners_backend b)
{
	switch (b) {
	case TL_OWNERS_AUTO:
		return "auto";
	case TL_OWNERS_BPF:
		return "bpf";
	case TL_OWNERS_PROC:
		return "proc";
	}
	return "?";
}

int tl_owners_backend_parse(const char *s, enum tl_owners_backend *ret)
{
	static const enum tl_owners_backend all[] = { TL_OWNERS_AUTO,
						      TL_OWNERS_BPF,
						      TL_OWNERS_PROC };

	if (!s || !ret)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (strcmp(s, tl_owners_backend_name(all[i])) == 0) {
			*ret = all[i];
			return 0;
		}
	return -EINVAL;
}
