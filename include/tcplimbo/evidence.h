/* SPDX-License-Identifier: MIT */
/*
 * evidence: what a process named by a finding is doing instead of
 * accepting, read from /proc. The process state (stopped by a signal or a
 * debugger, zombie), when it last ran, what each thread waits in, whether
 * and how the listener sits in its epoll sets, how many of the listener's
 * connections it holds, and what its fds are. tl_evidence_conclude turns
 * that into a cause with its certainty and a remedy that fits it.
 *
 * This is read for the few processes findings name, never in a scan: a
 * gather costs one readlink per fd and a few reads per thread.
 */
#ifndef TCPLIMBO_EVIDENCE_H
#define TCPLIMBO_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tcplimbo/snapshot.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The most threads, epoll registrations and fds one gather looks at. */
#define TL_EV_THREADS_MAX 64
#define TL_EV_REGS_MAX 8
#define TL_EV_FDS_MAX 65536
#define TL_EV_WCHAN_MAX 32
/* Room for what a thread's fd is (tl_ev_thread.fd_what). */
#define TL_EV_FD_WHAT_MAX 96

/* Syscall tables: the numbers differ per architecture. */
enum tl_ev_arch {
	TL_EV_ARCH_X86_64 = 0,
	TL_EV_ARCH_ARM64,
	TL_EV_ARCH_MAX,
};

/* The architecture this library was built for, or TL_EV_ARCH_MAX. */
int tl_ev_arch_native(void);

/* What a thread is doing, grouped the way the conclusions need it. */
enum tl_ev_sys {
	TL_SYS_UNKNOWN = 0, /* /proc/PID/task/TID/syscall unreadable */
	TL_SYS_RUNNING,	    /* on a CPU or runnable ("running") */
	TL_SYS_NONE,	    /* blocked outside a syscall (stopped: "-1") */
	TL_SYS_ACCEPT,	    /* accept, accept4 */
	TL_SYS_EPOLL,	    /* epoll_wait, epoll_pwait, epoll_pwait2 */
	TL_SYS_POLL,	    /* poll, ppoll, select, pselect6 */
	TL_SYS_FUTEX,	    /* futex: a lock or condition variable */
	TL_SYS_IO,	    /* read, write, recv*, send*, connect */
	TL_SYS_SLEEP,	    /* nanosleep, clock_nanosleep, pause */
	TL_SYS_WAIT,	    /* wait4, waitid, sigsuspend, sigtimedwait */
	TL_SYS_OTHER,	    /* a syscall not in the table */
	TL_SYS_MAX,
};

/*
 * Names a syscall number of an architecture. Returns the name ("epoll_wait")
 * and sets *ret_group (enum tl_ev_sys) and *ret_has_fd (its first argument
 * is an fd); NULL with TL_SYS_OTHER for a number not in the table.
 */
const char *tl_ev_syscall_name(int arch, long nr, int *ret_group,
			       bool *ret_has_fd);

/* One thread. */
struct tl_ev_thread {
	pid_t tid;
	char state;	 /* 'R', 'S', 'D', 'T', 't', 'Z', ... or 0 unknown */
	uint8_t kind;	 /* enum tl_ev_sys */
	long nr;	 /* the syscall number when kind >= TL_SYS_ACCEPT */
	const char *sys; /* its name (static), or NULL */
	int64_t fd;	 /* the fd argument, or -1 */
	char wchan[TL_EV_WCHAN_MAX]; /* kernel function it sleeps in, or "" */
	bool has_idle;
	uint64_t idle_ms; /* since it last ran on a CPU */
	/*
	 * A thread running at every look while we looked again (see
	 * TL_EV_BUSY_MIN_MS): the share of one CPU it used over busy_ms.
	 */
	bool has_busy;
	uint8_t busy_pct; /* 0..100 */
	/*
	 * The share of busy_ms it was runnable: ran, or waited on a run
	 * queue for a CPU. A loop that never sleeps is runnable all the
	 * time, however little of a CPU a loaded machine gives it.
	 */
	uint8_t runnable_pct;
	uint32_t busy_ms;
	/*
	 * The CPU time it used since it started, in clock ticks, in user
	 * space and in the kernel: a loop that spins on system calls (an
	 * epoll_wait that returns at once) spends much of it in the
	 * kernel, one that computes almost none.
	 */
	bool has_times;
	uint64_t utime_ticks, stime_ticks;
	/*
	 * What fd is, for a thread in I/O on one, as far as the snapshot
	 * and the fd's link tell: "a TCP connection to 10.0.0.5:5432,
	 * ESTABLISHED", "a pipe"; "" when not known. Gathered with
	 * TL_EV_LISTENER or TL_EV_LEAK.
	 */
	char fd_what[TL_EV_FD_WHAT_MAX];
	/*
	 * A thread in poll or select, gathered with a listener: whether the
	 * fds it waits on for input, read from its memory while it waits,
	 * hold the listener (enum tl_ev_polls; fd is then the listener's).
	 * poll_inputs counts those fds where the set was read; poll_cut,
	 * that the set was longer than TL_EV_POLLSET_MAX and only its start
	 * was read, so the count is a lower bound.
	 */
	uint8_t polls;
	bool poll_cut;
	uint32_t poll_inputs;
};

/* What a thread in poll or select waits on, as far as its memory tells. */
enum tl_ev_polls {
	/*
	 * Not read: no access (task/TID/mem needs what its syscall file
	 * does), a set longer than TL_EV_POLLSET_MAX without the listener
	 * in what was read, or a thread that moved on while we read.
	 */
	TL_EV_POLLS_UNKNOWN = 0,
	TL_EV_POLLS_LISTENER, /* input on the listener, among others */
	TL_EV_POLLS_OTHER,    /* input on other fds only */
};

/* The shortest window over which a running thread's CPU share is told. */
#define TL_EV_BUSY_MIN_MS 10

/* The listener registered in one epoll set. */
struct tl_ev_reg {
	int32_t epfd;	 /* the epoll fd in the process */
	int32_t tfd;	 /* the listener's fd as registered */
	uint32_t events; /* the registration's event mask */
	bool waited;	 /* some thread is in epoll_wait on epfd */
};

#define TL_EPOLLET (1u << 31)
#define TL_EPOLLONESHOT (1u << 30)

/* Kinds of fds, for the fd-exhaustion census. */
enum tl_fd_kind {
	TL_FDK_TCP = 0,	 /* a TCP socket of the snapshot (by state below) */
	TL_FDK_SOCKET,	 /* any other socket (unix, udp, another netns) */
	TL_FDK_FILE,	 /* a path */
	TL_FDK_DEVICE,	 /* a path under /dev */
	TL_FDK_PIPE,	 /* pipe:[N] */
	TL_FDK_EVENTFD,	 /* anon_inode:[eventfd] */
	TL_FDK_EPOLL,	 /* anon_inode:[eventpoll] */
	TL_FDK_TIMERFD,	 /* anon_inode:[timerfd] */
	TL_FDK_SIGNALFD, /* anon_inode:[signalfd] */
	TL_FDK_OTHER,	 /* another anon inode or unknown */
	TL_FDK_MAX,
};

/* The noun for n fds of a kind ("pipe", "pipes"), or NULL. */
const char *tl_fd_kind_name(int kind, uint64_t n);

/*
 * The runtime a program was built with, where it changes a conclusion:
 * the registrations epoll shows mean something else in Go, whose netpoller
 * registers every socket edge-triggered and whose Accept takes connections
 * until EAGAIN, and in Tokio, whose I/O driver (mio) does the same.
 */
enum tl_ev_runtime {
	TL_RT_UNKNOWN = 0, /* not known: C, another runtime, or unreadable */
	TL_RT_GO,	   /* built by the Go linker */
	TL_RT_TOKIO,	   /* Rust's Tokio: tokio-runtime-worker threads */
	TL_RT_MAX,
};

/* What to gather. */
enum tl_ev_what {
	TL_EV_THREADS = 1 << 0,	 /* state, last run, threads */
	TL_EV_LISTENER = 1 << 1, /* epoll registrations, held connections */
	TL_EV_FDS = 1 << 2,	 /* the fd census */
	TL_EV_LEAK = 1 << 3,	 /* threads' I/O vs its clients' sockets */
	/*
	 * Gathers nothing: what the finding knows and /proc does not, that
	 * the connections are ones the process accepted itself (a server's,
	 * not inherited, not opened by it as a client). Causes that only a
	 * server has (asleep-in-request, upstream-wait) are concluded only
	 * with it.
	 */
	TL_EV_SERVED = 1 << 4,
};

/* The most stopped children an evidence names. */
#define TL_EV_STOPPED_MAX 8

/* Room for the path of a frozen process's cgroup (a longer one is cut). */
#define TL_EV_FROZEN_CGROUP_MAX 256

/* Everything read about one process. Fixed size: no allocation. */
struct tl_evidence {
	pid_t pid;
	bool gone; /* it exited before we looked */
	/*
	 * Its main thread has exited (State Z) while other threads live on:
	 * not a zombie; the fds are theirs.
	 */
	bool main_exited;
	/*
	 * The cgroup freezer holds it: under cgroup v1 the freezer.state of
	 * its freezer cgroup says FROZEN (frozen_v1 1) or FREEZING (2), or, where
	 * that cannot be read, its threads all sleep in __refrigerator; under
	 * v2 its cgroup.events says frozen 1. frozen_cgroup is the one to
	 * thaw ("" where v1's could not be read): v1's own, v2's own or the
	 * ancestor whose cgroup.freeze is 1 (frozen_by_ancestor); a path too
	 * long ends in "...".
	 */
	bool frozen;
	uint8_t frozen_v1;
	bool frozen_by_ancestor;
	char frozen_cgroup[TL_EV_FROZEN_CGROUP_MAX];
	bool served;	    /* TL_EV_SERVED was given */
	char state;	    /* State: from /proc/PID/status, 0 unknown */
	pid_t tracer;	    /* TracerPid, 0 none */
	uint32_t n_threads; /* Threads: from status (may exceed those read) */
	bool has_idle;
	uint64_t idle_ms; /* since any of its threads last ran on a CPU */
	struct tl_ev_thread threads[TL_EV_THREADS_MAX];
	size_t n_read; /* threads read, at most TL_EV_THREADS_MAX */

	/* TL_EV_LISTENER */
	bool has_listener;
	int32_t listener_fd;	/* one of its fds for the listener, or -1 */
	uint16_t port;		/* the listener's port */
	uint32_t backlog;	/* the listener's Send-Q */
	uint32_t queued;	/* the listener's Recv-Q */
	uint32_t n_epolls;	/* epoll fds it holds */
	uint32_t n_epolls_read; /* of those whose fdinfo could be read */
	struct tl_ev_reg regs[TL_EV_REGS_MAX];
	size_t n_regs;
	uint64_t held; /* connections from the listener it holds now */
	/* those its children hold that do not hold the listener */
	uint64_t children_held;

	/* TL_EV_FDS */
	bool has_fds;
	uint32_t n_fds; /* fds looked at (at most TL_EV_FDS_MAX) */
	uint32_t kinds[TL_FDK_MAX];
	uint32_t tcp[TL_STATE_MAX]; /* TCP sockets by state */
	/* of kinds[TL_FDK_DEVICE], those on fds 0, 1 and 2: its stdio */
	uint32_t stdio_devices;

	/* TL_EV_LISTENER: from the start of /proc/PID/exe */
	uint8_t runtime; /* enum tl_ev_runtime */
	/* TL_EV_LISTENER: bit i, threads[i] is in I/O on one of the held */
	uint64_t on_held;
	/* TL_EV_LEAK or LISTENER: bit i, threads[i] is in I/O on an fd that
	 * is none of its clients (a connection a listener here made) */
	uint64_t on_other;
	/*
	 * TL_EV_LISTENER or a listener given: bit i, threads[i] is in
	 * accept() on an fd that is none of the listener's (a UNIX socket,
	 * another listener), so it drains nothing of this queue.
	 */
	uint64_t accept_other;
	/* TL_EV_LISTENER: processes that hold the listener, this one too */
	uint32_t sharers;
	/* TL_EV_LISTENER: of held, those in CLOSE-WAIT (their client left) */
	uint64_t held_closed;
	/*
	 * TL_EV_LISTENER: a registration, asking for EPOLLIN, of another
	 * listener of the same address and port (SO_REUSEPORT), if any
	 * (has_sibling): each such listener has its own queue, and the
	 * process takes connections from that one. Its tfd is that
	 * listener's fd.
	 */
	bool has_sibling;
	struct tl_ev_reg sibling;

	/*
	 * TL_EV_FDS: its RLIMIT_NOFILE (soft), from /proc/PID/limits; 0
	 * unknown, UINT64_MAX unlimited.
	 */
	uint64_t nofile;
	/*
	 * TL_EV_LEAK: a registration, level-triggered and asking for input,
	 * of one of its CLOSE-WAIT sockets in one of its epoll sets, if any
	 * (has_leak_reg). Its tfd is that socket's fd; leak_unread, that
	 * the socket holds data never read (Recv-Q above the FIN's one).
	 * Those with data are looked for first.
	 */
	bool has_leak_reg;
	bool leak_unread;
	struct tl_ev_reg leak_reg;
	/*
	 * TL_EV_LEAK: its connections out (tied to no listener here) whose
	 * last move was a send, acknowledged, with no answer since for a
	 * second or more: requests of a proxy or a client waiting on their
	 * upstream. up_wait_ms is the longest wait, up_family, up_addr and
	 * up_port that connection's peer.
	 */
	uint32_t up_waiting;
	uint64_t up_wait_ms;
	uint8_t up_family;
	uint8_t up_addr[16];
	uint16_t up_port;
	/*
	 * TL_EV_LEAK: of its CLOSE-WAIT connections, those whose times the
	 * kernel gave (cw_timed), and the longest since one of them last
	 * received data (cw_recv_ms): a client's request, or its handshake
	 * where it sent none.
	 */
	uint32_t cw_timed;
	uint64_t cw_recv_ms;
	/*
	 * TL_EV_LEAK: its children stopped by a signal (State T, no
	 * tracer), and the first: a worker that a process handing
	 * connections to its workers (Node's cluster primary) waits for.
	 */
	uint32_t stopped_children;
	pid_t stopped_child;
	/* the first TL_EV_STOPPED_MAX of them, stopped_child first */
	pid_t stopped_kids[TL_EV_STOPPED_MAX];
	/*
	 * TL_EV_LISTENER: it holds the listener as fd 0, its standard
	 * input, and so does its parent: it was handed the listener to
	 * accept on, as inetd starts the server of a wait service (and
	 * systemd one with StandardInput=socket). At the end, where fields
	 * added later go.
	 */
	bool listener_stdin;
	/*
	 * TL_EV_LEAK: it has epoll sets, each was read, and none holds any of
	 * its CLOSE-WAIT sockets (with any events): its event loops do not
	 * watch them at all.
	 */
	bool leak_unwatched;
	/*
	 * TL_EV_FDS: of kinds[TL_FDK_FILE], those of the program's own code
	 * (a .jar, .war or shared object), opened once at start, no leak.
	 */
	uint32_t code_files;
	/*
	 * TL_EV_LEAK: the longest-waiting of its connections out waits in
	 * the accept queue of a listener it holds itself, not accepted: the
	 * upstream it waits on is its own.
	 */
	bool up_self;
	/*
	 * TL_EV_LEAK or TL_EV_LISTENER: a thread is blocked in I/O on this
	 * fd (has_self_fd), a connection out of its own that waits in the
	 * accept queue of a listener it holds itself.
	 */
	bool has_self_fd;
	int64_t self_fd;
};

/*
 * Reads the evidence about pid under proc_root (NULL: "/proc"). snap gives the
 * TCP states of its sockets and the connections of listener (a LISTEN
 * socket of snap, or NULL when the finding is about no listener). A
 * process that vanished gives 0 with ev->gone; parts that cannot be read
 * stay empty. To tell how long ago its threads ran, it moves the calling
 * thread for a moment to each CPU they last ran on (each CPU's scheduler
 * clock runs apart on a virtual machine) and restores its affinity.
 * Returns 0, -EINVAL, or the -errno of a proc_root that is no directory.
 */
int tl_evidence_gather(const char *proc_root, pid_t pid,
		       const struct tl_snapshot *snap,
		       const struct tl_sock *listener, unsigned what,
		       struct tl_evidence *ev);

/* Causes tl_evidence_conclude names. */
enum tl_ev_cause {
	TL_CAUSE_UNKNOWN = 0,
	TL_CAUSE_GONE,		/* exited */
	TL_CAUSE_ZOMBIE,	/* exited, not reaped */
	TL_CAUSE_STOPPED,	/* SIGSTOP (or TSTP, TTIN, TTOU) */
	TL_CAUSE_TRACED,	/* stopped by a debugger */
	TL_CAUSE_ACCEPTING,	/* a thread is in accept(): slow, not stuck */
	TL_CAUSE_ONESHOT,	/* EPOLLONESHOT fired, not re-armed */
	TL_CAUSE_EDGE,		/* EPOLLET: one accept per wakeup */
	TL_CAUSE_NOT_WAITED,	/* registered, nobody waits on that epoll fd */
	TL_CAUSE_LIMIT,		/* stopped watching it at a connection limit */
	TL_CAUSE_NOT_WATCHED,	/* not watched at all */
	TL_CAUSE_WATCHED,	/* watched and waited for: accept must fail */
	TL_CAUSE_CLOSE_WAIT,	/* fds: most are leaked CLOSE-WAIT sockets */
	TL_CAUSE_CONNECTIONS,	/* fds: most are live TCP connections */
	TL_CAUSE_FDS_OTHER,	/* fds: most are of another kind */
	TL_CAUSE_GO_ACCEPT,	/* Go: no goroutine calls Accept */
	TL_CAUSE_BLOCKED,	/* leak: its threads wait on something else */
	TL_CAUSE_TOKIO,		/* Tokio: no task awaits accept() */
	TL_CAUSE_LOCKED,	/* every thread waits on a lock, for long */
	TL_CAUSE_LOW_LIMIT,	/* fds: its limit was set below the default */
	TL_CAUSE_EOF_SPIN,	/* leak: spins on an end of file it ignores */
	TL_CAUSE_UPSTREAM,	/* leak: its requests wait on an upstream */
	TL_CAUSE_CHILD_STOPPED, /* leak: a child it hands them to is stopped */
	TL_CAUSE_ASLEEP,	/* leak: asleep inside a request */
	TL_CAUSE_FROZEN,	/* the cgroup freezer holds it */
	TL_CAUSE_ABANDONED,	/* leak: every thread waits in accept() */
	TL_CAUSE_UNWATCHED,	/* leak: in none of its event loop's sets */
	TL_CAUSE_MAX,
};

enum tl_certainty {
	TL_CERT_POSSIBLE = 0,
	TL_CERT_LIKELY,
	TL_CERT_CERTAIN, /* read directly from the kernel */
};

/* Room for a cause with its evidence; a longer one ends in "...". */
#define TL_EV_TEXT_MAX 1024

/* A conclusion: the cause, how sure, and what it rests on. */
struct tl_ev_verdict {
	uint8_t cause;		   /* enum tl_ev_cause */
	uint8_t certainty;	   /* enum tl_certainty */
	char text[TL_EV_TEXT_MAX]; /* the cause with its evidence */
	const char *remedy;	   /* static, or NULL: keep the finding's */
	/* The fd the cause is about (TL_CAUSE_BLOCKED's), or -1. */
	int64_t fd;
};

/*
 * Concludes from the evidence why the process does not accept (kind is
 * TL_FIND_NOT_ACCEPTING or TL_FIND_ACCEPT_QUEUE_OVERFLOW), what fills its
 * fd table (TL_FIND_FD_EXHAUSTION: the listener parts add to it when
 * gathered) or why it has not closed (TL_FIND_CLOSE_WAIT_LEAK: its state,
 * or threads blocked elsewhere). Always fills *ret; TL_CAUSE_UNKNOWN when
 * nothing stands out.
 */
void tl_evidence_conclude(const struct tl_evidence *ev, int kind,
			  struct tl_ev_verdict *ret);

/* "stopped", "edge-triggered", ... or NULL. */
const char *tl_ev_cause_name(int cause);

/*
 * Whether the process had exited when we looked: gone from /proc, or a
 * zombie (State Z) or being reaped (State X) with no thread left. Either
 * way its fds are closed.
 */
bool tl_evidence_exited(const struct tl_evidence *ev);

/*
 * Whether the remedy of a cause says when it applies ("If the program
 * serves as many connections as it will at once, ..."), so it may be given
 * at any certainty; the others only where the cause is likely or certain.
 */
bool tl_ev_remedy_conditional(int cause);

/*
 * The remedy of a connection-limit cause where the program's own setting
 * is known and given with it: the same, without other servers' settings
 * as examples. NULL when remedy is not the connection limit's own.
 */
const char *tl_ev_remedy_own_limit(const char *remedy);

/* "go" for TL_RT_GO, "tokio" for TL_RT_TOKIO; NULL when not known. */
const char *tl_ev_runtime_name(int runtime);

/* "possible", "likely", "certain", or NULL. */
const char *tl_certainty_name(int certainty);

/*
 * Says what the threads are in, into buf: "2 threads in futex, 1 in
 * epoll_wait on fd 4, none in accept" (the last part where the evidence
 * is about a listener). Returns buf.
 */
const char *tl_evidence_threads_text(const struct tl_evidence *ev, char *buf,
				     size_t size);

/* True when n looks like a limit someone configured (100, 512, 1000). */
bool tl_ev_round_number(uint64_t n);

/*
 * Parsers of /proc text (len bytes, need not be terminated), exposed for
 * tests. Each returns 0 or -EINVAL/-ENOENT and leaves ret_* alone then.
 */

/* /proc/PID/status: the State letter, TracerPid and Threads. */
int tl_ev_parse_status(const char *buf, size_t len, char *ret_state,
		       pid_t *ret_tracer, uint32_t *ret_threads);

/*
 * /proc/PID/task/TID/syscall: "running", "-1 SP PC" or "NR ARG1..ARG6 SP
 * PC". Sets *ret_kind (TL_SYS_RUNNING, TL_SYS_NONE, or the group of nr),
 * *ret_nr and *ret_fd (arg 1 when the syscall takes an fd, else -1).
 */
int tl_ev_parse_syscall(const char *buf, size_t len, int arch, int *ret_kind,
			long *ret_nr, int64_t *ret_fd);

/*
 * /proc/PID/task/TID/syscall of a thread in a syscall ("NR ARG1..ARG6 SP
 * PC"): its six arguments. Returns 0, or -EINVAL for any other text.
 */
int tl_ev_parse_syscall_args(const char *buf, size_t len, uint64_t ret_args[6]);

/* The most bytes of a poll or select fd set read from a thread's memory. */
#define TL_EV_POLLSET_MAX 65536

/*
 * Where a thread waiting in syscall nr (of arch) with args keeps the fds
 * it waits on for input: poll() and ppoll()'s array of struct pollfd, or
 * select() and pselect6()'s readfds bitmap. Sets *ret_addr, *ret_len (cut
 * to TL_EV_POLLSET_MAX, then *ret_cut), and *ret_select for a bitmap.
 * Returns 0; -ENOENT when the call is none of those four, or waits on no
 * input (a select() without readfds); -EINVAL for an impossible set.
 */
int tl_ev_pollset_where(int arch, long nr, const uint64_t args[6],
			uint64_t *ret_addr, size_t *ret_len, bool *ret_cut,
			bool *ret_select);

/*
 * Scans len bytes of such a set, from byte offset of the set (a multiple
 * of 8): counts into *inputs the fds it waits on for input (POLLIN or
 * POLLRDNORM; a bit of readfds), and returns the first of fds (n_fds of
 * them) among those, or -1. The bitmap is read as little-endian longs.
 */
int32_t tl_ev_pollset_scan(const void *set, size_t len, size_t offset,
			   bool select, const int32_t *fds, size_t n_fds,
			   uint32_t *inputs);

/*
 * /proc/PID/stat (or a task's): the CPU it last ran on (field 39), after
 * the comm's last ')'.
 */
int tl_ev_parse_stat_cpu(const char *buf, size_t len, uint32_t *ret_cpu);

/*
 * /proc/PID/stat (or a task's): the time it ran in user space (utime,
 * field 14) and in the kernel (stime, field 15), in clock ticks. Returns
 * 0, or -EINVAL when the text is not such a line.
 */
int tl_ev_parse_stat_times(const char *buf, size_t len, uint64_t *ret_utime,
			   uint64_t *ret_stime);

/* /proc/PID/sched: se.exec_start in ns (the text is in ms.ns). */
int tl_ev_parse_sched(const char *buf, size_t len, uint64_t *ret_ns);

/*
 * /proc/PID/task/TID/schedstat: the CPU time the thread has run, in ns
 * (the first of its three numbers), and, where ret_wait_ns is not NULL,
 * the time it waited on a run queue for a CPU (the second).
 */
int tl_ev_parse_schedstat(const char *buf, size_t len, uint64_t *ret_ns,
			  uint64_t *ret_wait_ns);

/*
 * /proc/PID/fdinfo/EPFD of an epoll fd: calls cb for each "tfd:" line
 * with the fd, the event mask and the target's inode; stops at a non-zero
 * return of cb and returns it. Returns 0, or -EINVAL on a malformed tfd
 * line.
 */
int tl_ev_parse_epoll(const char *buf, size_t len,
		      int (*cb)(int32_t tfd, uint32_t events, uint64_t ino,
				void *arg),
		      void *arg);

/* Classifies an fd's link target (enum tl_fd_kind); *ret_inode for sockets. */
int tl_ev_fd_kind(const char *link, size_t len, uint32_t *ret_inode);

/* The bytes of a program's file tl_ev_parse_elf_runtime needs at most. */
#define TL_EV_ELF_HEAD 16384

/*
 * The first len bytes of a program's ELF file (/proc/PID/exe): TL_RT_GO
 * when a note segment among them holds the Go linker's build ID note
 * (owner "Go", type 4; Go's own linker and cgo builds both write it near
 * the start), else TL_RT_UNKNOWN. Returns the runtime, or -EINVAL when
 * buf does not start an ELF file.
 */
int tl_ev_parse_elf_runtime(const void *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
