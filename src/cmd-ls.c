// SPDX-License-Identifier: MIT
/* tcplimbo ls: every TCP socket, with its owner and limbo class. */
#include <errno.h>
#include <getopt.h>
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
		"                   or pod each socket lives in\n");
}

enum { LS_OPT_NO_OWNERS = 0x2000 };

int cmd_ls(struct tl_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		TL_FILTER_LONGOPTS,
		{ "json", no_argument, NULL, 'j' },
		{ "no-header", no_argument, NULL, 'H' },
		{ "context", no_argument, NULL, 'C' },
		{ "no-owners", no_argument, NULL, LS_OPT_NO_OWNERS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char obuf[1 << 16];
	static struct json w;
	struct tl_filter *f;
	struct tl_snapshot *snap = NULL;
	bool header = true, context = false;
	int c, ret = 1;

	/* The filter holds arrays: too big for a small stack, so heap it. */
	f = calloc(1, sizeof(*f));
	if (!f) {
		tl_err("out of memory");
		return 1;
	}
	while ((c = getopt_long(argc, argv, "jHCh", longopts, NULL)) != -1) {
		int r = tl_filter_option(f, c, optarg);

		if (r < 0) {
			ret = TL_EXIT_USAGE;
			goto out;
		}
		if (r > 0)
			continue;
		switch (c) {
		case 'j':
			g->json = true;
			break;
		case 'H':
			header = false;
			break;
		case 'C':
			context = true;
			break;
		case LS_OPT_NO_OWNERS:
			g->no_owners = true;
			break;
		case 'h':
			ls_usage(stdout);
			ret = 0;
			goto out;
		default:
			/* getopt named the bad option; one line is enough. */
			fprintf(stderr, "Try 'tcplimbo ls --help'.\n");
			ret = TL_EXIT_USAGE;
			goto out;
		}
	}
	if (optind < argc) {
		tl_err("ls: unexpected argument '%s'", argv[optind]);
		ret = TL_EXIT_USAGE;
		goto out;
	}
	if (g->no_owners && tl_filter_needs_owners(f)) {
		tl_err("ls: --pid and --comm need owners; drop --no-owners");
		ret = TL_EXIT_USAGE;
		goto out;
	}
	if (tl_filter_check_context(f, g) < 0) {
		ret = TL_EXIT_USAGE;
		goto out;
	}
	if (tl_take_snapshot(g, tl_filter_states(f), &snap) < 0)
		goto out;
	/* JSON always says where; the table only when asked. */
	if (g->json || context || tl_filter_needs_context(f))
		ctx_attach(g, snap);

	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	json_init_file(&w, stdout);
	if (g->json)
		json_arr_begin(&w);
	else if (header && context)
		out_table_header_ctx(stdout);
	else if (header)
		out_table_header(stdout);
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *sk = &snap->socks[i];

		/* Listeners come along for the tie even when not asked for. */
		if (!snap->in_filter[i] || !tl_filter_match(f, snap, sk))
			continue;
		if (g->json) {
			json_next_line(&w);
			out_sock_json(&w, snap, sk);
		} else if (context) {
			const struct tl_context *cx = NULL;
			char where[2 * TL_CONTEXT_STR_MAX + 16];

			if (sk->has & TL_HAS_CGROUP)
				cx = tl_cgroups_context(snap->cgroups,
							sk->cgroup_id);
			out_sock_row_ctx(stdout, snap, sk,
					 ctx_short(where, sizeof(where), cx));
		} else {
			out_sock_row(stdout, snap, sk);
		}
	}
	if (g->json) {
		json_raw(&w, "\n", 1);
		json_arr_end(&w);
		json_raw(&w, "\n", 1);
	}
	/* stderr, so JSON on stdout stays clean and the gap is still told. */
	if (snap->owners && snap->owners->n_denied)
		fprintf(stderr,
			"tcplimbo: the fds of %zu process%s could not be read; "
			"sockets they hold show no owner%s\n",
			snap->owners->n_denied,
			snap->owners->n_denied == 1 ? "" : "es",
			geteuid() ? " (run as root to see them)" : "");
	ret = json_flush(&w) == 0 && fflush(stdout) == 0 ? 0 : 1;
	if (ret)
		tl_err("cannot write output: %s", strerror(errno));
out:
	tl_snapshot_free(snap);
	free(f);
	return ret;
}
