// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Every TCP state change, from inet_sock_set_state, into a ring buffer.
 * Two entry points share one handler: tp_btf (typed arguments, the
 * preferred one) and the classic tracepoint (a fallback for kernels whose
 * BTF tracepoints cannot be attached). Both are in the object; user space
 * loads one of them.
 *
 * The task that runs here is whoever triggered the change (often the peer,
 * a timer or swapper), so its pid is not the owner's. The owner is known
 * at three moments, in the owner's own process: connect() (the CLOSE ->
 * SYN_SENT change), listen() (CLOSE -> LISTEN) and accept() (fexit on
 * inet_csk_accept); and the holder at a fourth, close() or shutdown() of
 * an open connection, which may be a child it was handed to after fork
 * (see closed_here). It is kept then in socket-local storage, freed with
 * the socket, and every later change of that socket carries it. A
 * connection still in an accept queue carries its listener's owner,
 * inherited with a copy of the listener's storage. Sockets that existed
 * before are named by user space from /proc. (The classic tracepoint has
 * no typed socket, so it records no owner.) When nothing is filtered here,
 * user space keeps all that instead, from the records (see store_all).
 *
 * watch's filters (states, ports, addresses) are applied here, before the
 * output, so unwanted changes never reach user space. Records go to a
 * perf buffer of the CPU the change ran on (user space puts them back in
 * time order), not to one BPF ring buffer: reserving in a ring shared by
 * every CPU takes its lock with interrupts off, and on a 2-CPU VM under a
 * 4-thread churn that alone was about 4 % of all CPU time (perf), and the
 * churn ran about 7 % faster with per-CPU buffers (bench/RESULTS.md).
 * User space sets the buffers to wake it only once a batch is waiting.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "tcpstates.h"

#define AF_INET 2
#define AF_INET6 10
#define TCP_CLOSE 7
#define TCP_SYN_SENT 2
#define TCP_LISTEN 10

/* A store the compiler makes once, as written: user space reads it. */
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))
#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))

/*
 * 1: keep each socket's owner and last change in its storage. 0 (watch
 * filters nothing here, so every change reaches user space in order):
 * user space follows them from the records (lib/sktrack.c), and storage is
 * made only for SO_REUSEPORT listeners, whose connections user space
 * could not tell apart by port; a socket that has storage (theirs, or one
 * the accept hook named) still carries it.
 */
const volatile __u8 store_all = 1;

/* The network namespace to report, by inode; 0 reports all of them. */
const volatile __u32 target_netns = 0;

/* Filters; 0 of a kind means no filter of that kind. */
const volatile __u32 filter_states = 0; /* 1 << state, old or new */
const volatile __u32 n_sports = 0;
const volatile __u32 n_dports = 0;
const volatile __u32 n_addrs = 0;
const volatile __u16 sports[TL_BPF_MAX_PORTS] = {};
const volatile __u16 dports[TL_BPF_MAX_PORTS] = {};
const volatile struct tl_bpf_addr addrs[TL_BPF_MAX_ADDRS] = {};
/* One perf buffer a CPU, made and sized by user space (watch --ring-size). */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

/*
 * Where a record is written before it is copied out: too big for the
 * stack next to the rest. Slot 0 is tl_state_btf's (or the tracepoint's),
 * slot 1 tl_state_nested's, which runs inside it on the same CPU.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct tl_bpf_event);
} scratch SEC(".maps");

/*
 * Records that found their CPU's buffer full. The kernel also writes a
 * count of them into the buffer, but only once a later record fits: after
 * the last change of a churn it never would.
 */
__u64 lost = 0;

/*
 * The time of the change each CPU's program is handling, 0 when none:
 * slot 0 for tl_state_btf (or the tracepoint), 1 for tl_state_nested. A
 * record is in its CPU's buffer only some time after the program took its
 * time, later still when an interrupt (or the hypervisor, taking the CPU
 * away) comes in between; user space reads these marks and holds back
 * every record later than one, so none of that CPU's can still come
 * before what it has handed over.
 */
__u64 inflight[TL_BPF_MAX_CPUS][TL_BPF_MARK_STRIDE]
	__attribute__((aligned(64))) = {};

/*
 * The target namespace's struct net, learned from the first change seen in
 * it, so that later changes compare a pointer instead of reading its inode
 * number. That number shares a cache line with the namespace's reference
 * count, which every socket made or freed in the namespace writes: under
 * churn reading it missed the cache nearly every time, and was half of the
 * program's own time (perf). User space holds the namespace open while the
 * program is loaded, so its struct net stays allocated and its address
 * names no other namespace. A cache line of its own, read by every CPU.
 */
struct {
	__u64 ptr;
	__u64 pad[7];
} target_net __attribute__((aligned(64))) = {};

/* Each socket's owner, freed with the socket; accept.bpf.c shares it. */
TL_BPF_OWNERS_MAP;

/* What is remembered of a socket between two of its changes. */
struct seen {
	__u64 ts_ns; /* when it last changed state */
	__u16 sport; /* its local port then */
};

/*
 * Each socket's last change, to tell how long it stayed in a state, for
 * the classic tracepoint (the typed entry point keeps it in the socket's
 * storage, which costs no hash update). LRU so that sockets whose CLOSE
 * we missed cannot fill it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct seen);
} since SEC(".maps");

static __always_inline bool port_ok(const volatile __u16 *list, __u32 n,
				    __u16 port)
{
	if (!n)
		return true;
	for (__u32 i = 0; i < TL_BPF_MAX_PORTS; i++) {
		if (i >= n)
			break;
		if (list[i] == port)
			return true;
	}
	return false;
}

static __always_inline bool bytes_eq(const volatile __u8 *a, const __u8 *b,
				     int n)
{
	for (int i = 0; i < 16; i++) {
		if (i >= n)
			break;
		if (a[i] != b[i])
			return false;
	}
	return true;
}

/* As watch's --addr: the same family, or an IPv4 filter on a v4-mapped
 * IPv6 address. */
static __always_inline bool addr_match(const volatile struct tl_bpf_addr *f,
				       __u16 family, const __u8 *a)
{
	static const __u8 mapped[12] = { 0, 0, 0, 0, 0,	   0,
					 0, 0, 0, 0, 0xff, 0xff };

	if (f->family == family)
		return bytes_eq(f->a, a, family == AF_INET ? 4 : 16);
	if (f->family == AF_INET && family == AF_INET6) {
		for (int i = 0; i < 12; i++)
			if (a[i] != mapped[i])
				return false;
		return bytes_eq(f->a, a + 12, 4);
	}
	return false;
}

static __always_inline bool addr_ok(__u16 family, const __u8 *src,
				    const __u8 *dst)
{
	if (!n_addrs)
		return true;
	for (__u32 i = 0; i < TL_BPF_MAX_ADDRS; i++) {
		if (i >= n_addrs)
			break;
		if (addr_match(&addrs[i], family, src) ||
		    addr_match(&addrs[i], family, dst))
			return true;
	}
	return false;
}

/* task_struct's PF_KTHREAD: a kernel thread holds no fd of a process. */
#define PF_KTHREAD 0x00200000

static __always_inline bool in_kthread(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, flags) & PF_KTHREAD;
}

/*
 * close() and shutdown() change an open connection's state in the process
 * that calls them, which holds it: the last fd's close runs in the task
 * that closed it. The holder may not be who made it: a child that
 * inherited it after fork while the parent closed its own fd. (A kernel
 * thread does it for a socket the kernel holds, as MPTCP's subflows.)
 */
static __always_inline bool closed_here(int oldstate, int newstate)
{
	if (!((oldstate == TCP_ESTABLISHED && newstate == TCP_FIN_WAIT1) ||
	      (oldstate == TCP_SYN_RECV && newstate == TCP_FIN_WAIT1) ||
	      (oldstate == TCP_CLOSE_WAIT && newstate == TCP_LAST_ACK)))
		return false;
	return !in_kthread();
}

/*
 * Whether the current process descends from pid, within a few
 * generations: a child or grandchild of the recorded owner that inherited
 * the connection (a pre-forked worker, a server inetd started).
 */
static __always_inline bool descends_from(__u32 pid)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	for (int i = 0; i < 4; i++) {
		t = BPF_CORE_READ(t, real_parent);
		if (!t)
			return false;
		if ((__u32)BPF_CORE_READ(t, tgid) == pid)
			return true;
	}
	return false;
}

/*
 * The owner of sk (typed: tp_btf only). In the owner's own process at
 * connect() and listen(), and in the holder's at close() or shutdown(),
 * record it; otherwise look it up. A kernel thread that connects (MPTCP's
 * path manager opening a subflow from its workqueue) is no owner: the
 * subflow's fd is its MPTCP socket's, which user space finds in /proc.
 */
static __always_inline __u8 owner_of(struct tl_bpf_sk *st, int oldstate,
				     int newstate, struct tl_bpf_owner *out)
{
	bool start = oldstate == TCP_CLOSE &&
		     (newstate == TCP_SYN_SENT || newstate == TCP_LISTEN);

	if (start && st)
		st->listening = newstate == TCP_LISTEN;
	if ((start && !in_kthread()) || closed_here(oldstate, newstate)) {
		TL_BPF_CURRENT_OWNER(out);
		/*
		 * The last reference to a socket's file may be dropped by
		 * whoever held it last for a moment: a reader of
		 * /proc/PID/fd (ss -p, lsof, our own scans) as the holder
		 * closed it. The close then runs in the reader. Such a
		 * process is no descendant of the recorded owner, which
		 * stays the owner.
		 */
		if (!start && st && st->has_owner &&
		    st->owner.pid != out->pid &&
		    !descends_from(st->owner.pid)) {
			*out = st->owner;
			return TL_BPF_OWNER;
		}
		if (st) {
			st->owner = *out;
			st->has_owner = 1;
		}
		return TL_BPF_OWNER;
	}
	/* LISTEN -> SYN_RECV is a request socket's first step, not the
	 * listener's: only CLOSE ends the listener. */
	if (oldstate == TCP_LISTEN && newstate == TCP_CLOSE && st)
		st->listening = 0;
	if (st && st->has_owner) {
		*out = st->owner;
		return TL_BPF_OWNER;
	}
	/*
	 * No owner recorded: queued in an accept queue, or accepted where
	 * the accept hook could not be attached (kernels that refuse
	 * fexit). Its listener's owner, copied from the listener's storage
	 * when the kernel made the connection (see handle), is the best
	 * name known here; it stays with the connection when the listener
	 * closes before the kernel resets what is left in its queue. A
	 * listener from before watch started has none: user space names
	 * those from /proc.
	 */
	if (st && st->has_lowner) {
		*out = st->lowner;
		return TL_BPF_LISTENER_OWNER;
	}
	return 0;
}

/*
 * A field of sk, by a path with no pointer in it. The typed entry point
 * reads it with a plain load: its sk is a pointer the verifier knows the
 * type of, and each such load is made fault-safe. The classic one has
 * only an address and needs bpf_probe_read_kernel, a helper call a
 * field, several times the cost (it was a third of the program's time).
 */
#define SK_FIELD(typed, sk, path) \
	((typed) ? (sk)->path : BPF_CORE_READ(sk, path))

/* n bytes of sk's field at path, into the array dst (as SK_FIELD). */
#define SK_BYTES(typed, dst, n, sk, path)                      \
	do {                                                   \
		if (typed)                                     \
			__builtin_memcpy(dst, &(sk)->path, n); \
		else                                           \
			bpf_core_read(dst, n, &(sk)->path);    \
	} while (0)

/*
 * The kernel never reports a change into TIME_WAIT: tcp_time_wait() makes
 * the TIME-WAIT entry and the socket goes to CLOSE. That change (the
 * peer's FIN in FIN_WAIT2, or CLOSING's last ACK, without a reset) is the
 * connection entering TIME-WAIT, and a time-wait filter keeps it.
 */
static __always_inline bool enters_time_wait(int oldstate, int newstate,
					     __u8 flags)
{
	return newstate == TCP_CLOSE && !(flags & TL_BPF_ERROR) &&
	       ((oldstate == TCP_FIN_WAIT2 && (flags & TL_BPF_PEER_FIN)) ||
		oldstate == TCP_CLOSING);
}

static __always_inline int handle(void *ctx, struct sock *sk, int oldstate,
				  int newstate, bool typed, __u32 slot)
{
	struct seen *prev = 0, cur = {}, last;
	struct tl_bpf_sk *st = 0;
	struct tl_bpf_owner owner = {};
	struct tl_bpf_event *e;
	struct socket *sock;
	struct net *net;
	__u8 saddr[16] = {}, daddr[16] = {};
	__u64 now, key;
	__u32 netns, cpu;
	__u16 family, dport;
	__u8 flags = 0;

	if (SK_FIELD(typed, sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	family = SK_FIELD(typed, sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	net = SK_FIELD(typed, sk, __sk_common.skc_net.net);
	if (target_netns && (__u64)net == READ_ONCE(target_net.ptr)) {
		netns = target_netns;
	} else {
		netns = typed ? net->ns.inum : BPF_CORE_READ(net, ns.inum);
		if (target_netns && netns != target_netns)
			return 0;
		if (target_netns)
			WRITE_ONCE(target_net.ptr, (__u64)net);
	}

	now = bpf_ktime_get_ns();
	/* Marked before anything else; cleared after the record is out. */
	cpu = bpf_get_smp_processor_id();
	if (cpu < TL_BPF_MAX_CPUS)
		WRITE_ONCE(inflight[cpu][slot & 1], now);
	key = (__u64)sk;
	cur.ts_ns = now;
	cur.sport = SK_FIELD(typed, sk, __sk_common.skc_num);
	/*
	 * The typed entry point keeps a socket's last change in its storage
	 * (none for request sockets, which change once); the tracepoint,
	 * whose socket is untyped, in an LRU map by address.
	 */
	if (typed) {
		__u64 create = BPF_SK_STORAGE_GET_F_CREATE;

		if (!store_all &&
		    !(oldstate == TCP_CLOSE && newstate == TCP_LISTEN &&
		      BPF_CORE_READ_BITFIELD(&sk->__sk_common, skc_reuseport)))
			create = 0;
		st = bpf_sk_storage_get(&owners, sk, 0, create);
		/*
		 * A connection's first change we see (LISTEN -> SYN_RECV,
		 * unless that one was skipped), in storage cloned from its
		 * listener (BPF_F_CLONE): the owner is its listener's, and the
		 * time is the listener's, not its own. A listener's own
		 * changes are listen() and its close.
		 */
		if (st && st->listening && newstate != TCP_LISTEN &&
		    !(oldstate == TCP_LISTEN && newstate == TCP_CLOSE)) {
			st->lowner = st->owner;
			st->has_lowner = 1;
			st->has_owner = 0;
			st->listening = 0;
			st->has_ts = 0;
		}
		if (st && st->has_ts) {
			last.ts_ns = st->ts_ns;
			last.sport = st->sport;
			prev = &last;
		}
	} else {
		prev = bpf_map_lookup_elem(&since, &key);
	}
	/*
	 * Going to CLOSE, the kernel releases an automatic port before the
	 * tracepoint fires: report the port the socket had. inet_sport keeps
	 * it (a refused connect() has no earlier change that knew it: its
	 * CLOSE -> SYN_SENT comes before the port is chosen); else the last
	 * change's.
	 */
	if (cur.sport == 0 && newstate == TCP_CLOSE)
		cur.sport = __builtin_bswap16(
			BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	if (cur.sport == 0 && prev)
		cur.sport = prev->sport;
	sock = SK_FIELD(typed, sk, sk_socket);
	if (!sock)
		flags |= TL_BPF_NO_SOCKET;
	if (SK_FIELD(typed, sk, __sk_common.skc_flags) & (1UL << SOCK_DEAD))
		flags |= TL_BPF_DEAD;
	/*
	 * What ends a FIN_WAIT2: a reset (sk_err), the peer's FIN (tcp_fin()
	 * marks the socket SOCK_DONE; TIME_WAIT follows), or neither:
	 * tcp_time_wait() hands a closed socket over to a timewait FIN-WAIT-2
	 * entry. (sk_shutdown cannot tell: close() sets all of it.) A
	 * CLOSING ends in TIME_WAIT too, but for a reset.
	 */
	if ((oldstate == TCP_FIN_WAIT2 || oldstate == TCP_CLOSING) &&
	    newstate == TCP_CLOSE) {
		if (SK_FIELD(typed, sk, __sk_common.skc_flags) &
		    (1UL << SOCK_DONE))
			flags |= TL_BPF_PEER_FIN;
		if (SK_FIELD(typed, sk, sk_err))
			flags |= TL_BPF_ERROR;
	}
	/* Owners are recorded even for changes the filters drop: a socket
	 * may pass them later. */
	if (typed)
		flags |= owner_of(st, oldstate, newstate, &owner);

	if (filter_states && !(filter_states & (1U << (newstate & 31))) &&
	    !(filter_states & (1U << (oldstate & 31))) &&
	    !((filter_states & (1U << TCP_TIME_WAIT)) &&
	      enters_time_wait(oldstate, newstate, flags)))
		goto track;
	dport = __builtin_bswap16(SK_FIELD(typed, sk, __sk_common.skc_dport));
	if (!port_ok(sports, n_sports, cur.sport) ||
	    !port_ok(dports, n_dports, dport))
		goto track;
	/* Explicit sizes: the destinations are arrays, not scalars. */
	if (family == AF_INET) {
		SK_BYTES(typed, saddr, 4, sk, __sk_common.skc_rcv_saddr);
		SK_BYTES(typed, daddr, 4, sk, __sk_common.skc_daddr);
	} else {
		SK_BYTES(typed, saddr, 16, sk, __sk_common.skc_v6_rcv_saddr);
		SK_BYTES(typed, daddr, 16, sk, __sk_common.skc_v6_daddr);
	}
	if (!addr_ok(family, saddr, daddr))
		goto track;

	e = bpf_map_lookup_elem(&scratch, &slot);
	if (!e)
		goto track;
	e->ts_ns = now;
	e->skaddr = key;
	e->netns = netns;
	e->family = family;
	e->oldstate = oldstate;
	e->newstate = newstate;
	e->flags = flags;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	e->early_ns = 0;
	if (slot == 1 && cpu < TL_BPF_MAX_CPUS) {
		__u64 outer = READ_ONCE(inflight[cpu][0]);

		if (outer && outer < now)
			e->early_ns = now - outer > 0xffffffffULL ?
					      0xffffffffU :
					      (__u32)(now - outer);
	}
	e->delta_ns = 0;
	if (prev) {
		e->delta_ns = now - prev->ts_ns;
		e->flags |= TL_BPF_HAS_DELTA;
	}
	e->sport = cur.sport;
	e->dport = dport;
	__builtin_memcpy(e->saddr, saddr, sizeof(saddr));
	__builtin_memcpy(e->daddr, daddr, sizeof(daddr));
	e->inode = 0;
	if (sock)
		e->inode = BPF_CORE_READ((struct socket_alloc *)sock,
					 vfs_inode.i_ino);
	e->owner = owner;
	if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, e,
				  sizeof(*e)) < 0)
		__sync_fetch_and_add(&lost, 1);
track:
	if (typed) {
		if (st) {
			st->ts_ns = cur.ts_ns;
			st->sport = cur.sport;
			st->has_ts = 1;
		}
	} else if (newstate == TCP_CLOSE) {
		bpf_map_delete_elem(&since, &key);
	} else {
		bpf_map_update_elem(&since, &key, &cur, BPF_ANY);
	}
	if (cpu < TL_BPF_MAX_CPUS)
		WRITE_ONCE(inflight[cpu][slot & 1], 0);
	return 0;
}

/*
 * The kernel runs a program once at a time on a CPU: a change that comes
 * while tl_state_btf runs (network processing in an interrupt that arrived
 * during it, common on loopback under churn) is skipped for it and
 * counted in its recursion_misses. tl_state_nested, attached to the same
 * tracepoint, sees every change too and handles only those, which it
 * tells by the flag tl_state_btf keeps up while it runs. Softirqs do not
 * nest, so the two are never both busy but in a hard interrupt's change,
 * which TCP does not make. nested counts what it handled: user space
 * takes it from tl_state_btf's misses to tell what was really missed.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} running SEC(".maps");

__u64 nested = 0;

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tl_state_btf, struct sock *sk, const int oldstate,
	     const int newstate)
{
	__u32 k = 0, *busy = bpf_map_lookup_elem(&running, &k);

	if (busy)
		*busy = 1;
	handle(ctx, sk, oldstate, newstate, true, 0);
	if (busy)
		*busy = 0;
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tl_state_nested, struct sock *sk, const int oldstate,
	     const int newstate)
{
	__u32 k = 0, *busy = bpf_map_lookup_elem(&running, &k);

	if (!busy || !*busy)
		return 0;
	__sync_fetch_and_add(&nested, 1);
	return handle(ctx, sk, oldstate, newstate, true, 1);
}

SEC("tracepoint/sock/inet_sock_set_state")
int tl_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	return handle(ctx, (struct sock *)ctx->skaddr, ctx->oldstate,
		      ctx->newstate, false, 0);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
