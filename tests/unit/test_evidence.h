/* SPDX-License-Identifier: MIT */
/*
 * What the evidence tests share: the /proc texts they write or parse, and
 * the head of an ELF file built byte by byte.
 */
#ifndef TL_TEST_EVIDENCE_H
#define TL_TEST_EVIDENCE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define STATUS_FMT                                                       \
	"Name:\t(a) b)\nUmask:\t0022\nState:\t%s\nTgid:\t%d\nPid:\t%d\n" \
	"PPid:\t1\nTracerPid:\t%d\nUid:\t0\t0\t0\t0\nThreads:\t%d\n"
#define SCHED_FMT                                                               \
	"lab-server (%d, #threads: 1)\n"                                        \
	"-------------------------------------------------------------------\n" \
	"se.exec_start                                :        %s\n"            \
	"se.vruntime                                  :          5144.893065\n"

/* /proc/PID/stat with a comm that holds ") (" and field 39 (the CPU). */
#define STAT_FMT                                                          \
	"%d (a) (b c) S 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 " \
	"1000 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 %d 0 0\n"

/* v as n little- or big-endian bytes at b. */
static inline void put_num(uint8_t *b, uint64_t v, unsigned n, bool msb)
{
	for (unsigned i = 0; i < n; i++)
		b[msb ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

/*
 * The head of an ELF file (64- or 32-bit, either byte order): a PT_LOAD
 * and a PT_NOTE header; the note segment at 0x100 holds a GNU build ID
 * note, then, with name, a note of that name (namesz bytes) and type.
 * Returns the bytes written.
 */
static inline size_t elf_head(uint8_t *b, size_t size, bool is64, bool msb,
			      const char *name, uint32_t namesz, uint32_t type)
{
	size_t ph = is64 ? 64 : 52, ent = is64 ? 56 : 32, n = 0x100;
	size_t start = n;

	assert_true(size >= 0x200);
	memset(b, 0, size);
	memcpy(b, "\177ELF", 4);
	b[4] = is64 ? 2 : 1;
	b[5] = msb ? 2 : 1;
	b[6] = 1;
	put_num(b + (is64 ? 32 : 28), ph, is64 ? 8 : 4, msb);
	put_num(b + (is64 ? 54 : 42), ent, 2, msb);
	put_num(b + (is64 ? 56 : 44), 2, 2, msb);
	put_num(b + ph, 1, 4, msb);	  /* PT_LOAD */
	put_num(b + ph + ent, 4, 4, msb); /* PT_NOTE */
	/* The GNU build ID: "GNU\0", 20 bytes of ID, type 3. */
	put_num(b + n, 4, 4, msb);
	put_num(b + n + 4, 20, 4, msb);
	put_num(b + n + 8, 3, 4, msb);
	memcpy(b + n + 12, "GNU", 4);
	n += 12 + 4 + 20;
	if (name) {
		put_num(b + n, namesz, 4, msb);
		put_num(b + n + 4, 8, 4, msb);
		put_num(b + n + 8, type, 4, msb);
		memcpy(b + n + 12, name, namesz);
		n += 12 + ((namesz + 3) & ~3u) + 8;
	}
	put_num(b + ph + ent + (is64 ? 8 : 4), start, is64 ? 8 : 4, msb);
	put_num(b + ph + ent + (is64 ? 32 : 16), n - start, is64 ? 8 : 4, msb);
	put_num(b + ph + ent + (is64 ? 48 : 28), 4, is64 ? 8 : 4, msb);
	return n;
}

#endif
