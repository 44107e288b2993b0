/* SPDX-License-Identifier: MIT */
/*
 * A few threads that do the scheduler's filesystem work off its event loop: making sandboxes and
 * staging into them before a test starts, removing them after it ends. On a disk filesystem
 * those are the slow part of a short test (a directory removal on ext4 costs a quarter of a
 * millisecond), and a big forced copy would otherwise hold up every start, reap and deadline.
 *
 * A job runs on some worker thread; when it is done it comes back to the loop, which waits for
 * workers_fd() to be readable and then takes the finished jobs with workers_collect(). Jobs
 * never touch the scheduler's or the reporters' state: they work on fields of their own, which
 * the loop reads only once the job is back.
 */
#ifndef ISOLA_WORKERS_H
#define ISOLA_WORKERS_H

struct work {
	void (*run)(struct work *w); /* called on a worker thread */
	struct work *next;           /* the pool's */
};

struct workers;

/* A pool of up to n threads (at least 1), started as work comes: one more whenever a job is
 * submitted while every thread is busy (a run of bare sandboxes starts none). Returns NULL if
 * its eventfd cannot be made (errno set). */
struct workers *workers_new(unsigned n);
/* Queue w; its run() is called on a worker thread, then it comes back through collect. If no
 * thread can be started at all, run() is called here, before this returns. */
void workers_submit(struct workers *p, struct work *w);
/* Readable (POLLIN) when finished jobs wait to be collected. */
int workers_fd(const struct workers *p);
/* The finished jobs, oldest first, in a list linked by ->next; NULL if none. Never blocks. */
struct work *workers_collect(struct workers *p);
/* Jobs submitted and not collected yet. */
unsigned workers_pending(const struct workers *p);
/* Wait for the queued jobs to finish, stop the threads, free p. Uncollected jobs are dropped. */
void workers_free(struct workers *p);

#endif
