/* SPDX-License-Identifier: MIT */
/* Small helpers shared by every stage: allocation, string vectors, time, errors. */
#ifndef ISOLA_UTIL_H
#define ISOLA_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "isola/isola.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NSEC_PER_SEC  INT64_C(1000000000)
#define NSEC_PER_MSEC INT64_C(1000000)
#define NSEC_PER_USEC INT64_C(1000)

/* Out-of-memory is the one failure isola does not try to survive: it aborts. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* *dst = a new formatted string; what *dst held is freed. */
void xasprintf_to(char **dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* *dst grows by sep (if it held something) and the formatted text; *dst NULL: it holds none. */
void xappendf(char **dst, const char *sep, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void cleanup_freep(void *p)
{
	void **pp = p;
	free(*pp);
}
#define cleanup_free __attribute__((cleanup(cleanup_freep)))

/* A growable NULL-terminated vector of owned strings. STRV_INIT / all-zero is empty. */
struct strv {
	char **v;
	size_t n, cap;
};
#define STRV_INIT {0}
void strv_push(struct strv *sv, const char *s);
void strv_push_take(struct strv *sv, char *s); /* takes ownership of s */
void strv_extend(struct strv *sv, const struct strv *from);
void strv_release(struct strv *sv);
/* Returns the vector, never NULL, terminated by NULL. */
char **strv_get(struct strv *sv);

/* Monotonic clock in nanoseconds. */
int64_t now_ns(void);
/* Wall clock in nanoseconds since the epoch (for reports). */
int64_t wall_ns(void);

/*
 * Parse a duration: "300", "300s", "1.5s", "250ms", "2m", "1h"; a bare number is seconds.
 * Returns 0 and stores nanoseconds, or -1 for anything else (negative, junk, overflow).
 */
int parse_duration(const char *s, int64_t *out_ns);
/* Parse a positive decimal int in [min, max]. Returns 0 or -1. */
int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);
/* Format nanoseconds as "0.012s" / "1m02s" into buf. */
const char *fmt_duration(int64_t ns, char *buf, size_t len);

/* errors: fill *e and return -1, so that callers can write `return err_set(...)`. */
int err_set(struct isola_error *e, int errnum, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int err_setv(struct isola_error *e, int errnum, const char *path, const char *fmt, va_list ap);
void err_clear(struct isola_error *e);

/* True if name is a valid environment variable name: [A-Za-z_][A-Za-z0-9_]*. */
bool env_name_valid(const char *name, size_t len);

/* Online CPUs (at least 1), asked once per process: sysconf reads /sys every time. */
unsigned online_cpus(void);
/* Is the environment variable name set to something other than "" and "0"? (Test switches.) */
bool env_flag(const char *name);

/* openat(dfd, rel, flags) without following a symlink on the way nor leaving dfd (no "..",
 * nothing absolute: openat2's RESOLVE_BENEATH): a tree someone else may change (a source being
 * copied, a layer the test wrote) cannot lead the caller elsewhere. */
int open_beneath(int dfd, const char *rel, int flags);
/* Is inner (an absolute path) outer itself or below it? Both canonical; '/' holds all. */
bool path_within(const char *inner, const char *outer);
/* The canonical form of the absolute path abs (malloc'd): its longest existing prefix through
 * realpath(3), then the rest with "." and ".." taken lexically: what a path names once the
 * missing part is made. */
char *path_resolve(const char *abs);
/* Write all of buf to fd, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len);

/* For code that runs on a stack of its own after a clone (isola's init, a child before exec):
 * AddressSanitizer cannot follow the stack switch and warns of false positives there. */
#if defined(__SANITIZE_ADDRESS__)
#define NO_SANITIZE_ADDRESS __attribute__((no_sanitize_address))
#else
#define NO_SANITIZE_ADDRESS
#endif
/*
 * Open path for reading only if it is a regular file (never a symlink): a test can put a fifo or
 * a device where isola expects its log, and opening that must not block isola. Returns the fd,
 * or -1 with errno (EINVAL: not a regular file).
 */
int open_regular(const char *path);

#endif
