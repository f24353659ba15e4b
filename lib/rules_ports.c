// SPDX-License-Identifier: MIT
/*
 * The rules about the host's ports and orphans: ephemeral ports and
 * TIME-WAIT buckets running out (time-wait-pressure), and orphaned
 * sockets against tcp_max_orphans (orphan-pressure).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diagnose_int.h"
#include "internal.h"
#include "tcplimbo/diagnose.h"

static int cmp_sockp(const void *a, const void *b)
{
	const struct tl_sock *x = *(const struct tl_sock *const *)a;
	const struct tl_sock *y = *(const struct tl_sock *const *)b;
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	c = memcmp(x->src, y->src, 16);
	if (c)
		return c;
	c = memcmp(x->dst, y->dst, 16);
	if (c)
		return c;
	if (x->dport != y->dport)
		return x->dport < y->dport ? -1 : 1;
	return 0;
}

/* 127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into IPv6. */
static bool is_loopback(uint8_t family, const uint8_t *a)
{
	static const uint8_t v6_lo[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (family == AF_INET)
		return a[0] == 127;
	return memcmp(a, v6_lo, 16) == 0 ||
	       (memcmp(a, mapped, 12) == 0 && a[12] == 127);
}

/*
 * A TIME-WAIT entry connect() may take over (tcp_twsk_unique): with
 * net.ipv4.tcp_tw_reuse 1, or 2 and a loopback address on either side,
 * when timestamps are on and the entry is over a second old (its 60 s
 * timer has under 59 s left). It holds no port against new connections.
 */
static bool tw_reusable(const struct tl_counters *ctr, const struct tl_sock *sk)
{
	if (sk->state != TL_TIME_WAIT || !(ctr->have & TL_CTR_TW_REUSE) ||
	    !ctr->timestamps || sk->timer_ms > 59000)
		return false;
	return ctr->tw_reuse == 1 ||
	       (ctr->tw_reuse == 2 && (is_loopback(sk->family, sk->src) ||
				       is_loopback(sk->family, sk->dst)));
}

/*
 * time-wait-pressure: local ports of the ephemeral range in use towards
 * one destination (same local address), against the size of the range.
 * TIME-WAIT entries connect() may reuse are not counted as taken.
 */
int tli_diag_rule_time_wait(struct diag *d)
{
	const struct tl_snapshot *snap = d->snap;
	const struct tl_counters *ctr = d->ctr;
	const struct tl_diag_opts *o = d->o;
	const struct tl_sock **v = NULL;
	uint8_t *listening = NULL;
	uint64_t range, tw_total = 0;
	size_t nv = 0;
	char who[160], addr[80], dst[80];
	int r = 0;

	if (!ctr || !(ctr->have & TL_CTR_PORT_RANGE))
		goto buckets;
	range = ctr->port_hi - ctr->port_lo + 1;
	r = tli_diag_alloc_zero((void **)&v, snap->n_socks, sizeof(*v));
	if (r < 0)
		return r;
	listening = tli_diag_listening_ports(snap);
	if (!listening) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *sk = &snap->socks[i];

		if (sk->state == TL_LISTEN || sk->state == TL_NEW_SYN_RECV ||
		    sk->limbo == TL_LIMBO_ACCEPT_QUEUE)
			continue;
		if (sk->sport < ctr->port_lo || sk->sport > ctr->port_hi)
			continue;
		/* The server side of accepted connections uses no new port. */
		if (tli_diag_port_in(listening, sk->sport))
			continue;
		if (tw_reusable(ctr, sk))
			continue;
		v[nv++] = sk;
	}
	if (nv > 1)
		qsort(v, nv, sizeof(*v), cmp_sockp);
	for (size_t i = 0; i < nv;) {
		size_t j = i;
		uint64_t tw = 0;
		struct tl_finding *f;
		int sev;

		while (j < nv && cmp_sockp(&v[i], &v[j]) == 0) {
			if (v[j]->state == TL_TIME_WAIT)
				tw++;
			j++;
		}
		if ((j - i) * 100 < range * o->port_warn_pct || tw == 0) {
			i = j;
			continue;
		}
		sev = (j - i) * 100 >= range * o->port_crit_pct ?
			      TL_SEV_CRITICAL :
			      TL_SEV_WARNING;
		f = tli_diag_add(d, TL_FIND_TIME_WAIT_PRESSURE, sev);
		if (!f) {
			r = -ENOMEM;
			goto out;
		}
		for (size_t k = i; k < j; k++)
			tli_diag_add_owners(snap, f, v[k]);
		f->family = v[i]->family;
		memcpy(f->local_addr, v[i]->src, 16);
		memcpy(f->remote_addr, v[i]->dst, 16);
		f->remote_port = v[i]->dport;
		f->example = (uint32_t)(v[i] - snap->socks) + 1;
		f->count = j - i;
		f->value = tw;
		f->limit = range;
		tl_addr_format(addr, sizeof(addr), f->family, f->local_addr);
		tl_addr_format_port(dst, sizeof(dst), f->family, f->remote_addr,
				    f->remote_port);
		tli_diag_summary(
			f,
			"%llu of the %llu ephemeral ports from %s to %s are taken (%llu in TIME-WAIT)%s%s",
			(unsigned long long)(j - i), (unsigned long long)range,
			addr, dst, (unsigned long long)tw,
			f->n_pids ? ", connections by " : "",
			f->n_pids ? tli_diag_who_text(who, sizeof(who), d->snap,
						      f) :
				    "");
		i = j;
	}
buckets:
	for (size_t i = 0; i < snap->n_socks; i++)
		if (snap->socks[i].state == TL_TIME_WAIT)
			tw_total++;
	if (ctr && (ctr->have & TL_CTR_MAX_TW) && ctr->max_tw_buckets &&
	    tw_total * 100 >= ctr->max_tw_buckets * o->port_warn_pct) {
		struct tl_finding *f = tli_diag_add(
			d, TL_FIND_TIME_WAIT_PRESSURE,
			tw_total * 100 >=
					ctr->max_tw_buckets * o->port_crit_pct ?
				TL_SEV_CRITICAL :
				TL_SEV_WARNING);

		if (!f) {
			r = -ENOMEM;
			goto out;
		}
		f->count = tw_total;
		f->value = tw_total;
		f->limit = ctr->max_tw_buckets;
		tli_diag_summary(
			f,
			"%llu TIME-WAIT sockets of at most %llu (net.ipv4.tcp_max_tw_buckets); past it the kernel skips TIME-WAIT",
			(unsigned long long)tw_total,
			(unsigned long long)ctr->max_tw_buckets);
	}
out:
	free(listening);
	free(v);
	return r;
}

/* orphan-pressure: the kernel's orphan count against tcp_max_orphans. */
int tli_diag_rule_orphans(struct diag *d)
{
	const struct tl_snapshot *snap = d->snap;
	const struct tl_counters *ctr = d->ctr;
	const struct tl_diag_opts *o = d->o;
	struct tl_finding *f;
	uint64_t orphans;

	if (!ctr || !(ctr->have & TL_CTR_SOCKSTAT) ||
	    !(ctr->have & TL_CTR_MAX_ORPHANS) || ctr->max_orphans == 0)
		return 0;
	orphans = ctr->tcp_orphan;
	if (orphans * 100 < ctr->max_orphans * o->orphan_warn_pct)
		return 0;
	f = tli_diag_add(d, TL_FIND_ORPHAN_PRESSURE,
			 orphans * 100 >=
					 ctr->max_orphans * o->orphan_crit_pct ?
				 TL_SEV_CRITICAL :
				 TL_SEV_WARNING);
	if (!f)
		return -ENOMEM;
	f->count = 0;
	for (size_t i = 0; i < snap->n_socks; i++)
		if (snap->socks[i].limbo == TL_LIMBO_ORPHAN)
			f->count++;
	f->value = orphans;
	f->limit = ctr->max_orphans;
	tli_diag_summary(
		f,
		"%llu orphaned sockets of at most %llu (net.ipv4.tcp_max_orphans); %llu of them here",
		(unsigned long long)orphans,
		(unsigned long long)ctr->max_orphans,
		(unsigned long long)f->count);
	return 0;
}
