/* SPDX-License-Identifier: MIT */
/*
 * The doctor's state, shared by src/cmd-doctor.c (options, looking into
 * the namespaces, the rules) and src/doctor-print.c (the report, in text
 * and JSON).
 */
#ifndef TL_DOCTOR_H
#define TL_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tcplimbo/context.h"
#include "tcplimbo/diagnose.h"
#include "tcplimbo/netns.h"
#include "tcplimbo/survey.h"

struct tl_global;
struct why;

/* A name or net:[inode] (pid P), and the unit or container that is there. */
#define NETNS_LABEL_MAX (TL_NETNS_SPEC_MAX + 48 + CTX_TEXT_MAX)
/* ctx_text's longest words. */
#define CTX_TEXT_MAX (4 * TL_CONTEXT_STR_MAX + 64)

/* One namespace to look into. */
/* How long after a snapshot its listeners' drops are looked at again. */
#define DOCTOR_DROPS_AGAIN_MS 1000

struct target {
	int fd; /* -1: ours */
	bool own_fd;
	char label[NETNS_LABEL_MAX];
	char error[512]; /* why we could not look, or "" */
	size_t n_socks;
	size_t n_denied;
	bool looked;
	/*
	 * fd (at -1, this process's namespace) is the namespace: a socket
	 * of it can be looked up again. Not so for --all-netns's others,
	 * whose files the survey has closed.
	 */
	bool here;
	struct tl_snapshot *snap; /* kept for the evidence until printed */
	/* Its listeners a moment later, where drops were looked at again. */
	struct tl_snapshot *later;
	/* Its counters then, when have_later_ctr: did ListenDrops grow? */
	struct tl_counters later_ctr;
	bool have_later_ctr;
	struct tl_counters ctr; /* the namespace's, when have_ctr */
	bool have_ctr;
	pid_t pid;	/* --all-netns: a process in it, or 0 */
	uint64_t inode; /* the namespace's, or 0 when not known */
};

struct doctor {
	struct tl_diag_opts opts;
	struct target *targets;
	size_t n_targets;
	struct tl_finding *found; /* of every namespace: group is the target */
	size_t n_found;
	struct why *why; /* per finding, after sorting; NULL for none */
	struct tl_survey *survey; /* --all-netns: owns the shared scan */
};

/*
 * Whether the snapshot has a listener whose drops a second look could show
 * to be past (tl_diag_drops_unsure), where a second look can be taken (a
 * live dump, not a replay).
 */
bool doctor_drops_unsure(const struct doctor *d, const struct tl_global *g,
			 const struct tl_snapshot *snap,
			 const struct tl_counters *ctr);

/* The moment between the two looks (DOCTOR_DROPS_AGAIN_MS); one for all. */
void doctor_drops_pause(void);

/*
 * The second look, after doctor_drops_pause: the listeners of the
 * namespace netns_fd (-1: ours) dumped again and the rules run again over
 * snap with them. Replaces *f and returns the new count, or returns n and
 * leaves *f where the second dump fails. t keeps the second dump.
 */
int doctor_drops_again(struct doctor *d, const struct tl_global *g,
		       struct target *t, int netns_fd,
		       const struct tl_snapshot *snap,
		       const struct tl_counters *ctr, int n,
		       struct tl_finding **f);

/*
 * doctor_drops_again for a namespace of the survey, opened again by its
 * name or through its process, only if it is still the one surveyed.
 * Returns the findings' count, which ns then holds.
 */
int doctor_drops_again_ns(struct doctor *d, const struct tl_global *g,
			  struct target *t, struct tl_survey_ns *ns);

/* What the age thresholds held back in t, by what was looked at in it. */
void doctor_target_young(const struct doctor *d, const struct target *t,
			 struct tl_diag_young *y);

/*
 * Connections the age thresholds held back: without this, a server that
 * stopped accepting a second ago gets "No TCP limbo found" while ss shows
 * its queue. Said, not counted: the exit status stays the findings'.
 */
void doctor_young_note(const struct doctor *d);

/* Writes the report as text: findings grouped by process, then notes. */
void doctor_print_text(const struct doctor *d, const struct tl_global *g);

/*
 * Writes the report as one JSON object {"findings": [...], ...}. Returns 0,
 * or -errno when a write failed.
 */
int doctor_print_json(const struct doctor *d, const struct tl_global *g);

#endif
