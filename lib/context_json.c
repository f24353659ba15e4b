// SPDX-License-Identifier: MIT
/*
 * The few string values a runtime's JSON file gives a context (a name,
 * a pod's annotations), read by a small reader that follows the syntax
 * and keeps nothing else: the files are written by whoever runs a
 * container, and only strings at known key paths are taken.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "tcplimbo/context.h"
#include "utf8.h"
#include "util.h"

/* Largest runtime config we read; Docker's are tens of kB. */
#define CONFIG_MAX (4 * 1024 * 1024)
/* Deepest JSON nesting we follow. */
#define JSON_DEPTH 64
/* Longest JSON key we compare; longer ones match nothing we want. */
#define KEY_MAX 96

struct json {
	const char *p, *end;
	struct tli_want *want;
	size_t nwant;
	char keys[2][KEY_MAX + 1]; /* the keys at depth 1 and 2 */
};

static void skip_ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
				 *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/*
 * Appends a code point as UTF-8 when it fits, else reports *cut; NUL
 * becomes U+FFFD.
 */
static void put_cp(char *out, size_t size, size_t *o, uint32_t cp, bool *cut)
{
	unsigned char b[4];
	size_t n;

	if (cp == 0 || !utf8_scalar(cp))
		cp = 0xfffd;
	n = (size_t)utf8_encode(cp, b);
	if (out && *o + n < size) {
		memcpy(out + *o, b, n);
		*o += n;
	} else if (out && cut) {
		*cut = true;
	}
}

/*
 * Reads a string at j->p (the opening quote), decoding escapes into out
 * (size bytes, truncated, always terminated) when out is not NULL. A
 * truncated string reports *cut. Returns 0 or -1 on malformed input.
 */
static int json_string(struct json *j, char *out, size_t size, bool *cut)
{
	size_t o = 0;

	if (j->p >= j->end || *j->p != '"')
		goto bad;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = (unsigned char)*j->p++;
		uint32_t cp, lo;

		if (c < 0x20)
			goto bad;
		if (c != '\\') {
			if (out && o + 1 < size)
				out[o++] = (char)c;
			else if (out && cut)
				*cut = true;
			continue;
		}
		if (j->p >= j->end)
			goto bad;
		c = (unsigned char)*j->p++;
		switch (c) {
		case 'n':
			cp = '\n';
			break;
		case 't':
			cp = '\t';
			break;
		case 'r':
			cp = '\r';
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case '"':
		case '\\':
		case '/':
			cp = c;
			break;
		case 'u':
			if (j->end - j->p < 4 || hex_value(j->p, 4, &cp) < 0)
				goto bad;
			j->p += 4;
			/* A surrogate pair is one code point. */
			if (cp >= 0xd800 && cp <= 0xdbff &&
			    j->end - j->p >= 6 && j->p[0] == '\\' &&
			    j->p[1] == 'u' &&
			    hex_value(j->p + 2, 4, &lo) == 0 && lo >= 0xdc00 &&
			    lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
				j->p += 6;
			}
			break;
		default:
			goto bad;
		}
		put_cp(out, size, &o, cp, cut);
	}
	if (j->p >= j->end)
		goto bad;
	j->p++;
	if (out)
		out[o] = '\0';
	return 0;
bad:
	/* What was decoded before the fault is kept, terminated. */
	if (out && size)
		out[o] = '\0';
	return -1;
}

static int json_value(struct json *j, int depth);

/* The wanted value at the current key path, at depth 1 or 2, or NULL. */
static struct tli_want *wanted(struct json *j, int depth)
{
	char path[2 * KEY_MAX + 2];

	if (depth == 1)
		snprintf(path, sizeof(path), "%s", j->keys[0]);
	else
		snprintf(path, sizeof(path), "%s/%s", j->keys[0], j->keys[1]);
	for (size_t i = 0; i < j->nwant; i++)
		if (strcmp(j->want[i].path, path) == 0)
			return &j->want[i];
	return NULL;
}

/*
 * Offers a string value at depth (1 or 2) to the wanted paths. A value
 * longer than its buffer ends in "...", so that it does not pass for the
 * whole name.
 */
static int offer(struct json *j, int depth)
{
	struct tli_want *w = wanted(j, depth);
	bool cut = false;
	int r;

	if (!w)
		return json_string(j, NULL, 0, NULL);
	w->found = true;
	r = json_string(j, w->out, TL_CONTEXT_STR_MAX, &cut);
	if (cut)
		tli_mark_cut(w->out, TL_CONTEXT_STR_MAX);
	return r;
}

static int json_array(struct json *j, int depth);

/*
 * An array at a wanted path (podman's "names"): its first element, where
 * it is a string, is the value; the array is then read past as any.
 */
static int offer_first(struct json *j, int depth)
{
	const char *start = j->p;

	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == '"' && offer(j, depth) < 0)
		return -1;
	j->p = start;
	return json_array(j, depth);
}

static int json_object(struct json *j, int depth)
{
	j->p++; /* '{' */
	skip_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return 0;
	}
	for (;;) {
		char key[KEY_MAX + 1];
		bool cut = false;

		skip_ws(j);
		if (json_string(j, key, sizeof(key), &cut) < 0)
			return -1;
		if (cut)
			key[0] = '\0'; /* too long to be one we want */
		if (depth < 2)
			memcpy(j->keys[depth], key, sizeof(key));
		skip_ws(j);
		if (j->p >= j->end || *j->p != ':')
			return -1;
		j->p++;
		skip_ws(j);
		if (j->p < j->end && *j->p == '"' && depth < 2) {
			if (offer(j, depth + 1) < 0)
				return -1;
		} else if (j->p < j->end && *j->p == '[' && depth < 2 &&
			   wanted(j, depth + 1)) {
			if (offer_first(j, depth + 1) < 0)
				return -1;
		} else if (json_value(j, depth + 1) < 0) {
			return -1;
		}
		skip_ws(j);
		if (j->p >= j->end)
			return -1;
		if (*j->p == '}') {
			j->p++;
			return 0;
		}
		if (*j->p++ != ',')
			return -1;
	}
}

static int json_array(struct json *j, int depth)
{
	j->p++; /* '[' */
	skip_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return 0;
	}
	for (;;) {
		/* Objects in arrays are one level deeper: never offered. */
		if (json_value(j, depth + 1) < 0)
			return -1;
		skip_ws(j);
		if (j->p >= j->end)
			return -1;
		if (*j->p == ']') {
			j->p++;
			return 0;
		}
		if (*j->p++ != ',')
			return -1;
	}
}

static int json_value(struct json *j, int depth)
{
	skip_ws(j);
	if (j->p >= j->end || depth >= JSON_DEPTH)
		return -1;
	switch (*j->p) {
	case '{':
		return json_object(j, depth);
	case '[':
		return json_array(j, depth);
	case '"':
		return json_string(j, NULL, 0, NULL);
	default:
		/* Numbers, true, false, null: skip to the next delimiter. */
		while (j->p < j->end && *j->p != ',' && *j->p != '}' &&
		       *j->p != ']' && *j->p != ' ' && *j->p != '\n' &&
		       *j->p != '\t' && *j->p != '\r')
			j->p++;
		return 0;
	}
}

/*
 * Fills the wanted string values from a JSON object in buf (len bytes, not
 * terminated). Returns 0 when it is well-formed, or a negative number.
 */
static int json_buf(const char *buf, size_t len, struct tli_want *want,
		    size_t nwant)
{
	struct json j = {
		.p = buf, .end = buf + len, .want = want, .nwant = nwant
	};

	skip_ws(&j);
	if (j.p < j.end && *j.p == '{')
		return json_object(&j, 0);
	return -1;
}

/* Reads a runtime's file whole (at most CONFIG_MAX); NULL where not. */
static char *read_config(const char *path, size_t *ret_len)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	/* A regular file only: a FIFO put there would block or never end. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		close(fd);
		return NULL;
	}
	n = tli_read_fd_alloc(fd, (size_t)st.st_size + 1, CONFIG_MAX, &buf);
	close(fd);
	if (n <= 0) {
		free(buf); /* NULL where the read failed */
		return NULL;
	}
	*ret_len = (size_t)n;
	return buf;
}

/*
 * Reads a JSON file and fills the wanted string values. Returns 0 when the
 * file was read and is well-formed, or a negative number.
 */
int tli_json_file(const char *path, struct tli_want *want, size_t nwant)
{
	size_t len;
	char *buf = read_config(path, &len);
	int ret;

	if (!buf)
		return -1;
	ret = json_buf(buf, len, want, nwant);
	free(buf);
	return ret;
}

int tli_json_find(const char *buf, size_t len, const char *value,
		  struct tli_want *want, size_t nwant)
{
	struct json j = {
		.p = buf, .end = buf + len, .want = want, .nwant = nwant
	};

	skip_ws(&j);
	if (nwant == 0 || j.p >= j.end || *j.p++ != '[')
		return -1;
	for (skip_ws(&j); j.p < j.end && *j.p == '{';) {
		for (size_t i = 0; i < nwant; i++) {
			want[i].found = false;
			want[i].out[0] = '\0';
		}
		if (json_object(&j, 0) < 0)
			return -1;
		if (want[0].found && strcmp(want[0].out, value) == 0)
			return 0;
		skip_ws(&j);
		if (j.p >= j.end || *j.p != ',')
			return -1;
		j.p++;
		skip_ws(&j);
	}
	return -1;
}

int tli_json_file_find(const char *path, const char *value,
		       struct tli_want *want, size_t nwant)
{
	size_t len;
	char *buf = read_config(path, &len);
	int ret;

	if (!buf)
		return -1;
	ret = tli_json_find(buf, len, value, want, nwant);
	free(buf);
	return ret;
}

int tl_context_json_scan(const char *buf, size_t len, const char *const *paths,
			 char (*out)[TL_CONTEXT_STR_MAX], size_t n)
{
	struct tli_want want[8];

	if (n > ARRAY_SIZE(want))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		want[i] = (struct tli_want){ paths[i], out[i], false };
		out[i][0] = '\0';
	}
	return json_buf(buf, len, want, n) < 0 ? -EBADMSG : 0;
}
