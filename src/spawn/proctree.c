/* SPDX-License-Identifier: MIT */
#include "spawn/proctree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

struct pinfo {
	pid_t pid, ppid;
};

static int read_file_at(int dfd, const char *name, char *buf, size_t cap)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = 0;
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	return (int)n;
}

/* Parse /proc/PID/stat: "pid (comm) S ppid ...". comm may hold ')' and spaces. */
static bool read_stat(int procfd, const char *name, struct pinfo *pi)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "%s/stat", name);
	int n = read_file_at(procfd, path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	char state;
	int ppid;
	if (!p || sscanf(p + 1, " %c %d", &state, &ppid) != 2)
		return false;
	if (state == 'Z' || state == 'X')
		return false;
	pi->ppid = ppid;
	return true;
}

static bool mark_matches(int procfd, pid_t pid, const struct proc_match *m)
{
	static __thread char *buf; /* libisola may hunt from several threads at once */
	const size_t cap = 256 * 1024;
	if (!buf)
		buf = xmalloc(cap + 1);
	char path[64];
	snprintf(path, sizeof(path), "%d/environ", (int)pid);
	int n = read_file_at(procfd, path, buf, cap);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	size_t mlen = strlen(m->mark);
	for (char *p = buf; p < buf + n; p += strlen(p) + 1) {
		if (strncmp(p, MARK_VAR "=", sizeof(MARK_VAR)) != 0)
			continue;
		for (char *tok = p + sizeof(MARK_VAR); *tok;) {
			size_t tlen = strcspn(tok, ":");
			if (tlen == mlen ? strncmp(tok, m->mark, mlen) == 0
					 : (m->prefix && tlen > mlen && strncmp(tok, m->mark, mlen) == 0))
				return true;
			tok += tlen;
			if (*tok == ':')
				tok++;
		}
	}
	return false;
}

static int cmp_pid(const void *a, const void *b)
{
	const struct pinfo *x = a, *y = b;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static const struct pinfo *lookup(const struct pinfo *v, size_t n, pid_t pid)
{
	struct pinfo key = {.pid = pid};
	return bsearch(&key, v, n, sizeof(*v), cmp_pid);
}

static bool descends_from(const struct pinfo *v, size_t n, pid_t pid, pid_t ancestor)
{
	for (unsigned depth = 0; depth < 4096; depth++) {
		const struct pinfo *pi = lookup(v, n, pid);
		if (!pi || pi->ppid <= 1)
			return false;
		if (pi->ppid == ancestor)
			return true;
		pid = pi->ppid;
	}
	return false;
}

size_t proctree_find(const struct proc_match *m, pid_t *out, size_t max)
{
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return 0;
	int lfd = fcntl(procfd, F_DUPFD_CLOEXEC, 3);
	DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (!d) {
		if (lfd >= 0)
			close(lfd);
		close(procfd);
		return 0;
	}
	size_t n = 0, cap = 256;
	struct pinfo *v = xmalloc(cap * sizeof(*v));
	pid_t self = getpid();
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		struct pinfo pi = {.pid = (pid_t)atoi(de->d_name)};
		if (pi.pid == self || !read_stat(procfd, de->d_name, &pi))
			continue;
		if (n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof(*v));
		v[n++] = pi;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_pid);

	size_t found = 0;
	for (size_t i = 0; i < n; i++) {
		bool excluded = false;
		for (size_t k = 0; k < m->nexclude && !excluded; k++)
			excluded = m->exclude[k] == v[i].pid;
		/* Its ancestors, when their subtrees are excluded (a fixture's init and its server). */
		for (pid_t up = v[i].pid; m->exclude_tree && !excluded && up > 1;) {
			const struct pinfo *pi = lookup(v, n, up);
			up = pi ? pi->ppid : 0;
			for (size_t k = 0; k < m->nexclude && !excluded; k++)
				excluded = m->exclude[k] == up;
		}
		if (excluded)
			continue;
		if (m->ancestor && !descends_from(v, n, v[i].pid, m->ancestor))
			continue;
		if (m->all || (m->mark && mark_matches(procfd, v[i].pid, m))) {
			if (found < max)
				out[found] = v[i].pid;
			found++;
		}
	}
	free(v);
	close(procfd);
	return found;
}

/* "sleep 300": a process's command line, spaces for NULs, cut short; "?" if unreadable. */
static char *cmdline_of(pid_t pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	int n = read_file_at(AT_FDCWD, path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return xstrdup("?");
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (int i = 0; i < n; i++)
		if (buf[i] == '\0' || buf[i] == '\n')
			buf[i] = ' ';
	buf[n] = '\0';
	return xstrdup(buf);
}

unsigned proctree_kill_noting(const struct proc_match *m, unsigned budget_ms, struct strv *cmds,
			      size_t max_cmds)
{
	enum { MAXP = 4096 };
	pid_t *found = xmalloc(MAXP * sizeof(*found));
	pid_t *seen = NULL;
	size_t nseen = 0;
	int64_t deadline = now_ns() + (int64_t)budget_ms * NSEC_PER_MSEC;

	for (;;) {
		size_t n = proctree_find(m, found, MAXP);
		if (n > MAXP)
			n = MAXP;
		if (n == 0 || now_ns() > deadline)
			break;
		for (size_t i = 0; i < n; i++) {
			bool known = false;
			for (size_t k = 0; k < nseen && !known; k++)
				known = seen[k] == found[i];
			if (!known && cmds && cmds->n < max_cmds)
				strv_push_take(cmds, cmdline_of(found[i]));
			(void)kill(found[i], SIGKILL);
			if (!known) {
				seen = xrealloc(seen, (nseen + 1) * sizeof(*seen));
				seen[nseen++] = found[i];
			}
		}
		/* SIGKILL is not synchronous: give the kernel a moment to turn them into zombies. */
		struct timespec ts = {0, 200 * 1000};
		nanosleep(&ts, NULL);
	}
	free(found);
	free(seen);
	return (unsigned)nseen;
}

unsigned proctree_kill(const struct proc_match *m, unsigned budget_ms)
{
	return proctree_kill_noting(m, budget_ms, NULL, 0);
}
