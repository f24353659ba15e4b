// SPDX-License-Identifier: MIT
/*
 * The two ways every command prints a socket: ls's table row and ls's
 * JSON object (through the JSON writer, json.h).
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "context.h"
#include "escape.h"
#include "output.h"

void out_owners_json(struct json *w, const struct tl_owners *o,
		     const struct tl_fdref *refs, size_t n)
{
	/* null where owners were not looked for (--no-owners, --replay). */
	if (!o) {
		json_null(w);
		return;
	}
	json_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		const struct tl_proc *p = &o->procs[refs[i].proc];

		json_obj_begin(w);
		json_kv_int(w, "pid", p->pid);
		json_kv_str(w, "comm", p->comm);
		json_kv_int(w, "fd", refs[i].fd);
		json_obj_end(w);
	}
	json_arr_end(w);
}

static const char *const timer_names[] = { "off", "on", "keepalive", "timewait",
					   "persist" };

const char *out_local_text(char *buf, size_t size,
			   const struct tl_snapshot *snap,
			   const struct tl_sock *sk)
{
	char dev[IF_NAMESIZE + 16], ifn[ESC_SIZE(IF_NAMESIZE + 16)] = "";
	const char *d = tl_snapshot_device(snap, sk->ifindex, dev, sizeof(dev));

	/* A device's name may hold control bytes. */
	if (d)
		esc_text(ifn, sizeof(ifn), d);
	return tl_addr_format_port_dev(buf, size, sk->family, sk->src,
				       sk->sport, ifn);
}

bool out_owners_complete(const struct tl_snapshot *snap,
			 const struct tl_sock *sk)
{
	return sk->inode == 0 ||
	       (snap->owners->n_denied == 0 && !snap->owners->hidden);
}

void out_sock_json(struct json *w, const struct tl_snapshot *snap,
		   const struct tl_sock *sk)
{
	char a[TL_ADDR_STR_MAX];
	const struct tl_fdref *refs;
	const struct tl_sock *l = tl_snapshot_listener(snap, sk);
	size_t n;

	json_obj_begin(w);
	json_kv_str(w, "family", sk->family == AF_INET ? "inet" : "inet6");
	json_kv_str(w, "state", tl_state_name(sk->state));
	json_kv_str(w, "local_addr",
		    tl_addr_format(a, sizeof(a), sk->family, sk->src));
	json_kv_uint(w, "local_port", sk->sport);
	/* The device it is bound to: a link-local address's scope. */
	json_key(w, "interface");
	if (sk->ifindex && tl_snapshot_ifname(snap, sk->ifindex))
		json_str(w, tl_snapshot_ifname(snap, sk->ifindex));
	else
		json_null(w);
	json_kv_uint(w, "ifindex", sk->ifindex);
	json_kv_str(w, "remote_addr",
		    tl_addr_format(a, sizeof(a), sk->family, sk->dst));
	json_kv_uint(w, "remote_port", sk->dport);
	json_kv_uint(w, "recv_q", sk->rqueue);
	json_kv_uint(w, "send_q", sk->wqueue);
	json_kv_uint(w, "inode", sk->inode);
	json_kv_uint(w, "uid", sk->uid);
	json_kv_uint(w, "cookie", sk->cookie);
	json_kv_str(w, "timer",
		    sk->timer < sizeof(timer_names) / sizeof(timer_names[0]) ?
			    timer_names[sk->timer] :
			    NULL);
	json_kv_uint(w, "timer_ms", sk->timer_ms);
	json_kv_uint(w, "timer_retries", sk->retrans);
	json_key(w, "shutdown");
	if (sk->has & TL_HAS_SHUTDOWN)
		json_uint(w, sk->shutdown);
	else
		json_null(w);
	json_key(w, "drops");
	if (sk->has & TL_HAS_MEMINFO)
		json_uint(w, sk->drops);
	else
		json_null(w);
	json_key(w, "tcp_info");
	if (sk->has & TL_HAS_INFO) {
		json_obj_begin(w);
		json_kv_uint(w, "rtt_us", sk->rtt_us);
		json_kv_uint(w, "rttvar_us", sk->rttvar_us);
		json_kv_uint(w, "retransmits", sk->retransmits);
		json_kv_uint(w, "total_retrans", sk->total_retrans);
		json_kv_uint(w, "last_data_sent_ms", sk->last_data_sent_ms);
		json_kv_uint(w, "last_data_recv_ms", sk->last_data_recv_ms);
		json_kv_uint(w, "last_ack_recv_ms", sk->last_ack_recv_ms);
		json_kv_uint(w, "bytes_received", sk->bytes_received);
		json_kv_uint(w, "bytes_acked", sk->bytes_acked);
		json_obj_end(w);
	} else {
		json_null(w);
	}
	json_key(w, "owners");
	n = tl_snapshot_owners(snap, sk, &refs);
	out_owners_json(w, snap->owners, refs, n);
	json_key(w, "owners_complete");
	if (snap->owners)
		json_bool(w, out_owners_complete(snap, sk));
	else
		json_null(w);
	json_kv_str(w, "limbo", tl_limbo_name(sk->limbo));
	json_key(w, "listener");
	if (l) {
		json_obj_begin(w);
		json_kv_str(w, "local_addr",
			    tl_addr_format(a, sizeof(a), l->family, l->src));
		json_kv_uint(w, "local_port", l->sport);
		json_kv_uint(w, "inode", l->inode);
		/* More than 1: one of that many SO_REUSEPORT queues. */
		json_kv_uint(w, "candidates", sk->n_listeners);
		json_obj_end(w);
	} else {
		json_null(w);
	}
	json_key(w, "listener_owners");
	if (l && snap->owners) {
		n = tl_snapshot_owners(snap, l, &refs);
		out_owners_json(w, snap->owners, refs, n);
	} else {
		json_null(w);
	}
	/* The listener's owners may be unread where its socket's need none. */
	json_key(w, "listener_owners_complete");
	if (l && snap->owners)
		json_bool(w, out_owners_complete(snap, l));
	else
		json_null(w);
	/* Where it lives: null when unknown or no map was attached. */
	if (sk->has & TL_HAS_CGROUP)
		ctx_json(w, tl_cgroups_path(snap->cgroups, sk->cgroup_id),
			 tl_cgroups_context(snap->cgroups, sk->cgroup_id));
	else
		ctx_json(w, NULL, NULL);
	json_obj_end(w);
}

void out_wrap(FILE *f, int col, int indent, const char *text)
{
	const char *p = text;

	while (*p) {
		const char *sp = strchr(p, ' ');
		size_t len = sp ? (size_t)(sp - p) : strlen(p);
		/* The columns it takes once escaped, not its bytes. */
		int wl = (int)esc_cols_len(p, len);

		if (col > indent && col + 1 + wl > 78) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		/* Texts quote comms, cmdlines and paths: escape them. */
		esc_fwrite(p, len, f);
		col += wl;
		p += len;
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

static int owner_of(char *buf, size_t size, const struct tl_snapshot *snap,
		    const struct tl_sock *sk)
{
	const struct tl_fdref *r;
	size_t n = tl_snapshot_owners(snap, sk, &r);
	const struct tl_proc *p;
	char comm[ESC_SIZE(TL_COMM_MAX)];

	if (n == 0)
		return 0;
	p = &snap->owners->procs[r[0].proc];
	/* Anyone can name a process: no control byte reaches the terminal. */
	esc_text(comm, sizeof(comm), p->comm);
	if (n > 1)
		snprintf(buf, size, "%d/%s fd %d +%zu", (int)p->pid, comm,
			 r[0].fd, n - 1);
	else
		snprintf(buf, size, "%d/%s fd %d", (int)p->pid, comm, r[0].fd);
	return 1;
}

const char *out_owner_text(char *buf, size_t size,
			   const struct tl_snapshot *snap,
			   const struct tl_sock *sk)
{
	const struct tl_sock *l = tl_snapshot_listener(snap, sk);
	const bool accept_q = sk->limbo == TL_LIMBO_ACCEPT_QUEUE;
	unsigned others = sk->n_listeners > 1 ? sk->n_listeners - 1u : 0;
	char lo[ESC_SIZE(TL_COMM_MAX) + 48];

	if (owner_of(buf, size, snap, sk))
		return buf;
	if (sk->limbo == TL_LIMBO_ORPHAN)
		snprintf(buf, size, "[orphan]");
	else if (sk->limbo == TL_LIMBO_TIMEWAIT)
		snprintf(buf, size, "[timewait]");
	else if (!l || !owner_of(lo, sizeof(lo), snap, l))
		snprintf(buf, size, "%s", accept_q ? "[accept-queue]" : "-");
	else if (others)
		/* SO_REUSEPORT: which of their queues holds it is not known. */
		snprintf(buf, size, "[%s of %s or %u other listener%s]",
			 accept_q ? "accept-queue" : "syn-queue", lo, others,
			 others == 1 ? "" : "s");
	else
		snprintf(buf, size, "[%s of %s]",
			 accept_q ? "accept-queue" : "syn-queue", lo);
	return buf;
}

void out_table_header_ctx(FILE *f)
{
	fprintf(f, "%-12s %6s %6s %-28s %-28s %-24s %s\n", "State", "Recv-Q",
		"Send-Q", "Local Address:Port", "Peer Address:Port", "Context",
		"Owner");
}

void out_sock_row_ctx(FILE *f, const struct tl_snapshot *snap,
		      const struct tl_sock *sk, const char *context)
{
	char src[OUT_LOCAL_TEXT_MAX], dst[TL_ADDR_STR_MAX + 8];
	char owner[OUT_OWNER_TEXT_MAX];
	const char *state = tl_state_name_upper(sk->state);

	fprintf(f, "%-12s %6u %6u %-28s %-28s ", state ? state : "?",
		sk->rqueue, sk->wqueue,
		out_local_text(src, sizeof(src), snap, sk),
		tl_addr_format_port(dst, sizeof(dst), sk->family, sk->dst,
				    sk->dport));
	if (context) {
		/* Padded by columns: a unit's name may be CJK or escaped. */
		esc_fput_col(context, 24, false, f);
		fputc(' ', f);
	}
	fprintf(f, "%s\n", out_owner_text(owner, sizeof(owner), snap, sk));
}

void out_sock_row(FILE *f, const struct tl_snapshot *snap,
		  const struct tl_sock *sk)
{
	out_sock_row_ctx(f, snap, sk, NULL);
}
