/* SPDX-License-Identifier: MIT */
/*
 * serve's metrics: a survey of the machine turned into Prometheus
 * families (see tcplimbo(8), METRICS, for every name and label). Kept
 * apart from the HTTP side so it can be tested on a survey alone.
 */
#ifndef TL_METRICS_H
#define TL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "prom.h"
#include "tcplimbo/context.h"
#include "tcplimbo/survey.h"

/* The default cap on series, and the least that makes sense. */
#define METRICS_MAX_SERIES_DEFAULT 10000

struct metrics_opts {
	size_t max_series; /* cap on every series of one scrape */
	/*
	 * The -N spec's name when serving one named namespace, else NULL:
	 * the survey knows names only when it lists every namespace.
	 */
	const char *single_name;
	/*
	 * Where the unit and container labels are read from: the global
	 * root prefix ("" for /) and the proc directory under it.
	 */
	const char *root;
	const char *proc_root;
	/*
	 * What earlier scans left, for counters that must not fall; NULL
	 * renders the survey alone. Updated by each render: renders that
	 * share one must not run at once.
	 */
	struct metrics_ledger *ledger;
};

/* The unit, container and pod labels of a series: "" when there is none. */
struct metrics_place {
	char unit[TL_CONTEXT_STR_MAX];
	char container[TL_CONTEXT_STR_MAX];
	/* Kubernetes: the pod (its name, or its uid) and its namespace. */
	char pod[TL_CONTEXT_STR_MAX];
	char pod_namespace[64]; /* a DNS label: at most 63 bytes */
};

/*
 * The place of process pid, read from its cgroup under o's root (all ""
 * when pid is 0, there is no cgroup2, or the process is gone). Quiet: a
 * process may end at any time.
 */
void metrics_place_of(const struct metrics_opts *o, pid_t pid,
		      struct metrics_place *pl);

/*
 * Adds pl's unit, container, pod and namespace labels after lb's n
 * others (at most 4), each only when known (to Prometheus an empty label
 * is no label); returns the count.
 */
size_t metrics_place_labels(const struct metrics_place *pl,
			    struct prom_label *lb, size_t n);

/* Whether a and b are one place: every label equal. */
bool metrics_same_place(const struct metrics_place *a,
			const struct metrics_place *b);

/* What a render produced. */
struct metrics_result {
	size_t series;		 /* samples written */
	size_t series_dropped;	 /* per-listener/per-process ones left out */
	size_t netns_looked;	 /* namespaces looked into */
	size_t netns_unreadable; /* namespaces that could not be */
	size_t sockets;		 /* sockets seen in all of them */
};

/*
 * Writes every family of the survey into p (a scrape's body, minus the
 * counters of the server itself). Returns 0, or -ENOMEM.
 */
int metrics_render(const struct tl_survey *sv, const struct metrics_opts *o,
		   struct prom *p, struct metrics_result *res);

/*
 * The ledger that keeps each listener series' tcplimbo_listen_drops_total
 * from falling when one of its SO_REUSEPORT members closes (see
 * metrics-ledger.c). One listener socket of a scan, as the ledger sees it:
 */
struct ledger_sock {
	uint64_t cookie; /* the socket's */
	uint64_t key;	 /* its series', from metrics_ledger_key */
	uint64_t drops;	 /* its own SYN drops now */
	/* its namespace's TcpExt ListenDrops now, where has_ns */
	bool has_ns;
	uint64_t ns_drops;
};

struct metrics_ledger;

/* A new, empty ledger into *ret; 0 or -ENOMEM. */
int metrics_ledger_new(struct metrics_ledger **ret);

/* Frees a ledger; NULL is allowed. */
void metrics_ledger_free(struct metrics_ledger *lg);

/*
 * A series' key: the values of the n labels it is written with (netns,
 * listener, comm and its place), in a fixed order.
 */
uint64_t metrics_ledger_key(const char *const *labels, size_t n);

/*
 * Takes the n listener sockets of a new scan: the drops of last scan's
 * sockets that are gone are carried by their series while it has a
 * member. Returns 0, or -ENOMEM with the ledger as it was.
 */
int metrics_ledger_update(struct metrics_ledger *lg,
			  const struct ledger_sock *s, size_t n);

/* The drops carried for series key, to add to its members' (0: none). */
uint64_t metrics_ledger_carry(const struct metrics_ledger *lg, uint64_t key);

/*
 * Last scan's listener sockets and their drops, sorted by cookie, for the
 * next scan's tl_diag_opts.drops_before (with 0 of them after a scan of
 * none); NULL before the first scan: that one is drops_first_look.
 */
const struct tl_drops_seen *metrics_ledger_seen(const struct metrics_ledger *lg,
						size_t *n);

#endif
