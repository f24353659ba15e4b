/* SPDX-License-Identifier: MIT */
/*
 * counters: a network namespace's TCP counters and limits, from
 * /proc/net/netstat, /proc/net/sockstat and /proc/sys/net. The doctor
 * compares them with what a snapshot shows (orphans against
 * tcp_max_orphans, ports in use against ip_local_port_range).
 */
#ifndef TCPLIMBO_COUNTERS_H
#define TCPLIMBO_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Which fields of a tl_counters were read. */
enum tl_counters_have {
	TL_CTR_NETSTAT = 1 << 0,	 /* listen_overflows, listen_drops */
	TL_CTR_SOCKSTAT = 1 << 1,	 /* tcp_inuse, tcp_orphan, tcp_tw */
	TL_CTR_MAX_ORPHANS = 1 << 2,	 /* max_orphans */
	TL_CTR_PORT_RANGE = 1 << 3,	 /* port_lo, port_hi */
	TL_CTR_MAX_SYN_BACKLOG = 1 << 4, /* max_syn_backlog */
	TL_CTR_FIN_TIMEOUT = 1 << 5,	 /* fin_timeout_s */
	TL_CTR_MAX_TW = 1 << 6,		 /* max_tw_buckets */
	TL_CTR_SOMAXCONN = 1 << 7,	 /* somaxconn */
	TL_CTR_TW_REUSE = 1 << 8,	 /* tw_reuse, timestamps */
};

/* One namespace's counters; only the fields flagged in have are valid. */
struct tl_counters {
	unsigned have; /* enum tl_counters_have */
	/* TcpExt, since boot (or since the namespace was made). */
	uint64_t listen_overflows;
	uint64_t listen_drops;
	uint64_t syncookies_sent;
	/* sockstat's TCP line, now. */
	uint64_t tcp_inuse;
	uint64_t tcp_orphan;
	uint64_t tcp_tw;
	uint64_t tcp_alloc;
	/* Limits. */
	uint64_t max_orphans;
	uint64_t port_lo, port_hi; /* ip_local_port_range */
	uint64_t max_syn_backlog;
	uint64_t fin_timeout_s;
	uint64_t max_tw_buckets;
	uint64_t somaxconn;
	/*
	 * net.ipv4.tcp_tw_reuse (0 off, 1 on, 2 loopback only) and
	 * tcp_timestamps (0 off), which reuse needs.
	 */
	uint64_t tw_reuse;
	uint64_t timestamps;
};

/*
 * Parses /proc/net/netstat text (len bytes, need not be terminated): the
 * TcpExt header and value lines. Sets TL_CTR_NETSTAT. Returns 0, -ENOENT
 * when there is no TcpExt pair, or -EINVAL when it is malformed.
 */
int tl_counters_parse_netstat(const char *buf, size_t len,
			      struct tl_counters *c);

/*
 * Parses /proc/net/sockstat text: the "TCP:" line's inuse, orphan, tw and
 * alloc. Sets TL_CTR_SOCKSTAT. Returns 0, -ENOENT or -EINVAL.
 */
int tl_counters_parse_sockstat(const char *buf, size_t len,
			       struct tl_counters *c);

/*
 * Parses a sysctl file holding whitespace-separated unsigned numbers (one
 * for most, two for ip_local_port_range) into ret[0..max-1]. Returns how
 * many were read (at least 1), or -EINVAL.
 */
int tl_counters_parse_values(const char *buf, size_t len, uint64_t *ret,
			     size_t max);

/*
 * Reads the sysctl file proc_root/rel (such as "sys/kernel/pid_max") and
 * parses it as tl_counters_parse_values does. Returns how many values were
 * read, or -errno (-EINVAL for text that is not unsigned numbers).
 */
int tl_sysctl_values(const char *proc_root, const char *rel, uint64_t *ret,
		     size_t max);

/*
 * Reads the counters of a network namespace: netns_fd < 0 means ours;
 * otherwise the files are read from inside it (tl_netns_run), since they
 * are per namespace. proc_root NULL means "/proc". Files that cannot be
 * read leave their have bits clear. Returns 0 (even when some are missing),
 * or -errno when the namespace could not be entered.
 */
int tl_counters_read(const char *proc_root, int netns_fd,
		     struct tl_counters *ret);

#ifdef __cplusplus
}
#endif
#endif
