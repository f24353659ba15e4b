// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * accept() hands a queued connection to a process, which owns it from
 * then on: record that process in the socket's storage, which
 * tcpstates.bpf.c reads on every later change of the socket. A program of
 * its own, loaded after tcpstates and sharing its map, because some
 * kernels refuse fexit (no BPF trampolines); watch then names accepted
 * sockets by their listener's owner instead.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "tcpstates.h"

TL_BPF_OWNERS_MAP;

SEC("fexit/inet_csk_accept")
int BPF_PROG(tl_accept, struct sock *sk, struct proto_accept_arg *arg,
	     struct sock *newsk)
{
	struct tl_bpf_sk *s;

	if (!newsk)
		return 0;
	s = bpf_sk_storage_get(&owners, newsk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!s)
		return 0;
	TL_BPF_CURRENT_OWNER(&s->owner);
	s->has_owner = 1;
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
