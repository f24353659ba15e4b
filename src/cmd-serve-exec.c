// SPDX-License-Identifier: MIT
/*
 * serve, as the main program sees it: the exporter is a program of its own,
 * tcplimbo-serve (the same commands, with cmd-serve.c), because the HTTP
 * server library pulls in GnuTLS and its dependencies, and loading them
 * cost every other command about 2.4 ms and 3 MiB. This runs it, with the
 * same command line, in place of this process: the pid, the environment
 * and the open fds stay as the caller made them.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "tl.h"

#ifndef TL_LIBEXECDIR
#error "TL_LIBEXECDIR: where tcplimbo-serve is installed"
#endif

#define HELPER "tcplimbo-serve"

/*
 * The helper next to this program (the build tree, or an install that
 * keeps both in one directory), else where meson installs it. Returns 0
 * and fills path, or -errno.
 */
static int helper_path(char *path, size_t size, char *tried, size_t tsize)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	tried[0] = '\0';
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if (snprintf(path, size, "%s/%s", self, HELPER) <
				    (int)size &&
			    access(path, X_OK) == 0)
				return 0;
			snprintf(tried, tsize, "%s, ", self);
		}
	}
	if (snprintf(path, size, "%s/%s", TL_LIBEXECDIR, HELPER) >= (int)size)
		return -ENAMETOOLONG;
	return access(path, X_OK) == 0 ? 0 : -errno;
}

static int serve_exec(int argc, char **argv)
{
	char path[PATH_MAX], tried[PATH_MAX + 2];
	int err = helper_path(path, sizeof(path), tried, sizeof(tried));

	(void)argc;
	if (err == 0) {
		execv(path, argv);
		err = -errno;
	}
	tl_err("serve: cannot run %s (looked in %s%s): %s; the exporter is "
	       "installed with tcplimbo (meson install)",
	       HELPER, tried, TL_LIBEXECDIR, strerror(-err));
	return TL_EXIT_FAILURE;
}

const struct tl_verb tl_verb_serve = {
	.name = "serve",
	.help = "export metrics for Prometheus over HTTP",
	.exec = serve_exec,
};
