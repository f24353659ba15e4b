// SPDX-License-Identifier: MIT
/*
 * lab run's steps: the expectations a step waits for (bounded), the
 * snapshots it takes, and the transcript it prints (text or JSON) with the
 * step's numbers and explanation.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "output.h"
#include "tl.h"

static bool lab_match(const struct lab_run *r, const struct tl_snapshot *snap,
		      size_t i, const struct lab_expect *e)
{
	const struct tl_sock *sk = &snap->socks[i];

	if (!snap->in_filter[i])
		return false;
	switch (e->side) {
	case LAB_LISTENER:
		if (sk->state != TL_LISTEN || sk->sport != r->port)
			return false;
		break;
	case LAB_SERVER:
		if (sk->state == TL_LISTEN || sk->sport != r->port)
			return false;
		break;
	case LAB_CLIENT:
		if (sk->state == TL_LISTEN || sk->dport != r->port)
			return false;
		break;
	default:
		return false;
	}
	if (e->state && sk->state != e->state)
		return false;
	if (e->limbo >= 0 && sk->limbo != e->limbo)
		return false;
	if (e->rqueue >= 0 && sk->rqueue != (uint32_t)e->rqueue)
		return false;
	return true;
}

unsigned lab_count(const struct lab_run *r, const struct tl_snapshot *snap,
		   const struct lab_expect *e)
{
	unsigned n = 0;

	for (size_t i = 0; i < snap->n_socks; i++)
		n += lab_match(r, snap, i, e);
	return n;
}

const char *lab_closed_kind(const struct lab_run *r,
			    const struct tl_snapshot *snap,
			    const struct lab_expect *e, bool many)
{
	struct lab_expect o = *e;
	unsigned n_orphans;

	o.limbo = TL_LIMBO_ORPHAN;
	n_orphans = snap ? lab_count(r, snap, &o) : 0;
	if (n_orphans && n_orphans < (snap ? lab_count(r, snap, e) : 0))
		return "timewait entries and orphans";
	if (n_orphans)
		return many ? "orphans" : "an orphan";
	return many ? "timewait entries" : "a timewait entry";
}

const struct tl_sock *lab_find(const struct lab_run *r,
			       const struct tl_snapshot *snap,
			       const struct lab_expect *e)
{
	for (size_t i = 0; i < snap->n_socks; i++)
		if (lab_match(r, snap, i, e))
			return &snap->socks[i];
	return NULL;
}

static int lab_snap(struct lab_run *r, struct tl_snapshot **ret)
{
	struct tl_snapshot_opts o;
	int err;

	tl_snapshot_opts_init(&o);
	o.owners = true;
	/* We live in the lab's namespace: our own is the one to dump. */
	o.netns_fd = -1;
	err = tl_snapshot_take(&o, ret);
	if (err < 0)
		tl_err("lab: snapshot: %s", strerror(-err));
	return err;
}

int lab_await(struct lab_run *r, const struct lab_expect *e, size_t n,
	      unsigned timeout_ms, struct tl_snapshot **ret)
{
	uint64_t end = lab_now_ms() + timeout_ms;
	unsigned tries = 0;

	*ret = NULL;
	for (;;) {
		struct tl_snapshot *snap;
		bool ok = true;
		int err = lab_snap(r, &snap);

		if (err < 0)
			return err;
		for (size_t i = 0; i < n && ok; i++) {
			unsigned c = lab_count(r, snap, &e[i]);

			ok = c >= e[i].min && c <= e[i].max;
		}
		/*
		 * At least three looks however slow a snapshot is (a /proc
		 * scan on a busy machine can take seconds), so a state that
		 * settles a moment after the first look still counts.
		 */
		if (ok || (lab_now_ms() >= end && ++tries >= 3)) {
			*ret = snap;
			return ok ? 0 : -ETIMEDOUT;
		}
		tl_snapshot_free(snap);
		err = lab_poll(r, -1, 50);
		if (err < 0)
			return err;
	}
}

/* The transcript. */

static void lab_text_append(struct lab_run *r, const char *s)
{
	size_t len = strlen(s), room = sizeof(r->text) - 1 - r->text_len;

	if (r->text_len && room) {
		r->text[r->text_len++] = ' ';
		room--;
	}
	if (len > room)
		len = room;
	memcpy(r->text + r->text_len, s, len);
	r->text_len += len;
	r->text[r->text_len] = '\0';
}

/* Writes text wrapped at 78 columns, indented by two spaces. */
static void lab_wrap(FILE *f, const char *s)
{
	if (*s)
		out_wrap(f, fprintf(f, "  "), 2, s);
}

void lab_step_begin(struct lab_run *r, const char *name)
{
	snprintf(r->last_step, sizeof(r->last_step), "%s", name);
	r->step_open = true;
	r->step_ok = true;
	r->text_len = 0;
	r->text[0] = '\0';
	r->missing_len = 0;
	r->missing[0] = '\0';
	if (r->opts->json) {
		json_next_line(&r->json);
		json_raw(&r->json, "  ", 2);
		json_obj_begin(&r->json);
		json_kv_str(&r->json, "name", name);
	} else {
		fprintf(r->out, "\n== step %u: %s ==\n", r->n_steps + 1, name);
	}
	r->n_steps++;
}

/* Listener first, then the server's side, then the client's. */
static bool lab_relevant(const struct lab_run *r, const struct tl_sock *sk,
			 int pass)
{
	switch (pass) {
	case 0:
		return sk->state == TL_LISTEN && sk->sport == r->port;
	case 1:
		return sk->state != TL_LISTEN && sk->sport == r->port;
	default:
		return sk->state != TL_LISTEN && sk->dport == r->port &&
		       sk->sport != r->port;
	}
}

void lab_step_sockets(struct lab_run *r, const struct tl_snapshot *snap)
{
	bool first = true;

	if (r->opts->json) {
		json_key(&r->json, "sockets");
		json_arr_begin(&r->json);
	} else {
		out_table_header(r->out);
	}
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < snap->n_socks; i++) {
			const struct tl_sock *sk = &snap->socks[i];

			if (!snap->in_filter[i] || !lab_relevant(r, sk, pass))
				continue;
			if (r->opts->json)
				out_sock_json(&r->json, snap, sk);
			else
				out_sock_row(r->out, snap, sk);
			first = false;
		}
	}
	if (r->opts->json)
		json_arr_end(&r->json);
	else if (first)
		fputs("  (no sockets on this port)\n", r->out);
}

void lab_step_num(struct lab_run *r, const char *key, double v,
		  const char *unit)
{
	bool whole = v == (double)(long long)v && v < 1e15 && v > -1e15;

	if (r->opts->json) {
		json_key(&r->json, key);
		if (whole)
			json_int(&r->json, (long long)v);
		else
			json_double(&r->json, v, 3);
	} else if (whole) {
		fprintf(r->out, "  %s: %lld%s%s\n", key, (long long)v,
			unit ? " " : "", unit ? unit : "");
	} else {
		fprintf(r->out, "  %s: %.3f%s%s\n", key, v, unit ? " " : "",
			unit ? unit : "");
	}
}

void lab_step_text(struct lab_run *r, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	lab_text_append(r, buf);
}

static const char *side_name(int side)
{
	switch (side) {
	case LAB_LISTENER:
		return "listening";
	case LAB_SERVER:
		return "server-side";
	default:
		return "client-side";
	}
}

void lab_step_missing(struct lab_run *r, const struct tl_snapshot *snap,
		      const struct lab_expect *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned c = snap ? lab_count(r, snap, &e[i]) : 0;
		char line[256], rq[48] = "", lim[48] = "";
		size_t room = sizeof(r->missing) - r->missing_len;
		int len;

		if (snap && c >= e[i].min && c <= e[i].max)
			continue;
		if (e[i].rqueue >= 0)
			snprintf(rq, sizeof(rq), " with Recv-Q %ld",
				 e[i].rqueue);
		if (e[i].limbo >= 0)
			snprintf(lim, sizeof(lim), " (%s)",
				 e[i].limbo ? tl_limbo_name(e[i].limbo) :
					      "with an owner");
		len = snprintf(line, sizeof(line),
			       "expected %u..%u %s socket(s) in %s%s%s, saw %u",
			       e[i].min, e[i].max, side_name(e[i].side),
			       e[i].state ? tl_state_name_upper(e[i].state) :
					    "any state",
			       lim, rq, c);
		if (len > 0 && (size_t)len + 1 < room) {
			memcpy(r->missing + r->missing_len, line, (size_t)len);
			r->missing_len += (size_t)len;
			r->missing[r->missing_len++] = '\n';
			r->missing[r->missing_len] = '\0';
		}
		r->step_ok = false;
	}
}

int lab_step_end(struct lab_run *r)
{
	if (!r->step_open)
		return 0;
	r->step_open = false;
	if (!r->step_ok)
		r->failed = true;
	if (r->opts->json) {
		json_kv_str(&r->json, "text", r->text);
		json_key(&r->json, "missing");
		json_arr_begin(&r->json);
		for (char *s = r->missing, *nl; (nl = strchr(s, '\n'));
		     s = nl + 1)
			json_str_len(&r->json, s, (size_t)(nl - s));
		json_arr_end(&r->json);
		json_kv_bool(&r->json, "ok", r->step_ok);
		json_obj_end(&r->json);
		json_flush(&r->json);
	} else {
		if (r->text_len)
			lab_wrap(r->out, r->text);
		for (char *s = r->missing, *nl; (nl = strchr(s, '\n'));
		     s = nl + 1)
			fprintf(r->out, "  !! %.*s\n", (int)(nl - s), s);
		if (!r->step_ok)
			fputs("  !! this step did not go as expected\n",
			      r->out);
	}
	fflush(r->out);
	if (r->signo)
		return -EINTR;
	lab_run_hooks(r, r->opts->hooks, r->opts->n_hooks, true);
	if (r->opts->then_at && !r->thens_done &&
	    strcmp(r->opts->then_at, r->last_step) == 0) {
		r->thens_done = true;
		lab_run_hooks(r, r->opts->thens, r->opts->n_thens, false);
	}
	return r->signo ? -EINTR : 0;
}

int lab_step(struct lab_run *r, const char *name, const struct lab_expect *e,
	     size_t n, unsigned timeout_ms, struct tl_snapshot **ret)
{
	struct tl_snapshot *snap = NULL;
	int err = lab_await(r, e, n, timeout_ms, &snap);

	if (ret)
		*ret = NULL;
	if (err < 0 && err != -ETIMEDOUT)
		return err;
	/* --then-at was checked against the list: keep the list true. */
	if (!lab_scenario_has_step(r->sc, name)) {
		tl_snapshot_free(snap);
		tl_err("lab: step '%s' is missing from %s's list of steps",
		       name, r->sc->name);
		return -EINVAL;
	}
	lab_step_begin(r, name);
	if (r->opts->json)
		lab_step_num(r, "port", r->port, NULL);
	lab_step_sockets(r, snap);
	lab_step_missing(r, snap, e, n);
	if (ret)
		*ret = snap;
	else
		tl_snapshot_free(snap);
	return 0;
}

int lab_open(struct lab_run *r, const struct lab_opening *o,
	     struct lab_proc **srv, struct lab_proc **cli,
	     struct tl_snapshot **snap)
{
	int err = lab_start_server(r, o->mode, o->sargs, srv);

	if (!err)
		err = lab_start_client(r, o->cargs, cli);
	for (size_t i = 0; !err && i < LAB_N(o->phases) && o->phases[i]; i++)
		err = lab_client_next(r, *cli, o->phases[i]);
	if (!err)
		err = lab_step(r, o->step, o->e, o->n, LAB_STEP_MS, snap);
	if (err)
		return err;
	lab_step_pids(r, *srv, *cli);
	return 0;
}

/*
 * Hooks: shell commands run inside the namespace, bounded in time. A --hook
 * is a check (tests use them), so its failure fails the run; a --then is a
 * look (a doctor that finds something exits non-zero on purpose), so its
 * status is only reported.
 */
