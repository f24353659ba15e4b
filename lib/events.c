// SPDX-License-Identifier: MIT
/*
 * events: picks a backend, hands calls to it, and knows which one-step
 * transitions TCP can make so the backends can mark the rest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "events_backend.h"
#include "tcplimbo/events.h"
#include "tcplimbo/netns.h"
#include "tcplimbo/tcpstate.h"
#include "util.h"

struct tl_events {
	const struct tl_events_ops *ops;
	void *impl;
	enum tl_events_backend backend;
	int bpf_error;
};

void tl_events_opts_init(struct tl_events_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->backend = TL_EVENTS_AUTO;
	opts->attach = TL_ATTACH_AUTO;
	opts->interval_ms = 1000;
	opts->family = AF_UNSPEC;
	opts->netns_fd = -1;
}

static bool family_ok(int family, bool unspec)
{
	return family == AF_INET || family == AF_INET6 ||
	       (unspec && family == AF_UNSPEC);
}

/*
 * Every field in range: a filter count past its array would be read past
 * it, and one below 0 would drop the filter, so that every change came.
 */
static bool opts_ok(const struct tl_events_opts *o)
{
	const struct tl_events_filter *f = &o->filter;

	if (o->backend != TL_EVENTS_AUTO && o->backend != TL_EVENTS_BPF &&
	    o->backend != TL_EVENTS_POLL)
		return false;
	if (o->attach != TL_ATTACH_AUTO && o->attach != TL_ATTACH_BTF &&
	    o->attach != TL_ATTACH_TRACEPOINT)
		return false;
	if (!family_ok(o->family, true) || o->ring_bytes > TL_EVENTS_RING_MAX)
		return false;
	/* The interval is the poll backend's, which auto may fall back to. */
	if (o->backend != TL_EVENTS_BPF &&
	    (o->interval_ms < TL_EVENTS_INTERVAL_MIN ||
	     o->interval_ms > TL_EVENTS_INTERVAL_MAX))
		return false;
	if (f->nsport < 0 || f->nsport > TL_EVENTS_MAX_PORTS || f->ndport < 0 ||
	    f->ndport > TL_EVENTS_MAX_PORTS || f->naddr < 0 ||
	    f->naddr > TL_EVENTS_MAX_ADDRS)
		return false;
	for (int i = 0; i < f->naddr; i++)
		if (!family_ok(f->addr[i].family, false))
			return false;
	return true;
}

int tl_events_open(const struct tl_events_opts *opts, struct tl_events **ret)
{
	struct tl_events *ev;
	uint64_t netns = 0;
	struct stat st;
	int r;

	if (!opts || !ret || !opts_ok(opts))
		return -EINVAL;
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	/* Events name their namespace; both backends need its inode. */
	if (opts->netns_fd >= 0)
		netns = tl_netns_inode(opts->netns_fd);
	else if (stat("/proc/self/ns/net", &st) == 0)
		netns = st.st_ino;

	if (opts->backend == TL_EVENTS_AUTO || opts->backend == TL_EVENTS_BPF) {
		r = tl_events_bpf_open(opts, netns, &ev->ops, &ev->impl);
		if (r == 0) {
			ev->backend = TL_EVENTS_BPF;
			goto done;
		}
		if (opts->backend == TL_EVENTS_BPF)
			goto fail;
		/* Auto: remember why, so the user is told, then sample. */
		ev->bpf_error = r;
	}
	r = tl_events_poll_open(opts, netns, &ev->ops, &ev->impl);
	if (r < 0)
		goto fail;
	ev->backend = TL_EVENTS_POLL;
done:
	*ret = ev;
	return 0;
fail:
	free(ev);
	return r;
}

int tl_events_run(struct tl_events *ev, int timeout_ms, tl_event_cb cb,
		  void *arg)
{
	return ev->ops->run(ev->impl, timeout_ms < 0 ? 0 : timeout_ms, cb, arg);
}

int tl_events_flush(struct tl_events *ev, tl_event_cb cb, void *arg)
{
	return ev->ops->flush ? ev->ops->flush(ev->impl, cb, arg) : 0;
}

enum tl_events_backend tl_events_backend(const struct tl_events *ev)
{
	return ev->backend;
}

const char *tl_events_detail(const struct tl_events *ev)
{
	return ev->ops->detail(ev->impl);
}

int tl_events_bpf_error(const struct tl_events *ev)
{
	return ev->bpf_error;
}

uint64_t tl_events_lost(const struct tl_events *ev)
{
	return ev->ops->lost(ev->impl);
}

uint64_t tl_events_missed(const struct tl_events *ev)
{
	return ev->ops->missed(ev->impl);
}

void tl_events_close(struct tl_events *ev)
{
	if (!ev)
		return;
	ev->ops->close(ev->impl);
	free(ev);
}

static const char *const backend_names[] = {
	[TL_EVENTS_AUTO] = "auto",
	[TL_EVENTS_BPF] = "bpf",
	[TL_EVENTS_POLL] = "poll",
};

const char *tl_events_backend_name(int backend)
{
	if (backend < 0 || (size_t)backend >= ARRAY_SIZE(backend_names))
		return NULL;
	return backend_names[backend];
}

int tl_events_backend_parse(const char *name, enum tl_events_backend *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(backend_names); i++) {
		if (strcmp(name, backend_names[i]) == 0) {
			*ret = (enum tl_events_backend)i;
			return 0;
		}
	}
	return -EINVAL;
}

#define STEP(a, b, why)             \
	{                           \
		TL_##a, TL_##b, why \
	}

/*
 * The one-step transitions Linux makes beyond RFC 9293's diagram (which
 * tcpstate.c holds): the shortcuts to CLOSE (a RST, an abort, close()
 * before the handshake ended, a full socket handing over to a timewait
 * entry) and the request socket (NEW_SYN_RECV) that stands for SYN_RECV
 * until the handshake ends. Looked up first: SYN_SENT to CLOSE is the
 * diagram's CLOSE too, but a refused or timed-out connect() makes it far
 * more often than a close() does.
 */
static const struct {
	uint8_t from, to;
	const char *why;
} linux_steps[] = {
	STEP(CLOSE, NEW_SYN_RECV, "rcv SYN (request socket)"),
	STEP(NEW_SYN_RECV, CLOSE, "request dropped or timed out"),
	STEP(NEW_SYN_RECV, SYN_RECV, "rcv ACK of SYN (child created)"),
	STEP(NEW_SYN_RECV, ESTABLISHED, "rcv ACK of SYN (child created)"),
	STEP(SYN_SENT, CLOSE, "RST (refused), timeout or close"),
	STEP(SYN_RECV, CLOSE, "RST or abort"),
	STEP(ESTABLISHED, CLOSE, "RST or abort"),
	STEP(FIN_WAIT1, CLOSE, "now a timewait entry, or RST or abort"),
	STEP(FIN_WAIT2, CLOSE, "now a timewait entry, or FIN timeout"),
	STEP(CLOSING, CLOSE, "now a timewait entry, or RST or abort"),
	STEP(CLOSE_WAIT, CLOSE, "RST or abort"),
	/*
	 * close() of a socket already shut down for writing: tcp_close()
	 * sets the state it has again (its FIN went out already), and the
	 * tracepoint reports the step; the program has let go of it.
	 */
	STEP(FIN_WAIT1, FIN_WAIT1, "close() after shutdown(): now an orphan"),
	STEP(FIN_WAIT2, FIN_WAIT2, "close() after shutdown(): now an orphan"),
	STEP(CLOSING, CLOSING, "close() after shutdown(): now an orphan"),
	STEP(LAST_ACK, LAST_ACK, "close() after shutdown(): now an orphan"),
};

const char *tl_events_step_cause(int old_state, int new_state)
{
	const struct tl_tcp_transition *t;
	size_t n = tl_tcpstate_transitions(&t);

	for (size_t i = 0; i < ARRAY_SIZE(linux_steps); i++)
		if (linux_steps[i].from == old_state &&
		    linux_steps[i].to == new_state)
			return linux_steps[i].why;
	for (size_t i = 0; i < n; i++)
		if (t[i].from == old_state && t[i].to == new_state)
			return tl_tcpstate_event_name(t[i].event);
	return NULL;
}

void tli_steps_init(struct tli_steps *s)
{
	for (int o = 0; o < TL_STATE_MAX; o++)
		for (int n = 0; n < TL_STATE_MAX; n++)
			s->cause[o][n] = tl_events_step_cause(o, n);
}

bool tl_events_step_known(int old_state, int new_state)
{
	return tl_events_step_cause(old_state, new_state) != NULL;
}
