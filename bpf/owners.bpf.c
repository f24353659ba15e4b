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
 * that share it. But a leader whose main thread has exited (pthread_exit()
 * in main) while others live on has no table left: then one live
 * thread's is the process's, as /proc/PID/task/TID/fd shows.
 *
 * Both iterators walk the tasks of the reader's pid namespace only (the
 * kernel takes the namespace of the task that creates the iterator fd),
 * as a /proc mounted for that namespace lists them; every pid written is
 * the task's pid there, not its global one. User space checks that its
 * /proc is that namespace's. Likewise the owner's uid is the one the
 * reader's stat() of /proc/PID/fd gives: mapped through the reader's user
 * namespace.
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
/* The kernel refuses pid namespaces deeper than this (MAX_PID_NS_LEVEL). */
#define MAX_PID_NS_LEVEL 32
/* An id map holds at most this many extents (UID_GID_MAP_MAX_EXTENTS);
 * up to UID_GID_MAP_MAX_BASE_EXTENTS of them sit in the map itself. */
#define MAX_ID_EXTENTS 340
#define BASE_ID_EXTENTS 5
/* What from_kuid() answers for a kuid the namespace does not map. */
#define NO_ID ((__u32)-1)

/*
 * The uid /proc shows for a kuid the reader's user namespace does not map
 * (from_kuid_munged: the kernel.overflowuid sysctl), set by user space
 * before loading.
 */
const volatile __u32 overflow_uid = 65534;

/* The leader whose fds are being counted (its global tgid), the pid it
 * is written with, and the count so far. */
__u32 cur_key = 0;
__u32 cur_tgid = 0;
__u32 cur_nfds = 0;

/*
 * For a process whose leader has no fd table left: the one thread whose
 * table is counted (by global tgid). The kernel shows each such thread,
 * as none shares its leader's table; they share one another's (a thread
 * that unshared its own is the first's only if it comes first). Few: a
 * process past the map's size goes uncounted. A main thread that exits
 * between the leader's run and another thread's shows the table twice:
 * user space keeps the first run.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} leaderless SEC(".maps");

/* Whether thread t, not its group's leader, counts for its process. */
static __always_inline bool counts_for_leader(struct task_struct *t, __u32 tgid)
{
	__u32 tid = (__u32)t->pid, *first;

	if (BPF_CORE_READ(t, group_leader, files))
		return false;
	first = bpf_map_lookup_elem(&leaderless, &tgid);
	if (first)
		return *first == tid;
	bpf_map_update_elem(&leaderless, &tgid, &tid, BPF_NOEXIST);
	first = bpf_map_lookup_elem(&leaderless, &tgid);
	return first && *first == tid;
}

/*
 * The pid namespace the iterators walk: the reader's (task_active_pid_ns
 * of the task reading the iterator fd, which is current here), and its
 * level.
 */
static __always_inline struct pid_namespace *reader_pidns(unsigned int *level)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct pid *pid = BPF_CORE_READ(cur, thread_pid);
	unsigned int lvl;
	struct upid up = {};

	if (!pid)
		return NULL;
	lvl = BPF_CORE_READ(pid, level);
	if (lvl > MAX_PID_NS_LEVEL)
		return NULL;
	if (bpf_probe_read_kernel(
		    &up, sizeof(up),
		    (void *)pid + bpf_core_field_offset(struct pid, numbers) +
			    lvl * bpf_core_type_size(struct upid)))
		return NULL;
	*level = lvl;
	return up.ns;
}

/*
 * pid_nr_ns(): the number pid has in ns, which sits at level; 0 when pid
 * is not seen there (a parent outside the reader's namespace), as /proc
 * prints it.
 */
static __always_inline __u32 pid_nr_in(struct pid *pid,
				       struct pid_namespace *ns,
				       unsigned int level)
{
	struct upid up = {};

	if (!pid || !ns || BPF_CORE_READ(pid, level) < level)
		return 0;
	if (bpf_probe_read_kernel(
		    &up, sizeof(up),
		    (void *)pid + bpf_core_field_offset(struct pid, numbers) +
			    level * bpf_core_type_size(struct upid)))
		return 0;
	return up.ns == ns && up.nr > 0 ? (__u32)up.nr : 0;
}

/* task_tgid_nr_ns(): the task's process id in ns, or 0. */
static __always_inline __u32 tgid_in(struct task_struct *t,
				     struct pid_namespace *ns,
				     unsigned int level)
{
	return pid_nr_in(BPF_CORE_READ(t, signal, pids[PIDTYPE_TGID]), ns,
			 level);
}

/*
 * The uid map's layout, each offset relocated from struct user_namespace.
 * The kernel keeps the candidates of the last 31 type names it relocated,
 * one name a slot, chosen by a hash of the name. "uid_gid_map" and
 * "uid_gid_extent" share slots with "pid" and "mm_struct", which this
 * program needs too: each load then searched the kernel's whole BTF
 * (125,000 types here) again, once for every turn of a slot. Through
 * user_namespace, which the program relocates anyway, neither name is
 * needed.
 */
#define UID_MAP_OFF(f) bpf_core_field_offset(struct user_namespace, uid_map.f)
#define EXTENT_OFF(f) (UID_MAP_OFF(extent[0].f) - UID_MAP_OFF(extent[0]))
#define EXTENT_SIZE (UID_MAP_OFF(extent[1]) - UID_MAP_OFF(extent[0]))

/* map_id's search, as bpf_loop hands it to each step. */
struct map_id_ctx {
	__u64 ext; /* the address of the first extent */
	__u32 id, up;
	__u32 ret; /* the id found, or NO_ID */
};

/* One extent of map_id's search: 1 stops the loop. */
static long map_id_step(__u64 i, void *data)
{
	struct map_id_ctx *c = data;
	__u64 e = c->ext + i * EXTENT_SIZE;
	__u32 first = 0, lower_first = 0, count = 0, from, to;

	if (bpf_probe_read_kernel(&first, sizeof(first),
				  (void *)(e + EXTENT_OFF(first))) ||
	    bpf_probe_read_kernel(&lower_first, sizeof(lower_first),
				  (void *)(e + EXTENT_OFF(lower_first))) ||
	    bpf_probe_read_kernel(&count, sizeof(count),
				  (void *)(e + EXTENT_OFF(count))))
		return 1;
	from = c->up ? lower_first : first;
	to = c->up ? first : lower_first;
	if (c->id >= from && c->id - from < count) {
		c->ret = c->id - from + to;
		return 1;
	}
	return 0;
}

/*
 * One id through one user namespace's map, as map_id_down() (up false:
 * from the namespace's ids to the kernel's) or map_id_up() (up true: the
 * other way) do it. NO_ID when no extent holds it. The extents are
 * searched in order, which finds the one the kernel's bsearch finds: they
 * do not overlap. The search runs in bpf_loop (5.17), whose step the
 * verifier checks once: a loop of up to 340 extents written out at each
 * of the three callers took it 70,000 instructions, 0.06 s of every ls.
 */
static __always_inline __u32 map_id(struct user_namespace *ns, __u32 id,
				    bool up)
{
	struct map_id_ctx c = { .id = id, .up = up, .ret = NO_ID };
	__u64 map = (__u64)ns;
	__u32 n = 0;

	if (bpf_probe_read_kernel(&n, sizeof(n),
				  (void *)(map + UID_MAP_OFF(nr_extents))))
		return NO_ID;
	if (n <= BASE_ID_EXTENTS)
		c.ext = map + UID_MAP_OFF(extent[0]);
	else if (bpf_probe_read_kernel(&c.ext, sizeof(c.ext),
				       (void *)(map + UID_MAP_OFF(forward))))
		return NO_ID;
	bpf_loop(n < MAX_ID_EXTENTS ? n : MAX_ID_EXTENTS, map_id_step, &c, 0);
	return c.ret;
}

/*
 * /proc/PID/fd is owned by the task's euid unless its mm is not dumpable
 * (setuid programs, PR_SET_DUMPABLE 0), then by the root of the user
 * namespace the mm was made in (0 when that root has no kernel uid); kernel
 * threads and tasks without an mm by root (task_dump_owner()). stat() then
 * shows that kuid as the reader's user namespace maps it, overflow_uid when
 * it does not (from_kuid_munged()).
 */
static __always_inline __u32 dump_owner(struct task_struct *t)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct user_namespace *reader;
	struct mm_struct *mm;
	unsigned long mmflags = 0;
	__u32 kuid = 0;

	mm = BPF_CORE_READ(t, mm);
	if (mm && !(BPF_CORE_READ(t, flags) & PF_KTHREAD)) {
		/* mm->flags became a bitmap in 6.18; its first word is the
		 * old unsigned long either way. */
		bpf_core_read(&mmflags, sizeof(mmflags), &mm->flags);
		if ((mmflags & MMF_DUMPABLE_MASK) == SUID_DUMP_USER) {
			kuid = BPF_CORE_READ(t, real_cred, euid.val);
		} else {
			struct user_namespace *ns = BPF_CORE_READ(mm, user_ns);

			/* make_kuid(ns, 0); the initial namespace maps every
			 * id to itself, so there it is 0. */
			if (ns && BPF_CORE_READ(ns, level) > 0) {
				kuid = map_id(ns, 0, false);
				if (kuid == NO_ID)
					kuid = 0;
			}
		}
	}
	reader = BPF_CORE_READ(cur, cred, user_ns);
	if (!reader || BPF_CORE_READ(reader, level) == 0)
		return kuid;
	kuid = map_id(reader, kuid, true);
	return kuid == NO_ID ? overflow_uid : kuid;
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
	struct pid_namespace *ns;
	unsigned int level = 0;

	if (!t)
		return 0;
	ns = reader_pidns(&level);
	r.tgid = tgid_in(t, ns, level);
	/* Not seen in the reader's namespace: /proc would not list it. */
	if (!r.tgid)
		return 0;
	r.runtime_ns = t->se.sum_exec_runtime;
	if (t->tgid != t->pid) {
		r.tid = pid_nr_in(BPF_CORE_READ(t, thread_pid), ns, level);
		if (r.tid && r.tid != r.tgid)
			bpf_seq_write(seq, &r, sizeof(r));
		return 0;
	}
	r.tid = r.tgid;
	r.ppid = tgid_in(BPF_CORE_READ(t, real_parent), ns, level);
	r.uid = dump_owner(t);
	r.start_ns = t->start_boottime;
	/*
	 * Read, not loaded: for a pointer loaded from a task the verifier
	 * looks for task_struct__safe_trusted and its kin by name, each a
	 * walk of the kernel's whole BTF, at every load of every ls.
	 */
	sig = BPF_CORE_READ(t, signal);
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

	if (!cur_key)
		return 0;
	r.tgid = cur_tgid;
	r.fd = cur_nfds;
	r.flags = TL_BPF_FD_COUNT;
	if (cur_tgid && bpf_seq_write(seq, &r, sizeof(r)))
		return -1;
	cur_key = 0;
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
	struct inode *inode;
	__u32 tgid;
	umode_t mode;

	/* The call after the last object: end the last leader. */
	if (!t || !f) {
		flush_count(seq);
		return 0;
	}
	tgid = t->tgid;
	if (tgid != (__u32)t->pid && !counts_for_leader(t, tgid))
		return 0;
	/* A new leader: its pid in the reader's namespace, found once. */
	if (tgid != cur_key) {
		struct pid_namespace *ns;
		unsigned int level = 0;

		if (flush_count(seq))
			return 0;
		ns = reader_pidns(&level);
		cur_key = tgid;
		cur_tgid = tgid_in(t, ns, level);
	}
	/* Not seen in the reader's namespace: /proc would not list it. */
	if (!cur_tgid)
		return 0;
	/*
	 * This runs for every fd on the machine, and its cost is the cache
	 * misses on the inodes, whatever reads them: plain loads the
	 * verifier checks were no faster here. The inode pointer is read
	 * once for both fields.
	 */
	inode = BPF_CORE_READ(f, f_inode);
	mode = BPF_CORE_READ(inode, i_mode);
	if ((mode & S_IFMT) == S_IFSOCK) {
		unsigned long ino = BPF_CORE_READ(inode, i_ino);

		r.tgid = cur_tgid;
		r.fd = ctx->fd;
		r.inode = ino > 0xffffffffUL ? 0 : (__u32)ino;
		if (bpf_seq_write(seq, &r, sizeof(r)))
			return 0;
	}
	cur_nfds++;
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
