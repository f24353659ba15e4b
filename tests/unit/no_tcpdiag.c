// SPDX-License-Identifier: MIT
/*
 * LD_PRELOAD for test_sockdiag_live's fallback run: a kernel without the
 * TCPDIAG_GETSOCK request. Each such request leaves with a message type
 * sock_diag does not know (17), so the real kernel refuses it as it
 * would refuse a request it lacks, with an NLMSG_ERROR of -EINVAL, and
 * the dump must fall back to one request a family.
 */
#include <dlfcn.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

ssize_t sendto(int fd, const void *buf, size_t len, int flags,
	       const struct sockaddr *to, socklen_t tolen);

ssize_t sendto(int fd, const void *buf, size_t len, int flags,
	       const struct sockaddr *to, socklen_t tolen)
{
	static ssize_t (*real)(int, const void *, size_t, int,
			       const struct sockaddr *, socklen_t);
	struct nlmsghdr h;
	char copy[4096];

	if (!real)
		real = (ssize_t(*)(int, const void *, size_t, int,
				   const struct sockaddr *,
				   socklen_t))dlsym(RTLD_NEXT, "sendto");
	if (to && to->sa_family == AF_NETLINK && len >= sizeof(h) &&
	    len <= sizeof(copy)) {
		memcpy(&h, buf, sizeof(h));
		if (h.nlmsg_type == TCPDIAG_GETSOCK) {
			memcpy(copy, buf, len);
			h.nlmsg_type = 17;
			memcpy(copy, &h, sizeof(h));
			return real(fd, copy, len, flags, to, tolen);
		}
	}
	return real(fd, buf, len, flags, to, tolen);
}
