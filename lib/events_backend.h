/* SPDX-License-Identifier: MIT */
/*
 * The interface between events.c and its backends (events_poll.c,
 * events_bpf.c or its stub). Private to the library.
 */
#ifndef TL_EVENTS_BACKEND_H
#define TL_EVENTS_BACKEND_H

#include "tcplimbo/events.h"

/*
 * The backends, for events.c. Each returns 0 and sets *ret, or -errno;
 * the bpf one is -EOPNOTSUPP when the build has no bpf. netns is the inode
 * of the namespace watched (0 if unknown), found once by events.c so
 * that auto, trying bpf then poll, looks it up once.
 */
struct tl_events_ops {
	int (*run)(void *impl, int timeout_ms, tl_event_cb cb, void *arg);
	uint64_t (*lost)(const void *impl);
	const char *(*detail)(const void *impl);
	void (*close)(void *impl);
};

/* Opens the bpf backend (lib/events_bpf.c or its stub). */
int tl_events_bpf_open(const struct tl_events_opts *opts, uint64_t netns,
		       const struct tl_events_ops **ret_ops, void **ret_impl);

/* Opens the poll backend (lib/events_poll.c). */
int tl_events_poll_open(const struct tl_events_opts *opts, uint64_t netns,
			const struct tl_events_ops **ret_ops, void **ret_impl);

#endif
