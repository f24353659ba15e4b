// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the context parsers: mountinfo, /proc/PID/cgroup,
 * cgroup paths and the runtimes' JSON configs. Each gets the input as is
 * (the length-taking ones unterminated, so ASan sees an overread), and
 * the results are checked against what the parsers promise.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tcplimbo/context.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, size_t size)
{
	/* Every string out of a parser is terminated within its buffer. */
	if (!memchr(s, '\0', size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "Name", "annotations/a",
					     "annotations/b" };
	char mnt[64], base[64], cg[64], json[3][TL_CONTEXT_STR_MAX];
	struct tl_context ctx;
	char *copy, *str;

	copy = malloc(size ? size : 1);
	str = malloc(size + 1);
	if (!copy || !str) {
		free(copy);
		free(str);
		return 0;
	}
	if (size)
		memcpy(copy, data, size);
	memcpy(str, data, size);
	str[size] = '\0';

	memset(mnt, 'X', sizeof(mnt));
	memset(base, 'X', sizeof(base));
	if (tl_cgroup_parse_mountinfo(copy, size, mnt, sizeof(mnt), base,
				      sizeof(base)) == 0) {
		check_str(mnt, sizeof(mnt));
		check_str(base, sizeof(base));
	}
	memset(mnt, 'X', sizeof(mnt));
	memset(base, 'X', sizeof(base));
	if (tl_cgroup_parse_mountinfo_v1(copy, size, "freezer", mnt,
					 sizeof(mnt), base,
					 sizeof(base)) == 0) {
		check_str(mnt, sizeof(mnt));
		check_str(base, sizeof(base));
	}
	memset(cg, 'X', sizeof(cg));
	if (tl_cgroup_parse_proc(copy, size, cg, sizeof(cg)) == 0) {
		check_str(cg, sizeof(cg));
		if (cg[0] != '/')
			abort(); /* a cgroup2 path is absolute */
	}
	memset(cg, 'X', sizeof(cg));
	if (tl_cgroup_parse_proc_v1(copy, size, "freezer", cg, sizeof(cg)) ==
	    0) {
		check_str(cg, sizeof(cg));
		if (cg[0] != '/')
			abort(); /* so is a v1 path */
	}

	tl_context_parse_path(str, &ctx);
	if (ctx.kind >= TL_CONTEXT_KIND_MAX ||
	    ctx.runtime >= TL_CONTEXT_KIND_MAX)
		abort();
	check_str(ctx.id, sizeof(ctx.id));
	check_str(ctx.unit, sizeof(ctx.unit));
	check_str(ctx.pod, sizeof(ctx.pod));
	/* An id names a directory: it never holds a slash or "..". */
	if (strchr(ctx.id, '/') && ctx.kind != TL_CONTEXT_UNIT)
		abort();

	if (tl_context_json_scan(copy, size, paths, json, 3) != -EINVAL)
		for (int i = 0; i < 3; i++)
			check_str(json[i], sizeof(json[i]));
	/* podman's containers.json: an array, a name in an array. */
	{
		struct tli_want w[2] = { { "id", json[0], false },
					 { "names", json[1], false } };

		if (tli_json_find(copy, size, "abc", w, 2) == 0 &&
		    strcmp(json[0], "abc") != 0)
			abort();
		check_str(json[0], sizeof(json[0]));
		check_str(json[1], sizeof(json[1]));
	}

	free(copy);
	free(str);
	return 0;
}
