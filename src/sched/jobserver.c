/* SPDX-License-Identifier: MIT */
#include "sched/jobserver.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One word of MAKEFLAGS: [start, end) in the string, and its text with escapes undone. */
struct mf_word {
	size_t start, end;
	char *text;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* The next word at or after *pos; false at the end. make escapes a blank (and a backslash) in
 * a word with a backslash. */
static bool next_word(const char *s, size_t *pos, struct mf_word *w)
{
	size_t i = *pos;
	while (s[i] && is_blank(s[i]))
		i++;
	if (!s[i])
		return false;
	w->start = i;
	size_t len = 0;
	w->text = xmalloc(strlen(s + i) + 1);
	while (s[i] && !is_blank(s[i])) {
		if (s[i] == '\\' && s[i + 1])
			i++;
		w->text[len++] = s[i++];
	}
	w->text[len] = '\0';
	w->end = i;
	*pos = i;
	return true;
}

static bool parse_fd(const char *s, const char *end, int *out)
{
	char *stop;
	errno = 0;
	long v = strtol(s, &stop, 10);
	if (stop == s || stop != end || errno || v < INT_MIN || v > INT_MAX)
		return false;
	*out = (int)v;
	return true;
}

static int parse_auth(const char *value, struct jobserver_auth *a, struct isola_error *e)
{
	if (strncmp(value, "fifo:", 5) == 0) {
		if (!value[5])
			return err_set(e, 0, NULL, "MAKEFLAGS: --jobserver-auth=fifo: names no file");
		free(a->path);
		a->path = xstrdup(value + 5);
		a->style = JS_FIFO;
		return 0;
	}
	const char *comma = strchr(value, ',');
	int r, w;
	if (!comma || !parse_fd(value, comma, &r) || !parse_fd(comma + 1, comma + strlen(comma), &w))
		return err_set(e, 0, NULL,
		               "MAKEFLAGS: cannot read --jobserver-auth=%s (expected R,W or "
		               "fifo:PATH, as GNU make writes it)",
		               value);
	free(a->path);
	a->path = NULL;
	a->rfd = r;
	a->wfd = w;
	a->style = r < 0 || w < 0 ? JS_DISABLED : JS_PIPE;
	return 0;
}

int jobserver_parse(const char *makeflags, struct jobserver_auth *a, struct isola_error *e)
{
	*a = (struct jobserver_auth){.style = JS_NONE, .rfd = -1, .wfd = -1};
	if (!makeflags)
		return 0;
	size_t pos = 0;
	struct mf_word w;
	int ret = 0;
	while (ret == 0 && next_word(makeflags, &pos, &w)) {
		const char *t = w.text, *v = NULL;
		if (strcmp(t, "--") == 0) {
			free(w.text);
			break; /* variable assignments from here on */
		}
		if (strncmp(t, "--jobserver-auth=", 17) == 0)
			v = t + 17;
		else if (strncmp(t, "--jobserver-fds=", 16) == 0)
			v = t + 16;
		if (v) {
			/* The last one counts: make 4.4 appends -2,-2 for a recipe it does not know
			 * is recursive. */
			ret = parse_auth(v, a, e);
			free(a->word);
			a->word = xstrdup(t);
		} else if (strncmp(t, "-j", 2) == 0 || strncmp(t, "--jobs=", 7) == 0) {
			unsigned n;
			const char *num = t[1] == 'j' ? t + 2 : t + 7;
			if (*num && parse_uint(num, 1, UINT_MAX, &n) == 0)
				a->make_jobs = n;
			else if (!*num)
				a->make_jobs = 0; /* -j alone: no limit */
		}
		free(w.text);
	}
	if (ret < 0)
		jobserver_auth_release(a);
	return ret;
}

void jobserver_auth_release(struct jobserver_auth *a)
{
	free(a->path);
	free(a->word);
	*a = (struct jobserver_auth){.style = JS_NONE, .rfd = -1, .wfd = -1};
}

/* Is fd open, and may it be read (want O_RDONLY) or written (O_WRONLY)? */
static bool fd_open_for(int fd, int want)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return false;
	int acc = fl & O_ACCMODE;
	return acc == O_RDWR || acc == want;
}

int jobserver_probe(struct jobserver *js, const char *makeflags, struct isola_error *e)
{
	*js = (struct jobserver)JOBSERVER_INIT;
	if (jobserver_parse(makeflags, &js->auth, e) < 0)
		return -1;
	const struct jobserver_auth *a = &js->auth;
	if (a->style != JS_PIPE)
		return a->style == JS_FIFO ? 1 : 0;
	/* make closes them for a recipe it does not know is recursive; the numbers may even be
	 * reused by something else the shell left open. */
	if (fcntl(a->rfd, F_GETFD) < 0 || fcntl(a->wfd, F_GETFD) < 0)
		return err_set(e, 0, NULL,
		               "make's jobserver (%s) is not open here: make passes it only to a "
		               "recipe it knows is recursive (prefix the line with '+')",
		               a->word);
	struct stat r, w;
	if (fstat(a->rfd, &r) < 0 || fstat(a->wfd, &w) < 0 || !S_ISFIFO(r.st_mode) ||
	    r.st_dev != w.st_dev || r.st_ino != w.st_ino || !fd_open_for(a->rfd, O_RDONLY) ||
	    !fd_open_for(a->wfd, O_WRONLY))
		return err_set(e, 0, NULL,
		               "%s in MAKEFLAGS does not name the two ends of one pipe here (an fd "
		               "left open by something else?)",
		               a->word);
	/* Ours to use, not our children's (jobserver_child_makeflags). Per fd, not per open
	 * file: make's own flags are untouched. */
	(void)fcntl(a->rfd, F_SETFD, FD_CLOEXEC);
	(void)fcntl(a->wfd, F_SETFD, FD_CLOEXEC);
	return 1;
}

int jobserver_open(struct jobserver *js, struct isola_error *e)
{
	const struct jobserver_auth *a = &js->auth;
	char proc[64];
	const char *path = a->path;
	if (a->style == JS_PIPE) {
		/* A pipe opened through /proc is a new open file of the same pipe: ours can be
		 * nonblocking while make's read end stays blocking, as make requires. */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", a->rfd);
		path = proc;
	} else if (a->style != JS_FIFO) {
		return err_set(e, 0, NULL, "no jobserver to open");
	}
	int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, errno, path, "cannot open make's jobserver '%s': %s", path,
		               strerror(errno));
	struct stat st, r;
	bool ok = fstat(fd, &st) == 0;
	if (a->style == JS_PIPE)
		ok = ok && fstat(a->rfd, &r) == 0 && st.st_ino == r.st_ino && st.st_dev == r.st_dev;
	else /* a fifo, or a device that acts as one (jobservers on CUSE do) */
		ok = ok && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode));
	if (!ok) {
		close(fd);
		return err_set(e, 0, path, "make's jobserver '%s' is not a fifo", path);
	}
	js->fd = fd;
	return 0;
}

int jobserver_fd(const struct jobserver *js)
{
	return js->fd;
}

unsigned jobserver_acquire(struct jobserver *js, unsigned n)
{
	if (js->fd < 0 || n == 0)
		return 0;
	if (js->held + n > js->cap) {
		js->cap = (js->held + n) * 2;
		js->tokens = xrealloc(js->tokens, js->cap);
	}
	for (;;) {
		ssize_t r = read(js->fd, js->tokens + js->held, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0; /* EAGAIN: another client was quicker */
		js->held += (size_t)r;
		return (unsigned)r;
	}
}

int jobserver_release_to(struct jobserver *js, size_t keep)
{
	int ret = 0;
	while (js->held > keep) {
		ssize_t w = write(js->fd, js->tokens + js->held - 1, 1);
		if (w == 1) {
			js->held--;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			/* A full pipe (never with make's few tokens): wait for room, a while. */
			struct pollfd p = {.fd = js->fd, .events = POLLOUT};
			if (poll(&p, 1, 5000) > 0)
				continue;
		}
		js->lost++;
		js->held--;
		ret = -1;
	}
	return ret;
}

unsigned jobserver_close(struct jobserver *js)
{
	if (js->fd >= 0) {
		(void)jobserver_release_to(js, 0);
		close(js->fd);
	}
	unsigned lost = js->lost;
	free(js->tokens);
	jobserver_auth_release(&js->auth);
	*js = (struct jobserver)JOBSERVER_INIT;
	return lost;
}

char *jobserver_child_makeflags(const char *makeflags)
{
	struct jobserver_auth a;
	struct isola_error e;
	if (jobserver_parse(makeflags, &a, &e) < 0)
		return NULL;
	enum jobserver_style style = a.style;
	jobserver_auth_release(&a);
	if (style != JS_PIPE)
		return NULL;
	/* After the last word before `--`, or at the end. */
	size_t pos = 0, at = strlen(makeflags);
	struct mf_word w;
	size_t last_end = 0;
	while (next_word(makeflags, &pos, &w)) {
		bool dashes = strcmp(w.text, "--") == 0;
		free(w.text);
		if (dashes) {
			at = last_end;
			break;
		}
		last_end = w.end;
	}
	return xasprintf("%.*s --jobserver-auth=-2,-2%s", (int)at, makeflags, makeflags + at);
}

void jobserver_setenv_for_children(void)
{
	static const char *const vars[] = {"MAKEFLAGS", "MFLAGS"};
	for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
		char *v = jobserver_child_makeflags(getenv(vars[i]));
		if (v)
			(void)setenv(vars[i], v, 1);
		free(v);
	}
}
