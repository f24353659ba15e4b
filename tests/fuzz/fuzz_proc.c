// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the /proc text parsers (stat, limits, fd links,
 * mountinfo's hidepid). The input is handed to each
 * parser as is (not NUL-terminated: they must honour the length), and the
 * results are checked against what the parsers promise.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "owners_impl.h"
#include "tcplimbo/owners.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char comm[TL_COMM_MAX];
	uint64_t a = 0, b = 0;
	char *copy;
	uint32_t ino;

	/* A heap copy of exactly size bytes, so ASan sees any overread. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);

	memset(comm, 'X', sizeof(comm));
	if (tl_proc_parse_stat(copy, size, comm, &a, &b, NULL) == 0 &&
	    !memchr(comm, '\0', sizeof(comm)))
		abort(); /* comm must be terminated within TL_COMM_MAX */

	(void)tl_proc_parse_limits(copy, size, &a, &b);

	{
		uint64_t flags = 0;
		long gid = 0;
		int level;

		(void)tli_proc_parse_stat(copy, size, comm, &a, &b, NULL,
					  &flags);
		/* The input as mountinfo: a level of those it knows. */
		level = tli_parse_hidepid(copy, size, "/proc", &gid);
		if ((level != 0 && level != 1 && level != 2 && level != 4) ||
		    gid < -1)
			abort();
	}

	ino = tl_proc_parse_socket_link(copy, size);
	if (ino && (size < 10 || memcmp(copy, "socket:[", 8) != 0 ||
		    copy[size - 1] != ']'))
		abort(); /* only "socket:[N]" yields an inode */

	free(copy);
	return 0;
}
