// SPDX-License-Identifier: MIT
/*
 * The doctor's "why": gathers lib/evidence for the processes a finding
 * names, combines their verdicts and prints them. Gathering happens only
 * for the findings printed, at most WHY_PIDS_MAX processes each.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "tcplimbo/sockdiag.h"
#include "why.h"

/* JSON keys of the fd kinds. */
static const char *const fd_keys[TL_FDK_MAX] = {
	[TL_FDK_TCP] = "tcp",		[TL_FDK_SOCKET] = "socket",
	[TL_FDK_FILE] = "file",		[TL_FDK_DEVICE] = "device",
	[TL_FDK_PIPE] = "pipe",		[TL_FDK_EVENTFD] = "eventfd",
	[TL_FDK_EPOLL] = "epoll",	[TL_FDK_TIMERFD] = "timerfd",
	[TL_FDK_SIGNALFD] = "signalfd", [TL_FDK_OTHER] = "other",
};

bool why_wanted(const struct tl_finding *f)
{
	return f->n_pids && (f->kind == TL_FIND_NOT_ACCEPTING ||
			     f->kind == TL_FIND_ACCEPT_QUEUE_OVERFLOW ||
			     f->kind == TL_FIND_FD_EXHAUSTION ||
			     f->kind == TL_FIND_CLOSE_WAIT_LEAK);
}

/* Causes that say only that this process does not take part. */
static bool bystander(int cause)
{
	return cause == TL_CAUSE_UNKNOWN || cause == TL_CAUSE_NOT_WATCHED;
}

/*
 * Whether the process takes the listener's connections when it runs: a
 * thread in accept(), or in poll or select with the listener in its set
 * (gunicorn's sync worker), or the listener in an epoll set a thread
 * waits on, asking for EPOLLIN (or EPOLLRDNORM). A stopped process keeps
 * the syscall it was in.
 */
static bool acceptor(const struct tl_evidence *ev)
{
	for (size_t i = 0; i < ev->n_read; i++)
		if (ev->threads[i].kind == TL_SYS_ACCEPT ||
		    (ev->threads[i].kind == TL_SYS_POLL &&
		     ev->threads[i].polls == TL_EV_POLLS_LISTENER))
			return true;
	for (size_t i = 0; i < ev->n_regs; i++)
		if (ev->regs[i].waited &&
		    (ev->regs[i].events & (0x001u | 0x040u)))
			return true;
	return false;
}

/*
 * How much a process's cause tells about the finding: a bystander's
 * nothing; a stopped one's less than a running one's, since a queue that
 * stays while others that hold the listener run is theirs to explain
 * (puma's master, stopped, never accepts; its workers are all busy);
 * but a stopped acceptor's most: the connections it would take stay
 * queued, and the others that fill up meanwhile (lighttpd's workers at
 * server.max-connections) carry its share.
 */
static int telling(const struct tl_evidence *ev, int cause)
{
	/*
	 * Handed the listener as its standard input (inetd's wait service),
	 * it is the one to accept: its parent leaves the listener to it.
	 */
	if (cause == TL_CAUSE_NOT_WATCHED && ev->listener_stdin)
		return 2;
	if (bystander(cause))
		return 0;
	if (cause == TL_CAUSE_STOPPED || cause == TL_CAUSE_TRACED ||
	    cause == TL_CAUSE_FROZEN)
		return acceptor(ev) ? 3 : 1;
	return 2;
}

/*
 * One cause for the finding. A pre-forked server's master holds the
 * listener and never accepts: when another process has a more telling
 * cause, that one speaks. Different causes as telling as the lead's leave
 * it possible; a less telling one does not explain the queue.
 */
static size_t sharing(const struct why *w, size_t i)
{
	size_t n = 0;

	for (size_t k = 0; k < w->n; k++)
		n += w->v[k].cause == w->v[i].cause;
	return n;
}

static void combine(struct why *w)
{
	size_t lead = 0;
	bool mixed = false;
	int top;

	/*
	 * Of causes as telling, the one more processes share: a pre-forked
	 * server's manager whose idle event loop holds the listener
	 * (hypnotoad's) is one, its workers at their limit are many.
	 */
	for (size_t i = 1; i < w->n; i++) {
		int a = telling(&w->ev[i], w->v[i].cause);
		int b = telling(&w->ev[lead], w->v[lead].cause);

		if (a > b || (a == b && sharing(w, i) > sharing(w, lead)))
			lead = i;
	}
	w->lead = lead;
	w->cause = w->v[lead].cause;
	w->certainty = w->v[lead].certainty;
	top = telling(&w->ev[lead], w->cause);
	for (size_t i = 0; i < w->n; i++) {
		if (w->v[i].cause == w->cause) {
			if (w->v[i].certainty < w->certainty)
				w->certainty = w->v[i].certainty;
		} else if (!bystander(w->v[i].cause) &&
			   telling(&w->ev[i], w->v[i].cause) >= top) {
			mixed = true;
		}
	}
	if (mixed)
		w->certainty = TL_CERT_POSSIBLE;
	/* A remedy only for a cause we are fairly sure of, or one that says
	 * when it applies (the finding's own would contradict it). */
	w->remedy = w->certainty >= TL_CERT_LIKELY ||
				    tl_ev_remedy_conditional(w->cause) ?
			    w->v[lead].remedy :
			    NULL;
}

/*
 * Whether two processes' verdicts say the same: one cause, and texts that
 * differ only in their numbers (the pids, fds and seconds they name).
 */
static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool same_verdict(const struct why *w, size_t i, size_t j)
{
	const char *a = w->v[i].text, *b = w->v[j].text;

	if (w->v[i].cause != w->v[j].cause)
		return false;
	while (*a && *b) {
		if (digit(*a) && digit(*b)) {
			while (digit(*a))
				a++;
			while (digit(*b))
				b++;
			continue;
		}
		if (*a++ != *b++)
			return false;
	}
	return *a == *b;
}

/* What is known of the process pid's program, read from snap and /proc. */
static const char *program_text(const char *proc_root,
				const struct tl_snapshot *snap, pid_t pid,
				enum why_about about)
{
	const struct tl_proc *p =
		snap->owners ? tl_owners_proc(snap->owners, pid) : NULL;
	char cmd[1024];
	bool have_cmd =
		tl_proc_read_cmdline(proc_root, pid, cmd, sizeof(cmd)) >= 0;

	return why_program_text(p ? p->comm : NULL, have_cmd ? cmd : NULL,
				about);
}

/*
 * program_text for the finding's processes, the lead first: a worker's
 * program may have no word on the setting its master's has (Postfix's
 * smtpd, whose limit is the maxproc of master.cf).
 */
static const char *finding_program_text(const char *proc_root,
					const struct tl_snapshot *snap,
					const struct why *w,
					const struct tl_finding *f,
					enum why_about about)
{
	const char *t =
		program_text(proc_root, snap, w->ev[w->lead].pid, about);
	size_t n = f->n_pids < TL_FINDING_PIDS_MAX ? f->n_pids :
						     TL_FINDING_PIDS_MAX;

	for (size_t i = 0; !t && i < n; i++)
		if (f->pids[i] != w->ev[w->lead].pid)
			t = program_text(proc_root, snap, f->pids[i], about);
	return t;
}

static bool word_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || digit(c) ||
	       c == '_';
}

const char *why_fill_word(char *buf, size_t size, const char *text,
			  const char *word, const char *value)
{
	size_t off = 0, wlen = word ? strlen(word) : 0;
	bool any = false;

	if (!text || !value || !value[0] || wlen == 0 || size == 0)
		return text;
	for (const char *p = text; *p;) {
		bool hit = strncmp(p, word, wlen) == 0 && !word_char(p[wlen]) &&
			   (p == text || !word_char(p[-1]));
		const char *piece = hit ? value : p;
		size_t n = hit ? strlen(value) : 1;

		if (off + n >= size)
			return text;
		memcpy(buf + off, piece, n);
		off += n;
		p += hit ? wlen : 1;
		any |= hit;
	}
	buf[off] = '\0';
	return any ? buf : text;
}

const char *why_fill_pid(char *buf, size_t size, const char *text,
			 const char *pids)
{
	return why_fill_word(buf, size, text, "PID", pids);
}

/*
 * text with the words of a verdict's own remedy filled, in buf: FD, the fd
 * a blocked process waits on, and CHILD, the stopped children it hands
 * connections to ("..." past the first TL_EV_STOPPED_MAX). Returns buf,
 * or text where nothing was filled.
 */
static const char *fill_own(char *buf, size_t size, const char *text,
			    const struct tl_evidence *ev,
			    const struct tl_ev_verdict *v)
{
	char val[TL_EV_STOPPED_MAX * 12 + 8];
	size_t n = ev->stopped_children < TL_EV_STOPPED_MAX ?
			   ev->stopped_children :
			   TL_EV_STOPPED_MAX,
	       len = 0;

	if (v->cause == TL_CAUSE_BLOCKED && v->fd >= 0) {
		snprintf(val, sizeof(val), "%d", (int)v->fd);
		return why_fill_word(buf, size, text, "FD", val);
	}
	if (v->cause != TL_CAUSE_CHILD_STOPPED || n == 0)
		return text;
	val[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(val + len, sizeof(val) - len, "%s%d",
					i ? " " : "", (int)ev->stopped_kids[i]);
	if (ev->stopped_children > n)
		snprintf(val + len, sizeof(val) - len, " ...");
	return why_fill_word(buf, size, text, "CHILD", val);
}

void why_name_pids(struct why *w)
{
	char pids[WHY_PIDS_MAX * 12] = "", lead[12];
	size_t len = 0;

	if (w->n == 0)
		return;
	if (w->cause == TL_CAUSE_STOPPED)
		for (size_t i = 0; i < w->n && len < sizeof(pids); i++) {
			int n;

			if (w->v[i].cause != TL_CAUSE_STOPPED)
				continue;
			n = snprintf(pids + len, sizeof(pids) - len, "%s%d",
				     len ? " " : "", (int)w->ev[i].pid);
			if (n > 0)
				len += (size_t)n;
		}
	snprintf(lead, sizeof(lead), "%d", (int)w->ev[w->lead].pid);
	w->remedy = why_fill_pid(w->remedy_buf, sizeof(w->remedy_buf),
				 w->remedy, len ? pids : lead);
	/*
	 * The fd a blocked process waits on, or the stopped children it
	 * hands connections to, in the lead's own remedy.
	 */
	if (w->remedy) {
		char tmp[sizeof(w->remedy_buf)];
		const char *r = fill_own(tmp, sizeof(tmp), w->remedy,
					 &w->ev[w->lead], &w->v[w->lead]);

		if (r == tmp) {
			memcpy(w->remedy_buf, tmp, strlen(tmp) + 1);
			w->remedy = w->remedy_buf;
		}
	}
	w->inspect = why_fill_pid(w->inspect_buf, sizeof(w->inspect_buf),
				  w->inspect, lead);
}

int why_gather(const char *proc_root, const struct tl_snapshot *snap,
	       const struct tl_finding *f, const struct tl_finding *all,
	       size_t n_all, struct why *w)
{
	const struct tl_sock *L = NULL;
	size_t n = f->n_pids < WHY_PIDS_MAX ? f->n_pids : WHY_PIDS_MAX;
	unsigned what = TL_EV_THREADS;

	memset(w, 0, sizeof(*w));
	if (!why_wanted(f))
		return 0;
	if (f->sock && f->sock <= snap->n_socks &&
	    snap->socks[f->sock - 1].state == TL_LISTEN) {
		L = &snap->socks[f->sock - 1];
		what |= TL_EV_LISTENER;
	}
	if (f->kind == TL_FIND_FD_EXHAUSTION)
		what |= TL_EV_FDS;
	if (f->kind == TL_FIND_CLOSE_WAIT_LEAK)
		what |= TL_EV_LEAK;
	/*
	 * A server's own connections: not a client's (no local port of a
	 * listener), nor ones inherited from the server that made them.
	 */
	if (!f->inherited_from && f->local_port != 0)
		what |= TL_EV_SERVED;
	w->ev = calloc(n, sizeof(*w->ev));
	if (!w->ev)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (tl_evidence_gather(proc_root, f->pids[i], snap, L, what,
				       &w->ev[i]) < 0)
			continue;
		tl_evidence_conclude(&w->ev[i], f->kind, &w->v[w->n]);
		if (w->n != i)
			w->ev[w->n] = w->ev[i];
		w->n++;
	}
	if (w->n == 0) {
		why_free(w);
		return 0;
	}
	combine(w);
	w->omitted = f->n_pids - n;
	/*
	 * At a limit, or a pool whose threads all wait elsewhere (tinyproxy
	 * at MaxClients on an upstream that does not answer): the limit.
	 */
	if (w->cause == TL_CAUSE_LIMIT ||
	    (w->cause == TL_CAUSE_BLOCKED && f->kind == TL_FIND_NOT_ACCEPTING &&
	     w->ev[w->lead].n_threads > 1))
		w->setting =
			finding_program_text(proc_root, snap, w, f, WHY_LIMIT);
	/* The program's own setting known: no other servers' as examples. */
	if (w->setting && tl_ev_remedy_own_limit(w->remedy))
		w->remedy = tl_ev_remedy_own_limit(w->remedy);
	/* Out of fds: the program's own say in its limit, where known. */
	if (f->kind == TL_FIND_FD_EXHAUSTION && !w->setting)
		w->setting =
			finding_program_text(proc_root, snap, w, f, WHY_FDS);
	/* Go's net/http turns nobody away: nothing bounds its fds. */
	if (f->kind == TL_FIND_FD_EXHAUSTION && !w->setting &&
	    w->ev[w->lead].runtime == TL_RT_GO)
		w->setting = "Go: if it serves with net/http, that has no "
			     "connection limit of its own: "
			     "netutil.LimitListener (golang.org/x/net) gives "
			     "one, to keep below the fd limit";
	/* Busy with the closed connections' requests: what bounds them. */
	if (f->kind == TL_FIND_CLOSE_WAIT_LEAK &&
	    (w->cause == TL_CAUSE_BLOCKED || w->cause == TL_CAUSE_LOCKED ||
	     w->cause == TL_CAUSE_UPSTREAM || w->cause == TL_CAUSE_ASLEEP))
		w->setting = program_text(proc_root, snap, w->ev[w->lead].pid,
					  WHY_TIMEOUT);
	/* Where a guess is made of what the threads wait on. */
	if (w->certainty != TL_CERT_CERTAIN && w->cause != TL_CAUSE_GO_ACCEPT &&
	    w->cause != TL_CAUSE_TOKIO && w->cause != TL_CAUSE_CHILD_STOPPED)
		w->inspect = program_text(proc_root, snap, w->ev[w->lead].pid,
					  WHY_INSPECT);
	why_name_pids(w);
	/*
	 * A CLOSE-WAIT leak keeps its evidence only where it tells a cause
	 * (stopped, blocked elsewhere, a loop that does not run or that
	 * spins); a plain leak is left to the finding's own words.
	 */
	if (f->kind == TL_FIND_CLOSE_WAIT_LEAK && w->cause == TL_CAUSE_UNKNOWN)
		why_free(w);
	if (w->cause == TL_CAUSE_CLOSE_WAIT)
		for (size_t i = 0; i < n_all; i++)
			if (all[i].kind == TL_FIND_CLOSE_WAIT_LEAK &&
			    all[i].n_pids && all[i].pids[0] == f->pids[0])
				w->related_leak = true;
	return 0;
}

void why_free(struct why *w)
{
	free(w->ev);
	memset(w, 0, sizeof(*w));
}

/* One verdict as a "cause:" line; more, the pids with the same cause. */
static void print_verdict(FILE *out, const struct why *w, size_t i,
			  const char *more, int indent)
{
	const struct tl_ev_verdict *v = &w->v[i];
	char text[TL_EV_TEXT_MAX + 160], who[32] = "";

	if (w->n > 1 && strncmp(v->text, "pid ", 4) != 0)
		snprintf(who, sizeof(who), "pid %d: ", (int)w->ev[i].pid);
	snprintf(text, sizeof(text), "%s: %s%s%s",
		 tl_certainty_name(v->certainty), who, v->text, more);
	out_wrap(out, fprintf(out, "%*s ", indent - 1, "cause:"), indent, text);
}

void why_print_text(FILE *out, const struct why *w, int indent)
{
	char same[96] = "", pids[80] = "", text[160];
	size_t len = 0, n_same = 0;

	if (w->n == 0 || !w->v[w->lead].text[0])
		return;
	/* Processes with the lead's cause are named once, after it. */
	for (size_t i = 0; i < w->n; i++) {
		int n;

		if (i == w->lead || !same_verdict(w, i, w->lead) ||
		    len >= sizeof(pids))
			continue;
		n = snprintf(pids + len, sizeof(pids) - len, "%s%d",
			     n_same ? ", " : "", (int)w->ev[i].pid);
		if (n > 0)
			len += (size_t)n;
		n_same++;
	}
	if (n_same)
		snprintf(same, sizeof(same), "; likewise pid%s %s",
			 n_same == 1 ? "" : "s", pids);
	print_verdict(out, w, w->lead, same, indent);
	for (size_t i = 0; i < w->n; i++) {
		/* Bystanders of a finding explained by another: say less. */
		if (i == w->lead || same_verdict(w, i, w->lead) ||
		    !w->v[i].text[0] ||
		    (bystander(w->v[i].cause) && !bystander(w->cause)))
			continue;
		print_verdict(out, w, i, "", indent);
	}
	if (w->omitted)
		fprintf(out,
			"%*s(%zu more process%s of this finding not looked into)\n",
			indent, "", w->omitted, w->omitted == 1 ? "" : "es");
	if (w->related_leak) {
		snprintf(
			text, sizeof(text),
			"the close-wait-leak finding of pid %d: the same sockets",
			(int)w->ev[w->lead].pid);
		out_wrap(out, fprintf(out, "%*s ", indent - 1, "see:"), indent,
			 text);
	}
}

static void json_threads(struct json *j, const struct tl_evidence *ev)
{
	json_key(j, "threads");
	json_arr_begin(j);
	for (size_t k = 0; k < ev->n_read; k++) {
		const struct tl_ev_thread *t = &ev->threads[k];
		char st[2] = { t->state, 0 };

		json_obj_begin(j);
		json_kv_int(j, "tid", t->tid);
		json_kv_str(j, "state", t->state ? st : NULL);
		json_kv_str(j, "syscall",
			    t->sys		      ? t->sys :
			    t->kind == TL_SYS_RUNNING ? "running" :
			    t->kind == TL_SYS_NONE    ? "none" :
							NULL);
		if (t->kind >= TL_SYS_ACCEPT)
			json_kv_int(j, "nr", t->nr);
		if (t->fd >= 0)
			json_kv_int(j, "fd", t->fd);
		json_kv_str(j, "wchan", t->wchan[0] ? t->wchan : NULL);
		if (t->fd_what[0])
			json_kv_str(j, "fd_is", t->fd_what);
		if (t->kind == TL_SYS_POLL && t->polls != TL_EV_POLLS_UNKNOWN) {
			json_kv_bool(j, "polls_listener",
				     t->polls == TL_EV_POLLS_LISTENER);
			json_kv_uint(j, "poll_fds", t->poll_inputs);
			/* Only the set's start was read: a lower bound. */
			if (t->poll_cut)
				json_kv_bool(j, "poll_fds_cut", true);
		}
		if (t->has_busy) {
			json_kv_uint(j, "busy_pct", t->busy_pct);
			json_kv_uint(j, "runnable_pct", t->runnable_pct);
			json_kv_uint(j, "busy_ms", t->busy_ms);
		}
		json_obj_end(j);
	}
	json_arr_end(j);
	json_kv_uint(j, "threads_total", ev->n_threads);
}

static void json_listener(struct json *j, const struct tl_evidence *ev)
{
	if (!ev->has_listener)
		return;
	json_key(j, "listener_fd");
	if (ev->listener_fd >= 0)
		json_int(j, ev->listener_fd);
	else
		json_null(j);
	json_kv_uint(j, "epoll_fds", ev->n_epolls);
	json_key(j, "epoll");
	json_arr_begin(j);
	for (size_t k = 0; k < ev->n_regs; k++) {
		const struct tl_ev_reg *r = &ev->regs[k];
		char hex[16];

		snprintf(hex, sizeof(hex), "%x", r->events);
		json_obj_begin(j);
		json_kv_int(j, "epfd", r->epfd);
		json_kv_int(j, "tfd", r->tfd);
		json_kv_str(j, "events", hex);
		json_kv_bool(j, "edge_triggered", r->events & TL_EPOLLET);
		json_kv_bool(j, "oneshot", r->events & TL_EPOLLONESHOT);
		json_kv_bool(j, "waited", r->waited);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_kv_uint(j, "held", ev->held);
	json_kv_uint(j, "children_held", ev->children_held);
	json_kv_uint(j, "held_closed", ev->held_closed);
	json_kv_uint(j, "sharers", ev->sharers);
	json_kv_uint(j, "backlog", ev->backlog);
	json_kv_uint(j, "queued", ev->queued);
	json_kv_bool(j, "round_number", tl_ev_round_number(ev->held));
	json_kv_str(j, "runtime", tl_ev_runtime_name(ev->runtime));
}

static void json_fds(struct json *j, const struct tl_evidence *ev)
{
	if (!ev->has_fds)
		return;
	json_key(j, "fds");
	json_obj_begin(j);
	json_kv_uint(j, "total", ev->n_fds);
	/* RLIMIT_NOFILE: null when unknown or unlimited. */
	if (ev->nofile && ev->nofile != UINT64_MAX)
		json_kv_uint(j, "limit", ev->nofile);
	else
		json_kv_null(j, "limit");
	json_key(j, "kinds");
	json_obj_begin(j);
	for (int k = 0; k < TL_FDK_MAX; k++)
		json_kv_uint(j, fd_keys[k], ev->kinds[k]);
	json_obj_end(j);
	json_key(j, "tcp");
	json_obj_begin(j);
	for (int s = 1; s < TL_STATE_MAX; s++)
		if (ev->tcp[s])
			json_kv_uint(j, tl_state_name(s), ev->tcp[s]);
	json_obj_end(j);
	json_obj_end(j);
}

void why_print_json(struct json *j, const struct why *w)
{
	if (w->n == 0) {
		json_kv_null(j, "cause");
		json_kv_null(j, "certainty");
		json_kv_null(j, "setting");
		json_kv_null(j, "inspect");
		json_kv_null(j, "evidence");
		return;
	}
	json_kv_str(j, "cause", tl_ev_cause_name(w->cause));
	json_kv_str(j, "certainty", tl_certainty_name(w->certainty));
	json_kv_str(j, "setting", w->setting);
	json_kv_str(j, "inspect", w->inspect);
	json_kv_uint(j, "evidence_omitted", w->omitted);
	if (w->related_leak)
		json_kv_str(j, "related", "close-wait-leak");
	json_key(j, "evidence");
	json_arr_begin(j);
	for (size_t i = 0; i < w->n; i++) {
		const struct tl_evidence *ev = &w->ev[i];
		const struct tl_ev_verdict *v = &w->v[i];
		char st[2] = { ev->state, 0 }, pid[12], remedy[1536], own[1536];

		json_obj_begin(j);
		json_kv_int(j, "pid", ev->pid);
		json_kv_bool(j, "gone", ev->gone);
		json_kv_bool(j, "main_exited", ev->main_exited);
		json_kv_bool(j, "frozen", ev->frozen);
		/* Which freezer: v1's state file, or threads in its wait. */
		json_kv_str(j, "freezer",
			    !ev->frozen				   ? NULL :
			    ev->frozen_v1 || !ev->frozen_cgroup[0] ? "v1" :
								     "v2");
		json_kv_str(j, "frozen_cgroup",
			    ev->frozen_cgroup[0] ? ev->frozen_cgroup : NULL);
		json_kv_bool(j, "frozen_by_ancestor", ev->frozen_by_ancestor);
		json_kv_str(j, "state", ev->state ? st : NULL);
		json_kv_int(j, "tracer", ev->tracer);
		json_key(j, "idle_ms");
		if (ev->has_idle)
			json_uint(j, ev->idle_ms);
		else
			json_null(j);
		json_threads(j, ev);
		json_listener(j, ev);
		json_fds(j, ev);
		json_kv_str(j, "cause", tl_ev_cause_name(v->cause));
		json_kv_str(j, "certainty", tl_certainty_name(v->certainty));
		json_kv_str(j, "text", v->text);
		snprintf(pid, sizeof(pid), "%d", (int)ev->pid);
		json_kv_str(j, "remedy",
			    fill_own(own, sizeof(own),
				     why_fill_pid(remedy, sizeof(remedy),
						  v->remedy, pid),
				     ev, v));
		json_obj_end(j);
	}
	json_arr_end(j);
}
