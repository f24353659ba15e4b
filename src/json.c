// SPDX-License-Identifier: MIT
/*
 * The JSON writer (see json.h for what it promises). Everything goes
 * through a buffer of the writer's own; the string path copies runs of
 * plain ASCII with one memcpy and only decodes what is not plain.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "utf8.h"

void json_init_file(struct json *w, FILE *f)
{
	w->f = f;
	w->fd = -1;
	w->stop = NULL;
	w->stop_deadline_ms = 0;
	w->mem = NULL;
	w->mem_len = w->mem_cap = 0;
	w->err = 0;
	w->depth = 0;
	w->more = 0;
	w->no_comma = false;
	w->n = 0;
	w->b = w->own;
	w->cap = sizeof(w->own);
}

void json_set_buffer(struct json *w, char *buf, size_t size)
{
	if (!buf || size < JSON_BUF_MIN)
		return;
	json_flush(w);
	w->b = buf;
	w->cap = size;
}

void json_init_mem(struct json *w)
{
	json_init_file(w, NULL);
}

void json_init_fd(struct json *w, int fd, const volatile sig_atomic_t *stop)
{
	json_init_file(w, NULL);
	w->fd = fd;
	w->stop = stop;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Stopping: whether fd can take more before the grace runs out. Then a
 * write of at most PIPE_BUF bytes does not block: POLLOUT on a pipe means
 * a free page in it.
 */
static bool room_before_deadline(struct json *w)
{
	struct pollfd p = { .fd = w->fd, .events = POLLOUT };
	uint64_t now = mono_ms();
	int r;

	if (!w->stop_deadline_ms)
		w->stop_deadline_ms = now + JSON_STOP_GRACE_MS;
	do {
		now = mono_ms();
		if (now >= w->stop_deadline_ms)
			return false;
		r = poll(&p, 1, (int)(w->stop_deadline_ms - now));
	} while (r < 0 && errno == EINTR);
	return r > 0 && (p.revents & POLLOUT);
}

/* The sink of a descriptor writer (json_init_fd). */
static void sink_fd(struct json *w, const char *s, size_t len)
{
	while (len) {
		size_t chunk = len;
		ssize_t n;

		if (w->stop && *w->stop) {
			if (!room_before_deadline(w)) {
				w->err = -EINTR;
				return;
			}
			if (chunk > PIPE_BUF)
				chunk = PIPE_BUF;
		}
		n = write(w->fd, s, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->err = n < 0 ? -errno : -EIO;
			return;
		}
		/* What a reader got whole, should the rest be dropped. */
		for (const char *e = s, *end = s + n;
		     (e = memchr(e, '\n', (size_t)(end - e))); e++)
			w->lines_out++;
		s += n;
		len -= (size_t)n;
	}
}

/* Moves len bytes to the destination, bypassing the buffer. */
static void sink(struct json *w, const char *s, size_t len)
{
	size_t cap;
	char *m;

	if (w->err || !len)
		return;
	if (w->fd >= 0) {
		sink_fd(w, s, len);
		return;
	}
	if (w->f) {
		errno = 0;
		if (fwrite_unlocked(s, 1, len, w->f) != len)
			w->err = errno ? -errno : -EIO;
		return;
	}
	if (len > SIZE_MAX / 2 - w->mem_len) {
		w->err = -ENOMEM;
		return;
	}
	if (w->mem_len + len > w->mem_cap) {
		cap = w->mem_cap ? w->mem_cap : 8192;
		while (cap < w->mem_len + len)
			cap *= 2;
		m = realloc(w->mem, cap);
		if (!m) {
			w->err = -ENOMEM;
			return;
		}
		w->mem = m;
		w->mem_cap = cap;
	}
	memcpy(w->mem + w->mem_len, s, len);
	w->mem_len += len;
}

int json_flush(struct json *w)
{
	sink(w, w->b, w->n);
	w->n = 0;
	return w->err;
}

char *json_mem_take(struct json *w, size_t *len)
{
	char *m;

	json_flush(w);
	sink(w, "", 1);
	if (w->err) {
		json_mem_free(w);
		return NULL;
	}
	m = w->mem;
	*len = w->mem_len - 1;
	w->mem = NULL;
	w->mem_len = w->mem_cap = 0;
	return m;
}

void json_mem_free(struct json *w)
{
	free(w->mem);
	w->mem = NULL;
	w->mem_len = w->mem_cap = 0;
}

static inline void put_mem(struct json *w, const void *s, size_t len)
{
	if (len > w->cap - w->n) {
		json_flush(w);
		if (len > w->cap) {
			sink(w, s, len);
			return;
		}
	}
	memcpy(w->b + w->n, s, len);
	w->n += len;
}

static inline void put_c(struct json *w, char c)
{
	if (w->n == w->cap)
		json_flush(w);
	w->b[w->n++] = c;
}

void json__flush_full(struct json *w)
{
	json_flush(w);
}

static inline void value_start(struct json *w)
{
	json__value_start(w);
}

static void container_begin(struct json *w, char c)
{
	value_start(w);
	put_c(w, c);
	w->depth++;
	if (w->depth <= JSON_MAX_DEPTH)
		w->more &= ~(UINT64_C(1) << w->depth);
}

static void container_end(struct json *w, char c)
{
	put_c(w, c);
	if (w->depth)
		w->depth--;
	w->no_comma = false;
}

void json_obj_begin(struct json *w)
{
	container_begin(w, '{');
}

void json_obj_end(struct json *w)
{
	container_end(w, '}');
}

void json_arr_begin(struct json *w)
{
	container_begin(w, '[');
}

void json_arr_end(struct json *w)
{
	container_end(w, ']');
}

void json__key_long(struct json *w, const char *k, size_t len)
{
	value_start(w);
	put_c(w, '"');
	put_mem(w, k, len);
	put_mem(w, "\":", 2);
	w->no_comma = true;
}

void json_next_line(struct json *w)
{
	if (!w->no_comma && w->depth && w->depth <= JSON_MAX_DEPTH &&
	    (w->more & UINT64_C(1) << w->depth))
		put_c(w, ',');
	put_c(w, '\n');
	w->no_comma = true;
}

void json_raw(struct json *w, const char *s, size_t len)
{
	put_mem(w, s, len);
}

/* 0: copied as it is; 1: escaped; 2: not ASCII, decoded. */
static const unsigned char str_class[256] = {
	[0x00 ... 0x1f] = 1, ['"'] = 1,		  ['\\'] = 1,
	[0x7f] = 1,	     [0x80 ... 0xff] = 2,
};

/* \uXXXX for a code point of the BMP. */
static void put_u(struct json *w, uint32_t c)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = { '\\',
		      'u',
		      hex[c >> 12 & 15],
		      hex[c >> 8 & 15],
		      hex[c >> 4 & 15],
		      hex[c & 15] };

	put_mem(w, e, sizeof(e));
}

/*
 * A format character (utf8.h's utf8_invisible: bidi controls, zero-width
 * ones) as \uXXXX, beyond the BMP as a surrogate pair: the string is the
 * same to a parser, but a consumer that prints it raw (jq -r) cannot be
 * made to reorder or hide text on its terminal.
 */
static void put_invisible(struct json *w, uint32_t c)
{
	if (c <= 0xffff) {
		put_u(w, c);
		return;
	}
	c -= 0x10000;
	put_u(w, 0xd800 | c >> 10);
	put_u(w, 0xdc00 | (c & 0x3ff));
}

static void put_escape(struct json *w, uint32_t c)
{
	switch (c) {
	case '"':
		put_mem(w, "\\\"", 2);
		return;
	case '\\':
		put_mem(w, "\\\\", 2);
		return;
	case '\n':
		put_mem(w, "\\n", 2);
		return;
	case '\t':
		put_mem(w, "\\t", 2);
		return;
	case '\r':
		put_mem(w, "\\r", 2);
		return;
	}
	put_u(w, c);
}

/*
 * The string body, for a known length or (nul) up to the first NUL; a
 * constant nul makes two copies with no test of it inside. In nul mode a
 * NUL ends any multi-byte sequence early (it is never a continuation), so
 * decoding never reads past the string.
 */
static inline __attribute__((always_inline)) void
str_body(struct json *w, const unsigned char *p, const unsigned char *end,
	 bool nul)
{
	value_start(w);
	put_c(w, '"');
	for (;;) {
		const unsigned char *run = p;
		uint32_t cp;
		int l;

		if (nul) {
			while (!str_class[*p])
				p++;
		} else {
			while (p < end && !str_class[*p])
				p++;
		}
		if (p > run)
			put_mem(w, run, (size_t)(p - run));
		if (nul ? !*p : p == end)
			break;
		if (str_class[*p] == 1) {
			put_escape(w, *p++);
			continue;
		}
		l = utf8_decode(p, nul ? p + 4 : end, &cp);
		if (l < 0) {
			put_mem(w, UTF8_REPLACEMENT, 3);
			p += -l;
		} else if (cp < 0xa0) {
			put_escape(w, cp); /* C1 controls: U+0080..U+009F */
			p += l;
		} else if (utf8_invisible(cp)) {
			put_invisible(w, cp);
			p += l;
		} else {
			put_mem(w, p, (size_t)l);
			p += l;
		}
	}
	put_c(w, '"');
}

void json_str_len(struct json *w, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	str_body(w, p, p + len, false);
}

void json_str(struct json *w, const char *s)
{
	if (s)
		str_body(w, (const unsigned char *)s, NULL, true);
	else
		json_null(w);
}

void json_str_plain(struct json *w, const char *s)
{
	if (!s) {
		json_null(w);
		return;
	}
	value_start(w);
	put_c(w, '"');
	put_mem(w, s, strlen(s));
	put_c(w, '"');
}

/* "00" to "99", for json__uint_long. */
static const char digit_pairs[201] = "00010203040506070809"
				     "10111213141516171819"
				     "20212223242526272829"
				     "30313233343536373839"
				     "40414243444546474849"
				     "50515253545556575859"
				     "60616263646566676869"
				     "70717273747576777879"
				     "80818283848586878889"
				     "90919293949596979899";

/*
 * v's digits from the end, two a step; end is one past the last. A
 * 32-bit v takes the 32-bit loop: ports, pids, inodes and namespaces are
 * all below 2^32, and its multiply-for-divide is the cheaper one.
 */
static void put_digits(char *end, uint64_t v)
{
	char *p = end;
	uint32_t v32;

	while (v > UINT32_MAX) {
		unsigned d = (unsigned)(v % 100) * 2;

		v /= 100;
		*--p = digit_pairs[d + 1];
		*--p = digit_pairs[d];
	}
	v32 = (uint32_t)v;
	while (v32 >= 100) {
		unsigned d = (v32 % 100) * 2;

		v32 /= 100;
		*--p = digit_pairs[d + 1];
		*--p = digit_pairs[d];
	}
	if (v32 >= 10) {
		*--p = digit_pairs[v32 * 2 + 1];
		*--p = digit_pairs[v32 * 2];
	} else {
		*--p = (char)('0' + v32);
	}
}

char *json__put_uint_long(char *p, uint64_t v)
{
	static const uint64_t pow10[20] = {
		1ULL,
		10ULL,
		100ULL,
		1000ULL,
		10000ULL,
		100000ULL,
		1000000ULL,
		10000000ULL,
		100000000ULL,
		1000000000ULL,
		10000000000ULL,
		100000000000ULL,
		1000000000000ULL,
		10000000000000ULL,
		100000000000000ULL,
		1000000000000000ULL,
		10000000000000000ULL,
		100000000000000000ULL,
		1000000000000000000ULL,
		10000000000000000000ULL,
	};
	/*
	 * The number of digits without a loop: t is bits * log10(2) rounded
	 * down (1233 / 4096 is a hair under log10(2), which changes no result
	 * up to 64 bits), and a number of v's bit length has t digits below
	 * 10^t and t + 1 from there.
	 */
	unsigned bits = 64 - (unsigned)__builtin_clzll(v | 1);
	unsigned t = (bits * 1233) >> 12;
	size_t len = t + (v >= pow10[t]);

	if (len == 0)
		len = 1;
	put_digits(p + len, v);
	return p + len;
}

char *json_put_int(char *p, int64_t v)
{
	if (v >= 0)
		return json_put_uint(p, (uint64_t)v);
	*p++ = '-';
	return json_put_uint(p, (uint64_t)0 - (uint64_t)v);
}

void json__uint_long(struct json *w, uint64_t v)
{
	value_start(w);
	json_wrote(w, json_put_uint(json__room(w, JSON_UINT_MAX), v));
}

void json_int(struct json *w, int64_t v)
{
	if (v < 0) {
		value_start(w);
		put_c(w, '-');
		w->no_comma = true;
		json_uint(w, (uint64_t)0 - (uint64_t)v);
	} else {
		json_uint(w, (uint64_t)v);
	}
}

void json_double(struct json *w, double v, int digits)
{
	char buf[64];
	int n;

	if (!isfinite(v)) {
		json_null(w);
		return;
	}
	n = snprintf(buf, sizeof(buf), "%.*f", digits, v);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		json_null(w); /* beyond 1e40 or so: not a value we print */
		return;
	}
	value_start(w);
	put_mem(w, buf, (size_t)n);
}

void json_bool(struct json *w, bool v)
{
	value_start(w);
	if (v)
		put_mem(w, "true", 4);
	else
		put_mem(w, "false", 5);
}

void json_null(struct json *w)
{
	value_start(w);
	put_mem(w, "null", 4);
}
