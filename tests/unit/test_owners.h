/* SPDX-License-Identifier: MIT */
/*
 * The /proc texts the owners tests parse and build their fake trees from.
 */
#ifndef TL_TEST_OWNERS_H
#define TL_TEST_OWNERS_H

/* A realistic stat line: comm "(a) b)", utime 7, stime 3, start 12345. */
#define STAT_100                                                              \
	"100 ((a) b)) S 1 100 100 0 -1 4194560 10 0 0 0 7 3 0 0 20 0 1 0 "    \
	"12345 1000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 " \
	"0 0 0 0 0 0 0 0 0 0 0 0\n"
#define STAT_200                                                                \
	"200 (srv x) R 100 200 200 0 -1 4194560 10 0 0 0 100 50 0 0 20 -5 4 0 " \
	"999 1000 200\n"

#define LIMITS_HEAD                                                            \
	"Limit                     Soft Limit           Hard Limit           " \
	"Units     \n"                                                         \
	"Max cpu time              unlimited            unlimited            " \
	"seconds   \n"                                                         \
	"Max core file size        0                    unlimited            " \
	"bytes     \n"
#define LIMITS_TAIL                                                            \
	"Max locked memory         8388608              8388608              " \
	"bytes     \n"

#endif
