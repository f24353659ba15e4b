// SPDX-License-Identifier: MIT
/*
 * tcplimbo lab: the post's experiment and its relatives with real sockets.
 *   lab list                      the scenarios, one line each
 *   lab run SCENARIO [options]    run one in a private network namespace
 *   lab server [options]          the post's server and its variants
 *   lab client [options]          the post's client
 * The programs live in lab/; this file only parses lab run's options.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../lab/lab.h"
#include "tl.h"

static void lab_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcplimbo lab list\n"
		"       tcplimbo lab run SCENARIO [--wait DURATION] [--json]\n"
		"            [--port P] [--no-netns] [--hook CMD]...\n"
		"            [--then CMD]... [--then-at STEP]\n"
		"            [--hook-timeout DURATION] [--end accept|exit|drain]\n"
		"       tcplimbo lab server [--addr A] [--port P] [--backlog N]\n"
		"            [--mode M] [--nofile N] [--maxconn N] [--seconds S]\n"
		"            (M: no-accept, no-close, emfile, reserve-fd, good,\n"
		"            close-first, prefork-emfile, edge-once, oneshot,\n"
		"            limit, spawn)\n"
		"       tcplimbo lab client [--addr A] [--port P] [--wait S]\n"
		"            [--send TEXT] [--count N] [--no-close]\n"
		"            [--connect-timeout MS]\n"
		"\n"
		"lab run starts the server and the clients in a private network\n"
		"namespace (without CAP_SYS_ADMIN, or with --no-netns, on\n"
		"127.0.0.1 with a free port here), snapshots it after each step\n"
		"and explains what the kernel did. --wait is how long each step\n"
		"is shown (default 3s; DURATION: 500ms, 1.5s, 2m, at most 1h; a\n"
		"bare number counts seconds). --hook CMD runs after every step and\n"
		"--then CMD once, after the step --then-at names (default: the\n"
		"last), both inside the namespace with TL_LAB_SCENARIO,\n"
		"TL_LAB_STEP, TL_LAB_ADDR, TL_LAB_PORT, TL_LAB_PID (a process in\n"
		"the namespace, for -N), TL_LAB_SERVER_PID and TL_LAB_NETNS set;\n"
		"a failing --hook fails the run, a --then's status is only\n"
		"reported. --end says how the seed scenario ends: the server\n"
		"accepts and closes (default), exits, or is left alone while\n"
		"tcplimbo drains its queue from outside (drain).\n"
		"\n" TL_GLOBAL_HELP);
}

static int lab_list(void)
{
	for (const struct lab_scenario *s = lab_scenarios; s->name; s++)
		printf("%-12s %s\n", s->name, s->summary);
	return 0;
}

/* lab run's durations: a bare number counts seconds, as it always did. */
static int lab_duration(const char *opt, const char *arg, uint64_t min_ms,
			unsigned *ret_ms)
{
	uint64_t ms;

	if (tl_duration_option("lab run", opt, arg, 1000, min_ms,
			       LAB_MAX_WAIT * 1000ULL, &ms) < 0)
		return -EINVAL;
	*ret_ms = (unsigned)ms;
	return 0;
}

/*
 * Parses lab run's options into opts; returns 0, TL_PARSE_HELP or -EINVAL
 * (logged).
 */
static int lab_parse_run(struct tl_global *g, int argc, char **argv,
			 struct lab_opts *opts)
{
	enum {
		OPT_NO_NETNS = 256,
		OPT_HOOK,
		OPT_THEN,
		OPT_THEN_AT,
		OPT_HOOK_TIMEOUT,
		OPT_END,
	};
	static const struct option longopts[] = {
		TL_GLOBAL_LONGOPTS,
		{ "wait", required_argument, NULL, 'w' },
		{ "port", required_argument, NULL, 'p' },
		{ "no-netns", no_argument, NULL, OPT_NO_NETNS },
		{ "hook", required_argument, NULL, OPT_HOOK },
		{ "then", required_argument, NULL, OPT_THEN },
		{ "then-at", required_argument, NULL, OPT_THEN_AT },
		{ "hook-timeout", required_argument, NULL, OPT_HOOK_TIMEOUT },
		{ "end", required_argument, NULL, OPT_END },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct lab_scenario *sc;
	const char *end_arg = NULL;
	int c;

	memset(opts, 0, sizeof(*opts));
	opts->wait_ms = 3000;
	opts->hook_timeout_ms = 60000;
	/* Options may come before or after the scenario. */
	while ((c = getopt_long(argc, argv, TL_GLOBAL_SHORTOPTS "w:p:h",
				longopts, NULL)) != -1) {
		if (tl_global_option(g, c, optarg))
			continue;
		switch (c) {
		case 'w':
			if (lab_duration("--wait", optarg, 0, &opts->wait_ms) <
			    0)
				return -EINVAL;
			break;
		case 'p':
			if (tl_parse_port(optarg, &opts->port) < 0 ||
			    opts->port == 0) {
				tl_err("lab run: bad --port '%s' (1..65535)",
				       optarg);
				return -EINVAL;
			}
			opts->port_set = true;
			break;
		case OPT_NO_NETNS:
			opts->shared_netns = true;
			break;
		case OPT_HOOK:
		case OPT_THEN:
			/* sh -c '' passes, and would check nothing. */
			if (!optarg[0]) {
				tl_err("lab run: --%s '': give a command",
				       c == OPT_HOOK ? "hook" : "then");
				return -EINVAL;
			}
			if ((c == OPT_HOOK ? opts->n_hooks : opts->n_thens) >=
			    LAB_MAX_HOOKS) {
				tl_err("lab run: more than %d --%s commands",
				       LAB_MAX_HOOKS,
				       c == OPT_HOOK ? "hook" : "then");
				return -EINVAL;
			}
			if (c == OPT_HOOK)
				opts->hooks[opts->n_hooks++] = optarg;
			else
				opts->thens[opts->n_thens++] = optarg;
			break;
		case OPT_THEN_AT:
			opts->then_at = optarg;
			break;
		case OPT_HOOK_TIMEOUT:
			/* 0 would kill every hook before it starts. */
			if (lab_duration("--hook-timeout", optarg, 1,
					 &opts->hook_timeout_ms) < 0)
				return -EINVAL;
			break;
		case OPT_END:
			end_arg = optarg;
			if (strcmp(optarg, "exit") == 0) {
				opts->end = LAB_END_EXIT;
			} else if (strcmp(optarg, "drain") == 0) {
				opts->end = LAB_END_DRAIN;
			} else if (strcmp(optarg, "accept") != 0) {
				tl_err("lab run: bad --end '%s' (accept, exit "
				       "or drain)",
				       optarg);
				return -EINVAL;
			}
			break;
		case 'h':
			lab_usage(stdout);
			return TL_PARSE_HELP;
		default:
			tl_bad_option(c, argv);
			return -EINVAL;
		}
	}
	if (optind >= argc) {
		tl_err("lab run: which scenario? (try: tcplimbo lab list)");
		return -EINVAL;
	}
	if (optind + 1 < argc) {
		tl_err("lab run: unexpected argument '%s'", argv[optind + 1]);
		return -EINVAL;
	}
	opts->scenario = argv[optind];
	sc = lab_scenario_find(opts->scenario);
	if (!sc) {
		tl_err("lab run: unknown scenario '%s' (try: tcplimbo lab "
		       "list)",
		       opts->scenario);
		return -EINVAL;
	}
	/* Only the post's own experiment has another way to end. */
	if (end_arg && strcmp(sc->name, "seed") != 0) {
		tl_err("lab run: --end '%s' is for the seed scenario; %s ends "
		       "as it is written",
		       end_arg, sc->name);
		return -EINVAL;
	}
	if (opts->then_at && !opts->n_thens) {
		tl_err("lab run: --then-at '%s' without a --then to run there",
		       opts->then_at);
		return -EINVAL;
	}
	if (opts->then_at && !lab_scenario_has_step(sc, opts->then_at)) {
		char list[256];
		size_t len = 0;

		list[0] = '\0';
		for (const char *const *st = sc->steps; *st; st++) {
			int n = snprintf(list + len, sizeof(list) - len, "%s%s",
					 len ? ", " : "", *st);

			if (n < 0 || (size_t)n >= sizeof(list) - len)
				break;
			len += (size_t)n;
		}
		tl_err("lab run: %s has no step '%s' for --then-at (its "
		       "steps: %s)",
		       sc->name, opts->then_at, list);
		return -EINVAL;
	}
	return 0;
}

/* lab's subcommand and, for lab run, its options. */
struct lab_cmd {
	const char *sub;
	int argc; /* lab server and client parse their own */
	char **argv;
	struct lab_opts run;
};

static int lab_parse(struct tl_global *g, void *opts, int argc, char **argv)
{
	struct lab_cmd *o = opts;
	int ret;

	/* "--" ends the options before the subcommand, as elsewhere. */
	if (argc >= 2 && strcmp(argv[1], "--") == 0) {
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	if (argc < 2) {
		tl_err("lab: which subcommand? (list, run, server, client)");
		return TL_PARSE_BAD;
	}
	o->sub = argv[1];
	o->argc = argc - 1;
	o->argv = argv + 1;
	/* None of them takes a dump to record, or reads one. */
	if ((g->record_path || g->replay_path) &&
	    (strcmp(o->sub, "list") == 0 || strcmp(o->sub, "server") == 0 ||
	     strcmp(o->sub, "client") == 0)) {
		tl_err("lab %s takes no dump: drop %s", o->sub,
		       g->record_path ? "--record" : "--replay");
		return TL_PARSE_BAD;
	}
	if (strcmp(o->sub, "list") == 0) {
		if (argc > 2) {
			tl_err("lab list: unexpected argument '%s'", argv[2]);
			return TL_PARSE_BAD;
		}
		return 0;
	}
	if (strcmp(o->sub, "server") == 0 || strcmp(o->sub, "client") == 0)
		return 0;
	if (strcmp(o->sub, "-h") == 0 || strcmp(o->sub, "--help") == 0 ||
	    strcmp(o->sub, "help") == 0) {
		lab_usage(stdout);
		return TL_PARSE_HELP;
	}
	if (strcmp(o->sub, "run") != 0) {
		tl_err("lab: unknown subcommand '%s' (list, run, server, "
		       "client)",
		       o->sub);
		return TL_PARSE_BAD;
	}
	/* lab run's getopt starts from its own name. */
	optind = 0;
	ret = lab_parse_run(g, o->argc, o->argv, &o->run);
	if (ret)
		return ret > 0 ? TL_PARSE_HELP : TL_PARSE_BAD;
	if (g->netns_spec) {
		tl_err("lab run makes its own network namespace: drop -N");
		return TL_PARSE_BAD;
	}
	/* Its snapshots are live and name owners: these would be ignored. */
	if (g->record_path || g->replay_path) {
		tl_err("lab run takes a live dump of its namespace at each "
		       "step: drop %s",
		       g->record_path ? "--record" : "--replay");
		return TL_PARSE_BAD;
	}
	if (g->no_owners) {
		tl_err("lab run names each socket's owner: drop --no-owners");
		return TL_PARSE_BAD;
	}
	return 0;
}

static int lab_cmd_run(const struct tl_global *g, void *opts)
{
	struct lab_cmd *o = opts;

	/*
	 * The server and client get a fresh getopt, named as the user typed
	 * them in its messages ("tcplimbo lab server: unrecognized option").
	 */
	optind = 0;
	if (o->argc > 0 &&
	    (strcmp(o->sub, "server") == 0 || strcmp(o->sub, "client") == 0))
		o->argv[0] = strcmp(o->sub, "server") == 0 ?
				     "tcplimbo lab server" :
				     "tcplimbo lab client";
	if (strcmp(o->sub, "list") == 0)
		return lab_list();
	if (strcmp(o->sub, "server") == 0)
		return lab_server_main(o->argc, o->argv);
	if (strcmp(o->sub, "client") == 0)
		return lab_client_main(o->argc, o->argv);
	o->run.json = g->json;
	return lab_run(&o->run);
}

const struct tl_verb tl_verb_lab = {
	.name = "lab",
	.help = "run the post's experiment and its relatives",
	.opts_size = sizeof(struct lab_cmd),
	.parse = lab_parse,
	.run = lab_cmd_run,
};
