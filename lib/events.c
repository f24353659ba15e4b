// SPDX-License-Identifier: MIT
/*
 * events: picks a backend, hands calls to it, and knows which one-step
 * transitions TCP can make so the backends can mark the rest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "events_backend.h"
#include "tcplimbo/events.h"

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

int tl_events_open(const struct tl_events_opts *opts, struct tl_events **ret)
{
	struct tl_events *ev;
	int r;

	if (opts->family != AF_UNSPEC && opts->family != AF_INET &&
	    opts->family != AF_INET6)
		return -EINVAL;
	if (opts->interval_ms < TL_EVENTS_INTERVAL_MIN ||
	    opts->interval_ms > TL_EVENTS_INTERVAL_MAX)
		return -EINVAL;
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;

	if (opts->backend == TL_EVENTS_AUTO || opts->backend == TL_EVENTS_BPF) {
		r = tl_events_bpf_open(opts, &ev->ops, &ev->impl);
		if (r == 0) {
			ev->backend = TL_EVENTS_BPF;
			goto done;
		}
		if (opts->backend == TL_EVENTS_BPF)
			goto fail;
		/* Auto: remember why, so the user is told, then sample. */
		ev->bpf_error = r;
	}
	r = tl_events_poll_open(opts, &ev->ops, &ev->impl);
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
	if (backend < 0 ||
	    (size_t)backend >= sizeof(backend_names) / sizeof(backend_names[0]))
		return NULL;
	return backend_names[backend];
}

int tl_events_backend_parse(const char *name, enum tl_events_backend *ret)
{
	for (size_t i = 0; i < sizeof(backend_names) / sizeof(backend_names[0]);
	     i++) {
		if (strcmp(name, backend_names[i]) == 0) {
			*ret = (enum tl_events_backend)i;
			return 0;
		}
	}
	return -EINVAL;
}

#define STEP(a, b)             \
	{                      \
		TL_##a, TL_##b \
	}

/*
 * The one-step transitions Linux makes: RFC 9293's diagram plus the
 * kernel's shortcuts to CLOSE (a RST, an abort, a socket closed before it
 * finished), the child cloned from a listener in SYN_RECV, and the request
 * socket (NEW_SYN_RECV) that stands for SYN_RECV until the handshake ends.
 */
static const uint8_t known_steps[][2] = {
	STEP(CLOSE, LISTEN),
	STEP(CLOSE, SYN_SENT),
	STEP(CLOSE, NEW_SYN_RECV),
	STEP(LISTEN, CLOSE),
	STEP(LISTEN, SYN_SENT),
	STEP(LISTEN, SYN_RECV),
	STEP(NEW_SYN_RECV, CLOSE),
	STEP(NEW_SYN_RECV, SYN_RECV),
	STEP(NEW_SYN_RECV, ESTABLISHED),
	STEP(SYN_SENT, CLOSE),
	STEP(SYN_SENT, SYN_RECV),
	STEP(SYN_SENT, ESTABLISHED),
	STEP(SYN_RECV, CLOSE),
	STEP(SYN_RECV, LISTEN),
	STEP(SYN_RECV, ESTABLISHED),
	STEP(SYN_RECV, FIN_WAIT1),
	STEP(ESTABLISHED, FIN_WAIT1),
	STEP(ESTABLISHED, CLOSE_WAIT),
	STEP(ESTABLISHED, CLOSE),
	STEP(FIN_WAIT1, FIN_WAIT2),
	STEP(FIN_WAIT1, CLOSING),
	STEP(FIN_WAIT1, TIME_WAIT),
	STEP(FIN_WAIT1, CLOSE),
	STEP(FIN_WAIT2, TIME_WAIT),
	STEP(FIN_WAIT2, CLOSE),
	STEP(CLOSING, TIME_WAIT),
	STEP(CLOSING, CLOSE),
	STEP(CLOSE_WAIT, LAST_ACK),
	STEP(CLOSE_WAIT, CLOSE),
	STEP(LAST_ACK, CLOSE),
	STEP(TIME_WAIT, CLOSE),
};

bool tl_events_step_known(int old_state, int new_state)
{
	for (size_t i = 0; i < sizeof(known_steps) / sizeof(known_steps[0]);
	     i++)
		if (known_steps[i][0] == old_state &&
		    known_steps[i][1] == new_state)
			return true;
	return false;
}
