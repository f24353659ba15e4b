// SPDX-License-Identifier: MIT
/* ls's filters: parsed once from options, matched per socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"
#include "escape.h"
#include "filter.h"
#include "tcplimbo/addr.h"
#include "tcplimbo/netns.h"
#include "tl.h"

/* The longest --container name taken: longer than any runtime makes. */
#define CONTAINER_NAME_MAX 4096

/*
 * ADDR, [ADDR] or either with %DEV, the device a link-local address is
 * on (as ls shows it: fe80::1%eth0); then /BITS for a prefix (10.0.0.0/8,
 * [fd00::]/8). *bits is 32 or 128 without one.
 */
static int parse_addr(const char *s, int *family, uint8_t a[16], uint8_t *bits,
		      char dev[16])
{
	/* Room for a device's name as the table shows it, escaped. */
	char buf[INET6_ADDRSTRLEN + ESC_SIZE(IF_NAMESIZE) + 8], *pct, *slash;
	size_t len = strnlen(s, sizeof(buf));
	uint64_t b = 128;
	int max;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len + 1);
	slash = strrchr(buf, '/');
	if (slash) {
		/* Any number: one past the family's bits is told as such. */
		if (tl_parse_uint(slash + 1, 255, &b) < 0)
			return -EINVAL;
		*slash = '\0';
		len = (size_t)(slash - buf);
	}
	/* "[ADDR]", "[ADDR%DEV]", or "[ADDR]%DEV" as ls prints it. */
	if (buf[0] == '[') {
		char *end = strchr(buf, ']');

		if (!end || end == buf + 1 || (end[1] && end[1] != '%'))
			return -EINVAL;
		memmove(end, end + 1, strlen(end + 1) + 1);
		memmove(buf, buf + 1, strlen(buf + 1) + 1);
	}
	dev[0] = '\0';
	pct = strchr(buf, '%');
	if (pct) {
		if (!pct[1] || esc_name_arg(dev, 16, pct + 1) < 0)
			return -EINVAL;
		*pct = '\0';
	}
	memset(a, 0, 16);
	if (inet_pton(AF_INET, buf, a) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, buf, a) == 1)
		*family = AF_INET6;
	else
		return -EINVAL;
	max = *family == AF_INET ? 32 : 128;
	if (!slash)
		b = (uint64_t)max;
	if (b > (uint64_t)max)
		return -ERANGE;
	/* As ss and iptables read 10.1.2.3/8: the network 10.0.0.0/8. */
	for (int i = (int)b; i < max; i++)
		a[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	*bits = (uint8_t)b;
	return 0;
}

/* PORT or LO-HI, LO at most HI. */
static int parse_ports(const char *s, uint16_t *lo, uint16_t *hi)
{
	char buf[16];
	const char *dash = strchr(s, '-');
	size_t n;

	if (!dash)
		return tl_parse_port(s, lo) < 0 ? -EINVAL : (*hi = *lo, 0);
	n = (size_t)(dash - s);
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (tl_parse_port(buf, lo) < 0 || tl_parse_port(dash + 1, hi) < 0)
		return -EINVAL;
	return *lo <= *hi ? 0 : -ERANGE;
}

static int too_many(const char *verb, const char *opt)
{
	tl_err("%s: too many --%s filters (at most %d)", verb, opt,
	       TL_FILTER_MAX_LIST);
	return -EINVAL;
}

int tl_filter_option(struct tl_filter *f, const char *verb, int opt,
		     const char *arg)
{
	uint32_t mask;
	uint64_t v;

	switch (opt) {
	case TL_FOPT_STATE:
		if (tl_state_parse(arg, &mask) < 0) {
			tl_err("%s: unknown --state '%s' (try close-wait, "
			       "established, connected, all, ...)",
			       verb, arg);
			return -EINVAL;
		}
		f->states |= mask;
		return 1;
	case TL_FOPT_SPORT:
	case TL_FOPT_DPORT: {
		bool src = opt == TL_FOPT_SPORT;
		int *n = src ? &f->nsport : &f->ndport;
		int r;

		if (*n >= TL_FILTER_MAX_LIST)
			return too_many(verb, src ? "sport" : "dport");
		r = parse_ports(arg, src ? &f->sport[*n] : &f->dport[*n],
				src ? &f->sport_hi[*n] : &f->dport_hi[*n]);
		if (r == -ERANGE) {
			tl_err("%s: bad --%s range '%s': it ends below its "
			       "start",
			       verb, src ? "sport" : "dport", arg);
			return -EINVAL;
		}
		if (r < 0) {
			tl_err("%s: bad --%s '%s' (a port 0-65535, or a range "
			       "LO-HI; give --%s again for another)",
			       verb, src ? "sport" : "dport", arg,
			       src ? "sport" : "dport");
			return -EINVAL;
		}
		(*n)++;
		return 1;
	}
	case TL_FOPT_ADDR: {
		int r;

		if (f->naddr >= TL_FILTER_MAX_LIST)
			return too_many(verb, "addr");
		r = parse_addr(arg, &f->addr[f->naddr].family,
			       f->addr[f->naddr].a, &f->addr[f->naddr].bits,
			       f->addr[f->naddr].dev);
		if (r == -ERANGE) {
			tl_err("%s: bad --addr '%s': the prefix is longer than "
			       "the address (at most /32 for IPv4, /128 for "
			       "IPv6)",
			       verb, arg);
			return -EINVAL;
		}
		if (r < 0) {
			tl_err("%s: bad --addr '%s' (an IPv4 or IPv6 address "
			       "or ADDR/BITS, with %%DEVICE for a link-local "
			       "one's device)",
			       verb, arg);
			return -EINVAL;
		}
		f->naddr++;
		return 1;
	}
	case TL_FOPT_PID:
		if (f->npid >= TL_FILTER_MAX_LIST)
			return too_many(verb, "pid");
		if (tl_parse_uint(arg, TL_PID_MAX, &v) < 0 || v == 0) {
			tl_err("%s: bad --pid '%s' (a process id, 1-%d)", verb,
			       arg, TL_PID_MAX);
			return -EINVAL;
		}
		f->pid[f->npid++] = (pid_t)v;
		return 1;
	case TL_FOPT_COMM:
		if (f->ncomm >= TL_FILTER_MAX_LIST)
			return too_many(verb, "comm");
		if (arg[0] == '\0') {
			tl_err("%s: bad --comm '': give 1 to 15 bytes", verb);
			return -EINVAL;
		}
		/*
		 * As the name is shown, escapes and all, or as its bytes
		 * (esc_name_arg). TASK_COMM_LEN: a longer name is cut, as
		 * pgrep warns.
		 */
		if (esc_name_arg(f->comm[f->ncomm], sizeof(f->comm[0]), arg) <
		    0) {
			char name[256];

			/*
			 * Its first 15 bytes: tl_err shows them as the table
			 * does, escapes and all, which --comm takes back.
			 */
			if (esc_name_arg(name, sizeof(name), arg) < 0)
				snprintf(name, sizeof(name), "%s", arg);
			name[sizeof(f->comm[0]) - 1] = '\0';
			tl_err("%s: bad --comm '%s': the kernel keeps only the "
			       "first 15 bytes of a process name, so it would "
			       "match nothing; give those 15 ('%s')",
			       verb, arg, name);
			return -EINVAL;
		}
		f->ncomm++;
		return 1;
	case TL_FOPT_LIMBO: {
		int l;

		if (f->nlimbo >= TL_FILTER_MAX_LIST)
			return too_many(verb, "limbo");
		for (l = TL_LIMBO_NONE; l <= TL_LIMBO_TIMEWAIT; l++) {
			const char *name = tl_limbo_name(l);

			/* As --state: the case the table shows, or any. */
			if (strcasecmp(arg, name ? name : "none") == 0)
				break;
		}
		if (l > TL_LIMBO_TIMEWAIT) {
			tl_err("%s: unknown --limbo class '%s' (accept-queue, "
			       "orphan, timewait or none)",
			       verb, arg);
			return -EINVAL;
		}
		f->limbo[f->nlimbo++] = l;
		return 1;
	}
	case TL_FOPT_UNIT:
	case TL_FOPT_CONTAINER: {
		bool unit = opt == TL_FOPT_UNIT;
		int *n = unit ? &f->nunit : &f->ncontainer;
		/*
		 * A unit's name has at most 255 bytes; Docker sets no bound,
		 * and a longer name is matched by the part a context keeps.
		 */
		size_t max = unit ? TL_CONTEXT_STR_MAX - 1 : CONTAINER_NAME_MAX;
		char *shown;

		if (*n >= TL_FILTER_MAX_LIST)
			return too_many(verb, unit ? "unit" : "container");
		if (arg[0] == '\0' || strlen(arg) > max) {
			tl_err("%s: bad --%s name '%s' (1 to %zu bytes)", verb,
			       unit ? "unit" : "container", arg, max);
			return -EINVAL;
		}
		shown = (unit ? f->unit_shown : f->container_shown)[*n];
		if (!strchr(arg, '\\') ||
		    esc_unescape(shown, TL_CONTEXT_STR_MAX, arg) < 0)
			shown[0] = '\0';
		(unit ? f->unit : f->container)[(*n)++] = arg;
		return 1;
	}
	default:
		return 0;
	}
}

/*
 * Whether ports lo..hi are single ports only: the kernel's filters take
 * lists of ports, and a range would have to be spelled out.
 */
static bool ports_single(const uint16_t *lo, const uint16_t *hi, int n)
{
	for (int i = 0; i < n; i++)
		if (lo[i] != hi[i])
			return false;
	return true;
}

/*
 * Only what the events' filters can say exactly goes to them: they only
 * drop, so a kind with a range or a prefix in it is left to
 * tl_filter_match on each event (watch applies it after them).
 */
void tl_filter_to_events(const struct tl_filter *f, struct tl_events_filter *ef)
{
	bool whole = true;

	memset(ef, 0, sizeof(*ef));
	/* No --state: every state passes, including ones ls never lists. */
	ef->states = f->states;
	if (f->nsport <= TL_EVENTS_MAX_PORTS &&
	    ports_single(f->sport, f->sport_hi, f->nsport)) {
		ef->nsport = f->nsport;
		memcpy(ef->sport, f->sport, sizeof(f->sport[0]) * f->nsport);
	}
	if (f->ndport <= TL_EVENTS_MAX_PORTS &&
	    ports_single(f->dport, f->dport_hi, f->ndport)) {
		ef->ndport = f->ndport;
		memcpy(ef->dport, f->dport, sizeof(f->dport[0]) * f->ndport);
	}
	for (int i = 0; i < f->naddr; i++)
		whole &= f->addr[i].bits ==
			 (f->addr[i].family == AF_INET ? 32 : 128);
	if (f->naddr <= TL_EVENTS_MAX_ADDRS && whole) {
		ef->naddr = f->naddr;
		for (int i = 0; i < f->naddr; i++) {
			ef->addr[i].family = f->addr[i].family;
			memcpy(ef->addr[i].a, f->addr[i].a,
			       sizeof(ef->addr[i].a));
		}
	}
}

uint32_t tl_filter_states(const struct tl_filter *f)
{
	return f->states ? f->states : TL_STATES_REAL;
}

bool tl_filter_empty(const struct tl_filter *f)
{
	return !f->states && !f->nsport && !f->ndport && !f->naddr &&
	       !f->npid && !f->ncomm && !f->nlimbo && !f->nunit &&
	       !f->ncontainer;
}

bool tl_filter_needs_owners(const struct tl_filter *f)
{
	return f->npid || f->ncomm;
}

int tl_filter_check_owners(const struct tl_filter *f, const struct tl_global *g,
			   const char *verb)
{
	if (!g->no_owners || !tl_filter_needs_owners(f))
		return 0;
	tl_err("%s: --pid and --comm need owners; drop --no-owners", verb);
	return -EINVAL;
}

bool tl_filter_needs_context(const struct tl_filter *f)
{
	return f->nunit || f->ncontainer;
}

int tl_filter_check_context(const struct tl_filter *f,
			    const struct tl_global *g)
{
	const char *opt = f->nunit ? "--unit" : "--container";
	char why[PATH_MAX + 96];

	if (!tl_filter_needs_context(f) || ctx_cgroups(g))
		return 0;
	tl_err("%s cannot be used%s: %s", opt,
	       g->where->err == -ESRCH ? " with --replay" : "",
	       ctx_why_none(g, why, sizeof(why)));
	return -ENOENT;
}

/* The names one --unit or --container takes: as given, and as shown. */
struct ctx_name {
	const char *given, *shown;
	bool unit;
};

static bool ctx_name_match(const struct tl_context *c, const void *arg)
{
	const struct ctx_name *n = arg;
	bool (*match)(const struct tl_context *, const char *) =
		n->unit ? ctx_match_unit : ctx_match_container;

	return match(c, n->given) || (n->shown[0] && match(c, n->shown));
}

/* A unit that runs has a cgroup named after it. */
static bool unit_runs(struct tl_cgroups *cg, const struct ctx_name *n)
{
	return tl_cgroups_has_name(cg, n->given) ||
	       (n->shown[0] && tl_cgroups_has_name(cg, n->shown));
}

void tl_filter_note_units(const struct tl_filter *f, const struct tl_global *g)
{
	struct tl_cgroups *cg = ctx_cgroups(g);

	/* A name no cgroup has is a typo or a unit stopped, which an
	 * empty list would not tell. */
	for (int i = 0; cg && i < f->nunit; i++) {
		struct ctx_name name = { f->unit[i], f->unit_shown[i], true };

		if (!unit_runs(cg, &name))
			tl_err("note: --unit %s: no unit of that name runs "
			       "here (no cgroup is named so), so it matches "
			       "nothing",
			       f->unit[i]);
	}
}

static bool comm_runs(const struct tl_owners *o, const char *comm)
{
	for (size_t i = 0; i < o->n_procs; i++)
		if (strcmp(o->procs[i].comm, comm) == 0)
			return true;
	return false;
}

void tl_filter_note_procs(const struct tl_filter *f,
			  const struct tl_snapshot *snap, const char *later)
{
	const struct tl_owners *o = snap ? snap->owners : NULL;

	/*
	 * Processes /proc hides from us (hidepid) may be the ones asked
	 * for: nothing is said of them.
	 */
	if (!o || o->hidden)
		return;
	for (int i = 0; i < f->npid; i++)
		if (!tl_owners_proc(o, f->pid[i]))
			tl_err("note: --pid %d: no process has that pid (it "
			       "may have exited), so it matches nothing%s",
			       (int)f->pid[i], later ? later : "");
	for (int i = 0; i < f->ncomm; i++)
		if (!comm_runs(o, f->comm[i]))
			tl_err("note: --comm %s: no process of that name runs "
			       "(the name is the comm, at most 15 bytes, as "
			       "ps -o comm shows it), so it matches nothing%s",
			       f->comm[i], later ? later : "");
}

/* The inode of the network namespace of path; 0 unknown. */
static uint64_t ns_inode(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* The most processes of a unit or container looked at for its namespace. */
#define ELSEWHERE_PIDS 64

void tl_filter_note_elsewhere(const struct tl_filter *f,
			      const struct tl_global *g)
{
	struct tl_cgroups *cg = ctx_cgroups(g);
	uint64_t here = g->netns_fd >= 0 ? tl_netns_inode(g->netns_fd) :
					   ns_inode("/proc/thread-self/ns/net");
	int n = f->nunit + f->ncontainer;

	for (int i = 0; cg && here && i < n; i++) {
		bool unit = i < f->nunit;
		int k = unit ? i : i - f->nunit;
		struct ctx_name name = { unit ? f->unit[k] : f->container[k],
					 unit ? f->unit_shown[k] :
						f->container_shown[k],
					 unit };
		pid_t pids[ELSEWHERE_PIDS], other = 0;
		uint64_t ino, other_ino = 0;
		size_t np;

		/* A unit no cgroup is named after was told of already. */
		if (unit && !unit_runs(cg, &name))
			continue;
		np = tl_cgroups_pids(cg, ctx_name_match, &name, pids,
				     ELSEWHERE_PIDS);
		/* Names come from the runtimes' files, which root may own. */
		if (!unit && np == 0)
			tl_err("note: --container %s: no container here was "
			       "found by that name, id or pod name%s, so it "
			       "matches nothing",
			       name.given,
			       geteuid() ? " (its runtime's files may be "
					   "readable only by root)" :
					   "");
		/*
		 * Only where none of its processes is here: then the other
		 * filters did not empty the list.
		 */
		for (size_t p = 0; p < np; p++) {
			char path[PATH_MAX];

			if (snprintf(path, sizeof(path), "%s/%d/ns/net",
				     g->proc_root,
				     (int)pids[p]) >= (int)sizeof(path))
				continue;
			ino = ns_inode(path);
			if (ino == here) {
				other = 0;
				break;
			}
			if (ino && !other) {
				other = pids[p];
				other_ino = ino;
			}
		}
		if (other)
			tl_err("note: %s %s runs in another network namespace, "
			       "net:[%llu]: tcplimbo -N %d ls shows its sockets",
			       unit ? "--unit" : "--container", name.given,
			       (unsigned long long)other_ino, (int)other);
	}
}

struct dev_probe {
	const char *name;
	unsigned idx;
};

static int probe_dev(void *arg)
{
	struct dev_probe *p = arg;

	p->idx = if_nametoindex(p->name);
	return 0;
}

/*
 * Each %DEVICE by name must be a device of the namespace. A number is an
 * index and is taken as it is; a replayed dump has no live namespace to
 * ask, and a namespace that cannot be entered is not asked either (the
 * filter then works as before: by name, on what it finds).
 */
static int check_devices(const struct tl_filter *f, const struct tl_global *g)
{
	uint64_t v;

	if (g->replay_path)
		return 0;
	for (int i = 0; i < f->naddr; i++) {
		struct dev_probe p = { .name = f->addr[i].dev };

		if (!p.name[0] || tl_parse_uint(p.name, UINT32_MAX, &v) == 0)
			continue;
		if (tl_netns_run(g->netns_fd, probe_dev, &p) < 0 || p.idx)
			continue;
		if (g->netns_spec)
			tl_err("--addr: no network device '%s' in network "
			       "namespace %s",
			       p.name, g->netns_spec);
		else
			tl_err("--addr: no network device '%s' in this network "
			       "namespace (ip link lists them)",
			       p.name);
		return -ENODEV;
	}
	return 0;
}

/*
 * -4 shows AF_INET sockets only, and an IPv6 address (a v4-mapped one
 * too) is never the address of one: with no IPv4 --addr beside it, the
 * table would be empty however the sockets stand. -6 with an IPv4 address is left alone, since it
 * matches the v4-mapped addresses of dual-stack sockets.
 */
static int check_families(const struct tl_filter *f, const struct tl_global *g)
{
	char buf[INET6_ADDRSTRLEN];

	if (g->family != AF_INET)
		return 0;
	/* --addr values are alternatives: one IPv4 among them can match. */
	for (int i = 0; i < f->naddr; i++)
		if (f->addr[i].family == AF_INET)
			return 0;
	for (int i = 0; i < f->naddr; i++) {
		tl_addr_format(buf, sizeof(buf), AF_INET6, f->addr[i].a);
		if (f->addr[i].bits < 128)
			tl_err("--addr %s/%u is an IPv6 prefix, and -4 shows "
			       "IPv4 sockets only; drop -4, or give an IPv4 "
			       "prefix",
			       buf, f->addr[i].bits);
		else
			tl_err("--addr %s is an IPv6 address, and -4 shows "
			       "IPv4 sockets only; drop -4, or give the IPv4 "
			       "address",
			       buf);
		return -EINVAL;
	}
	return 0;
}

int tl_filter_check(struct tl_filter *f, const struct tl_global *g)
{
	int r = tl_filter_check_context(f, g);

	if (r == 0)
		r = check_families(f, g);

	f->proc_root = g->proc_root;

	/* Owners are processes: a thread's id would match nothing. */
	for (int i = 0; i < f->npid; i++)
		f->pid[i] = tl_pid_process(g, NULL, "--pid", f->pid[i]);

	return r < 0 ? r : check_devices(f, g);
}

/*
 * The cgroup ids of the run's holders, by pid and start time (watch --top
 * lives long enough to see a pid reused): a few processes hold most
 * sockets, and each one's /proc/PID/cgroup is read once. Direct-mapped;
 * a clash reads the file again.
 */
#define HOLDER_SLOTS 256
static struct {
	pid_t pid;
	uint64_t start_ticks;
	uint64_t id;
} holder_cg[HOLDER_SLOTS];

/*
 * Whether the process that holds sk (for a queued connection, its
 * listener's) lives where --unit and --container ask. A socket takes the
 * cgroup of the process that made it, which may not be its holder's: a
 * socket-activated service's listener is made by systemd in init.scope.
 */
static bool holder_in(const struct tl_filter *f, const struct tl_snapshot *snap,
		      const struct tl_sock *sk)
{
	const struct tl_fdref *refs;
	const struct tl_sock *l;
	size_t n = tl_snapshot_owners(snap, sk, &refs);
	const struct tl_proc *p;
	size_t slot;

	if (n == 0 && (l = tl_snapshot_listener(snap, sk)))
		n = tl_snapshot_owners(snap, l, &refs);
	if (n == 0 || !snap->cgroups)
		return false;
	p = &snap->owners->procs[refs[0].proc];
	slot = (size_t)p->pid % HOLDER_SLOTS;
	if (holder_cg[slot].pid != p->pid ||
	    holder_cg[slot].start_ticks != p->start_ticks) {
		holder_cg[slot].pid = p->pid;
		holder_cg[slot].start_ticks = p->start_ticks;
		holder_cg[slot].id =
			tl_cgroups_pid(snap->cgroups, f->proc_root, p->pid);
	}
	return holder_cg[slot].id &&
	       tl_filter_context(f, tl_cgroups_context(snap->cgroups,
						       holder_cg[slot].id));
}

bool tl_filter_context(const struct tl_filter *f, const struct tl_context *c)
{
	bool ok = f->nunit == 0;

	for (int i = 0; i < f->nunit && !ok; i++)
		ok = ctx_match_unit(c, f->unit[i]) ||
		     (f->unit_shown[i][0] &&
		      ctx_match_unit(c, f->unit_shown[i]));
	if (!ok)
		return false;
	ok = f->ncontainer == 0;
	for (int i = 0; i < f->ncontainer && !ok; i++)
		ok = ctx_match_container(c, f->container[i]) ||
		     (f->container_shown[i][0] &&
		      ctx_match_container(c, f->container_shown[i]));
	return ok;
}

static bool port_in(const uint16_t *lo, const uint16_t *hi, int n, uint16_t p)
{
	for (int i = 0; i < n; i++)
		if (lo[i] <= p && p <= hi[i])
			return true;
	return false;
}

/* The first bits of a and b agree. */
static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	uint8_t mask = (uint8_t)(0xff00 >> rest);

	return memcmp(a, b, whole) == 0 &&
	       (rest == 0 || ((a[whole] ^ b[whole]) & mask) == 0);
}

/*
 * A filter address (its first bits) matches sa; an IPv4 one also matches
 * the same address v4-mapped.
 */
static bool addr_eq(int fam, const uint8_t *fa, unsigned bits,
		    const struct tl_sock *sk, const uint8_t *sa)
{
	if (fam == sk->family)
		return prefix_eq(fa, sa, bits);
	if (fam == AF_INET && sk->family == AF_INET6)
		return tl_addr_is_v4mapped(sa) && prefix_eq(fa, sa + 12, bits);
	return false;
}

bool tl_filter_owner_match(const struct tl_filter *f, pid_t pid,
			   const char *comm)
{
	bool pid_ok = f->npid == 0, comm_ok = f->ncomm == 0;

	for (int k = 0; k < f->npid && !pid_ok; k++)
		pid_ok = pid == f->pid[k];
	for (int k = 0; k < f->ncomm && !comm_ok; k++)
		comm_ok = strcmp(comm, f->comm[k]) == 0;
	return pid_ok && comm_ok;
}

/* Does any process holding this socket, or its listener, pass? */
static bool owner_match(const struct tl_filter *f,
			const struct tl_snapshot *snap,
			const struct tl_sock *sk)
{
	const struct tl_sock *l = tl_snapshot_listener(snap, sk);
	const struct tl_sock *which[2] = { sk, l };

	for (int w = 0; w < 2; w++) {
		const struct tl_fdref *r;
		size_t n;

		if (!which[w])
			continue;
		n = tl_snapshot_owners(snap, which[w], &r);
		for (size_t i = 0; i < n; i++) {
			const struct tl_proc *p =
				&snap->owners->procs[r[i].proc];

			if (tl_filter_owner_match(f, p->pid, p->comm))
				return true;
		}
	}
	return false;
}

bool tl_filter_match(const struct tl_filter *f, const struct tl_snapshot *snap,
		     const struct tl_sock *sk)
{
	if (!(tl_filter_states(f) & TL_STATE_BIT(sk->state)))
		return false;
	if (f->nsport && !port_in(f->sport, f->sport_hi, f->nsport, sk->sport))
		return false;
	if (f->ndport && !port_in(f->dport, f->dport_hi, f->ndport, sk->dport))
		return false;
	if (f->naddr) {
		bool ok = false;

		for (int i = 0; i < f->naddr && !ok; i++)
			ok = (addr_eq(f->addr[i].family, f->addr[i].a,
				      f->addr[i].bits, sk, sk->src) ||
			      addr_eq(f->addr[i].family, f->addr[i].a,
				      f->addr[i].bits, sk, sk->dst)) &&
			     tl_snapshot_on_device(snap, sk, f->addr[i].dev);
		if (!ok)
			return false;
	}
	if (f->nlimbo) {
		bool ok = false;

		for (int i = 0; i < f->nlimbo && !ok; i++)
			ok = sk->limbo == f->limbo[i];
		if (!ok)
			return false;
	}
	if ((f->npid || f->ncomm) && !owner_match(f, snap, sk))
		return false;
	if (tl_filter_needs_context(f)) {
		const struct tl_context *c = NULL;

		if (sk->has & TL_HAS_CGROUP)
			c = tl_cgroups_context(snap->cgroups, sk->cgroup_id);
		if (!tl_filter_context(f, c) && !holder_in(f, snap, sk))
			return false;
	}
	return true;
}
