/* SPDX-License-Identifier: MIT */
#include "testlist/timings.h"

#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct timing {
	char *name;
	double secs;
	bool recorded; /* timings_record(): this run measured it */
};

static int cmp_timing(const void *a, const void *b)
{
	return strcmp(((const struct timing *)a)->name, ((const struct timing *)b)->name);
}

int timings_load(struct timings *t, const char *path, struct isola_error *e)
{
	*t = (struct timings){0};
	FILE *f = fopen(path, "re");
	if (!f)
		return err_set(e, errno, path, "cannot read the timings file '%s'", path);
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int ret = 0;
	while (ret == 0 && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		char *tab = strchr(line, '\t'), *end = NULL;
		double secs = -1;
		if (tab) {
			*tab = '\0';
			errno = 0;
			secs = strtod(line, &end);
		}
		if (!tab || end == line || *end || errno || !(secs >= 0) || secs > 1e9 || !tab[1] ||
		    memchr(line, '\0', (size_t)len) != tab)
			ret =
			    err_set(e, 0, path,
			            "%s:%zu: not a line of a timings file (expected SECONDS, a tab "
			            "and a test's name; isola timings writes them)",
			            path, lineno);
		else {
			struct timing *tm = xmalloc(sizeof(*tm));
			*tm = (struct timing){.name = xstrdup(tab + 1), .secs = secs};
			struct timing **old = tsearch(tm, &t->root, cmp_timing);
			if (!old)
				abort();
			if (*old != tm) { /* a name twice: the last line wins */
				(*old)->secs = secs;
				free(tm->name);
				free(tm);
			} else {
				t->n++;
			}
		}
	}
	if (ret == 0 && ferror(f))
		ret = err_set(e, errno, path, "cannot read the timings file '%s'", path);
	free(line);
	fclose(f);
	if (ret < 0)
		timings_release(t);
	return ret;
}

double timings_get(const struct timings *t, const char *name)
{
	struct timing key = {.name = (char *)name};
	struct timing **found = tfind(&key, &t->root, cmp_timing);
	return found ? (*found)->secs : -1;
}

static void free_timing(void *p)
{
	struct timing *tm = p;
	free(tm->name);
	free(tm);
}

void timings_release(struct timings *t)
{
	tdestroy(t->root, free_timing);
	*t = (struct timings){0};
}

/* Upsert name's seconds; returns the entry. */
static struct timing *put(struct timings *t, const char *name, double secs)
{
	struct timing key = {.name = (char *)name};
	struct timing **found = tfind(&key, &t->root, cmp_timing);
	if (found) {
		(*found)->secs = secs;
		return *found;
	}
	struct timing *tm = xmalloc(sizeof(*tm));
	*tm = (struct timing){.name = xstrdup(name), .secs = secs};
	if (!tsearch(tm, &t->root, cmp_timing))
		abort();
	t->n++;
	return tm;
}

struct collect {
	struct timing **v;
	size_t n;
};

static void collect_one(const void *node, VISIT which, void *ctx)
{
	struct collect *c = ctx;
	if (which == postorder || which == leaf)
		c->v[c->n++] = *(struct timing *const *)node;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct timing *const *)a)->name, (*(struct timing *const *)b)->name);
}

/* Write t to path through a temporary file beside it, renamed over it. */
static int write_atomically(const char *path, struct timings *t, struct isola_error *e)
{
	struct collect all = {.v = xmalloc((t->n ? t->n : 1) * sizeof(*all.v))};
	twalk_r(t->root, collect_one, &all);
	/* Over the bound: this run's tests first, then the others while there is room. */
	struct collect c = {.v = xmalloc((t->n ? t->n : 1) * sizeof(*c.v))};
	for (int recorded = 1; recorded >= 0; recorded--)
		for (size_t i = 0; i < all.n && c.n < TIMINGS_MAX; i++)
			if (all.v[i]->recorded == recorded)
				c.v[c.n++] = all.v[i];
	free(all.v);
	size_t keep = c.n;
	qsort(c.v, keep, sizeof(*c.v), by_name);

	char *tmp = xasprintf("%s.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	int ret = 0;
	if (fd < 0) {
		ret = err_set(e, errno, path, "cannot write the timings file '%s'", path);
		goto out;
	}
	(void)fchmod(fd, 0644);
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		ret = err_set(e, errno, path, "cannot write the timings file '%s'", path);
	} else {
		fprintf(
		    f,
		    "# isola timings: seconds<TAB>test, averaged over runs (isola run --help)\n");
		for (size_t i = 0; i < keep; i++)
			fprintf(f, "%.6f\t%s\n", c.v[i]->secs, c.v[i]->name);
		if (fflush(f) != 0 || ferror(f))
			ret = err_set(e, errno, path, "cannot write the timings file '%s'", path);
		if (fclose(f) != 0 && !ret)
			ret = err_set(e, errno, path, "cannot write the timings file '%s'", path);
	}
	if (!ret && rename(tmp, path) < 0)
		ret = err_set(e, errno, path, "cannot replace the timings file '%s'", path);
	if (ret)
		(void)unlink(tmp);
out:
	free(tmp);
	free(c.v);
	return ret;
}

int timings_record(const char *path, char *const *names, const double *secs, size_t n,
                   bool make_dir, struct isola_error *e)
{
	if (make_dir) {
		char *dir = xstrdup(path);
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
				err_set(e, errno, dir, "cannot create '%s' for the timings", dir);
				free(dir);
				return -1;
			}
		}
		free(dir);
	}
	char *lockpath = xasprintf("%s.lock", path);
	int lock = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	free(lockpath);
	if (lock < 0)
		return err_set(e, errno, path, "cannot lock the timings file '%s'", path);
	while (flock(lock, LOCK_EX) < 0 && errno == EINTR)
		;

	struct timings t = {0};
	struct isola_error ignored = {0};
	if (access(path, F_OK) == 0 && timings_load(&t, path, &ignored) < 0)
		t = (struct timings){0}; /* not ours to keep: start afresh */
	for (size_t i = 0; i < n; i++) {
		if (secs[i] < 0 || strchr(names[i], '\n'))
			continue;
		double old = timings_get(&t, names[i]);
		put(&t, names[i], old >= 0 ? (old + secs[i]) / 2 : secs[i])->recorded = true;
	}
	int ret = write_atomically(path, &t, e);
	timings_release(&t);
	close(lock);
	return ret;
}
