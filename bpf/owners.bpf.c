// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The owners pass through the kernel: two iterators that user space reads
 * once each, through a link it owns (no pinning).
 *
 * iter/task writes every task: a thread group leader with what
 * /proc/PID/stat, /proc/PID/limits and the owner of /proc/PID/fd say; any
 * other thread only with its CPU time, which user space adds to its
 * leader's.
 *
 * iter/task_file writes every socket fd of every thread group leader, and
 * after a leader's last fd the count of its open fds. Only leaders: that
 * is the table /proc/PID/fd shows, and the kernel already skips threads
 * that share it.
 *
 * Both go through bpf_seq_write; when the buffer is full the kernel shows
 * the same object again on the next read, so state here only moves on a
 * write that succeeded.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "owners.h"

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define PF_KTHREAD 0x00200000
#define PF_WQ_WORKER 0x00000020
#define RLIMIT_NOFILE 7
/* get_dumpable(): the low two bits of mm->flags; 1 is SUID_DUMP_USER. */
#define MMF_DUMPABLE_MASK 3UL
#define SUID_DUMP_USER 1UL

/* The leader whose fds are being counted, and the count so far. */
__u32 cur_tgid = 0;
__u32 cur_nfds = 0;

/*
 * /proc/PID is owned by the task's euid unless its mm is not dumpable
 * (setuid programs, PR_SET_DUMPABLE 0), then by root; kernel threads by
 * root. (A not dumpable process in a user namespace is owned by that
 * namespace's root; this says 0.)
 */
static __always_inline __u32 dump_owner(struct task_struct *t)
{
	struct mm_struct *mm;
	unsigned long mmflags = 0;

	if (BPF_CORE_READ(t, flags) & PF_KTHREAD)
		return 0;
	mm = BPF_CORE_READ(t, mm);
	if (mm) {
		/* mm->flags became a bitmap in 6.18; its first word is the
		 * old unsigned long either way. */
		bpf_core_read(&mmflags, sizeof(mmflags), &mm->flags);
		if ((mmflags & MMF_DUMPABLE_MASK) != SUID_DUMP_USER)
			return 0;
	}
	return BPF_CORE_READ(t, cred, euid.val);
}

/* The name /proc/PID/stat shows (proc_task_name). */
static __always_inline void task_comm(struct task_struct *t, char *comm)
{
	unsigned int flags = BPF_CORE_READ(t, flags);
	struct kthread *kt;
	char *full = NULL;

	bpf_core_read_str(comm, 16, &t->comm);
	if (!(flags & PF_KTHREAD))
		return;
	kt = (struct kthread *)BPF_CORE_READ(t, worker_private);
	if (!kt)
		return;
	if (flags & PF_WQ_WORKER) {
		struct worker *w = BPF_CORE_READ(kt, data);
		long off;

		if (!w)
			return;
		off = bpf_probe_read_kernel_str(comm, 16, &t->comm);
		if (off <= 0 || off > 16)
			return;
		off--;
		comm[off & 15] = BPF_CORE_READ(w, current_work) ? '+' : '-';
		if (bpf_probe_read_kernel_str(comm + (off & 15) + 1, 32,
					      &w->desc) <= 1)
			comm[off & 15] = '\0';
		return;
	}
	full = BPF_CORE_READ(kt, full_name);
	if (full)
		bpf_probe_read_kernel_str(comm, TL_BPF_COMM_MAX, full);
}

SEC("iter/task")
int tl_tasks(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *t = ctx->task;
	struct tl_bpf_task r = {};
	struct signal_struct *sig;

	if (!t)
		return 0;
	r.tgid = t->tgid;
	r.tid = t->pid;
	r.runtime_ns = t->se.sum_exec_runtime;
	if (r.tgid != r.tid) {
		bpf_seq_write(seq, &r, sizeof(r));
		return 0;
	}
	r.ppid = BPF_CORE_READ(t, real_parent, tgid);
	r.uid = dump_owner(t);
	r.start_ns = t->start_boottime;
	sig = t->signal;
	r.sig_runtime_ns = BPF_CORE_READ(sig, sum_sched_runtime);
	r.prev_utime_ns = BPF_CORE_READ(sig, prev_cputime.utime);
	r.prev_stime_ns = BPF_CORE_READ(sig, prev_cputime.stime);
	r.nofile_cur = BPF_CORE_READ(sig, rlim[RLIMIT_NOFILE].rlim_cur);
	r.nofile_max = BPF_CORE_READ(sig, rlim[RLIMIT_NOFILE].rlim_max);
	task_comm(t, r.comm);
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}

/* Writes the count of the leader that just ended; 0 when it fit. */
static __always_inline int flush_count(struct seq_file *seq)
{
	struct tl_bpf_fd r = {};

	if (!cur_tgid)
		return 0;
	r.tgid = cur_tgid;
	r.fd = cur_nfds;
	r.flags = TL_BPF_FD_COUNT;
	if (bpf_seq_write(seq, &r, sizeof(r)))
		return -1;
	cur_tgid = 0;
	cur_nfds = 0;
	return 0;
}

SEC("iter/task_file")
int tl_files(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *t = ctx->task;
	struct file *f = ctx->file;
	struct tl_bpf_fd r = {};
	__u32 tgid;
	umode_t mode;

	/* The call after the last object: end the last leader. */
	if (!t || !f) {
		flush_count(seq);
		return 0;
	}
	tgid = t->tgid;
	if (tgid != (__u32)t->pid)
		return 0;
	if (tgid != cur_tgid) {
		if (flush_count(seq))
			return 0;
		cur_tgid = tgid;
	}
	mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) == S_IFSOCK) {
		unsigned long ino = BPF_CORE_READ(f, f_inode, i_ino);

		r.tgid = tgid;
		r.fd = ctx->fd;
		r.inode = ino > 0xffffffffUL ? 0 : (__u32)ino;
		if (bpf_seq_write(seq, &r, sizeof(r)))
			return 0;
	}
	cur_nfds++;
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
