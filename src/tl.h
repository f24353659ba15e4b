/* SPDX-License-Identifier: MIT */
/*
 * The tcplimbo command's shared declarations: global options and the verb
 * table. Only src/ includes this.
 */
#ifndef TL_CMD_H
#define TL_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tcplimbo/snapshot.h"

struct tl_where;

/* Exit status for usage errors, as ss and most tools use. */
#define TL_EXIT_USAGE 2

/* Options given before the verb; passed to every command. */
struct tl_global {
	int family; /* AF_UNSPEC, AF_INET or AF_INET6 */
	bool json;
	bool no_owners;
	const char *netns_spec;	 /* -N as given, or NULL */
	int netns_fd;		 /* opened from netns_spec, or -1 */
	const char *record_path; /* --record FILE: save the raw dump */
	const char *replay_path; /* --replay FILE: read a saved dump */
	const char *proc_root;	 /* --proc-root DIR (tests), default /proc */
	/*
	 * --root DIR or $TCPLIMBO_ROOT: the prefix of /proc, /sys, /run and
	 * /var/lib (tests' fake trees); "" for the real ones.
	 */
	const char *root;
	struct tl_where *where; /* the cgroup map (src/context.h) */
	const char *prog;	/* argv[0]'s basename, for messages */
	/* A /proc scan that snapshots reuse (doctor --all-netns), or NULL. */
	const struct tl_owners *owners_from;
};

/* Prints "tcplimbo: " and the message to stderr, with a newline. */
void tl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Fills snapshot options from the global ones and takes a snapshot,
 * opening and closing the record/replay files. Logs the failure itself
 * and returns -errno.
 */
int tl_take_snapshot(const struct tl_global *g, uint32_t states,
		     struct tl_snapshot **ret);

/*
 * The same, logging nothing: for callers that report the failure their
 * own way (the doctor notes it per namespace). Returns -errno.
 */
int tl_take_snapshot_quiet(const struct tl_global *g, uint32_t states,
			   struct tl_snapshot **ret);

/* Parses a port 0..65535 (decimal only); returns 0 or -EINVAL. */
int tl_parse_port(const char *s, uint16_t *ret);

/*
 * Parses a non-negative decimal integer no larger than max; returns 0 or
 * -EINVAL (empty, junk, sign, overflow).
 */
int tl_parse_uint(const char *s, uint64_t max, uint64_t *ret);

/*
 * Parses a duration ("5", "5s", "500ms", "2m") into milliseconds, at most
 * a day; returns 0 or -EINVAL.
 */
int tl_parse_duration(const char *s, uint32_t *ret);

/* The verbs. Each returns the process exit status. */
int cmd_drain(struct tl_global *g, int argc, char **argv);
int cmd_doctor(struct tl_global *g, int argc, char **argv);
int cmd_explain(struct tl_global *g, int argc, char **argv);
int cmd_kill(struct tl_global *g, int argc, char **argv);
int cmd_lab(struct tl_global *g, int argc, char **argv);
int cmd_serve(struct tl_global *g, int argc, char **argv);
int cmd_ls(struct tl_global *g, int argc, char **argv);
int cmd_watch(struct tl_global *g, int argc, char **argv);

#endif
