// SPDX-License-Identifier: MIT
/*
 * tcplimbo watch: every TCP state transition as it happens, with the
 * process that really holds the socket and how long it stayed in the state
 * it left.
 *
 * The backends report sockets, not processes: the owner resolver
 * (tcplimbo/resolver.h) names them. This file keeps the options and the
 * loop; watch-print.c prints each transition, watch-top.c the table.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "context.h"
#include "filter.h"
#include "output.h"
#include "tcplimbo/counters.h"
#include "tcplimbo/events.h"
#include "tcplimbo/netns.h"
#include "tcplimbo/resolver.h"
#include "tl.h"
#include "watch.h"

/*
 * A rescan that took at most this long (ms) is taken in line, so the event
 * that asked for it has its owner; slower ones go to the resolver's thread.
 */
#ifndef W_SYNC_MAX_MS /* a build may set 0 to test the thread */
#define W_SYNC_MAX_MS 20
#endif
/* The longest --seconds: a day. */
#define W_MAX_SECONDS 86400

static volatile sig_atomic_t w_stop;

static void w_on_signal(int sig)
{
	w_stop = sig;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The clock events are stamped with (struct tl_event's ts_ms). */
static uint64_t realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void watch_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcplimbo [-N NS] [-4|-6] [--json] watch [OPTIONS] "
		"[FILTERS]\n"
		"\n"
		"Prints each TCP state transition: time, addresses, OLD -> NEW,\n"
		"time spent in OLD, the owner (for a socket in an accept queue,\n"
		"its listener's owner) and the network namespace.\n"
		"\n"
		"Options:\n"
		"  --backend auto|bpf|poll  where transitions come from "
		"(auto)\n"
		"  --interval DURATION  poll: time between dumps; --top: "
		"refresh\n"
		"                   (1000ms; 10ms to 1h; a bare number counts "
		"ms)\n"
		"  --seconds DURATION  stop after this long (at most a day; a "
		"bare\n"
		"                   number counts seconds)\n"
		"  --top            a live table per process and listener\n"
		"  --ring-size MIB  bpf: buffer size over all CPUs, a power of two (64)\n"
		"  -j, --json       one JSON object per line\n"
		"\n"
		"Filters:\n" TL_FILTER_HELP "\n" TL_GLOBAL_HELP);
}

static bool owners_pass(const struct tl_filter *f,
			const struct tl_resolver_owners *ow)
{
	for (uint32_t i = 0; i < ow->n; i++)
		if (tl_filter_owner_match(f, ow->o[i].pid, ow->o[i].comm))
			return true;
	return false;
}

/*
 * ls's filters on an event: the socket as it was before and after, so a
 * --state filter catches transitions into and out of that state.
 */
static bool event_pass(const struct watch *w, const struct tl_event *ev,
		       const struct tl_resolved *r)
{
	struct tl_sock sk;
	bool ok;

	if (w->filter_none)
		return true;
	memset(&sk, 0, sizeof(sk));
	memcpy(sk.src, ev->src, sizeof(sk.src));
	memcpy(sk.dst, ev->dst, sizeof(sk.dst));
	sk.sport = ev->sport;
	sk.dport = ev->dport;
	sk.family = ev->family;
	sk.limbo = r->limbo;
	if (w->f->states == 0) {
		sk.state = TL_ESTABLISHED;
		ok = tl_filter_match(w->f_sock, tl_resolver_snapshot(w->res),
				     &sk);
	} else {
		sk.state = ev->new_state;
		ok = tl_filter_match(w->f_sock, tl_resolver_snapshot(w->res),
				     &sk);
		if (!ok) {
			sk.state = ev->old_state;
			ok = tl_filter_match(w->f_sock,
					     tl_resolver_snapshot(w->res), &sk);
		}
		/* Into a TIME-WAIT entry: the kernel says CLOSE (bpf). */
		if (!ok && (ev->flags & TL_EVENT_TIME_WAIT)) {
			sk.state = TL_TIME_WAIT;
			ok = tl_filter_match(w->f_sock,
					     tl_resolver_snapshot(w->res), &sk);
		}
	}
	if (!ok)
		return false;
	if (tl_filter_needs_context(w->f) &&
	    !tl_filter_context(w->f, tl_cgroups_context(w->cg, r->cgroup)))
		return false;
	/* A socket the process closed is still its own to the end. */
	if (w->filter_owners)
		return owners_pass(w->f, &r->owners) ||
		       owners_pass(w->f, &r->former) ||
		       owners_pass(w->f, &r->lowners);
	return true;
}

static int on_event(const struct tl_event *ev, void *arg)
{
	struct watch *w = arg;
	struct tl_resolved r;

	if (w->stopped_ms && ev->ts_ms > w->stopped_ms)
		return 0;
	tl_resolver_resolve(w->res, ev, &r);
	if (!event_pass(w, ev, &r))
		return 0;
	if (w->out_dropped) {
		w->unwritten++;
		return 0;
	}
	w->reported++;
	if (r.owners.n || r.former.n || r.lowners.n)
		w->named++;
	if (r.by_kernel)
		w->kernel_named++;
	if (ev->flags & TL_EVENT_JUMP)
		w->jumps++;
	if (ev->flags & TL_EVENT_UNKNOWN)
		w->unknown++;
	if (w->top) {
		watch_top_event(w, ev, &r);
		return 0;
	}
	if (w->g->json)
		watch_print_json(w, ev, &r);
	else
		watch_print_text(w, ev, &r);
	return 0;
}

/*
 * Hands what is buffered to stdout; false (said once) when that fails.
 * A write that SIGINT or SIGTERM interrupted (stdout full, its reader not
 * reading: a paused pager, a stuck consumer) is not a failure: watch was
 * told to stop, so what is buffered is dropped instead of waited for, and
 * the stop goes on to the summary.
 */
static bool write_out(struct watch *w)
{
	int r, err;

	if (w->out_dropped)
		return true;
	r = json_flush(&w->json);
	if (r == 0 && fflush(stdout) == 0) {
		w->flushed = w->reported;
		return true;
	}
	err = r < 0 ? -r : errno;
	if (w_stop && err == EINTR) {
		/*
		 * The writer on a descriptor counts the lines that went
		 * out; through stdio (a terminal, --top) what it held is
		 * not known, and all since the last write are counted.
		 */
		w->dropped = w->json.fd >= 0 ? w->reported - w->json.lines_out :
					       w->reported - w->flushed;
		w->out_dropped = true;
		w->json.n = 0;
		w->json.err = 0;
		__fpurge(stdout);
		clearerr(stdout);
		return true;
	}
	tl_err("cannot write output: %s", strerror(err));
	return false;
}

/*
 * How the resolver takes a snapshot. Resolving owners needs only the /proc
 * scan and the listeners: under churn the table holds mostly TIME_WAIT
 * entries, which have no owner and would make each rescan cost far more.
 * --top counts every socket, so it asks for them all.
 */
static int watch_take(void *arg, struct tl_snapshot **ret)
{
	const struct watch *w = arg;

	return tl_take_snapshot(
		w->g, w->top ? TL_STATES_REAL : TL_STATE_BIT(TL_LISTEN), ret);
}

/* The lines' buffer when stdout is not a terminal (see watch_run). */
static char out_buf[1 << 18];

enum {
	W_OPT_BACKEND = 0x2000,
	W_OPT_INTERVAL,
	W_OPT_SECONDS,
	W_OPT_TOP,
	W_OPT_ATTACH,
	W_OPT_RING,
};

/*
 * Says, once, that -N no longer names the namespace watched: deleted (ip
 * netns del leaves the processes in it, and their sockets), or its process
 * gone. Watching it goes on; what it could still see is theirs.
 */
static bool tell_moved(const struct tl_global *g)
{
	bool name = g->netns_by == TL_NETNS_BY_NAME;
	int r = tl_netns_moved(g);

	if (r == 0)
		return false;
	if (name && r == -ENOENT)
		tl_err("watch: network namespace %s has been deleted; watch "
		       "goes on in it, where only the processes still in it "
		       "can make changes",
		       g->netns_spec);
	else if (name)
		tl_err("watch: %s now names another network namespace (it "
		       "was deleted and made again); watch goes on in the one "
		       "it opened: start it again for the new one",
		       g->netns_spec);
	else
		tl_err("watch: pid %s has exited%s; watch goes on in the "
		       "network namespace it was in, where only the processes "
		       "still in it can make changes",
		       g->netns_spec,
		       r == -ESTALE ? " (its pid is now another process's, in "
				      "another namespace)" :
				      "");
	return true;
}

/* Reads of the buffers after a stop with stdout full, at most. */
#define W_DRAIN_PASSES 64

/* --ring-size bounds, MiB: the kernel wants a power of two. */
#define W_RING_MAX_MIB (TL_EVENTS_RING_MAX >> 20)

/* watch's own options; the filter is big, so main's heap holds it. */
struct watch_opts {
	struct tl_filter f;
	struct tl_events_opts eo;
	uint64_t run_ms; /* --seconds, or 0: until stopped */
	bool top;
	/* Given, to refuse them where the backend asked for has no use. */
	bool interval_set, ring_set;
};

static int watch_parse(struct tl_global *g, void *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		TL_GLOBAL_LONGOPTS,
		TL_FILTER_LONGOPTS,
		{ "backend", required_argument, NULL, W_OPT_BACKEND },
		{ "interval", required_argument, NULL, W_OPT_INTERVAL },
		{ "seconds", required_argument, NULL, W_OPT_SECONDS },
		{ "top", no_argument, NULL, W_OPT_TOP },
		{ "ring-size", required_argument, NULL, W_OPT_RING },
		/* Tests: force one bpf entry point (btf or tracepoint). */
		{ "bpf-attach", required_argument, NULL, W_OPT_ATTACH },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct watch_opts *o = opts;
	uint64_t v;
	int c, r;

	tl_events_opts_init(&o->eo);
	while ((c = getopt_long(argc, argv, TL_GLOBAL_SHORTOPTS "h", longopts,
				NULL)) != -1) {
		if (tl_global_option(g, c, optarg))
			continue;
		r = tl_filter_option(&o->f, "watch", c, optarg);
		if (r < 0)
			return TL_PARSE_BAD;
		if (r > 0)
			continue;
		switch (c) {
		case W_OPT_BACKEND:
			if (tl_events_backend_parse(optarg, &o->eo.backend) <
			    0) {
				tl_err("watch: bad --backend '%s' (auto, bpf "
				       "or poll)",
				       optarg);
				return TL_PARSE_BAD;
			}
			break;
		case W_OPT_INTERVAL:
			if (tl_duration_option("watch", "--interval", optarg, 1,
					       TL_EVENTS_INTERVAL_MIN,
					       TL_EVENTS_INTERVAL_MAX, &v) < 0)
				return TL_PARSE_BAD;
			o->eo.interval_ms = (uint32_t)v;
			o->interval_set = true;
			break;
		case W_OPT_SECONDS:
			/* Named for its unit; a bare number still counts s. */
			if (tl_duration_option("watch", "--seconds", optarg,
					       1000, 1, W_MAX_SECONDS * 1000ULL,
					       &o->run_ms) < 0)
				return TL_PARSE_BAD;
			break;
		case W_OPT_TOP:
			o->top = true;
			break;
		case W_OPT_RING:
			if (tl_parse_uint(optarg, W_RING_MAX_MIB, &v) < 0 ||
			    v == 0 || (v & (v - 1))) {
				tl_err("watch: bad --ring-size '%s' (MiB, a "
				       "power of two from 1 to %u)",
				       optarg, W_RING_MAX_MIB);
				return TL_PARSE_BAD;
			}
			o->eo.ring_bytes = (uint32_t)(v << 20);
			o->ring_set = true;
			break;
		case W_OPT_ATTACH:
			if (strcmp(optarg, "btf") == 0) {
				o->eo.attach = TL_ATTACH_BTF;
			} else if (strcmp(optarg, "tracepoint") == 0) {
				o->eo.attach = TL_ATTACH_TRACEPOINT;
			} else {
				tl_err("watch: bad --bpf-attach '%s' (btf or "
				       "tracepoint)",
				       optarg);
				return TL_PARSE_BAD;
			}
			break;
		case 'h':
			watch_usage(stdout);
			return TL_PARSE_HELP;
		default:
			tl_bad_option(c, argv);
			return TL_PARSE_BAD;
		}
	}
	if (optind < argc) {
		tl_err("watch: unexpected argument '%s'", argv[optind]);
		return TL_PARSE_BAD;
	}
	if (g->replay_path || g->record_path) {
		tl_err("watch: --record and --replay are for one dump, not a "
		       "watch");
		return TL_PARSE_BAD;
	}
	if (o->ring_set && o->eo.backend == TL_EVENTS_POLL) {
		tl_err("watch: --ring-size is the bpf backend's buffer; "
		       "--backend poll has none");
		return TL_PARSE_BAD;
	}
	if (o->interval_set && o->eo.backend == TL_EVENTS_BPF && !o->top) {
		tl_err("watch: --interval is the poll backend's time between "
		       "dumps (or --top's refresh); --backend bpf is told of "
		       "each transition as it happens");
		return TL_PARSE_BAD;
	}
	if (o->top && g->json) {
		tl_err("watch: --top draws a table, --json writes a line a "
		       "transition: give one of them");
		return TL_PARSE_BAD;
	}

	if (tl_filter_check_owners(&o->f, g, "watch") < 0)
		return TL_PARSE_BAD;
	/* The kernel's transitions carry no device to match. */
	for (int i = 0; i < o->f.naddr; i++)
		if (o->f.addr[i].dev[0]) {
			tl_err("watch: --addr with a device ('%%%s') is for ls "
			       "and kill: a transition does not say which "
			       "device its socket is bound to",
			       o->f.addr[i].dev);
			return TL_PARSE_BAD;
		}
	if (g->no_owners && tl_filter_needs_context(&o->f)) {
		tl_err("watch: --unit and --container are matched on the "
		       "owners' cgroups; drop --no-owners");
		return TL_PARSE_BAD;
	}
	return 0;
}

/* What --backend bpf gets from a build without it. */
static const char no_bpf[] =
	"watch: this build has no bpf backend (built with -Dbpf=disabled or "
	"without clang/bpftool/libbpf)";

/*
 * Why the kernel said EPERM to the bpf backend, for the message: the caps
 * it needs, unless this process has them; with them, the perf buffers'
 * mmap that went over this user's locked-memory allowance (the kernel
 * lets kernel.perf_event_mlock_kb a CPU, then ulimit -l, unless
 * kernel.perf_event_paranoid is -1 or the process has CAP_IPC_LOCK).
 * Empty when neither is the cause.
 */
static void bpf_eperm_hint(char *buf, size_t size, uint32_t ring_bytes)
{
	uint64_t ring = ring_bytes ? ring_bytes : TL_EVENTS_RING_DEFAULT;
	uint64_t mlock_kb, paranoid, allowance;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct rlimit rl;

	buf[0] = '\0';
	if (geteuid() == 0 && !tl_real_root()) {
		snprintf(buf, size,
			 "needs CAP_BPF and CAP_PERFMON in the "
			 "host's user namespace");
		return;
	}
	if (!tl_have_bpf_caps()) {
		snprintf(buf, size, "needs CAP_BPF and CAP_PERFMON%s",
			 geteuid() == 0 ? ", which this process lacks" :
					  ", or root");
		return;
	}
	if (tl_have_cap(CAP_IPC_LOCK) ||
	    tl_sysctl_values("/proc", "sys/kernel/perf_event_paranoid",
			     &paranoid, 1) != 1 ||
	    tl_sysctl_values("/proc", "sys/kernel/perf_event_mlock_kb",
			     &mlock_kb, 1) != 1 ||
	    getrlimit(RLIMIT_MEMLOCK, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return;
	allowance =
		mlock_kb * 1024 * (uint64_t)(ncpu > 0 ? ncpu : 1) + rl.rlim_cur;
	if (ring <= allowance)
		return;
	snprintf(buf, size,
		 "the perf buffers, %llu MiB, exceed this user's locked-memory "
		 "allowance of %llu KiB: kernel.perf_event_mlock_kb a CPU, "
		 "then ulimit -l; give a smaller --ring-size, or "
		 "CAP_IPC_LOCK",
		 (unsigned long long)(ring >> 20),
		 (unsigned long long)(allowance >> 10));
}

static int watch_run(const struct tl_global *g, void *opts)
{
	struct watch_opts *o = opts;
	struct tl_events_opts eo = o->eo;
	struct tl_events *ev = NULL;
	struct watch w = { .g = g, .f = &o->f, .top = o->top };
	struct tl_counters ctr;
	struct sigaction sa;
	struct tl_resolver_opts ro;
	size_t pending = 0;
	uint64_t deadline = 0, next_top = 0, lost_told = 0;
	uint64_t missed_told = 0, next_missed_ms = 0;
	bool moved_told = false;
	bool tty = isatty(STDOUT_FILENO);
	char why[160], hint[320] = "", label[W_NETNS_LABEL_MAX];
	uint64_t ino;
	int r, ret = TL_EXIT_FAILURE;

	/*
	 * Under churn a batch is megabytes, and stdio's buffer for a file or
	 * a pipe (a page) made 60,000 write()s a second. So the lines gather
	 * in a large buffer, the writer's, which goes out whole with
	 * write(2): one a batch and no copy (a buffered stdout would copy
	 * every byte into its own buffer first). The loop flushes once a
	 * batch either way, so this changes nothing of when lines leave.
	 * The writer's own write() also gives up on a stop: stdio resumes a
	 * write a signal interrupted part way, and the first Ctrl-C was lost
	 * when the reader had stopped reading. stdout is unbuffered, so
	 * nothing written through stdio can come out of order. A terminal
	 * keeps stdio's own buffering, and so does --top, which prints a
	 * screen a second through stdio.
	 */
	if (!tty && !w.top) {
		setvbuf(stdout, NULL, _IONBF, 0);
		json_init_fd(&w.json, STDOUT_FILENO, &w_stop);
		json_set_buffer(&w.json, out_buf, sizeof(out_buf));
	} else {
		json_init_file(&w.json, stdout);
	}
	w.rows = calloc(W_TOP_ROWS + 1, sizeof(*w.rows));
	if (!w.rows) {
		tl_err("out of memory");
		goto out;
	}
	w.filter_owners = tl_filter_needs_owners(w.f);
	w.filter_none = tl_filter_empty(w.f);
	/*
	 * An event's owners may be gone from /proc already (close() ran):
	 * --pid and --comm are matched on the owners watch resolved, the
	 * rest by ls's matcher.
	 */
	w.f_sock = malloc(sizeof(*w.f_sock));
	if (!w.f_sock) {
		tl_err("out of memory");
		goto out;
	}
	*w.f_sock = *w.f;
	w.f_sock->npid = 0;
	w.f_sock->ncomm = 0;
	/* The same for --unit and --container: matched on the owner's. */
	w.f_sock->nunit = 0;
	w.f_sock->ncontainer = 0;
	/* Needs --root, which may come after the verb: checked here. */
	if (tl_filter_check(w.f, g) < 0) {
		ret = TL_EXIT_USAGE;
		goto out;
	}
	w.cg = ctx_cgroups(g);
	tl_netns_label_of(g, &ino, label, sizeof(label));
	watch_set_netns(&w, label, ino);
	eo.family = g->family;
	eo.netns_fd = g->netns_fd;
	tl_filter_to_events(w.f, &eo.filter);

	/* Stop cleanly, so programs are detached and the counts printed. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = w_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* Before the first snapshot, which would be for nothing. */
	if (eo.backend == TL_EVENTS_BPF && !tl_events_bpf_built()) {
		tl_err("%s", no_bpf);
		goto out;
	}
	tl_resolver_opts_init(&ro);
	/* Rescans log their own failure, as every snapshot of the command. */
	ro.take = watch_take;
	ro.take_arg = &w;
	ro.snap.owners = !g->no_owners;
	ro.snap.proc_root = g->proc_root;
	ro.cgroups = w.cg;
	ro.sync_max_ms = W_SYNC_MAX_MS;
	r = tl_resolver_new(&ro, &w.res);
	if (r < 0) {
		struct rlimit rl;

		/* pthread_create's EAGAIN: no room for a stack, or NPROC. */
		if (r == -EAGAIN && getrlimit(RLIMIT_AS, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY)
			tl_err("watch: cannot start the owner resolver: %s "
			       "(a thread's stack may not fit: this process's "
			       "address-space limit, ulimit -v, is %llu kB)",
			       strerror(-r),
			       (unsigned long long)(rl.rlim_cur / 1024));
		else
			tl_err("watch: cannot start the owner resolver: %s",
			       tl_strerror_limit(r, why, sizeof(why)));
		goto out;
	}
	/* Owners of what is open now, before the first transition. */
	if (tl_resolver_refresh(w.res) < 0)
		goto out;
	/* Theirs stay unnamed, and --top files them under "(no owner)". */
	tl_warn_denied("watch", tl_resolver_snapshot(w.res));
	/* A quiet watch of a mistyped pid would pass for a quiet server. */
	tl_filter_note_procs(w.f, tl_resolver_snapshot(w.res),
			     " until one starts");
	r = tl_events_open(&eo, &ev);
	if (r == -EPERM || (r >= 0 && tl_events_bpf_error(ev) == -EPERM))
		bpf_eperm_hint(hint, sizeof(hint), eo.ring_bytes);
	if (r < 0) {
		if (r == -EOPNOTSUPP)
			tl_err("%s", no_bpf);
		else if (r == -EPERM)
			tl_err("watch: cannot load the bpf program: %s%s%s%s",
			       strerror(-r), hint[0] ? " (" : "", hint,
			       hint[0] ? ")" : "");
		else if (r == -ENOENT && eo.attach == TL_ATTACH_TRACEPOINT)
			tl_err("watch: cannot attach to the tracepoint: %s "
			       "(is tracefs mounted on /sys/kernel/tracing?)",
			       strerror(-r));
		else
			tl_err("watch: cannot start the %s backend: %s",
			       tl_events_backend_name(eo.backend),
			       tl_strerror_limit(r, why, sizeof(why)));
		goto out;
	}
	w.backend = tl_events_backend_name(tl_events_backend(ev));
	/* How long a closed FIN-WAIT-2 goes on as a timewait entry here. */
	if (tl_counters_read(g->proc_root, g->netns_fd, &ctr) == 0 &&
	    (ctr.have & TL_CTR_FIN_TIMEOUT) && ctr.fin_timeout_s < 1u << 30)
		w.fin_timeout_s = ctr.fin_timeout_s;
	if (tl_events_bpf_error(ev) == -EOPNOTSUPP)
		snprintf(hint, sizeof(hint), "this build has no bpf backend");
	if (tl_events_bpf_error(ev))
		fprintf(stderr,
			"tcplimbo: watch: bpf unavailable: %s%s%s%s; using "
			"poll\n",
			tl_strerror_limit(tl_events_bpf_error(ev), why,
					  sizeof(why)),
			hint[0] ? " (" : "", hint, hint[0] ? ")" : "");
	if (tl_events_backend(ev) == TL_EVENTS_POLL)
		fprintf(stderr,
			"tcplimbo: watch: backend poll (%s): it samples, so "
			"states shorter than the interval are missed and "
			"skipped states are marked\n",
			tl_events_detail(ev));
	else
		fprintf(stderr, "tcplimbo: watch: backend bpf (%s)%s\n",
			tl_events_detail(ev),
			/* Chosen by auto: the interval asked for is unused. */
			o->interval_set && !w.top ?
				"; --interval is the poll backend's, and "
				"bpf reports each transition as it happens" :
				"");
	fflush(stderr);
	if (!g->json && !w.top)
		printf("%-12s  %-24s %-24s %11s    %-11s %9s  %s\n", "TIME",
		       "LOCAL", "PEER", "OLD", "NEW", "IN OLD", "OWNER");

	if (o->run_ms)
		deadline = mono_ms() + o->run_ms;
	next_top = mono_ms() + eo.interval_ms;
	while (!w_stop) {
		uint64_t now = mono_ms();
		uint64_t wait = 200;

		if (deadline) {
			if (now >= deadline)
				break;
			if (deadline - now < wait)
				wait = deadline - now;
		}
		if (w.top && next_top > now && next_top - now < wait)
			wait = next_top - now;
		/* Pending sockets are named by the next rescan: come back soon. */
		if (pending)
			wait = ro.gap_ms / 4;
		r = tl_events_run(ev, (int)wait, on_event, &w);
		if (r < 0 && r != -EINTR) {
			/* What came before the failure is still told. */
			json_flush(&w.json);
			tl_err("watch: reading events: %s", strerror(-r));
			goto out;
		}
		pending = tl_resolver_tick(w.res);
		if (w.top && mono_ms() >= next_top) {
			/* Counts from the newest snapshot the cost allows. */
			tl_resolver_update(w.res);
			watch_top_render(&w, ev, tty);
			next_top = mono_ms() + eo.interval_ms;
		}
		if (tl_events_lost(ev) != lost_told) {
			lost_told = tl_events_lost(ev);
			tl_err("watch: %llu %s lost so far (a CPU's buffer was full)",
			       (unsigned long long)lost_told,
			       lost_told == 1 ? "transition" : "transitions");
		}
		/*
		 * The count is a syscall and under churn changes every
		 * batch: looked at, and told, once a second.
		 */
		now = mono_ms();
		if (now >= next_missed_ms) {
			uint64_t missed = tl_events_missed(ev);

			next_missed_ms = now + 1000;
			if (!moved_told) {
				moved_told = tell_moved(g);
			} else if (tl_netns_over(g)) {
				tl_err("watch: no process this /proc shows is "
				       "in network namespace %s, no name or "
				       "mount holds it, and it has no TCP "
				       "socket left: watch ends",
				       label);
				break;
			}
			if (missed != missed_told) {
				missed_told = missed;
				tl_err("watch: %llu %s missed so far: the kernel "
				       "skipped the programs for changes that "
				       "came while they ran on the same CPU "
				       "(network processing in an interrupt); "
				       "its count covers every namespace",
				       (unsigned long long)missed,
				       missed == 1 ? "transition" :
						     "transitions");
			}
		}
		if (!write_out(&w))
			goto out;
	}
	/*
	 * What waits in the bpf backend's buffers up to the stop (a
	 * transition just before Ctrl-C) is told; what came after it, by
	 * its time, is not. While the write was blocked, counted, not
	 * written, in as many passes as it takes, bounded: a churn refills
	 * them as fast as they are read. (poll has no buffers: a dump now
	 * would be of after the stop.)
	 */
	w.stopped_ms = realtime_ms();
	if (tl_events_backend(ev) == TL_EVENTS_BPF)
		for (int i = 0; i < (w.out_dropped ? W_DRAIN_PASSES : 1); i++)
			/* A pass may hand over none and hold the rest back. */
			if (tl_events_run(ev, 0, on_event, &w) < 0)
				break;
	/* The bpf backend holds the last moments back to put them in order:
	 * they happened while watch ran, so they are told. */
	tl_events_flush(ev, on_event, &w);
	if (!write_out(&w))
		goto out;
	watch_print_summary(&w, ev);
	if (w.out_dropped)
		fprintf(stderr,
			"tcplimbo: watch: stopped while standard output was "
			"full (its reader was not reading): of those reported, "
			"%llu %s not written whole and %s dropped; %llu more "
			"that had come %s not written\n",
			(unsigned long long)w.dropped,
			w.dropped == 1 ? "was" : "were",
			w.dropped == 1 ? "was" : "were",
			(unsigned long long)w.unwritten,
			w.unwritten == 1 ? "was" : "were");
	ret = 0;
out:
	tl_events_close(ev);
	tl_resolver_free(w.res);
	free(w.rows);
	free(w.f_sock);
	return ret;
}

const struct tl_verb tl_verb_watch = {
	.name = "watch",
	.help = "show TCP state transitions live, with owners",
	.opts_size = sizeof(struct watch_opts),
	.parse = watch_parse,
	.run = watch_run,
};
