// SPDX-License-Identifier: MIT
/*
 * ls's two ways of printing a socket. JSON is built with our own number
 * formatting in a buffer per object, because ls prints hundreds of
 * thousands of objects and stdio's per-call cost would dominate.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "output.h"

const char *out_addr(char *buf, size_t size, int family, const uint8_t *addr)
{
	/*
	 * glibc formats IPv4 with sprintf, which shows up in ls's profile:
	 * the dotted quad is simple enough to write here.
	 */
	if (family == AF_INET && size >= INET_ADDRSTRLEN) {
		char *p = buf;

		for (int i = 0; i < 4; i++) {
			unsigned v = addr[i];

			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
			*p++ = i < 3 ? '.' : '\0';
		}
		return buf;
	}
	if (!inet_ntop(family, addr, buf, (socklen_t)size))
		snprintf(buf, size, "?");
	return buf;
}

/*
 * A socket's JSON object is built in a small buffer and handed to stdio
 * in one call: one fwrite per object instead of dozens of stdio calls.
 */
struct wb {
	FILE *f;
	size_t n;
	char b[4096];
};

static void wb_flush(struct wb *w)
{
	if (w->n)
		fwrite_unlocked(w->b, 1, w->n, w->f);
	w->n = 0;
}

static void put_mem(struct wb *w, const char *s, size_t len)
{
	if (len > sizeof(w->b) - w->n) {
		wb_flush(w);
		if (len > sizeof(w->b)) {
			fwrite_unlocked(s, 1, len, w->f);
			return;
		}
	}
	memcpy(w->b + w->n, s, len);
	w->n += len;
}

static void put_c(struct wb *w, char c)
{
	if (w->n == sizeof(w->b))
		wb_flush(w);
	w->b[w->n++] = c;
}

static void put_s(struct wb *w, const char *s)
{
	put_mem(w, s, strlen(s));
}

static void put_u(struct wb *w, uint64_t v)
{
	char buf[24];
	char *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put_mem(w, p, (size_t)(buf + sizeof(buf) - p));
}

static void put_i(struct wb *w, int64_t v)
{
	if (v < 0) {
		put_c(w, '-');
		put_u(w, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u(w, (uint64_t)v);
	}
}

static void json_string(struct wb *f, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	put_c(f, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			put_s(f, "\\\"");
			break;
		case '\\':
			put_s(f, "\\\\");
			break;
		case '\n':
			put_s(f, "\\n");
			break;
		case '\t':
			put_s(f, "\\t");
			break;
		case '\r':
			put_s(f, "\\r");
			break;
		default:
			/*
			 * Control bytes are escaped; other bytes pass as they
			 * are, since a comm is arbitrary bytes and we cannot
			 * know its encoding.
			 */
			if (*p < 0x20 || *p == 0x7f) {
				put_s(f, "\\u00");
				put_c(f, hex[*p >> 4]);
				put_c(f, hex[*p & 15]);
			} else {
				put_c(f, (char)*p);
			}
		}
	}
	put_c(f, '"');
}

/* A key, with its comma unless it is the object's first. */
/*
 * A key with its quotes and colon, and its comma unless it is the object's
 * first; k must be a string literal, so its length is known at build time.
 */
#define key(w, k, first)                                                \
	((first) ? put_mem(w, "\"" k "\":", sizeof("\"" k "\":") - 1) : \
		   put_mem(w, ",\"" k "\":", sizeof(",\"" k "\":") - 1))

static void owners_json(struct wb *f, const struct tl_owners *o,
			const struct tl_fdref *refs, size_t n)
{
	put_c(f, '[');
	for (size_t i = 0; i < n; i++) {
		const struct tl_proc *p = &o->procs[refs[i].proc];

		if (i)
			put_c(f, ',');
		put_c(f, '{');
		key(f, "pid", true);
		put_i(f, p->pid);
		key(f, "comm", false);
		json_string(f, p->comm);
		key(f, "fd", false);
		put_i(f, refs[i].fd);
		put_c(f, '}');
	}
	put_c(f, ']');
}

static const char *const timer_names[] = { "off", "on", "keepalive", "timewait",
					   "persist" };

static void sock_json(struct wb *f, const struct tl_snapshot *snap,
		      const struct tl_sock *sk)
{
	char a[TL_ADDR_STR_MAX];
	const struct tl_fdref *refs;
	const struct tl_sock *l = tl_snapshot_listener(snap, sk);
	const char *state = tl_state_name(sk->state);
	const char *limbo = tl_limbo_name(sk->limbo);
	size_t n;

	put_s(f, "{\"family\":");
	put_s(f, sk->family == AF_INET ? "\"inet\"" : "\"inet6\"");
	key(f, "state", false);
	if (state)
		json_string(f, state);
	else
		put_s(f, "null");
	key(f, "local_addr", false);
	json_string(f, out_addr(a, sizeof(a), sk->family, sk->src));
	key(f, "local_port", false);
	put_u(f, sk->sport);
	key(f, "remote_addr", false);
	json_string(f, out_addr(a, sizeof(a), sk->family, sk->dst));
	key(f, "remote_port", false);
	put_u(f, sk->dport);
	key(f, "recv_q", false);
	put_u(f, sk->rqueue);
	key(f, "send_q", false);
	put_u(f, sk->wqueue);
	key(f, "inode", false);
	put_u(f, sk->inode);
	key(f, "uid", false);
	put_u(f, sk->uid);
	key(f, "cookie", false);
	put_u(f, sk->cookie);
	key(f, "timer", false);
	if (sk->timer < sizeof(timer_names) / sizeof(timer_names[0]))
		json_string(f, timer_names[sk->timer]);
	else
		put_s(f, "null");
	key(f, "timer_ms", false);
	put_u(f, sk->timer_ms);
	key(f, "timer_retries", false);
	put_u(f, sk->retrans);
	key(f, "shutdown", false);
	if (sk->has & TL_HAS_SHUTDOWN)
		put_u(f, sk->shutdown);
	else
		put_s(f, "null");
	key(f, "drops", false);
	if (sk->has & TL_HAS_MEMINFO)
		put_u(f, sk->drops);
	else
		put_s(f, "null");
	key(f, "tcp_info", false);
	if (sk->has & TL_HAS_INFO) {
		put_c(f, '{');
		key(f, "rtt_us", true);
		put_u(f, sk->rtt_us);
		key(f, "rttvar_us", false);
		put_u(f, sk->rttvar_us);
		key(f, "retransmits", false);
		put_u(f, sk->retransmits);
		key(f, "total_retrans", false);
		put_u(f, sk->total_retrans);
		key(f, "last_data_sent_ms", false);
		put_u(f, sk->last_data_sent_ms);
		key(f, "last_data_recv_ms", false);
		put_u(f, sk->last_data_recv_ms);
		key(f, "last_ack_recv_ms", false);
		put_u(f, sk->last_ack_recv_ms);
		key(f, "bytes_received", false);
		put_u(f, sk->bytes_received);
		key(f, "bytes_acked", false);
		put_u(f, sk->bytes_acked);
		put_c(f, '}');
	} else {
		put_s(f, "null");
	}
	key(f, "owners", false);
	n = tl_snapshot_owners(snap, sk, &refs);
	owners_json(f, snap->owners, refs, n);
	key(f, "limbo", false);
	if (limbo)
		json_string(f, limbo);
	else
		put_s(f, "null");
	key(f, "listener", false);
	if (l) {
		put_c(f, '{');
		key(f, "local_addr", true);
		json_string(f, out_addr(a, sizeof(a), l->family, l->src));
		key(f, "local_port", false);
		put_u(f, l->sport);
		key(f, "inode", false);
		put_u(f, l->inode);
		put_c(f, '}');
	} else {
		put_s(f, "null");
	}
	key(f, "listener_owners", false);
	if (l) {
		n = tl_snapshot_owners(snap, l, &refs);
		owners_json(f, snap->owners, refs, n);
	} else {
		put_s(f, "null");
	}
	put_c(f, '}');
}

void out_json_string(FILE *f, const char *s)
{
	struct wb w = { .f = f };

	json_string(&w, s);
	wb_flush(&w);
}

void out_owners_json(FILE *f, const struct tl_owners *o,
		     const struct tl_fdref *refs, size_t n)
{
	struct wb w = { .f = f };

	owners_json(&w, o, refs, n);
	wb_flush(&w);
}

void out_sock_json(FILE *f, const struct tl_snapshot *snap,
		   const struct tl_sock *sk)
{
	struct wb w = { .f = f };

	sock_json(&w, snap, sk);
	wb_flush(&w);
}

void out_json_kv(FILE *f, const char *key, const char *val, bool first)
{
	fprintf(f, "%s\"%s\":", first ? "" : ",", key);
	if (val)
		out_json_string(f, val);
	else
		fputs("null", f);
}

void out_wrap(FILE *f, int col, int indent, const char *text)
{
	const char *p = text;

	while (*p) {
		const char *sp = strchr(p, ' ');
		int wl = sp ? (int)(sp - p) : (int)strlen(p);

		if (col > indent && col + 1 + wl > 78) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, (size_t)wl, f);
		col += wl;
		p += wl;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

void out_table_header(FILE *f)
{
	fprintf(f, "%-12s %6s %6s %-28s %-28s %s\n", "State", "Recv-Q",
		"Send-Q", "Local Address:Port", "Peer Address:Port", "Owner");
}

const char *out_addr_port(char *buf, size_t size, int family,
			  const uint8_t *addr, uint16_t port)
{
	char a[TL_ADDR_STR_MAX];

	out_addr(a, sizeof(a), family, addr);
	if (family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", a, port);
	else
		snprintf(buf, size, "%s:%u", a, port);
	return buf;
}

static int owner_of(char *buf, size_t size, const struct tl_snapshot *snap,
		    const struct tl_sock *sk)
{
	const struct tl_fdref *r;
	size_t n = tl_snapshot_owners(snap, sk, &r);
	const struct tl_proc *p;

	if (n == 0)
		return 0;
	p = &snap->owners->procs[r[0].proc];
	if (n > 1)
		snprintf(buf, size, "%d/%s fd %d +%zu", (int)p->pid, p->comm,
			 r[0].fd, n - 1);
	else
		snprintf(buf, size, "%d/%s fd %d", (int)p->pid, p->comm,
			 r[0].fd);
	return 1;
}

const char *out_owner_text(char *buf, size_t size,
			   const struct tl_snapshot *snap,
			   const struct tl_sock *sk)
{
	const struct tl_sock *l = tl_snapshot_listener(snap, sk);
	char lo[TL_COMM_MAX + 48];

	if (owner_of(buf, size, snap, sk))
		return buf;
	switch (sk->limbo) {
	case TL_LIMBO_ACCEPT_QUEUE:
		if (l && owner_of(lo, sizeof(lo), snap, l))
			snprintf(buf, size, "[accept-queue of %s]", lo);
		else
			snprintf(buf, size, "[accept-queue]");
		break;
	case TL_LIMBO_ORPHAN:
		snprintf(buf, size, "[orphan]");
		break;
	case TL_LIMBO_TIMEWAIT:
		snprintf(buf, size, "[timewait]");
		break;
	default:
		if (l && owner_of(lo, sizeof(lo), snap, l))
			snprintf(buf, size, "[syn-queue of %s]", lo);
		else
			snprintf(buf, size, "-");
	}
	return buf;
}

void out_sock_row(FILE *f, const struct tl_snapshot *snap,
		  const struct tl_sock *sk)
{
	char src[TL_ADDR_STR_MAX + 8], dst[TL_ADDR_STR_MAX + 8];
	char owner[2 * TL_COMM_MAX + 64];
	const char *state = tl_state_name_upper(sk->state);

	fprintf(f, "%-12s %6u %6u %-28s %-28s %s\n", state ? state : "?",
		sk->rqueue, sk->wqueue,
		out_addr_port(src, sizeof(src), sk->family, sk->src, sk->sport),
		out_addr_port(dst, sizeof(dst), sk->family, sk->dst, sk->dport),
		out_owner_text(owner, sizeof(owner), snap, sk));
}
