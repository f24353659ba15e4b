// SPDX-License-Identifier: MIT
/*
 * The poll backend: a sock_diag dump every interval, diffed against the
 * previous one by socket cookie. It samples, so a state that lasts less
 * than the interval is never seen; a change the state machine cannot make
 * in one step is marked as a jump rather than shown as if it happened.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events_backend.h"
#include "tcplimbo/snapshot.h"
#include "internal.h"
#include "util.h"

/* A bound on one dump, so a runaway table cannot eat all memory. */
#define POLL_MAX_SOCKS (1u << 22)

/* One socket as the differ remembers it. */
struct diff_rec {
	struct tl_sock sk;
	uint64_t since_ms; /* when it was first seen in sk.state */
	bool has_since;	   /* false for sockets present in the baseline */
};

struct tl_diff {
	struct diff_rec *recs; /* sorted by cookie, no duplicates */
	size_t n;
	bool primed; /* the baseline has been fed */
};

int tl_diff_new(struct tl_diff **ret)
{
	struct tl_diff *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	*ret = d;
	return 0;
}

void tl_diff_free(struct tl_diff *d)
{
	if (!d)
		return;
	free(d->recs);
	free(d);
}

size_t tl_diff_count(const struct tl_diff *d)
{
	return d->n;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct diff_rec *x = a, *y = b;

	if (x->sk.cookie != y->sk.cookie)
		return x->sk.cookie < y->sk.cookie ? -1 : 1;
	return 0;
}

static void event_fill(struct tl_event *ev, const struct tl_sock *sk,
		       uint64_t now_ms, uint64_t netns)
{
	memset(ev, 0, sizeof(*ev));
	ev->ts_ms = now_ms;
	ev->key = sk->cookie;
	ev->netns = netns;
	memcpy(ev->src, sk->src, sizeof(ev->src));
	memcpy(ev->dst, sk->dst, sizeof(ev->dst));
	ev->inode = sk->inode;
	ev->sport = sk->sport;
	ev->dport = sk->dport;
	ev->family = sk->family;
	ev->limbo = sk->limbo;
}

/*
 * Sets the duration and the flags of a sampled transition. A step the
 * state machine does not make directly is a jump: the states between were
 * passed while we were not looking.
 */
static void event_finish(struct tl_event *ev, const struct diff_rec *old,
			 uint64_t now_ms)
{
	if (old && old->has_since) {
		ev->ms_in_old =
			now_ms >= old->since_ms ? now_ms - old->since_ms : 0;
		ev->flags |= TL_EVENT_HAS_MS;
	}
	/* Samples come a few a second: no table of steps is worth keeping. */
	ev->cause = tl_events_step_cause(ev->old_state, ev->new_state);
	if (!ev->cause)
		ev->flags |= TL_EVENT_JUMP;
}

/* Calls cb unless an earlier call failed; keeps the first failure. */
static void deliver(const struct tl_event *ev, tl_event_cb cb, void *arg,
		    int *count, int *err)
{
	int r;

	if (*err < 0)
		return;
	r = cb(ev, arg);
	if (r < 0)
		*err = r;
	else
		(*count)++;
}

int tl_diff_feed(struct tl_diff *d, const struct tl_sock *socks, size_t n,
		 uint64_t now_ms, uint64_t netns, tl_event_cb cb, void *arg)
{
	struct diff_rec *recs = NULL;
	struct tl_event ev;
	size_t i, j, m = 0;
	int count = 0, err = 0;

	if (n) {
		recs = calloc(n, sizeof(*recs));
		if (!recs)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		recs[i].sk = socks[i];
	if (n)
		qsort(recs, n, sizeof(*recs), rec_cmp);
	/* A restarted dump can repeat a socket: keep its first copy. */
	for (i = 0; i < n; i++)
		if (m == 0 || recs[m - 1].sk.cookie != recs[i].sk.cookie)
			recs[m++] = recs[i];

	if (!d->primed) {
		d->primed = true;
		goto replace;
	}

	for (i = 0, j = 0; i < d->n || j < m;) {
		struct diff_rec *o = i < d->n ? &d->recs[i] : NULL;
		struct diff_rec *c = j < m ? &recs[j] : NULL;

		if (o && c && o->sk.cookie == c->sk.cookie) {
			if (o->sk.state == c->sk.state) {
				c->since_ms = o->since_ms;
				c->has_since = o->has_since;
			} else {
				event_fill(&ev, &c->sk, now_ms, netns);
				ev.old_state = o->sk.state;
				ev.new_state = c->sk.state;
				event_finish(&ev, o, now_ms);
				deliver(&ev, cb, arg, &count, &err);
				c->since_ms = now_ms;
				c->has_since = true;
			}
			i++;
			j++;
		} else if (c && (!o || c->sk.cookie < o->sk.cookie)) {
			/* New: every socket starts in CLOSE. */
			event_fill(&ev, &c->sk, now_ms, netns);
			ev.old_state = TL_CLOSE;
			ev.new_state = c->sk.state;
			ev.flags |= TL_EVENT_APPEARED;
			event_finish(&ev, NULL, now_ms);
			deliver(&ev, cb, arg, &count, &err);
			c->since_ms = now_ms;
			c->has_since = true;
			j++;
		} else {
			/* Gone from the table: it reached CLOSE. */
			event_fill(&ev, &o->sk, now_ms, netns);
			ev.old_state = o->sk.state;
			ev.new_state = TL_CLOSE;
			ev.flags |= TL_EVENT_VANISHED;
			event_finish(&ev, o, now_ms);
			/*
			 * From these states CLOSE is one step only for a
			 * reset or an abort; an orderly close passes states a
			 * sample may miss (CLOSE_WAIT, LAST_ACK). Gone from
			 * one dump to the next says which it was no more than
			 * it says when.
			 */
			if (o->sk.state == TL_ESTABLISHED ||
			    o->sk.state == TL_SYN_RECV ||
			    o->sk.state == TL_CLOSE_WAIT ||
			    o->sk.state == TL_FIN_WAIT1) {
				ev.cause = NULL;
				ev.flags |= TL_EVENT_JUMP;
			}
			deliver(&ev, cb, arg, &count, &err);
			i++;
		}
	}
replace:
	free(d->recs);
	d->recs = recs;
	d->n = m;
	return err < 0 ? err : count;
}

/* The sampling source around the differ. */
struct poll_impl {
	struct tl_diff *diff;
	struct tl_sock *buf;
	size_t n, cap;
	struct tl_dump_opts dump;
	uint32_t interval_ms;
	uint64_t next_ms; /* CLOCK_MONOTONIC time of the next dump */
	uint64_t netns;
	char detail[64];
};

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int collect(const struct tl_sock *sk, void *arg)
{
	struct poll_impl *p = arg;

	if (p->n == p->cap) {
		if (p->cap >= POLL_MAX_SOCKS)
			return -E2BIG;
		if (tli_grow((void **)&p->buf, &p->cap, sizeof(*p->buf), 256) <
		    0)
			return -ENOMEM;
	}
	p->buf[p->n++] = *sk;
	return 0;
}

static void collect_reset(void *arg)
{
	struct poll_impl *p = arg;

	p->n = 0;
}

/* One dump, classified so fd-less sockets carry their limbo class. */
static int poll_sample(struct poll_impl *p, tl_event_cb cb, void *arg)
{
	int r;

	p->n = 0;
	r = tl_sockdiag_dump(&p->dump, collect, collect_reset, p);
	if (r < 0)
		return r;
	tl_snapshot_classify(p->buf, p->n);
	return tl_diff_feed(p->diff, p->buf, p->n, clock_ms(CLOCK_REALTIME),
			    p->netns, cb, arg);
}

static int poll_run(void *impl, int timeout_ms, tl_event_cb cb, void *arg)
{
	struct poll_impl *p = impl;
	uint64_t now = clock_ms(CLOCK_MONOTONIC);

	if (now < p->next_ms) {
		uint64_t wait = p->next_ms - now;

		if (wait > (uint64_t)timeout_ms)
			wait = (uint64_t)timeout_ms;
		if (wait > 0 && poll(NULL, 0, (int)wait) < 0 && errno == EINTR)
			return -EINTR;
		now = clock_ms(CLOCK_MONOTONIC);
		if (now < p->next_ms)
			return 0;
	}
	/* Keep the rhythm, but never try to catch up on missed samples. */
	p->next_ms += p->interval_ms;
	if (p->next_ms <= now)
		p->next_ms = now + p->interval_ms;
	return poll_sample(p, cb, arg);
}

static uint64_t poll_lost(const void *impl)
{
	/* Sampling loses states, not records: the jumps say which. */
	return 0;
}

static uint64_t poll_missed(const void *impl)
{
	return 0;
}

static const char *poll_detail(const void *impl)
{
	const struct poll_impl *p = impl;

	return p->detail;
}

static void poll_close(void *impl)
{
	struct poll_impl *p = impl;

	if (!p)
		return;
	tl_diff_free(p->diff);
	free(p->buf);
	free(p);
}

static const struct tl_events_ops poll_ops = {
	.run = poll_run,
	.lost = poll_lost,
	.missed = poll_missed,
	.detail = poll_detail,
	.close = poll_close,
};

static int baseline_cb(const struct tl_event *ev, void *arg)
{
	return 0;
}

int tl_events_poll_open(const struct tl_events_opts *opts, uint64_t netns,
			const struct tl_events_ops **ret_ops, void **ret_impl)
{
	struct poll_impl *p;
	int r;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	r = tl_diff_new(&p->diff);
	if (r < 0)
		goto fail;
	tl_dump_opts_init(&p->dump);
	p->dump.family = opts->family;
	p->dump.netns_fd = opts->netns_fd;
	p->interval_ms = opts->interval_ms;
	p->netns = netns;
	snprintf(p->detail, sizeof(p->detail), "sock_diag every %u ms",
		 (unsigned)p->interval_ms);

	/* The baseline: what is open now is not a transition. */
	r = poll_sample(p, baseline_cb, NULL);
	if (r < 0)
		goto fail;
	p->next_ms = clock_ms(CLOCK_MONOTONIC) + p->interval_ms;
	*ret_ops = &poll_ops;
	*ret_impl = p;
	return 0;
fail:
	poll_close(p);
	return r;
}
