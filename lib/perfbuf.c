// SPDX-License-Identifier: MIT
/*
 * Per-CPU perf buffers, merged into time order (see perfbuf.h). libbpf
 * makes and maps the buffers; this file decides when to read and merges.
 *
 * A record is handed over once its time is at most the horizon: before
 * the earliest change a program is still writing (the marks), and at most
 * the time the read began less HOLD_NS. A buffer read only in part
 * (its share of a batch was taken) lowers the horizon to its last record
 * read, since what is left in it comes later, or to the change that
 * record says its CPU was still handling (its record comes next). Records
 * past the horizon wait, sorted, for the next read.
 */
#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include <bpf/libbpf.h>

#include "perfbuf.h"

/*
 * A program takes its time and writes its record within microseconds, but
 * an interrupt, or the hypervisor taking the CPU away, may come in
 * between: with this hold alone, watch-accounting saw one record of
 * 646,092 handed over 1 ms late, on a loaded 2-CPU VM. Where the programs
 * mark the changes they are handling (tli_pbuf_set_marks) the marks bound
 * the horizon, and the hold covers only the few instructions between
 * taking the time and marking it.
 */
#define HOLD_NS 2000000ULL
/* Records read from one buffer a call, at least. */
#define PER_BUF_MIN 64

struct key {
	uint64_t ts;
	uint64_t seq; /* read order: equal times keep it */
	size_t idx;   /* the record in recs */
};

struct tli_pbuf {
	struct perf_buffer *pb;
	size_t nbufs;
	size_t rec_size;
	size_t batch;
	/*
	 * Held records: recs[keys[i].idx] for i < n; spare is where the ones
	 * kept are compacted to. keys is in runs, each in the order a buffer
	 * gave it (the held ones first, already sorted): run[k] is where run
	 * k starts. tmp is for merging them.
	 */
	size_t cap, n;
	uint8_t *recs, *spare;
	struct key *keys, *tmp;
	size_t *run, nrun;
	uint64_t seq;
	uint64_t lost;
	bool backlog; /* records left in a buffer or held and ready */
	/* The buffer being read, and whether any was read only in part. */
	size_t taken, per_buf;
	bool cut, cut_any;
	/*
	 * The buffer being read: the earliest time a record still in it can
	 * have (its last record's time, or what that record says was still
	 * in flight on its CPU).
	 */
	uint64_t floor;
	size_t early_off;
	const uint64_t *marks; /* see tli_pbuf_set_marks; NULL: none */
	size_t n_marks;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* A perf record as the kernel writes it for bpf_perf_event_output. */
struct sample {
	struct perf_event_header h;
	uint32_t size;
	uint8_t data[];
};

static enum bpf_perf_event_ret on_event(void *ctx, int cpu,
					struct perf_event_header *h)
{
	struct tli_pbuf *p = ctx;
	const struct sample *s = (const void *)h;
	uint64_t ts;

	(void)cpu;
	if (h->type != PERF_RECORD_SAMPLE || h->size < sizeof(*s) ||
	    s->size < p->rec_size || s->size > h->size - sizeof(*s))
		return LIBBPF_PERF_EVENT_CONT;
	/* grow() made room for per_buf records a buffer, so this does not
	 * happen; libbpf has consumed the record: count it. */
	if (p->n == p->cap) {
		p->lost++;
		return LIBBPF_PERF_EVENT_DONE;
	}
	memcpy(p->recs + p->n * p->rec_size, s->data, p->rec_size);
	memcpy(&ts, s->data, sizeof(ts));
	p->keys[p->n].ts = ts;
	p->keys[p->n].seq = p->seq++;
	p->keys[p->n].idx = p->n;
	p->n++;
	p->floor = ts;
	if (p->early_off != SIZE_MAX) {
		uint32_t early;

		memcpy(&early, s->data + p->early_off, sizeof(early));
		p->floor = ts > early ? ts - early : 0;
	}
	if (++p->taken < p->per_buf)
		return LIBBPF_PERF_EVENT_CONT;
	/* Stop here: the rest of this buffer waits for the next call. */
	p->cut = true;
	return LIBBPF_PERF_EVENT_DONE;
}

int tli_pbuf_open(int map_fd, uint64_t total_bytes, size_t rec_size,
		  size_t early_off, int batch, struct tli_pbuf **ret)
{
	struct perf_event_attr attr;
	struct tli_pbuf *p;
	long page = sysconf(_SC_PAGESIZE);
	/* libbpf makes a buffer for each online CPU only. */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t per, pages = 1;
	int r;

	if (ncpu < 1)
		ncpu = 1;
	if (page <= 0 || batch <= 0 || rec_size < sizeof(uint64_t) ||
	    (early_off != SIZE_MAX &&
	     (early_off < sizeof(uint64_t) ||
	      early_off > rec_size - sizeof(uint32_t))))
		return -EINVAL;
	per = total_bytes / (uint64_t)ncpu / (uint64_t)page;
	while (pages * 2 <= per)
		pages *= 2;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->rec_size = rec_size;
	p->early_off = early_off;
	p->batch = (size_t)batch;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_BPF_OUTPUT;
	attr.sample_type = PERF_SAMPLE_RAW;
	attr.sample_period = 1;
	/*
	 * Wake the reader when an eighth of a buffer is waiting, not at every
	 * record (libbpf's perf_buffer__new does that): a wakeup a record
	 * cost the churn more than half its speed here. The reader's timer
	 * takes the rest.
	 */
	attr.watermark = 1;
	attr.wakeup_watermark = (uint32_t)(pages * (uint64_t)page / 8);
	p->pb = perf_buffer__new_raw(map_fd, (size_t)pages, &attr, on_event, p,
				     NULL);
	if (!p->pb) {
		r = errno ? -errno : -EINVAL;
		free(p);
		return r;
	}
	p->nbufs = perf_buffer__buffer_cnt(p->pb);
	/* A read takes about batch records, PER_BUF_MIN a buffer at least. */
	p->per_buf = p->batch / (p->nbufs ? p->nbufs : 1);
	if (p->per_buf < PER_BUF_MIN)
		p->per_buf = PER_BUF_MIN;
	p->cap = 2 * p->nbufs * p->per_buf;
	p->recs = malloc(p->cap * rec_size);
	p->spare = malloc(p->cap * rec_size);
	p->keys = malloc(p->cap * sizeof(*p->keys));
	p->tmp = malloc(p->cap * sizeof(*p->tmp));
	p->run = malloc((p->nbufs + 1) * sizeof(*p->run));
	if (!p->recs || !p->spare || !p->keys || !p->tmp || !p->run) {
		tli_pbuf_close(p);
		return -ENOMEM;
	}
	*ret = p;
	return 0;
}

static bool before(const struct key *x, const struct key *y)
{
	return x->ts < y->ts || (x->ts == y->ts && x->seq < y->seq);
}

/*
 * A buffer's records are in time order but for a change that came in an
 * interrupt between a program taking its time and writing its record:
 * insertion sort, linear on such a run.
 */
static void sort_run(struct key *k, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct key x = k[i];
		size_t j = i;

		for (; j > 0 && before(&x, &k[j - 1]); j--)
			k[j] = k[j - 1];
		k[j] = x;
	}
}

/*
 * Sorts keys by merging its runs, two by two: log2(runs) passes over the
 * keys where qsort made log2(n) (it was a fifth of watch's time).
 */
static void sort_keys(struct tli_pbuf *p)
{
	struct key *t;

	for (size_t k = 0; k < p->nrun; k++)
		sort_run(p->keys + p->run[k],
			 (k + 1 < p->nrun ? p->run[k + 1] : p->n) - p->run[k]);
	while (p->nrun > 1) {
		size_t out = 0, nrun = 0;

		for (size_t k = 0; k < p->nrun; k += 2) {
			size_t a = p->run[k];
			size_t ae = k + 1 < p->nrun ? p->run[k + 1] : p->n;
			size_t b = ae;
			size_t be = k + 2 < p->nrun ? p->run[k + 2] : p->n;

			p->run[nrun++] = out;
			while (a < ae && b < be)
				p->tmp[out++] =
					before(&p->keys[b], &p->keys[a]) ?
						p->keys[b++] :
						p->keys[a++];
			while (a < ae)
				p->tmp[out++] = p->keys[a++];
			while (b < be)
				p->tmp[out++] = p->keys[b++];
		}
		p->nrun = nrun;
		t = p->keys;
		p->keys = p->tmp;
		p->tmp = t;
	}
}

/*
 * Hands over held records with a time at most horizon, at most max of
 * them, and keeps the rest in order.
 */
static int hand_over(struct tli_pbuf *p, uint64_t horizon, size_t max,
		     tli_pbuf_cb cb, void *arg)
{
	size_t i = 0, j;
	uint8_t *t;
	int r = 0;

	sort_keys(p);
	while (i < p->n && i < max && p->keys[i].ts <= horizon) {
		r = cb(arg, p->recs + p->keys[i].idx * p->rec_size);
		i++;
		if (r < 0)
			break;
	}
	p->backlog = p->cut_any || (i < p->n && p->keys[i].ts <= horizon);
	for (j = 0; i + j < p->n; j++) {
		struct key *k = &p->keys[i + j];

		memcpy(p->spare + j * p->rec_size,
		       p->recs + k->idx * p->rec_size, p->rec_size);
		p->keys[j] = *k;
		p->keys[j].idx = j;
	}
	p->n = j;
	p->nrun = j ? 1 : 0;
	p->run[0] = 0;
	t = p->recs;
	p->recs = p->spare;
	p->spare = t;
	return r < 0 ? r : (int)i;
}

/*
 * Makes room for one more read: per_buf records from each buffer. Held
 * records grow only while one CPU's buffer lags behind the others (what
 * the others had past its last record waits), so at most about what the
 * buffers hold.
 */
static int grow(struct tli_pbuf *p)
{
	size_t need = p->n + p->nbufs * p->per_buf, cap = p->cap;
	void *recs, *spare, *keys, *tmp;

	if (need <= p->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	recs = realloc(p->recs, cap * p->rec_size);
	if (recs)
		p->recs = recs;
	spare = realloc(p->spare, cap * p->rec_size);
	if (spare)
		p->spare = spare;
	keys = realloc(p->keys, cap * sizeof(*p->keys));
	if (keys)
		p->keys = keys;
	tmp = realloc(p->tmp, cap * sizeof(*p->tmp));
	if (tmp)
		p->tmp = tmp;
	if (!recs || !spare || !keys || !tmp)
		return -ENOMEM;
	p->cap = cap;
	return 0;
}

void tli_pbuf_set_marks(struct tli_pbuf *p, const uint64_t *marks, size_t n)
{
	p->marks = marks;
	p->n_marks = n;
}

/*
 * The horizon: before the earliest change a program is handling (read
 * after t0, so one that took its time before t0 shows), and HOLD_NS before
 * t0 for one that took its time but has not marked it yet. A mark older
 * than a second is no program still running (a CPU taken offline
 * mid-write, say) and is not waited for.
 */
static uint64_t horizon_at(const struct tli_pbuf *p, uint64_t t0)
{
	uint64_t h = t0 > HOLD_NS ? t0 - HOLD_NS : 0;

	for (size_t i = 0; i < p->n_marks; i++) {
		uint64_t m = __atomic_load_n(&p->marks[i], __ATOMIC_ACQUIRE);

		if (m && m + 1000000000ULL > t0 && m - 1 < h)
			h = m - 1;
	}
	return h;
}

/* Reads every buffer, each up to per_buf records; returns the horizon, or
 * 0 with -errno in *err. */
static uint64_t read_all(struct tli_pbuf *p, int *err)
{
	uint64_t horizon = horizon_at(p, mono_ns());
	int r;

	p->cut_any = false;
	/* A read that failed left its runs: one run a buffer is room for. */
	if (p->nrun > 1)
		sort_keys(p);
	*err = grow(p);
	if (*err < 0)
		return 0;
	for (size_t i = 0; i < p->nbufs; i++) {
		size_t start = p->n;

		p->taken = 0;
		p->cut = false;
		r = perf_buffer__consume_buffer(p->pb, i);
		if (p->n > start)
			p->run[p->nrun++] = start;
		if (r < 0) {
			*err = r;
			return 0;
		}
		if (p->cut) {
			p->cut_any = true;
			if (p->floor < horizon)
				horizon = p->floor;
		}
	}
	return horizon;
}

int tli_pbuf_read(struct tli_pbuf *p, int timeout_ms, tli_pbuf_cb cb, void *arg)
{
	struct epoll_event ev[8];
	uint64_t horizon;
	int r;

	if (!p->backlog && timeout_ms != 0 &&
	    epoll_wait(perf_buffer__epoll_fd(p->pb), ev, 8, timeout_ms) < 0)
		return -errno;
	p->backlog = false;
	horizon = read_all(p, &r);
	if (r < 0)
		return r;
	return hand_over(p, horizon, p->batch, cb, arg);
}

int tli_pbuf_flush(struct tli_pbuf *p, tli_pbuf_cb cb, void *arg)
{
	p->cut_any = false;
	return hand_over(p, UINT64_MAX, p->n, cb, arg);
}

uint64_t tli_pbuf_lost(const struct tli_pbuf *p)
{
	return p->lost;
}

void tli_pbuf_close(struct tli_pbuf *p)
{
	if (!p)
		return;
	perf_buffer__free(p->pb);
	free(p->recs);
	free(p->spare);
	free(p->keys);
	free(p->tmp);
	free(p->run);
	free(p);
}
