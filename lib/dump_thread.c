// SPDX-License-Identifier: MIT
/*
 * dump_thread: a sock_diag dump run in a thread of its own, its sockets
 * handed to the caller's thread in batches.
 *
 * Printing a million sockets is about as much work as dumping them (the
 * kernel's walk, then parsing): done in one thread, one CPU of two waits.
 * Here the dump thread walks and parses while the caller's callback
 * formats what came before. The caller sees what tl_sockdiag_dump gives,
 * in the same order, restarts included, with its callback and reset run
 * in its own thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "internal.h"
#include "util.h"

/* Sockets a batch (~35 KiB), and batches in flight (~280 KiB). */
#define BATCH 256
#define DEPTH 8

struct batch {
	size_t n;
	unsigned resets; /* the dump restarted: reset() that often first */
	struct tl_sock socks[BATCH];
};

struct dq {
	tli_dump_fn dump;
	const struct tl_dump_opts *opts;
	pthread_mutex_t lock;
	pthread_cond_t more; /* a batch was handed over, or the dump ended */
	pthread_cond_t room; /* a batch was taken, or the caller stopped */
	struct batch *ring;  /* DEPTH batches */
	/* Batches taken and handed over: tail - head are in flight. */
	size_t head, tail;
	bool ended; /* the dump returned err */
	int err;
	bool stop; /* the caller's callback failed: the dump stops */
	/* The dump thread's own: the batch it fills, ring[tail % DEPTH]. */
	struct batch *fill;
	bool cancelled;
};

/*
 * Hands the batch being filled over and waits until there is room for
 * the next. The slot it then fills is not in flight, so the caller never
 * reads a batch while it is written. Returns 0, or -ECANCELED when the
 * caller has stopped: from then on nothing is filled or handed over.
 */
static int hand_over(struct dq *q)
{
	bool stop;

	pthread_mutex_lock(&q->lock);
	q->tail++;
	pthread_cond_signal(&q->more);
	while (q->tail - q->head == DEPTH && !q->stop)
		pthread_cond_wait(&q->room, &q->lock);
	stop = q->stop;
	pthread_mutex_unlock(&q->lock);
	if (stop) {
		/* The ring may be full: no slot is ours to fill any more. */
		q->cancelled = true;
		return -ECANCELED;
	}
	q->fill = &q->ring[q->tail % DEPTH];
	q->fill->n = 0;
	q->fill->resets = 0;
	return 0;
}

static int push(const struct tl_sock *sk, void *arg)
{
	struct dq *q = arg;

	if (q->cancelled)
		return -ECANCELED;
	q->fill->socks[q->fill->n++] = *sk;
	return q->fill->n == BATCH ? hand_over(q) : 0;
}

/* What came before the restart goes first; the reset goes with the rest. */
static void push_reset(void *arg)
{
	struct dq *q = arg;

	if (q->cancelled)
		return;
	if (q->fill->n && hand_over(q) < 0)
		return;
	q->fill->resets++;
}

static void *dump_main(void *arg)
{
	struct dq *q = arg;
	int err = q->dump(q->opts, push, push_reset, q);

	pthread_mutex_lock(&q->lock);
	/* The last batch's slot was free when it was taken. */
	if (!q->cancelled && (q->fill->n || q->fill->resets))
		q->tail++;
	q->err = err;
	q->ended = true;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

/*
 * The caller's side: takes each batch in turn and runs reset and cb on
 * it. After cb fails it takes and drops the rest, so the dump thread is
 * never left waiting for room, until the dump ends.
 */
static int consume(struct dq *q, tl_sock_cb cb, void (*reset)(void *arg),
		   void *arg)
{
	int cerr = 0;

	for (;;) {
		struct batch *b;

		pthread_mutex_lock(&q->lock);
		while (q->head == q->tail && !q->ended)
			pthread_cond_wait(&q->more, &q->lock);
		if (q->head == q->tail) {
			pthread_mutex_unlock(&q->lock);
			break;
		}
		b = &q->ring[q->head % DEPTH];
		pthread_mutex_unlock(&q->lock);
		for (unsigned i = 0; !cerr && reset && i < b->resets; i++)
			reset(arg);
		for (size_t i = 0; !cerr && i < b->n; i++) {
			int r = cb(&b->socks[i], arg);

			if (r < 0)
				cerr = r;
		}
		pthread_mutex_lock(&q->lock);
		q->head++;
		if (cerr < 0)
			q->stop = true;
		pthread_cond_signal(&q->room);
		pthread_mutex_unlock(&q->lock);
	}
	return cerr;
}

int tli_dump_threaded_with(tli_dump_fn dump, const struct tl_dump_opts *opts,
			   tl_sock_cb cb, void (*reset)(void *arg), void *arg)
{
	struct dq q = { .dump = dump, .opts = opts };
	pthread_t t;
	int err;

	q.ring = malloc(DEPTH * sizeof(*q.ring));
	if (!q.ring)
		return -ENOMEM;
	q.fill = &q.ring[0];
	q.fill->n = 0;
	q.fill->resets = 0;
	if (pthread_mutex_init(&q.lock, NULL) != 0) {
		free(q.ring);
		return dump(opts, cb, reset, arg);
	}
	pthread_cond_init(&q.more, NULL);
	pthread_cond_init(&q.room, NULL);
	if (tli_thread_start(&t, dump_main, &q) < 0) {
		/* No thread to be had: the dump in this one, as before. */
		err = dump(opts, cb, reset, arg);
	} else {
		err = consume(&q, cb, reset, arg);
		pthread_join(t, NULL);
		if (err >= 0)
			err = q.err;
	}
	pthread_cond_destroy(&q.room);
	pthread_cond_destroy(&q.more);
	pthread_mutex_destroy(&q.lock);
	free(q.ring);
	return err;
}

int tli_dump_threaded(const struct tl_dump_opts *opts, tl_sock_cb cb,
		      void (*reset)(void *arg), void *arg)
{
	/* On one CPU a second thread only adds the hand-over. */
	if (opts->replay_fd >= 0 || tli_cpus(2) < 2)
		return tl_sockdiag_dump(opts, cb, reset, arg);
	return tli_dump_threaded_with(tl_sockdiag_dump, opts, cb, reset, arg);
}
