// SPDX-License-Identifier: MIT
/*
 * watch's lines: one a transition, as JSON or as text, with the process
 * that holds the socket (or held it, or holds its listener) and where it
 * runs; and the owner and time formats --top shares.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "context.h"
#include "escape.h"
#include "output.h"
#include "watch.h"

/* The most bytes put_owner writes: pid, '/', escaped comm, " +N". */
#define W_OWNER_MAX (ESC_SIZE(TL_COMM_MAX) + 32)

/* "pid/comm" and " +N" for more, or "-"; returns the byte after it. */
static char *put_owner(char *p, const struct tl_resolver_owners *ow)
{
	char comm[ESC_SIZE(TL_COMM_MAX)];

	if (ow->n == 0) {
		*p++ = '-';
		return p;
	}
	p = json_put_int(p, ow->o[0].pid);
	*p++ = '/';
	/* Anyone can name a process: its comm is escaped. */
	p = json_put_plain(p, esc_text(comm, sizeof(comm), ow->o[0].comm),
			   sizeof(comm));
	if (ow->n + ow->more > 1) {
		p = json_put_lit(p, " +");
		p = json_put_uint(p, ow->n + ow->more - 1);
	}
	return p;
}

void watch_owner_text(char *buf, size_t size,
		      const struct tl_resolver_owners *ow)
{
	char t[W_OWNER_MAX];

	*put_owner(t, ow) = '\0';
	snprintf(buf, size, "%s", t);
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

/*
 * "YYYY-MM-DDTHH:MM:SS." of the second ms falls in: made once a second,
 * the lines of that second add their milliseconds to it.
 */
static const char *ts_prefix(struct watch *w, uint64_t ms)
{
	char *dot;

	if (ms / 1000 != w->ts_sec || !w->ts_text[0]) {
		w->ts_sec = ms / 1000;
		watch_format_ts(w->ts_text, sizeof(w->ts_text),
				w->ts_sec * 1000, true);
		dot = strrchr(w->ts_text, '.');
		if (dot)
			dot[1] = '\0';
	}
	return w->ts_text;
}

/* The milliseconds of ms, three digits; returns the byte after them. */
static char *put_frac(char *p, uint64_t ms)
{
	unsigned frac = (unsigned)(ms % 1000);

	*p++ = (char)('0' + frac / 100);
	*p++ = (char)('0' + frac / 10 % 10);
	*p++ = (char)('0' + frac % 10);
	return p;
}

/* "2026-11-24T12:34:56.789Z", quoted. */
static char *put_ts(struct watch *w, char *p, uint64_t ms)
{
	*p++ = '"';
	p = json_put_plain(p, ts_prefix(w, ms), sizeof(w->ts_text));
	p = put_frac(p, ms);
	*p++ = 'Z';
	*p++ = '"';
	return p;
}

/*
 * How long the connection goes on as a TIME-WAIT entry (60 s) or a
 * timewait FIN-WAIT-2 entry after this event, or 0 when it is not such a
 * hand-off (or tcp_fin_timeout is unknown). With tcp_fin_timeout F of at
 * most 60 s the kernel hands a closed FIN_WAIT2 over at once and the
 * entry lasts F; an orphan that
 * waited F on its keepalive timer instead ends there (reset, no entry).
 * A larger F is spent F - 60 on the keepalive timer, then as an entry.
 */
static uint64_t timewait_s(const struct watch *w, const struct tl_event *ev)
{
	uint64_t f = w->fin_timeout_s;

	/* A TIME-WAIT entry: TCP_TIMEWAIT_LEN, 60 s, not a sysctl. */
	if (ev->flags & TL_EVENT_TIME_WAIT)
		return 60;
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
void watch_print_json(struct watch *w, const struct tl_event *ev,
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
	if (ev->netns == w->netns_ino && w->netns_json[0]) {
		/* A name from outside, longer than the room: on its own. */
		json_wrote(j, p);
		json_raw(j, w->netns_json, strlen(w->netns_json));
		p = json_room(j, W_JSON_ROOM);
	} else {
		p = json_put_lit(p, "\"net:[");
		p = json_put_uint(p, ev->netns);
		p = json_put_lit(p, "]\"");
	}
	p = json_put_lit(p, ",\"netns_inode\":");
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

/* Spaces after a column that began at start, up to width bytes. */
static char *pad_to(char *p, const char *start, size_t width)
{
	while ((size_t)(p - start) < width)
		*p++ = ' ';
	return p;
}

/* s right-aligned in width bytes (as printf's %*s). */
static char *put_right(char *p, const char *s, size_t len, size_t width)
{
	for (size_t i = len; i < width; i++)
		*p++ = ' ';
	memcpy(p, s, len);
	return p + len;
}

/* "addr:port", "[addr6]:port"; returns the byte after it. */
static char *put_addr_port(char *p, int family, const uint8_t *addr,
			   uint16_t port)
{
	tl_addr_format_port(p, TL_ADDR_STR_MAX + 8, family, addr, port);
	return p + strlen(p);
}

/*
 * Room for one text line (about 1,400 bytes at most): its columns, one
 * owner with its escaped comm, a listener's address, the context's words
 * and a note, each bounded where it is written.
 */
#define W_TEXT_ROOM 2048

/*
 * One text line an event, written into the same buffer as the JSON lines
 * (the caller flushes it once a batch): under churn a line each
 * transition through printf cost three times its JSON line. The columns
 * are those of the header watch_run prints.
 */
void watch_print_text(struct watch *w, const struct tl_event *ev,
		      const struct tl_resolved *r)
{
	char where[2 * TL_CONTEXT_STR_MAX + 64], num[JSON_UINT_MAX + 4];
	const char *prefix, *tod, *name, *limbo = tl_limbo_name(r->limbo);
	char *p = json_room(&w->json, W_TEXT_ROOM), *col;
	uint64_t tw = timewait_s(w, ev);

	/* "HH:MM:SS.mmm": the time of day of the JSON line's ts. */
	prefix = ts_prefix(w, ev->ts_ms);
	tod = strchr(prefix, 'T');
	p = json_put_plain(p, tod ? tod + 1 : prefix, sizeof(w->ts_text));
	p = put_frac(p, ev->ts_ms);
	p = json_put_lit(p, "  ");
	col = p;
	p = pad_to(put_addr_port(p, ev->family, ev->src, ev->sport), col, 24);
	*p++ = ' ';
	col = p;
	p = pad_to(put_addr_port(p, ev->family, ev->dst, ev->dport), col, 24);
	*p++ = ' ';
	name = name_or(tl_state_name_upper(ev->old_state));
	p = put_right(p, name, strnlen(name, W_NAME_MAX), 11);
	p = json_put_lit(p, " -> ");
	col = p;
	p = json_put_plain(p, name_or(tl_state_name_upper(ev->new_state)),
			   W_NAME_MAX);
	p = pad_to(p, col, 11);
	*p++ = ' ';
	if (ev->flags & TL_EVENT_HAS_MS) {
		char *e = json_put_lit(json_put_uint(num, ev->ms_in_old), "ms");

		p = put_right(p, num, (size_t)(e - num), 9);
	} else {
		p = put_right(p, "?", 1, 9);
	}
	p = json_put_lit(p, "  ");
	if (r->owners.n) {
		p = put_owner(p, &r->owners);
	} else if (r->has_listener) {
		p = r->limbo == TL_LIMBO_ACCEPT_QUEUE ?
			    json_put_lit(p, "[accept-queue of ") :
			    json_put_lit(p, "[via listener of ");
		p = put_owner(p, &r->lowners);
		p = json_put_lit(p, " on ");
		p = put_addr_port(p, r->lfamily, r->laddr, r->lport);
		*p++ = ']';
	} else if (limbo) {
		*p++ = '[';
		p = json_put_plain(p, limbo, W_NAME_MAX);
		if (r->former.n) {
			p = json_put_lit(p, ", was ");
			p = put_owner(p, &r->former);
		}
		*p++ = ']';
	} else {
		*p++ = '-';
	}
	ctx_text(where, sizeof(where), tl_cgroups_context(w->cg, r->cgroup));
	if (where[0]) {
		p = json_put_lit(p, " in ");
		p = json_put_plain(p, where, sizeof(where));
	}
	p = json_put_lit(p, "  netns ");
	if (ev->netns == w->netns_ino && w->netns_text[0]) {
		json_wrote(&w->json, p);
		json_raw(&w->json, w->netns_text, strlen(w->netns_text));
		p = json_room(&w->json, W_TEXT_ROOM);
	} else {
		p = json_put_lit(p, "net:[");
		p = json_put_uint(p, ev->netns);
		*p++ = ']';
	}
	if (tw && (ev->flags & TL_EVENT_TIME_WAIT)) {
		p = json_put_lit(p, "  (not the end: a TIME-WAIT entry now, "
				    "for 60 s)");
	} else if (tw) {
		p = json_put_lit(p, "  (not the end: a timewait FIN-WAIT-2 "
				    "entry now, for up to ");
		p = json_put_uint(p, tw);
		p = json_put_lit(p, " s, tcp_fin_timeout)");
	} else if (ev->flags & TL_EVENT_JUMP) {
		p = json_put_lit(p, "  (sampled: skipped states)");
	} else if (ev->flags & TL_EVENT_UNKNOWN) {
		p = json_put_lit(p, "  (not in the state machine)");
	}
	*p++ = '\n';
	json_wrote(&w->json, p);
}

void watch_print_summary(const struct watch *w, struct tl_events *ev)
{
	struct tl_resolver_stats rst;

	tl_resolver_stats(w->res, &rst);
	/*
	 * Each backend's own counts: poll samples, and its jumps say what
	 * it skipped; bpf sees each transition, and says what it lost.
	 */
	fprintf(stderr, "tcplimbo: watch: %llu transition%s reported (",
		(unsigned long long)w->reported, w->reported == 1 ? "" : "s");
	if (tl_events_backend(ev) == TL_EVENTS_POLL)
		fprintf(stderr, "%llu sampled jump%s, ",
			(unsigned long long)w->jumps, w->jumps == 1 ? "" : "s");
	fprintf(stderr, "%llu not in the state machine), ",
		(unsigned long long)w->unknown);
	if (tl_events_backend(ev) != TL_EVENTS_POLL)
		fprintf(stderr, "%llu lost, %llu missed, ",
			(unsigned long long)tl_events_lost(ev),
			(unsigned long long)tl_events_missed(ev));
	if (w->g->no_owners)
		fprintf(stderr, "backend %s; owners not looked up\n",
			w->backend);
	else
		fprintf(stderr,
			"backend %s; %llu owner rescan%s took %llu ms; %llu "
			"named (%llu by the kernel)\n",
			w->backend, (unsigned long long)rst.rescans,
			rst.rescans == 1 ? "" : "s",
			(unsigned long long)rst.rescan_ms,
			(unsigned long long)w->named,
			(unsigned long long)w->kernel_named);
}

void watch_set_netns(struct watch *w, const char *label, uint64_t ino)
{
	struct json j;
	size_t len;
	char *s;

	w->netns_ino = ino;
	esc_text(w->netns_text, sizeof(w->netns_text), label);
	/* Escaped once, here, as every line puts it as it is. */
	w->netns_json[0] = '\0';
	json_init_mem(&j);
	json_str(&j, label);
	s = json_mem_take(&j, &len);
	if (s && len < sizeof(w->netns_json))
		memcpy(w->netns_json, s, len + 1);
	free(s);
}
