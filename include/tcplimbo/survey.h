/* SPDX-License-Identifier: MIT */
/*
 * survey: a snapshot of every network namespace on the machine (or of
 * one), with one /proc pass for all of them, each namespace's counters,
 * and the doctor's rules run per namespace. doctor --all-netns and the
 * exporter (serve) both look at the machine through it; the per-listener
 * and per-process figures the exporter reports are computed here too, so
 * that they mean the same as the doctor's findings.
 */
#ifndef TCPLIMBO_SURVEY_H
#define TCPLIMBO_SURVEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tcplimbo/counters.h"
#include "tcplimbo/diagnose.h"
#include "tcplimbo/netns.h"
#include "tcplimbo/snapshot.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What to survey. */
struct tl_survey_opts {
	const char *proc_root; /* NULL means "/proc" */
	int family;	       /* AF_INET, AF_INET6 or AF_UNSPEC */
	bool all;	       /* every namespace; otherwise netns_fd only */
	int netns_fd;	       /* !all: the namespace, -1 for the caller's */
	/*
	 * !all: a NAME|PATH|PID (tl_netns_open) opened again by each survey
	 * instead of netns_fd, so that a long-running caller (the exporter)
	 * follows a name to the namespace that has it now rather than keep
	 * a deleted one alive. One that is gone counts in n_vanished.
	 */
	const char *netns_spec;
	/*
	 * With netns_spec: how it was taken first (enum tl_netns_by), to be
	 * opened the same way again (tl_netns_open_as); 0 takes it as
	 * tl_netns_open does each time.
	 */
	int netns_by;
	/*
	 * With netns_spec, when not 0: the namespace it must still open. A
	 * pid's namespace is gone when its process exited, though the pid
	 * may now be another process's in another namespace.
	 */
	uint64_t netns_inode;
	bool owners; /* one /proc scan shared by every namespace */
	/* How to take owners: see struct tl_owners_opts (AUTO, 0 threads). */
	enum tl_owners_backend owners_backend;
	unsigned owners_threads;
	bool counters; /* read each namespace's counters */
	bool diagnose; /* run tl_diagnose on each namespace */
	struct tl_diag_opts diag;
};

/* Where looking into a namespace failed. */
enum tl_survey_stage {
	TL_SURVEY_OK = 0,
	TL_SURVEY_OPEN,	    /* its namespace file could not be opened */
	TL_SURVEY_SNAPSHOT, /* entering it or dumping its sockets failed */
};

/* One namespace and what was seen in it. */
struct tl_survey_ns {
	uint64_t inode;		      /* the namespace's identity, or 0 */
	pid_t pid;		      /* one process in it, 0 if none known */
	char name[TL_NETNS_SPEC_MAX]; /* under /var/run/netns, or "" */
	bool self;		      /* the caller's own namespace */
	bool host;		      /* pid 1's (see tl_survey_take) */
	int error;		      /* -errno when not looked at, or 0 */
	int stage;		      /* enum tl_survey_stage */
	struct tl_snapshot *snap;     /* NULL when not looked at */
	struct tl_counters ctr;	      /* valid when have_ctr */
	bool have_ctr;
	struct tl_finding *findings; /* tl_diagnose's, in its order */
	size_t n_findings;
};

/* The machine at one moment. */
struct tl_survey {
	struct tl_survey_ns *ns;
	size_t n_ns;
	struct tl_owners *owners; /* the shared scan, or NULL */
	/*
	 * Namespaces listed but gone before they could be opened: their last
	 * process exited meanwhile (or, with netns_spec, the one named is
	 * gone). Normal on a busy machine, counted so a report can say so.
	 */
	size_t n_vanished;
	uint64_t duration_ns; /* how long the survey took (CLOCK_MONOTONIC) */
};

/* Fills opts with the defaults: every namespace, owners, counters, rules. */
void tl_survey_opts_init(struct tl_survey_opts *opts);

/*
 * Surveys the machine: lists the namespaces (when opts->all), scans /proc
 * once, then snapshots each namespace, reads its counters and runs the
 * rules. A namespace that cannot be looked at is kept with its error and
 * stage, not fatal. The host's namespace is pid 1's; where pid 1's cannot
 * be read, the caller's when it is the kernel's initial namespace, else
 * none. Returns 0 and sets *ret, or -errno for what leaves no useful
 * result (-ENOMEM, an unreadable proc_root).
 */
int tl_survey_take(const struct tl_survey_opts *opts, struct tl_survey **ret);

/* Frees a survey and everything it holds; NULL is fine. */
void tl_survey_free(struct tl_survey *sv);

/* What one listener's accept queue holds. */
struct tl_listener_stat {
	uint32_t sock;	 /* the listener's index in the snapshot */
	uint32_t queued; /* accept-queue children the dump showed */
	uint32_t closed; /* of those, closed by the client (CLOSE_WAIT) */
	/*
	 * Recv-Q beyond those the dump showed: reset by the client (or
	 * destroyed) while queued, still holding a slot. 0 on a port whose
	 * SO_REUSEPORT listeners' queues cannot be told apart, and where the
	 * queue moves (its oldest shown has waited less than a second).
	 */
	uint32_t hidden;
	uint64_t oldest_ms; /* age of the oldest queued, when has_age */
	bool has_age;
};

/*
 * One entry per LISTEN socket of a snapshot, in snapshot order, with its
 * queue's contents (the ages as tl_diag_queue_age measures them). A
 * connection that may be in any of several SO_REUSEPORT listeners' queues
 * counts once, for the listener it is tied to (sk->listener). Returns
 * the count and sets *ret (free() it; NULL when there are none), or
 * -ENOMEM.
 */
int tl_survey_listeners(const struct tl_snapshot *snap,
			struct tl_listener_stat **ret);

/* What one process holds in one namespace. */
struct tl_proc_stat {
	uint32_t proc;		       /* index in snap->owners->procs */
	uint32_t sockets;	       /* TCP sockets it holds there */
	uint32_t close_wait;	       /* of those, in CLOSE_WAIT */
	uint64_t close_wait_oldest_ms; /* when has_age */
	bool has_age;
	uint32_t queued; /* connections waiting on its listeners */
};

/*
 * One entry per process holding at least one TCP socket of the snapshot,
 * ordered by process index. A CLOSE_WAIT socket's age is the time since
 * the peer's FIN (tcpi_last_ack_recv, as the doctor's close-wait rule
 * measures it). Returns the count and sets *ret (free() it; NULL when
 * there are none), or -ENOMEM. Without owners the count is 0.
 */
int tl_survey_procs(const struct tl_snapshot *snap, struct tl_proc_stat **ret);

#ifdef __cplusplus
}
#endif
#endif
