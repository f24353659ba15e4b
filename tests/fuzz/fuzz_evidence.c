// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the evidence parsers of another process's /proc
 * text (status, task syscall, sched, epoll fdinfo, fd link targets) and
 * of the head of a program's ELF file. Each
 * gets the input as is, not NUL-terminated, and its results are checked
 * against what the parser promises.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcplimbo/evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_tfd(int32_t tfd, uint32_t events, uint64_t ino, void *arg)
{
	(void)events;
	(void)ino;
	if (tfd < 0)
		abort(); /* an fd is never negative */
	return ++*(int *)arg > 1000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, state = 0;
	pid_t tracer = 0;
	uint32_t threads = 0, ino = 0;
	uint64_t ns = 0;
	int64_t fd = 0;
	long nr = 0;
	int kind, n = 0;

	/* A heap copy of exactly size bytes, so ASan sees any overread. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);

	if (tl_ev_parse_status(copy, size, &state, &tracer, &threads) == 0 &&
	    (!((state >= 'A' && state <= 'Z') ||
	       (state >= 'a' && state <= 'z')) ||
	     tracer < 0))
		abort(); /* State is a letter, TracerPid a pid */
	for (int arch = 0; arch < TL_EV_ARCH_MAX; arch++) {
		kind = -1;
		if (tl_ev_parse_syscall(copy, size, arch, &kind, &nr, &fd) ==
			    0 &&
		    (kind < 0 || kind >= TL_SYS_MAX || fd < -1 ||
		     fd > INT32_MAX))
			abort();
	}
	{
		uint64_t args[6], addr;
		size_t len;
		bool cut, sel;
		const int32_t fds[2] = { 3, 1000 };
		uint32_t inputs = 0;

		/* Where a set lies is bounded, whatever the arguments say. */
		for (int arch = 0; arch < TL_EV_ARCH_MAX; arch++)
			if (tl_ev_parse_syscall_args(copy, size, args) == 0 &&
			    tl_ev_parse_syscall(copy, size, arch, &kind, &nr,
						&fd) == 0 &&
			    tl_ev_pollset_where(arch, nr, args, &addr, &len,
						&cut, &sel) == 0 &&
			    (len == 0 || len > TL_EV_POLLSET_MAX))
				abort();
		/* The bytes themselves as a set of either kind. */
		for (int k = 0; k < 2; k++) {
			int32_t got = tl_ev_pollset_scan(copy, size, 0, k, fds,
							 2, &inputs);

			if (got != -1 && got != 3 && got != 1000)
				abort();
		}
	}
	(void)tl_ev_parse_sched(copy, size, &ns);
	(void)tl_ev_parse_schedstat(copy, size, &ns, NULL);
	(void)tl_ev_parse_schedstat(copy, size, &ns, &ns);
	if (tl_ev_parse_stat_cpu(copy, size, &ino) == 0 && ino > INT32_MAX)
		abort(); /* a CPU number is an int */
	{
		uint64_t ut, st;

		/* The sum of the two is what the conclusions divide by. */
		if (tl_ev_parse_stat_times(copy, size, &ut, &st) == 0 &&
		    ut > UINT64_MAX - st)
			abort();
	}
	(void)tl_ev_parse_epoll(copy, size, on_tfd, &n);
	kind = tl_ev_fd_kind(copy, size, &ino);
	if (kind < 0 || kind >= TL_FDK_MAX || !tl_fd_kind_name(kind, 2))
		abort();
	/* A program's file head: Go, not known, or not ELF. */
	kind = tl_ev_parse_elf_runtime(copy, size);
	if (kind != TL_RT_GO && kind != TL_RT_UNKNOWN && kind != -EINVAL)
		abort();

	free(copy);
	return 0;
}
