// SPDX-License-Identifier: MIT
/*
 * tcplimbo watch: every TCP state transition as it happens, with the
 * process that really holds the socket and how long it stayed in the state
 * it left.
 *
 * The backends report sockets, not processes: the owner resolver
 * (tcplimbo/resolver.h) names them. This file keeps the options, the loop
 * and the printing.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "context.h"
#include "escape.h"
#include "filter.h"
#include "output.h"
#include "tcplimbo/counters.h"
#include "tcplimbo/events.h"
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
		"  --ring-size MIB  bpf: ring buffer size, a power of two (64)\n"
		"  -j, --json       one JSON object per line\n"
		"\n"
		"Filters:\n" TL_FILTER_HELP "\n" TL_GLOBAL_HELP);
}

static bool owners_pass(const struct tl_filter *f,
			const struct tl_resolver_owners *ow)
{
	for (uint32_t i = 0; i < ow->n; i++) {
		bool pid_ok = f->npid == 0, comm_ok = f->ncomm == 0;

		for (int k = 0; k < f->npid && !pid_ok; k++)
			pid_ok = ow->o[i].pid == f->pid[k];
		for (int k = 0; k < f->ncomm && !comm_ok; k++)
			comm_ok = strcmp(ow->o[i].comm, f->comm[k]) == 0;
		if (pid_ok && comm_ok)
			return true;
	}
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
	}
	if (!ok)
		return false;
	if (tl_filter_needs_context(w->f) &&
	    !tl_filter_context(w->f, tl_cgroups_context(w->cg, r->cgroup)))
		return false;
	if (w->filter_owners)
		return owners_pass(w->f, &r->owners) ||
		       owners_pass(w->f, &r->lowners);
	return true;
}

/* "pid/comm", the comm escaped: anyone can name a process. */
void watch_owner_text(char *buf, size_t size,
		      const struct tl_resolver_owners *ow)
{
	char comm[ESC_SIZE(TL_COMM_MAX)];

	if (ow->n == 0) {
		snprintf(buf, size, "-");
		return;
	}
	esc_text(comm, sizeof(comm), ow->o[0].comm);
	if (ow->n + ow->more > 1)
		snprintf(buf, size, "%d/%s +%u", (int)ow->o[0].pid, comm,
			 ow->n + ow->more - 1);
	else
		snprintf(buf, size, "%d/%s", (int)ow->o[0].pid, comm);
}

void watch_format_ts(char *buf, size_t size, uint64_t ms, bool full)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	if (full)
		snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (unsigned)(ms % 1000));
	else
		snprintf(buf, size, "%02d:%02d:%02d.%03u", tm.tm_hour,
			 tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
}

static const char *name_or(const char *s)
{
	return s ? s : "?";
}

/*
 * Room for the longest stretch of a JSON line between two strings from
 * outside: the line's own text, addresses, numbers and names, each
 * bounded where it is copied.
 */
#define W_JSON_ROOM 1024

/* The longest state, cause or limbo name copied (the program's own). */
#define W_NAME_MAX 64

/* An address, as ls prints it; returns the byte after it. */
static char *put_addr(char *p, int family, const uint8_t *addr)
{
	tl_addr_format(p, TL_ADDR_STR_MAX, family, addr);
	while (*p)
		p++;
	return p;
}

/* A name of ours as a JSON string, or null; returns the byte after it. */
static char *put_name(char *p, const char *s)
{
	if (!s)
		return json_put_lit(p, "null");
	*p++ = '"';
	p = json_put_plain(p, s, W_NAME_MAX);
	*p++ = '"';
	return p;
}

/*
 * [{"pid":..,"comm":..,"fd":..},...] at the top level of a line (see
 * print_json): only the comm, which the process chose, goes through the
 * escaping writer.
 */
static void owners_json(struct json *j, const struct tl_resolver_owners *ow)
{
	char *p = json_room(j, W_JSON_ROOM);

	*p++ = '[';
	for (uint32_t i = 0; i < ow->n; i++) {
		p = i ? json_put_lit(p, ",{\"pid\":") :
			json_put_lit(p, "{\"pid\":");
		p = json_put_int(p, ow->o[i].pid);
		p = json_put_lit(p, ",\"comm\":");
		json_wrote(j, p);
		json_str(j, ow->o[i].comm);
		p = json_room(j, W_JSON_ROOM);
		/* Owners the kernel recorded come without an fd. */
		p = json_put_lit(p, ",\"fd\":");
		p = ow->o[i].fd >= 0 ? json_put_int(p, ow->o[i].fd) :
				       json_put_lit(p, "null");
		*p++ = '}';
	}
	*p++ = ']';
	json_wrote(j, p);
}

/* "2026-11-24T12:34:56.789Z"; the part before the ms changes once a second. */
static char *put_ts(struct watch *w, char *p, uint64_t ms)
{
	unsigned frac = (unsigned)(ms % 1000);
	char *dot;

	if (ms / 1000 != w->ts_sec || !w->ts_text[0]) {
		w->ts_sec = ms / 1000;
		watch_format_ts(w->ts_text, sizeof(w->ts_text),
				w->ts_sec * 1000, true);
		/* Keep "YYYY-MM-DDTHH:MM:SS." and add the ms each time. */
		dot = strrchr(w->ts_text, '.');
		if (dot)
			dot[1] = '\0';
	}
	*p++ = '"';
	p = json_put_plain(p, w->ts_text, sizeof(w->ts_text));
	*p++ = (char)('0' + frac / 100);
	*p++ = (char)('0' + frac / 10 % 10);
	*p++ = (char)('0' + frac % 10);
	*p++ = 'Z';
	*p++ = '"';
	return p;
}

/*
 * How long the connection goes on as a timewait FIN-WAIT-2 entry after
 * this event, or 0 when it is not such a hand-off (or tcp_fin_timeout is
 * unknown). With tcp_fin_timeout F of at most 60 s the kernel hands a
 * closed FIN_WAIT2 over at once and the entry lasts F; an orphan that
 * waited F on its keepalive timer instead ends there (reset, no entry).
 * A larger F is spent F - 60 on the keepalive timer, then as an entry.
 */
static uint64_t timewait_s(const struct watch *w, const struct tl_event *ev)
{
	uint64_t f = w->fin_timeout_s;

	if (!(ev->flags & TL_EVENT_TIMEWAIT) || f == 0)
		return 0;
	if (f > 60)
		return f - 60;
	if ((ev->flags & TL_EVENT_HAS_MS) && ev->ms_in_old + 1000 >= f * 1000)
		return 0;
	return f;
}

/*
 * One JSON line an event. Under churn watch prints hundreds of thousands a
 * second, most of each line its own keys and numbers: those are written
 * straight into the writer's buffer, a stretch at a time (json_room), and
 * only what comes from outside (comms, the cgroup path, the context) goes
 * through the escaping writer. The line is a top-level value, so neither
 * adds commas of its own; the loop in watch_run flushes once a batch.
 */
static void print_json(struct watch *w, const struct tl_event *ev,
		       const struct tl_resolved *r)
{
	struct json *j = &w->json;
	uint64_t tw = timewait_s(w, ev);
	char *p = json_room(j, W_JSON_ROOM);

	p = json_put_lit(p, "{\"ts\":");
	p = put_ts(w, p, ev->ts_ms);
	p = ev->family == AF_INET ? json_put_lit(p, ",\"family\":\"inet\"") :
				    json_put_lit(p, ",\"family\":\"inet6\"");
	p = json_put_lit(p, ",\"local_addr\":\"");
	p = put_addr(p, ev->family, ev->src);
	p = json_put_lit(p, "\",\"local_port\":");
	p = json_put_uint(p, ev->sport);
	p = json_put_lit(p, ",\"remote_addr\":\"");
	p = put_addr(p, ev->family, ev->dst);
	p = json_put_lit(p, "\",\"remote_port\":");
	p = json_put_uint(p, ev->dport);
	p = json_put_lit(p, ",\"old_state\":");
	p = put_name(p, name_or(tl_state_name(ev->old_state)));
	p = json_put_lit(p, ",\"new_state\":");
	p = put_name(p, name_or(tl_state_name(ev->new_state)));
	p = json_put_lit(p, ",\"ms_in_old_state\":");
	p = ev->flags & TL_EVENT_HAS_MS ? json_put_uint(p, ev->ms_in_old) :
					  json_put_lit(p, "null");
	p = json_put_lit(p, ",\"owners\":");
	json_wrote(j, p);
	owners_json(j, &r->owners);

	p = json_room(j, W_JSON_ROOM);
	/* watch keeps a few owners a socket; say how many it left out. */
	p = json_put_lit(p, ",\"owners_more\":");
	p = json_put_uint(p, r->owners.more);
	p = json_put_lit(p, ",\"former_owners\":");
	if (r->former.n) {
		json_wrote(j, p);
		owners_json(j, &r->former);
		p = json_room(j, W_JSON_ROOM);
	} else {
		p = json_put_lit(p, "null");
	}
	if (r->has_listener) {
		p = json_put_lit(p, ",\"listener\":{\"local_addr\":\"");
		p = put_addr(p, r->lfamily, r->laddr);
		p = json_put_lit(p, "\",\"local_port\":");
		p = json_put_uint(p, r->lport);
		p = json_put_lit(p, "},\"listener_owners\":");
		json_wrote(j, p);
		owners_json(j, &r->lowners);
		p = json_room(j, W_JSON_ROOM);
		p = json_put_lit(p, ",\"listener_owners_more\":");
		p = json_put_uint(p, r->lowners.more);
	} else {
		p = json_put_lit(p, ",\"listener\":null,\"listener_owners\":"
				    "null,\"listener_owners_more\":0");
	}
	p = json_put_lit(p, ",\"cause\":");
	p = put_name(p, ev->cause);
	p = json_put_lit(p, ",\"limbo\":");
	p = put_name(p, tl_limbo_name(r->limbo));
	/* FIN_WAIT2 -> CLOSE that hands over to a timewait entry. */
	p = json_put_lit(p, ",\"continues_as_timewait_s\":");
	p = tw ? json_put_uint(p, tw) : json_put_lit(p, "null");
	p = json_put_lit(p, ",\"netns\":");
	p = json_put_uint(p, ev->netns);
	p = ev->flags & TL_EVENT_JUMP ? json_put_lit(p, ",\"jump\":true") :
					json_put_lit(p, ",\"jump\":false");
	p = ev->flags & TL_EVENT_UNKNOWN ?
		    json_put_lit(p, ",\"known_transition\":false") :
		    json_put_lit(p, ",\"known_transition\":true");
	p = json_put_lit(p, ",\"inode\":");
	p = json_put_uint(p, ev->inode);
	p = json_put_lit(p, ",\"cgroup\":");
	json_wrote(j, p);
	json_str(j, tl_cgroups_path(w->cg, r->cgroup));
	p = json_room(j, W_JSON_ROOM);
	p = json_put_lit(p, ",\"context\":");
	json_wrote(j, p);
	ctx_json_value(j, tl_cgroups_context(w->cg, r->cgroup));
	p = json_room(j, W_JSON_ROOM);
	p = json_put_lit(p, ",\"backend\":");
	p = put_name(p, w->backend);
	p = json_put_lit(p, "}\n");
	json_wrote(j, p);
}

static void print_text(struct watch *w, const struct tl_event *ev,
		       const struct tl_resolved *r)
{
	char where[2 * TL_CONTEXT_STR_MAX + 64], inwhere[sizeof(where) + 8];
	char ts[32], src[TL_ADDR_STR_MAX + 8], dst[TL_ADDR_STR_MAX + 8];
	char ms[32], who[2 * ESC_SIZE(TL_COMM_MAX) + 160];
	char o[ESC_SIZE(TL_COMM_MAX) + 32];
	char la[TL_ADDR_STR_MAX + 8], tw[128];
	const char *note = "";

	watch_format_ts(ts, sizeof(ts), ev->ts_ms, false);
	tl_addr_format_port(src, sizeof(src), ev->family, ev->src, ev->sport);
	tl_addr_format_port(dst, sizeof(dst), ev->family, ev->dst, ev->dport);
	if (ev->flags & TL_EVENT_HAS_MS)
		snprintf(ms, sizeof(ms), "%llums",
			 (unsigned long long)ev->ms_in_old);
	else
		snprintf(ms, sizeof(ms), "?");
	if (r->owners.n) {
		watch_owner_text(who, sizeof(who), &r->owners);
	} else if (r->has_listener) {
		watch_owner_text(o, sizeof(o), &r->lowners);
		tl_addr_format_port(la, sizeof(la), r->lfamily, r->laddr,
				    r->lport);
		snprintf(who, sizeof(who), "[%s of %s on %s]",
			 r->limbo == TL_LIMBO_ACCEPT_QUEUE ? "accept-queue" :
							     "listener",
			 o, la);
	} else if (tl_limbo_name(r->limbo) && r->former.n) {
		watch_owner_text(o, sizeof(o), &r->former);
		snprintf(who, sizeof(who), "[%s, was %s]",
			 tl_limbo_name(r->limbo), o);
	} else if (tl_limbo_name(r->limbo)) {
		snprintf(who, sizeof(who), "[%s]", tl_limbo_name(r->limbo));
	} else {
		snprintf(who, sizeof(who), "-");
	}
	ctx_text(where, sizeof(where), tl_cgroups_context(w->cg, r->cgroup));
	snprintf(inwhere, sizeof(inwhere), "%s%s", where[0] ? " in " : "",
		 where);
	if (timewait_s(w, ev)) {
		snprintf(tw, sizeof(tw),
			 "  (not the end: a timewait FIN-WAIT-2 entry now, "
			 "for up to %llu s, tcp_fin_timeout)",
			 (unsigned long long)timewait_s(w, ev));
		note = tw;
	} else if (ev->flags & TL_EVENT_JUMP)
		note = "  (sampled: skipped states)";
	else if (ev->flags & TL_EVENT_UNKNOWN)
		note = "  (not in the state machine)";
	printf("%s  %-24s %-24s %11s -> %-11s %9s  %s%s  netns:%llu%s\n", ts,
	       src, dst, name_or(tl_state_name_upper(ev->old_state)),
	       name_or(tl_state_name_upper(ev->new_state)), ms, who, inwhere,
	       (unsigned long long)ev->netns, note);
}

static int on_event(const struct tl_event *ev, void *arg)
{
	struct watch *w = arg;
	struct tl_resolved r;

	tl_resolver_resolve(w->res, ev, &r);
	if (!event_pass(w, ev, &r))
		return 0;
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
		print_json(w, ev, &r);
	else
		print_text(w, ev, &r);
	return 0;
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

enum {
	W_OPT_BACKEND = 0x2000,
	W_OPT_INTERVAL,
	W_OPT_SECONDS,
	W_OPT_TOP,
	W_OPT_ATTACH,
	W_OPT_RING,
};

/* --ring-size bounds, MiB: the kernel wants a power of two. */
#define W_RING_MAX_MIB (TL_EVENTS_RING_MAX >> 20)

/* watch's own options; the filter is big, so main's heap holds it. */
struct watch_opts {
	struct tl_filter f;
	struct tl_events_opts eo;
	uint64_t run_ms; /* --seconds, or 0: until stopped */
	bool top;
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
		r = tl_filter_option(&o->f, c, optarg);
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
	if (tl_filter_check_owners(&o->f, g, "watch") < 0)
		return TL_PARSE_BAD;
	if (g->no_owners && tl_filter_needs_context(&o->f)) {
		tl_err("watch: --unit and --container are matched on the "
		       "owners' cgroups; drop --no-owners");
		return TL_PARSE_BAD;
	}
	return 0;
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
	struct tl_resolver_stats rst;
	size_t pending = 0;
	uint64_t deadline = 0, next_top = 0, lost_told = 0;
	uint64_t missed_told = 0, next_missed_ms = 0;
	bool tty = isatty(STDOUT_FILENO);
	char why[160];
	int r, ret = TL_EXIT_FAILURE;

	json_init_file(&w.json, stdout);
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
	if (tl_filter_check_context(w.f, g) < 0) {
		ret = TL_EXIT_USAGE;
		goto out;
	}
	w.cg = ctx_cgroups(g);
	eo.family = g->family;
	eo.netns_fd = g->netns_fd;
	tl_filter_to_events(w.f, &eo.filter);

	/* Stop cleanly, so programs are detached and the counts printed. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = w_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

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
	r = tl_events_open(&eo, &ev);
	if (r < 0) {
		if (r == -EOPNOTSUPP)
			tl_err("watch: this build has no bpf backend "
			       "(built with -Dbpf=disabled or without "
			       "clang/bpftool/libbpf)");
		else if (r == -EPERM)
			tl_err("watch: cannot load the bpf program: %s (needs "
			       "CAP_BPF and CAP_PERFMON, or root)",
			       strerror(-r));
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
	if (tl_events_bpf_error(ev))
		fprintf(stderr,
			"tcplimbo: watch: bpf unavailable: %s%s; using poll\n",
			tl_strerror_limit(tl_events_bpf_error(ev), why,
					  sizeof(why)),
			tl_events_bpf_error(ev) == -EPERM ?
				" (needs CAP_BPF and CAP_PERFMON, or root)" :
			tl_events_bpf_error(ev) == -EOPNOTSUPP ?
				" (this build has no bpf backend)" :
				"");
	if (tl_events_backend(ev) == TL_EVENTS_POLL)
		fprintf(stderr,
			"tcplimbo: watch: backend poll (%s): it samples, so "
			"states shorter than the interval are missed and "
			"skipped states are marked\n",
			tl_events_detail(ev));
	else
		fprintf(stderr, "tcplimbo: watch: backend bpf (%s)\n",
			tl_events_detail(ev));
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
			tl_err("watch: %llu %s lost so far (ring buffer full)",
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
		r = json_flush(&w.json);
		if (r < 0 || fflush(stdout) != 0) {
			tl_err("cannot write output: %s",
			       strerror(r < 0 ? -r : errno));
			goto out;
		}
	}
	tl_resolver_stats(w.res, &rst);
	fprintf(stderr,
		"tcplimbo: watch: %llu transitions reported (%llu sampled "
		"jumps, %llu not in the state machine), %llu lost, %llu "
		"missed, backend %s; %llu owner rescans took %llu ms; %llu "
		"named (%llu by the kernel)\n",
		(unsigned long long)w.reported, (unsigned long long)w.jumps,
		(unsigned long long)w.unknown,
		(unsigned long long)tl_events_lost(ev),
		(unsigned long long)tl_events_missed(ev), w.backend,
		(unsigned long long)rst.rescans,
		(unsigned long long)rst.rescan_ms, (unsigned long long)w.named,
		(unsigned long long)w.kernel_named);
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
