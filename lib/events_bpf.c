// SPDX-License-Identifier: MIT
/*
 * The bpf backend: bpf/tcpstates.bpf.c on inet_sock_set_state, read from
 * its per-CPU perf buffers in time order (perfbuf.c). tp_btf is tried
 * first (typed arguments, lowest cost); the classic tracepoint is the
 * fallback. Programs are attached through links owned by this process,
 * so they go away with it however it ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "events_backend.h"
#include "perfbuf.h"
#include "sktrack.h"
#include "tcpstates.h"
#include "accept.skel.h"
#include "tcpstates.skel.h"

/* The longest a record waits in its buffer for a batch to fill. */
#define DRAIN_MS 50
/*
 * The most records one tl_events_run call hands over. Under a churn records
 * keep coming: the caller's deadline, signals and --top's refresh wait for
 * the batch to end.
 */
#define RUN_MAX 8192
/*
 * The most sockets followed in user space at once (sktrack.h): a table of
 * at most 160 MiB, for 2 million sockets changing state at once (whose
 * kernel side takes gigabytes). Past that, new ones go without what the
 * program no longer keeps (their owners come from /proc).
 */
#define TRACK_MAX (2u << 20)

struct bpf_impl {
	struct tcpstates_bpf *skel;
	struct accept_bpf *accept; /* NULL when the kernel refused it */
	struct tli_pbuf *pb;
	/*
	 * Each socket's owner and last change, when the program keeps them
	 * only for a few sockets (nothing filtered in the kernel); else NULL.
	 */
	struct tli_sktrack *track;
	int64_t mono_to_real_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC at start */
	int family;
	int prog_fd; /* the entry point attached, for its kernel counts */
	/*
	 * The namespace watched, held open while the program is loaded: the
	 * program remembers its struct net by address (target_net in
	 * tcpstates.bpf.c), which must not be freed and reused meanwhile.
	 */
	int ns_fd;
	const char *detail;
	char detail_buf[192];
	struct tli_steps steps;
	/* The current tl_events_run call. */
	tl_event_cb cb;
	void *arg;
};

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * The library must not print; libbpf's messages go nowhere while it loads
 * and attaches, and its errors come back as return values. The caller's
 * own print function (libbpf keeps one for the process) is put back after.
 */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static uint8_t limbo_of(const struct tl_bpf_event *e)
{
	if (e->newstate == TL_TIME_WAIT)
		return TL_LIMBO_TIMEWAIT;
	if (!(e->flags & TL_BPF_NO_SOCKET))
		return TL_LIMBO_NONE;
	if (e->flags & TL_BPF_DEAD)
		return TL_LIMBO_ORPHAN;
	/*
	 * No struct socket and not closed: a child the kernel made that no
	 * accept() has taken yet. The caller confirms it by its listener.
	 */
	return e->newstate == TL_LISTEN ? TL_LIMBO_NONE : TL_LIMBO_ACCEPT_QUEUE;
}

static int on_record(void *ctx, const void *data)
{
	struct bpf_impl *b = ctx;
	const struct tl_bpf_event *e = data;
	struct tl_event ev;
	size_t alen;
	int r;

	if (b->family != AF_UNSPEC && e->family != b->family)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.ts_ms =
		(uint64_t)(((int64_t)e->ts_ns + b->mono_to_real_ns) / 1000000);
	ev.key = e->skaddr;
	ev.netns = e->netns;
	if (e->flags & TL_BPF_HAS_DELTA) {
		ev.ms_in_old = e->delta_ns / 1000000;
		ev.flags |= TL_EVENT_HAS_MS;
	}
	alen = e->family == AF_INET ? 4 : 16;
	memcpy(ev.src, e->saddr, alen);
	memcpy(ev.dst, e->daddr, alen);
	ev.inode = e->inode;
	ev.sport = e->sport;
	ev.dport = e->dport;
	ev.family = (uint8_t)e->family;
	ev.old_state = e->oldstate;
	ev.new_state = e->newstate;
	ev.limbo = limbo_of(e);
	if (e->flags & (TL_BPF_OWNER | TL_BPF_LISTENER_OWNER)) {
		ev.flags |= e->flags & TL_BPF_OWNER ? TL_EVENT_OWNER :
						      TL_EVENT_LISTENER_OWNER;
		ev.pid = e->owner.pid;
		memcpy(ev.comm, e->owner.comm, sizeof(ev.comm));
		ev.comm[sizeof(ev.comm) - 1] = '\0';
	}
	if (e->oldstate == TL_FIN_WAIT2 && e->newstate == TL_CLOSE &&
	    !(e->flags & (TL_BPF_PEER_FIN | TL_BPF_ERROR)))
		ev.flags |= TL_EVENT_TIMEWAIT;
	/* The peer's FIN in FIN_WAIT2, or CLOSING's last ACK: TIME_WAIT. */
	if (e->newstate == TL_CLOSE && !(e->flags & TL_BPF_ERROR) &&
	    ((e->oldstate == TL_FIN_WAIT2 && (e->flags & TL_BPF_PEER_FIN)) ||
	     e->oldstate == TL_CLOSING))
		ev.flags |= TL_EVENT_TIME_WAIT;
	if (b->track)
		tli_sktrack_apply(b->track, e->ts_ns, &ev);
	ev.cause = tli_step_cause(&b->steps, ev.old_state, ev.new_state);
	if (!ev.cause)
		ev.flags |= TL_EVENT_UNKNOWN;
	r = b->cb(&ev, b->arg);
	return r < 0 ? r : 0;
}

static int bpf_run(void *impl, int timeout_ms, tl_event_cb cb, void *arg)
{
	struct bpf_impl *b = impl;

	b->cb = cb;
	b->arg = arg;
	/*
	 * The buffers wake us only when a batch is waiting; the rest is
	 * taken on this timer, so no record waits much longer than DRAIN_MS
	 * (perfbuf.c may hold one back for the next read, to order it).
	 */
	if (timeout_ms < 0 || timeout_ms > DRAIN_MS)
		timeout_ms = DRAIN_MS;
	return tli_pbuf_read(b->pb, timeout_ms, on_record, b);
}

static int bpf_flush(void *impl, tl_event_cb cb, void *arg)
{
	struct bpf_impl *b = impl;

	b->cb = cb;
	b->arg = arg;
	return tli_pbuf_flush(b->pb, on_record, b);
}

static uint64_t bpf_lost(const void *impl)
{
	const struct bpf_impl *b = impl;

	return __atomic_load_n(&b->skel->bss->lost, __ATOMIC_RELAXED) +
	       tli_pbuf_lost(b->pb);
}

static uint64_t bpf_missed(const void *impl)
{
	const struct bpf_impl *b = impl;
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	uint64_t nested;

	memset(&info, 0, sizeof(info));
	if (b->prog_fd < 0 || bpf_obj_get_info_by_fd(b->prog_fd, &info, &len))
		return 0;
	/* What tl_state_nested handled was skipped, not missed. */
	nested = __atomic_load_n(&b->skel->bss->nested, __ATOMIC_RELAXED);
	return info.recursion_misses > nested ? info.recursion_misses - nested :
						0;
}

static const char *bpf_detail(const void *impl)
{
	const struct bpf_impl *b = impl;

	return b->detail;
}

static void bpf_close(void *impl)
{
	struct bpf_impl *b = impl;

	if (!b)
		return;
	tli_pbuf_close(b->pb);
	tli_sktrack_free(b->track);
	accept_bpf__destroy(b->accept);
	tcpstates_bpf__destroy(b->skel);
	if (b->ns_fd >= 0)
		close(b->ns_fd);
	free(b);
}

static const struct tl_events_ops bpf_ops = {
	.run = bpf_run,
	.flush = bpf_flush,
	.lost = bpf_lost,
	.missed = bpf_missed,
	.detail = bpf_detail,
	.close = bpf_close,
};

/*
 * libbpf holds about nine fds at once while it loads and attaches (the
 * program, its maps, BTF, the link, the ring buffer's epoll; measured with
 * libbpf 1.1 and ulimit -n), and first probes kernel features by loading
 * small programs. A probe that fails with EMFILE is taken for a missing
 * feature, and the real load then fails with EINVAL. So make sure the fds
 * are there first, and say EMFILE when they are not. One more holds the
 * namespace watched (hold_netns).
 */
#define BPF_FDS_NEEDED 13

static int fds_available(void)
{
	int fds[BPF_FDS_NEEDED], n, r = 0;

	for (n = 0; n < BPF_FDS_NEEDED; n++) {
		fds[n] = eventfd(0, EFD_CLOEXEC);
		if (fds[n] < 0) {
			r = -errno;
			break;
		}
	}
	while (n > 0)
		close(fds[--n]);
	return r;
}

/*
 * The perf buffers map the ring size in all (and a page a CPU), and libbpf
 * reads the kernel's BTF (about 6 MiB) on top. Under a low ulimit -v,
 * libbpf's failures come back as ESRCH (a type not found in a BTF it could
 * not read) or EINVAL, so make sure the room is there first. 2 x ring +
 * 8 MiB was measured for the BPF ring buffer these replaced, which mapped
 * its data twice (with a 16 MiB ring and less free than 40 MiB the load
 * failed every time, with ulimit -v and libbpf 1.1); it is kept, as a
 * margin for the buffers' copies of records that wrap.
 */
#define BPF_AS_EXTRA (8UL << 20)

static int memory_available(uint32_t ring)
{
	size_t need = 2 * (size_t)ring + BPF_AS_EXTRA;
	void *p = mmap(NULL, need, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return errno == ENOMEM ? -ENOMEM : 0;
	munmap(p, need);
	return 0;
}

/*
 * libbpf reports some failures by their consequence: when the kernel's BTF
 * cannot be read for lack of memory, loading the tp_btf program fails with
 * ESRCH (no such type). After a failed load, read the BTF once more: if
 * that fails with ENOMEM, memory was the cause.
 */
static int real_cause(int r)
{
	struct btf *vmlinux;
	long err;

	if (r == -ENOMEM || r == -EMFILE || r == -ENFILE || r == -EPERM)
		return r;
	vmlinux = btf__load_vmlinux_btf();
	err = libbpf_get_error(vmlinux);
	btf__free(err ? NULL : vmlinux);
	if (err == -ENOMEM)
		return -ENOMEM;
	return fds_available() < 0 ? -EMFILE : r;
}

/*
 * Copies the kernel-side filters into the program's read-only data.
 * Returns whether any filter is asked for (a list too long for the
 * program is left to user space, but still asked for).
 */
static bool set_filter(struct tcpstates_bpf *skel,
		       const struct tl_events_filter *f)
{
	struct tcpstates_bpf__rodata *ro = skel->rodata;

	ro->filter_states = f->states;
	if (f->nsport > 0 && f->nsport <= TL_BPF_MAX_PORTS) {
		ro->n_sports = (uint32_t)f->nsport;
		memcpy((void *)ro->sports, f->sport,
		       (size_t)f->nsport * sizeof(f->sport[0]));
	}
	if (f->ndport > 0 && f->ndport <= TL_BPF_MAX_PORTS) {
		ro->n_dports = (uint32_t)f->ndport;
		memcpy((void *)ro->dports, f->dport,
		       (size_t)f->ndport * sizeof(f->dport[0]));
	}
	if (f->naddr > 0 && f->naddr <= TL_BPF_MAX_ADDRS) {
		ro->n_addrs = (uint32_t)f->naddr;
		for (int i = 0; i < f->naddr; i++) {
			struct tl_bpf_addr *a = (void *)&ro->addrs[i];

			a->family = (uint16_t)f->addr[i].family;
			memcpy(a->a, f->addr[i].a, sizeof(a->a));
		}
	}
	return f->states || f->nsport > 0 || f->ndport > 0 || f->naddr > 0;
}

static uint32_t ring_size(const struct tl_events_opts *opts)
{
	return opts->ring_bytes ? opts->ring_bytes : TL_EVENTS_RING_DEFAULT;
}

/* Opens and loads the object with one entry point. */
static int open_load(struct bpf_impl *b, const struct tl_events_opts *opts,
		     uint32_t netns, bool btf)
{
	int r;

	b->skel = tcpstates_bpf__open();
	if (!b->skel)
		return errno ? -errno : -EINVAL;
	bpf_program__set_autoload(btf ? b->skel->progs.tl_state_tp :
					b->skel->progs.tl_state_btf,
				  false);
	if (!btf)
		bpf_program__set_autoload(b->skel->progs.tl_state_nested,
					  false);
	b->skel->rodata->target_netns = netns;
	/* The classic entry point keeps no storage: 1 says it needs no
	 * following either. */
	b->skel->rodata->store_all = set_filter(b->skel, &opts->filter) || !btf;
	r = tcpstates_bpf__load(b->skel);
	if (r < 0) {
		tcpstates_bpf__destroy(b->skel);
		b->skel = NULL;
	}
	return r;
}

/*
 * The accept hook, sharing the socket storage of the loaded program. Some
 * kernels refuse fexit (EPERM without BPF trampolines): then it stays off,
 * and accepted sockets are named by their listener's owner.
 */
static int load_accept(struct bpf_impl *b)
{
	struct accept_bpf *a = accept_bpf__open();
	int r;

	if (!a)
		return errno ? -errno : -ENOMEM;
	r = bpf_map__reuse_fd(a->maps.owners,
			      bpf_map__fd(b->skel->maps.owners));
	if (r == 0)
		r = accept_bpf__load(a);
	if (r == 0)
		r = accept_bpf__attach(a);
	if (r != 0) {
		accept_bpf__destroy(a);
		return r < 0 ? r : -EINVAL;
	}
	b->accept = a;
	return 0;
}

/* Loads and attaches one of the two entry points. */
static int load(struct bpf_impl *b, const struct tl_events_opts *opts,
		uint32_t netns, bool btf)
{
	struct bpf_program *use;
	struct bpf_link *link;
	int r;

	r = open_load(b, opts, netns, btf);
	if (r < 0)
		return r;
	/*
	 * The buffers before the program: a change it saw before a CPU's
	 * buffer was in the map would fail (ENOENT) and count as lost, and a
	 * large ring takes the kernel a while to make (a second for 1 GiB).
	 */
	r = tli_pbuf_open(bpf_map__fd(b->skel->maps.events), ring_size(opts),
			  sizeof(struct tl_bpf_event),
			  offsetof(struct tl_bpf_event, early_ns), RUN_MAX,
			  &b->pb);
	if (r < 0)
		goto fail;
	use = btf ? b->skel->progs.tl_state_btf : b->skel->progs.tl_state_tp;
	link = bpf_program__attach(use);
	if (!link) {
		r = errno ? -errno : -EINVAL;
		goto fail;
	}
	if (btf)
		b->skel->links.tl_state_btf = link;
	else
		b->skel->links.tl_state_tp = link;
	b->prog_fd = bpf_program__fd(use);
	/*
	 * The changes that come while tl_state_btf runs; without it they are
	 * only counted. (The classic tracepoint skips every program while
	 * any runs on the CPU: no second one helps there.)
	 */
	if (btf)
		b->skel->links.tl_state_nested =
			bpf_program__attach(b->skel->progs.tl_state_nested);
	/*
	 * Only the typed entry point reads the owners accept records.
	 * Without them, an accepted socket the snapshot does not know is
	 * named by its listener until a rescan: the user is told.
	 */
	b->detail = btf ? "tp_btf/inet_sock_set_state, fexit/inet_csk_accept" :
			  "tracepoint/sock/inet_sock_set_state";
	r = btf ? load_accept(b) : 0;
	if (r < 0) {
		snprintf(b->detail_buf, sizeof(b->detail_buf),
			 "tp_btf/inet_sock_set_state; fexit/inet_csk_accept "
			 "refused (%s), so a connection accepted since the "
			 "last /proc scan is named by its listener",
			 strerror(-r));
		b->detail = b->detail_buf;
	}
	return 0;
fail:
	tli_pbuf_close(b->pb);
	b->pb = NULL;
	tcpstates_bpf__destroy(b->skel);
	b->skel = NULL;
	return r;
}

/*
 * Opens the namespace netns (netns_fd's, or this process's when netns_fd
 * is -1) for *ret; -EAGAIN when it is no longer netns (a thread of the
 * caller's moved to another namespace meanwhile).
 */
static int hold_netns(int netns_fd, uint64_t netns, int *ret)
{
	struct stat st;
	int fd;

	if (netns_fd >= 0)
		fd = fcntl(netns_fd, F_DUPFD_CLOEXEC, 3);
	else
		fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_ino != netns) {
		close(fd);
		return -EAGAIN;
	}
	*ret = fd;
	return 0;
}

static int bpf_open(const struct tl_events_opts *opts, uint64_t netns,
		    const struct tl_events_ops **ret_ops, void **ret_impl)
{
	struct bpf_impl *b;
	int r, ncpu;

	r = fds_available();
	if (r == 0)
		r = memory_available(ring_size(opts));
	if (r < 0)
		return r;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->family = opts->family;
	b->prog_fd = -1;
	b->ns_fd = -1;
	tli_steps_init(&b->steps);
	r = hold_netns(opts->netns_fd, netns, &b->ns_fd);
	if (r < 0)
		goto fail;

	if (opts->attach != TL_ATTACH_TRACEPOINT)
		r = load(b, opts, (uint32_t)netns, true);
	if (opts->attach == TL_ATTACH_TRACEPOINT ||
	    (opts->attach == TL_ATTACH_AUTO && r < 0))
		r = load(b, opts, (uint32_t)netns, false);
	if (r < 0) {
		r = real_cause(r);
		goto fail;
	}

	if (!b->skel->rodata->store_all) {
		r = tli_sktrack_new(TRACK_MAX, &b->track);
		if (r < 0)
			goto fail;
	}
	/*
	 * Same layout: an array of __u64, a cache line a CPU, of which the
	 * possible CPUs' lines are read (the rest stay 0).
	 */
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0 || ncpu > TL_BPF_MAX_CPUS)
		ncpu = TL_BPF_MAX_CPUS;
	tli_pbuf_set_marks(
		b->pb, (const uint64_t *)(const void *)b->skel->bss->inflight,
		(size_t)ncpu * TL_BPF_MARK_STRIDE);
	b->mono_to_real_ns =
		clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	*ret_ops = &bpf_ops;
	*ret_impl = b;
	return 0;
fail:
	bpf_close(b);
	return r;
}

int tl_events_bpf_open(const struct tl_events_opts *opts, uint64_t netns,
		       const struct tl_events_ops **ret_ops, void **ret_impl)
{
	libbpf_print_fn_t old_print;
	int r;

	/* Without a namespace to filter on we would report every one. */
	if (netns == 0 || netns > UINT32_MAX)
		return -ENOENT;
	old_print = libbpf_set_print(quiet);
	r = bpf_open(opts, netns, ret_ops, ret_impl);
	libbpf_set_print(old_print);
	return r;
}

bool tl_events_bpf_built(void)
{
	return true;
}
