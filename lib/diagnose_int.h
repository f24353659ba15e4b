/* SPDX-License-Identifier: MIT */
/*
 * Private to lib/diagnose.c and the rule files (lib/rules_*.c): the state
 * one run of tl_diagnose() hands to each rule, and the helpers every rule
 * uses to start a finding and to word it.
 */
#ifndef TCPLIMBO_DIAGNOSE_INT_H
#define TCPLIMBO_DIAGNOSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcplimbo/addr.h"
#include "tcplimbo/diagnose.h"
#include "internal.h"

/*
 * What the rules learn about one listener's queues. A connection that may
 * be in the accept queue of any of several SO_REUSEPORT listeners (see
 * tl_snapshot_may_queue) counts for each of them, and in shared too.
 */
struct diag_lstat {
	uint64_t queued, stale, closed, oldest_ms, syn;
	uint64_t shared; /* how many of queued may be in another's queue */
	uint32_t oldest; /* index + 1 of the oldest queued socket */
	uint8_t group;	 /* with shared: how many listeners share them */
	bool has_age;
	bool reported; /* an fd-exhaustion finding already covers it */
};

/* One run of the rules: their input, and the findings so far. */
struct diag {
	const struct tl_snapshot *snap;
	const struct tl_counters *ctr; /* may be NULL */
	const struct tl_diag_opts *o;
	struct tl_finding *v; /* the findings, grown by tli_diag_add */
	size_t n, cap;
	struct diag_lstat *ls; /* per socket; only listeners' are filled */
	uint8_t *proc_done;    /* per owner process: fd-exhaustion named it */
};

/* A rule: adds its findings to d; returns 0 or -ENOMEM. */
typedef int (*diag_rule_fn)(struct diag *d);

/* The rules, one a finding kind (lib/rules_*.c). */
int tli_diag_rule_fd_exhaustion(struct diag *d);
int tli_diag_rule_overflow(struct diag *d);
int tli_diag_rule_not_accepting(struct diag *d);
int tli_diag_rule_syn_backlog(struct diag *d);
int tli_diag_rule_close_wait(struct diag *d);
int tli_diag_rule_fin_wait2(struct diag *d);
int tli_diag_rule_time_wait(struct diag *d);
int tli_diag_rule_orphans(struct diag *d);

/*
 * A bitmap of the local ports something listens on in snap (8 KiB, the
 * caller frees it), or NULL when out of memory; tli_diag_port_in reads it.
 */
uint8_t *tli_diag_listening_ports(const struct tl_snapshot *snap);
bool tli_diag_port_in(const uint8_t *bits, uint16_t port);

/* Fills d->ls from the sockets tied to each listener. 0 or -ENOMEM. */
int tli_diag_listener_stats(struct diag *d);

/*
 * Starts a finding of kind and severity with its kind's state and texts.
 * Returns NULL when out of memory.
 */
struct tl_finding *tli_diag_add(struct diag *d, int kind, int sev);

/*
 * A finding about the listener at index i, naming everyone who holds it.
 */
struct tl_finding *tli_diag_add_listener(struct diag *d, int kind, int sev,
					 size_t i);

/* Writes a finding's one-line summary, cut to fit. */
void tli_diag_summary(struct tl_finding *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Names a process in f (once). */
void tli_diag_add_pid(struct tl_finding *f, pid_t pid, const char *comm);

/* Names every process holding sk in f. */
void tli_diag_add_owners(const struct tl_snapshot *snap, struct tl_finding *f,
			 const struct tl_sock *sk);

/* Sets f's address to sk's local one. */
void tli_diag_set_local(struct tl_finding *f, const struct tl_sock *sk);

/*
 * Names f's processes: "pid 12 (nginx)", "pids 12, 13 (nginx)",
 * "nginx (master 12, workers 13, 14)" when one is the parent of the
 * others, or "a holder not seen".
 */
const char *tli_diag_who_text(char *buf, size_t size,
			      const struct tl_snapshot *snap,
			      const struct tl_finding *f);

/*
 * True when tli_diag_who_text names several processes that take a plural
 * verb ("pids 12, 13 (x) are"); a master and its workers are one program.
 */
bool tli_diag_plural(const struct tl_snapshot *snap,
		     const struct tl_finding *f);

/* How many of a finding's pids are stored in pids[]. */
size_t tli_diag_stored_pids(const struct tl_finding *f);

/* The owner process at idx, or NULL. */
const struct tl_proc *tli_diag_proc_at(const struct tl_snapshot *snap,
				       uint32_t idx);

/* True when a process is at or near its fd limit (fd_warn_pct). */
bool tli_diag_fd_near(const struct tl_proc *p, const struct tl_diag_opts *o);

/* True when a process has as many fds open as it may. */
bool tli_diag_fd_at_limit(const struct tl_proc *p);

/*
 * "64 of 64 fds open", or "13 fds open, more than its limit of 12" for a
 * process whose limit was lowered below what it held. Returns buf.
 */
const char *tli_diag_fds_text(char *buf, size_t size, const struct tl_proc *p);

/* calloc that is fine with n == 0 (*p is NULL then). 0 or -ENOMEM. */
int tli_diag_alloc_zero(void **p, size_t n, size_t size);

/*
 * A socket its program holds (an fd, no limbo), as close-wait-leak and
 * fin-wait2-stuck count them, and tl_diag_young below their thresholds.
 */
static inline bool diag_held(const struct tl_sock *sk)
{
	return sk->inode != 0 && sk->limbo == TL_LIMBO_NONE;
}

/* A held CLOSE_WAIT or FIN_WAIT2's time in its state (tli_held_age). */
static inline bool diag_held_age(const struct tl_sock *sk, uint64_t *ret_ms)
{
	return tli_held_age(sk, ret_ms);
}

/*
 * How many of the listener's drops can be a full queue's. Its drop counter
 * (sock_diag's meminfo) counts every packet the listener discarded: the
 * SYNs and handshake ACKs of a full queue, but also each data-less ACK
 * TCP_DEFER_ACCEPT drops (Apache sets it by default: one a request) and
 * checksum or filter drops. The namespace's TcpExt ListenDrops (ctr, when
 * not NULL) counts only the first kind, for all its listeners: it bounds
 * this one's share.
 */
uint32_t tli_diag_queue_drops(const struct tl_counters *ctr,
			      const struct tl_sock *L);

/* Recv-Q of a listener is its accept queue, Send-Q the backlog. */
static inline bool diag_queue_full(const struct tl_sock *L)
{
	return L->rqueue > L->wqueue;
}

/*
 * Whether a listener's queue is under pressure now: at least half full.
 * Its drop counter only grows, so drops count as a finding only then; a
 * single look cannot tell past drops from present ones otherwise.
 */
/*
 * Whether L's drop counter grew by later's dump of the same namespace (see
 * tl_diag_opts.drops_later): its drops go on. False for a listener closed
 * meanwhile.
 */
bool tli_diag_drops_grew(const struct tl_snapshot *later,
			 const struct tl_sock *L);

/*
 * Whether the other looks the options carry (drops_later, drops_before)
 * leave L's drops going on: true where it has none to compare, or its
 * counter grew in each, and its namespace's ListenDrops (ctr, now) too
 * where both looks read it. False at a first look (drops_first_look). A
 * listener new since drops_before takes its namespace's ListenDrops then
 * from another listener of snap.
 */
bool tli_diag_drops_go_on(const struct tl_diag_opts *o,
			  const struct tl_counters *ctr,
			  const struct tl_snapshot *snap,
			  const struct tl_sock *L);

/*
 * Whether every process's fds were read (none denied, none hidden): a
 * socket with an inode that no process holds is then held where no fd
 * table shows it (a unix socket's message in flight, io_uring's
 * registered files), not by a process not seen.
 */
static inline bool diag_all_read(const struct tl_snapshot *snap)
{
	return snap->owners && snap->owners->n_denied == 0 &&
	       !snap->owners->hidden;
}

static inline bool diag_queue_pressed(const struct tl_sock *L)
{
	return L->rqueue > 0 && (uint64_t)L->rqueue * 2 >= L->wqueue;
}

#endif
