// SPDX-License-Identifier: MIT
/*
 * tcplimbo doctor: runs the diagnosis rules over one network namespace
 * (or all of them) and reports what is stuck, who is responsible and what
 * to do. Exit status as monitoring checks expect: 0 nothing found,
 * 1 warnings, 2 critical, 3 could not look (bad options included).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "escape.h"
#include "output.h"
#include "tcplimbo/counters.h"
#include "tcplimbo/diagnose.h"
#include "tcplimbo/netns.h"
#include "tcplimbo/sockdiag.h"
#include "tcplimbo/survey.h"
#include "tcplimbo/tcpstate.h"
#include "context.h"
#include "tl.h"
#include "why.h"
#include "doctor.h"

static void doctor_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcplimbo doctor [-N NS] [--all-netns] [--json] [THRESHOLDS]\n"
		"\n"
		"Finds TCP connections stuck in limbo, names the process responsible\n"
		"and says why and what to do. Exit status: 0 nothing found, 1 warnings,\n"
		"2 critical, 3 could not look.\n"
		"\n"
		"Options:\n"
		"  -N, --netns NS         look into this network namespace\n"
		"  -A, --all-netns        look into every network namespace\n"
		"  -j, --json             {\"findings\": [...]}\n"
		"\n"
		"Thresholds (DURATION: 500ms, 1.5s, 2m, 1h, at most a day;\n"
		"a bare number counts seconds):\n"
		"  --queue-age DURATION        queued longer = not accepting (5s)\n"
		"  --close-wait-age DURATION   CLOSE-WAIT longer = leaked (30s)\n"
		"  --close-wait-min N          leaked sockets per process to report (1)\n"
		"  --close-wait-critical N     leaked sockets that make it critical (100)\n"
		"  --fin-wait2-age DURATION    held FIN-WAIT-2 longer = stuck (60s)\n"
		"  --fd-pct PCT                fds in use vs RLIMIT_NOFILE (90)\n"
		"  --port-pct PCT              ephemeral ports used to one peer (50)\n"
		"  --orphan-pct PCT            orphans vs tcp_max_orphans (50)\n"
		"  --syn-pct PCT               half-open vs SYN queue limit (50)\n"
		"  --syn-min N                 fewer half-open are ignored (16)\n"
		"  --drops-min N               SYN drops of a listener at least half\n"
		"                              full worth a warning (1)\n"
		"\n" TL_GLOBAL_HELP);
}

/* The doctor's own options. */
struct doctor_opts {
	struct tl_diag_opts diag;
	bool all; /* --all-netns */
};

enum {
	OPT_QUEUE_AGE = 0x3000,
	OPT_CW_AGE,
	OPT_CW_MIN,
	OPT_CW_CRIT,
	OPT_FW2_AGE,
	OPT_FD_PCT,
	OPT_PORT_PCT,
	OPT_ORPHAN_PCT,
	OPT_SYN_PCT,
	OPT_SYN_MIN,
	OPT_DROPS_MIN,
};

static int set_threshold(struct tl_diag_opts *o, int c, const char *arg)
{
	uint64_t v;

	bool pct = c >= OPT_FD_PCT && c <= OPT_SYN_PCT;

	if (tl_parse_uint(arg, pct ? 100 : 1000000000, &v) < 0)
		return -EINVAL;
	/* At 0 % every process and peer would be near its limit. */
	if (pct && v == 0)
		return -EINVAL;
	switch (c) {
	case OPT_CW_MIN:
		o->close_wait_min = (uint32_t)v;
		break;
	case OPT_CW_CRIT:
		o->close_wait_critical = (uint32_t)v;
		break;
	case OPT_FD_PCT:
		o->fd_warn_pct = (uint32_t)v;
		break;
	case OPT_PORT_PCT:
		o->port_warn_pct = (uint32_t)v;
		if (o->port_crit_pct < o->port_warn_pct)
			o->port_crit_pct = o->port_warn_pct;
		break;
	case OPT_ORPHAN_PCT:
		o->orphan_warn_pct = (uint32_t)v;
		if (o->orphan_crit_pct < o->orphan_warn_pct)
			o->orphan_crit_pct = o->orphan_warn_pct;
		break;
	case OPT_SYN_PCT:
		o->syn_warn_pct = (uint32_t)v;
		break;
	case OPT_SYN_MIN:
		o->syn_min = (uint32_t)v;
		break;
	case OPT_DROPS_MIN:
		o->drops_min = (uint32_t)v;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static int add_target(struct doctor *d, int fd, bool own_fd, const char *label)
{
	struct target *nt =
		realloc(d->targets, (d->n_targets + 1) * sizeof(*nt));
	struct target *t;

	if (!nt)
		return -ENOMEM;
	d->targets = nt;
	t = &d->targets[d->n_targets++];
	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->own_fd = own_fd;
	t->here = true;
	snprintf(t->label, sizeof(t->label), "%s", label);
	return 0;
}

static int add_found(struct doctor *d, const struct tl_finding *f, size_t n,
		     size_t target)
{
	struct tl_finding *nf;

	if (n == 0)
		return 0;
	nf = realloc(d->found, (d->n_found + n) * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	d->found = nf;
	for (size_t i = 0; i < n; i++) {
		/* The orphan count is the host's: report it once. */
		if (f[i].kind == TL_FIND_ORPHAN_PRESSURE) {
			bool dup = false;

			for (size_t k = 0; k < d->n_found; k++)
				dup |= d->found[k].kind ==
				       TL_FIND_ORPHAN_PRESSURE;
			if (dup)
				continue;
		}
		d->found[d->n_found] = f[i];
		d->found[d->n_found].group = (uint32_t)target;
		d->n_found++;
	}
	return 0;
}

/*
 * Adds to a namespace's label the unit or container its process lives in,
 * which says more than an inode: "net:[4026532301] (pid 4711, container
 * web-1 (docker 3f2a9c0e5b7d))".
 */
static void name_netns(const struct tl_global *g, struct target *t)
{
	char where[CTX_TEXT_MAX];
	size_t n = strlen(t->label);

	if (!t->pid ||
	    !ctx_text_raw(where, sizeof(where), ctx_of_pid(g, t->pid))[0])
		return;
	/* Inside the label's parentheses when it has them. */
	if (n && t->label[n - 1] == ')') {
		t->label[n - 1] = '\0';
		snprintf(t->label + n - 1, sizeof(t->label) - (n - 1), ", %s)",
			 where);
	} else {
		snprintf(t->label + n, sizeof(t->label) - n, " (%s)", where);
	}
}

/*
 * The namespace -N named: a name stays the label; a pid or a path is
 * shown by its inode, with the pid's unit or container as --all-netns
 * shows it ("net:[4026532301] (pid 4711, unit web.service)"), so that a
 * bare number is never taken for a namespace's name.
 */
static int spec_target(struct doctor *d, const struct tl_global *g)
{
	char label[NETNS_LABEL_MAX];
	pid_t pid = tl_netns_pid(g);
	struct target *t;
	uint64_t ino;
	int r;

	tl_netns_label_of(g, &ino, label, sizeof(label));
	r = add_target(d, g->netns_fd, false, label);
	if (r < 0)
		return r;
	t = &d->targets[d->n_targets - 1];
	t->inode = ino;
	if (pid && ino) {
		t->pid = pid;
		name_netns(g, t);
	}
	return 0;
}

/*
 * Why a namespace of the survey could not be entered, into t->error, with
 * the way in where there is one (a rootless container's): the namespace
 * is opened again for tl_enter_hint, through one of its processes.
 */
static void enter_error(struct target *t, const struct tl_survey_ns *ns)
{
	char spec[32], hint[256];
	int fd = -ENOENT;

	if (ns->pid > 0) {
		snprintf(spec, sizeof(spec), "/proc/%d/ns/net", (int)ns->pid);
		fd = tl_netns_open(spec);
	}
	snprintf(t->error, sizeof(t->error), "cannot enter it %s",
		 fd >= 0 ? tl_enter_hint(fd, ns->pid, hint, sizeof(hint)) :
			   "(needs CAP_SYS_ADMIN)");
	if (fd >= 0)
		close(fd);
}

/*
 * Every namespace on the machine, through the survey: one /proc scan for
 * all, each namespace snapshotted and diagnosed. The snapshots move into
 * the targets, which keep them for the evidence.
 */
static int survey_targets(struct doctor *d, const struct tl_global *g)
{
	struct tl_survey_opts o;
	struct tl_survey *sv = NULL;
	size_t first = d->n_targets;
	bool unsure = false;
	int r;

	tl_survey_opts_init(&o);
	o.proc_root = g->proc_root;
	o.family = g->family;
	o.owners = !g->no_owners;
	o.owners_backend = g->owners_backend;
	o.owners_threads = g->threads;
	o.diag = d->opts;
	r = tl_survey_take(&o, &sv);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sv->n_ns && r >= 0; i++) {
		struct tl_survey_ns *ns = &sv->ns[i];
		char label[NETNS_LABEL_MAX];
		struct target *t;

		/* The host's and a named one's, as serve's netns label. */
		if (ns->host || ns->name[0])
			tl_netns_label(ns, NULL, label, sizeof(label));
		else
			snprintf(label, sizeof(label), "net:[%llu] (pid %d)",
				 (unsigned long long)ns->inode, (int)ns->pid);
		r = add_target(d, -1, false, label);
		if (r < 0)
			break;
		t = &d->targets[d->n_targets - 1];
		t->pid = ns->pid;
		t->inode = ns->inode;
		t->here = ns->self;
		/* A named namespace has the name its users gave it. */
		if (!ns->name[0] && !ns->host)
			name_netns(g, t);
		if (ns->stage == TL_SURVEY_OPEN) {
			snprintf(t->error, sizeof(t->error),
				 "cannot open it: %s", strerror(-ns->error));
			continue;
		}
		if (ns->error == -EPERM) {
			enter_error(t, ns);
			continue;
		}
		if (ns->error) {
			snprintf(t->error, sizeof(t->error), "%s",
				 strerror(-ns->error));
			continue;
		}
		t->looked = true;
		t->snap = ns->snap;
		ns->snap = NULL;
		t->ctr = ns->ctr;
		t->have_ctr = ns->have_ctr;
		t->n_socks = t->snap->n_socks;
		t->n_denied = sv->owners ? sv->owners->n_denied : 0;
		if (doctor_drops_unsure(d, g, t->snap,
					t->have_ctr ? &t->ctr : NULL))
			unsure = true;
	}
	/* The snapshots borrow the survey's scan: keep it until the end. */
	d->survey = sv;
	if (r < 0)
		return r;
	/* One pause, then a second look wherever the drops are in doubt. */
	if (unsure)
		doctor_drops_pause();
	for (size_t i = 0; i < sv->n_ns && r >= 0; i++) {
		struct tl_survey_ns *ns = &sv->ns[i];
		struct target *t = &d->targets[first + i];
		size_t n = ns->n_findings;

		if (!t->looked)
			continue;
		if (unsure && doctor_drops_unsure(d, g, t->snap,
						  t->have_ctr ? &t->ctr : NULL))
			n = (size_t)doctor_drops_again_ns(d, g, t, ns);
		r = add_found(d, ns->findings, n, first + i);
	}
	return r;
}

/* Looks into one namespace; failures are noted in the target. */
static int look(struct doctor *d, const struct tl_global *g, size_t ti)
{
	struct target *t = &d->targets[ti];
	struct tl_snapshot *snap = NULL;
	struct tl_finding *f = NULL;
	struct tl_counters ctr;
	bool have_ctr = false;
	int n, r;

	if (t->error[0] || t->looked)
		return 0;
	r = tl_take_snapshot_in(g, t->fd, TL_STATES_REAL, &snap);
	if (r < 0) {
		char hint[256];

		if (r == -EPERM && t->fd >= 0)
			snprintf(t->error, sizeof(t->error),
				 "cannot enter it %s",
				 tl_enter_hint(t->fd, tl_netns_pid(g), hint,
					       sizeof(hint)));
		else
			tl_snapshot_why(g, r, t->error, sizeof(t->error));
		return 0;
	}
	/* A replayed dump has no counters of its own moment. */
	if (!g->replay_path && tl_counters_read(g->proc_root, t->fd, &ctr) >= 0)
		have_ctr = true;
	n = tl_diagnose(snap, have_ctr ? &ctr : NULL, &d->opts, &f);
	if (n >= 0 && doctor_drops_unsure(d, g, snap, have_ctr ? &ctr : NULL)) {
		doctor_drops_pause();
		n = doctor_drops_again(d, g, t, t->fd, snap,
				       have_ctr ? &ctr : NULL, n, &f);
	}
	if (n < 0) {
		tl_snapshot_free(snap);
		return n;
	}
	t->looked = true;
	t->n_socks = snap->n_socks;
	t->n_denied = snap->owners ? snap->owners->n_denied : 0;
	t->snap = snap;
	t->ctr = ctr;
	t->have_ctr = have_ctr;
	r = add_found(d, f, (size_t)n, ti);
	free(f);
	return r;
}

/*
 * Whether finding i went while we looked: every process it names exited
 * after the dump (gone, or a zombie), and its socket is gone or in another
 * state (a listener closes with its last holder, a CLOSE-WAIT socket goes
 * on to LAST-ACK). Under churn that is normal, not a finding. A socket
 * that outlives its processes (held by one we could not see) stays. A
 * finding with no holder seen went if its socket is gone.
 */
static bool vanished(const struct doctor *d, size_t i)
{
	const struct tl_finding *f = &d->found[i];
	const struct why *w = &d->why[i];
	const struct target *t = &d->targets[f->group];
	const struct tl_sock *sk;
	struct tl_sock now;
	int r;

	if (!f->sock || !t->snap || f->sock > t->snap->n_socks || !t->here)
		return false;
	/*
	 * No holder seen: its process may have exited between the dump and
	 * the /proc pass (a rolling restart), taking the socket with it.
	 */
	if (f->n_pids == 0) {
		sk = &t->snap->socks[f->sock - 1];
		return sk->inode != 0 &&
		       tl_sockdiag_lookup(sk, t->fd, &now) == -ENOENT;
	}
	if (w->n == 0 || w->n != f->n_pids)
		return false;
	/*
	 * A zombie has closed its fds too (unless its threads live on), and
	 * so has one its parent is reaping (State X) as we look.
	 */
	for (size_t k = 0; k < w->n; k++)
		if (!tl_evidence_exited(&w->ev[k]))
			return false;
	sk = &t->snap->socks[f->sock - 1];
	r = tl_sockdiag_lookup(sk, t->fd, &now);
	return r == -ENOENT || (r == 0 && now.state != sk->state);
}

/* Drops the findings that vanished (see vanished()), keeping the order. */
static void drop_vanished(struct doctor *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_found; i++) {
		if (vanished(d, i)) {
			why_free(&d->why[i]);
			continue;
		}
		d->found[n] = d->found[i];
		d->why[n] = d->why[i];
		n++;
	}
	d->n_found = n;
}

/*
 * What the processes of listener, fd and CLOSE-WAIT leak findings are
 * doing, from /proc:
 * only for the first WHY_FINDINGS_MAX such findings, and not for a replayed
 * dump, whose processes are not the ones running now.
 */
static int gather_why(struct doctor *d, const struct tl_global *g)
{
	size_t done = 0;

	if (g->replay_path || g->no_owners || d->n_found == 0)
		return 0;
	d->why = calloc(d->n_found, sizeof(*d->why));
	if (!d->why)
		return -ENOMEM;
	/* Listener and fd findings first: a leak only asks what state the
	 * process is in, and takes what is left. */
	for (size_t k = 0; k < 2 * d->n_found && done < WHY_FINDINGS_MAX; k++) {
		size_t i = k % d->n_found;
		const struct tl_finding *f = &d->found[i];
		const struct target *t = &d->targets[f->group];
		bool leak = f->kind == TL_FIND_CLOSE_WAIT_LEAK;
		int r;

		if (!why_wanted(f) || !t->snap || leak != (k >= d->n_found))
			continue;
		r = why_gather(g->proc_root, t->snap, f, d->found, d->n_found,
			       &d->why[i]);
		if (r < 0)
			return r;
		done++;
	}
	drop_vanished(d);
	return 0;
}

/* The long name of an option, for messages. */
static const char *opt_name(const struct option *o, int val)
{
	for (; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

/* The age thresholds: durations, a bare number in seconds, at most a day. */
static uint32_t *age_threshold(struct tl_diag_opts *o, int c)
{
	switch (c) {
	case OPT_QUEUE_AGE:
		return &o->queue_age_ms;
	case OPT_CW_AGE:
		return &o->close_wait_age_ms;
	case OPT_FW2_AGE:
		return &o->fin_wait2_age_ms;
	}
	return NULL;
}

static const char *opt_wants(int c)
{
	if (c >= OPT_FD_PCT && c <= OPT_SYN_PCT)
		return "want a percentage 1..100";
	return "want a whole number 0..1000000000";
}

static int doctor_parse(struct tl_global *g, void *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		TL_GLOBAL_LONGOPTS,
		{ "all-netns", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ "queue-age", required_argument, NULL, OPT_QUEUE_AGE },
		{ "close-wait-age", required_argument, NULL, OPT_CW_AGE },
		{ "close-wait-min", required_argument, NULL, OPT_CW_MIN },
		{ "close-wait-critical", required_argument, NULL, OPT_CW_CRIT },
		{ "fin-wait2-age", required_argument, NULL, OPT_FW2_AGE },
		{ "fd-pct", required_argument, NULL, OPT_FD_PCT },
		{ "port-pct", required_argument, NULL, OPT_PORT_PCT },
		{ "orphan-pct", required_argument, NULL, OPT_ORPHAN_PCT },
		{ "syn-pct", required_argument, NULL, OPT_SYN_PCT },
		{ "syn-min", required_argument, NULL, OPT_SYN_MIN },
		{ "drops-min", required_argument, NULL, OPT_DROPS_MIN },
		{ NULL, 0, NULL, 0 },
	};
	struct doctor_opts *o = opts;
	bool crit_set = false;
	int c;

	tl_diag_opts_init(&o->diag);
	while ((c = getopt_long(argc, argv, TL_GLOBAL_SHORTOPTS "Ah", longopts,
				NULL)) != -1) {
		if (tl_global_option(g, c, optarg))
			continue;
		switch (c) {
		case 'A':
			o->all = true;
			break;
		case 'h':
			doctor_usage(stdout);
			return TL_PARSE_HELP;
		case '?':
		case ':':
			tl_bad_option(c, argv);
			return TL_PARSE_BAD;
		default:
			if (age_threshold(&o->diag, c)) {
				char name[40];
				uint64_t ms;

				snprintf(name, sizeof(name), "--%s",
					 opt_name(longopts, c));
				if (tl_duration_option("doctor", name, optarg,
						       1000, 0, 86400000,
						       &ms) < 0)
					return TL_PARSE_BAD;
				*age_threshold(&o->diag, c) = (uint32_t)ms;
				break;
			}
			if (set_threshold(&o->diag, c, optarg) < 0) {
				tl_err("doctor: bad value '%s' for --%s (%s)",
				       optarg, opt_name(longopts, c),
				       opt_wants(c));
				return TL_PARSE_BAD;
			}
			crit_set |= c == OPT_CW_CRIT;
		}
	}
	/*
	 * A critical count below the minimum names counts that are no
	 * finding: given so, it is a slip (0 asks for every finding to be
	 * critical, and says so).
	 */
	if (crit_set && o->diag.close_wait_critical &&
	    o->diag.close_wait_critical < o->diag.close_wait_min) {
		tl_err("doctor: --close-wait-critical %u is below "
		       "--close-wait-min %u, which no finding is: give a "
		       "count at or above --close-wait-min, or 0 to make "
		       "every close-wait-leak critical",
		       o->diag.close_wait_critical, o->diag.close_wait_min);
		return TL_PARSE_BAD;
	}
	if (optind < argc) {
		tl_err("doctor: unexpected argument '%s'", argv[optind]);
		return TL_PARSE_BAD;
	}
	if (o->all && g->netns_spec) {
		tl_err("doctor: --all-netns and -N exclude each other");
		return TL_PARSE_BAD;
	}
	if (o->all && g->replay_path) {
		tl_err("doctor: --all-netns cannot replay a single dump");
		return TL_PARSE_BAD;
	}
	if (o->all && g->record_path) {
		tl_err("doctor: --all-netns cannot record its namespaces into "
		       "a single dump (record one with -N NS --record FILE)");
		return TL_PARSE_BAD;
	}
	return 0;
}

/*
 * Listeners looked at that an fd holds (an inode) but no process seen,
 * and still there: where some processes' fds could not be read, theirs,
 * most likely. The fd-exhaustion rule cannot look at a program it cannot
 * see.
 */
static size_t unseen_listeners(const struct doctor *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_targets; i++) {
		const struct tl_snapshot *snap = d->targets[i].snap;
		const struct tl_fdref *refs;

		if (!d->targets[i].looked || !snap || !snap->owners ||
		    (snap->owners->n_denied == 0 && !snap->owners->hidden))
			continue;
		for (size_t k = 0; k < snap->n_socks; k++) {
			const struct tl_sock *sk = &snap->socks[k];
			struct tl_sock now;

			if (sk->state != TL_LISTEN || sk->inode == 0 ||
			    tl_snapshot_owners(snap, sk, &refs) != 0)
				continue;
			/* Its holder may have exited since, taking it along. */
			if (d->targets[i].here &&
			    tl_sockdiag_lookup(sk, d->targets[i].fd, &now) ==
				    -ENOENT)
				continue;
			n++;
		}
	}
	return n;
}

static int doctor_run(const struct tl_global *g, void *opts)
{
	const struct doctor_opts *o = opts;
	struct doctor d = { .opts = o->diag };
	size_t looked = 0, unseen;
	int r, ret = TL_EXIT_FAILURE, sev = 0;
	char label[NETNS_LABEL_MAX];

	/* A dump of now: the rules may ask /proc what it does not hold. */
	d.opts.live = !g->replay_path;
	d.opts.proc_root = g->proc_root;
	if (o->all) {
		r = survey_targets(&d, g);
	} else if (g->netns_spec) {
		r = spec_target(&d, g);
	} else {
		uint64_t ino;

		tl_netns_label_of(g, &ino, label, sizeof(label));
		r = add_target(&d, -1, false,
			       g->replay_path ? g->replay_path : label);
		if (r == 0 && !g->replay_path)
			d.targets[0].inode = ino;
	}
	if (r < 0) {
		const char *bpf =
			tl_bpf_refused_why(g->owners_backend, !g->no_owners, r);

		if (bpf)
			tl_err("doctor: --owners-backend bpf: %s", bpf);
		else
			tl_err("doctor: cannot list network namespaces: %s",
			       strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < d.n_targets; i++) {
		r = look(&d, g, i);
		if (r < 0) {
			tl_err("doctor: %s", strerror(-r));
			goto out;
		}
		looked += d.targets[i].looked;
	}
	if (looked == 0) {
		for (size_t i = 0; i < d.n_targets; i++)
			if (d.targets[i].error[0])
				tl_err("doctor: network namespace %s: %s",
				       d.targets[i].label, d.targets[i].error);
		tl_err("doctor: could not look at any network namespace");
		goto out;
	}
	/* Most severe first across namespaces too. */
	r = tl_findings_sort(d.found, d.n_found);
	if (r < 0) {
		tl_err("doctor: %s", strerror(-r));
		goto out;
	}
	/* After sorting: the evidence goes with the findings printed. */
	r = gather_why(&d, g);
	if (r < 0) {
		tl_err("doctor: %s", strerror(-r));
		goto out;
	}
	/* After the evidence, which drops what vanished while we looked. */
	for (size_t i = 0; i < d.n_found; i++)
		if (d.found[i].severity > sev)
			sev = d.found[i].severity;
	r = 0;
	if (g->json)
		r = doctor_print_json(&d, g);
	else
		doctor_print_text(&d, g);
	if (r == 0 && fflush(stdout) != 0)
		r = -errno;
	if (r < 0) {
		tl_err("cannot write output: %s", strerror(-r));
		goto out;
	}
	ret = sev == TL_SEV_CRITICAL ? TL_EXIT_CRITICAL :
	      sev == TL_SEV_WARNING  ? TL_EXIT_WARNING :
				       TL_EXIT_OK;
	/* Nothing found where it looked is no OK for where it could not. */
	if (ret == TL_EXIT_OK && looked < d.n_targets) {
		size_t n = d.n_targets - looked;

		tl_err("doctor: nothing found, but %zu network namespace%s "
		       "could not be looked at (see 'not looked at')",
		       n, n == 1 ? "" : "s");
		ret = TL_EXIT_FAILURE;
	}
	/* Nor is it for the programs whose fds it could not read. */
	if (ret == TL_EXIT_OK && (unseen = unseen_listeners(&d)) > 0) {
		tl_err("doctor: nothing found, but %zu listener%s %s no owner "
		       "whose fds could be read (see 'not seen'): whether %s "
		       "out of fds was not checked",
		       unseen, unseen == 1 ? "" : "s",
		       unseen == 1 ? "has" : "have",
		       unseen == 1 ? "its program is" : "their programs are");
		ret = TL_EXIT_FAILURE;
	}
out:
	for (size_t i = 0; i < d.n_targets; i++) {
		if (d.targets[i].own_fd && d.targets[i].fd >= 0)
			close(d.targets[i].fd);
		tl_snapshot_free(d.targets[i].snap);
		tl_snapshot_free(d.targets[i].later);
	}
	for (size_t i = 0; d.why && i < d.n_found; i++)
		why_free(&d.why[i]);
	free(d.why);
	free(d.targets);
	free(d.found);
	tl_survey_free(d.survey);
	return ret;
}

const struct tl_verb tl_verb_doctor = {
	.name = "doctor",
	.help = "find what is stuck, who holds it and why",
	.opts_size = sizeof(struct doctor_opts),
	.parse = doctor_parse,
	.run = doctor_run,
};
