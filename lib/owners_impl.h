/* SPDX-License-Identifier: MIT */
/*
 * What the owners passes share inside the library: the /proc pass of one
 * process (owners.c), used by the single-thread scan and by each thread of
 * the parallel one (owners_take.c), and the sort that ends every pass,
 * BPF's included. Not installed.
 */
#ifndef TL_OWNERS_IMPL_H
#define TL_OWNERS_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tcplimbo/owners.h"

/* One getdents64 buffer per scan; large so big fd tables need few calls. */
#define DENTS_BUF_SIZE (64 * 1024)

/* One /proc pass (or one thread's share of it). */
struct scan {
	int proc_fd;
	unsigned flags;
	char *dents; /* DENTS_BUF_SIZE bytes */
	struct tl_owners *o;
	size_t procs_cap;
	size_t refs_cap;
};

/*
 * Scans one process into s->o: its tl_proc at the end of procs and its
 * refs at the end of refs (their proc is its index in s->o). Returns 0
 * (kept, or skipped because it vanished) or -ENOMEM.
 */
int tli_owners_scan_proc(struct scan *s, pid_t pid);

/* The task flag of a kernel thread (field 9 of /proc/PID/stat). */
#define PF_KTHREAD 0x00200000
/* /proc/PID/stat's flags: the process is exiting, or a zombie. */
#define PF_EXITING 0x00000004

/* tl_proc_parse_stat, with the task's flags (field 9) too. */
int tli_proc_parse_stat(const char *buf, size_t len, char comm[TL_COMM_MAX],
			uint64_t *ret_start_ticks, uint64_t *ret_cpu_ticks,
			pid_t *ret_ppid, uint64_t *ret_flags);

/*
 * Lists the pids in proc_fd into *ret (malloc'd) and their count into
 * *ret_n, reusing dents. Returns 0 or -errno.
 */
int tli_owners_list_pids(int proc_fd, char *dents, pid_t **ret, size_t *ret_n);

/*
 * The lookup index: the refs are cut by inode into ranges of 2^shift
 * inodes from the smallest, and start[b] is the first ref of range b
 * (start[n] is n_refs). A lookup reads one entry here and searches the
 * few refs of its range, where a binary search over a million refs
 * would take some twenty steps, most of them cache misses.
 */
struct tl_owners_index {
	uint32_t min; /* refs[0].inode */
	unsigned shift;
	size_t n; /* ranges */
	uint32_t start[];
};

/*
 * Orders procs by pid (renumbering refs) and refs by inode, stably, so
 * refs of one inode stay in (process, fd) order, and builds the lookup
 * index. Returns 0 or -ENOMEM.
 */
int tli_owners_sort(struct tl_owners *o);

/*
 * The BPF pass (lib/owners_bpf.c, or its stub that returns -EOPNOTSUPP).
 * proc_root is the /proc the result must agree with: the pass refuses
 * with -EXDEV when it is not a /proc of the caller's own pid namespace.
 * Returns 0 and sets *ret, or -errno.
 */
int tli_owners_bpf_scan(const char *proc_root, unsigned flags,
			struct tl_owners **ret);

#endif
