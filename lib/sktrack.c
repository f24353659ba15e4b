// SPDX-License-Identifier: MIT
/*
 * The sockets, in an open-addressing table by kernel address (linear
 * probing, deletion by shifting back, so no tombstones pile up under a
 * churn); the listeners, which are few and change rarely, in lists by
 * port. A socket's life starts with a change that says so (connect(),
 * listen(), or the kernel making a connection from a listener), which
 * forgets whatever an earlier socket at the same address left, and ends
 * with its change to CLOSE.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sktrack.h"

/* The table's first size, in slots; it doubles at three quarters full. */
#define FIRST_SLOTS 4096
#define LSN_BUCKETS 256

struct sk_ent {
	uint64_t key;	/* kernel address; 0: a free slot */
	uint64_t ts_ns; /* its last change; 0: none seen */
	uint32_t pid;
	uint16_t sport; /* its local port then */
	/* 0, TL_EVENT_OWNER or TL_EVENT_LISTENER_OWNER (with _ANY) */
	uint16_t kind;
	char comm[16];
};

struct lsn {
	struct lsn *next;
	uint64_t key;
	uint8_t addr[16];
	uint16_t port;
	uint8_t family;
	bool has_owner;
	uint32_t pid;
	char comm[16];
};

struct tli_sktrack {
	struct sk_ent *tab;
	size_t mask; /* slots - 1 */
	size_t used;
	size_t max_slots; /* the table grows no further */
	struct lsn *lsn[LSN_BUCKETS];
	size_t nlsn;
};

static size_t home(const struct tli_sktrack *t, uint64_t key)
{
	/* Slab addresses share their low bits: mix them all in. */
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & t->mask;
}

int tli_sktrack_new(size_t max_sockets, struct tli_sktrack **ret)
{
	struct tli_sktrack *t = calloc(1, sizeof(*t));
	size_t max_slots = FIRST_SLOTS;

	if (!t)
		return -ENOMEM;
	/* Room for max_sockets at three quarters full. */
	while (max_slots / 4 * 3 < max_sockets && max_slots < SIZE_MAX / 4)
		max_slots *= 2;
	t->max_slots = max_slots;
	t->tab = calloc(FIRST_SLOTS, sizeof(*t->tab));
	if (!t->tab) {
		free(t);
		return -ENOMEM;
	}
	t->mask = FIRST_SLOTS - 1;
	*ret = t;
	return 0;
}

void tli_sktrack_free(struct tli_sktrack *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < LSN_BUCKETS; i++) {
		while (t->lsn[i]) {
			struct lsn *l = t->lsn[i];

			t->lsn[i] = l->next;
			free(l);
		}
	}
	free(t->tab);
	free(t);
}

size_t tli_sktrack_sockets(const struct tli_sktrack *t)
{
	return t->used;
}

size_t tli_sktrack_listeners(const struct tli_sktrack *t)
{
	return t->nlsn;
}

static struct sk_ent *find(const struct tli_sktrack *t, uint64_t key)
{
	for (size_t i = home(t, key);; i = (i + 1) & t->mask) {
		if (t->tab[i].key == key)
			return &t->tab[i];
		if (!t->tab[i].key)
			return NULL;
	}
}

/* Doubles the table; false when it may not or memory is short. */
static bool grow(struct tli_sktrack *t)
{
	size_t slots = (t->mask + 1) * 2, old = t->mask + 1;
	struct sk_ent *tab, *prev = t->tab;

	if (slots > t->max_slots)
		return false;
	tab = calloc(slots, sizeof(*tab));
	if (!tab)
		return false;
	t->tab = tab;
	t->mask = slots - 1;
	for (size_t i = 0; i < old; i++) {
		size_t j;

		if (!prev[i].key)
			continue;
		for (j = home(t, prev[i].key); tab[j].key;
		     j = (j + 1) & t->mask)
			;
		tab[j] = prev[i];
	}
	free(prev);
	return true;
}

/* A new entry for key (not in the table), or NULL when there is no room. */
static struct sk_ent *insert(struct tli_sktrack *t, uint64_t key)
{
	size_t i;

	if ((t->used + 1) > (t->mask + 1) / 4 * 3 && !grow(t))
		return NULL;
	for (i = home(t, key); t->tab[i].key; i = (i + 1) & t->mask)
		;
	memset(&t->tab[i], 0, sizeof(t->tab[i]));
	t->tab[i].key = key;
	t->used++;
	return &t->tab[i];
}

/*
 * Empties e's slot, moving back the entries after it that probed past it,
 * so that every entry stays reachable from its home slot.
 */
static void erase(struct tli_sktrack *t, struct sk_ent *e)
{
	size_t i = (size_t)(e - t->tab), j = i;

	for (;;) {
		size_t k;

		j = (j + 1) & t->mask;
		if (!t->tab[j].key)
			break;
		k = home(t, t->tab[j].key);
		/* Stays when its home is cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		t->tab[i] = t->tab[j];
		i = j;
	}
	t->tab[i].key = 0;
	t->used--;
}

static bool any_addr(const uint8_t *a)
{
	static const uint8_t zero[16];

	return !memcmp(a, zero, sizeof(zero));
}

/*
 * The listener a connection the kernel just made came from: the one on its
 * address and port, else the one on the wildcard address of its family
 * (a v4 connection to a dual-stack listener is an IPv6 one). NULL when
 * none, or when two could be (SO_REUSEPORT listeners made before watch
 * started: the program names those made after by their storage).
 */
static const struct lsn *find_lsn(const struct tli_sktrack *t,
				  const struct tl_event *ev)
{
	const struct lsn *exact = NULL, *wild = NULL;
	size_t alen = ev->family == AF_INET6 ? 16 : 4;
	int nexact = 0, nwild = 0;

	for (const struct lsn *l = t->lsn[ev->sport % LSN_BUCKETS]; l;
	     l = l->next) {
		if (l->port != ev->sport || l->family != ev->family)
			continue;
		if (!memcmp(l->addr, ev->src, alen)) {
			exact = l;
			nexact++;
		} else if (any_addr(l->addr)) {
			wild = l;
			nwild++;
		}
	}
	if (nexact)
		return nexact == 1 ? exact : NULL;
	return nwild == 1 ? wild : NULL;
}

static void lsn_forget(struct tli_sktrack *t, uint64_t key)
{
	for (size_t i = 0; i < LSN_BUCKETS; i++) {
		for (struct lsn **p = &t->lsn[i]; *p; p = &(*p)->next) {
			struct lsn *l = *p;

			if (l->key != key)
				continue;
			*p = l->next;
			free(l);
			t->nlsn--;
			return;
		}
	}
}

/* A listener made by listen() (ev: CLOSE -> LISTEN). */
static void lsn_add(struct tli_sktrack *t, const struct tl_event *ev)
{
	struct lsn *l;

	/* One left by a listener whose close we missed. */
	lsn_forget(t, ev->key);
	if (ev->sport == 0)
		return;
	l = calloc(1, sizeof(*l));
	if (!l)
		return;
	l->key = ev->key;
	memcpy(l->addr, ev->src, sizeof(l->addr));
	l->port = ev->sport;
	l->family = ev->family;
	if (ev->flags & TL_EVENT_OWNER) {
		l->has_owner = true;
		l->pid = ev->pid;
		memcpy(l->comm, ev->comm, sizeof(l->comm));
	}
	l->next = t->lsn[l->port % LSN_BUCKETS];
	t->lsn[l->port % LSN_BUCKETS] = l;
	t->nlsn++;
}

static void give(struct tl_event *ev, uint16_t kind, uint32_t pid,
		 const char *comm)
{
	ev->flags |= kind;
	ev->pid = pid;
	memcpy(ev->comm, comm, sizeof(ev->comm));
	ev->comm[sizeof(ev->comm) - 1] = '\0';
}

void tli_sktrack_apply(struct tli_sktrack *t, uint64_t ts_ns,
		       struct tl_event *ev)
{
	const uint16_t owned = TL_EVENT_OWNER | TL_EVENT_LISTENER_OWNER;
	bool listen = ev->old_state == TL_CLOSE && ev->new_state == TL_LISTEN;
	bool made = ev->old_state == TL_LISTEN && ev->new_state != TL_CLOSE;
	bool start =
		listen || made ||
		(ev->old_state == TL_CLOSE && ev->new_state == TL_SYN_SENT);
	struct sk_ent *e = find(t, ev->key);

	/*
	 * A socket starting: nothing of what is at its address is its own.
	 * (A socket that connects again after a failed connect() starts
	 * again too: its time in CLOSE is not told.)
	 */
	if (e && start) {
		uint64_t key = e->key;

		memset(e, 0, sizeof(*e));
		e->key = key;
	}
	if (!e && ev->new_state != TL_CLOSE)
		e = insert(t, ev->key);
	if (e && e->ts_ns) {
		if (!(ev->flags & TL_EVENT_HAS_MS) && ts_ns >= e->ts_ns) {
			ev->ms_in_old = (ts_ns - e->ts_ns) / 1000000;
			ev->flags |= TL_EVENT_HAS_MS;
		}
		if (ev->sport == 0)
			ev->sport = e->sport;
	}
	if (ev->flags & owned) {
		if (e) {
			e->kind = ev->flags & TL_EVENT_OWNER ?
					  TL_EVENT_OWNER :
					  TL_EVENT_LISTENER_OWNER;
			e->pid = ev->pid;
			memcpy(e->comm, ev->comm, sizeof(e->comm));
		}
	} else if (e && e->kind) {
		give(ev, e->kind, e->pid, e->comm);
	} else if (made) {
		const struct lsn *l = find_lsn(t, ev);

		if (l && l->has_owner) {
			uint16_t kind = TL_EVENT_LISTENER_OWNER;

			if (any_addr(l->addr))
				kind |= TL_EVENT_LISTENER_ANY;
			give(ev, kind, l->pid, l->comm);
			if (e) {
				e->kind = kind;
				e->pid = l->pid;
				memcpy(e->comm, l->comm, sizeof(e->comm));
			}
		}
	}
	if (listen)
		lsn_add(t, ev);
	else if (ev->old_state == TL_LISTEN && ev->new_state == TL_CLOSE)
		lsn_forget(t, ev->key);
	if (!e)
		return;
	if (ev->new_state == TL_CLOSE) {
		erase(t, e);
		return;
	}
	e->ts_ns = ts_ns;
	e->sport = ev->sport;
}
