/* SPDX-License-Identifier: MIT */
/*
 * What watch's files share: the state of one watch, and the helpers the
 * transition lines and the --top table both use. Only src/ includes this.
 */
#ifndef TL_WATCH_H
#define TL_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "escape.h"
#include "json.h"
#include "tcplimbo/context.h"
#include "tcplimbo/events.h"
#include "tcplimbo/netns.h"
#include "tcplimbo/resolver.h"
#include "tl.h"

/* Rows of the --top table; the rest are summed in one row. */
#define W_TOP_ROWS 64

struct w_top_row {
	char label[2 * ESC_SIZE(TL_COMM_MAX) + 96];
	uint32_t now[TL_STATE_MAX];
	uint32_t entered[TL_STATE_MAX];
};

/* The longest namespace label a watch keeps. */
#define W_NETNS_LABEL_MAX (TL_NETNS_SPEC_MAX + 48)

struct watch {
	const struct tl_global *g;
	struct tl_filter *f;
	struct tl_filter *f_sock; /* f without --pid/--comm: see event_pass */
	bool filter_owners;	  /* --pid or --comm given */
	bool filter_none;	  /* no filter given: every event passes */
	/*
	 * CLOCK_REALTIME ms when watch was stopped, 0 while it runs: what
	 * the buffers hand over later came after the stop, and is not told.
	 */
	uint64_t stopped_ms;
	bool top;
	struct tl_resolver *res;
	const char *backend;
	uint64_t reported;
	uint64_t named; /* reported with an owner, former or listener's */
	uint64_t kernel_named; /* of which the kernel recorded the owner */
	uint64_t ts_sec;       /* the second ts_text was made for */
	char ts_text[96];      /* its "YYYY-MM-DDTHH:MM:SS." */
	uint64_t jumps;
	uint64_t unknown;
	uint64_t fin_timeout_s; /* the namespace's tcp_fin_timeout, 0 unknown */
	struct w_top_row *rows; /* --top */
	size_t nrows;
	struct tl_cgroups *cg; /* NULL: no contexts */
	/*
	 * The watched namespace's label, as the doctor gives it, escaped
	 * for a line and as a JSON string, and its inode: an event of
	 * another is labelled by its inode.
	 */
	uint64_t netns_ino;
	char netns_text[ESC_SIZE(W_NETNS_LABEL_MAX)];
	char netns_json[6 * W_NETNS_LABEL_MAX + 3];
	struct json json; /* --json lines, on stdout */
	/*
	 * A stop signal interrupted a write to a full stdout: its reader is
	 * not reading. What was buffered is dropped (dropped counts the
	 * transitions reported whose line was not written whole), and
	 * nothing more is written (unwritten counts the transitions that
	 * came after, and those still in the buffers).
	 */
	bool out_dropped;
	uint64_t flushed; /* reported when the last write went through */
	uint64_t dropped;
	uint64_t unwritten;
};

/* "pid/comm", "pid/comm +N" for more holders, or "-". */
void watch_owner_text(char *buf, size_t size,
		      const struct tl_resolver_owners *ow);

/* "2026-11-24T12:34:56.789Z" when full, else the time alone (the table). */
void watch_format_ts(char *buf, size_t size, uint64_t ms, bool full);

/* One JSON line for a transition that passed the filters (watch --json). */
void watch_print_json(struct watch *w, const struct tl_event *ev,
		      const struct tl_resolved *r);

/* One text line for a transition that passed the filters. */
void watch_print_text(struct watch *w, const struct tl_event *ev,
		      const struct tl_resolved *r);

/* Counts one transition that passed the filters in its --top row. */
void watch_top_event(struct watch *w, const struct tl_event *ev,
		     const struct tl_resolved *r);

/*
 * Counts the sockets of the current snapshot per row, prints the table
 * with the transitions into each state since the last one, and starts a
 * new interval.
 */
void watch_top_render(struct watch *w, struct tl_events *ev, bool tty);

/*
 * The line on stderr that ends a watch: what was reported, with each
 * backend's own counts (poll's sampled jumps, bpf's lost and missed),
 * and what the owner rescans took.
 */
void watch_print_summary(const struct watch *w, struct tl_events *ev);

/* Sets the watched namespace's label (tl_netns_label_of) and inode. */
void watch_set_netns(struct watch *w, const char *label, uint64_t ino);

#endif
