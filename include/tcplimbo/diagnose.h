/* SPDX-License-Identifier: MIT */
/*
 * diagnose: rules over one snapshot (and the namespace's counters) that
 * name what is stuck, who is responsible, since when, and what to do.
 * Pure functions of their input: no /proc, no netlink, so tests build
 * snapshots by hand.
 */
#ifndef TCPLIMBO_DIAGNOSE_H
#define TCPLIMBO_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tcplimbo/counters.h"
#include "tcplimbo/owners.h"
#include "tcplimbo/snapshot.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a finding is about. */
enum tl_finding_kind {
	TL_FIND_NOT_ACCEPTING = 0,
	TL_FIND_ACCEPT_QUEUE_OVERFLOW,
	TL_FIND_FD_EXHAUSTION,
	TL_FIND_CLOSE_WAIT_LEAK,
	TL_FIND_FIN_WAIT2_STUCK,
	TL_FIND_TIME_WAIT_PRESSURE,
	TL_FIND_ORPHAN_PRESSURE,
	TL_FIND_SYN_BACKLOG,
	TL_FIND_KIND_MAX,
};

enum tl_severity {
	TL_SEV_NONE = 0,
	TL_SEV_WARNING = 1,
	TL_SEV_CRITICAL = 2,
};

/*
 * A listener's drop counter at one look: its socket cookie, which no
 * other socket on the machine has until it reboots, and its count; and,
 * where has_ns, its namespace's TcpExt ListenDrops then.
 */
struct tl_drops_seen {
	uint64_t cookie;
	uint32_t drops;
	bool has_ns;
	uint64_t ns_drops;
};

/*
 * Thresholds. Ages are in milliseconds, shares in percent. The defaults
 * (tl_diag_opts_init) are chosen so that healthy traffic finds nothing:
 * queueing for less than queue_age_ms, CLOSE_WAIT shorter than
 * close_wait_age_ms and TIME_WAIT in ordinary numbers are normal.
 */
struct tl_diag_opts {
	uint32_t queue_age_ms;	    /* queued this long = not accepting (5 s) */
	uint32_t close_wait_age_ms; /* CLOSE_WAIT this long = a leak (30 s) */
	uint32_t close_wait_min;    /* per process, at least this many (1) */
	uint32_t close_wait_critical; /* this many make it critical (100) */
	uint32_t fin_wait2_age_ms;    /* held FIN_WAIT2 this long (60 s) */
	uint32_t fd_warn_pct;	      /* fds in use vs RLIMIT_NOFILE (90) */
	uint32_t port_warn_pct;	      /* ephemeral ports to one peer (50) */
	uint32_t port_crit_pct;	      /* (90) */
	uint32_t orphan_warn_pct;     /* orphans vs tcp_max_orphans (50) */
	uint32_t orphan_crit_pct;     /* (90) */
	uint32_t syn_warn_pct;	      /* half-open vs SYN queue limit (50) */
	uint32_t syn_min;   /* ignore fewer half-open than this (16) */
	uint32_t drops_min; /* listener SYN drops worth a warning (1) */
	/*
	 * The same namespace's listeners dumped a moment after the snapshot
	 * (NULL: none). A listener's drop counter counts since it started,
	 * so drops alone may be long past: with it, a queue that is not full
	 * warns of drops only where its listener's counter grew in between;
	 * without it, of any (see tl_diag_drops_unsure).
	 */
	const struct tl_snapshot *drops_later;
	/*
	 * The namespace's counters read with drops_later (NULL: not read).
	 * A listener's counter also grows by each handshake ACK that
	 * TCP_DEFER_ACCEPT drops (Apache's default, uwsgi's, nginx's
	 * deferred: one a connection); a full queue's drops grow TcpExt
	 * ListenDrops too. Where it did not grow in between, the drops that
	 * went on are none of a full queue's.
	 */
	const struct tl_counters *drops_later_ctr;
	/*
	 * For a caller that looks again and again (the exporter): the
	 * listeners' drop counters at its previous look, n_drops_before of
	 * them, sorted by cookie (every namespace's may be in one array:
	 * cookies are unique on the machine). As with
	 * drops_later, a queue that is not full then warns of drops only
	 * where its listener's counter grew since, and its namespace's
	 * ListenDrops too where both looks read it; a listener not among
	 * them is new since then, and so are its drops. NULL: none.
	 */
	const struct tl_drops_seen *drops_before;
	size_t n_drops_before;
	/*
	 * Such a caller's first look, with nothing before it: drops of a
	 * queue that is not full are not told then (they may be long past),
	 * but from its next look on, where they go on.
	 */
	bool drops_first_look;
	/*
	 * The snapshot is of now (not replayed) and its processes may be
	 * read under proc_root (NULL: /proc): a rule may then ask /proc of a
	 * few of them what the snapshot does not hold (whether a child runs
	 * its parent's image, tl_proc_same_image). false (the default): the
	 * rules go by the snapshot alone.
	 */
	bool live;
	const char *proc_root;
};

/* The most processes a finding names; more are counted in n_pids. */
#define TL_FINDING_PIDS_MAX 8
#define TL_FINDING_SUMMARY_MAX 512

/* One finding. */
struct tl_finding {
	uint8_t kind;	  /* enum tl_finding_kind */
	uint8_t severity; /* enum tl_severity */
	uint8_t state;	  /* the TCP state it is about (enum tl_state) */
	uint8_t family;	  /* of local_addr, 0 when there is none */
	pid_t pids[TL_FINDING_PIDS_MAX];
	size_t n_pids;		 /* may exceed TL_FINDING_PIDS_MAX */
	char comm[TL_COMM_MAX];	 /* the first process's, or "" */
	uint8_t local_addr[16];	 /* the listener's or the sockets' */
	uint16_t local_port;	 /* 0 when there is none */
	uint8_t remote_addr[16]; /* time-wait-pressure: the destination */
	uint16_t remote_port;
	uint32_t sock;	    /* index in the snapshot + 1 (the listener), or 0 */
	uint32_t example;   /* index + 1 of the oldest socket involved, or 0 */
	uint64_t count;	    /* connections involved */
	uint64_t oldest_ms; /* age of the oldest, 0 when unknown */
	bool has_age;
	uint64_t value; /* what was measured (fds, ports, orphans, ...) */
	uint64_t limit; /* what it was measured against */
	/* close-wait-leak: of count, those none of whose data was read */
	uint64_t unread;
	/*
	 * close-wait-leak: the server that accepted the connections, when
	 * the holder only inherited them from it (across exec); 0 if not.
	 */
	pid_t inherited_from;
	char summary[TL_FINDING_SUMMARY_MAX];
	const char *explanation; /* static text */
	const char *remedy;	 /* static text */
	uint32_t group; /* the caller's: tl_findings_sort keeps groups apart */
};

/* Fills opts with the defaults above. */
void tl_diag_opts_init(struct tl_diag_opts *opts);

/* Room for tl_age_str's text of any age. */
#define TL_AGE_STR_MAX 32

/*
 * An age as the findings write it: "30 s", "2.5 s", "0.7 s" (tenths,
 * truncated, under ten seconds), and "40 ms" under a tenth of a second, so
 * that a sub-second threshold (--queue-age 500ms) is not told as "0 s".
 * Returns buf.
 */
const char *tl_age_str(char buf[TL_AGE_STR_MAX], uint64_t ms);

/*
 * Whether a listener of snap warns of drops (accept-queue-overflow, its
 * queue not full) that opts->drops_later could show to be past: the
 * caller may then dump the listeners again a moment later and diagnose
 * with drops_later set.
 */
bool tl_diag_drops_unsure(const struct tl_snapshot *snap,
			  const struct tl_counters *ctr,
			  const struct tl_diag_opts *opts);

/*
 * Runs every rule over a snapshot. ctr may be NULL (no host-wide rules
 * then). Findings come sorted: most severe first, then grouped by the
 * first pid. Returns the count and sets *ret (free() it; NULL when there
 * are none), or -ENOMEM.
 */
int tl_diagnose(const struct tl_snapshot *snap, const struct tl_counters *ctr,
		const struct tl_diag_opts *opts, struct tl_finding **ret);

/*
 * Connections on their way to a finding that the age thresholds have not
 * let through yet: a reproduction looked at at once, or a program only
 * starting to fall behind. Only those at a tenth of their threshold or
 * more count, so that a healthy server's passing queue and the CLOSE-WAIT
 * of a connection being closed do not.
 */
struct tl_diag_young {
	uint64_t queued; /* in an accept queue, from queue_age_ms / 10 */
	uint64_t queued_oldest_ms;
	uint64_t close_wait; /* held (an fd), from close_wait_age_ms / 10 */
	uint64_t close_wait_oldest_ms;
	uint64_t fin_wait2; /* held (an fd), from fin_wait2_age_ms / 10 */
	uint64_t fin_wait2_oldest_ms;
	/*
	 * Listeners that have dropped drops_min or more SYNs for a full
	 * queue since they started but are under no pressure now (their
	 * queue less than half full), or, with drops_later or drops_before,
	 * that dropped none in between: past bursts, which a single look
	 * cannot date.
	 * How many, and their drops.
	 */
	uint64_t drops_listeners;
	uint64_t drops;
	/*
	 * CLOSE-WAIT held past close_wait_age_ms by processes that hold
	 * fewer than close_wait_min of them each (the holders not seen
	 * counted as one): a count threshold, not an age, held them back.
	 * How many, and their holders.
	 */
	uint64_t close_wait_few;
	uint64_t close_wait_few_holders;
	/* The first of the drops_listeners, to name where there is one. */
	uint8_t drops_family;
	uint8_t drops_addr[16];
	uint16_t drops_port;
};

/*
 * Counts them in snap, by the ages the rules use (an accept-queue
 * connection's time since its handshake, a CLOSE-WAIT's since its peer's
 * FIN, a FIN-WAIT-2's since the ACK of its own), against opts's
 * thresholds; and the listeners whose drops are in the past (ctr, as
 * tl_diagnose's, may be NULL). A young connection in the queue of a
 * listener that has one past the age is not counted: not-accepting
 * counts the whole queue. Then the CLOSE-WAIT past its age that
 * close_wait_min held back.
 */
void tl_diag_young(const struct tl_snapshot *snap,
		   const struct tl_counters *ctr,
		   const struct tl_diag_opts *opts, struct tl_diag_young *ret);

/*
 * Sorts findings as tl_diagnose returns them: the most severe group first,
 * a group being the findings of one first pid within one value of group
 * (tl_diagnose leaves it 0; a caller merging several namespaces' findings
 * sets it to tell them apart); host-wide findings stand alone. Within a
 * group: by severity, kind, port. Returns 0 or -ENOMEM.
 */
int tl_findings_sort(struct tl_finding *v, size_t n);

/* The kind's name ("not-accepting"), or NULL. */
const char *tl_finding_kind_name(int kind);

/* "warning", "critical", or NULL. */
const char *tl_severity_name(int sev);

/*
 * The age of an accept-queue connection in ms: the kernel stamps a new
 * child's last-send time at creation and nothing sends on a socket nobody
 * has accepted, so tcpi_last_data_sent is the time since the handshake.
 * Returns false when the socket carries no tcp_info.
 */
bool tl_diag_queue_age(const struct tl_sock *sk, uint64_t *ret_ms);

#ifdef __cplusplus
}
#endif
#endif
