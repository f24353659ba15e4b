// SPDX-License-Identifier: MIT
/*
 * The sock_diag parser and the snapshot's classification, on a dump the
 * kernel really sent (tests/fixtures/post.nl, made by make-post-dump.sh)
 * and on hand-made malformed messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"
#include "tcplimbo/snapshot.h"
#include "tcplimbo/sockdiag.h"
#include "test_sockdiag.h"

static int replay(const char *name, int family, uint32_t states, struct got *g)
{
	struct tl_dump_opts o;
	char path[512];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	tl_dump_opts_init(&o);
	o.family = family;
	o.states = states;
	o.replay_fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(o.replay_fd >= 0);
	memset(g, 0, sizeof(*g));
	ret = tl_sockdiag_dump(&o, grab, NULL, g);
	close(o.replay_fd);
	return ret;
}

static const struct tl_sock *find(const struct got *g, int state,
				  uint16_t sport)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->s[i].state == state && g->s[i].sport == sport)
			return &g->s[i];
	return NULL;
}

static void test_replay_post(void **st)
{
	struct got g;
	const struct tl_sock *cw, *l, *fw, *tw, *l6;
	static const uint8_t lo4[4] = { 127, 0, 0, 1 };

	(void)st;
	assert_int_equal(replay("post.nl", AF_UNSPEC, 0, &g), 0);
	assert_int_equal(g.n, 7);

	/* The post's CLOSE_WAIT: 4 bytes and the FIN unread, no fd. */
	cw = find(&g, TL_CLOSE_WAIT, 3000);
	assert_non_null(cw);
	assert_int_equal(cw->family, AF_INET);
	assert_memory_equal(cw->src, lo4, 4);
	assert_int_equal(cw->rqueue, 5);
	assert_int_equal(cw->inode, 0);
	assert_true(cw->has & TL_HAS_SHUTDOWN);
	assert_int_equal(cw->shutdown & 1, 1);
	assert_true(cw->has & TL_HAS_INFO);
	assert_int_equal(cw->bytes_received, 5);
	assert_true(cw->last_ack_recv_ms < 60000);

	/* Its listener: one queued, backlog 8, a drop counter. */
	l = find(&g, TL_LISTEN, 3000);
	assert_non_null(l);
	assert_int_equal(l->rqueue, 1);
	assert_int_equal(l->wqueue, 8);
	assert_true(l->has & TL_HAS_MEMINFO);
	assert_int_not_equal(l->inode, 0);

	/* The client's orphan FIN_WAIT2 is a timewait minisock: no info. */
	fw = find(&g, TL_FIN_WAIT2, cw->dport);
	assert_non_null(fw);
	assert_int_equal(fw->dport, 3000);
	assert_int_equal(fw->inode, 0);
	assert_false(fw->has & TL_HAS_INFO);

	tw = find(&g, TL_TIME_WAIT, 3001);
	assert_non_null(tw);
	assert_int_equal(tw->family, AF_INET6);
	assert_int_equal(tw->timer, 3);

	l6 = find(&g, TL_LISTEN, 3001);
	assert_non_null(l6);
	assert_int_equal(l6->family, AF_INET6);
	assert_int_equal(l6->src[15], 1); /* ::1 */
	assert_true(l6->has & TL_HAS_V6ONLY);
}

/*
 * cgroup.nl: a server in cgroup2 directory 82 (make-cgroup-dump.sh printed
 * the id) with one connection queued on :3000 and an accepted pair and a
 * TIME_WAIT on :3001.
 */
static void test_replay_cgroup(void **st)
{
	struct got g;
	const struct tl_sock *l, *q = NULL, *tw;
	size_t full = 0;

	(void)st;
	assert_int_equal(replay("cgroup.nl", AF_INET, 0, &g), 0);
	assert_int_equal(g.n, 7);
	for (size_t i = 0; i < g.n; i++) {
		if (g.s[i].state == TL_TIME_WAIT)
			continue;
		full++;
		assert_true(g.s[i].has & TL_HAS_CGROUP);
		assert_int_equal(g.s[i].cgroup_id, 82);
		if (g.s[i].sport == 3000 && g.s[i].state == TL_ESTABLISHED)
			q = &g.s[i];
	}
	assert_int_equal(full, 6);
	/* The queued child has no fd, but its listener's cgroup. */
	assert_non_null(q);
	assert_int_equal(q->inode, 0);
	l = find(&g, TL_LISTEN, 3000);
	assert_non_null(l);
	assert_int_equal(q->cgroup_id, l->cgroup_id);
	/* A timewait entry is no full socket: no cgroup. */
	tw = find(&g, TL_TIME_WAIT, 3001);
	assert_non_null(tw);
	assert_false(tw->has & TL_HAS_CGROUP);
	assert_int_equal(tw->cgroup_id, 0);
}

/*
 * FIN_WAIT2 three ways: held by its program (no limbo), closed and still a
 * full socket finishing on the keepalive timer (tcp_fin_timeout over 60 s:
 * an orphan), and handed to the timewait machinery (timer 3, no tcp_info:
 * a timewait entry).
 */
static void test_classify_fin_wait2(void **st)
{
	struct tl_sock s[3];

	(void)st;
	memset(s, 0, sizeof(s));
	for (int i = 0; i < 3; i++) {
		s[i].family = AF_INET;
		s[i].state = TL_FIN_WAIT2;
		s[i].sport = (uint16_t)(40000 + i);
		s[i].dport = 3000;
	}
	s[0].inode = 77;
	s[0].has = TL_HAS_INFO;
	s[1].has = TL_HAS_INFO;
	s[1].timer = TL_TIMER_KEEPALIVE;
	s[2].timer = TL_TIMER_TIMEWAIT;
	tl_snapshot_classify(s, 3);
	assert_int_equal(s[0].limbo, TL_LIMBO_NONE);
	assert_int_equal(s[1].limbo, TL_LIMBO_ORPHAN);
	assert_int_equal(s[2].limbo, TL_LIMBO_TIMEWAIT);
	assert_true(tl_sock_is_timewait(&s[2]));
	assert_false(tl_sock_is_timewait(&s[1]));
	/* A full socket with tcp_info is never a timewait entry. */
	s[2].has = TL_HAS_INFO;
	tl_snapshot_classify(s, 3);
	assert_int_equal(s[2].limbo, TL_LIMBO_ORPHAN);
}

/* A request socket takes its listener's cgroup when tied to it. */
static void test_classify_cgroup(void **st)
{
	struct tl_sock s[3];
	static const uint8_t lo4[4] = { 127, 0, 0, 1 };

	(void)st;
	memset(s, 0, sizeof(s));
	for (int i = 0; i < 3; i++) {
		s[i].family = AF_INET;
		memcpy(s[i].src, lo4, 4);
		memcpy(s[i].dst, lo4, 4);
		s[i].sport = 3000;
	}
	s[0].state = TL_LISTEN;
	s[0].inode = 7;
	s[0].cgroup_id = 82;
	s[0].has = TL_HAS_CGROUP;
	s[1].state = TL_NEW_SYN_RECV;
	s[1].dport = 40000;
	s[2].state = TL_TIME_WAIT;
	s[2].dport = 40001;
	tl_snapshot_classify(s, 3);
	assert_int_equal(s[1].listener, 1);
	assert_true(s[1].has & TL_HAS_CGROUP);
	assert_int_equal(s[1].cgroup_id, 82);
	assert_false(s[2].has & TL_HAS_CGROUP);
}

static void test_replay_filters(void **st)
{
	struct got g;

	(void)st;
	assert_int_equal(replay("post.nl", AF_INET6, 0, &g), 0);
	assert_int_equal(g.n, 4);
	for (size_t i = 0; i < g.n; i++)
		assert_int_equal(g.s[i].family, AF_INET6);
	assert_int_equal(replay("post.nl", AF_UNSPEC,
				TL_STATE_BIT(TL_CLOSE_WAIT), &g),
			 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.s[0].state, TL_CLOSE_WAIT);
}

static void test_classify_post(void **st)
{
	struct got g;
	struct tl_sock *cw = NULL, *l = NULL;

	(void)st;
	assert_int_equal(replay("post.nl", AF_UNSPEC, 0, &g), 0);
	tl_snapshot_classify(g.s, g.n);
	for (size_t i = 0; i < g.n; i++) {
		struct tl_sock *s = &g.s[i];

		switch (s->state) {
		case TL_CLOSE_WAIT:
			cw = s;
			assert_int_equal(s->limbo, TL_LIMBO_ACCEPT_QUEUE);
			break;
		case TL_LISTEN:
			if (s->sport == 3000)
				l = s;
			assert_int_equal(s->limbo, TL_LIMBO_NONE);
			break;
		case TL_FIN_WAIT2:
			/*
			 * The client's side after close(): recorded from the
			 * kernel as a timewait entry (timer 3, no tcp_info),
			 * so it is classed with TIME_WAIT, not as an orphan.
			 */
			assert_int_equal(s->timer, TL_TIMER_TIMEWAIT);
			assert_false(s->has & TL_HAS_INFO);
			assert_int_equal(s->limbo, TL_LIMBO_TIMEWAIT);
			break;
		case TL_TIME_WAIT:
			assert_int_equal(s->limbo, TL_LIMBO_TIMEWAIT);
			break;
		case TL_ESTABLISHED:
			/* the accepted IPv6 pair: both have fds */
			assert_int_not_equal(s->inode, 0);
			assert_int_equal(s->limbo, TL_LIMBO_NONE);
			break;
		default:
			fail_msg("unexpected state %d", s->state);
		}
	}
	assert_non_null(cw);
	assert_non_null(l);
	assert_ptr_equal(&g.s[cw->listener - 1], l);
}

/* Builds one SOCK_DIAG_BY_FAMILY message; returns its length. */
static size_t build(char *buf, size_t size, uint8_t family, uint8_t state,
		    const void *attr, uint16_t atype, uint16_t alen)
{
	struct nlmsghdr *nlh = (void *)buf;
	struct inet_diag_msg *r = NLMSG_DATA(nlh);
	size_t len = NLMSG_LENGTH(sizeof(*r));

	assert_true(size >= len + NLA_HDRLEN + NLA_ALIGN(alen));
	memset(buf, 0, size);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	r->idiag_family = family;
	r->idiag_state = state;
	r->id.idiag_sport = htons(80);
	r->idiag_rqueue = 7;
	if (attr) {
		struct nlattr *a = (void *)(buf + NLMSG_ALIGN(len));

		a->nla_type = atype;
		a->nla_len = (uint16_t)(NLA_HDRLEN + alen);
		memcpy((char *)a + NLA_HDRLEN, attr, alen);
		len = NLMSG_ALIGN(len) + NLA_ALIGN(a->nla_len);
	}
	nlh->nlmsg_len = (uint32_t)len;
	return len;
}

static void test_parse_malformed(void **st)
{
	char buf[512];
	struct tl_sock sk;
	uint8_t one = 1;
	uint32_t meminfo[SK_MEMINFO_VARS] = { 0 };
	size_t len;

	(void)st;
	/* A well-formed minimal message parses. */
	len = build(buf, sizeof(buf), AF_INET, TL_LISTEN, NULL, 0, 0);
	assert_int_equal(tl_sockdiag_parse(buf, len, &sk), 0);
	assert_int_equal(sk.sport, 80);
	assert_int_equal(sk.rqueue, 7);
	assert_int_equal(sk.has, 0);

	/* Shorter than a header, or than it claims, or than the payload. */
	assert_int_equal(tl_sockdiag_parse(buf, 8, &sk), -EBADMSG);
	assert_int_equal(tl_sockdiag_parse(buf, len - 1, &sk), -EBADMSG);
	((struct nlmsghdr *)buf)->nlmsg_len = NLMSG_LENGTH(4);
	assert_int_equal(tl_sockdiag_parse(buf, len, &sk), -EBADMSG);

	/* A family sock_diag's inet handler never sends. */
	len = build(buf, sizeof(buf), AF_UNIX, TL_LISTEN, NULL, 0, 0);
	assert_int_equal(tl_sockdiag_parse(buf, len, &sk), -EBADMSG);

	/* An attribute whose length runs past the message. */
	len = build(buf, sizeof(buf), AF_INET, TL_LISTEN, &one,
		    INET_DIAG_SHUTDOWN, 1);
	((struct nlattr *)(buf + NLMSG_LENGTH(sizeof(struct inet_diag_msg))))
		->nla_len = 200;
	assert_int_equal(tl_sockdiag_parse(buf, len, &sk), -EBADMSG);

	/* An empty SHUTDOWN, a too-short SKMEMINFO: ignored, not read. */
	len = build(buf, sizeof(buf), AF_INET, TL_LISTEN, &one,
		    INET_DIAG_SHUTDOWN, 0);
	assert_int_equal(tl_sockdiag_parse(buf, len, &sk), 0);
	assert_false(sk.has & TL_HAS_SHUTDOWN);
	len = build(buf, sizeof(buf), AF_INET, TL_LISTEN, meminfo,
		    INET_DIAG_SKMEMINFO, 4 * SK_MEMINFO_DROPS);
	assert_int_equal(tl_sockdiag_parse(buf, len, &sk), 0);
	assert_false(sk.has & TL_HAS_MEMINFO);
	meminfo[SK_MEMINFO_DROPS] = 42;
	len = build(buf, sizeof(buf), AF_INET, TL_LISTEN, meminfo,
		    INET_DIAG_SKMEMINFO, sizeof(meminfo));
	assert_int_equal(tl_sockdiag_parse(buf, len, &sk), 0);
	assert_true(sk.has & TL_HAS_MEMINFO);
	assert_int_equal(sk.drops, 42);

	/* A tcp_info shorter than ours (an old kernel): the rest is zero. */
	{
		uint32_t ti[24];

		memset(ti, 0xff, sizeof(ti));
		len = build(buf, sizeof(buf), AF_INET, TL_ESTABLISHED, ti,
			    INET_DIAG_INFO, 8 + 4 * 15); /* up to pmtu */
		assert_int_equal(tl_sockdiag_parse(buf, len, &sk), 0);
		assert_true(sk.has & TL_HAS_INFO);
		assert_int_equal(sk.bytes_received, 0);
		assert_int_equal(sk.rtt_us, 0);
		assert_int_equal(sk.last_ack_recv_ms, 0xffffffffu);
	}

	/* ULP_INFO: its name first, a string; mptcp marks a subflow. */
	{
		char nest[32] = { 0 };
		struct nlattr *n = (void *)nest;

		n->nla_type = INET_ULP_INFO_NAME;
		n->nla_len = NLA_HDRLEN + 6;
		memcpy(nest + NLA_HDRLEN, "mptcp", 6);
		len = build(buf, sizeof(buf), AF_INET, TL_ESTABLISHED, nest,
			    INET_DIAG_ULP_INFO, NLA_ALIGN(n->nla_len));
		assert_int_equal(tl_sockdiag_parse(buf, len, &sk), 0);
		assert_true(sk.has & TL_HAS_MPTCP);
		/* Another ULP, a name not terminated, a nest cut short. */
		memcpy(nest + NLA_HDRLEN, "tls\0\0", 6);
		len = build(buf, sizeof(buf), AF_INET, TL_ESTABLISHED, nest,
			    INET_DIAG_ULP_INFO, NLA_ALIGN(n->nla_len));
		assert_int_equal(tl_sockdiag_parse(buf, len, &sk), 0);
		assert_false(sk.has & TL_HAS_MPTCP);
		memcpy(nest + NLA_HDRLEN, "mptcpx", 6);
		len = build(buf, sizeof(buf), AF_INET, TL_ESTABLISHED, nest,
			    INET_DIAG_ULP_INFO, NLA_ALIGN(n->nla_len));
		assert_int_equal(tl_sockdiag_parse(buf, len, &sk), 0);
		assert_false(sk.has & TL_HAS_MPTCP);
		memcpy(nest + NLA_HDRLEN, "mptcp", 6);
		len = build(buf, sizeof(buf), AF_INET, TL_ESTABLISHED, nest,
			    INET_DIAG_ULP_INFO, 6);
		assert_int_equal(tl_sockdiag_parse(buf, len, &sk), 0);
		assert_false(sk.has & TL_HAS_MPTCP);
	}
}

/* Replays the first len bytes of data, twice over if twice. */
static int replay_bytes(const char *data, size_t len, bool twice)
{
	char path[] = "/tmp/tl-trunc-XXXXXX";
	struct tl_dump_opts o;
	struct got g;
	int fd, r;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	for (int i = 0; i < 1 + twice; i++)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
	lseek(fd, 0, SEEK_SET);
	tl_dump_opts_init(&o);
	o.replay_fd = fd;
	memset(&g, 0, sizeof(g));
	r = tl_sockdiag_dump(&o, grab, NULL, &g);
	close(fd);
	return r;
}

/*
 * A dump cut short (in a message, or at a message's end, which loses the
 * end message) or followed by another is refused: each would list some
 * sockets but not all, or some twice.
 */
static void test_replay_truncated(void **st)
{
	char src[512], data[4096];
	const struct nlmsghdr *last;
	size_t second;
	int in;
	ssize_t n;

	(void)st;
	snprintf(src, sizeof(src), "%s/post.nl", FIXTURES);
	in = open(src, O_RDONLY);
	assert_true(in >= 0);
	n = read(in, data, sizeof(data));
	close(in);
	assert_true(n > 100 && n < (ssize_t)sizeof(data));
	assert_int_equal(replay_bytes(data, (size_t)n, false), 0);
	/* Cut the last message in half. */
	assert_int_equal(replay_bytes(data, (size_t)n - 10, false), -ENOMSG);
	/* Without the end message, which the fixture ends with. */
	last = (const void *)(data + n - NLMSG_ALIGN(sizeof(*last) + 4));
	assert_int_equal(last->nlmsg_type, NLMSG_DONE);
	assert_int_equal(replay_bytes(data, (size_t)((const char *)last - data),
				      false),
			 -ENOMSG);
	assert_int_equal(replay_bytes(data, (size_t)n, true), -EEXIST);
	/* Cut inside its first message: cut short too, not "not a dump". */
	assert_int_equal(replay_bytes(data, 40, false), -ENOMSG);
	/* A few bytes after the end, too few for a header: added too. */
	memcpy(data + n, "garbage", 7);
	assert_int_equal(replay_bytes(data, (size_t)n + 7, false), -EEXIST);
	/*
	 * After the end, the start of an IPv6 walk (a kernel that walks one
	 * family at a time sends it next), cut: cut short, not added.
	 */
	{
		char v4[256];
		struct nlmsghdr *h = (struct nlmsghdr *)v4;
		struct inet_diag_msg *m = (struct inet_diag_msg *)(h + 1);
		size_t off = NLMSG_SPACE(sizeof(*m));

		/* An IPv4 walk of one listener, its end, then IPv6's, cut. */
		memset(v4, 0, sizeof(v4));
		h->nlmsg_len = (uint32_t)NLMSG_LENGTH(sizeof(*m));
		h->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		m->idiag_family = AF_INET;
		m->idiag_state = TL_LISTEN;
		m->id.idiag_sport = htons(80);
		h = (struct nlmsghdr *)(v4 + off);
		h->nlmsg_len = NLMSG_LENGTH(4);
		h->nlmsg_type = NLMSG_DONE;
		off += NLMSG_SPACE(4);
		assert_int_equal(replay_bytes(v4, off, false), 0);
		h = (struct nlmsghdr *)(v4 + off);
		h->nlmsg_len = (uint32_t)NLMSG_LENGTH(sizeof(*m));
		h->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		v4[off + sizeof(*h)] = AF_INET6;
		assert_int_equal(replay_bytes(v4, off + sizeof(*h) + 8, false),
				 -ENOMSG);
	}
	/* A second header too short to be one: not netlink. */
	second = NLMSG_ALIGN(((const struct nlmsghdr *)data)->nlmsg_len);
	assert_true(second + 16 < (size_t)n);
	memset(data + second, 0, 4);
	assert_int_equal(replay_bytes(data, (size_t)n, false), -EBADMSG);
}

static void test_state_names(void **st)
{
	uint32_t m;

	(void)st;
	assert_string_equal(tl_state_name(TL_CLOSE_WAIT), "close-wait");
	assert_string_equal(tl_state_name_upper(TL_FIN_WAIT2), "FIN_WAIT2");
	assert_null(tl_state_name(0));
	assert_null(tl_state_name(TL_STATE_MAX));
	assert_int_equal(tl_state_parse("close-wait", &m), 0);
	assert_int_equal(m, TL_STATE_BIT(TL_CLOSE_WAIT));
	assert_int_equal(tl_state_parse("CLOSE_WAIT", &m), 0);
	assert_int_equal(m, TL_STATE_BIT(TL_CLOSE_WAIT));
	assert_int_equal(tl_state_parse("FIN_WAIT1", &m), 0);
	assert_int_equal(m, TL_STATE_BIT(TL_FIN_WAIT1));
	assert_int_equal(tl_state_parse("listening", &m), 0);
	assert_int_equal(m, TL_STATE_BIT(TL_LISTEN));
	assert_int_equal(tl_state_parse("connected", &m), 0);
	assert_false(m & TL_STATE_BIT(TL_LISTEN));
	assert_false(m & TL_STATE_BIT(TL_CLOSE));
	/* As ss 6.1's: TIME-WAIT is connected. */
	assert_true(m & TL_STATE_BIT(TL_TIME_WAIT));
	assert_true(m & TL_STATE_BIT(TL_CLOSE_WAIT));
	assert_true(m & TL_STATE_BIT(TL_SYN_SENT));
	assert_int_equal(tl_state_parse("synchronized", &m), 0);
	assert_false(m & TL_STATE_BIT(TL_SYN_SENT));
	assert_int_equal(tl_state_parse("all", &m), 0);
	assert_int_equal(m, TL_STATES_REAL);
	assert_int_equal(tl_state_parse("close-wiat", &m), -EINVAL);
	assert_int_equal(tl_state_parse("", &m), -EINVAL);
	assert_int_equal(tl_state_parse("established-established-established",
					&m),
			 -EINVAL);
	assert_string_equal(tl_limbo_name(TL_LIMBO_ACCEPT_QUEUE),
			    "accept-queue");
	assert_null(tl_limbo_name(TL_LIMBO_NONE));
}

/* Hand-built children and listeners for the tie's corner cases. */
static struct tl_sock mk(int fam, int state, const char *a, uint16_t port,
			 uint32_t inode)
{
	struct tl_sock s;

	memset(&s, 0, sizeof(s));
	s.family = (uint8_t)fam;
	s.state = (uint8_t)state;
	s.sport = port;
	s.inode = inode;
	s.has = TL_HAS_INFO;
	inet_pton(fam, a, s.src);
	return s;
}

static void test_classify_ties(void **st)
{
	struct tl_sock s[8];

	(void)st;
	/* An exact listener beats a wildcard on the same port. */
	s[0] = mk(AF_INET, TL_LISTEN, "0.0.0.0", 80, 10);
	s[1] = mk(AF_INET, TL_LISTEN, "127.0.0.2", 80, 11);
	s[2] = mk(AF_INET, TL_ESTABLISHED, "127.0.0.2", 80, 0);
	s[3] = mk(AF_INET, TL_ESTABLISHED, "127.0.0.3", 80, 0);
	/* A v6only [::] listener does not take v4-mapped children... */
	s[4] = mk(AF_INET6, TL_LISTEN, "::", 81, 12);
	s[4].has |= TL_HAS_V6ONLY;
	s[4].v6only = 1;
	s[5] = mk(AF_INET6, TL_CLOSE_WAIT, "::ffff:127.0.0.1", 81, 0);
	/* ...but takes IPv6 ones; and a different port never matches. */
	s[6] = mk(AF_INET6, TL_ESTABLISHED, "::1", 81, 0);
	s[7] = mk(AF_INET6, TL_ESTABLISHED, "::1", 82, 0);
	tl_snapshot_classify(s, 8);
	assert_int_equal(s[2].listener, 2);
	assert_int_equal(s[3].listener, 1);
	assert_int_equal(s[5].listener, 0);
	assert_int_equal(s[5].limbo, TL_LIMBO_ACCEPT_QUEUE);
	assert_int_equal(s[6].listener, 5);
	assert_int_equal(s[7].listener, 0);
	/* Dual-stack after all: now the v4-mapped child is tied. */
	s[4].v6only = 0;
	tl_snapshot_classify(s, 8);
	assert_int_equal(s[5].listener, 5);
}

/*
 * SO_REUSEPORT listeners share address and port, each with its own queue:
 * a child is tied to the only one with a queue; with several queues it is
 * one of them (the longest named, n_listeners says how many); a listener
 * bound to another device is not a candidate at all.
 */
static void test_classify_reuseport(void **st)
{
	struct tl_sock s[7];
	struct tl_snapshot snap = { .socks = s, .n_socks = 7 };

	(void)st;
	s[0] = mk(AF_INET, TL_LISTEN, "0.0.0.0", 80, 10);
	s[1] = mk(AF_INET, TL_LISTEN, "0.0.0.0", 80, 11);
	s[2] = mk(AF_INET, TL_LISTEN, "0.0.0.0", 80, 12);
	s[3] = mk(AF_INET, TL_CLOSE_WAIT, "127.0.0.1", 80, 0);
	s[4] = mk(AF_INET, TL_ESTABLISHED, "127.0.0.1", 80, 0);
	/* Bound to device 7: takes only what came in on it. */
	s[5] = mk(AF_INET, TL_LISTEN, "0.0.0.0", 80, 13);
	s[5].ifindex = 7;
	s[5].rqueue = 50;
	s[6] = mk(AF_INET, TL_ESTABLISHED, "127.0.0.1", 80, 0);
	s[6].ifindex = 7;

	/* Only the second has a queue: it is that one, for certain. */
	s[1].rqueue = 2;
	tl_snapshot_classify(s, 7);
	assert_int_equal(s[3].listener, 2);
	assert_int_equal(s[3].n_listeners, 1);
	assert_int_equal(s[4].listener, 2);
	assert_true(tl_snapshot_may_queue(&snap, &s[3], &s[1]));
	assert_false(tl_snapshot_may_queue(&snap, &s[3], &s[0]));
	assert_false(tl_snapshot_may_queue(&snap, &s[3], &s[5]));
	/* The device's own listener, never the unbound ones. */
	assert_int_equal(s[6].listener, 6);
	assert_int_equal(s[6].n_listeners, 1);

	/* Two queues: one of two, the longer named. */
	s[2].rqueue = 5;
	tl_snapshot_classify(s, 7);
	assert_int_equal(s[3].listener, 3);
	assert_ptr_equal(
		tl_snapshot_find_listener(&snap, AF_INET, s[3].src, 80), &s[2]);
	assert_int_equal(s[3].n_listeners, 2);
	assert_true(tl_snapshot_may_queue(&snap, &s[3], &s[1]));
	assert_true(tl_snapshot_may_queue(&snap, &s[3], &s[2]));
	assert_false(tl_snapshot_may_queue(&snap, &s[3], &s[0]));
	assert_false(tl_snapshot_may_queue(&snap, &s[3], &s[3]));

	/* No queue at all (the dump raced accept()): any of the three. */
	s[1].rqueue = s[2].rqueue = 0;
	tl_snapshot_classify(s, 7);
	assert_int_equal(s[3].listener, 1);
	assert_int_equal(s[3].n_listeners, 3);

	/*
	 * A v6only [::] listener beside two dual-stack ones on the same
	 * port (another group): never a v4-mapped connection's queue.
	 */
	{
		struct tl_sock v[4];
		struct tl_snapshot vsnap = { .socks = v, .n_socks = 4 };

		v[0] = mk(AF_INET6, TL_LISTEN, "::", 81, 20);
		v[1] = mk(AF_INET6, TL_LISTEN, "::", 81, 21);
		v[2] = mk(AF_INET6, TL_LISTEN, "::", 81, 22);
		v[2].has |= TL_HAS_V6ONLY;
		v[2].v6only = 1;
		v[3] = mk(AF_INET6, TL_CLOSE_WAIT, "::ffff:127.0.0.1", 81, 0);
		v[0].rqueue = v[1].rqueue = v[2].rqueue = 3;
		tl_snapshot_classify(v, 4);
		assert_int_equal(v[3].n_listeners, 2);
		assert_true(tl_snapshot_may_queue(&vsnap, &v[3], &v[0]));
		assert_true(tl_snapshot_may_queue(&vsnap, &v[3], &v[1]));
		assert_false(tl_snapshot_may_queue(&vsnap, &v[3], &v[2]));
	}

	/* A lone listener: certain, as before. */
	tl_snapshot_classify(&s[2], 2);
	assert_int_equal(s[3].listener, 1);
	assert_int_equal(s[3].n_listeners, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_post),
		cmocka_unit_test(test_replay_filters),
		cmocka_unit_test(test_replay_cgroup),
		cmocka_unit_test(test_classify_cgroup),
		cmocka_unit_test(test_classify_post),
		cmocka_unit_test(test_classify_fin_wait2),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_replay_truncated),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_classify_ties),
		cmocka_unit_test(test_classify_reuseport),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
