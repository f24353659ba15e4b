// SPDX-License-Identifier: MIT
/*
 * sock_diag over libmnl, parsed into struct tl_sock. Recorded dumps are
 * the raw bytes of each recv(), so a replay walks exactly what the kernel
 * sent.
 *
 * Both address families come from one walk of the kernel's tables where
 * the kernel allows: the older TCPDIAG_GETSOCK request has no family, and
 * the kernel answers it with the sockets of both. A SOCK_DIAG_BY_FAMILY
 * dump walks every hash bucket of the established table for one family,
 * and that table is sized after the machine's memory, not after its
 * sockets, and shared by all network namespaces: on a 24 GiB machine one
 * walk of an empty namespace takes about 3 ms. ss makes two walks.
 */
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/mptcp.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tcplimbo/netns.h"
#include "tcplimbo/sockdiag.h"
#include "util.h"

/* How often an interrupted dump is started again before giving up. */
#define DUMP_RETRIES 8

/*
 * The kernel sizes each dump skb after the largest recv() buffer it has
 * seen, so a large buffer means fewer, fuller reads.
 */
#define RECV_BUF (256 * 1024)

/* A replayed file larger than this is not a dump we made. */
#define REPLAY_MAX (1024L * 1024 * 1024)

struct dump_ctx {
	const struct tl_dump_opts *opts;
	uint32_t states;
	tl_sock_cb cb;
	void *arg;
	int cb_err; /* a callback's error: stop, don't retry */
	bool interrupted;
};

void tl_dump_opts_init(struct tl_dump_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->family = AF_UNSPEC;
	opts->states = TL_STATES_REAL;
	opts->netns_fd = -1;
	opts->record_fd = -1;
	opts->replay_fd = -1;
	opts->details = true;
}

static void attr_cb(const struct nlattr *attr, const struct nlattr **tb)
{
	int type = mnl_attr_get_type(attr);

	/* Unknown attributes are newer kernels' business, not an error. */
	if (type <= INET_DIAG_MAX)
		tb[type] = attr;
}

/* MPTCP_SUBFLOW_ATTR_FLAGS of an INET_ULP_INFO_MPTCP nest, or 0. */
static uint32_t mptcp_flags(const struct nlattr *nest)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) == MPTCP_SUBFLOW_ATTR_FLAGS &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			return mnl_attr_get_u32(a);
	}
	return 0;
}

/*
 * INET_DIAG_ULP_INFO: the ULP's name, a string, then its own nest. An
 * MPTCP subflow is marked, and one that joined a connection already made
 * (MP_JOIN, either way) as such.
 */
static void parse_ulp(const struct nlattr *nest, struct tl_sock *out)
{
	const struct nlattr *a;
	bool mptcp = false;
	uint32_t flags = 0;

	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) == INET_ULP_INFO_NAME)
			mptcp = mnl_attr_validate(a, MNL_TYPE_NUL_STRING) ==
					0 &&
				strcmp(mnl_attr_get_str(a), "mptcp") == 0;
		else if (mnl_attr_get_type(a) == INET_ULP_INFO_MPTCP)
			flags = mptcp_flags(a);
	}
	if (!mptcp)
		return;
	out->has |= TL_HAS_MPTCP;
	if (flags & (MPTCP_SUBFLOW_FLAG_JOIN_REM | MPTCP_SUBFLOW_FLAG_JOIN_LOC))
		out->has |= TL_HAS_MPTCP_JOIN;
}

int tl_sockdiag_parse(const void *msg, size_t len, struct tl_sock *out)
{
	const struct nlmsghdr *nlh = msg;
	const struct nlattr *tb[INET_DIAG_MAX + 1] = { 0 };
	const struct inet_diag_msg *r;
	const struct nlattr *a;
	size_t alen;

	if (len < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) ||
	    nlh->nlmsg_len > len)
		return -EBADMSG;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*r))
		return -EBADMSG;
	r = mnl_nlmsg_get_payload(nlh);
	if (r->idiag_family != AF_INET && r->idiag_family != AF_INET6)
		return -EBADMSG;
	mnl_attr_for_each(a, nlh, sizeof(*r))
		attr_cb(a, tb);
	/*
	 * libmnl stops quietly at an attribute that runs past the message;
	 * such a message is cut or corrupt, and none of it is trusted.
	 */
	if ((const char *)mnl_nlmsg_get_payload_tail(nlh) - (const char *)a >=
	    (ptrdiff_t)sizeof(struct nlattr))
		return -EBADMSG;

	memset(out, 0, sizeof(*out));
	out->family = r->idiag_family;
	out->state = r->idiag_state;
	out->timer = r->idiag_timer;
	out->retrans = r->idiag_retrans;
	out->sport = ntohs(r->id.idiag_sport);
	out->dport = ntohs(r->id.idiag_dport);
	alen = out->family == AF_INET ? 4 : 16;
	memcpy(out->src, r->id.idiag_src, alen);
	memcpy(out->dst, r->id.idiag_dst, alen);
	out->ifindex = r->id.idiag_if;
	out->cookie = (uint64_t)r->id.idiag_cookie[0] |
		      ((uint64_t)r->id.idiag_cookie[1] << 32);
	out->timer_ms = r->idiag_expires;
	out->rqueue = r->idiag_rqueue;
	out->wqueue = r->idiag_wqueue;
	out->uid = r->idiag_uid;
	out->inode = r->idiag_inode;

	if (tb[INET_DIAG_ULP_INFO])
		parse_ulp(tb[INET_DIAG_ULP_INFO], out);
	if (tb[INET_DIAG_SHUTDOWN] &&
	    mnl_attr_get_payload_len(tb[INET_DIAG_SHUTDOWN]) >= 1) {
		out->shutdown = mnl_attr_get_u8(tb[INET_DIAG_SHUTDOWN]);
		out->has |= TL_HAS_SHUTDOWN;
	}
	if (tb[INET_DIAG_SKV6ONLY] &&
	    mnl_attr_get_payload_len(tb[INET_DIAG_SKV6ONLY]) >= 1) {
		out->v6only = mnl_attr_get_u8(tb[INET_DIAG_SKV6ONLY]);
		out->has |= TL_HAS_V6ONLY;
	}
	/* Sent for every full socket, unasked, since Linux 5.7. */
	if (tb[INET_DIAG_CGROUP_ID] &&
	    mnl_attr_get_payload_len(tb[INET_DIAG_CGROUP_ID]) >=
		    sizeof(uint64_t)) {
		uint64_t id;

		/* 64-bit attributes are only 4-byte aligned here. */
		memcpy(&id, mnl_attr_get_payload(tb[INET_DIAG_CGROUP_ID]),
		       sizeof(id));
		out->cgroup_id = id;
		out->has |= TL_HAS_CGROUP;
	}
	if (tb[INET_DIAG_SKMEMINFO]) {
		const uint32_t *mi =
			mnl_attr_get_payload(tb[INET_DIAG_SKMEMINFO]);
		size_t n = mnl_attr_get_payload_len(tb[INET_DIAG_SKMEMINFO]) /
			   sizeof(uint32_t);
		uint32_t drops;

		if (n > SK_MEMINFO_DROPS) {
			/* The payload is only 4-byte aligned. */
			memcpy(&drops, &mi[SK_MEMINFO_DROPS], sizeof(drops));
			out->drops = drops;
			out->has |= TL_HAS_MEMINFO;
		}
	}
	if (tb[INET_DIAG_INFO]) {
		struct tcp_info ti;
		size_t n = mnl_attr_get_payload_len(tb[INET_DIAG_INFO]);

		/*
		 * The kernel's tcp_info may be longer than our header's, or
		 * shorter on an older kernel: copy what both know, zero the
		 * rest.
		 */
		memset(&ti, 0, sizeof(ti));
		memcpy(&ti, mnl_attr_get_payload(tb[INET_DIAG_INFO]),
		       n < sizeof(ti) ? n : sizeof(ti));
		out->rtt_us = ti.tcpi_rtt;
		out->rttvar_us = ti.tcpi_rttvar;
		out->retransmits = ti.tcpi_retransmits;
		out->total_retrans = ti.tcpi_total_retrans;
		out->last_data_sent_ms = ti.tcpi_last_data_sent;
		out->last_data_recv_ms = ti.tcpi_last_data_recv;
		out->last_ack_recv_ms = ti.tcpi_last_ack_recv;
		out->bytes_received = ti.tcpi_bytes_received;
		out->bytes_acked = ti.tcpi_bytes_acked;
		out->has |= TL_HAS_INFO;
	}
	return 0;
}

/* A socket of a dump: its type is the request's, of either kind. */
static bool is_sock_msg(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY ||
	       nlh->nlmsg_type == TCPDIAG_GETSOCK;
}

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *ctx = data;
	struct tl_sock sk;
	int ret;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
		ctx->interrupted = true;
		return MNL_CB_STOP;
	}
	if (!is_sock_msg(nlh))
		return MNL_CB_OK;
	if (tl_sockdiag_parse(nlh, nlh->nlmsg_len, &sk) < 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	/*
	 * The kernel already filtered, but a replayed file or an old kernel
	 * may hold more than was asked for. A state we have no name for
	 * matches no filter.
	 */
	if (sk.state >= TL_STATE_MAX || !(ctx->states & TL_STATE_BIT(sk.state)))
		return MNL_CB_OK;
	if (ctx->opts->family != AF_UNSPEC && sk.family != ctx->opts->family)
		return MNL_CB_OK;
	ret = ctx->cb(&sk, ctx->arg);
	if (ret < 0) {
		ctx->cb_err = ret;
		return MNL_CB_STOP;
	}
	return MNL_CB_OK;
}

/* The states to ask for; request sockets by SYN_RECV, as ss asks. */
static uint32_t ask_states(const struct dump_ctx *ctx)
{
	uint32_t states = ctx->states;

	if (states & TL_STATE_BIT(TL_NEW_SYN_RECV))
		states |= TL_STATE_BIT(TL_SYN_RECV);
	return states;
}

/*
 * Returns 1 when the dump must be started again, 0 when done, or -errno.
 * AF_UNSPEC asks for both families in one walk.
 */
static int dump_family(struct mnl_socket *nl, struct dump_ctx *ctx, int family,
		       char *buf, uint32_t seq)
{
	char reqbuf[1024];
	struct nlmsghdr *nlh;
	unsigned int portid = mnl_socket_get_portid(nl);
	uint8_t ext = 0;
	ssize_t n;
	int ret;

	if (ctx->opts->details)
		ext = (1 << (INET_DIAG_INFO - 1)) |
		      (1 << (INET_DIAG_SKMEMINFO - 1));
	nlh = mnl_nlmsg_put_header(reqbuf);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	if (family == AF_UNSPEC) {
		struct inet_diag_req *req;

		/* The kernel ignores idiag_family here: both come. */
		nlh->nlmsg_type = TCPDIAG_GETSOCK;
		req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
		req->idiag_states = ask_states(ctx);
		req->idiag_ext = ext;
	} else {
		struct inet_diag_req_v2 *req;

		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
		req->sdiag_family = (uint8_t)family;
		req->sdiag_protocol = IPPROTO_TCP;
		req->idiag_states = ask_states(ctx);
		req->idiag_ext = ext;
	}

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, RECV_BUF);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* The kernel dropped part of the dump: start over. */
			if (errno == ENOBUFS)
				return 1;
			return -errno;
		}
		if (ctx->opts->record_fd >= 0) {
			ssize_t off = 0;

			while (off < n) {
				ssize_t w = write(ctx->opts->record_fd,
						  buf + off, (size_t)(n - off));

				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0)
					return w < 0 ? -errno : -EIO;
				off += w;
			}
		}
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, data_cb, ctx);
		if (ctx->cb_err)
			return ctx->cb_err;
		if (ctx->interrupted)
			return 1;
		if (ret == MNL_CB_STOP)
			return 0;
		if (ret < 0) {
			/* The dump's own error, e.g. no inet_diag module. */
			return errno ? -errno : -EIO;
		}
	}
}

/* Opens the netlink socket; run inside the target namespace. */
static int open_nl(void *data)
{
	struct mnl_socket **nl = data;

	*nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (!*nl)
		return -errno;
	if (mnl_socket_bind(*nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		mnl_socket_close(*nl);
		*nl = NULL;
		return err;
	}
	/* A bigger socket buffer makes ENOBUFS restarts rare. */
	{
		int sz = 4 * 1024 * 1024;

		setsockopt(mnl_socket_get_fd(*nl), SOL_SOCKET, SO_RCVBUF, &sz,
			   sizeof(sz));
	}
	return 0;
}

/*
 * The walks a dump makes: one for both families where the kernel takes
 * the old request, else one a family. Returns how many.
 */
static size_t plan_walks(const struct dump_ctx *ctx, bool one_walk,
			 int walks[2])
{
	if (ctx->opts->family != AF_UNSPEC) {
		walks[0] = ctx->opts->family;
		return 1;
	}
	if (one_walk) {
		walks[0] = AF_UNSPEC;
		return 1;
	}
	walks[0] = AF_INET;
	walks[1] = AF_INET6;
	return 2;
}

static int dump_live(struct dump_ctx *ctx, void (*reset)(void *arg))
{
	struct mnl_socket *nl = NULL;
	bool one_walk = true;
	int walks[2];
	size_t n_walks;
	char *buf;
	int ret, tries = 0;
	uint32_t seq = (uint32_t)time(NULL);
	off_t rec_start = -1;

	buf = malloc(RECV_BUF);
	if (!buf)
		return -ENOMEM;
	/* A netlink socket dumps the namespace it was created in. */
	ret = tl_netns_run(ctx->opts->netns_fd, open_nl, &nl);
	if (ret < 0)
		goto out;
	/* Where a restart rewinds the recording to, so it holds one dump. */
	if (ctx->opts->record_fd >= 0)
		rec_start = lseek(ctx->opts->record_fd, 0, SEEK_CUR);
restart:
	n_walks = plan_walks(ctx, one_walk, walks);
	for (size_t i = 0; i < n_walks; i++) {
		ctx->interrupted = false;
		ret = dump_family(nl, ctx, walks[i], buf, ++seq);
		/*
		 * A kernel without the old request refuses it before sending
		 * a socket: start again, a family at a time. The refusal may
		 * be in the recording, so this is a restart like any other.
		 */
		if (walks[i] == AF_UNSPEC && !ctx->cb_err &&
		    (ret == -EOPNOTSUPP || ret == -EINVAL)) {
			one_walk = false;
			ret = 1;
		}
		if (ret == 1) {
			if (++tries >= DUMP_RETRIES) {
				ret = -EAGAIN;
				goto out;
			}
			/*
			 * Replies of the broken dump may still be queued:
			 * a fresh socket is the simple way to drop them.
			 */
			mnl_socket_close(nl);
			nl = NULL;
			ret = tl_netns_run(ctx->opts->netns_fd, open_nl, &nl);
			if (ret < 0)
				goto out;
			if (ctx->opts->record_fd >= 0) {
				/* A pipe cannot take back what it was sent. */
				if (rec_start < 0 ||
				    ftruncate(ctx->opts->record_fd, rec_start) <
					    0 ||
				    lseek(ctx->opts->record_fd, rec_start,
					  SEEK_SET) < 0) {
					ret = -ESPIPE;
					goto out;
				}
			}
			if (reset)
				reset(ctx->arg);
			goto restart;
		}
		if (ret == -ENOENT && walks[i] == AF_INET6) {
			/* No IPv6 in this kernel: nothing to list. */
			ret = 0;
			continue;
		}
		if (ret < 0)
			goto out;
	}
	ret = 0;
out:
	if (nl)
		mnl_socket_close(nl);
	free(buf);
	return ret;
}

static int dump_replay(struct dump_ctx *ctx)
{
	struct nlmsghdr first;
	char *buf = NULL, *nb;
	ssize_t len;
	const char *p;
	size_t left;
	bool ended = false, first_v6 = false;
	int ret = 0, walks = 0;

	/*
	 * A dump starts with a netlink header of ours: check it before
	 * reading on, so /dev/zero or a big file of something else is
	 * refused at once, not after a gigabyte. Even a dump of no sockets
	 * holds a NLMSG_DONE: an empty file is not a dump either.
	 */
	len = tli_read_fd(ctx->opts->replay_fd, (char *)&first, sizeof(first));
	if (len < 0)
		return (int)len;
	if (len == 0)
		return -ENODATA;
	if ((size_t)len < sizeof(first) || first.nlmsg_len < sizeof(first) ||
	    (!is_sock_msg(&first) && first.nlmsg_type != NLMSG_DONE))
		return -EBADMSG;
	len = tli_read_fd_alloc(ctx->opts->replay_fd, 1 << 20,
				REPLAY_MAX - sizeof(first), &buf);
	if (len < 0)
		return (int)len;
	nb = realloc(buf, (size_t)len + sizeof(first));
	if (!nb) {
		ret = -ENOMEM;
		goto out;
	}
	buf = nb;
	memmove(buf + sizeof(first), buf, (size_t)len);
	memcpy(buf, &first, sizeof(first));
	len += (ssize_t)sizeof(first);
	/*
	 * Walk message by message: a recording holds one walk, ended by
	 * NLMSG_DONE, of both families or, from a kernel that walks one
	 * family at a time, two: IPv4's, then IPv6's. Anything after that
	 * is a second dump (a file appended to), and a file that stops
	 * before an end was cut short: either would list the wrong sockets.
	 */
	p = buf;
	left = (size_t)len;
	while (left > 0) {
		const struct nlmsghdr *nlh = (const void *)p;
		size_t step;

		if (walks == 2 || (walks == 1 && first_v6)) {
			ret = -EEXIST;
			goto out;
		}
		/*
		 * Past an end message, whatever follows was added to the
		 * file, unless it is the start of the IPv6 walk that a kernel
		 * walking one family at a time sends next, cut. Before one, a
		 * message longer than what is left was cut (the first one's
		 * header was checked above); one shorter than a header is not
		 * netlink.
		 */
		if (left < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) ||
		    nlh->nlmsg_len > left) {
			bool v6_next =
				walks == 1 && !first_v6 &&
				left > sizeof(*nlh) && nlh->nlmsg_len > left &&
				is_sock_msg(nlh) &&
				((const uint8_t *)(nlh + 1))[0] == AF_INET6;

			if (ended && !v6_next)
				ret = -EEXIST;
			else if (left >= sizeof(*nlh) &&
				 nlh->nlmsg_len < sizeof(*nlh))
				ret = -EBADMSG;
			else
				ret = -ENOMSG;
			goto out;
		}
		ended = nlh->nlmsg_type == NLMSG_DONE;
		if (ended) {
			walks++;
		} else if (nlh->nlmsg_type == NLMSG_ERROR) {
			ret = -EBADMSG;
			goto out;
		}
		if (is_sock_msg(nlh) && mnl_nlmsg_get_payload_len(nlh) >=
						sizeof(struct inet_diag_msg)) {
			const struct inet_diag_msg *m =
				mnl_nlmsg_get_payload(nlh);

			/* IPv4 after a walk: that walk had this dump's. */
			if (walks == 1 && m->idiag_family == AF_INET) {
				ret = -EEXIST;
				goto out;
			}
			if (m->idiag_family == AF_INET6 && walks == 0)
				first_v6 = true;
		}
		if (is_sock_msg(nlh)) {
			if (data_cb(nlh, ctx) == MNL_CB_ERROR) {
				ret = -EBADMSG;
				goto out;
			}
			if (ctx->cb_err) {
				ret = ctx->cb_err;
				goto out;
			}
		}
		step = NLMSG_ALIGN(nlh->nlmsg_len);
		if (step > left)
			step = left;
		p += step;
		left -= step;
	}
	if (!ended)
		ret = -ENOMSG;
out:
	free(buf);
	return ret;
}

int tl_sockdiag_dump(const struct tl_dump_opts *opts, tl_sock_cb cb,
		     void (*reset)(void *arg), void *arg)
{
	struct dump_ctx ctx = {
		.opts = opts,
		.states = opts->states ? opts->states : TL_STATES_REAL,
		.cb = cb,
		.arg = arg,
	};

	if (opts->family != AF_UNSPEC && opts->family != AF_INET &&
	    opts->family != AF_INET6)
		return -EAFNOSUPPORT;
	if (opts->replay_fd >= 0)
		return dump_replay(&ctx);
	return dump_live(&ctx, reset);
}

/* One socket, named exactly: destroyed, or looked up into *found. */
struct exact_args {
	const struct tl_sock *sk;
	struct tl_sock *found; /* NULL: destroy */
};

/* A lookup's reply: the socket as it is now. */
static int found_cb(const struct nlmsghdr *nlh, void *data)
{
	struct tl_sock *found = data;

	if (!is_sock_msg(nlh) ||
	    tl_sockdiag_parse(nlh, nlh->nlmsg_len, found) < 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static int exact_in_ns(void *data)
{
	const struct exact_args *a = data;
	const struct tl_sock *sk = a->sk;
	char buf[8192];
	struct mnl_socket *nl = NULL;
	struct nlmsghdr *nlh;
	struct inet_diag_req_v2 *req;
	size_t alen = sk->family == AF_INET ? 4 : 16;
	uint32_t seq = (uint32_t)time(NULL);
	ssize_t n;
	int ret;

	ret = open_nl(&nl);
	if (ret < 0)
		return ret;
	nlh = mnl_nlmsg_put_header(buf);
	/* A lookup answers with the socket, or with an error alone. */
	nlh->nlmsg_type = a->found ? SOCK_DIAG_BY_FAMILY : SOCK_DESTROY;
	nlh->nlmsg_flags = NLM_F_REQUEST | (a->found ? 0 : NLM_F_ACK);
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = sk->family;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_states = TL_STATE_BIT(sk->state);
	req->id.idiag_sport = htons(sk->sport);
	req->id.idiag_dport = htons(sk->dport);
	memcpy(req->id.idiag_src, sk->src, alen);
	memcpy(req->id.idiag_dst, sk->dst, alen);
	req->id.idiag_if = sk->ifindex;
	/* The cookie makes sure we name this socket, not a newer one. */
	req->id.idiag_cookie[0] = (uint32_t)sk->cookie;
	req->id.idiag_cookie[1] = (uint32_t)(sk->cookie >> 32);

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	ret = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl),
			 a->found ? found_cb : NULL, a->found);
	ret = ret < 0 ? -errno : 0;
out:
	mnl_socket_close(nl);
	return ret;
}

int tl_sockdiag_destroy(const struct tl_sock *sk, int netns_fd)
{
	struct exact_args a = { .sk = sk };

	if (sk->family != AF_INET && sk->family != AF_INET6)
		return -EAFNOSUPPORT;
	return tl_netns_run(netns_fd, exact_in_ns, &a);
}

int tl_sockdiag_lookup(const struct tl_sock *sk, int netns_fd,
		       struct tl_sock *ret)
{
	struct exact_args a = { .sk = sk, .found = ret };
	int r;

	if (sk->family != AF_INET && sk->family != AF_INET6)
		return -EAFNOSUPPORT;
	memset(ret, 0, sizeof(*ret));
	r = tl_netns_run(netns_fd, exact_in_ns, &a);
	/* ESTALE: the address names a newer socket, not this one. */
	if (r == -ESTALE)
		return -ENOENT;
	if (r == 0 && ret->cookie != sk->cookie)
		return -EBADMSG;
	return r;
}
