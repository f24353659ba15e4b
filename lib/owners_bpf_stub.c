// SPDX-License-Identifier: MIT
/* The BPF owners pass when the build has no bpf: the /proc pass is used. */
#include <errno.h>

#include "owners_impl.h"

int tli_owners_bpf_scan(const char *proc_root, unsigned flags,
			struct tl_owners **ret)
{
	return -EOPNOTSUPP;
}
