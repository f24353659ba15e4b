/* SPDX-License-Identifier: MIT */
/*
 * Records of fixed size from a BPF_MAP_TYPE_PERF_EVENT_ARRAY (one perf
 * buffer a CPU), handed over in time order. Each CPU's buffer is in order
 * by itself, but for records written in an interrupt while a program was
 * handling an earlier change; a record is held back until no CPU can
 * still hand over an earlier one. Each record starts with its time (a
 * __u64 of CLOCK_MONOTONIC ns, as bpf_ktime_get_ns() gives). For the bpf
 * events backend.
 */
#ifndef TL_PERFBUF_H
#define TL_PERFBUF_H

#include <stddef.h>
#include <stdint.h>

struct tli_pbuf;

/* A record handed over: a negative return stops the batch. */
typedef int (*tli_pbuf_cb)(void *arg, const void *rec);

/*
 * Opens one perf buffer a CPU on map_fd, total_bytes in all (each CPU's a
 * power-of-two number of pages, at least one), for records of rec_size
 * bytes, handing over at most batch of them a call. A CPU wakes the reader
 * when an eighth of its buffer is waiting. map_fd stays the caller's.
 * early_off is the offset in a record of a __u32: how many ns before the
 * record's time began a change its CPU was still handling when it was
 * written (whose record follows it in the buffer), or SIZE_MAX when
 * records have none. Returns 0 and sets *ret, or -errno.
 */
int tli_pbuf_open(int map_fd, uint64_t total_bytes, size_t rec_size,
		  size_t early_off, int batch, struct tli_pbuf **ret);

/*
 * Waits up to timeout_ms for a CPU's wakeup (not at all when records are
 * already waiting), reads the buffers and hands over, in time order, the
 * records no CPU can still precede. Returns how many were handed over, the
 * callback's negative return, -EINTR on a signal, or -errno.
 */
int tli_pbuf_read(struct tli_pbuf *p, int timeout_ms, tli_pbuf_cb cb,
		  void *arg);

/*
 * Hands over, in time order, every record read and held back, however
 * recent: for the end of a watch. Returns how many, or the callback's
 * negative return.
 */
int tli_pbuf_flush(struct tli_pbuf *p, tli_pbuf_cb cb, void *arg);

/*
 * Marks of the changes the programs are handling: n times of
 * CLOCK_MONOTONIC ns (0: none), which the programs set before taking a
 * record's time and clear once it is written. A record later than any
 * mark is held back, however long it waits: its writer may be held up
 * between the two (an interrupt, the hypervisor) for longer than the
 * fixed hold. marks stays the caller's, and must outlive p.
 */
void tli_pbuf_set_marks(struct tli_pbuf *p, const uint64_t *marks, size_t n);

/*
 * Records read but dropped here (none: room is made before each read).
 * Those the kernel dropped for a full buffer are not counted: its own
 * count of them (PERF_RECORD_LOST) is written only once a later record
 * fits, so the program that writes them must count its failures itself.
 */
uint64_t tli_pbuf_lost(const struct tli_pbuf *p);

/* Frees the buffers; NULL is fine. */
void tli_pbuf_close(struct tli_pbuf *p);

#endif
