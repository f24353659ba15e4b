// SPDX-License-Identifier: MIT
/*
 * Where a series' process runs: the unit, container and pod labels serve
 * adds to its listener and process series, from the process's cgroup.
 */
#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "tcplimbo/context.h"

void metrics_place_of(const struct metrics_opts *o, pid_t pid,
		      struct metrics_place *pl)
{
	struct tl_context c;

	pl->unit[0] = pl->container[0] = pl->pod[0] = '\0';
	pl->pod_namespace[0] = '\0';
	if (pid <= 0 || tl_context_of_pid(o->root, o->proc_root, pid, &c) < 0)
		return;
	if (c.unit[0])
		snprintf(pl->unit, sizeof(pl->unit), "%s", c.unit);
	else if (c.kind == TL_CONTEXT_UNIT)
		snprintf(pl->unit, sizeof(pl->unit), "%s", c.id);
	if (c.kind == TL_CONTEXT_NONE || c.kind == TL_CONTEXT_UNIT)
		return;
	/* A name where the runtime's files give one, else the short id. */
	if (c.name[0])
		snprintf(pl->container, sizeof(pl->container), "%s", c.name);
	else
		snprintf(pl->container, sizeof(pl->container), "%.12s", c.id);
	/*
	 * Every replica of a Deployment has a container of one name: the
	 * pod and its namespace tell them apart, as cAdvisor's labels do.
	 */
	if (c.kind == TL_CONTEXT_KUBERNETES) {
		snprintf(pl->pod, sizeof(pl->pod), "%s", c.pod);
		snprintf(pl->pod_namespace, sizeof(pl->pod_namespace), "%.63s",
			 c.pod_namespace);
	}
}

size_t metrics_place_labels(const struct metrics_place *pl,
			    struct prom_label *lb, size_t n)
{
	const struct prom_label all[] = {
		{ "unit", pl->unit },
		{ "container", pl->container },
		{ "pod", pl->pod },
		{ "namespace", pl->pod_namespace },
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i].value[0])
			lb[n++] = all[i];
	return n;
}

bool metrics_same_place(const struct metrics_place *a,
			const struct metrics_place *b)
{
	return strcmp(a->unit, b->unit) == 0 &&
	       strcmp(a->container, b->container) == 0 &&
	       strcmp(a->pod, b->pod) == 0 &&
	       strcmp(a->pod_namespace, b->pod_namespace) == 0;
}
