// SPDX-License-Identifier: MIT
/*
 * What serve remembers of listener sockets from one scan to the next, so
 * that tcplimbo_listen_drops_total never falls while its series lives.
 *
 * A series sums the drops of every socket in it (SO_REUSEPORT members
 * share one). When a member closes and others stay, the sum would fall,
 * and Prometheus takes a fall for a counter reset: rate() would then count
 * the whole remaining sum again. So a closed member's last drops are
 * carried in its series for as long as the series has a member; when the
 * last goes, the series ends and so does its carry (a later series of the
 * same labels starts afresh: a real reset).
 *
 * Sockets are known by their cookie (unique for the kernel's lifetime),
 * series by a hash of their labels. Both arrays are sorted, and each scan
 * replaces them whole: their size follows the listeners there are.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

struct carry {
	uint64_t key;
	uint64_t drops;
};

struct metrics_ledger {
	struct ledger_sock *socks; /* last scan's, by cookie */
	size_t n_socks;
	/* The same sockets' cookies and drops, as the doctor's rules take them. */
	struct tl_drops_seen *seen;
	struct carry *carries; /* by key; only keys with a member */
	size_t n_carries;
};

int metrics_ledger_new(struct metrics_ledger **ret)
{
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

void metrics_ledger_free(struct metrics_ledger *lg)
{
	if (!lg)
		return;
	free(lg->socks);
	free(lg->seen);
	free(lg->carries);
	free(lg);
}

/* FNV-1a over a string and its terminating zero, continuing from h. */
static uint64_t fnv(uint64_t h, const char *s)
{
	do {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	} while (*s++);
	return h;
}

uint64_t metrics_ledger_key(const char *const *labels, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = fnv(h, labels[i]);
	return h;
}

static int cmp_cookie(const void *a, const void *b)
{
	const struct ledger_sock *x = a, *y = b;

	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

static int cmp_u64(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

static int cmp_carry(const void *a, const void *b)
{
	return cmp_u64(&((const struct carry *)a)->key,
		       &((const struct carry *)b)->key);
}

/* The index of key's carry in c, or n when it has none. */
static size_t find_carry(const struct carry *c, size_t n, uint64_t key)
{
	struct carry k = { .key = key };
	const struct carry *f = n ? bsearch(&k, c, n, sizeof(*c), cmp_carry) :
				    NULL;

	return f ? (size_t)(f - c) : n;
}

int metrics_ledger_update(struct metrics_ledger *lg,
			  const struct ledger_sock *s, size_t n)
{
	struct ledger_sock *socks = NULL;
	struct tl_drops_seen *seen = NULL;
	struct carry *c = NULL;
	uint64_t *keys = NULL;
	size_t nk = 0, nc = 0, j = 0;

	socks = malloc((n ? n : 1) * sizeof(*socks));
	seen = malloc((n ? n : 1) * sizeof(*seen));
	keys = malloc((n ? n : 1) * sizeof(*keys));
	/* At most one carry a series now, of those that had one or lose
	 * a member now. */
	c = malloc((n + 1) * sizeof(*c));
	if (!socks || !seen || !keys || !c) {
		free(socks);
		free(seen);
		free(keys);
		free(c);
		return -ENOMEM;
	}
	if (n)
		memcpy(socks, s, n * sizeof(*s));
	qsort(socks, n, sizeof(*socks), cmp_cookie);
	for (size_t i = 0; i < n; i++)
		seen[i] = (struct tl_drops_seen){
			.cookie = socks[i].cookie,
			.drops = socks[i].drops > UINT32_MAX ?
					 UINT32_MAX :
					 (uint32_t)socks[i].drops,
			.has_ns = socks[i].has_ns,
			.ns_drops = socks[i].ns_drops
		};
	/* The series that have a member now, once each. */
	for (size_t i = 0; i < n; i++)
		keys[i] = socks[i].key;
	qsort(keys, n, sizeof(*keys), cmp_u64);
	for (size_t i = 0; i < n; i++)
		if (nk == 0 || keys[nk - 1] != keys[i])
			keys[nk++] = keys[i];
	/* What was carried, for the series that go on. */
	for (size_t i = 0; i < nk; i++) {
		size_t o = find_carry(lg->carries, lg->n_carries, keys[i]);

		c[nc++] = (struct carry){
			.key = keys[i],
			.drops = o < lg->n_carries ? lg->carries[o].drops : 0
		};
	}
	/*
	 * Last scan's members that are gone, or now in another series (their
	 * holder's comm changed): their drops stay with the series they
	 * leave, if it goes on. c is sorted by key, as keys is.
	 */
	for (size_t i = 0; i < lg->n_socks; i++) {
		const struct ledger_sock *was = &lg->socks[i];
		size_t to;

		while (j < n && socks[j].cookie < was->cookie)
			j++;
		if (j < n && socks[j].cookie == was->cookie &&
		    socks[j].key == was->key)
			continue;
		to = find_carry(c, nc, was->key);
		if (to < nc)
			c[to].drops += was->drops;
	}
	free(keys);
	free(lg->socks);
	free(lg->seen);
	free(lg->carries);
	lg->socks = socks;
	lg->seen = seen;
	lg->n_socks = n;
	lg->carries = c;
	lg->n_carries = nc;
	return 0;
}

uint64_t metrics_ledger_carry(const struct metrics_ledger *lg, uint64_t key)
{
	size_t i;

	if (!lg)
		return 0;
	i = find_carry(lg->carries, lg->n_carries, key);
	return i < lg->n_carries ? lg->carries[i].drops : 0;
}

const struct tl_drops_seen *metrics_ledger_seen(const struct metrics_ledger *lg,
						size_t *n)
{
	*n = lg ? lg->n_socks : 0;
	return lg ? lg->seen : NULL;
}
