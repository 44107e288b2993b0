/* SPDX-License-Identifier: MIT */
/* Unit tests for src/sched/workers.c: every job runs once, off the calling thread, and comes back
 * through the eventfd in a batch; free waits for what was queued. */
#include "unit.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include "sched/workers.h"
#include "util/util.h"

struct job {
	struct work w;
	int id;
	int runs;
	pthread_t ran_on;
	bool signals_blocked;
	int delay_ms;
};

static void job_run(struct work *w)
{
	struct job *j = (struct job *)w;
	if (j->delay_ms)
		usleep((useconds_t)j->delay_ms * 1000);
	j->runs++;
	j->ran_on = pthread_self();
	sigset_t cur;
	pthread_sigmask(SIG_SETMASK, NULL, &cur);
	j->signals_blocked = sigismember(&cur, SIGCHLD) && sigismember(&cur, SIGINT);
}

static bool readable(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

static void test_jobs_run_once_off_thread(void **state)
{
	(void)state;
	enum { N = 64 };
	struct job jobs[N] = {0};
	struct workers *p = workers_new(3);
	assert_non_null(p);
	/* Nothing done yet: the fd is quiet and collect gives nothing. */
	assert_false(readable(workers_fd(p), 0));
	assert_null(workers_collect(p));

	for (int i = 0; i < N; i++) {
		jobs[i].w.run = job_run;
		jobs[i].id = i;
		workers_submit(p, &jobs[i].w);
	}
	assert_int_equal(workers_pending(p), N);

	int seen[N] = {0}, got = 0;
	while (got < N) {
		assert_true(readable(workers_fd(p), 10000));
		for (struct work *w = workers_collect(p); w; w = w->next) {
			struct job *j = (struct job *)w;
			seen[j->id]++;
			got++;
		}
	}
	assert_int_equal(workers_pending(p), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(seen[i], 1);
		assert_int_equal(jobs[i].runs, 1);
		assert_false(pthread_equal(jobs[i].ran_on, pthread_self()));
		/* The loop takes signals through its signalfd: a worker must never take one. */
		assert_true(jobs[i].signals_blocked);
	}
	/* Everything collected: the fd is quiet again. */
	assert_false(readable(workers_fd(p), 0));
	workers_free(p);
}

static void test_jobs_come_back_in_order_of_completion(void **state)
{
	(void)state;
	/* One thread: jobs complete in the order they were submitted, and come back so. */
	struct job jobs[5] = {0};
	struct workers *p = workers_new(1);
	assert_non_null(p);
	for (int i = 0; i < 5; i++) {
		jobs[i].w.run = job_run;
		jobs[i].id = i;
		jobs[i].delay_ms = 5;
		workers_submit(p, &jobs[i].w);
	}
	int next = 0;
	while (next < 5) {
		assert_true(readable(workers_fd(p), 10000));
		for (struct work *w = workers_collect(p); w; w = w->next)
			assert_int_equal(((struct job *)w)->id, next++);
	}
	workers_free(p);
}

static void test_free_waits_for_queued_jobs(void **state)
{
	(void)state;
	struct job jobs[8] = {0};
	struct workers *p = workers_new(2);
	assert_non_null(p);
	for (int i = 0; i < 8; i++) {
		jobs[i].w.run = job_run;
		jobs[i].delay_ms = 10;
		workers_submit(p, &jobs[i].w);
	}
	workers_free(p);
	for (int i = 0; i < 8; i++)
		assert_int_equal(jobs[i].runs, 1);
}

static void test_thread_count_is_clamped(void **state)
{
	(void)state;
	/* 0 still makes a pool that works; a silly number does not make thousands of threads. */
	struct workers *p = workers_new(0);
	assert_non_null(p);
	struct job j = {.w.run = job_run};
	workers_submit(p, &j.w);
	assert_true(readable(workers_fd(p), 10000));
	assert_ptr_equal(workers_collect(p), &j.w);
	workers_free(p);

	p = workers_new(100000);
	assert_non_null(p);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)getpid());
	DIR *d = opendir(path);
	assert_non_null(d);
	int threads = 0;
	for (struct dirent *de; (de = readdir(d));)
		threads += de->d_name[0] != '.';
	closedir(d);
	assert_true(threads <= 1 + 16);
	workers_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_jobs_run_once_off_thread),
	    cmocka_unit_test(test_jobs_come_back_in_order_of_completion),
	    cmocka_unit_test(test_free_waits_for_queued_jobs),
	    cmocka_unit_test(test_thread_count_is_clamped),
	};
	/* As isola does: the loop's signals are blocked before any thread starts. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
