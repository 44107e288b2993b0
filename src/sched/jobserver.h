/* SPDX-License-Identifier: MIT */
/*
 * GNU make's jobserver, as a client: under `make -jN` (a recipe make knows is recursive, `+` or
 * $(MAKE)), isola takes its slots from make's pool instead of adding its own -j on top.
 *
 * The protocol (GNU make manual, "POSIX Jobserver Interaction"): MAKEFLAGS carries
 * --jobserver-auth=R,W (make 4.2 and 4.3; --jobserver-fds=R,W before 4.2), two inherited fds of
 * one pipe, or --jobserver-auth=fifo:PATH (make 4.4), a named pipe; the last such word counts,
 * and negative fds mean "disabled for this process". The pipe holds one byte per free slot
 * beyond the one every client has implicitly. A client reads a byte per extra job and writes
 * back, when that job is done, exactly the byte it read.
 *
 * isola's own fd on the pool is nonblocking and private: the fifo opened O_RDWR, or the pipe
 * reopened through /proc/self/fd/R (make's read end is shared and must stay blocking, so it is
 * never set O_NONBLOCK). The scheduler polls that fd and never blocks on it.
 *
 * Call sequence: jobserver_probe() first thing, before any fd is opened (an inherited fd number
 * that make closed would otherwise be reused by one of ours and mistaken for the pool);
 * jobserver_open() if the run uses it; jobserver_acquire()/jobserver_release_to() from the
 * event loop; jobserver_close() on every way out (it gives back whatever is still held).
 */
#ifndef ISOLA_JOBSERVER_H
#define ISOLA_JOBSERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"

enum jobserver_style {
	JS_NONE,     /* no --jobserver-auth in MAKEFLAGS */
	JS_PIPE,     /* --jobserver-auth=R,W */
	JS_FIFO,     /* --jobserver-auth=fifo:PATH */
	JS_DISABLED, /* --jobserver-auth=-2,-2: make says this process has none */
};

/* What MAKEFLAGS says (jobserver_parse). */
struct jobserver_auth {
	enum jobserver_style style;
	int rfd, wfd;       /* JS_PIPE, JS_DISABLED */
	char *path;         /* JS_FIFO: owned */
	unsigned make_jobs; /* N of the last -jN or --jobs=N, 0 if none: make's whole pool */
	char *word;         /* the --jobserver-auth=... word as written, owned */
};

struct jobserver {
	struct jobserver_auth auth;
	int fd;          /* ours: O_RDWR | O_NONBLOCK | O_CLOEXEC; -1 until opened */
	char *tokens;    /* the bytes read and not yet written back */
	size_t held, cap;
	unsigned lost;   /* tokens that could not be written back (said by jobserver_close) */
};

#define JOBSERVER_INIT {.auth = {.rfd = -1, .wfd = -1}, .fd = -1}

/*
 * Parse MAKEFLAGS (NULL: none) without a shell: words split at unescaped blanks, up to a `--`
 * word (variable assignments follow it). Fills *a (release with jobserver_auth_release).
 * Returns 0, or -1 with *e for a --jobserver-auth value that is neither R,W nor fifo:PATH.
 */
int jobserver_parse(const char *makeflags, struct jobserver_auth *a, struct isola_error *e);
void jobserver_auth_release(struct jobserver_auth *a);

/*
 * Read MAKEFLAGS and check, without opening anything, that the pool is usable: the pipe's fds
 * open, both ends of one pipe, readable and writable; marks them close-on-exec (no child of
 * isola gets them: see jobserver_child_makeflags). Returns 1 with a usable pool in *js, 0 if
 * there is none (JS_NONE, JS_DISABLED: js->auth says which), -1 with *e saying why the pool
 * named is unusable (then the run goes on as if there were none, and says so).
 */
int jobserver_probe(struct jobserver *js, const char *makeflags, struct isola_error *e);

/* Open isola's own nonblocking fd on the pool. Returns 0, or -1 with *e. */
int jobserver_open(struct jobserver *js, struct isola_error *e);

/* The fd to poll (POLLIN) while waiting for a token; -1 if not open. */
int jobserver_fd(const struct jobserver *js);

/* Take up to n more tokens, without blocking. Returns how many it took. */
unsigned jobserver_acquire(struct jobserver *js, unsigned n);

/* Write back tokens until at most keep are held. Returns 0, or -1 if one could not be written
 * back (counted in js->lost). */
int jobserver_release_to(struct jobserver *js, size_t keep);

/* Give back everything held, close our fd, free. Returns the tokens lost (0 normally). */
unsigned jobserver_close(struct jobserver *js);

/*
 * MAKEFLAGS (or MFLAGS) for isola's children, or NULL to leave it as it is (it names no pipe). Tests never get the
 * pipe's fds (their init closes every inherited fd), so with the pipe style the children are
 * told the jobserver is disabled for them, as make 4.4 tells a recipe it does not know is
 * recursive: `--jobserver-auth=-2,-2` after the last word before `--`. A make in a test then
 * runs one job at a time (make 4.3 says so in a warning) instead of reading whatever a test
 * opened at that fd number. The fifo style is left as it is: a make in a test joins the same
 * pool, its one implicit slot being the one isola holds for that test.
 */
char *jobserver_child_makeflags(const char *makeflags);

/* Set MAKEFLAGS and MFLAGS in this process's environment, which every child of isola starts
 * from, to what jobserver_child_makeflags() says of each. */
void jobserver_setenv_for_children(void);

#endif
