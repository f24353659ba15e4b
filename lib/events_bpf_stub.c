// SPDX-License-Identifier: MIT
/*
 * The bpf backend when the build has none (-Dbpf=disabled, or clang,
 * bpftool, libbpf or the kernel's BTF missing at build time). The build
 * picks this file instead of events_bpf.c.
 */
#include <errno.h>

#include "events_backend.h"

int tl_events_bpf_open(const struct tl_events_opts *opts, uint64_t netns,
		       const struct tl_events_ops **ret_ops, void **ret_impl)
{
	return -EOPNOTSUPP;
}

bool tl_events_bpf_built(void)
{
	return false;
}
