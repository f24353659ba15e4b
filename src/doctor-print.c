// SPDX-License-Identifier: MIT
/*
 * The doctor's report: findings grouped by process with their evidence,
 * explanation and remedy, in text or JSON. Split from cmd-doctor.c, which
 * gathers what is printed here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "context.h"
#include "doctor.h"
#include "escape.h"
#include "output.h"
#include "tcplimbo/counters.h"
#include "tcplimbo/tcpstate.h"
#include "tl.h"
#include "why.h"

/*
 * The context of a finding: its first process's, else its listener's.
 * Copied, since the map's pointers last only until its next lookup.
 * False where no cgroup is known; a cgroup that is no unit or container
 * gives its path and a context of kind TL_CONTEXT_NONE.
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
	/* A cgroup that is no unit or container still has its path. */
	p = tl_cgroups_path(cg, id);
	if (!p)
		return false;
	c = tl_cgroups_context(cg, id);
	if (c)
		*out = *c;
	else
		memset(out, 0, sizeof(*out));
	snprintf(path, size, "%s", p);
	return true;
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

/* Whether /proc hid other users' processes from the scan. */
static bool hidden(const struct doctor *d)
{
	for (size_t i = 0; i < d->n_targets; i++)
		if (d->targets[i].snap && d->targets[i].snap->owners &&
		    d->targets[i].snap->owners->hidden)
			return true;
	return false;
}

/*
 * The fix for finding i: its evidence's where that has one, else its
 * kind's, with the pid in place of PID where the finding has one process.
 */
static const char *finding_fix(const struct doctor *d, size_t i, char *buf,
			       size_t size)
{
	const struct tl_finding *f = &d->found[i];
	char pid[12];

	if (d->why && d->why[i].remedy)
		return d->why[i].remedy;
	if (f->n_pids != 1)
		return f->remedy;
	snprintf(pid, sizeof(pid), "%d", (int)f->pids[0]);
	return why_fill_pid(buf, size, f->remedy, pid);
}

/* Whether a finding is about the host, not any process's sockets. */
static bool host_kind(const struct tl_finding *f)
{
	return f->kind == TL_FIND_TIME_WAIT_PRESSURE ||
	       f->kind == TL_FIND_ORPHAN_PRESSURE;
}

/*
 * Findings of one process alike, in a row, that text shows in full before
 * naming the rest on one line: a server that stopped accepting on 200
 * listeners gave 200 blocks of the same words. --json keeps every one.
 */
#define RUN_SHOWN 3

/* Whether finding b says what finding a says, on another socket: the
 * same processes, kind, severity and namespace, cause and fix. */
static bool alike(const struct doctor *d, size_t a, size_t b)
{
	const struct tl_finding *fa = &d->found[a], *fb = &d->found[b];
	char ba[1536], bb[1536];
	const char *xa, *xb;

	if (fa->kind != fb->kind || fa->severity != fb->severity ||
	    fa->group != fb->group || fa->n_pids != fb->n_pids)
		return false;
	for (size_t k = 0; k < shown_pids(fa); k++)
		if (fa->pids[k] != fb->pids[k])
			return false;
	if (d->why && (d->why[a].cause != d->why[b].cause ||
		       d->why[a].certainty != d->why[b].certainty))
		return false;
	xa = finding_fix(d, a, ba, sizeof(ba));
	xb = finding_fix(d, b, bb, sizeof(bb));
	return (!xa && !xb) || (xa && xb && strcmp(xa, xb) == 0);
}

/*
 * The socket a finding is about, as its heading names it ("on" a local
 * address, "to" a remote one), in buf; "" for none. A client's CLOSE-WAIT
 * is named by its server: its own port names no service.
 */
static const char *finding_addr(const struct tl_finding *f, char *buf,
				size_t size)
{
	buf[0] = '\0';
	if (f->local_port)
		return tl_addr_format_port(buf, size, f->family, f->local_addr,
					   f->local_port);
	if (f->kind == TL_FIND_CLOSE_WAIT_LEAK && f->remote_port)
		return tl_addr_format_port(buf, size, f->family, f->remote_addr,
					   f->remote_port);
	return buf;
}

/*
 * "and 197 more not-accepting findings like those above (412 connections
 * in all, the oldest for 95 s), on A, B, ... and 192 more (--json gives
 * each)", for findings first..last: their sum and their oldest, which the
 * text would otherwise not show.
 */
static void run_rest(const struct doctor *d, size_t first, size_t last)
{
	size_t n = last - first + 1, named = 0, size = 0;
	char addr[TL_ADDR_STR_MAX], age[TL_AGE_STR_MAX], *text = NULL;
	FILE *m = open_memstream(&text, &size);
	uint64_t count = 0, oldest = 0;

	if (!m) {
		printf("\n  and %zu more like those above\n", n);
		return;
	}
	fprintf(m, "and %zu more %s finding%s like those above", n,
		tl_finding_kind_name(d->found[first].kind), n == 1 ? "" : "s");
	for (size_t i = first; i <= last; i++) {
		count += d->found[i].count;
		if (d->found[i].oldest_ms > oldest)
			oldest = d->found[i].oldest_ms;
	}
	if (count && oldest)
		fprintf(m, " (%llu connection%s in all, the oldest for %s)",
			(unsigned long long)count, count == 1 ? "" : "s",
			tl_age_str(age, oldest));
	else if (count)
		fprintf(m, " (%llu connection%s in all)",
			(unsigned long long)count, count == 1 ? "" : "s");
	for (size_t i = first; i <= last && named < 5; i++) {
		const char *a = finding_addr(&d->found[i], addr, sizeof(addr));

		if (!a[0])
			continue;
		fprintf(m, "%s%s", named ? ", " : ", on ", a);
		named++;
	}
	if (named && n > named)
		fprintf(m, " and %zu more", n - named);
	fputs(" (--json gives each)", m);
	if (fclose(m) == 0) {
		fputc('\n', stdout);
		out_wrap(stdout, fprintf(stdout, "  "), 2, text);
	}
	free(text);
}

/* Whether the snapshot read every process's fds: none was denied or hidden. */
static bool all_read(const struct tl_snapshot *snap)
{
	return snap && snap->owners && snap->owners->n_denied == 0 &&
	       !snap->owners->hidden;
}

/*
 * A process's cmdline as the report shows it, in buf: one longer than
 * size - 1 bytes is cut at a character boundary, *cut is set, and where
 * mark is set it ends in "...", so that a cut one does not pass for whole
 * in text (the kernel's is up to megabytes; JSON says so in a key of its
 * own). It is read into twice the room, so that the trailing separators
 * the read drops at the end of what it got do not hide that more
 * followed. Returns its length, <= 0 when there is none.
 */
static int shown_cmdline(const char *proc_root, pid_t pid, char *buf,
			 size_t size, bool mark, bool *cut)
{
	char all[1024];
	int n;

	*cut = false;
	if (size < 8 || size > sizeof(all) / 2)
		return -EINVAL;
	n = tl_proc_read_cmdline(proc_root, pid, all, sizeof(all));
	if (n <= 0)
		return n;
	if ((size_t)n >= size) {
		*cut = true;
		n = (int)size - 4;
		while (n > 0 && ((unsigned char)all[n] & 0xc0) == 0x80)
			n--;
		all[n] = '\0';
		if (mark) {
			memcpy(all + n, "...", 4);
			n += 3;
		}
	}
	memcpy(buf, all, (size_t)n + 1);
	return n;
}

/*
 * The process a finding's heading names: its first pid, or the one whose
 * cause speaks for it where that is not a worker of the first (its child,
 * of the same program): NSD's server process, not the zone-transfer
 * process two generations above it; the server inetd started, not inetd;
 * while a pre-forked server's master still heads its workers'.
 */
static pid_t heading_pid(const struct doctor *d, size_t i,
			 const struct target *t, const char **comm)
{
	const struct tl_finding *f = &d->found[i];
	const struct why *w = d->why ? &d->why[i] : NULL;
	const struct tl_proc *p;

	*comm = f->comm;
	if (!f->n_pids || !w || w->lead == 0 || w->lead >= w->n || !t->snap ||
	    !t->snap->owners)
		return f->n_pids ? f->pids[0] : 0;
	p = tl_owners_proc(t->snap->owners, w->ev[w->lead].pid);
	if (!p || (p->ppid == f->pids[0] && strcmp(p->comm, f->comm) == 0))
		return f->pids[0];
	*comm = p->comm;
	return p->pid;
}

void doctor_print_text(const struct doctor *d, const struct tl_global *g)
{
	size_t crit = 0, warn = 0, looked = 0, n;
	char note[256];
	unsigned explained = 0; /* kinds whose why and fix were printed */
	/* Of each kind, the finding printed last: "above" points to it. */
	size_t fix_of[32] = { 0 };
	pid_t group = -2;	/* none yet (see the headings below) */
	size_t run = 0;		/* findings before this one alike in a row */
	bool like_prev = false; /* this one is alike the one before */

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
		const char *comm;
		pid_t pid = heading_pid(d, i, t, &comm);
		char addr[TL_ADDR_STR_MAX], cmd[256], fixbuf[1536];
		char prevbuf[1536];
		const char *fix;

		/* Each pair is compared once: its answer serves both. */
		bool like_next = i + 1 < d->n_found && alike(d, i, i + 1);

		run = like_prev ? run + 1 : 0;
		like_prev = like_next;
		if (run >= RUN_SHOWN) {
			if (!like_next)
				run_rest(d, i - (run - RUN_SHOWN), i);
			continue;
		}
		/*
		 * Without a pid: the host's own (0), of a process not seen
		 * (-1), or owners were not looked for (-3).
		 */
		if (!pid && !host_kind(f))
			pid = t->snap && t->snap->owners ? -1 : -3;
		if (pid != group) {
			group = pid;
			if (pid > 0) {
				struct tl_context cx;
				char where[CTX_TEXT_MAX], path[8];
				char ecomm[ESC_SIZE(sizeof(f->comm))];
				char ecmd[ESC_SIZE(sizeof(cmd))];
				bool cut;

				if (shown_cmdline(g->proc_root, pid, cmd,
						  sizeof(cmd), true, &cut) <= 0)
					snprintf(cmd, sizeof(cmd), "?");
				if (!finding_where(g, t, f, &cx, path,
						   sizeof(path)))
					cx.kind = TL_CONTEXT_NONE;
				ctx_text(where, sizeof(where), &cx);
				printf("\n== pid %d (%s)%s%s: %s\n", (int)pid,
				       esc_text(ecomm, sizeof(ecomm), comm),
				       where[0] ? " in " : "", where,
				       esc_text(ecmd, sizeof(ecmd), cmd));
			} else {
				printf("\n== %s\n",
				       pid == 0 ?
					       "the network namespace (no one process)" :
				       pid == -1 && all_read(t->snap) ?
					       "no process's fds (every process was read)" :
				       pid == -1 ?
					       "a holder not seen (see 'not seen' below)" :
					       "owners not looked for");
			}
		}
		printf("\n  %-8s %s",
		       f->severity == TL_SEV_CRITICAL ? "CRITICAL" : "WARNING",
		       tl_finding_kind_name(f->kind));
		if (finding_addr(f, addr, sizeof(addr))[0])
			printf(" %s %s", f->local_port ? "on" : "to", addr);
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
		fix = finding_fix(d, i, fixbuf, sizeof(fixbuf));
		if (explained & (1u << f->kind)) {
			/*
			 * A fix other than the one of the nearest finding of
			 * its kind above is its own: "as for the ... above"
			 * must not send the reader past a different one.
			 */
			const char *prev = finding_fix(
				d, fix_of[f->kind], prevbuf, sizeof(prevbuf));

			fix_of[f->kind] = i;
			if (fix && !(prev && strcmp(fix, prev) == 0)) {
				printf("%*s(why: as for the %s above)\n", 11,
				       "", tl_finding_kind_name(f->kind));
				wrap(stdout, "fix:", fix, 11);
			} else
				printf("%*s(why and fix: as for the %s above)\n",
				       11, "", tl_finding_kind_name(f->kind));
			if (w && w->setting)
				wrap(stdout, "setting:", w->setting, 11);
			if (w && w->inspect)
				wrap(stdout, "inspect:", w->inspect, 11);
			continue;
		}
		explained |= 1u << f->kind;
		fix_of[f->kind] = i;
		wrap(stdout, "why:", f->explanation, 11);
		/* For held sockets, the state machine says whose move it is. */
		if (si && (f->kind == TL_FIND_CLOSE_WAIT_LEAK ||
			   f->kind == TL_FIND_FIN_WAIT2_STUCK))
			wrap(stdout, "next:", si->leave, 11);
		wrap(stdout, "fix:", fix, 11);
		if (w && w->setting)
			wrap(stdout, "setting:", w->setting, 11);
		if (w && w->inspect)
			wrap(stdout, "inspect:", w->inspect, 11);
	}
	for (size_t i = 0; i < d->n_targets; i++)
		if (d->targets[i].error[0]) {
			fputs("\nnot looked at: network namespace ", stdout);
			esc_fputs(d->targets[i].label, stdout);
			fputs(": ", stdout);
			esc_fputs(d->targets[i].error, stdout);
			fputc('\n', stdout);
		}
	doctor_young_note(d);
	n = denied_note(d, note, sizeof(note));
	/*
	 * --all-netns finds namespaces through /proc/PID/ns/net, which is
	 * closed where the fds are: a namespace that only such processes
	 * are in is missing from those looked at, and this says so.
	 */
	if (n)
		printf("\nnot seen: %s; any sockets %s here have no owner%s.\n",
		       note, n == 1 ? "it holds" : "they hold",
		       !d->survey ? "" :
		       n == 1	  ? ", and a network namespace only it is in, "
				    "if any, was not looked at" :
				    ", and a network namespace only they are "
				    "in, if any, was not looked at");
	if (hidden(d))
		printf("\nnot seen: %s; any sockets they hold here have no "
		       "owner%s.\n",
		       TL_HIDDEN_NOTE,
		       d->survey ? ", and a network namespace only they are "
				   "in, if any, was not looked at" :
				   "");
}

/* The namespace's inode: a key that stays when the label's pid changes. */
static void netns_inode_json(struct json *j, const struct target *t)
{
	json_key(j, "netns_inode");
	if (t->inode)
		json_uint(j, t->inode);
	else
		json_null(j);
}

int doctor_print_json(const struct doctor *d, const struct tl_global *g)
{
	static const struct why no_why;
	static struct json w;
	struct json *j = &w;
	size_t denied = 0;
	const struct tl_owners *owners;
	char note[256];
	bool have_cmd = false, cmd_cut = false;
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
		char addr[TL_ADDR_STR_MAX], fixbuf[1536];

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
			have_cmd = shown_cmdline(g->proc_root, cmd_pid, cmd,
						 sizeof(cmd), false,
						 &cmd_cut) > 0;
		}
		json_kv_str(j, "cmdline", f->n_pids && have_cmd ? cmd : NULL);
		/* The kernel's was longer than the cmdline given. */
		json_key(j, "cmdline_truncated");
		if (f->n_pids && have_cmd)
			json_bool(j, cmd_cut);
		else
			json_null(j);
		if (finding_where(g, t, f, &cx, path, sizeof(path)))
			ctx_json(j, path, &cx);
		else
			ctx_json(j, NULL, NULL);
		json_kv_str(j, "netns", t->label);
		netns_inode_json(j, t);
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
		if (f->kind == TL_FIND_CLOSE_WAIT_LEAK) {
			json_kv_uint(j, "unread", f->unread);
			json_key(j, "inherited_from");
			if (f->inherited_from)
				json_int(j, f->inherited_from);
			else
				json_null(j);
		}
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
			    finding_fix(d, i, fixbuf, sizeof(fixbuf)));
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
		netns_inode_json(j, t);
		json_kv_bool(j, "looked", t->looked);
		json_kv_uint(j, "sockets", t->n_socks);
		json_kv_uint(j, "denied_processes", t->n_denied);
		json_kv_str(j, "error", t->error[0] ? t->error : NULL);
		/* What the age thresholds held back (see young_note). */
		if (t->snap) {
			struct tl_diag_young y;

			doctor_target_young(d, t, &y);
			json_key(j, "below_age_thresholds");
			json_obj_begin(j);
			json_kv_uint(j, "queued", y.queued);
			json_kv_uint(j, "queued_oldest_ms", y.queued_oldest_ms);
			json_kv_uint(j, "close_wait", y.close_wait);
			json_kv_uint(j, "close_wait_oldest_ms",
				     y.close_wait_oldest_ms);
			json_kv_uint(j, "fin_wait2", y.fin_wait2);
			json_kv_uint(j, "fin_wait2_oldest_ms",
				     y.fin_wait2_oldest_ms);
			json_kv_uint(j, "past_drops_listeners",
				     y.drops_listeners);
			json_kv_uint(j, "past_drops", y.drops);
			json_kv_uint(j, "close_wait_below_min",
				     y.close_wait_few);
			json_kv_uint(j, "close_wait_below_min_holders",
				     y.close_wait_few_holders);
			json_obj_end(j);
		} else {
			json_kv_null(j, "below_age_thresholds");
		}
		/* --all-netns: who lives there (one process's context). */
		if (t->pid) {
			struct tl_cgroups *cg = ctx_cgroups(g);
			uint64_t id = tl_cgroups_pid(cg, g->proc_root, t->pid);
			const char *p = tl_cgroups_path(cg, id);

			snprintf(path, sizeof(path), "%s", p ? p : "");
			ctx_json(j, p ? path : NULL,
				 tl_cgroups_context(cg, id));
		} else {
			/* No process leads to it: the keys, null. */
			ctx_json(j, NULL, NULL);
		}
		json_obj_end(j);
	}
	json_raw(j, "\n", 1);
	json_arr_end(j);
	/* The namespaces of --all-netns share a scan: count it once. */
	denied = denied_note(d, note, sizeof(note));
	json_kv_uint(j, "denied_processes", denied);
	json_kv_bool(j, "processes_hidden", hidden(d));
	/* Which owners pass ran (one for every namespace), null without. */
	owners = NULL;
	for (size_t i = 0; i < d->n_targets && !owners; i++)
		if (d->targets[i].snap)
			owners = d->targets[i].snap->owners;
	json_kv_str(j, "owners_backend",
		    owners ? tl_owners_backend_name(owners->backend) : NULL);
	json_obj_end(j);
	json_raw(j, "\n", 1);
	return json_flush(j);
}
