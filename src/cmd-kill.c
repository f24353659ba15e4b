// SPDX-License-Identifier: MIT
/*
 * tcplimbo kill: SOCK_DESTROY on the sockets ls's filters match, with an
 * honest report. ss -K skips what the kernel cannot destroy without a word
 * and says nothing of what a destroy leaves behind; this verb verifies
 * each socket is gone with a second dump and says, per socket, what is
 * still held: the owner's fd, or the accept queue slot.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>

#include "context.h"
#include "escape.h"
#include "filter.h"
#include "output.h"
#include "tcplimbo/drain.h"
#include "tcplimbo/kill.h"
#include "tcplimbo/netns.h"
#include "tl.h"

/* Sockets a refusal lists by address before it only counts them. */
#define KILL_LIST_MAX 5
/* Holders of one socket the report names. */
#define KILL_HOLDERS_MAX 4

/* kill's own options; the filter is big, so main's heap holds it. */
struct kill_opts {
	struct tl_filter f;
	size_t nfilters;
	bool dry_run;
	bool listeners;
	bool queued;
};

static void kill_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcplimbo [-N NS] [-4|-6] kill FILTERS [--dry-run] "
		"[--listeners]\n"
		"                [--queued] [--json]\n"
		"\n"
		"Destroys the matching TCP sockets with SOCK_DESTROY (the peer "
		"gets a RST,\n"
		"except from a timewait entry or a half-open request), checks "
		"with a second\n"
		"dump that each one is gone, and says what the kill did not "
		"free: a process\n"
		"still holds its fd until it closes it, and a connection "
		"waiting in an\n"
		"accept queue keeps its slot until the program accepts it (use "
		"'tcplimbo\n"
		"drain' to free those).\n"
		"At least one filter is needed.\n"
		"\n"
		"Options:\n"
		"  --dry-run        say what would be destroyed, and change "
		"nothing\n"
		"  --listeners      allow LISTEN sockets (resets their whole "
		"queue)\n"
		"  --queued         allow connections waiting in an accept "
		"queue\n"
		"  -j, --json       one JSON array, an object per socket\n"
		"\n"
		"Filters:\n" TL_FILTER_HELP "\n" TL_GLOBAL_HELP "\n"
		"Exit status: 0 every matched socket destroyed and verified "
		"gone, 1 some\n"
		"were not, 3 usage error, refusal, or no permission or "
		"kernel support.\n");
}

/*
 * Writes the first few sockets of a refusal, one per line, with whose
 * they are: what a reset would hit is the first thing to know.
 */
static void list_some(const struct tl_snapshot *snap,
		      const struct tl_sock **socks, size_t n)
{
	char a[OUT_LOCAL_TEXT_MAX], b[TL_ADDR_STR_MAX + 8];
	char owner[OUT_OWNER_TEXT_MAX];

	for (size_t i = 0; i < n && i < KILL_LIST_MAX; i++) {
		const struct tl_sock *sk = socks[i];
		const char *st = tl_state_name_upper(sk->state);

		/* With its device, as ls shows it. */
		out_local_text(a, sizeof(a), snap, sk);
		tl_addr_format_port(b, sizeof(b), sk->family, sk->dst,
				    sk->dport);
		fprintf(stderr, "  %-12s %-28s %-28s %s\n", st ? st : "?", a, b,
			out_owner_text(owner, sizeof(owner), snap, sk));
	}
	if (n > KILL_LIST_MAX)
		fprintf(stderr, "  and %zu more\n", n - KILL_LIST_MAX);
}

/* For n queued connections whose clients have not closed: no drain. */
static const char *live_hint(char *buf, size_t size, size_t n)
{
	snprintf(buf, size,
		 "%s not closed: only the program can take %s, by accepting "
		 "(drain frees only the slots of clients that are gone)",
		 n == 1 ? "its client has" : "their clients have",
		 n == 1 ? "it" : "them");
	return buf;
}

/*
 * What drain would do for listener l's queue, as its plan sees it: free
 * the dead, refuse while a live one waits with them, or nothing (every
 * client still there). Without one listener, what drain is for. snap is
 * the match's dump, of the states the filter asked for (states). n_live:
 * the refused are that many connections whose clients have not closed,
 * which drain, freeing only the gone, does not reach.
 */
static const char *drain_hint(char *buf, size_t size, const struct tl_global *g,
			      const struct tl_snapshot *snap, uint32_t states,
			      const struct tl_sock *l, const char *where,
			      bool others, size_t n_live)
{
	struct tl_snapshot *own = NULL;
	const struct tl_snapshot *all = snap;
	const struct tl_sock *al = NULL;
	struct tl_drain_plan p;
	char cmd[OUT_LOCAL_TEXT_MAX + 320];

	/* The command as it would run: in the namespace -N named. */
	snprintf(cmd, sizeof(cmd), "tcplimbo %s%s%sdrain %s",
		 g->netns_spec ? "-N " : "", g->netns_spec ? g->netns_spec : "",
		 g->netns_spec ? " " : "", where);

	/* The plan needs every state: a dump of them, if not the match's. */
	if (l && !others && (states & TL_STATES_REAL) != TL_STATES_REAL) {
		all = NULL;
		if (tl_take_snapshot(g, TL_STATES_REAL, &own) == 0)
			all = own;
	}
	if (l && !others && all)
		for (size_t i = 0; i < all->n_socks && !al; i++)
			if (all->socks[i].state == TL_LISTEN &&
			    all->socks[i].cookie == l->cookie)
				al = &all->socks[i];
	if (!al || tl_drain_plan(all, al, &p) < 0) {
		tl_snapshot_free(own);
		/* Where the plan is not known, those asked for still are. */
		if (n_live)
			return live_hint(buf, size, n_live);
		snprintf(buf, size,
			 "'%s'%s frees the slots of connections whose client "
			 "is gone",
			 cmd,
			 others ? " (and so for the other listeners)" : "");
		return buf;
	}
	if (tl_drain_plan_want(&p) == 0)
		snprintf(buf, size,
			 "no client of the queue at %s has gone: only the "
			 "program can free those slots, by accepting",
			 where);
	else if (n_live)
		/* Asked for those: drain frees only the others. */
		live_hint(buf, size, n_live);
	else if (p.n_live)
		snprintf(buf, size,
			 "'%s' frees the slots of connections whose client is "
			 "gone, but not while %zu live one%s wait%s with them",
			 cmd, p.n_live, p.n_live == 1 ? "" : "s",
			 p.n_live == 1 ? "s" : "");
	else
		snprintf(buf, size,
			 "'%s' frees the slots of connections whose client is "
			 "gone",
			 cmd);
	tl_drain_plan_release(&p);
	tl_snapshot_free(own);
	return buf;
}

/*
 * Refuses what a kill must not touch by default. Returns true (after
 * saying why) when the command must stop.
 */
static bool refuse(const struct tl_global *g, const struct tl_snapshot *snap,
		   const struct kill_opts *o, const struct tl_sock **match,
		   size_t n)
{
	const struct tl_sock **bad;
	size_t nl = 0, nq = 0;
	bool stop = false;

	bad = calloc(n ? n : 1, sizeof(*bad));
	if (!bad) {
		tl_err("out of memory");
		return true;
	}
	for (size_t i = 0; i < n; i++)
		if (match[i]->state == TL_LISTEN)
			bad[nl++] = match[i];
	if (nl && !o->listeners) {
		tl_err("kill: refusing to destroy %zu listening socket%s: "
		       "that resets every connection in %s queue, the "
		       "program can accept no more, and an event loop spins "
		       "on the failing accept() until it restarts; add "
		       "--listeners if you mean it",
		       nl, nl == 1 ? "" : "s", nl == 1 ? "its" : "their");
		list_some(snap, bad, nl);
		stop = true;
	}
	for (size_t i = 0; i < n; i++)
		if (match[i]->limbo == TL_LIMBO_ACCEPT_QUEUE)
			bad[nq++] = match[i];
	if (nq && !o->queued) {
		const struct tl_sock *l = tl_snapshot_listener(snap, bad[0]);
		char where[OUT_LOCAL_TEXT_MAX] = "ADDR:PORT";
		char hint[OUT_LOCAL_TEXT_MAX + 640];
		bool others = false, live = true;

		/* drain takes a listener as ls shows it. */
		if (l)
			out_local_text(where, sizeof(where), snap, l);
		for (size_t i = 1; i < nq && l; i++)
			others |= tl_snapshot_listener(snap, bad[i]) != l;
		/*
		 * Clients that have not closed: drain, which frees the slots
		 * of those gone, is no way to them.
		 */
		for (size_t i = 0; i < nq; i++)
			live &= bad[i]->state == TL_ESTABLISHED;
		tl_err("kill: refusing to destroy %zu connection%s waiting in "
		       "an accept queue: SOCK_DESTROY resets the client and "
		       "hides %s, but the listener's queue slot stays taken "
		       "until the program accepts, and then it accepts a "
		       "dead socket; %s; add --queued to reset %s anyway",
		       nq, nq == 1 ? "" : "s", nq == 1 ? "it" : "them",
		       drain_hint(hint, sizeof(hint), g, snap,
				  tl_filter_states(&o->f), l, where, others,
				  live ? nq : 0),
		       nq == 1 ? "it" : "them");
		list_some(snap, bad, nq);
		stop = true;
	}
	free(bad);
	return stop;
}

/*
 * What a destroyed socket's holder meets next, as measured on Linux 6.18:
 * a listener's accept() fails with EINVAL; a socket whose peer's FIN had
 * arrived still reads end-of-file and fails its next write; any other
 * fails its next read or write with ECONNABORTED.
 */
static const char *next_call(const struct tl_sock *sk)
{
	/*
	 * And every accept() after: the destroyed listener stays readable,
	 * so an event loop (nginx, Redis, Node.js, asyncio) retries at once,
	 * for ever, at a share of a CPU and a log line each time.
	 */
	/*
	 * Its fd is the MPTCP socket's, which lives on: the connection goes
	 * on over its other paths, and with none left waits, with no error,
	 * for MPTCP to give up on it.
	 */
	if ((sk->has & TL_HAS_MPTCP) && sk->state != TL_LISTEN)
		return "this is one subflow of its MPTCP connection, which "
		       "goes on over its other subflows, and with none left "
		       "stalls with no error; closing the fd ends it";
	if (sk->state == TL_LISTEN)
		return "each accept() on it fails (EINVAL), and an event "
		       "loop retries at once, for ever, until the program "
		       "closes the listener or restarts";
	/*
	 * Data received before stays readable; the error goes to the first
	 * call that meets it, and a write after that fails with EPIPE.
	 */
	if (sk->state == TL_CLOSE_WAIT || sk->state == TL_LAST_ACK ||
	    ((sk->has & TL_HAS_SHUTDOWN) && (sk->shutdown & 1)))
		return sk->rqueue ?
			       "reads return the data received before, then "
			       "end-of-file; its next write fails "
			       "(ECONNABORTED), later ones with EPIPE" :
			       "reads see end-of-file; its next write fails "
			       "(ECONNABORTED), later ones with EPIPE";
	return sk->rqueue ? "reads return the data received before; then its "
			    "next read or write fails (ECONNABORTED), and "
			    "writes after it with EPIPE" :
			    "its next read or write fails (ECONNABORTED), and "
			    "writes after it with EPIPE";
}

/*
 * The connections queued at listener l (its Recv-Q, the kernel's count):
 * destroying it resets them (inet_csk_listen_stop), which the report must
 * say, since they are not among the sockets it lists.
 */
static size_t queued_at(const struct tl_sock *l)
{
	return l->state == TL_LISTEN ? l->rqueue : 0;
}

/*
 * A holder's line: one process's fds of the socket (refs r[0..n), the
 * fds of one process next to each other), as "fd 4" or "fds 4, 5 and
 * 6"; returns how many refs it took.
 */
static size_t holder_text(const struct tl_snapshot *snap,
			  const struct tl_sock *sk, const struct tl_fdref *r,
			  size_t n, bool done)
{
	const struct tl_proc *p = &snap->owners->procs[r[0].proc];
	char comm[ESC_SIZE(TL_COMM_MAX)], fds[128];
	size_t k = 1, off;

	while (k < n && r[k].proc == r[0].proc)
		k++;
	off = (size_t)snprintf(fds, sizeof(fds), "fd%s %d", k > 1 ? "s" : "",
			       r[0].fd);
	/* At most 8, then how many more: each fd is at most 11 bytes. */
	for (size_t i = 1; i < k && i < 8; i++)
		off += (size_t)snprintf(fds + off, sizeof(fds) - off, "%s%d",
					i + 1 == k ? " and " : ", ", r[i].fd);
	if (k > 8)
		snprintf(fds + off, sizeof(fds) - off, " and %zu more", k - 8);
	printf("             pid %d (%s) %s it as %s until it closes %s; "
	       "%s\n",
	       (int)p->pid, esc_text(comm, sizeof(comm), p->comm),
	       done ? "still holds" : "would hold", fds,
	       k > 1 ? "them all" : "it", next_call(sk));
	return k;
}

/* What a destroy leaves, in words: held fds, or the queue slot. */
static void facts_text(const struct tl_snapshot *snap, const struct tl_sock *sk,
		       bool done)
{
	size_t q = queued_at(sk);
	const struct tl_fdref *r;
	size_t n = tl_snapshot_owners(snap, sk, &r), i = 0, shown = 0;

	for (; i < n && shown < KILL_HOLDERS_MAX; shown++)
		i += holder_text(snap, sk, r + i, n - i, done);
	if (i < n)
		printf("             and %zu more fd%s of %s\n", n - i,
		       n - i == 1 ? "" : "s",
		       n - i == 1 ? "another process" : "other processes");
	if (sk->limbo == TL_LIMBO_ACCEPT_QUEUE)
		printf("             the listener's queue slot stays until the "
		       "program accepts (it will accept a dead socket)\n");
	if (q)
		printf("             %s the %zu connection%s in its queue\n",
		       done ? "reset with it" : "would reset", q,
		       q == 1 ? "" : "s");
	else if (n == 0 && sk->inode == 0)
		printf("             no process holds it: nothing else to "
		       "free\n");
	else if (n == 0 && snap->owners && out_owners_complete(snap, sk) &&
		 tl_pidns_initial(NULL))
		/* An fd in flight (SCM_RIGHTS) or io_uring's: in no table. */
		printf("             no process's fd table holds it: it may be "
		       "in a unix socket's message not yet received, or "
		       "registered with io_uring; whoever takes it %s\n",
		       done ? "gets a dead socket" : "would get a dead socket");
	else if (n == 0 && snap->owners && out_owners_complete(snap, sk))
		printf("             none of the processes this pid "
		       "namespace shows holds it; one outside it may\n");
	else if (n == 0 && snap->owners)
		printf("             none of the processes read holds it; "
		       "some could not be read, and one of them may\n");
	else if (n == 0 && sk->limbo != TL_LIMBO_ACCEPT_QUEUE)
		printf("             its holders were not looked for "
		       "(--no-owners): a process may %s its fd\n",
		       done ? "still hold" : "hold");
	/*
	 * The kernel drops a timewait entry without a RST (tcp_abort). Only
	 * a FIN-WAIT-2 one's peer may still be in CLOSE_WAIT: a TIME-WAIT
	 * one's has closed too.
	 */
	if (sk->limbo == TL_LIMBO_TIMEWAIT && sk->state == TL_TIME_WAIT)
		printf("             a timewait entry: %s without a RST; the "
		       "peer has closed its side already\n",
		       done ? "dropped" : "would be dropped");
	else if (sk->limbo == TL_LIMBO_TIMEWAIT)
		printf("             a timewait entry: %s without a RST; a "
		       "peer still in CLOSE_WAIT is not told\n",
		       done ? "dropped" : "would be dropped");
	/* A request socket goes silently too: the client's ACK finds none. */
	else if (tl_sock_kernel_state(sk) == TL_NEW_SYN_RECV)
		printf("             a half-open request: %s without a RST; "
		       "the client finds out when it sends\n",
		       done ? "dropped" : "would be dropped");
}

/* One matched socket in --json; result, where given, says it was not tried. */
static void item_json(struct json *w, const struct tl_snapshot *snap,
		      const struct tl_kill_item *it, bool dry,
		      const char *result)
{
	const struct tl_fdref *r;
	size_t n = tl_snapshot_owners(snap, it->sk, &r);

	json_next_line(w);
	json_obj_begin(w);
	json_kv_str(w, "result",
		    result ? result :
		    dry	   ? "would-destroy" :
			     tl_kill_result_name(it->result));
	json_kv_str(w, "error", !dry && it->err ? strerror(-it->err) : NULL);
	json_key(w, "still_held_by");
	out_owners_json(w, snap->owners, r, n);
	json_kv_str(w, "holders_next_call", n ? next_call(it->sk) : NULL);
	json_kv_bool(w, "queue_slot_kept",
		     it->sk->limbo == TL_LIMBO_ACCEPT_QUEUE);
	/* A listener's queue goes with it. */
	if (it->sk->state == TL_LISTEN)
		json_kv_uint(w, "queued_reset",
			     dry || it->result == TL_KILL_DESTROYED ?
				     queued_at(it->sk) :
				     0);
	else
		json_kv_null(w, "queued_reset");
	json_key(w, "socket");
	out_sock_json(w, snap, it->sk);
	json_obj_end(w);
}

/*
 * --json after a refusal: every matched socket, none tried, each saying
 * why (a reader of the output gets a document, not an empty stdout).
 */
static void refused_json(const struct tl_snapshot *snap,
			 const struct kill_opts *o,
			 const struct tl_sock **match,
			 struct tl_kill_item *items, size_t n)
{
	struct json w;

	json_init_file(&w, stdout);
	json_arr_begin(&w);
	for (size_t i = 0; i < n; i++) {
		const struct tl_sock *sk = match[i];

		items[i].sk = sk;
		items[i].result = TL_KILL_NOT_TRIED;
		item_json(&w, snap, &items[i], false,
			  sk->state == TL_LISTEN && !o->listeners ?
				  "refused-listener" :
			  sk->limbo == TL_LIMBO_ACCEPT_QUEUE && !o->queued ?
				  "refused-queued" :
				  "not-tried");
	}
	json_raw(&w, "\n", 1);
	json_arr_end(&w);
	json_raw(&w, "\n", 1);
	if (json_flush(&w) < 0)
		tl_err("cannot write output: %s", strerror(-w.err));
}

static void item_text(const struct tl_snapshot *snap,
		      const struct tl_kill_item *it, bool dry)
{
	char a[OUT_LOCAL_TEXT_MAX], b[TL_ADDR_STR_MAX + 8];
	const struct tl_sock *sk = it->sk;
	const char *st = tl_state_name_upper(sk->state);
	const char *what = dry ? "would-destroy" :
				 tl_kill_result_name(it->result);

	out_local_text(a, sizeof(a), snap, sk);
	tl_addr_format_port(b, sizeof(b), sk->family, sk->dst, sk->dport);
	printf("%-12s %-12s %-28s %s", what, st ? st : "?", a, b);
	/* The kernel destroys no MPTCP listener's TCP side. */
	if (!dry && it->result == TL_KILL_FAILED && it->err == -EINVAL &&
	    sk->state == TL_LISTEN && (sk->has & TL_HAS_MPTCP))
		printf("  (%s: the TCP side of an MPTCP listener, which the "
		       "kernel does not destroy; the program's close() of "
		       "its listener ends it)",
		       strerror(-it->err));
	else if (!dry && it->result == TL_KILL_FAILED)
		printf("  (%s)", strerror(-it->err));
	else if (it->result == TL_KILL_SURVIVED)
		printf("  (the kernel said yes, but it is still there)");
	else if (it->result == TL_KILL_GONE)
		printf("  (already gone)");
	putchar('\n');
	if (dry || it->result == TL_KILL_DESTROYED)
		facts_text(snap, sk, !dry);
}

enum {
	K_OPT_DRY_RUN = 0x2000,
	K_OPT_LISTENERS,
	K_OPT_QUEUED,
};

static int kill_parse(struct tl_global *g, void *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		TL_GLOBAL_LONGOPTS,
		TL_FILTER_LONGOPTS,
		{ "dry-run", no_argument, NULL, K_OPT_DRY_RUN },
		{ "listeners", no_argument, NULL, K_OPT_LISTENERS },
		{ "queued", no_argument, NULL, K_OPT_QUEUED },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kill_opts *o = opts;
	int c, r;

	while ((c = getopt_long(argc, argv, TL_GLOBAL_SHORTOPTS "h", longopts,
				NULL)) != -1) {
		if (tl_global_option(g, c, optarg))
			continue;
		r = tl_filter_option(&o->f, "kill", c, optarg);
		if (r < 0)
			return TL_PARSE_BAD;
		if (r > 0) {
			o->nfilters++;
			continue;
		}
		switch (c) {
		case K_OPT_DRY_RUN:
			o->dry_run = true;
			break;
		case K_OPT_LISTENERS:
			o->listeners = true;
			break;
		case K_OPT_QUEUED:
			o->queued = true;
			break;
		case 'h':
			kill_usage(stdout);
			return TL_PARSE_HELP;
		default:
			tl_bad_option(c, argv);
			return TL_PARSE_BAD;
		}
	}
	if (optind < argc) {
		tl_err("kill: unexpected argument '%s'", argv[optind]);
		return TL_PARSE_BAD;
	}
	if (o->nfilters == 0) {
		tl_err("kill: no filter given; refusing to destroy every "
		       "socket (name them with --state, --sport, --dport, "
		       "--addr, --pid, --comm, --limbo, --unit or "
		       "--container)");
		return TL_PARSE_BAD;
	}
	if ((g->replay_path || g->record_path)) {
		tl_err("kill: --record and --replay are for reading dumps, not "
		       "for destroying sockets");
		return TL_PARSE_BAD;
	}
	if (tl_filter_check_owners(&o->f, g, "kill") < 0)
		return TL_PARSE_BAD;
	return 0;
}

static int kill_run(const struct tl_global *g, void *opts)
{
	struct kill_opts *o = opts;
	struct tl_filter *f = &o->f;
	struct json w;
	struct tl_snapshot *snap = NULL;
	const struct tl_sock **match = NULL;
	struct tl_kill_item *items = NULL;
	size_t n = 0, ok = 0, gone = 0;
	int r, ret, fatal = 0;

	/* Needs --root, which may come after the verb: checked here. */
	ret = TL_EXIT_USAGE;
	if (tl_filter_check(f, g) < 0)
		goto out;
	tl_filter_note_units(f, g);
	ret = TL_EXIT_FAILURE;
	if (tl_take_snapshot(g, tl_filter_states(f), &snap) < 0)
		goto out;
	if (g->json || tl_filter_needs_context(f))
		ctx_attach(g, snap);
	/* Said first: --comm or --pid cannot match what it could not see. */
	tl_warn_denied("kill", snap);
	tl_filter_note_procs(f, snap, NULL);
	match = calloc(snap->n_socks ? snap->n_socks : 1, sizeof(*match));
	items = calloc(snap->n_socks ? snap->n_socks : 1, sizeof(*items));
	if (!match || !items) {
		tl_err("out of memory");
		goto out;
	}
	for (size_t i = 0; i < snap->n_socks; i++)
		if (snap->in_filter[i] &&
		    tl_filter_match(f, snap, &snap->socks[i]))
			match[n++] = &snap->socks[i];
	if (refuse(g, snap, o, match, n)) {
		if (g->json)
			refused_json(snap, o, match, items, n);
		ret = TL_EXIT_USAGE;
		goto out;
	}
	if (n == 0) {
		if (g->json)
			puts("[]");
		fprintf(stderr, "tcplimbo: kill: no socket matches; nothing "
				"destroyed\n");
		ret = 0;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		items[i].sk = match[i];
	if (!o->dry_run) {
		r = tl_kill(items, n, g->netns_fd);
		if (r < 0)
			tl_err("kill: cannot check the result with a second "
			       "dump: %s; the results below are the kernel's "
			       "answers, unverified",
			       strerror(-r));
	}
	json_init_file(&w, stdout);
	if (g->json)
		json_arr_begin(&w);
	for (size_t i = 0; i < n; i++) {
		if (g->json)
			item_json(&w, snap, &items[i], o->dry_run, NULL);
		else
			item_text(snap, &items[i], o->dry_run);
		/* Gone by itself is gone: the kernel's ENOENT says so. */
		if (items[i].result == TL_KILL_DESTROYED)
			ok++;
		else if (items[i].result == TL_KILL_GONE)
			gone++;
		if (items[i].err == -EOPNOTSUPP || items[i].err == -EPERM)
			fatal = items[i].err;
	}
	if (g->json) {
		json_raw(&w, "\n", 1);
		json_arr_end(&w);
		json_raw(&w, "\n", 1);
		if (json_flush(&w) < 0) {
			tl_err("cannot write output: %s", strerror(-w.err));
			ret = TL_EXIT_FAILURE;
			goto out;
		}
	}
	if (o->dry_run) {
		/* What the real run would fail on first: the cap. */
		if (!tl_have_cap(CAP_NET_ADMIN))
			tl_err("kill: %zu socket%s match%s; nothing was "
			       "destroyed (--dry-run), and this process could "
			       "not: destroying sockets needs CAP_NET_ADMIN in "
			       "their network namespace%s",
			       n, n == 1 ? "" : "s", n == 1 ? "es" : "",
			       geteuid() ? " (run as root)" : "");
		else
			fprintf(stderr,
				"tcplimbo: kill: %zu socket%s would be "
				"destroyed; nothing was (--dry-run)\n",
				n, n == 1 ? "" : "s");
		ret = 0;
		goto out;
	}
	if (fatal == -EOPNOTSUPP)
		tl_err("kill: this kernel cannot destroy sockets: it lacks "
		       "CONFIG_INET_DIAG_DESTROY");
	else if (fatal == -EPERM)
		tl_err("kill: not permitted: destroying sockets needs "
		       "CAP_NET_ADMIN in their network namespace%s",
		       geteuid() ? " (run as root)" : "");
	fprintf(stderr,
		"tcplimbo: kill: %zu of %zu socket%s destroyed and verified "
		"gone, %zu already gone, %zu not destroyed\n",
		ok, n, n == 1 ? "" : "s", gone, n - ok - gone);
	ret = fatal	     ? TL_EXIT_FAILURE :
	      ok + gone == n ? TL_EXIT_OK :
			       TL_EXIT_WARNING;
out:
	if (fflush(stdout) != 0 && ret != TL_EXIT_FAILURE) {
		tl_err("cannot write output: %s", strerror(errno));
		ret = TL_EXIT_FAILURE;
	}
	free(items);
	free(match);
	tl_snapshot_free(snap);
	return ret;
}

const struct tl_verb tl_verb_kill = {
	.name = "kill",
	.help = "destroy sockets and say what that did not free",
	.opts_size = sizeof(struct kill_opts),
	.parse = kill_parse,
	.run = kill_run,
};
