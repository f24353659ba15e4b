/* SPDX-License-Identifier: MIT */
/*
 * Each socket's owner and last change, followed in user space from the
 * bpf backend's records. When watch filters nothing in the kernel, every
 * change reaches user space in time order, and what the program would
 * keep in socket storage can be learned from the records themselves: the
 * storage cost the program about half its time, plus an allocation for
 * each short-lived socket, a copy into each accepted one and a free
 * (bench/RESULTS.md, run 12). With filters in the kernel user space sees
 * only some changes, and the program keeps its storage.
 */
#ifndef TL_SKTRACK_H
#define TL_SKTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "tcplimbo/events.h"

struct tli_sktrack;

/*
 * A tracker of at most max_sockets sockets at once (past that, new
 * sockets go untracked until some close). Returns 0 and sets *ret, or
 * -ENOMEM.
 */
int tli_sktrack_new(size_t max_sockets, struct tli_sktrack **ret);

/* Frees t; NULL is allowed. */
void tli_sktrack_free(struct tli_sktrack *t);

/*
 * Takes the next change, ev at ts_ns (CLOCK_MONOTONIC ns), in time order,
 * and fills in ev what the kernel did not record: the time in old_state,
 * a local port the kernel had already released, and the owner learned at
 * an earlier change of the socket (connect(), listen(), accept()) or, for
 * a connection the kernel just made, from the listener on its address
 * and port. What ev already has is kept and learned from.
 */
void tli_sktrack_apply(struct tli_sktrack *t, uint64_t ts_ns,
		       struct tl_event *ev);

/* How many sockets and listeners t follows now. */
size_t tli_sktrack_sockets(const struct tli_sktrack *t);
size_t tli_sktrack_listeners(const struct tli_sktrack *t);

#endif
