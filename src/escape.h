/* SPDX-License-Identifier: MIT */
/*
 * Text output never passes a control byte to the terminal: every string
 * from outside (a comm, a cmdline, a path, a netns name, an argument
 * quoted in a message) goes through here before it is printed as text.
 *
 * Like `ls -b` and ps, control characters become \xNN: C0 (0x00..0x1f,
 * newline and tab included), DEL (0x7f) and C1, whether as a raw byte
 * (0x80..0x9f) or encoded in UTF-8 (U+0080..U+009F, each of its two bytes
 * shown). Bytes that are not valid UTF-8 (RFC 3629, the same decoder as
 * the JSON writer's) are shown as \xNN too, so the terminal never gets a
 * broken sequence. Format characters, which draw nothing but can reorder
 * or disguise what follows (bidi controls, zero-width joiners; see
 * utf8_invisible), are shown by code point: \u202e, \U000e0041. Other
 * valid characters pass as they are. A backslash becomes \\ so that an
 * escape cannot be forged.
 *
 * Tables pad by display columns, not bytes: a CJK character is 3 bytes
 * and 2 columns, a combining accent 2 bytes and none, an escaped byte 4
 * columns. The widths are wcwidth's, from a table built into the program
 * (width-table.h, scripts/gen-width-table.py) rather than from glibc's
 * wcwidth, which needs a UTF-8 locale set for the whole process (C.UTF-8
 * is not on every system) and answers -1 for every non-ASCII character
 * under the default "C" locale. Under C.UTF-8, glibc 2.36's answers are
 * the same but for 72 symbols (U+3248..U+324F, U+4DC0..U+4DFF) that
 * Unicode's East_Asian_Width calls narrow and glibc wide.
 */
#ifndef TL_ESCAPE_H
#define TL_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Room for n bytes of outside text once escaped (4 a byte at worst). */
#define ESC_SIZE(n) (4 * (n) + 1)

/*
 * Escapes the NUL-terminated s into buf (always NUL-terminated when size
 * > 0); when buf is too small the text is cut before the escape or
 * character that does not fit, never inside one. Returns buf.
 */
const char *esc_text(char *buf, size_t size, const char *s);

/* The same for len bytes, which may hold NULs (shown as \x00). */
const char *esc_text_len(char *buf, size_t size, const char *s, size_t len);

/*
 * The inverse of esc_text, so that a name can be given as it is shown:
 * \\, \xNN, \uXXXX and \UXXXXXXXX become what they stand for, other
 * bytes stay. Writes at most size - 1 bytes and a NUL into buf. Returns
 * the length, or -1 when s has a backslash that starts none of these or
 * the result does not fit (or would hold a NUL).
 */
int esc_unescape(char *buf, size_t size, const char *s);

/*
 * A name given on the command line as the table shows it or as its bytes
 * (a process's, a device's): where every backslash in s starts an escape,
 * the bytes they stand for, so that two names that read differently in
 * the table never both match; else s as it is. Into buf (size bytes, NUL
 * included); returns the length, or -1 when it does not fit.
 */
int esc_name_arg(char *buf, size_t size, const char *s);

/*
 * The columns a terminal gives the character cp, with wcwidth's meaning:
 * 0 for a combining mark, 2 for an East Asian wide or fullwidth one, 1
 * for the rest; -1 for the characters the escaper never passes raw
 * (controls, format characters, surrogates, beyond U+10FFFF).
 */
int esc_char_width(uint32_t cp);

/* The columns the escaped form of len bytes of s takes (esc_fwrite's). */
size_t esc_cols_len(const char *s, size_t len);

/*
 * The columns of s, text already escaped (by esc_text, with our own words
 * around it).
 */
size_t esc_width(const char *s);

/*
 * The length in bytes of the longest start of s, text already escaped,
 * that fits in max_cols columns. It is cut between characters, never
 * inside a UTF-8 sequence or an escape (\xff is whole or gone), and keeps
 * the combining marks of the last character it keeps. Stores the columns
 * of that start in *ret_cols unless it is NULL.
 */
size_t esc_cut(const char *s, size_t max_cols, size_t *ret_cols);

/*
 * Writes s, text already escaped, as a table column of cols columns:
 * padded with spaces; cut by esc_cut first when cut is true, else left to
 * overflow as printf's %-*s would.
 */
void esc_fput_col(const char *s, size_t cols, bool cut, FILE *f);

/* Writes s escaped to f, however long it is. */
void esc_fputs(const char *s, FILE *f);

/* The same for len bytes. */
void esc_fwrite(const char *s, size_t len, FILE *f);

#endif
