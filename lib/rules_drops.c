// SPDX-License-Identifier: MIT
/*
 * Whether a listener's drops go on, told by the other looks a run has:
 * a second dump of the namespace (doctor), or the counters the exporter
 * kept from its previous scan, with the namespace's ListenDrops beside
 * each: drops that ListenDrops does not count (TCP_DEFER_ACCEPT's) are
 * no full queue's.
 */
#include <stdlib.h>

#include "diagnose_int.h"
#include "tcplimbo/diagnose.h"

bool tli_diag_drops_grew(const struct tl_snapshot *later,
			 const struct tl_sock *L)
{
	for (size_t i = 0; i < later->n_socks; i++) {
		const struct tl_sock *M = &later->socks[i];

		if (M->state == TL_LISTEN && M->cookie == L->cookie)
			return (M->has & TL_HAS_MEMINFO) && M->drops > L->drops;
	}
	/* Closed meanwhile: its drops end with it. */
	return false;
}

static int seen_cmp(const void *key, const void *elem)
{
	uint64_t k = *(const uint64_t *)key;
	uint64_t c = ((const struct tl_drops_seen *)elem)->cookie;

	return k < c ? -1 : k > c;
}

/* Whether the namespace's ListenDrops read both times stood still. */
static bool ns_drops_stood(const struct tl_counters *ctr, bool has_before,
			   uint64_t before)
{
	return has_before && ctr && (ctr->have & TL_CTR_NETSTAT) &&
	       ctr->listen_drops <= before;
}

static const struct tl_drops_seen *seen_find(const struct tl_diag_opts *o,
					     uint64_t cookie)
{
	return bsearch(&cookie, o->drops_before, o->n_drops_before,
		       sizeof(struct tl_drops_seen), seen_cmp);
}

/*
 * The namespace's ListenDrops at the last scan, for a listener new since:
 * any other listener of the snapshot that scan saw carries it.
 */
static const struct tl_drops_seen *seen_ns(const struct tl_diag_opts *o,
					   const struct tl_snapshot *snap)
{
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_drops_seen *s;

		if (snap->socks[i].state == TL_LISTEN &&
		    (s = seen_find(o, snap->socks[i].cookie)) && s->has_ns)
			return s;
	}
	return NULL;
}

bool tli_diag_drops_go_on(const struct tl_diag_opts *o,
			  const struct tl_counters *ctr,
			  const struct tl_snapshot *snap,
			  const struct tl_sock *L)
{
	const struct tl_counters *later = o->drops_later_ctr;
	const struct tl_drops_seen *seen;

	if (o->drops_later && !tli_diag_drops_grew(o->drops_later, L))
		return false;
	if (o->drops_later && later && (later->have & TL_CTR_NETSTAT) &&
	    ns_drops_stood(later, ctr && (ctr->have & TL_CTR_NETSTAT),
			   ctr ? ctr->listen_drops : 0))
		return false;
	if (o->drops_first_look)
		return false;
	if (!o->drops_before)
		return true;
	seen = seen_find(o, L->cookie);
	/*
	 * Not there: it listens since, and its drops are all since, unless
	 * the namespace's ListenDrops stood meanwhile (a TCP_DEFER_ACCEPT
	 * listener restarted between scans).
	 */
	if (!seen)
		return !(seen = seen_ns(o, snap)) ||
		       !ns_drops_stood(ctr, true, seen->ns_drops);
	return L->drops > seen->drops &&
	       !ns_drops_stood(ctr, seen->has_ns, seen->ns_drops);
}
