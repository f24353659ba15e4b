/* SPDX-License-Identifier: MIT */
/*
 * The records bpf/owners.bpf.c writes through its two iterators, shared by
 * the BPF program and lib/owners_bpf.c. Only fixed-size kernel types, so
 * they mean the same on both sides.
 */
#ifndef TL_BPF_OWNERS_H
#define TL_BPF_OWNERS_H

#define TL_BPF_COMM_MAX 64

/* A tl_bpf_fd that carries a process's open-fd count, not a socket. */
#define TL_BPF_FD_COUNT 0x1

/*
 * One task, from iter/task. A thread that is not its group's leader only
 * fills tgid, tid and runtime_ns: user space adds its CPU time to the
 * leader's, as /proc/PID/stat does for the whole group.
 */
struct tl_bpf_task {
	__u32 tgid; /* pids in the reader's pid namespace, as its /proc's */
	__u32 tid;
	__u32 ppid;	/* 0 when the parent is outside that namespace */
	__u32 uid;	/* the owner of /proc/PID/fd, as the reader's stat() */
	__u64 start_ns; /* task->start_boottime */
	__u64 runtime_ns;     /* this thread's se.sum_exec_runtime */
	__u64 sig_runtime_ns; /* threads that exited (signal) */
	__u64 prev_utime_ns;  /* signal->prev_cputime: what /proc showed */
	__u64 prev_stime_ns;
	__u64 nofile_cur; /* RLIMIT_NOFILE; RLIM_INFINITY is ~0 */
	__u64 nofile_max;
	char comm[TL_BPF_COMM_MAX];
};

/*
 * One socket fd of a process, from iter/task_file; or, with
 * TL_BPF_FD_COUNT, the number of fds (of any kind) the process has open,
 * written after its last fd.
 */
struct tl_bpf_fd {
	__u32 tgid;
	__u32 fd;    /* or the count */
	__u32 inode; /* 0 when it does not fit 32 bits, as /proc's parse */
	__u32 flags; /* TL_BPF_FD_* */
};

#endif
