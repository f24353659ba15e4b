// SPDX-License-Identifier: MIT
/*
 * tcplimbo: global options, then one verb. Each verb lives in its own
 * cmd-<verb>.c and gets the global options in a struct, never in globals.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"
#include "tcplimbo/netns.h"
#include "tl.h"

struct verb {
	const char *name;
	int (*fn)(struct tl_global *g, int argc, char **argv);
	const char *help;
	/* Exit status for a bad option; 0 means TL_EXIT_USAGE. */
	int usage_status;
};

/* One line a verb: several people add verbs at once. */
static const struct verb verbs[] = {
	{ "drain", cmd_drain,
	  "free an accept queue of connections whose "
	  "client is gone",
	  0 },
	{ "doctor", cmd_doctor, "find what is stuck, who holds it and why", 3 },
	{ "explain", cmd_explain, "explain a TCP state or draw the diagram",
	  0 },
	{ "kill", cmd_kill, "destroy sockets and say what that did not free",
	  0 },
	{ "lab", cmd_lab, "run the post's experiment and its relatives", 0 },
	{ "ls", cmd_ls, "list TCP sockets with owners and limbo class", 0 },
	{ "serve", cmd_serve, "export metrics for Prometheus over HTTP", 0 },
	{ "watch", cmd_watch, "show TCP state transitions live, with owners",
	  0 },
};

void tl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("tcplimbo: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tcplimbo [OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Global options:\n"
		"  -N, --netns NAME|PATH|PID  look into this network namespace\n"
		"  -4, -6                     IPv4 or IPv6 only\n"
		"  -j, --json                 JSON output\n"
		"      --no-owners            skip the /proc scan for owners\n"
		"      --record FILE          save the raw sock_diag dump to FILE\n"
		"      --replay FILE          read sockets from a saved dump\n"
		"      --proc-root DIR        read processes from DIR, not /proc\n"
		"      --root DIR             read /proc, /sys, /run and /var/lib\n"
		"                             under DIR (or $TCPLIMBO_ROOT)\n"
		"  -h, --help                 this help\n"
		"  -V, --version              print the version\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].help);
	fprintf(f, "\nSee tcplimbo(8).\n");
}

enum { OPT_NO_OWNERS = 256, OPT_RECORD, OPT_REPLAY, OPT_PROC_ROOT, OPT_ROOT };

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "netns", required_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-owners", no_argument, NULL, OPT_NO_OWNERS },
		{ "record", required_argument, NULL, OPT_RECORD },
		{ "replay", required_argument, NULL, OPT_REPLAY },
		{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct tl_global g = {
		.family = AF_UNSPEC,
		.netns_fd = -1,
		.proc_root = "/proc",
		.prog = "tcplimbo",
	};
	struct tl_where where = { 0 };
	const struct verb *verb = NULL;
	char **vargv, progname[64], proc_root[4096];
	bool proc_root_given = false;
	int c, ret, vargc;

	/* '+' stops at the verb, so each verb parses its own options. */
	while ((c = getopt_long(argc, argv, "+N:46jhV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'N':
			g.netns_spec = optarg;
			break;
		case '4':
			g.family = AF_INET;
			break;
		case '6':
			g.family = AF_INET6;
			break;
		case 'j':
			g.json = true;
			break;
		case OPT_NO_OWNERS:
			g.no_owners = true;
			break;
		case OPT_RECORD:
			g.record_path = optarg;
			break;
		case OPT_REPLAY:
			g.replay_path = optarg;
			break;
		case OPT_PROC_ROOT:
			g.proc_root = optarg;
			proc_root_given = true;
			break;
		case OPT_ROOT:
			g.root = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("tcplimbo %s\n", TL_VERSION);
			return 0;
		default:
			/* getopt has said what was wrong. */
			usage(stderr);
			return TL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	/* The environment is read here, never in the library. */
	if (!g.root)
		g.root = getenv("TCPLIMBO_ROOT");
	if (!g.root)
		g.root = "";
	if (g.root[0]) {
		struct stat st;

		int err = stat(g.root, &st) < 0 ? errno :
			  !S_ISDIR(st.st_mode)	? ENOTDIR :
						  0;

		if (err) {
			tl_err("root '%s': %s", g.root, strerror(err));
			return TL_EXIT_USAGE;
		}
	}
	if (g.root[0] && !proc_root_given) {
		if (snprintf(proc_root, sizeof(proc_root), "%s/proc", g.root) >=
		    (int)sizeof(proc_root)) {
			tl_err("--root '%s': the path is too long", g.root);
			return TL_EXIT_USAGE;
		}
		g.proc_root = proc_root;
	}
	g.where = &where;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[optind], verbs[i].name) == 0)
			verb = &verbs[i];
	if (!verb) {
		tl_err("unknown command '%s' (try --help)", argv[optind]);
		return TL_EXIT_USAGE;
	}
	if (g.netns_spec) {
		g.netns_fd = tl_netns_open(g.netns_spec);
		if (g.netns_fd < 0) {
			tl_err("network namespace '%s': %s", g.netns_spec,
			       g.netns_fd == -EINVAL ?
				       "not a name, path or pid" :
				       strerror(-g.netns_fd));
			return verb->usage_status ? verb->usage_status :
						    TL_EXIT_USAGE;
		}
	}
	/* Each verb sees its own name as argv[0], like a separate program. */
	vargc = argc - optind;
	vargv = argv + optind;
	/* getopt's messages then read "tcplimbo ls: unrecognized option". */
	snprintf(progname, sizeof(progname), "tcplimbo %s", verb->name);
	vargv[0] = progname;
	optind = 0;
	ret = verb->fn(&g, vargc, vargv);
	if (g.netns_fd >= 0)
		close(g.netns_fd);
	tl_cgroups_free(where.cg);
	return ret;
}
