/* SPDX-License-Identifier: MIT */
/*
 * The record tcpstates.bpf.c writes into its ring buffer for every TCP
 * state change, shared by the BPF program and lib/events_bpf.c. Only
 * fixed-size kernel types, so it means the same on both sides.
 */
#ifndef TL_BPF_TCPSTATES_H
#define TL_BPF_TCPSTATES_H

/* The record has the time spent in oldstate (see delta_ns). */
#define TL_BPF_HAS_DELTA 0x1
/* The socket had no struct socket: accept queue, orphan or not yet set up. */
#define TL_BPF_NO_SOCKET 0x2
/* The socket is marked SOCK_DEAD: its program closed it (an orphan). */
#define TL_BPF_DEAD 0x4
/* pid and comm name the process that holds the socket (recorded at
 * connect, listen or accept in that process). */
#define TL_BPF_OWNER 0x8
/* pid and comm name the process that listens on the socket's port: for
 * a connection still in the accept queue, or one accepted where accept()
 * could not be hooked. */
#define TL_BPF_LISTENER_OWNER 0x10

/*
 * CPUs whose changes in flight the program marks (see inflight in
 * tcpstates.bpf.c); on CPUs past these, records rely on the reader's
 * fixed hold alone.
 */
#define TL_BPF_MAX_CPUS 512

/*
 * The marks of one CPU take a cache line of their own (8 __u64, 2 used):
 * two CPUs writing marks in one line would move it between them twice a
 * change.
 */
#define TL_BPF_MARK_STRIDE 8

/* Most ports and addresses the program filters on; more are filtered in
 * user space only. */
#define TL_BPF_MAX_PORTS 16
#define TL_BPF_MAX_ADDRS 8

/* One --addr filter: 4 bytes used for AF_INET. */
struct tl_bpf_addr {
	__u16 family;
	__u8 a[16];
};

/* The process recorded for a socket or a listening port. */
struct tl_bpf_owner {
	__u32 pid; /* tgid */
	char comm[16];
};

/*
 * What the typed program keeps on each full socket, freed with it: its
 * owner once known, and its last change (for the time in a state).
 */
struct tl_bpf_sk {
	struct tl_bpf_owner owner;
	struct tl_bpf_owner lowner; /* its listener's, if no owner is */
	__u64 ts_ns;		    /* its last change, when has_ts */
	__u16 sport;		    /* its local port then */
	__u8 has_owner;		    /* owner is set */
	__u8 has_lowner;	    /* lowner is set */
	__u8 has_ts;		    /* ts_ns and sport are set */
	__u8 listening;		    /* owner is a listener's, from listen() */
};

/*
 * The socket storage both programs use (BPF side only). BPF_F_CLONE: a
 * connection the kernel makes from a listener starts with a copy of the
 * listener's, so it knows its own listener's owner even when
 * SO_REUSEPORT listeners of different processes share the port.
 */
#define TL_BPF_OWNERS_MAP                                           \
	struct {                                                    \
		__uint(type, BPF_MAP_TYPE_SK_STORAGE);              \
		__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE); \
		__type(key, int);                                   \
		__type(value, struct tl_bpf_sk);                    \
	} owners SEC(".maps")

/*
 * The current process as an owner (BPF side only): its tgid, and its
 * name as ps and /proc/PID/stat give it, the group leader's, not the
 * thread's (a worker thread named worker-3 of a process named tsrv).
 */
#define TL_BPF_CURRENT_OWNER(o)                                             \
	do {                                                                \
		struct task_struct *t_ =                                    \
			(struct task_struct *)bpf_get_current_task();       \
		(o)->pid = bpf_get_current_pid_tgid() >> 32;                \
		BPF_CORE_READ_STR_INTO(&(o)->comm, t_, group_leader, comm); \
	} while (0)

/* FIN_WAIT2 -> CLOSE only: the peer's FIN had arrived (SOCK_DONE). */
#define TL_BPF_PEER_FIN 0x20
/* FIN_WAIT2 -> CLOSE only: the socket has an error (sk_err): a reset, or
 * a timeout giving up. */
#define TL_BPF_ERROR 0x40

struct tl_bpf_event {
	__u64 ts_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 skaddr; /* the kernel's struct sock address: identity while alive */
	__u64 delta_ns; /* time since this socket's previous change */
	__u32 netns;	/* inode of the socket's network namespace */
	__u32 inode;	/* the socket's inode, 0 when it has no struct socket */
	__u16 family;
	__u16 sport; /* host order */
	__u16 dport; /* host order */
	__u8 oldstate;
	__u8 newstate;
	__u8 flags; /* TL_BPF_* */
	__u8 pad[3];
	/*
	 * How long before ts the change that this CPU's other program was
	 * handling began, when this record was written inside it (see
	 * tl_state_nested): that record comes after this one in the buffer.
	 * 0 when none; at most UINT32_MAX.
	 */
	__u32 early_ns;
	__u8 saddr[16]; /* network order; 4 bytes used for AF_INET */
	__u8 daddr[16];
	struct tl_bpf_owner owner; /* with TL_BPF_OWNER or _LISTENER_OWNER */
};

#endif
