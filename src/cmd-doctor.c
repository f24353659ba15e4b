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
#include <sys/socket.h>
#include <unistd.h>

#include "escape.h"
#include "output.h"
#include "tcplimbo/counters.h"
#include "tcplimbo/diagnose.h"
#include "tcplimbo/netns.h"
#include "tcplimbo/survey.h"
#include "tcplimbo/tcpstate.h"
#include "context.h"
#include "tl.h"
#include "why.h"

/* A name or net:[inode] (pid P), and the unit or container that is there. */
#define NETNS_LABEL_MAX (TL_NETNS_SPEC_MAX + 48 + CTX_TEXT_MAX)
/* ctx_text's longest words. */
#define CTX_TEXT_MAX (4 * TL_CONTEXT_STR_MAX + 64)

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
		"Thresholds (DURATION: 500ms, 5s, 2m, 1h, at most a day;\n"
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
		"  --drops-min N               listener SYN drops worth a warning (1)\n"
		"\n" TL_GLOBAL_HELP);
}

/* One namespace to look into. */
struct target {
	int fd; /* -1: ours */
	bool own_fd;
	char label[NETNS_LABEL_MAX];
	char error[512]; /* why we could not look, or "" */
	size_t n_socks;
	size_t n_denied;
	bool looked;
	struct tl_snapshot *snap; /* kept for the evidence until printed */
	pid_t pid;		  /* --all-netns: a process in it, or 0 */
};

/* The doctor's own options. */
struct doctor_opts {
	struct tl_diag_opts diag;
	bool all; /* --all-netns */
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

	if (tl_parse_uint(
		    arg, c >= OPT_FD_PCT && c <= OPT_SYN_PCT ? 100 : 1000000000,
		    &v) < 0)
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

/* "net:[4026531840]" for the namespace of this thread, or "". */
static void own_label(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/thread-self/ns/net", buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
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
	    !ctx_text(where, sizeof(where), ctx_of_pid(g, t->pid))[0])
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
 * The context of a finding: its first process's, else its listener's.
 * Copied, since the map's pointers last only until its next lookup.
 */
static bool finding_where(const struct tl_global *g, const struct target *t,
			  const struct tl_finding *f, struct tl_context *out,
			  char *path, size_t size)
{
	struct tl_cgroups *cg = ctx_cgroups(g);
	uint64_t id = 0;
	const struct tl_context *c;
	const char *p;

	if (!cg)
		return false;
	if (f->n_pids)
		id = tl_cgroups_pid(cg, g->proc_root, f->pids[0]);
	if (!id && f->sock && t->snap && f->sock <= t->snap->n_socks &&
	    (t->snap->socks[f->sock - 1].has & TL_HAS_CGROUP))
		id = t->snap->socks[f->sock - 1].cgroup_id;
	c = tl_cgroups_context(cg, id);
	if (!c)
		return false;
	*out = *c;
	p = tl_cgroups_path(cg, id);
	snprintf(path, size, "%s", p ? p : "");
	return out->kind != TL_CONTEXT_NONE;
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

		if (ns->name[0])
			snprintf(label, sizeof(label), "%s", ns->name);
		else
			snprintf(label, sizeof(label), "net:[%llu] (pid %d)",
				 (unsigned long long)ns->inode, (int)ns->pid);
		r = add_target(d, -1, false, label);
		if (r < 0)
			break;
		t = &d->targets[d->n_targets - 1];
		t->pid = ns->pid;
		/* A named namespace has the name its users gave it. */
		if (!ns->name[0])
			name_netns(g, t);
		if (ns->stage == TL_SURVEY_OPEN) {
			snprintf(t->error, sizeof(t->error),
				 "cannot open it: %s", strerror(-ns->error));
			continue;
		}
		if (ns->error) {
			snprintf(
				t->error, sizeof(t->error), "%s",
				ns->error == -EPERM ?
					"cannot enter it (needs CAP_SYS_ADMIN)" :
					strerror(-ns->error));
			continue;
		}
		t->looked = true;
		t->snap = ns->snap;
		ns->snap = NULL;
		t->n_socks = t->snap->n_socks;
		t->n_denied = sv->owners ? sv->owners->n_denied : 0;
		r = add_found(d, ns->findings, ns->n_findings,
			      d->n_targets - 1);
	}
	/* The snapshots borrow the survey's scan: keep it until the end. */
	d->survey = sv;
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
		if (r == -EPERM && t->fd >= 0)
			snprintf(t->error, sizeof(t->error),
				 "cannot enter it (needs CAP_SYS_ADMIN)");
		else
			tl_snapshot_why(g, r, t->error, sizeof(t->error));
		return 0;
	}
	/* A replayed dump has no counters of its own moment. */
	if (!g->replay_path && tl_counters_read(g->proc_root, t->fd, &ctr) >= 0)
		have_ctr = true;
	n = tl_diagnose(snap, have_ctr ? &ctr : NULL, &d->opts, &f);
	if (n < 0) {
		tl_snapshot_free(snap);
		return n;
	}
	t->looked = true;
	t->n_socks = snap->n_socks;
	t->n_denied = snap->owners ? snap->owners->n_denied : 0;
	t->snap = snap;
	r = add_found(d, f, (size_t)n, ti);
	free(f);
	return r;
}

/*
 * What the processes of listener and fd findings are doing, from /proc:
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
	for (size_t i = 0; i < d->n_found && done < WHY_FINDINGS_MAX; i++) {
		const struct tl_finding *f = &d->found[i];
		const struct target *t = &d->targets[f->group];
		int r;

		if (!why_wanted(f) || !t->snap)
			continue;
		r = why_gather(g->proc_root, t->snap, f, d->found, d->n_found,
			       &d->why[i]);
		if (r < 0)
			return r;
		done++;
	}
	return 0;
}

static void wrap(FILE *out, const char *label, const char *text, int indent)
{
	/* The label ends right before the text's column. */
	out_wrap(out, fprintf(out, "%*s ", indent - 1, label), indent, text);
}

/* The snapshot's socket at index + 1, or NULL. */
static const struct tl_sock *sock_at(const struct target *t, uint32_t idx1)
{
	if (!t->snap || idx1 == 0 || idx1 > t->snap->n_socks)
		return NULL;
	return &t->snap->socks[idx1 - 1];
}

static size_t shown_pids(const struct tl_finding *f)
{
	return f->n_pids < TL_FINDING_PIDS_MAX ? f->n_pids :
						 TL_FINDING_PIDS_MAX;
}

/*
 * The note on processes whose fds could not be read, and how many: the
 * namespaces of --all-netns share one scan, counted once.
 */
static size_t denied_note(const struct doctor *d, char *buf, size_t size)
{
	const struct tl_owners *scans[64];
	size_t n = 0;

	for (size_t i = 0; i < d->n_targets && n < 64; i++)
		if (d->targets[i].snap && d->targets[i].snap->owners)
			scans[n++] = d->targets[i].snap->owners;
	return tl_denied_note(buf, size, scans, n);
}

static void print_text(const struct doctor *d, const struct tl_global *g)
{
	size_t crit = 0, warn = 0, looked = 0, n;
	char note[200];
	unsigned explained = 0; /* kinds whose why and fix were printed */
	pid_t group = -1;

	for (size_t i = 0; i < d->n_found; i++) {
		if (d->found[i].severity == TL_SEV_CRITICAL)
			crit++;
		else
			warn++;
	}
	for (size_t i = 0; i < d->n_targets; i++)
		looked += d->targets[i].looked;
	if (d->n_found == 0)
		printf("No TCP limbo found (%zu network namespace%s looked at).\n",
		       looked, looked == 1 ? "" : "s");
	else
		printf("%zu problem%s (%zu critical, %zu warning%s) in %zu network namespace%s looked at.\n",
		       d->n_found, d->n_found == 1 ? "" : "s", crit, warn,
		       warn == 1 ? "" : "s", looked, looked == 1 ? "" : "s");
	for (size_t i = 0; i < d->n_found; i++) {
		const struct tl_finding *f = &d->found[i];
		const struct target *t = &d->targets[f->group];
		const struct tl_tcp_state_info *si = tl_tcpstate_info(f->state);
		const struct why *w = d->why ? &d->why[i] : NULL;
		pid_t pid = f->n_pids ? f->pids[0] : 0;
		char addr[TL_ADDR_STR_MAX], cmd[256];

		if (pid != group) {
			group = pid;
			if (pid) {
				struct tl_context cx;
				char where[CTX_TEXT_MAX], path[8];
				char ecomm[ESC_SIZE(sizeof(f->comm))];
				char ecmd[ESC_SIZE(sizeof(cmd))];

				if (tl_proc_read_cmdline(g->proc_root, pid, cmd,
							 sizeof(cmd)) <= 0)
					snprintf(cmd, sizeof(cmd), "?");
				if (!finding_where(g, t, f, &cx, path,
						   sizeof(path)))
					cx.kind = TL_CONTEXT_NONE;
				ctx_text(where, sizeof(where), &cx);
				printf("\n== pid %d (%s)%s%s: %s\n", (int)pid,
				       esc_text(ecomm, sizeof(ecomm), f->comm),
				       where[0] ? " in " : "", where,
				       esc_text(ecmd, sizeof(ecmd), cmd));
			} else {
				printf("\n== no single process\n");
			}
		}
		printf("\n  %-8s %s",
		       f->severity == TL_SEV_CRITICAL ? "CRITICAL" : "WARNING",
		       tl_finding_kind_name(f->kind));
		if (f->local_port) {
			printf(" on %s", tl_addr_format_port(
						 addr, sizeof(addr), f->family,
						 f->local_addr, f->local_port));
		}
		fputs("  (netns ", stdout);
		esc_fputs(t->label, stdout);
		fputs(")\n", stdout);
		wrap(stdout, "", f->summary, 11);
		if (shown_pids(f) > 1) {
			printf("           processes:");
			for (size_t k = 0; k < shown_pids(f); k++)
				printf(" %d", (int)f->pids[k]);
			printf("%s\n", f->n_pids > shown_pids(f) ? " ..." : "");
		}
		if (sock_at(t, f->sock) && f->example != f->sock) {
			printf("%*s", 11, "");
			out_sock_row(stdout, t->snap, sock_at(t, f->sock));
		}
		if (sock_at(t, f->example)) {
			printf("%*s", 11, "");
			out_sock_row(stdout, t->snap, sock_at(t, f->example));
		}
		if (w)
			why_print_text(stdout, w, 11);
		if (explained & (1u << f->kind)) {
			/* A fix that fits this process's cause is its own. */
			if (w && w->remedy)
				wrap(stdout, "fix:", w->remedy, 11);
			else
				printf("%*s(why and fix: as for the %s above)\n",
				       11, "", tl_finding_kind_name(f->kind));
			continue;
		}
		explained |= 1u << f->kind;
		wrap(stdout, "why:", f->explanation, 11);
		/* For held sockets, the state machine says whose move it is. */
		if (si && (f->kind == TL_FIND_CLOSE_WAIT_LEAK ||
			   f->kind == TL_FIND_FIN_WAIT2_STUCK))
			wrap(stdout, "next:", si->leave, 11);
		wrap(stdout, "fix:", w && w->remedy ? w->remedy : f->remedy,
		     11);
	}
	for (size_t i = 0; i < d->n_targets; i++)
		if (d->targets[i].error[0]) {
			fputs("\nnot looked at: network namespace ", stdout);
			esc_fputs(d->targets[i].label, stdout);
			fputs(": ", stdout);
			esc_fputs(d->targets[i].error, stdout);
			fputc('\n', stdout);
		}
	n = denied_note(d, note, sizeof(note));
	if (n)
		printf("\nnot seen: %s; %s sockets have no owner here.\n", note,
		       n == 1 ? "its" : "their");
}

static void print_json(const struct doctor *d, const struct tl_global *g)
{
	static const struct why no_why;
	static struct json w;
	struct json *j = &w;
	size_t denied = 0;
	const struct tl_owners *owners;
	char note[200];
	bool have_cmd = false;
	pid_t cmd_pid = 0;
	char cmd[512], path[TL_CGROUP_PATH_MAX];
	struct tl_context cx;

	/* The sockets printed with findings say where they live too. */
	for (size_t i = 0; i < d->n_targets; i++)
		ctx_attach(g, d->targets[i].snap);
	json_init_file(j, stdout);
	json_obj_begin(j);
	json_key(j, "findings");
	json_arr_begin(j);
	for (size_t i = 0; i < d->n_found; i++) {
		const struct tl_finding *f = &d->found[i];
		const struct target *t = &d->targets[f->group];
		const struct tl_tcp_state_info *si = tl_tcpstate_info(f->state);
		char addr[TL_ADDR_STR_MAX];

		json_next_line(j);
		json_obj_begin(j);
		json_kv_str(j, "kind", tl_finding_kind_name(f->kind));
		json_kv_str(j, "severity", tl_severity_name(f->severity));
		json_key(j, "pids");
		json_arr_begin(j);
		for (size_t k = 0; k < shown_pids(f); k++)
			json_int(j, f->pids[k]);
		json_arr_end(j);
		json_kv_str(j, "comm", f->n_pids ? f->comm : NULL);
		/* A process's findings come in a row: read its cmdline once. */
		if (f->n_pids && f->pids[0] != cmd_pid) {
			cmd_pid = f->pids[0];
			have_cmd = tl_proc_read_cmdline(g->proc_root, cmd_pid,
							cmd, sizeof(cmd)) > 0;
		}
		json_kv_str(j, "cmdline", f->n_pids && have_cmd ? cmd : NULL);
		if (finding_where(g, t, f, &cx, path, sizeof(path)))
			ctx_json(j, path, &cx);
		else
			ctx_json(j, NULL, NULL);
		json_kv_str(j, "netns", t->label);
		json_kv_str(j, "local_addr",
			    f->family ?
				    tl_addr_format(addr, sizeof(addr),
						   f->family, f->local_addr) :
				    NULL);
		json_key(j, "local_port");
		if (f->local_port)
			json_uint(j, f->local_port);
		else
			json_null(j);
		if (f->remote_port) {
			json_kv_str(j, "remote_addr",
				    tl_addr_format(addr, sizeof(addr),
						   f->family, f->remote_addr));
			json_kv_uint(j, "remote_port", f->remote_port);
		}
		json_kv_uint(j, "count", f->count);
		json_key(j, "oldest_ms");
		if (f->has_age)
			json_uint(j, f->oldest_ms);
		else
			json_null(j);
		json_kv_uint(j, "value", f->value);
		json_kv_uint(j, "limit", f->limit);
		json_kv_str(j, "state", si ? si->rfc_name : NULL);
		json_key(j, "listener");
		if (sock_at(t, f->sock))
			out_sock_json(j, t->snap, sock_at(t, f->sock));
		else
			json_null(j);
		json_key(j, "example");
		if (sock_at(t, f->example))
			out_sock_json(j, t->snap, sock_at(t, f->example));
		else
			json_null(j);
		json_kv_str(j, "summary", f->summary);
		json_kv_str(j, "explanation", f->explanation);
		json_kv_str(j, "remedy",
			    d->why && d->why[i].remedy ? d->why[i].remedy :
							 f->remedy);
		/* The keys are there, null, when nothing was gathered. */
		why_print_json(j, d->why ? &d->why[i] : &no_why);
		json_obj_end(j);
	}
	json_raw(j, "\n", 1);
	json_arr_end(j);
	json_key(j, "netns");
	json_arr_begin(j);
	for (size_t i = 0; i < d->n_targets; i++) {
		const struct target *t = &d->targets[i];

		json_next_line(j);
		json_obj_begin(j);
		json_kv_str(j, "netns", t->label);
		json_kv_bool(j, "looked", t->looked);
		json_kv_uint(j, "sockets", t->n_socks);
		json_kv_uint(j, "denied_processes", t->n_denied);
		json_kv_str(j, "error", t->error[0] ? t->error : NULL);
		/* --all-netns: who lives there (one process's context). */
		if (t->pid) {
			struct tl_cgroups *cg = ctx_cgroups(g);
			uint64_t id = tl_cgroups_pid(cg, g->proc_root, t->pid);
			const char *p = tl_cgroups_path(cg, id);

			snprintf(path, sizeof(path), "%s", p ? p : "");
			ctx_json(j, p ? path : NULL,
				 tl_cgroups_context(cg, id));
		}
		json_obj_end(j);
	}
	json_raw(j, "\n", 1);
	json_arr_end(j);
	/* The namespaces of --all-netns share a scan: count it once. */
	denied = denied_note(d, note, sizeof(note));
	json_kv_uint(j, "denied_processes", denied);
	/* Which owners pass ran (one for every namespace), null without. */
	owners = NULL;
	for (size_t i = 0; i < d->n_targets && !owners; i++)
		if (d->targets[i].snap)
			owners = d->targets[i].snap->owners;
	json_kv_str(j, "owners_backend",
		    owners ? tl_owners_backend_name(owners->backend) : NULL);
	json_obj_end(j);
	json_raw(j, "\n", 1);
	json_flush(j);
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
		return "want a percentage 0..100";
	return "want a whole number";
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
		}
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
	return 0;
}

static int doctor_run(const struct tl_global *g, void *opts)
{
	const struct doctor_opts *o = opts;
	struct doctor d = { .opts = o->diag };
	size_t looked = 0;
	int r, ret = TL_EXIT_FAILURE, sev = 0;
	char label[NETNS_LABEL_MAX];

	if (o->all) {
		r = survey_targets(&d, g);
	} else if (g->netns_spec) {
		r = add_target(&d, g->netns_fd, false, g->netns_spec);
	} else {
		own_label(label, sizeof(label));
		r = add_target(&d, -1, false,
			       g->replay_path ? g->replay_path : label);
	}
	if (r < 0) {
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
	for (size_t i = 0; i < d.n_found; i++)
		if (d.found[i].severity > sev)
			sev = d.found[i].severity;
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
	if (g->json)
		print_json(&d, g);
	else
		print_text(&d, g);
	if (fflush(stdout) != 0) {
		tl_err("cannot write output: %s", strerror(errno));
		goto out;
	}
	ret = sev == TL_SEV_CRITICAL ? TL_EXIT_CRITICAL :
	      sev == TL_SEV_WARNING  ? TL_EXIT_WARNING :
				       TL_EXIT_OK;
out:
	for (size_t i = 0; i < d.n_targets; i++) {
		if (d.targets[i].own_fd && d.targets[i].fd >= 0)
			close(d.targets[i].fd);
		tl_snapshot_free(d.targets[i].snap);
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
