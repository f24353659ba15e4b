// SPDX-License-Identifier: MIT
/* serve when the build found no libmicrohttpd, libyaml or libcrypt. */
#include "tl.h"

int cmd_serve(struct tl_global *g, int argc, char **argv)
{
	(void)g;
	(void)argc;
	(void)argv;
	tl_err("serve: this tcplimbo was built without the exporter (it needs libmicrohttpd, libyaml and libcrypt; see the 'exporter' build option)");
	return 1;
}
