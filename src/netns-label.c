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

void tl_netns_name_label(char *buf, size_t size, const char *name)
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
		tl_netns_name_label(buf, size, ns->name);
	else if (single_name)
		tl_netns_name_label(buf, size, single_name);
	else
		snprintf(buf, size, "net:[%llu]",
			 (unsigned long long)ns->inode);
	return buf;
}
