// SPDX-License-Identifier: MIT
/*
 * A snapshot's network devices: the namespace's interface names, read in
 * it only when a socket is bound to one (a link-local address's scope,
 * SO_BINDTODEVICE), and how a socket's device is named and matched, as ss
 * shows and takes it (%dev).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "tcplimbo/netns.h"
#include "tcplimbo/snapshot.h"
#include "internal.h"
#include "util.h"

static int list_interfaces(void *arg)
{
	struct tl_snapshot *snap = arg;

	snap->ifnames = if_nameindex();
	return snap->ifnames ? 0 : -errno;
}

/* Not knowing the names is no reason to fail: the index is shown. */
void tli_snapshot_name_interfaces(struct tl_snapshot *snap, int netns_fd)
{
	(void)tl_netns_run(netns_fd, list_interfaces, snap);
}

const char *tl_snapshot_ifname(const struct tl_snapshot *snap, uint32_t ifindex)
{
	for (const struct if_nameindex *i = snap->ifnames;
	     i && i->if_index && ifindex; i++)
		if (i->if_index == ifindex)
			return i->if_name;
	return NULL;
}

const char *tl_snapshot_device(const struct tl_snapshot *snap, uint32_t ifindex,
			       char *buf, size_t size)
{
	const char *name = tl_snapshot_ifname(snap, ifindex);

	if (!ifindex || name)
		return name;
	snprintf(buf, size, "%u", ifindex);
	return buf;
}

bool tl_snapshot_on_device(const struct tl_snapshot *snap,
			   const struct tl_sock *sk, const char *dev)
{
	const char *name;
	uint64_t idx;

	if (!dev[0])
		return true;
	if (!sk->ifindex)
		return false;
	name = tl_snapshot_ifname(snap, sk->ifindex);
	if (name && strcmp(name, dev) == 0)
		return true;
	return tli_parse_dec(dev, UINT32_MAX, &idx) == 0 && idx == sk->ifindex;
}
