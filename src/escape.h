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
 * broken sequence; valid characters pass as they are. A backslash becomes
 * \\ so that an escape cannot be forged.
 */
#ifndef TL_ESCAPE_H
#define TL_ESCAPE_H

#include <stddef.h>
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
 * The length of s cut to at most max bytes without splitting a UTF-8
 * character, for fixed-width columns of text already escaped.
 */
size_t esc_cut(const char *s, size_t max);

/* Writes s escaped to f, however long it is. */
void esc_fputs(const char *s, FILE *f);

/* The same for len bytes. */
void esc_fwrite(const char *s, size_t len, FILE *f);

#endif
