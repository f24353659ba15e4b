// SPDX-License-Identifier: MIT
/*
 * A BPF ring buffer, read by hand (see ringbuf.h for why). The layout is
 * the kernel's (kernel/bpf/ringbuf.c): a consumer page user space may
 * write, then a producer page and the data pages, mapped twice in a row so
 * that a record never wraps. Each record starts with an 8-byte header
 * whose first word is its length, with a busy bit while the program still
 * writes it and a discard bit when it gave it up.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "ringbuf.h"

/* Within a batch, the consumer position is published at least every this
 * many bytes, so the program sees the room freed by a long batch. */
#define PUBLISH_BYTES (64u << 10)

int tli_ring_open(struct tli_ring *r, int map_fd, uint32_t data_size)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	long page = sysconf(_SC_PAGESIZE);
	void *p;
	int e;

	memset(r, 0, sizeof(*r));
	r->epoll_fd = -1;
	if (page <= 0 || data_size == 0 || (data_size & (data_size - 1)))
		return -EINVAL;
	r->map_fd = map_fd;
	r->page = (size_t)page;
	r->mask = data_size - 1;
	p = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	r->consumer = p;
	r->prod_len = r->page + 2 * (size_t)data_size;
	p = mmap(NULL, r->prod_len, PROT_READ, MAP_SHARED, map_fd,
		 (off_t)r->page);
	if (p == MAP_FAILED) {
		e = -errno;
		goto fail;
	}
	r->producer = p;
	r->data = (const uint8_t *)p + r->page;
	/*
	 * Edge-triggered: the program wakes us only when it asks to (a batch
	 * is waiting); level-triggered, the wait would end at every record.
	 */
	r->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epoll_fd < 0 ||
	    epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, map_fd, &ev) < 0) {
		e = -errno;
		goto fail;
	}
	return 0;
fail:
	tli_ring_close(r);
	return e;
}

static uint64_t load_acquire(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

int tli_ring_read(struct tli_ring *r, int timeout_ms, int max, tli_ring_cb cb,
		  void *arg)
{
	struct epoll_event ev;
	uint64_t cons = *r->consumer, prod, published = cons;
	int n = 0, ret = 0;

	prod = load_acquire(r->producer);
	/* What is already waiting needs no wakeup (we may have stopped at
	 * max with records left, and no new wakeup would come for them). */
	if (cons == prod && timeout_ms != 0) {
		if (epoll_wait(r->epoll_fd, &ev, 1, timeout_ms) < 0)
			return errno == EINTR ? 0 : -errno;
		prod = load_acquire(r->producer);
	}
	while (n < max) {
		const uint32_t *hdr;
		uint32_t len;

		if (cons == prod) {
			prod = load_acquire(r->producer);
			if (cons == prod)
				break;
		}
		hdr = (const uint32_t *)(r->data + (cons & r->mask));
		len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		if (len & BPF_RINGBUF_BUSY_BIT)
			break; /* still being written: the next call takes it */
		cons += ((len & ~(BPF_RINGBUF_BUSY_BIT |
				  BPF_RINGBUF_DISCARD_BIT)) +
			 BPF_RINGBUF_HDR_SZ + 7) &
			~(uint64_t)7;
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			n++;
			ret = cb(arg, (const uint8_t *)hdr + BPF_RINGBUF_HDR_SZ,
				 len & ~(BPF_RINGBUF_BUSY_BIT |
					 BPF_RINGBUF_DISCARD_BIT));
			if (ret < 0)
				break;
		}
		if (cons - published >= PUBLISH_BYTES) {
			__atomic_store_n(r->consumer, cons, __ATOMIC_RELEASE);
			published = cons;
		}
	}
	if (cons != published)
		__atomic_store_n(r->consumer, cons, __ATOMIC_RELEASE);
	return ret < 0 ? ret : n;
}

void tli_ring_close(struct tli_ring *r)
{
	/* page is set first by tli_ring_open: a zeroed reader holds nothing
	 * (and its epoll_fd 0 is not ours). */
	if (!r->page)
		return;
	if (r->epoll_fd >= 0)
		close(r->epoll_fd);
	if (r->producer)
		munmap((void *)r->producer, r->prod_len);
	if (r->consumer)
		munmap(r->consumer, r->page);
	memset(r, 0, sizeof(*r));
	r->epoll_fd = -1;
}
