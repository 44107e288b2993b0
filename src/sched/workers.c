/* SPDX-License-Identifier: MIT */
#include "sched/workers.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/util.h"

#define WORKERS_MAX 16

struct workers {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct work *todo, **todo_tail; /* FIFO, taken by the threads */
	struct work *done, **done_tail; /* FIFO, taken by the loop */
	unsigned pending;               /* submitted and not collected */
	bool stopping;
	int efd;
	unsigned nthreads, max; /* started so far (on demand), and at most */
	unsigned idle;          /* threads waiting for work */
	pthread_t threads[WORKERS_MAX];
};

/* Hand the finished w back to the loop; under p->lock. */
static void hand_back(struct workers *p, struct work *w)
{
	w->next = NULL;
	bool was_empty = !p->done;
	*p->done_tail = w;
	p->done_tail = &w->next;
	/* One wake-up per batch: the loop takes the whole list at once. */
	if (was_empty) {
		uint64_t one = 1;
		(void)!write(p->efd, &one, sizeof(one));
	}
}

static void *worker_main(void *arg)
{
	struct workers *p = arg;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->todo && !p->stopping) {
			p->idle++;
			pthread_cond_wait(&p->wake, &p->lock);
			p->idle--;
		}
		struct work *w = p->todo;
		if (!w)
			break; /* stopping, and nothing left to do */
		p->todo = w->next;
		if (!p->todo)
			p->todo_tail = &p->todo;
		pthread_mutex_unlock(&p->lock);

		w->run(w);

		pthread_mutex_lock(&p->lock);
		hand_back(p, w);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct workers *workers_new(unsigned n)
{
	struct workers *p = xcalloc(1, sizeof(*p));
	p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->efd < 0) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	p->todo_tail = &p->todo;
	p->done_tail = &p->done;
	if (n < 1)
		n = 1;
	if (n > WORKERS_MAX)
		n = WORKERS_MAX;
	p->max = n;
	return p;
}

/* A thread more, under p->lock, if every one there is busy and there is room: threads are
 * started when work comes (a run whose sandboxes are all bare never starts one). */
static void grow(struct workers *p)
{
	if (p->idle > 0 || p->nthreads >= p->max)
		return;
	/* The threads take no signals: the loop takes them all through its signalfd. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&p->threads[p->nthreads], NULL, worker_main, p) == 0)
		p->nthreads++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void workers_submit(struct workers *p, struct work *w)
{
	w->next = NULL;
	pthread_mutex_lock(&p->lock);
	grow(p);
	if (p->nthreads == 0) {
		/* No thread to be had: do it here, and hand it back as a thread would. */
		pthread_mutex_unlock(&p->lock);
		w->run(w);
		pthread_mutex_lock(&p->lock);
		p->pending++;
		hand_back(p, w);
		pthread_mutex_unlock(&p->lock);
		return;
	}
	*p->todo_tail = w;
	p->todo_tail = &w->next;
	p->pending++;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
}

int workers_fd(const struct workers *p)
{
	return p->efd;
}

struct work *workers_collect(struct workers *p)
{
	uint64_t n;
	(void)!read(p->efd, &n, sizeof(n));
	pthread_mutex_lock(&p->lock);
	struct work *list = p->done;
	p->done = NULL;
	p->done_tail = &p->done;
	for (struct work *w = list; w; w = w->next)
		p->pending--;
	pthread_mutex_unlock(&p->lock);
	return list;
}

unsigned workers_pending(const struct workers *p)
{
	return p->pending;
}

void workers_free(struct workers *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	if (p->efd >= 0)
		close(p->efd);
	free(p);
}
