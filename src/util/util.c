/* SPDX-License-Identifier: MIT */
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void oom(void)
{
	static const char msg[] = "isola: out of memory\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		oom();
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void xasprintf_to(char **dst, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	free(*dst);
	*dst = s;
}

void xappendf(char **dst, const char *sep, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *more = xvasprintf(fmt, ap);
	va_end(ap);
	if (*dst) {
		char *all = xasprintf("%s%s%s", *dst, sep, more);
		free(more);
		more = all;
	}
	free(*dst);
	*dst = more;
}

void strv_push_take(struct strv *sv, char *s)
{
	if (sv->n + 2 > sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = xrealloc(sv->v, sv->cap * sizeof(*sv->v));
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void strv_push(struct strv *sv, const char *s)
{
	strv_push_take(sv, xstrdup(s));
}

void strv_extend(struct strv *sv, const struct strv *from)
{
	for (size_t i = 0; i < from->n; i++)
		strv_push(sv, from->v[i]);
}

void strv_release(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

char **strv_get(struct strv *sv)
{
	static char *empty[1];
	return sv->v ? sv->v : empty;
}

int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

int64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

int parse_duration(const char *s, int64_t *out_ns)
{
	static const struct {
		const char *suffix;
		double scale;
	} units[] = {
		{"", 1e9}, {"s", 1e9}, {"ms", 1e6}, {"us", 1e3}, {"m", 60e9}, {"h", 3600e9},
	};
	char *end;

	/* Plain decimals only: strtod would also take "0x10", "1e3", "inf". */
	if (!s || !*s || strspn(s, "0123456789.") == 0)
		return -1;
	for (const char *p = s + strspn(s, "0123456789."); *p; p++)
		if (!(*p >= 'a' && *p <= 'z'))
			return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			double ns = v * units[i].scale;
			if (ns > 9e18)
				return -1;
			*out_ns = (int64_t)ns;
			return 0;
		}
	}
	return -1;
}

int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

const char *fmt_duration(int64_t ns, char *buf, size_t len)
{
	/* Below what "%.3f" rounds up to 60.000. */
	if (ns < 60 * NSEC_PER_SEC - NSEC_PER_MSEC / 2) {
		snprintf(buf, len, "%.3fs", (double)ns / 1e9);
	} else {
		int64_t s = ns < 60 * NSEC_PER_SEC ? 60 : ns / NSEC_PER_SEC;
		snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
	}
	return buf;
}

int err_setv(struct isola_error *e, int errnum, const char *path, const char *fmt, va_list ap)
{
	if (!e)
		return -1;
	e->code = errnum;
	snprintf(e->path, sizeof(e->path), "%s", path ? path : "");
	int n = vsnprintf(e->message, sizeof(e->message), fmt, ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(e->message))
		snprintf(e->message + n, sizeof(e->message) - (size_t)n, ": %s", strerror(errnum));
	return -1;
}

int err_set(struct isola_error *e, int errnum, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_setv(e, errnum, path, fmt, ap);
	va_end(ap);
	return -1;
}

void err_clear(struct isola_error *e)
{
	if (e)
		memset(e, 0, sizeof(*e));
}

bool env_name_valid(const char *name, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

bool env_flag(const char *name)
{
	const char *v = getenv(name);
	return v && *v && strcmp(v, "0") != 0;
}

unsigned online_cpus(void)
{
	static unsigned cached;
	if (!cached) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		cached = n > 0 ? (unsigned)n : 1;
	}
	return cached;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int open_regular(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int saved = S_ISREG(st.st_mode) ? errno : EINVAL;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int open_beneath(int dfd, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)flags,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH,
	};
	long fd = syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
	if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
		return (int)fd;
	/* Before Linux 5.6, or a seccomp filter that does not know openat2 (EPERM: older
	 * container runtimes): the last component at least is never followed. */
	return openat(dfd, rel, flags | O_NOFOLLOW);
}

bool path_within(const char *inner, const char *outer)
{
	size_t n = strlen(outer);
	while (n > 1 && outer[n - 1] == '/')
		n--;
	if (n == 1 && outer[0] == '/')
		return inner[0] == '/';
	return strncmp(inner, outer, n) == 0 && (inner[n] == '\0' || inner[n] == '/');
}

char *path_resolve(const char *abs)
{
	/* The longest prefix that exists, resolved; then the rest, "." and ".." taken as written
	 * (nothing there exists to be a symlink). */
	size_t len = strlen(abs);
	char *head = xstrdup(abs), *real = NULL;
	size_t cut = len;
	for (;;) {
		head[cut] = '\0';
		if ((real = realpath(cut ? head : "/", NULL)))
			break;
		while (cut > 0 && head[cut - 1] != '/')
			cut--;
		if (cut == 0)
			break;
		cut--;
	}
	free(head);
	if (!real)
		real = xstrdup("/");
	size_t n = strlen(real);
	const char *p = abs + cut;
	while (*p) {
		while (*p == '/')
			p++;
		size_t c = strcspn(p, "/");
		if (c == 0 || (c == 1 && p[0] == '.')) {
			/* nothing */
		} else if (c == 2 && p[0] == '.' && p[1] == '.') {
			while (n > 1 && real[n - 1] != '/')
				n--;
			if (n > 1)
				n--;
			real[n] = '\0';
		} else {
			real = xrealloc(real, n + c + 2);
			if (n > 1)
				real[n++] = '/';
			memcpy(real + n, p, c);
			n += c;
			real[n] = '\0';
		}
		p += c;
	}
	return real;
}
