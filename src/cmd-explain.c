// SPDX-License-Identifier: MIT
/*
 * tcplimbo explain: what a TCP state means, how a socket gets there and
 * whose move it is to leave it; or the whole state diagram with the
 * number of sockets in each state now.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "output.h"
#include "tcplimbo/tcpstate.h"
#include "tl.h"

static void explain_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcplimbo [-N NS] explain STATE\n"
		"       tcplimbo [-N NS] [--replay FILE] explain --diagram\n"
		"       tcplimbo explain --transitions\n"
		"\n"
		"STATE is a name as ss, netstat or RFC 9293 spell it: close-wait,\n"
		"CLOSE_WAIT, CLOSE-WAIT, syn-received, new-syn-recv, ...\n"
		"\n"
		"Options:\n"
		"  -d, --diagram      the state diagram with the number of sockets\n"
		"                     in each state now (of the -N namespace)\n"
		"  -t, --transitions  every transition of RFC 9293's diagram\n"
		"  -j, --json         JSON output (STATE and --transitions)\n"
		"\n" TL_GLOBAL_HELP);
}

/* A label in a column of its own, then the text wrapped beside it. */
static void wrap(FILE *f, const char *label, const char *text, int indent)
{
	out_wrap(f, fprintf(f, "  %-*s", indent - 2, label), indent, text);
}

static const char *rfc_name(int state)
{
	const struct tl_tcp_state_info *i = tl_tcpstate_info(state);

	return i ? i->rfc_name : "?";
}

static void print_transition(FILE *f, const struct tl_tcp_transition *t)
{
	fprintf(f, "    %-12s --%s / snd %s--> %s\n", rfc_name(t->from),
		tl_tcpstate_event_name(t->event),
		tl_tcpstate_segment_name(t->send), rfc_name(t->to));
}

static void transition_json(struct json *j, const struct tl_tcp_transition *t)
{
	json_obj_begin(j);
	json_kv_str(j, "from", rfc_name(t->from));
	json_kv_str(j, "event", tl_tcpstate_event_name(t->event));
	json_kv_str(j, "send", tl_tcpstate_segment_name(t->send));
	json_kv_str(j, "to", rfc_name(t->to));
	json_obj_end(j);
}

static int explain_state(const struct tl_global *g, int state)
{
	const struct tl_tcp_state_info *i = tl_tcpstate_info(state);
	/*
	 * As ss and netstat name it: both show the kernel's request sockets
	 * (NEW_SYN_RECV) as SYN-RECV, and ss's filter takes syn-recv.
	 */
	int shown = state == TL_NEW_SYN_RECV ? TL_SYN_RECV : state;
	const char *ss = tl_state_name(shown) ? tl_state_name(shown) : "-";
	const char *netstat =
		tl_state_name_upper(shown) ? tl_state_name_upper(shown) : "-";
	const struct tl_tcp_transition *t;
	size_t n = tl_tcpstate_transitions(&t);
	int rfc = i->rfc_state;

	if (g->json) {
		struct json j;

		json_init_file(&j, stdout);
		json_obj_begin(&j);
		json_kv_str(&j, "state", i->rfc_name);
		json_kv_str(&j, "ss_name", tl_state_name(shown));
		json_kv_str(&j, "netstat_name", tl_state_name_upper(shown));
		json_kv_str(&j, "meaning", i->meaning);
		json_kv_str(&j, "how", i->how);
		json_kv_str(&j, "leave", i->leave);
		json_kv_str(&j, "whose_move", tl_tcpstate_actor_name(i->actor));
		json_kv_str(&j, "usual_bug", i->bug);
		json_kv_str(&j, "kernel", i->kernel);
		json_key(&j, "transitions");
		json_arr_begin(&j);
		for (size_t k = 0; k < n; k++)
			if (t[k].from == rfc || t[k].to == rfc)
				transition_json(&j, &t[k]);
		json_arr_end(&j);
		json_obj_end(&j);
		json_raw(&j, "\n", 1);
		json_flush(&j);
		return 0;
	}
	printf("%s (ss: %s, netstat: %s)\n", i->rfc_name, ss, netstat);
	wrap(stdout, "Means:", i->meaning, 14);
	wrap(stdout, "Gets here:", i->how, 14);
	wrap(stdout, "Leaves:", i->leave, 14);
	wrap(stdout, "Whose move:", tl_tcpstate_actor_name(i->actor), 14);
	wrap(stdout, "Usual bug:", i->bug, 14);
	if (i->kernel)
		wrap(stdout, "Linux:", i->kernel, 14);
	printf("  RFC 9293 transitions%s:\n",
	       rfc != state ? " (as SYN-RECEIVED)" : "");
	for (size_t k = 0; k < n; k++)
		if (t[k].from == rfc || t[k].to == rfc)
			print_transition(stdout, &t[k]);
	return 0;
}

static int explain_transitions(const struct tl_global *g)
{
	const struct tl_tcp_transition *t;
	size_t n = tl_tcpstate_transitions(&t);
	struct json j;

	if (!g->json) {
		for (size_t k = 0; k < n; k++)
			print_transition(stdout, &t[k]);
		return 0;
	}
	json_init_file(&j, stdout);
	json_arr_begin(&j);
	for (size_t k = 0; k < n; k++)
		transition_json(&j, &t[k]);
	json_arr_end(&j);
	json_raw(&j, "\n", 1);
	json_flush(&j);
	return 0;
}

static int explain_diagram(const struct tl_global *g)
{
	struct tl_global sg = *g;
	struct tl_snapshot *snap = NULL;
	uint64_t counts[TL_STATE_MAX];
	char *buf;
	int len;

	/* Counting needs no owners: skip the /proc scan. */
	sg.no_owners = true;
	if (tl_take_snapshot(&sg, TL_STATES_REAL, &snap) < 0)
		return TL_EXIT_FAILURE;
	memset(counts, 0, sizeof(counts));
	counts[TL_CLOSE] = TL_TCPSTATE_UNKNOWN;
	for (size_t i = 0; i < snap->n_socks; i++) {
		int st = tl_sock_kernel_state(&snap->socks[i]);

		if (snap->in_filter[i] && st < TL_STATE_MAX)
			counts[st]++;
	}
	tl_snapshot_free(snap);
	buf = malloc(TL_TCPSTATE_DIAGRAM_MAX);
	if (!buf) {
		tl_err("out of memory");
		return TL_EXIT_FAILURE;
	}
	len = tl_tcpstate_diagram(buf, TL_TCPSTATE_DIAGRAM_MAX, counts);
	if (len < 0) {
		tl_err("cannot draw the diagram: %s", strerror(-len));
		free(buf);
		return TL_EXIT_FAILURE;
	}
	fputs("TCP states (RFC 9293) and sockets in each now, namespace ",
	      stdout);
	esc_fputs(g->replay_path ? g->replay_path :
		  g->netns_spec	 ? g->netns_spec :
				   "of this process",
		  stdout);
	fputs(":\n\n", stdout);
	fputs(buf, stdout);
	free(buf);
	return 0;
}

struct explain_opts {
	bool diagram, transitions;
	int state;
};

static int explain_parse(struct tl_global *g, void *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		TL_GLOBAL_LONGOPTS,
		{ "diagram", no_argument, NULL, 'd' },
		{ "transitions", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct explain_opts *o = opts;
	int c;

	while ((c = getopt_long(argc, argv, TL_GLOBAL_SHORTOPTS "dth", longopts,
				NULL)) != -1) {
		if (tl_global_option(g, c, optarg))
			continue;
		switch (c) {
		case 'd':
			o->diagram = true;
			break;
		case 't':
			o->transitions = true;
			break;
		case 'h':
			explain_usage(stdout);
			return TL_PARSE_HELP;
		default:
			tl_bad_option(c, argv);
			return TL_PARSE_BAD;
		}
	}
	if (o->diagram + o->transitions + (optind < argc) != 1 ||
	    argc - optind > 1) {
		if (argc - optind > 1)
			tl_err("explain: one state at a time ('%s' is extra)",
			       argv[optind + 1]);
		else
			tl_err("explain: give one STATE, --diagram or --transitions");
		return TL_PARSE_BAD;
	}
	/* Only the diagram reads sockets; it draws, it has no JSON. */
	if (!o->diagram && (g->record_path || g->replay_path)) {
		tl_err("explain: %s is for --diagram, which counts sockets; a "
		       "state's explanation and --transitions read none",
		       g->record_path ? "--record" : "--replay");
		return TL_PARSE_BAD;
	}
	if (o->diagram && g->json) {
		tl_err("explain: --diagram draws a picture, --json is for STATE "
		       "and --transitions (ls --json lists the sockets)");
		return TL_PARSE_BAD;
	}
	if (optind < argc) {
		o->state = tl_tcpstate_lookup(argv[optind]);
		if (o->state < 0) {
			tl_err("explain: unknown state '%s' (try close-wait, time-wait, listen, ...)",
			       argv[optind]);
			return TL_PARSE_BAD;
		}
	}
	return 0;
}

static int explain_run(const struct tl_global *g, void *opts)
{
	const struct explain_opts *o = opts;
	int ret;

	if (o->diagram)
		ret = explain_diagram(g);
	else if (o->transitions)
		ret = explain_transitions(g);
	else
		ret = explain_state(g, o->state);
	if (fflush(stdout) != 0) {
		tl_err("cannot write output: %s", strerror(errno));
		return TL_EXIT_FAILURE;
	}
	return ret;
}

const struct tl_verb tl_verb_explain = {
	.name = "explain",
	.help = "explain a TCP state or draw the diagram",
	.opts_size = sizeof(struct explain_opts),
	.parse = explain_parse,
	.run = explain_run,
};
