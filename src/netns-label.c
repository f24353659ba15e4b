// SPDX-License-Identifier: MIT
/*
 * A surveyed network namespace's label, as serve's netns label and the
 * doctor's --all-netns report give it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tcplimbo/survey.h"
#include "tl.h"

/*
 * A namespace's name as a label: one that would read as the host's or an
 * unnamed namespace's label, or as one of these, is given as name:NAME,
 * so that two namespaces never share a label ("host" named with ip netns
 * add would otherwise merge its series with the host's).
 */
static void name_label(char *buf, size_t size, const char *name)
{
	bool taken = strcmp(name, "host") == 0 ||
		     strncmp(name, "net:[", 5) == 0 ||
		     strncmp(name, "name:", 5) == 0;

	snprintf(buf, size, "%s%s", taken ? "name:" : "", name);
}

const char *tl_netns_label(const struct tl_survey_ns *ns,
			   const char *single_name, char *buf, size_t size)
{
	if (ns->host)
		snprintf(buf, size, "host");
	else if (ns->name[0])
		name_label(buf, size, ns->name);
	else if (single_name)
		name_label(buf, size, single_name);
	else
		snprintf(buf, size, "net:[%llu]",
			 (unsigned long long)ns->inode);
	return buf;
}
