// SPDX-License-Identifier: MIT
/*
 * evidence: the one line that says what a process's threads are doing
 * ("3 threads in futex, 2 in recvfrom on fds 8, 12, none in accept"),
 * which every conclusion carries as its evidence, and the small facts of
 * threads the conclusions share.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "evidence_int.h"
#include "tcplimbo/evidence.h"
#include "util.h"

/* What a thread does, without its fd, which it returns (or -1). */
static int64_t activity(const struct tl_ev_thread *t, char *buf, size_t size)
{
	switch (t->kind) {
	case TL_SYS_UNKNOWN:
		snprintf(buf, size, "in an unknown place");
		return -1;
	case TL_SYS_RUNNING:
		if (t->has_busy)
			snprintf(buf, size,
				 "running (%u %% of a CPU over %u ms)",
				 t->busy_pct, t->busy_ms);
		else
			snprintf(buf, size, "running");
		return -1;
	case TL_SYS_NONE:
		snprintf(buf, size, "stopped outside a syscall");
		return -1;
	default:
		break;
	}
	if (!t->sys)
		snprintf(buf, size, "in syscall %ld", t->nr);
	else
		snprintf(buf, size, "in %s", t->sys);
	return t->sys ? t->fd : -1;
}

/* The fds one activity is seen on, as far as room goes. */
#define ACT_FDS 6

struct act {
	char what[64];
	bool on_fd;
	size_t count;
	int64_t fds[ACT_FDS];
	size_t n_fds;
	bool more_fds;
};

static void act_fd(struct act *a, int64_t fd)
{
	for (size_t i = 0; i < a->n_fds; i++)
		if (a->fds[i] == fd)
			return;
	if (a->n_fds < ACT_FDS)
		a->fds[a->n_fds++] = fd;
	else
		a->more_fds = true;
}

/* "in read on fd 8", or on several: "in read on fds 8, 11, 12". */
static void act_text(const struct act *a, char *buf, size_t size, size_t *len)
{
	tli_appendf(buf, size, len, "%s", a->what);
	if (!a->on_fd)
		return;
	tli_appendf(buf, size, len, a->n_fds == 1 ? " on fd" : " on fds");
	for (size_t i = 0; i < a->n_fds; i++)
		tli_appendf(buf, size, len, "%s %lld", i ? "," : "",
			    (long long)a->fds[i]);
	if (a->more_fds)
		tli_appendf(buf, size, len, ", ...");
}

const char *tl_evidence_threads_text(const struct tl_evidence *ev, char *buf,
				     size_t size)
{
	struct act seen[8];
	size_t n_seen = 0, len = 0, other = 0;
	bool accept = false, unknown = false;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < ev->n_read; i++) {
		char a[64];
		int64_t fd = activity(&ev->threads[i], a, sizeof(a));
		size_t k;

		accept |= ev->threads[i].kind == TL_SYS_ACCEPT;
		unknown |= ev->threads[i].kind == TL_SYS_UNKNOWN;
		for (k = 0; k < n_seen && (strcmp(seen[k].what, a) != 0 ||
					   seen[k].on_fd != (fd >= 0));
		     k++)
			;
		if (k == n_seen && n_seen == 8) {
			other++;
			continue;
		}
		if (k == n_seen) {
			memset(&seen[k], 0, sizeof(seen[k]));
			snprintf(seen[k].what, sizeof(seen[k].what), "%s", a);
			seen[k].on_fd = fd >= 0;
			n_seen++;
		}
		seen[k].count++;
		if (fd >= 0)
			act_fd(&seen[k], fd);
	}
	/* Most common first, in the order seen among equals. */
	for (size_t k = 1; k < n_seen; k++) {
		for (size_t j = k; j > 0 && seen[j].count > seen[j - 1].count;
		     j--) {
			struct act tmp = seen[j];

			seen[j] = seen[j - 1];
			seen[j - 1] = tmp;
		}
	}
	for (size_t k = 0; k < n_seen; k++) {
		if (k == 0)
			tli_appendf(buf, size, &len, "%zu thread%s ",
				    seen[k].count,
				    seen[k].count == 1 ? "" : "s");
		else
			tli_appendf(buf, size, &len, ", %zu ", seen[k].count);
		act_text(&seen[k], buf, size, &len);
	}
	if (other)
		tli_appendf(buf, size, &len, ", %zu elsewhere", other);
	if (ev->n_threads > ev->n_read)
		tli_appendf(buf, size, &len, "%s%zu more not read",
			    len ? ", " : "",
			    (size_t)(ev->n_threads - ev->n_read));
	/*
	 * Only when every thread's syscall is known, and for a process with
	 * a listener: of one without, accept() tells nothing.
	 */
	if (ev->n_read && !accept && !unknown && ev->has_listener)
		tli_appendf(buf, size, &len,
			    ev->n_threads > ev->n_read ?
				    ", none of those read in accept" :
				    ", none in accept");
	/* The threads above are all there is: it is not a zombie. */
	if (ev->main_exited)
		tli_appendf(buf, size, &len,
			    len ? " (its main thread has exited)" :
				  "its main thread has exited");
	return buf;
}

bool tli_ev_any_thread(const struct tl_evidence *ev, int kind)
{
	for (size_t i = 0; i < ev->n_read; i++)
		if (ev->threads[i].kind == kind)
			return true;
	return false;
}

bool tli_ev_accepts_listener(const struct tl_evidence *ev)
{
	for (size_t i = 0; i < ev->n_read; i++)
		if (ev->threads[i].kind == TL_SYS_ACCEPT &&
		    (i >= 64 || !(ev->accept_other >> i & 1)))
			return true;
	return false;
}

const char *tli_ev_none_ran(const struct tl_evidence *ev)
{
	return ev->n_read == 1 && ev->n_threads <= 1 ? "it has not" :
						       "none of them has";
}

bool tli_ev_computes(const struct tl_ev_thread *t)
{
	uint64_t all = t->utime_ticks + t->stime_ticks;

	return t->has_times && all >= TLI_EV_TIMES_MIN &&
	       t->stime_ticks * 100 < all * TLI_EV_SYS_PCT;
}

const char *tli_ev_runnable_text(const struct tl_ev_thread *t, char *buf,
				 size_t size)
{
	buf[0] = '\0';
	if (t->runnable_pct >= t->busy_pct + 10u)
		snprintf(buf, size,
			 " and waited for a CPU another %u %% (runnable %u %%)",
			 (unsigned)(t->runnable_pct - t->busy_pct),
			 t->runnable_pct);
	return buf;
}

bool tli_ev_any_runs(const struct tl_evidence *ev)
{
	for (size_t i = 0; i < ev->n_read; i++)
		if (ev->threads[i].kind == TL_SYS_RUNNING ||
		    tli_ev_spins(&ev->threads[i]))
			return true;
	return false;
}
