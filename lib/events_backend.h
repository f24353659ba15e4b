/* SPDX-License-Identifier: MIT */
/*
 * The interface between events.c and its backends (events_poll.c,
 * events_bpf.c or its stub). Private to the library.
 */
#ifndef TL_EVENTS_BACKEND_H
#define TL_EVENTS_BACKEND_H

#include "tcplimbo/events.h"
#include "tcplimbo/states.h"

/*
 * The backends, for events.c. Each returns 0 and sets *ret, or -errno;
 * the bpf one is -EOPNOTSUPP when the build has no bpf. netns is the inode
 * of the namespace watched (0 if unknown), found once by events.c so
 * that auto, trying bpf then poll, looks it up once.
 */
struct tl_events_ops {
	int (*run)(void *impl, int timeout_ms, tl_event_cb cb, void *arg);
	/* Hands over what run held back; NULL when nothing is held. */
	int (*flush)(void *impl, tl_event_cb cb, void *arg);
	uint64_t (*lost)(const void *impl);
	uint64_t (*missed)(const void *impl);
	const char *(*detail)(const void *impl);
	void (*close)(void *impl);
};

/*
 * Each step's cause, looked up once when a backend opens: every event
 * needs its own, and the tables behind tl_events_step_cause() are
 * searched.
 */
struct tli_steps {
	const char *cause[TL_STATE_MAX][TL_STATE_MAX];
};

/* Fills s from tl_events_step_cause(). */
void tli_steps_init(struct tli_steps *s);

/*
 * The cause of the step from o to n, or NULL (also for a state out of
 * range, which a kernel newer than us may report).
 */
static inline const char *tli_step_cause(const struct tli_steps *s, unsigned o,
					 unsigned n)
{
	return o < TL_STATE_MAX && n < TL_STATE_MAX ? s->cause[o][n] : NULL;
}

/* Opens the bpf backend (lib/events_bpf.c or its stub). */
int tl_events_bpf_open(const struct tl_events_opts *opts, uint64_t netns,
		       const struct tl_events_ops **ret_ops, void **ret_impl);

/* Opens the poll backend (lib/events_poll.c). */
int tl_events_poll_open(const struct tl_events_opts *opts, uint64_t netns,
			const struct tl_events_ops **ret_ops, void **ret_impl);

#endif
