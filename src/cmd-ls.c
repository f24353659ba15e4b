// SPDX-License-Identifier: MIT
/* tcplimbo ls: every TCP socket, with its owner and limbo class. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "filter.h"
#include "output.h"
#include "tl.h"

static void ls_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcplimbo [-N NS] [-4|-6] [--json] [--no-owners] ls "
		"[FILTERS]\n"
		"\n"
		"Filters:\n" TL_FILTER_HELP "\n"
		"Options:\n"
		"  -j, --json       one JSON array of socket objects\n"
		"  -H, --no-header  no table header\n"
		"  -C, --context    a column naming the systemd unit, container\n"
		"                   or pod each socket lives in\n"
		"\n" TL_GLOBAL_HELP);
}

/* ls's own options; the filter is big, so main's heap holds it. */
struct ls_opts {
	struct tl_filter f;
	bool no_header;
	bool context;
};

static int ls_parse(struct tl_global *g, void *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		TL_GLOBAL_LONGOPTS,
		TL_FILTER_LONGOPTS,
		{ "no-header", no_argument, NULL, 'H' },
		{ "context", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ls_opts *o = opts;
	int c, r;

	while ((c = getopt_long(argc, argv, TL_GLOBAL_SHORTOPTS "HCh", longopts,
				NULL)) != -1) {
		if (tl_global_option(g, c, optarg))
			continue;
		r = tl_filter_option(&o->f, "ls", c, optarg);
		if (r < 0)
			return TL_PARSE_BAD;
		if (r > 0)
			continue;
		switch (c) {
		case 'H':
			o->no_header = true;
			break;
		case 'C':
			o->context = true;
			break;
		case 'h':
			ls_usage(stdout);
			return TL_PARSE_HELP;
		default:
			tl_bad_option(c, argv);
			return TL_PARSE_BAD;
		}
	}
	if (optind < argc) {
		tl_err("ls: unexpected argument '%s'", argv[optind]);
		return TL_PARSE_BAD;
	}
	if (tl_filter_check_owners(&o->f, g, "ls") < 0)
		return TL_PARSE_BAD;
	/* The table shows neither tcp_info nor drops: don't ask for them. */
	g->no_details = !g->json;
	return 0;
}

/* What ls_row needs; the rows are written as the dump brings them. */
struct ls_run {
	const struct tl_global *g;
	const struct ls_opts *o;
	struct json *w;
	bool started; /* the header or '[' is out */
	size_t rows;  /* sockets written */
};

/*
 * The header or the JSON array's start: written with the first row (or
 * after an empty list), so a snapshot that fails at once writes nothing.
 * The cgroup map is attached then too: JSON always says where, the table
 * only when asked. The stream's snapshot is ours to complete here.
 */
static void ls_start(struct ls_run *r, const struct tl_snapshot *snap)
{
	const struct tl_global *g = r->g;
	const struct ls_opts *o = r->o;

	if (r->started)
		return;
	r->started = true;
	if (g->json || o->context || tl_filter_needs_context(&o->f))
		ctx_attach(g, (struct tl_snapshot *)snap);
	/* Asked for a column it cannot fill: say why, once. */
	if (o->context && !snap->cgroups) {
		char why[PATH_MAX + 96];

		tl_err("note: --context names no unit or container: %s",
		       ctx_why_none(g, why, sizeof(why)));
	}
	if (g->json)
		json_arr_begin(r->w);
	else if (!o->no_header && o->context)
		out_table_header_ctx(stdout);
	else if (!o->no_header)
		out_table_header(stdout);
}

static int ls_row(const struct tl_snapshot *snap, const struct tl_sock *sk,
		  void *arg)
{
	struct ls_run *r = arg;
	const struct tl_global *g = r->g;

	ls_start(r, snap);
	if (!tl_filter_match(&r->o->f, snap, sk))
		return 0;
	r->rows++;
	if (g->json) {
		json_next_line(r->w);
		out_sock_json(r->w, snap, sk);
	} else if (r->o->context) {
		const struct tl_context *cx = NULL;
		char where[2 * TL_CONTEXT_STR_MAX + 16];

		if (sk->has & TL_HAS_CGROUP)
			cx = tl_cgroups_context(snap->cgroups, sk->cgroup_id);
		out_sock_row_ctx(stdout, snap, sk,
				 ctx_short(where, sizeof(where), cx));
	} else {
		out_sock_row(stdout, snap, sk);
	}
	return 0;
}

static int ls_run(const struct tl_global *g, void *opts)
{
	static char obuf[1 << 16];
	static struct json w;
	struct ls_opts *o = opts;
	struct tl_filter *f = &o->f;
	struct tl_snapshot *snap = NULL;
	struct ls_run r = { .g = g, .o = o, .w = &w };
	int ret = TL_EXIT_FAILURE;

	/* Needs --root, which may come after the verb: checked here. */
	if (tl_filter_check(f, g) < 0)
		return TL_EXIT_USAGE;
	tl_filter_note_units(f, g);
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	json_init_file(&w, stdout);
	/*
	 * Rows go out as the dump brings them, so memory does not grow with
	 * the sockets. A failure after some rows leaves them written: the
	 * exit status and the message say the list is not whole.
	 */
	if (tl_stream_snapshot(g, tl_filter_states(f), ls_row, &r, &snap) < 0)
		goto out;
	ls_start(&r, snap);
	if (g->json) {
		json_raw(&w, "\n", 1);
		json_arr_end(&w);
		json_raw(&w, "\n", 1);
	}
	/* stderr, so JSON on stdout stays clean and the gap is still told. */
	tl_warn_denied(NULL, snap);
	tl_filter_note_procs(f, snap, NULL);
	if (r.rows == 0 && tl_filter_needs_context(f))
		tl_filter_note_elsewhere(f, g);
	ret = json_flush(&w) == 0 && fflush(stdout) == 0 ? 0 : TL_EXIT_FAILURE;
	if (ret)
		tl_err("cannot write output: %s", strerror(errno));
out:
	tl_snapshot_free(snap);
	return ret;
}

const struct tl_verb tl_verb_ls = {
	.name = "ls",
	.help = "list TCP sockets with owners and limbo class",
	.opts_size = sizeof(struct ls_opts),
	.parse = ls_parse,
	.run = ls_run,
};
