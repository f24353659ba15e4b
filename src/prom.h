/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus text exposition format (version 0.0.4), written into a
 * growing buffer: families with # HELP and # TYPE, samples with escaped
 * label values that are always valid UTF-8, and numbers formatted here
 * (integers and fixed-point decimals), not by printf's locale.
 */
#ifndef TL_PROM_H
#define TL_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The content type a scrape answers with. */
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A buffer being written; err is set (-ENOMEM) once a write failed. */
struct prom {
	char *buf;
	size_t len, cap;
	int err;
};

/* One label: both strings must outlive the call only. */
struct prom_label {
	const char *name;
	const char *value; /* any bytes: escaped and made valid UTF-8 */
};

/* Frees the buffer and resets p; p may be all zeros. */
void prom_free(struct prom *p);

/* Starts a family: "# HELP name help" and "# TYPE name type". */
void prom_family(struct prom *p, const char *name, const char *type,
		 const char *help);

/*
 * Writes one sample: name{labels} value, where value is v divided by
 * 10^decimals (so milliseconds go in with decimals 3 and come out as
 * seconds). decimals is at most 9.
 */
void prom_sample(struct prom *p, const char *name,
		 const struct prom_label *labels, size_t n_labels, uint64_t v,
		 unsigned decimals);

/* Writes raw text (for the per-request tail). */
void prom_write(struct prom *p, const char *s, size_t len);

/*
 * Writes s (len bytes) into the buffer as a label value: backslash,
 * double quote and newline escaped as the format requires, bytes that are
 * not valid UTF-8 replaced by U+FFFD. Exposed for the unit test.
 */
void prom_label_value(struct prom *p, const char *s, size_t len);

#endif
