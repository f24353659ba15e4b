// SPDX-License-Identifier: MIT
/* serve when the build found no libmicrohttpd, libyaml or libcrypt. */
#include "tl.h"

static int serve_parse(struct tl_global *g, void *opts, int argc, char **argv)
{
	return 0;
}

static int serve_run(const struct tl_global *g, void *opts)
{
	tl_err("serve: this tcplimbo was built without the exporter (it needs libmicrohttpd, libyaml and libcrypt; see the 'exporter' build option)");
	return TL_EXIT_FAILURE;
}

const struct tl_verb tl_verb_serve = {
	.name = "serve",
	.help = "export metrics for Prometheus over HTTP",
	.parse = serve_parse,
	.run = serve_run,
};
