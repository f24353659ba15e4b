/* SPDX-License-Identifier: MIT */
/*
 * What lib/evidence*.c share: the gather's reads (evidence.c) and its
 * threads (evidence_tasks.c); how a verdict is set and read, and the
 * fd-exhaustion part of a conclusion (evidence_conclude.c and
 * evidence_fds.c).
 */
#ifndef TL_EVIDENCE_INT_H
#define TL_EVIDENCE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tcplimbo/evidence.h"

/* Buffers for the /proc files one gather reads. */
#define TL_EV_STATUS_BUF 8192
#define TL_EV_SMALL_BUF 512
#define TL_EV_SCHED_BUF 4096

/*
 * The CPU time thread tid of the process directory pdir has run, and,
 * where ret_wait is not NULL, waited on a run queue for a CPU, in ns
 * (task/TID/schedstat); false when unreadable.
 */
bool tli_ev_run_ns(int pdir, pid_t tid, uint64_t *ret_ns, uint64_t *ret_wait);

/*
 * Says, into t->fd_what, what the fd of thread t (of the process whose
 * /proc directory is pdir) is: the TCP connection of the snapshot it
 * is (sk), or else the kind its link names. The link itself (a path, a
 * socket inode) is not copied: a kind is what the reader needs, and a
 * path is the program's to choose.
 */
void tli_ev_describe_fd(int pdir, struct tl_ev_thread *t,
			const struct tl_sock *sk);

/* Reads dir_fd/path into buf: at most size - 1 bytes, terminated. */
ssize_t tli_ev_read_at(int dir_fd, const char *path, char *buf, size_t size);

/*
 * upstream-wait: about one connection out whose request has had no answer
 * for each CLOSE-WAIT connection held. Returns whether it concluded so.
 */
bool tli_ev_conclude_upstream(const struct tl_evidence *ev,
			      struct tl_ev_verdict *v, size_t *len);

/*
 * For a CLOSE-WAIT leak whose process is not blocked elsewhere nor
 * locked: an event loop that does not run or spins on an end of file,
 * requests waiting on an upstream, or a stopped child it hands its
 * connections to. Leaves v unknown when none fits.
 */
void tli_ev_conclude_unblocked(const struct tl_evidence *ev,
			       struct tl_ev_verdict *v, size_t *len);

/*
 * Whether the cgroup freezer holds the process (docker pause, systemctl
 * freeze): sets ev->frozen, and ev->frozen_cgroup under cgroup v2. From
 * its threads' wchans; /proc/PID/cgroup and cgroup.events only when they
 * point there.
 */
void tli_ev_gather_frozen(int pdir, const char *proc_root,
			  struct tl_evidence *ev);

/*
 * Finds, among the children of the process directory pdir (each thread's
 * task/TID/children), those stopped by a signal: ev->stopped_children
 * counts them, ev->stopped_child is the first. proc_root is where their
 * own directories are.
 */
void tli_ev_gather_children(int pdir, const char *proc_root,
			    struct tl_evidence *ev);

/*
 * Reads the threads of the process directory pdir into ev (threads,
 * n_read, idle_ms); proc_root is where our own thread-self is. 0 or
 * -errno (the task directory could not be opened).
 */
int tli_ev_gather_threads(int pdir, struct tl_evidence *ev,
			  const char *proc_root);

/*
 * For each thread read that waits in poll or select, whether its set
 * holds one of fds (the listener's, n_fds of them): t->polls, and t->fd
 * the one it holds.
 */
void tli_ev_gather_polls(int pdir, struct tl_evidence *ev, const int32_t *fds,
			 size_t n_fds);

/*
 * not-accepting, for a listener in no epoll set (sets says where it is
 * not; threads what the threads do): a thread whose poll or select set
 * holds the listener, so the program is told; or sets that all leave it
 * out while the program holds connections, a poll loop at its limit.
 * Returns whether it concluded.
 */
bool tli_ev_conclude_poll_sets(const struct tl_evidence *ev, const char *sets,
			       const char *threads, struct tl_ev_verdict *v,
			       size_t *len);

/*
 * not-accepting, after the other rules: sets all read that leave the
 * listener out while nothing is held, or sets that could not be read.
 * Returns whether it concluded.
 */
bool tli_ev_conclude_polled(const struct tl_evidence *ev, const char *sets,
			    const char *threads, struct tl_ev_verdict *v,
			    size_t *len);

/* "none of them has" of the threads read, "it has not" of one. */
const char *tli_ev_none_ran(const struct tl_evidence *ev);

/* Sets v's cause and certainty, and the remedy that fits the cause. */
void tli_ev_set(struct tl_ev_verdict *v, int cause, int cert);

/*
 * How a frozen process is frozen, the evidence to follow "frozen by the
 * cgroup ": the v1 freezer.state, v2's cgroup.events and cgroup.freeze,
 * or its threads in __refrigerator.
 */
void tli_ev_frozen_how(const struct tl_evidence *ev, char *buf, size_t size);

/*
 * The remedy of a connection-limit verdict on a server with one thread
 * that serves one connection at a time, where no worker limit applies.
 */
extern const char tli_ev_remedy_serial[];

/*
 * The remedy of pre-forked workers, each asleep with the listener in a
 * set no thread waits on: a full pool, or event loops a handler blocks.
 */
extern const char tli_ev_remedy_pool_or_loop[];

/* The child-stopped remedy where more than one child is stopped. */
extern const char tli_ev_remedy_children[];

/*
 * The blocked remedy where the wait is a read on a unix socket: a program
 * waiting for work (or connections) handed to it, not stuck on a peer.
 */
extern const char tli_ev_remedy_unix_wait[];

/*
 * The blocked cause, for an fd that is none of what (the connections it
 * holds): one in I/O, or an epoll set (epoll) that holds no
 * connection. whose is what such a program neglects: its clients, or (a
 * leak, where the program may be a client itself) the connections it
 * should close.
 */
void tli_ev_set_blocked(const struct tl_evidence *ev, int64_t fd, bool epoll,
			const char *what, const char *whose,
			const char *threads, struct tl_ev_verdict *v,
			size_t *len);

/*
 * Whether path is a file of the program's code: a Java archive (the JVM
 * keeps its class path's open) or a shared object.
 */
bool tli_ev_code_file(const char *path);

/* The remedy of a program that waits on a request to its own listener. */
extern const char tli_ev_remedy_self[];

/*
 * The threads of a leaking process in epoll_wait on a set that holds no
 * TCP socket (a lock's latch, a pipe, a timer: a PostgreSQL backend
 * waiting for a lock): they wait on something else, as a thread in I/O
 * on such an fd does. Sets their bits in *io. Not where a thread waits
 * for new clients (in accept(), or in poll() in a process that holds a
 * listener): the program runs its loop, and a set of a wake-up pipe
 * beside it is an idle helper's (puma's reactor), no wait that keeps it
 * from its connections.
 */
void tli_ev_epoll_elsewhere(int pdir, const struct tl_snapshot *snap,
			    const struct tl_evidence *ev, uint64_t *io);

/* Room for an epoll set's fdinfo; a longer one is read cut. */
#define FDINFO_BUF 16384

/* What tli_ev_describe_fd says of a unix socket. */
#define TLI_EV_UNIX_SOCKET "a unix socket"

/*
 * Whether thread t may be a thread-per-connection server's acceptor,
 * waiting for new clients: in accept(), or in poll() (an accept loop with
 * a timeout, as Python's socketserver runs). A thread in an epoll wait is
 * not taken for one: that is the event loop an event-driven server runs,
 * and it may be the one that should close them.
 */
bool tli_ev_acceptor(const struct tl_ev_thread *t);

/* Whether any thread read is in a syscall of group kind (enum tl_ev_sys). */
bool tli_ev_any_thread(const struct tl_evidence *ev, int kind);

/*
 * Whether a thread is in accept() on the listener, or on an fd not known
 * to be another (accept_other).
 */
bool tli_ev_accepts_listener(const struct tl_evidence *ev);

/*
 * The busiest thread measured while we looked (by the larger of the
 * shares it ran and was runnable), or NULL.
 */
const struct tl_ev_thread *tli_ev_busiest(const struct tl_evidence *ev);

/* At least this share of a CPU, measured, is a loop that does not wait. */
#define TLI_EV_SPIN_PCT 50

/*
 * Whether thread t, measured, never waited: it ran, or was runnable (on a
 * loaded machine, a spinning loop waits for a CPU, not for an event), at
 * least TLI_EV_SPIN_PCT % of the time.
 */
bool tli_ev_spins(const struct tl_ev_thread *t);

/*
 * Whether a thread was running, or spent most of the time we watched it
 * on a CPU (tli_ev_spins): a process that computes, not one that sleeps.
 */
bool tli_ev_any_runs(const struct tl_evidence *ev);

/*
 * " and waited for a CPU another W % (runnable R %)" where t was runnable
 * much longer than it ran, else "": its share of a CPU was a loaded
 * machine's doing.
 */
const char *tli_ev_runnable_text(const struct tl_ev_thread *t, char *buf,
				 size_t size);

/*
 * Whether thread t computes in user space: of the CPU time it has used
 * (at least TLI_EV_TIMES_MIN ticks, so that a few ticks decide nothing),
 * less than TLI_EV_SYS_PCT % went to the kernel. A loop that spins on
 * system calls spends far more there (40 % for a Python selectors loop
 * that ignores an end of file), a `while (true)` almost none.
 */
#define TLI_EV_SYS_PCT 15
#define TLI_EV_TIMES_MIN 20
bool tli_ev_computes(const struct tl_ev_thread *t);

/*
 * fd-exhaustion's conclusion: what fills the fds (appended to v->text at
 * *len), and a busy loop on a failing accept() where the evidence shows
 * one.
 */
void tli_ev_conclude_fds(const struct tl_evidence *ev, struct tl_ev_verdict *v,
			 size_t *len);

/*
 * Whether a registration can report a new connection: it asks for EPOLLIN
 * (or EPOLLRDNORM). A program that pauses a listener with EPOLL_CTL_MOD and
 * no events (lighttpd at server.max-connections) leaves only the EPOLLERR
 * and EPOLLHUP the kernel always adds: registered, never told.
 */
static inline bool tli_ev_can_report(uint32_t events)
{
	return (events & (0x001u | 0x040u)) != 0;
}

#endif
