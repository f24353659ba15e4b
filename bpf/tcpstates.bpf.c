// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Every TCP state change, from inet_sock_set_state, into a ring buffer.
 * Two entry points share one handler: tp_btf (typed arguments, the
 * preferred one) and the classic tracepoint (a fallback for kernels whose
 * BTF tracepoints cannot be attached). Both are in the object; user space
 * loads one of them.
 *
 * The task that runs here is whoever triggered the change (often the peer,
 * a timer or swapper), so this program records no pid: user space names
 * the owner from the socket's inode.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "tcpstates.h"

#define AF_INET 2
#define AF_INET6 10
#define TCP_CLOSE 7

/* The network namespace to report, by inode; 0 reports all of them. */
const volatile __u32 target_netns = 0;

/* Records that found the ring buffer full; user space reports them. */
__u64 lost = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

/* What is remembered of a socket between two of its changes. */
struct seen {
	__u64 ts_ns; /* when it last changed state */
	__u16 sport; /* its local port then */
};

/*
 * Each socket's last change, to tell how long it stayed in a state. LRU so
 * that sockets whose CLOSE we missed cannot fill it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct seen);
} since SEC(".maps");

static __always_inline int handle(const struct sock *sk, int oldstate,
				  int newstate)
{
	struct seen *prev, cur = {};
	struct tl_bpf_event *e;
	struct socket *sock;
	__u64 now, key;
	__u32 netns;
	__u16 family;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	if (target_netns && netns != target_netns)
		return 0;

	now = bpf_ktime_get_ns();
	key = (__u64)sk;
	cur.ts_ns = now;
	cur.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	prev = bpf_map_lookup_elem(&since, &key);
	/*
	 * Going to CLOSE, the kernel releases an automatic port before the
	 * tracepoint fires: report the port the socket had.
	 */
	if (cur.sport == 0 && prev)
		cur.sport = prev->sport;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost, 1);
		goto track;
	}
	e->ts_ns = now;
	e->skaddr = key;
	e->netns = netns;
	e->family = family;
	e->oldstate = oldstate;
	e->newstate = newstate;
	e->flags = 0;
	e->delta_ns = 0;
	if (prev) {
		e->delta_ns = now - prev->ts_ns;
		e->flags |= TL_BPF_HAS_DELTA;
	}
	e->sport = cur.sport;
	e->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	__builtin_memset(e->saddr, 0, sizeof(e->saddr));
	__builtin_memset(e->daddr, 0, sizeof(e->daddr));
	/* Explicit sizes: the destinations are arrays, not scalars. */
	if (family == AF_INET) {
		bpf_core_read(e->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(e->daddr, 4, &sk->__sk_common.skc_daddr);
	} else {
		bpf_core_read(e->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(e->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	e->inode = 0;
	sock = BPF_CORE_READ(sk, sk_socket);
	if (sock)
		e->inode = BPF_CORE_READ((struct socket_alloc *)sock,
					 vfs_inode.i_ino);
	else
		e->flags |= TL_BPF_NO_SOCKET;
	if (BPF_CORE_READ(sk, __sk_common.skc_flags) & (1UL << SOCK_DEAD))
		e->flags |= TL_BPF_DEAD;
	bpf_ringbuf_submit(e, 0);
track:
	if (newstate == TCP_CLOSE)
		bpf_map_delete_elem(&since, &key);
	else
		bpf_map_update_elem(&since, &key, &cur, BPF_ANY);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tl_state_btf, const struct sock *sk, const int oldstate,
	     const int newstate)
{
	return handle(sk, oldstate, newstate);
}

SEC("tracepoint/sock/inet_sock_set_state")
int tl_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	return handle((const struct sock *)ctx->skaddr, ctx->oldstate,
		      ctx->newstate);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
