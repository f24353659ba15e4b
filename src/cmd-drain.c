// SPDX-License-Identifier: MIT
/*
 * tcplimbo drain ADDR:PORT: frees the accept-queue slots that connections
 * whose client has gone still hold (the post's CLOSE-WAIT sockets), from
 * outside the program and without its help. The engine is lib/drain.c;
 * src/drain-target.c finds the listener; this file reads the options,
 * prints the plan and the outcome.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "context.h"
#include "drain-cmd.h"
#include "escape.h"
#include "output.h"
#include "tcplimbo/drain.h"
#include "tcplimbo/netns.h"
#include "tl.h"

/* The longest an accept() of the drain may wait, and the default. */
#define DRAIN_TIMEOUT_MS 1000
/* Queued connections the text report lists one by one. */
#define DRAIN_LIST_MAX 10

static void drain_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcplimbo [-N NS] drain ADDR:PORT [--pid PID [--fd FD]] "
		"[--dry-run] [--json]\n"
		"\n"
		"Frees a listener's accept-queue slots held by connections "
		"whose client\n"
		"has already gone (CLOSE-WAIT in the queue): it borrows the "
		"listener's fd\n"
		"from its owner with pidfd_getfd() and accepts and closes "
		"exactly those\n"
		"connections itself. It refuses when a live connection is "
		"queued (accept()\n"
		"takes them in the order they came, which no dump shows: it "
		"could take\n"
		"the live one from the program),\n"
		"checks every connection it accepts by its cookie, never "
		"blocks, and\n"
		"never changes the listener's flags. ADDR may be '*' for the "
		"only\n"
		"listener on PORT; IPv6 addresses go in brackets: [::1]:80.\n"
		"If the program accepts at the same moment, a connection that "
		"came\n"
		"meanwhile can be the one drain takes: it then closes it, "
		"stops and\n"
		"says so (exit 1). Taking the fd needs ptrace access to its "
		"holder:\n"
		"your own processes, or CAP_SYS_PTRACE (root) for others'.\n"
		"\n"
		"Options:\n"
		"  --pid PID        the listener PID holds, where several "
		"share ADDR:PORT\n"
		"                   (SO_REUSEPORT: each has its own queue)\n"
		"  --fd FD          with --pid: the one it holds as fd FD "
		"(where it\n"
		"                   holds several, as nginx's processes do)\n"
		"  --dry-run        show the queue and what would be freed\n"
		"  -j, --json       one JSON object\n"
		"\n" TL_GLOBAL_HELP "\n"
		"Exit status: 0 every dead connection freed (or none to free), "
		"1 refused\n"
		"(a live connection is queued) or stopped early, 3 usage "
		"error, no such\n"
		"listener, a failure, or no permission or kernel support.\n");
}

/*
 * Parses ADDR:PORT, [V6]:PORT, [V6%IF]:PORT (a link-local address's
 * device, by name or index), V4%IF:PORT (a listener bound to a device,
 * as ls shows it) or *:PORT. Returns 0 or -EINVAL.
 */
static int parse_target(const char *s, struct drain_opts *o)
{
	/* Room for a device's name as ls shows it, escaped. */
	char host[INET6_ADDRSTRLEN + ESC_SIZE(IF_NAMESIZE) + 3], *pct;
	const char *colon = strrchr(s, ':');
	size_t hl;

	if (!colon || colon == s)
		return -EINVAL;
	if (tl_parse_port(colon + 1, &o->port) < 0 || o->port == 0)
		return -EINVAL;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(o->addr, 0, sizeof(o->addr));
	if (strcmp(host, "*") == 0) {
		o->family = AF_UNSPEC;
		return 0;
	}
	if (host[0] == '[') {
		if (hl < 3 || host[hl - 1] != ']')
			return -EINVAL;
		host[hl - 1] = '\0';
	}
	/* The device, for either family: [V6%IF] or V4%IF. */
	pct = strchr(host, '%');
	if (pct) {
		if (!pct[1] ||
		    esc_name_arg(o->scope, sizeof(o->scope), pct + 1) < 0)
			return -EINVAL;
		*pct = '\0';
	}
	if (host[0] == '[') {
		o->family = AF_INET6;
		return inet_pton(AF_INET6, host + 1, o->addr) == 1 ? 0 :
								     -EINVAL;
	}
	o->family = AF_INET;
	return inet_pton(AF_INET, host, o->addr) == 1 ? 0 : -EINVAL;
}

static void list_text(const char *label, const struct tl_sock **socks, size_t n)
{
	char b[TL_ADDR_STR_MAX + 8];

	for (size_t i = 0; i < n && i < DRAIN_LIST_MAX; i++) {
		const char *st = tl_state_name_upper(socks[i]->state);

		tl_addr_format_port(b, sizeof(b), socks[i]->family,
				    socks[i]->dst, socks[i]->dport);
		printf("    %-5s %-12s from %-28s Recv-Q %u\n", label,
		       st ? st : "?", b, socks[i]->rqueue);
	}
	if (n > DRAIN_LIST_MAX)
		printf("    and %zu more\n", n - DRAIN_LIST_MAX);
}

static void socks_json(struct json *w, const struct tl_snapshot *snap,
		       const char *key, const struct tl_sock **socks, size_t n)
{
	json_key(w, key);
	json_arr_begin(w);
	for (size_t i = 0; i < n; i++)
		out_sock_json(w, snap, socks[i]);
	json_arr_end(w);
}

/* The listener's queue and the CLOSE-WAIT left in it after the drain. */
static int count_after(const struct tl_global *g, const struct tl_sock *l,
		       uint32_t *ret_queue, size_t *ret_dead)
{
	struct tl_snapshot *snap = NULL;
	const struct tl_sock *nl = NULL;
	int r;

	r = tl_take_snapshot_in(
		g, g->netns_fd,
		TL_STATE_BIT(TL_LISTEN) | TL_STATE_BIT(TL_CLOSE_WAIT), &snap);
	if (r < 0)
		return r;
	*ret_dead = 0;
	for (size_t i = 0; i < snap->n_socks; i++)
		if (snap->socks[i].cookie == l->cookie)
			nl = &snap->socks[i];
	*ret_queue = nl ? nl->rqueue : 0;
	for (size_t i = 0; nl && i < snap->n_socks; i++)
		if (snap->socks[i].limbo == TL_LIMBO_ACCEPT_QUEUE &&
		    tl_snapshot_listener(snap, &snap->socks[i]) == nl)
			(*ret_dead)++;
	tl_snapshot_free(snap);
	return nl ? 0 : -ENOENT;
}

static const char *stop_word(int stop);

/*
 * One JSON object: the plan, what was freed, and the queue after. Returns
 * 0, or -errno when a write failed (and said so).
 */
static int print_json(const struct drain_opts *o,
		      const struct tl_snapshot *snap, const struct tl_sock *l,
		      const struct tl_drain_plan *p,
		      const struct tl_drain_result *res, const char *refused,
		      const uint32_t *q_after, size_t dead_after)
{
	const struct tl_fdref *refs;
	size_t n = tl_snapshot_owners(snap, l, &refs);
	char a[TL_ADDR_STR_MAX];
	struct json w;

	json_init_file(&w, stdout);
	json_obj_begin(&w);
	json_key(&w, "listener");
	out_sock_json(&w, snap, l);
	json_kv_bool(&w, "dry_run", o->dry_run);
	/* Why nothing was tried: what the message on stderr says. */
	json_kv_str(&w, "refused", refused);
	json_kv_uint(&w, "queue_before", l->rqueue);
	json_kv_uint(&w, "backlog", l->wqueue);
	json_kv_uint(&w, "hidden", p->hidden);
	json_kv_uint(&w, "shared", p->n_shared);
	json_key(&w, "listener_owners");
	out_owners_json(&w, snap->owners, refs, n);
	socks_json(&w, snap, "dead", p->dead, p->n_dead);
	socks_json(&w, snap, "live", p->live, p->n_live);
	json_kv_uint(&w, "half_closed", p->n_half_closed);
	json_kv_uint(&w, "freed", res->freed);
	json_kv_uint(&w, "freed_hidden", res->freed_hidden);
	json_kv_str(&w, "stopped", stop_word(res->stop));
	json_key(&w, "taken_by_mistake");
	if (res->stop == -ESTALE) {
		json_obj_begin(&w);
		json_kv_str(&w, "peer_addr",
			    res->other_family ?
				    tl_addr_format(a, sizeof(a),
						   res->other_family,
						   res->other_peer) :
				    NULL);
		json_kv_uint(&w, "peer_port", res->other_port);
		json_kv_str(&w, "state", tl_state_name(res->other_state));
		json_obj_end(&w);
	} else {
		json_null(&w);
	}
	json_key(&w, "queue_after");
	if (q_after)
		json_uint(&w, *q_after);
	else
		json_null(&w);
	json_key(&w, "queued_dead_after");
	if (q_after)
		json_uint(&w, dead_after);
	else
		json_null(&w);
	json_obj_end(&w);
	json_raw(&w, "\n", 1);
	if (json_flush(&w) < 0)
		tl_err("cannot write output: %s", strerror(-w.err));
	return w.err;
}

static const char *stop_word(int stop)
{
	switch (stop) {
	case 0:
		return NULL;
	case -ETIMEDOUT:
		return "deadline";
	case -ESTALE:
		return "took-other";
	default:
		return "error";
	}
}

/*
 * Says why a drain could not start; names it for --json's refused; returns
 * the exit status.
 */
static int run_error(int err, const struct tl_drain_plan *p,
		     const char *proc_root, const char **refused)
{
	*refused = err == -EPERM    ? "not-permitted" :
		   err == -ENOSYS   ? "no-pidfd-getfd" :
		   err == -ESRCH    ? "owner-exited" :
		   err == -ESTALE   ? "listener-fd-changed" :
		   err == -EALREADY ? "another-drain" :
				      "error";
	switch (err) {
	case -EPERM:
		tl_err("drain: not permitted to take fd %d from pid %d: "
		       "pidfd_getfd() needs the right to ptrace it "
		       "(CAP_SYS_PTRACE)%s",
		       p->fd, (int)p->pid, geteuid() ? "; run as root" : "");
		return TL_EXIT_USAGE;
	case -ENOSYS:
		tl_err("drain: this kernel has no pidfd_getfd() (Linux 5.6 "
		       "or later is needed)");
		return TL_EXIT_USAGE;
	case -ESRCH:
		/* /proc of an outer pid namespace names pids not ours. */
		if (tl_proc_is_own_pidns(proc_root) == -EXDEV) {
			*refused = "other-pid-namespace";
			tl_err("drain: pid %d is how %s numbers the owner, "
			       "and %s is not a /proc of this process's pid "
			       "namespace, so that pid is not this process's "
			       "to open (mount one, as unshare --pid --fork "
			       "--mount-proc does, or run drain outside this "
			       "pid namespace)",
			       (int)p->pid, proc_root, proc_root);
			return TL_EXIT_FAILURE;
		}
		tl_err("drain: pid %d has exited; its queue went with it",
		       (int)p->pid);
		return TL_EXIT_FAILURE;
	case -ESTALE:
		tl_err("drain: pid %d's fd %d no longer holds the listener "
		       "(closed or reused since the dump); nothing done",
		       (int)p->pid, p->fd);
		return TL_EXIT_FAILURE;
	case -EALREADY:
		tl_err("drain: another drain of this listener is running; "
		       "nothing done (once it ends, run this one again: its "
		       "plan is out of date)");
		return TL_EXIT_FAILURE;
	default:
		tl_err("drain: %s", strerror(-err));
		return TL_EXIT_FAILURE;
	}
}

enum { D_OPT_DRY_RUN = 0x2000, D_OPT_DELAY, D_OPT_PID, D_OPT_FD };

static int drain_parse(struct tl_global *g, void *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		TL_GLOBAL_LONGOPTS,
		{ "dry-run", no_argument, NULL, D_OPT_DRY_RUN },
		{ "pid", required_argument, NULL, D_OPT_PID },
		{ "fd", required_argument, NULL, D_OPT_FD },
		/* Tests: a pause between accepts, to race the program. */
		{ "test-delay-ms", required_argument, NULL, D_OPT_DELAY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct drain_opts *o = opts;
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, TL_GLOBAL_SHORTOPTS "h", longopts,
				NULL)) != -1) {
		if (tl_global_option(g, c, optarg))
			continue;
		switch (c) {
		case D_OPT_DRY_RUN:
			o->dry_run = true;
			break;
		case D_OPT_PID:
			if (tl_parse_uint(optarg, TL_PID_MAX, &v) < 0 ||
			    v == 0) {
				tl_err("drain: bad --pid '%s' (a process id, "
				       "1-%d)",
				       optarg, TL_PID_MAX);
				return TL_PARSE_BAD;
			}
			o->pid = (pid_t)v;
			break;
		case D_OPT_FD:
			if (tl_parse_uint(optarg, INT32_MAX, &v) < 0) {
				tl_err("drain: bad --fd '%s' (an fd number, "
				       "0-2147483647)",
				       optarg);
				return TL_PARSE_BAD;
			}
			o->fd = (int)v;
			o->fd_set = true;
			break;
		case D_OPT_DELAY:
			if (tl_parse_uint(optarg, 10000, &v) < 0) {
				tl_err("drain: bad --test-delay-ms '%s' "
				       "(0-10000)",
				       optarg);
				return TL_PARSE_BAD;
			}
			o->delay_ms = (unsigned)v;
			break;
		case 'h':
			drain_usage(stdout);
			return TL_PARSE_HELP;
		default:
			tl_bad_option(c, argv);
			return TL_PARSE_BAD;
		}
	}
	if (o->fd_set && !o->pid) {
		tl_err("drain: --fd %d needs --pid: it names an fd of that "
		       "process",
		       o->fd);
		return TL_PARSE_BAD;
	}
	if (optind + 1 != argc) {
		tl_err("drain: %s (one ADDR:PORT, e.g. 127.0.0.1:8080)",
		       optind >= argc ? "which listener?" :
					"too many arguments");
		return TL_PARSE_BAD;
	}
	o->spec = argv[optind];
	if (parse_target(o->spec, o) < 0) {
		tl_err("drain: bad listener '%s' (ADDR:PORT, [IPV6]:PORT, "
		       "ADDR%%DEVICE:PORT, [IPV6%%DEVICE]:PORT or "
		       "*:PORT, port 1-65535)",
		       o->spec);
		return TL_PARSE_BAD;
	}
	if (g->replay_path || g->record_path || g->no_owners) {
		tl_err("drain: needs a live dump with owners (no --record, "
		       "--replay or --no-owners)");
		return TL_PARSE_BAD;
	}
	return 0;
}

/* The most of ADDR:PORT shown: an address, %DEVICE and a port. */
#define DRAIN_SPEC_SHOWN 128

static void print_plan_text(const struct tl_snapshot *snap,
			    const struct tl_drain_plan *p, const char *spec)
{
	const struct tl_proc *owner = tl_owners_proc(snap->owners, p->pid);
	char comm[ESC_SIZE(TL_COMM_MAX)], what[ESC_SIZE(DRAIN_SPEC_SHOWN)];

	/* As given: a device's name is anyone's choice of bytes. */
	printf("drain %s: ", esc_text(what, sizeof(what), spec));
	if (owner)
		printf("pid %d (%s) holds the listener as fd %d\n",
		       (int)owner->pid,
		       esc_text(comm, sizeof(comm), owner->comm), p->fd);
	else
		printf("no process is known to hold the listener\n");
	/* Shared ones may be in another's queue: counted as candidates. */
	if (p->n_shared)
		printf("  queue: %u (backlog %u); of the %zu connection%s that "
		       "may wait in it: %zu closed by %s, %zu live",
		       p->listener->rqueue, p->listener->wqueue,
		       p->n_dead + p->n_live,
		       p->n_dead + p->n_live == 1 ? "" : "s", p->n_dead,
		       p->n_dead == 1 ? "the client" : "their clients",
		       p->n_live);
	else
		printf("  queue: %u (backlog %u): %zu closed by %s, %zu live",
		       p->listener->rqueue, p->listener->wqueue, p->n_dead,
		       p->n_dead == 1 ? "the client" : "their clients",
		       p->n_live);
	if (p->n_half_closed)
		printf(" (%zu of them half-closed: the client shut down only "
		       "its sending side and still holds its socket)",
		       p->n_half_closed);
	printf("%s\n", p->hidden ? "," : "");
	if (p->hidden)
		printf("  and %u that no dump shows but that still %s a "
		       "slot (reset by their client while queued, destroyed "
		       "with ss -K or tcplimbo kill, or MPTCP connections "
		       "whose subflows are gone)\n",
		       p->hidden, p->hidden == 1 ? "holds" : "hold");
	if (p->n_shared)
		printf("  %zu of them may wait in the queue of another "
		       "SO_REUSEPORT listener on this port instead (the kernel "
		       "picks a queue by a hash); at most %u can be freed "
		       "here\n",
		       p->n_shared, p->listener->rqueue);
	list_text("dead", p->dead, p->n_dead);
	list_text("live", p->live, p->n_live);
}

static int drain_run(const struct tl_global *gin, void *opts)
{
	/*
	 * Both families, whatever -4 and -6 say: a client here that only
	 * half-closed may be of either (a dual-stack listener's IPv4 client
	 * has a mapped address), and taking its connection would reset it.
	 * -4 and -6 narrow only which listeners '*:PORT' names.
	 */
	struct tl_global both = *gin;
	const struct tl_global *g = &both;
	struct drain_opts o = *(const struct drain_opts *)opts;
	struct tl_drain_opts dopts = { .timeout_ms = DRAIN_TIMEOUT_MS };
	struct tl_drain_plan p = { 0 };
	struct tl_drain_result res = { 0 };
	struct tl_snapshot *snap = NULL;
	const struct tl_sock *l;
	const char *spec = o.spec;
	uint32_t q_after = 0;
	int held_fd = -1;
	size_t dead_after = 0;
	bool after = false, gone = false, ran = false;
	const char *refused = NULL;
	int r, ra, ret;

	o.json = g->json;
	o.netns_spec = g->netns_spec;
	o.only = gin->family;
	both.family = AF_UNSPEC;
	dopts.delay_ms = o.delay_ms;
	ret = TL_EXIT_USAGE;
	if (o.family != AF_UNSPEC && o.only != AF_UNSPEC &&
	    o.family != o.only) {
		tl_err("drain: %s is an %s listener, and %s asks for %s only",
		       spec, o.family == AF_INET ? "IPv4" : "IPv6",
		       o.only == AF_INET ? "-4" : "-6",
		       o.only == AF_INET ? "IPv4" : "IPv6");
		goto out;
	}
	if (o.pid)
		o.pid = tl_pid_process(g, "drain", "--pid", o.pid);
	/* FIN-WAIT-2: the clients here that only half-closed (see plan). */
	if (tl_take_snapshot(g,
			     TL_STATE_BIT(TL_LISTEN) |
				     TL_STATE_BIT(TL_ESTABLISHED) |
				     TL_STATE_BIT(TL_CLOSE_WAIT) |
				     TL_STATE_BIT(TL_SYN_RECV) |
				     TL_STATE_BIT(TL_FIN_WAIT1) |
				     TL_STATE_BIT(TL_FIN_WAIT2),
			     &snap) < 0)
		goto out;
	/* Its sockets' cgroup and context, as ls gives them. */
	if (o.json)
		ctx_attach(g, snap);
	l = drain_find_target(snap, &o, spec, &held_fd);
	if (!l)
		goto out;
	r = tl_drain_plan(snap, l, &p);
	if (r < 0) {
		tl_err("drain: %s", strerror(-r));
		goto out;
	}
	/* Borrow it from the process named, as the fd it holds it by. */
	if (o.pid) {
		p.pid = o.pid;
		p.fd = held_fd;
	}
	if (!o.json)
		print_plan_text(snap, &p, spec);
	/* Live ones alone are the program's: nothing to free, or refuse. */
	if (tl_drain_plan_want(&p) == 0) {
		if (!o.json)
			printf("  nothing to free\n");
		ret = 0;
	} else if (p.n_live) {
		tl_err("drain: refusing: %zu live connection%s %s queued with "
		       "the dead ones; accept() takes them in the order they "
		       "came, which no dump shows, so drain could take %s from "
		       "the program. The program frees its queue itself once "
		       "it accepts again (see tcplimbo doctor for why it does "
		       "not); or run drain again when %s gone",
		       p.n_live, p.n_live == 1 ? "" : "s",
		       p.n_shared    ? "may be" :
		       p.n_live == 1 ? "is" :
				       "are",
		       p.n_live == 1 ? "it" : "one",
		       p.n_live == 1 ? "its client has" : "their clients have");
		refused = "live-connections-queued";
		ret = TL_EXIT_WARNING;
	} else if (p.pid == 0 && snap->owners && out_owners_complete(snap, l) &&
		   tl_pidns_initial(g->proc_root)) {
		/*
		 * Every fd table was read, and every process is one we see
		 * (no pid namespace of ours hides some): it is in none.
		 */
		refused = "owner-unknown";
		tl_err("drain: no process holds the listener: it is in no fd "
		       "table (in flight in a unix socket's message that no "
		       "one has received, or registered with io_uring), so "
		       "there is no fd to borrow");
	} else if (p.pid == 0) {
		/* The hint is a clause of its own ("; root could"). */
		const char *hint = tl_fds_denied_hint();

		refused = "owner-unknown";
		tl_err("drain: cannot tell which process holds the listener: "
		       "none of those whose fds were read does; it may be in "
		       "flight in a unix socket's message not yet received "
		       "(SCM_RIGHTS), or be one whose fds could not be "
		       "read%s%s%s, so there is no fd to borrow",
		       *hint ? " (" : "", *hint ? hint + 2 : "",
		       *hint ? ")" : "");
	} else if (o.dry_run) {
		if (!o.json)
			printf("  would free %zu slot%s (--dry-run: nothing "
			       "done)\n",
			       tl_drain_plan_want(&p),
			       tl_drain_plan_want(&p) == 1 ? "" : "s");
		ret = 0;
	} else {
		ran = true;
		r = tl_drain_run(&p, &dopts, &res);
		if (r < 0) {
			ret = run_error(r, &p, g->proc_root, &refused);
			goto report;
		}
		ra = count_after(g, l, &q_after, &dead_after);
		after = ra == 0;
		gone = ra == -ENOENT;
		ret = res.stop ? TL_EXIT_WARNING : TL_EXIT_OK;
	}
report:
	if (o.json) {
		if (print_json(&o, snap, l, &p, &res, refused,
			       after ? &q_after : NULL, dead_after) < 0)
			ret = TL_EXIT_FAILURE;
	} else if (ran && r < 0) {
		/* It could not start: the message says why. */
		printf("  freed 0 of %zu: nothing done\n",
		       tl_drain_plan_want(&p));
	} else if (ran) {
		printf("  freed %zu of %zu: accepted and closed by tcplimbo "
		       "through pidfd_getfd(); the program was not touched\n",
		       res.freed, tl_drain_plan_want(&p));
		if (after)
			printf("  queue now %u; closed connections still "
			       "queued: %zu\n",
			       q_after, dead_after);
		else if (gone)
			printf("  the listener is gone now: its program closed "
			       "it or exited meanwhile\n");
	}
	if (res.stop == -ETIMEDOUT)
		tl_err("drain: stopped after %zu: nothing more was queued "
		       "(the program accepted the rest itself)",
		       res.freed);
	else if (res.stop == -ESTALE) {
		char a[TL_ADDR_STR_MAX + 8];

		tl_err("drain: STOPPED: accepted a connection that was not "
		       "one of the dead ones — from %s, state %s — and had to "
		       "close it; the program accepted some meanwhile",
		       res.other_family ? tl_addr_format_port(a, sizeof(a),
							      res.other_family,
							      res.other_peer,
							      res.other_port) :
					  "an unknown peer",
		       tl_state_name_upper(res.other_state) ?
			       tl_state_name_upper(res.other_state) :
			       "?");
	} else if (res.stop)
		tl_err("drain: stopped after %zu: accept: %s", res.freed,
		       strerror(-res.stop));
out:
	if (fflush(stdout) != 0 && ret != TL_EXIT_FAILURE) {
		tl_err("cannot write output: %s", strerror(errno));
		ret = TL_EXIT_FAILURE;
	}
	tl_drain_plan_release(&p);
	tl_snapshot_free(snap);
	return ret;
}

const struct tl_verb tl_verb_drain = {
	.name = "drain",
	.help = "free an accept queue of connections whose client is gone",
	.opts_size = sizeof(struct drain_opts),
	.parse = drain_parse,
	.run = drain_run,
};
