// SPDX-License-Identifier: MIT
/* The Prometheus text format writer; see prom.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "prom.h"
#include "utf8.h"

void prom_free(struct prom *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

static bool reserve(struct prom *p, size_t more)
{
	size_t cap;
	char *nb;

	if (p->err)
		return false;
	if (p->len + more <= p->cap)
		return true;
	cap = p->cap ? p->cap : 4096;
	while (cap < p->len + more)
		cap *= 2;
	nb = realloc(p->buf, cap);
	if (!nb) {
		p->err = -ENOMEM;
		return false;
	}
	p->buf = nb;
	p->cap = cap;
	return true;
}

void prom_write(struct prom *p, const char *s, size_t len)
{
	if (!reserve(p, len))
		return;
	memcpy(p->buf + p->len, s, len);
	p->len += len;
}

static void puts_(struct prom *p, const char *s)
{
	prom_write(p, s, strlen(s));
}

/*
 * Whether what follows a backslash at p could be read as an escape of the
 * text output's: another backslash, a character that is escaped (its
 * escape starts with one), \xNN of a byte the escaper writes so (a
 * control, DEL, or not UTF-8), \uNNNN or \UNNNNNNNN.
 */
static bool reads_as_escape(const unsigned char *p, const unsigned char *end)
{
	const char *s = (const char *)p;
	uint32_t cp, v;
	int k;

	if (p >= end)
		return false;
	if (*p == '\\')
		return true;
	k = utf8_decode(p, end, &cp);
	if (k <= 0 || esc_char_width(cp) < 0)
		return true;
	if (*p == 'x' && end - p >= 3 && hex_value(s + 1, 2, &v) == 0)
		return v < 0x20 || v >= 0x7f;
	return (*p == 'u' && end - p >= 5 && hex_value(s + 1, 4, &v) == 0) ||
	       (*p == 'U' && end - p >= 9 && hex_value(s + 1, 8, &v) == 0);
}

void prom_label_value(struct prom *p, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s, *end = u + len;
	uint32_t cp;

	/*
	 * The value, once a scraper has read the exposition's escapes, is
	 * the text output's form of s (esc_text): controls and format
	 * characters as \x1b or \u202e, bytes that are not UTF-8 as \xff.
	 * `curl /metrics` then hands no control to a terminal, and a name
	 * reads in a dashboard as ls shows it. A backslash is doubled only
	 * where what follows could be read as an escape: a systemd unit's
	 * own "\x2d" stays as systemd spells it, so the label joins
	 * node_exporter's, while a name holding the four bytes "\x1b" still
	 * reads apart from one holding an ESC. Each character is escaped on
	 * its own, so no buffer bounds the value.
	 */
	for (size_t i = 0; i < len;) {
		int k = utf8_decode(u + i, end, &cp);
		size_t n = k < 0 ? (size_t)-k : (size_t)k;
		char e[ESC_SIZE(4)];

		if (k > 0 && cp == '\\') {
			prom_write(p, "\\\\\\\\",
				   reads_as_escape(u + i + 1, end) ? 4 : 2);
		} else if (k > 0 && cp != '"' && esc_char_width(cp) >= 0) {
			prom_write(p, s + i, n);
		} else {
			esc_text_len(e, sizeof(e), s + i, n);
			for (const char *c = e; *c; c++)
				prom_write(p,
					   *c == '\\' ? "\\\\" :
					   *c == '"'  ? "\\\"" :
							c,
					   *c == '\\' || *c == '"' ? 2 : 1);
		}
		i += n;
	}
}

/* HELP text escapes only backslash and newline. */
static void help_text(struct prom *p, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			puts_(p, "\\\\");
		else if (*s == '\n')
			puts_(p, "\\n");
		else
			prom_write(p, s, 1);
	}
}

void prom_family(struct prom *p, const char *name, const char *type,
		 const char *help)
{
	puts_(p, "# HELP ");
	puts_(p, name);
	prom_write(p, " ", 1);
	help_text(p, help);
	puts_(p, "\n# TYPE ");
	puts_(p, name);
	prom_write(p, " ", 1);
	puts_(p, type);
	prom_write(p, "\n", 1);
}

/* v / 10^decimals in plain decimal notation, trailing zeros kept. */
static void number(struct prom *p, uint64_t v, unsigned decimals)
{
	char tmp[48];
	size_t n = 0;
	unsigned d = 0;

	if (decimals > 9)
		decimals = 9;
	do {
		if (decimals && d == decimals)
			tmp[n++] = '.';
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
		d++;
	} while (v || d <= decimals);
	while (n > 0)
		prom_write(p, &tmp[--n], 1);
}

void prom_sample(struct prom *p, const char *name,
		 const struct prom_label *labels, size_t n_labels, uint64_t v,
		 unsigned decimals)
{
	puts_(p, name);
	if (n_labels) {
		prom_write(p, "{", 1);
		for (size_t i = 0; i < n_labels; i++) {
			if (i)
				prom_write(p, ",", 1);
			puts_(p, labels[i].name);
			prom_write(p, "=\"", 2);
			prom_label_value(p, labels[i].value,
					 strlen(labels[i].value));
			prom_write(p, "\"", 1);
		}
		prom_write(p, "}", 1);
	}
	prom_write(p, " ", 1);
	number(p, v, decimals);
	prom_write(p, "\n", 1);
}
