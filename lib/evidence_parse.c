// SPDX-License-Identifier: MIT
/*
 * evidence: the parsers of another process's /proc text (status, a task's
 * syscall, sched, an epoll fd's fdinfo, fd link targets) and the syscall
 * table. Pure functions of their input, fuzzed in tests/fuzz: every field
 * is bounded and checked, since the text may be anything.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "evidence_int.h"
#include "tcplimbo/evidence.h"
#include "tcplimbo/owners.h"
#include "util.h"

/* One syscall of the table. */
struct sysent {
	long nr[TL_EV_ARCH_MAX]; /* -1: the architecture has no such call */
	const char *name;
	uint8_t group;
	bool has_fd;
};

/*
 * The calls a server waits in. Numbers from asm/unistd_64.h (x86_64) and
 * asm-generic/unistd.h (arm64).
 */
static const struct sysent systab[] = {
	{ { 43, 202 }, "accept", TL_SYS_ACCEPT, true },
	{ { 288, 242 }, "accept4", TL_SYS_ACCEPT, true },
	{ { 232, -1 }, "epoll_wait", TL_SYS_EPOLL, true },
	{ { 281, 22 }, "epoll_pwait", TL_SYS_EPOLL, true },
	{ { 441, 441 }, "epoll_pwait2", TL_SYS_EPOLL, true },
	{ { 7, -1 }, "poll", TL_SYS_POLL, false },
	{ { 271, 73 }, "ppoll", TL_SYS_POLL, false },
	{ { 23, -1 }, "select", TL_SYS_POLL, false },
	{ { 270, 72 }, "pselect6", TL_SYS_POLL, false },
	{ { 202, 98 }, "futex", TL_SYS_FUTEX, false },
	{ { 0, 63 }, "read", TL_SYS_IO, true },
	{ { 1, 64 }, "write", TL_SYS_IO, true },
	{ { 45, 207 }, "recvfrom", TL_SYS_IO, true },
	{ { 47, 212 }, "recvmsg", TL_SYS_IO, true },
	{ { 44, 206 }, "sendto", TL_SYS_IO, true },
	{ { 42, 203 }, "connect", TL_SYS_IO, true },
	{ { 73, 32 }, "flock", TL_SYS_IO, true },
	{ { 426, 426 }, "io_uring_enter", TL_SYS_IO, true },
	{ { 35, 101 }, "nanosleep", TL_SYS_SLEEP, false },
	{ { 230, 115 }, "clock_nanosleep", TL_SYS_SLEEP, false },
	{ { 34, -1 }, "pause", TL_SYS_SLEEP, false },
	{ { 61, 260 }, "wait4", TL_SYS_WAIT, false },
	{ { 247, 95 }, "waitid", TL_SYS_WAIT, false },
	{ { 130, 133 }, "rt_sigsuspend", TL_SYS_WAIT, false },
	{ { 128, 137 }, "rt_sigtimedwait", TL_SYS_WAIT, false },
	{ { 219, 128 }, "restart_syscall", TL_SYS_OTHER, false },
};

/* Singular and plural nouns of each fd kind. */
static const char *const fd_kind_names[TL_FDK_MAX][2] = {
	[TL_FDK_TCP] = { "TCP socket", "TCP sockets" },
	[TL_FDK_SOCKET] = { "other socket", "other sockets" },
	[TL_FDK_FILE] = { "file", "files" },
	[TL_FDK_DEVICE] = { "device file", "device files" },
	[TL_FDK_PIPE] = { "pipe", "pipes" },
	[TL_FDK_EVENTFD] = { "eventfd", "eventfds" },
	[TL_FDK_EPOLL] = { "epoll fd", "epoll fds" },
	[TL_FDK_TIMERFD] = { "timerfd", "timerfds" },
	[TL_FDK_SIGNALFD] = { "signalfd", "signalfds" },
	[TL_FDK_OTHER] = { "other fd", "other fds" },
};

int tl_ev_arch_native(void)
{
#if defined(__x86_64__)
	return TL_EV_ARCH_X86_64;
#elif defined(__aarch64__)
	return TL_EV_ARCH_ARM64;
#else
	return TL_EV_ARCH_MAX;
#endif
}

const char *tl_ev_syscall_name(int arch, long nr, int *ret_group,
			       bool *ret_has_fd)
{
	if (arch >= 0 && arch < TL_EV_ARCH_MAX && nr >= 0) {
		for (size_t i = 0; i < ARRAY_SIZE(systab); i++) {
			if (systab[i].nr[arch] != nr)
				continue;
			if (ret_group)
				*ret_group = systab[i].group;
			if (ret_has_fd)
				*ret_has_fd = systab[i].has_fd;
			return systab[i].name;
		}
	}
	if (ret_group)
		*ret_group = TL_SYS_OTHER;
	if (ret_has_fd)
		*ret_has_fd = false;
	return NULL;
}

const char *tl_fd_kind_name(int kind, uint64_t n)
{
	return kind >= 0 && kind < TL_FDK_MAX ? fd_kind_names[kind][n != 1] :
						NULL;
}

/* Unsigned number in base 10 or 16 at *p; moves *p past it. */
static int parse_num(const char **p, const char *end, unsigned base,
		     uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;
	size_t digits = 0;

	for (; s < end; s++, digits++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -EINVAL;
		v = v * base + d;
	}
	if (digits == 0)
		return -EINVAL;
	*p = s;
	*ret = v;
	return 0;
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* The line starting with key (key includes its ':'), or NULL. */
static const char *find_line(const char *buf, const char *end, const char *key,
			     const char **ret_eol)
{
	size_t klen = strlen(key);

	for (const char *line = buf; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;

		if ((size_t)(eol - line) >= klen &&
		    memcmp(line, key, klen) == 0) {
			*ret_eol = eol;
			return line + klen;
		}
		line = nl ? nl + 1 : end;
	}
	return NULL;
}

int tl_ev_parse_status(const char *buf, size_t len, char *ret_state,
		       pid_t *ret_tracer, uint32_t *ret_threads)
{
	const char *end, *p, *eol;
	uint64_t tracer = 0, threads = 0;
	char state;

	if (!buf)
		return -EINVAL;
	end = buf + len;
	p = find_line(buf, end, "State:", &eol);
	if (!p)
		return -ENOENT;
	p = skip_blanks(p, eol);
	if (p >= eol || *p < 'A' || *p > 'z' || (*p > 'Z' && *p < 'a'))
		return -EINVAL;
	state = *p;
	p = find_line(buf, end, "TracerPid:", &eol);
	if (p) {
		p = skip_blanks(p, eol);
		if (parse_num(&p, eol, 10, &tracer) < 0 || tracer > INT_MAX)
			return -EINVAL;
	}
	p = find_line(buf, end, "Threads:", &eol);
	if (p) {
		p = skip_blanks(p, eol);
		if (parse_num(&p, eol, 10, &threads) < 0 ||
		    threads > UINT32_MAX)
			return -EINVAL;
	}
	*ret_state = state;
	if (ret_tracer)
		*ret_tracer = (pid_t)tracer;
	if (ret_threads)
		*ret_threads = (uint32_t)threads;
	return 0;
}

int tl_ev_parse_syscall(const char *buf, size_t len, int arch, int *ret_kind,
			long *ret_nr, int64_t *ret_fd)
{
	const char *p = buf, *end = buf + len;
	uint64_t nr, arg;
	int group;
	bool has_fd;

	if (!buf)
		return -EINVAL;
	while (end > p && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	if (end - p == 7 && memcmp(p, "running", 7) == 0) {
		*ret_kind = TL_SYS_RUNNING;
		*ret_nr = -1;
		*ret_fd = -1;
		return 0;
	}
	if (p < end && *p == '-') {
		/* "-1 SP PC": blocked, but not in a syscall. */
		p++;
		if (parse_num(&p, end, 10, &nr) < 0 || nr != 1 ||
		    (p < end && *p != ' '))
			return -EINVAL;
		*ret_kind = TL_SYS_NONE;
		*ret_nr = -1;
		*ret_fd = -1;
		return 0;
	}
	if (parse_num(&p, end, 10, &nr) < 0 || nr > 100000 || p >= end ||
	    *p != ' ')
		return -EINVAL;
	p++;
	if (end - p < 3 || p[0] != '0' || p[1] != 'x')
		return -EINVAL;
	p += 2;
	if (parse_num(&p, end, 16, &arg) < 0 || (p < end && *p != ' '))
		return -EINVAL;
	tl_ev_syscall_name(arch, (long)nr, &group, &has_fd);
	*ret_kind = group;
	*ret_nr = (long)nr;
	/* An fd is an int: a larger register value is no fd. */
	*ret_fd = has_fd && arg <= INT32_MAX ? (int64_t)arg : -1;
	return 0;
}

int tl_ev_parse_syscall_args(const char *buf, size_t len, uint64_t ret_args[6])
{
	const char *p = buf, *end = buf + len;
	uint64_t nr, args[6];

	if (!buf || !ret_args)
		return -EINVAL;
	while (end > p && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	if (parse_num(&p, end, 10, &nr) < 0 || nr > 100000)
		return -EINVAL;
	/* Six arguments, then the stack and program pointers. */
	for (size_t i = 0; i < 8; i++) {
		uint64_t v;

		if (end - p < 4 || p[0] != ' ' || p[1] != '0' || p[2] != 'x')
			return -EINVAL;
		p += 3;
		if (parse_num(&p, end, 16, &v) < 0)
			return -EINVAL;
		if (i < 6)
			args[i] = v;
	}
	if (p != end)
		return -EINVAL;
	memcpy(ret_args, args, sizeof(args));
	return 0;
}

/* struct pollfd: int fd; short events, revents. */
#define POLLFD_SIZE 8

int tl_ev_pollset_where(int arch, long nr, const uint64_t args[6],
			uint64_t *ret_addr, size_t *ret_len, bool *ret_cut,
			bool *ret_select)
{
	const char *name = tl_ev_syscall_name(arch, nr, NULL, NULL);
	uint64_t addr, n, bytes;
	bool select;

	if (!args || !name)
		return -ENOENT;
	if (strcmp(name, "poll") == 0 || strcmp(name, "ppoll") == 0) {
		select = false;
		addr = args[0];
		n = args[1];
		/* nfds is an unsigned int, at most RLIMIT_NOFILE. */
		if (n > UINT32_MAX)
			return -EINVAL;
		bytes = n * POLLFD_SIZE;
	} else if (strcmp(name, "select") == 0 ||
		   strcmp(name, "pselect6") == 0) {
		select = true;
		n = args[0];
		addr = args[1];
		/* nfds is an int; the kernel takes a negative one for -EINVAL. */
		if (n > INT32_MAX)
			return -EINVAL;
		bytes = (n + 7) / 8;
	} else {
		return -ENOENT;
	}
	if (addr == 0 || n == 0)
		return -ENOENT;
	*ret_cut = bytes > TL_EV_POLLSET_MAX;
	*ret_len = (size_t)(*ret_cut ? TL_EV_POLLSET_MAX : bytes);
	*ret_addr = addr;
	*ret_select = select;
	return 0;
}

static bool among(int32_t fd, const int32_t *fds, size_t n_fds)
{
	for (size_t i = 0; i < n_fds; i++)
		if (fds[i] == fd)
			return true;
	return false;
}

int32_t tl_ev_pollset_scan(const void *set, size_t len, size_t offset,
			   bool select, const int32_t *fds, size_t n_fds,
			   uint32_t *inputs)
{
	const uint8_t *b = set;
	int32_t found = -1;

	if (!set || !inputs || offset % 8 || offset > INT32_MAX / 8)
		return -1;
	if (select) {
		for (size_t i = 0; i < len && offset + i <= INT32_MAX / 8;
		     i++) {
			for (unsigned bit = 0; bit < 8; bit++) {
				int32_t fd = (int32_t)((offset + i) * 8 + bit);

				if (!(b[i] >> bit & 1))
					continue;
				(*inputs)++;
				if (found < 0 && among(fd, fds, n_fds))
					found = fd;
			}
		}
		return found;
	}
	for (size_t i = 0; i + POLLFD_SIZE <= len; i += POLLFD_SIZE) {
		int32_t fd;
		int16_t events;

		memcpy(&fd, b + i, sizeof(fd));
		memcpy(&events, b + i + 4, sizeof(events));
		/* A negative fd is one poll() skips. */
		if (fd < 0 || !(events & (0x001 | 0x040)))
			continue;
		(*inputs)++;
		if (found < 0 && among(fd, fds, n_fds))
			found = fd;
	}
	return found;
}

/*
 * Field n (from 3, the state) of a /proc stat line, as a number: fields
 * start after the comm's last ')', since the comm may hold ')' and spaces.
 */
int tli_stat_field(const char *buf, size_t len, int n, uint64_t *ret)
{
	const char *close, *p, *end;

	if (!buf || len == 0 || n < 4)
		return -EINVAL;
	end = buf + len;
	close = memrchr(buf, ')', len);
	if (!close)
		return -EINVAL;
	p = close + 1;
	/* Field 3 (state) follows ") "; skip to field n. */
	for (int field = 3; field < n; field++) {
		if (p >= end || *p != ' ')
			return -EINVAL;
		p++;
		while (p < end && *p != ' ' && *p != '\n')
			p++;
	}
	if (p >= end || *p != ' ')
		return -EINVAL;
	p++;
	if (parse_num(&p, end, 10, ret) < 0 ||
	    (p < end && *p != ' ' && *p != '\n'))
		return -EINVAL;
	return 0;
}

int tl_ev_parse_stat_cpu(const char *buf, size_t len, uint32_t *ret_cpu)
{
	uint64_t cpu;

	if (tli_stat_field(buf, len, 39, &cpu) < 0 || cpu > INT32_MAX)
		return -EINVAL;
	*ret_cpu = (uint32_t)cpu;
	return 0;
}

int tl_ev_parse_stat_times(const char *buf, size_t len, uint64_t *ret_utime,
			   uint64_t *ret_stime)
{
	uint64_t u, s;

	if (tli_stat_field(buf, len, 14, &u) < 0 ||
	    tli_stat_field(buf, len, 15, &s) < 0 || u > UINT64_MAX - s)
		return -EINVAL;
	*ret_utime = u;
	*ret_stime = s;
	return 0;
}

int tl_ev_parse_sched(const char *buf, size_t len, uint64_t *ret_ns)
{
	const char *end, *p, *eol;
	uint64_t ms, frac = 0;
	size_t fdigits;

	if (!buf)
		return -EINVAL;
	end = buf + len;
	p = find_line(buf, end, "se.exec_start", &eol);
	if (!p)
		return -ENOENT;
	p = skip_blanks(p, eol);
	if (p >= eol || *p != ':')
		return -EINVAL;
	p = skip_blanks(p + 1, eol);
	if (parse_num(&p, eol, 10, &ms) < 0 || ms > UINT64_MAX / 1000000)
		return -EINVAL;
	if (p < eol && *p == '.') {
		const char *f = ++p;

		if (parse_num(&p, eol, 10, &frac) < 0)
			return -EINVAL;
		fdigits = (size_t)(p - f);
		if (fdigits > 6)
			return -EINVAL;
		for (; fdigits < 6; fdigits++)
			frac *= 10;
	}
	p = skip_blanks(p, eol);
	if (p != eol)
		return -EINVAL;
	*ret_ns = ms * 1000000 + frac;
	return 0;
}

int tl_ev_parse_schedstat(const char *buf, size_t len, uint64_t *ret_ns,
			  uint64_t *ret_wait_ns)
{
	const char *p = buf, *end;
	uint64_t ns, wait;

	if (!buf)
		return -EINVAL;
	end = buf + len;
	if (parse_num(&p, end, 10, &ns) < 0 || p >= end || *p != ' ')
		return -EINVAL;
	if (ret_wait_ns) {
		p++;
		if (parse_num(&p, end, 10, &wait) < 0 || p >= end || *p != ' ')
			return -EINVAL;
		*ret_wait_ns = wait;
	}
	*ret_ns = ns;
	return 0;
}

/* Finds "key" on [p, eol) and parses the number after it and blanks. */
static int field_after(const char *p, const char *eol, const char *key,
		       unsigned base, uint64_t *ret)
{
	size_t klen = strlen(key);

	for (; p + klen <= eol; p++) {
		if (memcmp(p, key, klen) != 0)
			continue;
		p = skip_blanks(p + klen, eol);
		return parse_num(&p, eol, base, ret) < 0 ||
				       (p < eol && *p != ' ') ?
			       -EINVAL :
			       0;
	}
	return -EINVAL;
}

int tl_ev_parse_epoll(const char *buf, size_t len,
		      int (*cb)(int32_t tfd, uint32_t events, uint64_t ino,
				void *arg),
		      void *arg)
{
	const char *end;

	if (!buf || !cb)
		return -EINVAL;
	end = buf + len;
	for (const char *line = buf; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;
		uint64_t tfd, events, ino;
		int r;

		if (eol - line >= 4 && memcmp(line, "tfd:", 4) == 0) {
			const char *p = skip_blanks(line + 4, eol);

			if (parse_num(&p, eol, 10, &tfd) < 0 ||
			    tfd > INT32_MAX ||
			    field_after(p, eol, "events:", 16, &events) < 0 ||
			    events > UINT32_MAX ||
			    field_after(p, eol, "ino:", 16, &ino) < 0)
				return -EINVAL;
			r = cb((int32_t)tfd, (uint32_t)events, ino, arg);
			if (r)
				return r;
		}
		line = nl ? nl + 1 : end;
	}
	return 0;
}

int tl_ev_fd_kind(const char *link, size_t len, uint32_t *ret_inode)
{
	static const struct {
		const char *prefix;
		int kind;
	} anon[] = {
		{ "anon_inode:[eventfd]", TL_FDK_EVENTFD },
		{ "anon_inode:[eventpoll]", TL_FDK_EPOLL },
		{ "anon_inode:[timerfd]", TL_FDK_TIMERFD },
		{ "anon_inode:[signalfd]", TL_FDK_SIGNALFD },
		{ "pipe:[", TL_FDK_PIPE },
		{ "/dev/", TL_FDK_DEVICE },
	};
	uint32_t ino;

	if (!link || len == 0)
		return TL_FDK_OTHER;
	if (len > 7 && memcmp(link, "socket:", 7) == 0) {
		ino = tl_proc_parse_socket_link(link, len);
		if (ino && ret_inode)
			*ret_inode = ino;
		return TL_FDK_SOCKET;
	}
	for (size_t i = 0; i < ARRAY_SIZE(anon); i++) {
		size_t plen = strlen(anon[i].prefix);

		if (len >= plen && memcmp(link, anon[i].prefix, plen) == 0)
			return anon[i].kind;
	}
	return link[0] == '/' ? TL_FDK_FILE : TL_FDK_OTHER;
}

/*
 * The ELF reader of tl_ev_parse_elf_runtime: a file anyone may have
 * written, so every offset and size is checked against the bytes read
 * before it is used, in 64 bits, and the loops are bounded.
 */
struct elf_in {
	const uint8_t *b;
	size_t len;
	bool msb; /* big-endian fields */
	bool is64;
};

/* n bytes (2, 4 or 8) at off as a number, or false past the end. */
static bool elf_num(const struct elf_in *e, uint64_t off, unsigned n,
		    uint64_t *ret)
{
	uint64_t v = 0;

	if (off > e->len || n > e->len - off)
		return false;
	for (unsigned i = 0; i < n; i++) {
		unsigned k = e->msb ? i : n - 1 - i;

		v = v << 8 | e->b[off + k];
	}
	*ret = v;
	return true;
}

/* The most program headers and notes looked at. */
#define ELF_PHDRS_MAX 64
#define ELF_NOTES_MAX 64
#define PT_NOTE_TYPE 4
#define GO_BUILDID_NOTE 4

/* True when the notes in [off, off + size) hold Go's build ID note. */
static bool elf_notes_go(const struct elf_in *e, uint64_t off, uint64_t size,
			 uint64_t align)
{
	uint64_t end, namesz, descsz, type;

	/* Notes are padded to 4 bytes, or to 8 in an 8-aligned segment. */
	align = align == 8 ? 8 : 4;
	if (off >= e->len)
		return false;
	end = size > e->len - off ? e->len : off + size;
	for (int i = 0; i < ELF_NOTES_MAX && end - off >= 12; i++) {
		if (!elf_num(e, off, 4, &namesz) ||
		    !elf_num(e, off + 4, 4, &descsz) ||
		    !elf_num(e, off + 8, 4, &type))
			return false;
		off += 12;
		if (namesz > end - off)
			return false;
		/* The Go linker writes the name "Go\0\0" (4 bytes). */
		if ((namesz == 3 || namesz == 4) && type == GO_BUILDID_NOTE &&
		    memcmp(e->b + off, "Go\0\0", namesz) == 0)
			return true;
		/* Both sizes are below 2^32: no sum here can wrap. */
		off += (namesz + align - 1) & ~(align - 1);
		if (off > end || descsz > end - off)
			return false;
		off += (descsz + align - 1) & ~(align - 1);
		if (off > end)
			return false;
	}
	return false;
}

int tl_ev_parse_elf_runtime(const void *buf, size_t len)
{
	struct elf_in e = { .b = buf, .len = len };
	uint64_t phoff, phentsize, phnum, type, off, size, align;

	if (!buf || len < 16 || memcmp(buf, "\177ELF", 4) != 0)
		return -EINVAL;
	if ((e.b[4] != 1 && e.b[4] != 2) || (e.b[5] != 1 && e.b[5] != 2))
		return -EINVAL;
	e.is64 = e.b[4] == 2;
	e.msb = e.b[5] == 2;
	/* e_phoff, e_phentsize and e_phnum of Elf64_Ehdr or Elf32_Ehdr. */
	if (!elf_num(&e, e.is64 ? 32 : 28, e.is64 ? 8 : 4, &phoff) ||
	    !elf_num(&e, e.is64 ? 54 : 42, 2, &phentsize) ||
	    !elf_num(&e, e.is64 ? 56 : 44, 2, &phnum))
		return -EINVAL;
	if (phentsize < (e.is64 ? 56u : 32u))
		return TL_RT_UNKNOWN;
	for (uint64_t i = 0; i < phnum && i < ELF_PHDRS_MAX; i++) {
		uint64_t ph = phoff + i * phentsize;

		/* phoff may be anything: past the bytes read ends the walk. */
		if (phoff > len || ph < phoff || ph > len)
			break;
		if (!elf_num(&e, ph, 4, &type))
			break;
		if (type != PT_NOTE_TYPE)
			continue;
		/* p_offset, p_filesz and p_align of Elf64_Phdr or Elf32_Phdr. */
		if (!elf_num(&e, ph + (e.is64 ? 8 : 4), e.is64 ? 8 : 4, &off) ||
		    !elf_num(&e, ph + (e.is64 ? 32 : 16), e.is64 ? 8 : 4,
			     &size) ||
		    !elf_num(&e, ph + (e.is64 ? 48 : 28), e.is64 ? 8 : 4,
			     &align))
			break;
		if (elf_notes_go(&e, off, size, align))
			return TL_RT_GO;
	}
	return TL_RT_UNKNOWN;
}

bool tli_ev_code_file(const char *path)
{
	static const char *const ends[] = { ".jar", ".war", ".ear", ".so" };
	const char *base = strrchr(path, '/');
	size_t n;

	/* The name's, not a directory's: /srv/x.so.d/data is no library. */
	base = base ? base + 1 : path;
	n = strlen(base);
	for (size_t i = 0; i < ARRAY_SIZE(ends); i++) {
		size_t e = strlen(ends[i]);

		if (n > e && strcmp(base + n - e, ends[i]) == 0)
			return true;
	}
	return strstr(base, ".so.") != NULL;
}
