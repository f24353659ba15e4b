/* SPDX-License-Identifier: MIT */
/*
 * owners: one pass over /proc that maps socket inodes to the processes and
 * file descriptors holding them, with each process's fd use and limit.
 */
#ifndef TCPLIMBO_OWNERS_H
#define TCPLIMBO_OWNERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest comm we keep; the kernel's is 16 but /proc text is untrusted. */
#define TL_COMM_MAX 64

/* One process seen in /proc. */
struct tl_proc {
	pid_t pid;
	pid_t ppid; /* parent, from /proc/PID/stat; 0 when unknown */
	/*
	 * The owner of /proc/PID/fd as stat() shows it: the euid, or the
	 * root of the user namespace the process was exec'd in if it is not
	 * dumpable (0 if that root has no uid here).
	 */
	uid_t uid;
	uint32_t nfds;	 /* open fds counted in /proc/PID/fd */
	uint64_t nofile; /* RLIMIT_NOFILE soft: UINT64_MAX unlimited, 0 unknown */
	uint64_t nofile_hard;
	uint64_t start_ticks; /* starttime from /proc/PID/stat, clock ticks */
	uint64_t cpu_ticks;   /* utime + stime from /proc/PID/stat */
	int fd_error; /* 0, or -errno when /proc/PID/fd could not be read */
	char comm[TL_COMM_MAX]; /* may hold spaces and ')' */
};

/* One (socket inode, process, fd) triple. */
struct tl_fdref {
	uint32_t inode;
	uint32_t proc; /* index into tl_owners.procs */
	int32_t fd;
};

/* Private to the library: where each range of inodes starts in refs. */
struct tl_owners_index;

/* Which pass filled a tl_owners. */
enum tl_owners_backend {
	TL_OWNERS_AUTO = 0, /* asked: bpf when it loads, else proc */
	TL_OWNERS_BPF,	    /* the kernel's task and task-file iterators */
	TL_OWNERS_PROC,	    /* readlink of every /proc/PID/fd entry */
};

/* The result of a scan: processes, and refs sorted by inode. */
struct tl_owners {
	struct tl_proc *procs;
	size_t n_procs;
	struct tl_fdref *refs;
	size_t n_refs;
	size_t n_denied; /* processes whose fds we could not read (EACCES) */
	/*
	 * /proc hides other users' processes from this one (mounted with
	 * hidepid=invisible or ptraceable): they are not even counted in
	 * n_denied, and their sockets have no owner.
	 */
	bool hidden;
	enum tl_owners_backend backend; /* BPF or PROC: the one used */
	unsigned threads;		/* threads the /proc pass used */
	/* Why AUTO fell back to /proc: the BPF pass's -errno, else 0. */
	int bpf_error;
	/* AUTO on /proc: the machine's open files it chose by, else 0. */
	uint64_t open_files;
	/*
	 * The library's lookup index over refs, which tl_owners_find uses
	 * when it is set. A tl_owners made by hand leaves it NULL; one whose
	 * refs change must free it and set it to NULL.
	 */
	struct tl_owners_index *index;
};

/* What the scan reads besides the fds. */
enum tl_owners_flags {
	TL_OWNERS_LIMITS = 1 << 0, /* read /proc/PID/limits for nofile */
	TL_OWNERS_STAT = 1 << 1,   /* times; stat is read for comm anyway */
};

/*
 * Scans proc_root (normally "/proc") once. Processes that vanish during
 * the scan are skipped; unreadable fd directories are counted in n_denied
 * and noted in the process's fd_error. Returns 0 and sets *ret, or -errno
 * (only for failures that leave no useful result, such as -ENOMEM or an
 * unreadable proc_root).
 */
int tl_owners_scan(const char *proc_root, unsigned flags,
		   struct tl_owners **ret);

/* How to take owners (tl_owners_take). */
struct tl_owners_opts {
	const char *proc_root; /* NULL means "/proc" */
	unsigned flags;	       /* enum tl_owners_flags */
	enum tl_owners_backend backend;
	/*
	 * Threads for the /proc pass: 0 means one per CPU we may run on (at
	 * most TL_OWNERS_MAX_THREADS), 1 the single-thread pass.
	 */
	unsigned threads;
};

/*
 * AUTO tries the BPF iterators only when the machine has at least this
 * many open files (sys/fs/file-nr): below it, reading /proc costs less
 * than loading the programs and the kernel's BTF. Loading took 5-6 ms on
 * kernel 6.18 (0.1 s and more on a loaded machine) and the /proc pass
 * about 3.5 us per fd, so the two meet near 2,000 files where loading is
 * quick; 10,000 keeps a slow load from costing more than the pass saves.
 */
#define TL_OWNERS_BPF_MIN_FILES 10000

/* The most threads the /proc pass starts, whatever is asked. */
#define TL_OWNERS_MAX_THREADS 64

/*
 * Takes owners with the backend opts asks for. AUTO tries the BPF
 * iterators when proc_root is /proc and the machine has at least
 * TL_OWNERS_BPF_MIN_FILES open files, and falls back to the /proc pass when
 * they do not load (no CAP_BPF/CAP_PERFMON, a kernel without them, a build
 * without bpf); the result's backend field says which ran. Forcing BPF
 * returns its error: -EOPNOTSUPP when the build has no bpf, -EPERM when
 * the kernel refuses, -EINVAL with another proc_root, -EXDEV when /proc is
 * not a /proc of the caller's own pid namespace (the iterators walk only
 * that namespace; AUTO then uses the /proc pass). Both backends give
 * the same result on the same processes (same order, same fields); the
 * /proc pass gives the same result with any number of threads.
 */
int tl_owners_take(const struct tl_owners_opts *opts, struct tl_owners **ret);

/*
 * The BPF backend alone, agreeing with /proc: -EOPNOTSUPP when the build
 * has no bpf, -EXDEV when /proc is not a /proc of the caller's own pid
 * namespace, the loader's -errno otherwise. flags are accepted for
 * symmetry; the iterators always give limits and times.
 */
int tl_owners_scan_bpf(unsigned flags, struct tl_owners **ret);

/* "auto", "bpf" or "proc". */
const char *tl_owners_backend_name(enum tl_owners_backend b);

/* Parses "auto", "bpf" or "proc"; returns 0 or -EINVAL. */
int tl_owners_backend_parse(const char *s, enum tl_owners_backend *ret);

/* Frees a scan; NULL is fine. */
void tl_owners_free(struct tl_owners *o);

/*
 * Finds the refs for one inode: returns how many there are (0 if none) and
 * points *first at the first of them (they are contiguous).
 */
size_t tl_owners_find(const struct tl_owners *o, uint32_t inode,
		      const struct tl_fdref **first);

/* Returns the process with this pid, or NULL. */
const struct tl_proc *tl_owners_proc(const struct tl_owners *o, pid_t pid);

/*
 * Parses the text of /proc/PID/stat (len bytes, need not be terminated):
 * the comm between the first '(' and the last ')', then the parent's pid,
 * starttime and utime+stime (each ret_ may be NULL). The parent tells a
 * pre-forking server's master from its workers. Returns 0 or -EINVAL.
 */
int tl_proc_parse_stat(const char *buf, size_t len, char comm[TL_COMM_MAX],
		       uint64_t *ret_start_ticks, uint64_t *ret_cpu_ticks,
		       pid_t *ret_ppid);

/*
 * Whether proc_root (NULL: /proc) is a /proc of this process's own pid
 * namespace, so that the pids it shows are this process's to use
 * (pidfd_open, kill). Its self/status's NSpid gives this process's pid in
 * that /proc's namespace and in each namespace below it down to its own:
 * one entry means they are the same. Returns 0 if so; -EXDEV for a /proc
 * of an outer namespace (as after unshare --pid --fork without
 * --mount-proc) or of one this process is not in (it has no self); other
 * -errno when status cannot be read or proc_root is no directory
 * (-ENOENT, -ENOTDIR).
 */
int tl_proc_is_own_pidns(const char *proc_root);

/*
 * Parses the text of /proc/PID/limits for "Max open files". Returns 0 and
 * sets soft and hard (UINT64_MAX for "unlimited"), or -ENOENT/-EINVAL.
 */
int tl_proc_parse_limits(const char *buf, size_t len, uint64_t *ret_soft,
			 uint64_t *ret_hard);

/*
 * Parses a /proc/PID/fd link target; returns the inode of "socket:[N]",
 * or 0 when it is not a socket or N does not fit.
 */
uint32_t tl_proc_parse_socket_link(const char *buf, size_t len);

/*
 * Reads /proc/PID/cmdline (under proc_root; NULL is /proc) into buf (size
 * bytes, always terminated), with the NUL separators turned into spaces.
 * Returns the length or -errno.
 */
int tl_proc_read_cmdline(const char *proc_root, pid_t pid, char *buf,
			 size_t size);

/*
 * Returns the process (thread group) that task pid under proc_root (NULL:
 * /proc) belongs to: pid itself for a process, its process's pid for a
 * thread, which /proc does not list but still answers for. -ENOENT when
 * there is no such task, -EINVAL when status has no Tgid line, other
 * -errno from reading it.
 */
int tl_proc_tgid(const char *proc_root, pid_t pid);

/*
 * Whether process b under proc_root (NULL: /proc) is a fork of a's image,
 * or a's of b's, with no exec() since: their /proc/PID/exe are one file and
 * their program sits at the same addresses (startstack and arg_start,
 * which exec() draws afresh under ASLR and fork() copies). A worker that
 * renames itself without exec is one; a script started by another of the
 * same interpreter is not. 1 if so, 0 if not, or -errno where it cannot
 * be told (-EACCES without ptrace access to either, -ENOENT for an exited
 * one or a kernel thread).
 */
int tl_proc_same_image(const char *proc_root, pid_t a, pid_t b);

#ifdef __cplusplus
}
#endif
#endif
