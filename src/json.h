/* SPDX-License-Identifier: MIT */
/*
 * The one JSON writer of the command: every verb's --json output (and the
 * exporter's HTTP bodies) goes through it, so all of them are valid JSON
 * and valid UTF-8 whatever the strings hold.
 *
 * It is fast because ls and watch print hundreds of thousands of objects
 * a second: text is built in a buffer of the writer's own, numbers are
 * formatted here (no printf), and the buffer goes to the stream in one
 * fwrite when full or when the caller flushes it (once a line in watch).
 *
 * Commas are placed by the writer: a value or key written inside an
 * object or array gets one when it is not the first. Values at the top
 * level get none (watch writes one object a line).
 *
 * Strings are arbitrary bytes from outside (comm, cmdline, paths, netns
 * names) and come out as valid UTF-8: valid multi-byte characters are kept
 * as they are; each invalid sequence (RFC 3629: overlong forms such as
 * c0 af, surrogates such as ed a0 80, code points above U+10FFFF, stray
 * continuation bytes, a sequence cut short such as a trailing e5 left by
 * the kernel's 15-byte comm, bytes c0, c1 and f5..ff) is replaced by one
 * U+FFFD per maximal invalid subpart, as Python's and browsers' decoders
 * do. ", \ and control characters (U+0000..U+001F, DEL and the C1 range
 * U+0080..U+009F) are escaped, so no raw control character reaches a
 * terminal that shows the JSON. So are format characters (utf8.h's
 * utf8_invisible: bidi controls such as U+202E, zero-width ones such as
 * U+200D and U+FEFF), as \u202e (a surrogate pair beyond the BMP), as
 * the text escaper shows them: the string a parser reads is unchanged,
 * but a consumer that prints it cannot have its line reordered.
 */
#ifndef TL_JSON_H
#define TL_JSON_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Deepest nesting the writer tracks commas for; deeper values get none. */
#define JSON_MAX_DEPTH 63

struct json {
	FILE *f; /* the stream, or NULL when writing to fd or memory */
	int fd;	 /* json_init_fd's descriptor, else -1 */
	const volatile sig_atomic_t *stop; /* json_init_fd's, or NULL */
	uint64_t stop_deadline_ms;	   /* set once *stop is seen */
	char *mem; /* memory mode: everything flushed so far */
	size_t mem_len, mem_cap;
	int err; /* the first error, -errno; later writes are dropped */
	uint64_t lines_out; /* fd writer: the line ends written so far */
	unsigned depth;
	uint64_t more; /* bit d: the container at depth d has a value */
	bool no_comma; /* a key or a line break was just written */
	size_t n;      /* bytes in b */
	size_t cap;    /* b's size, at least JSON_BUF_MIN */
	char *b;       /* own, or the caller's (json_set_buffer) */
	char own[4096];
};

/* The smallest buffer the writer works with: json_room's most. */
#define JSON_BUF_MIN 4096

/* Starts a writer on a stream. The writer holds no resource to free. */
void json_init_file(struct json *w, FILE *f);

/*
 * Starts a writer that hands its buffer to fd with write(2), continuing
 * partial writes. Once *stop is non-zero (the caller's signal handler sets
 * it), the reader gets at most JSON_STOP_GRACE_MS more to take the rest,
 * and what it has not taken by then is given up with -EINTR: a stop asked
 * for while the reader does not read (a paused pager) is not held up by
 * the write it interrupted part way, which stdio would resume. stop may be
 * NULL. The writer holds no resource to free; fd stays the caller's.
 */
void json_init_fd(struct json *w, int fd, const volatile sig_atomic_t *stop);

/* How long a stopping writer waits for its reader, in all. */
#define JSON_STOP_GRACE_MS 500

/*
 * Makes the writer gather output in buf (size bytes, at least
 * JSON_BUF_MIN, outliving the writer's use) instead of its own 4 KiB, after
 * flushing what it holds. A full buffer goes out in one write (for a
 * stream, one fwrite, which stdio passes straight to write() when it is at
 * least its own buffer's size): watch writes hundreds of megabytes a
 * second, and copying them 4 KiB at a time into stdio's buffer was an
 * eighth of its time.
 */
void json_set_buffer(struct json *w, char *buf, size_t size);

/*
 * Starts a writer that collects the text in memory (for HTTP bodies); take
 * it with json_mem_take() or free it with json_mem_free().
 */
void json_init_mem(struct json *w);

/*
 * Hands the buffered text to the stream (without fflush'ing the stream) or
 * to the memory text. Returns 0, or the writer's first error as -errno
 * (-EIO or the stream's errno on a failed write, -ENOMEM in memory mode).
 */
int json_flush(struct json *w);

/*
 * Memory mode: flushes and returns the text, NUL-terminated, which the
 * caller frees; its length in *len. NULL (and the writer freed) when an
 * allocation failed.
 */
char *json_mem_take(struct json *w, size_t *len);

/* Memory mode: frees the text collected so far. Accepts a file writer. */
void json_mem_free(struct json *w);

void json_obj_begin(struct json *w);
void json_obj_end(struct json *w);
void json_arr_begin(struct json *w);
void json_arr_end(struct json *w);

/*
 * The hot parts are inline, so that a key's literal is copied with a
 * constant length and a small number needs no call: ls and watch spend
 * most of their time here. json__ names are the writer's own.
 */
void json__flush_full(struct json *w);

/* Makes room for len (<= JSON_BUF_MIN) bytes in the buffer. */
static inline char *json__room(struct json *w, size_t len)
{
	if (len > w->cap - w->n)
		json__flush_full(w);
	return w->b + w->n;
}

/*
 * Writing straight into the buffer, for a line whose layout the caller
 * knows (watch prints hundreds of thousands a second): json_room gives
 * room for up to len bytes (len at most JSON_BUF_MIN), the caller writes
 * there with the json_put_* below and hands the end to json_wrote. They
 * add no commas and track no nesting, so they serve the top level of a
 * line, outside any container, where the writer's own value functions
 * (json_str, json_uint, json_arr_begin...) add no commas either and may
 * be mixed in for what the caller cannot bound.
 */
static inline char *json_room(struct json *w, size_t len)
{
	return json__room(w, len);
}

/* Ends a json_room write at end, one past its last byte. */
static inline void json_wrote(struct json *w, char *end)
{
	w->n = (size_t)(end - w->b);
}

/* A string literal as it is; returns the byte after it. */
#define json_put_lit(p, s) \
	((char *)memcpy((p), "" s, sizeof(s) - 1) + sizeof(s) - 1)

/* The most bytes json_put_uint and json_put_int write. */
#define JSON_UINT_MAX 20

char *json__put_uint_long(char *p, uint64_t v);

/* v in decimal; returns the byte after it. */
static inline char *json_put_uint(char *p, uint64_t v)
{
	if (v < 10) {
		*p = (char)('0' + v);
		return p + 1;
	}
	return json__put_uint_long(p, v);
}

/* The same for a signed v. */
char *json_put_int(char *p, int64_t v);

/*
 * The caller's own text (never a string from outside: it is not
 * escaped), at most max bytes of it; returns the byte after it. Byte by
 * byte: the names and addresses it copies are a few bytes long, shorter
 * than a call to strnlen and memcpy costs.
 */
static inline char *json_put_plain(char *p, const char *s, size_t max)
{
	for (size_t i = 0; i < max && s[i]; i++)
		*p++ = s[i];
	return p;
}

/* The comma before a value or key, when it is not the container's first. */
static inline __attribute__((always_inline)) void
json__value_start(struct json *w)
{
	uint64_t bit = UINT64_C(1) << (w->depth & 63);

	if (w->no_comma) {
		w->no_comma = false;
	} else if (w->depth && w->depth <= JSON_MAX_DEPTH) {
		if (w->more & bit)
			*json__room(w, 1) = ',', w->n++;
	} else {
		return;
	}
	if (w->depth && w->depth <= JSON_MAX_DEPTH)
		w->more |= bit;
}

void json__key_long(struct json *w, const char *k, size_t len);

/*
 * Writes a key and its colon (with a comma when it is not the object's
 * first). Keys are the program's own names, written as they are: they
 * must not need escaping.
 */
static inline __attribute__((always_inline)) void
json_key_len(struct json *w, const char *k, size_t len)
{
	char *p;

	if (len > 64) {
		json__key_long(w, k, len);
		return;
	}
	json__value_start(w);
	p = json__room(w, len + 3);
	p[0] = '"';
	memcpy(p + 1, k, len);
	p[len + 1] = '"';
	p[len + 2] = ':';
	w->n += len + 3;
	w->no_comma = true;
}

static inline __attribute__((always_inline)) void json_key(struct json *w,
							   const char *k)
{
	json_key_len(w, k, strlen(k)); /* strlen of a literal folds away */
}

/* A string value made valid as the header says; NULL writes null. */
void json_str(struct json *w, const char *s);
/* The same for len bytes that may hold NULs (escaped as \u0000). */
void json_str_len(struct json *w, const char *s, size_t len);

void json_null(struct json *w);

/*
 * A string of the program's own: a name from its tables (a state, a
 * cause) or text it formatted (an address, a time). Copied as it is,
 * without the scan json_str makes of every byte; it must be printable
 * ASCII other than " and \. Anything that came from outside (a comm, a
 * path, a name the user gave) goes through json_str. NULL writes null.
 */
void json_str_plain(struct json *w, const char *s);

void json__uint_long(struct json *w, uint64_t v);

static inline __attribute__((always_inline)) void json_uint(struct json *w,
							    uint64_t v)
{
	if (v < 10) {
		/* Most counters are 0: no digit loop, no call. */
		json__value_start(w);
		*json__room(w, 1) = (char)('0' + v);
		w->n++;
		return;
	}
	json__uint_long(w, v);
}

void json_int(struct json *w, int64_t v);
/* A number with digits decimals; NaN and infinities become null. */
void json_double(struct json *w, double v, int digits);
void json_bool(struct json *w, bool v);

/*
 * Starts the next value of the current container on a new line: writes
 * its comma (when it is not the first) and a newline. Layout only.
 */
void json_next_line(struct json *w);

/* Writes text as it is, outside the comma logic: layout and newlines. */
void json_raw(struct json *w, const char *s, size_t len);

/* Key and value in one call, the common case. */
static inline __attribute__((always_inline)) void
json_kv_str(struct json *w, const char *k, const char *s)
{
	json_key(w, k);
	json_str(w, s);
}

static inline __attribute__((always_inline)) void
json_kv_plain(struct json *w, const char *k, const char *s)
{
	json_key(w, k);
	json_str_plain(w, s);
}

static inline __attribute__((always_inline)) void
json_kv_uint(struct json *w, const char *k, uint64_t v)
{
	json_key(w, k);
	json_uint(w, v);
}

static inline __attribute__((always_inline)) void
json_kv_int(struct json *w, const char *k, int64_t v)
{
	json_key(w, k);
	json_int(w, v);
}

static inline __attribute__((always_inline)) void
json_kv_bool(struct json *w, const char *k, bool v)
{
	json_key(w, k);
	json_bool(w, v);
}

static inline __attribute__((always_inline)) void json_kv_null(struct json *w,
							       const char *k)
{
	json_key(w, k);
	json_null(w);
}

#endif
