/* SPDX-License-Identifier: MIT */
/*
 * A reader of a BPF ring buffer map (BPF_MAP_TYPE_RINGBUF), for the bpf
 * events backend. libbpf's ring_buffer moves the consumer position after
 * every record; the program that writes the records reads that position
 * for every record it reserves, so under a churn each record moved a cache
 * line between the CPUs. This reader moves it once a batch, and sleeps
 * until the program asks for a wakeup or the caller's timeout ends, where
 * libbpf's level-triggered poll returns as soon as one record is waiting.
 */
#ifndef TL_RINGBUF_H
#define TL_RINGBUF_H

#include <stddef.h>
#include <stdint.h>

struct tli_ring {
	int map_fd;
	int epoll_fd;
	size_t page;
	uint64_t mask; /* data size - 1 */
	uint64_t *consumer;	  /* the consumer page, mapped writable */
	const uint64_t *producer; /* the producer page, then the data twice */
	const uint8_t *data;
	size_t prod_len;
};

/* A record handed to the reader's callback: negative stops the batch. */
typedef int (*tli_ring_cb)(void *arg, const void *data, uint32_t size);

/*
 * Maps the ring buffer map map_fd (of data_size bytes, a power of two) for
 * reading. The fd stays the caller's. Returns 0 or -errno.
 */
int tli_ring_open(struct tli_ring *r, int map_fd, uint32_t data_size);

/*
 * Waits up to timeout_ms for the program to ask for a wakeup (returns at
 * once on a signal), then hands over up to max records in order. Returns
 * the number handed over, or the callback's negative value, or -errno.
 */
int tli_ring_read(struct tli_ring *r, int timeout_ms, int max, tli_ring_cb cb,
		  void *arg);

/* Unmaps what tli_ring_open mapped; safe on a zeroed or closed reader. */
void tli_ring_close(struct tli_ring *r);

#endif
