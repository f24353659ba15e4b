/* SPDX-License-Identifier: MIT */
/*
 * The doctor's "why": evidence from /proc about the processes a listener or
 * fd-exhaustion finding names (lib/evidence.c gathers and concludes), and
 * how it is shown in text and in --json.
 */
#ifndef TL_WHY_H
#define TL_WHY_H

#include <stdbool.h>
#include <stdio.h>

#include "json.h"
#include "tcplimbo/diagnose.h"
#include "tcplimbo/evidence.h"

/* The most processes of one finding looked into, and findings per run. */
#define WHY_PIDS_MAX 4
#define WHY_FINDINGS_MAX 16

/* Evidence for one finding: one verdict per process looked into. */
struct why {
	size_t n; /* 0: none gathered */
	struct tl_evidence *ev;
	struct tl_ev_verdict v[WHY_PIDS_MAX];
	/* Combined over the processes. */
	int cause; /* enum tl_ev_cause */
	int certainty;
	size_t lead;	    /* the verdict that speaks for the finding */
	const char *remedy; /* fits the cause, or NULL */
	/*
	 * The program's own setting, static, or NULL: its connection limit
	 * (connection-limit), or what bounds the requests it is busy with
	 * (a close-wait-leak blocked elsewhere or on a lock).
	 */
	const char *setting;
	/* How to see where this runtime's threads wait, static, or NULL */
	const char *inspect;
	bool related_leak; /* a close-wait-leak finding of the same pid */
	size_t omitted;	   /* processes of the finding not looked into */
	/* remedy and inspect with the pids they are about (why_name_pids) */
	char remedy_buf[1536];
	char inspect_buf[512];
};

/* What why_program_text tells of a program. */
enum why_about {
	WHY_LIMIT,   /* its own connection limit, where the remedy names none */
	WHY_TIMEOUT, /* what bounds a request it is busy with */
	WHY_INSPECT, /* how to see where its threads wait */
	WHY_FDS,     /* where it sets its own fd limit */
	WHY_ABOUT_MAX,
};

/*
 * What the doctor knows of a program, told by its comm or (NULL: not
 * read) by words of its command line: static text, or NULL when the
 * program is not one it knows or it knows nothing of that about it.
 */
const char *why_program_text(const char *comm, const char *cmd,
			     enum why_about about);

/* Whether the finding is of a kind that evidence explains. */
bool why_wanted(const struct tl_finding *f);

/*
 * Gathers the evidence for finding f of snap (its listener is f->sock)
 * and concludes. all/n_all are every finding, to link related ones.
 * Returns 0 or -ENOMEM; an unreadable process is evidence, not an error.
 */
int why_gather(const char *proc_root, const struct tl_snapshot *snap,
	       const struct tl_finding *f, const struct tl_finding *all,
	       size_t n_all, struct why *w);

/*
 * text with each word PID replaced by pids (as "23954", or "1 2" where the
 * text takes several), into buf; text itself when there is no PID or buf
 * is too small. A remedy that names the pid it means can be run as it is,
 * at 3 a.m. Returns buf or text.
 */
const char *why_fill_pid(char *buf, size_t size, const char *text,
			 const char *pids);

/*
 * text with each whole word `word` (as "FD") replaced by value, into buf;
 * text itself when there is none or buf is too small. Returns buf or text.
 */
const char *why_fill_word(char *buf, size_t size, const char *text,
			  const char *word, const char *value);

/*
 * Puts the pids of the processes w's remedy and inspect line are about in
 * place of their PID: for a stopped program, every stopped one (kill
 * -CONT takes them all), which need not be the finding's first pid (a
 * stopped worker under its running master); otherwise the lead's. Called
 * by why_gather once w's cause is known.
 */
void why_name_pids(struct why *w);

/* Frees what why_gather allocated; a zeroed struct is fine. */
void why_free(struct why *w);

/* Prints the "cause:" lines, wrapped at indent. */
void why_print_text(FILE *out, const struct why *w, int indent);

/* Writes the keys cause, certainty and evidence (nulls if none). */
void why_print_json(struct json *j, const struct why *w);

#endif
