/* SPDX-License-Identifier: MIT */
/*
 * Owning a test's processes: isola's init.
 *
 * A test never runs as a child of isola. It runs as the child of an init of isola's, a small
 * process cloned from isola that lives in a pid namespace of its own (where it is pid 1) and
 * that has a mount namespace with a fresh /proc, so that the test sees its own pids. Everything
 * a test starts, double-forked, setsid()ed, with its environment cleared or rewritten, is in
 * that namespace: the test's processes are the namespace's, exactly. When the test's main
 * process has ended, the init counts what is left, kills it (kill(-1) in the namespace), reaps
 * it, and only then says that the test ended: nothing of the test runs after that, so its
 * sandbox can be removed without racing a live process.
 *
 * Where no pid namespace can be had (an ordinary user with user namespaces disabled; or no
 * fresh /proc can be mounted), the same init runs without one as a child subreaper: whatever a
 * test orphans is reparented to it, so its descendants are still exactly the test's processes.
 * It then kills them layer by layer, the init's own children first (their pids cannot be
 * reused before the init reaps them). What this fallback cannot prevent: a test that kills its
 * init (same uid, SIGKILL) sets its processes loose; isola then kills them at the end of the
 * run and reports them at run level, never charging them to a test.
 *
 * One init serves one slot for many tests in a row (a fork costs far more than a test on small
 * machines; see bench/): it starts one test at a time and empties its namespace between them,
 * so at any time the namespace holds one test's processes and nothing else. An init whose
 * mount namespace a test changed (a root test that mounted something) is retired after it.
 *
 * The init is cloned from isola without CLONE_VM, possibly while other threads hold locks: it
 * makes only async-signal-safe calls and never allocates. Requests travel in a shared mapping
 * made before the clone (same address in both), with the fds over a socket; the init answers
 * on the socket and reports each test's end on an events fd shared by the inits of a run.
 * When isola dies, its end of the socket closes, and the init kills everything and exits.
 */
#ifndef ISOLA_CONTAINER_H
#define ISOLA_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "spawn/spawn.h"
#include "util/util.h"

enum own_kind {
	OWN_PIDNS,     /* a pid namespace (and a mount namespace with its own /proc) */
	OWN_SUBREAPER, /* no namespace: the init is a child subreaper */
};

/* "pid namespace", "subreaper" */
const char *own_kind_name(enum own_kind k);

struct container {
	pid_t pid; /* the init, a child of the caller; -1: none */
	int pidfd; /* a pidfd of the init (for a keeper), -1 if the kernel has none */
	int sock;  /* requests and replies */
	enum own_kind kind;
	unsigned slot; /* echoed in its end messages */
	void *region;  /* the shared mapping requests are packed into */
	bool retire;   /* close it once the running test has ended */
};
#define CONTAINER_INIT                                                                             \
	{                                                                                          \
		.pid = -1, .pidfd = -1, .sock = -1                                                 \
	}

/* What the init says when a test has ended (on the events fd). */
struct container_end {
	uint32_t slot;
	uint32_t gen;            /* the gen of container_spawn() */
	int32_t status;          /* the main process's wait status */
	uint32_t leaked;         /* processes still alive when it ended, killed by the init */
	int64_t cpu_us;          /* user+system time of every process of the test */
	int64_t maxrss_kb;       /* the peak resident size of its largest process */
	uint32_t mounts_changed; /* the init's mount namespace changed: retire it */
	uint32_t pad;
};

/*
 * Which kind this process can have, best first, and why not a better one (why: "" when the
 * best). Decided once per process and cached: by the first container_open(), whose init is the
 * try, or else by a throwaway init. ISOLA_TEST_NO_PIDNS (tests) forces the subreaper, and so do
 * ISOLA_TEST_NO_NAMESPACES and, for an ordinary user, ISOLA_TEST_NO_USERNS.
 */
enum own_kind container_best(const char **why);

/*
 * CONTAINER_DIE_WITH_CALLER: a pid namespace's init is SIGKILLed by the kernel when the calling
 * thread ends (PR_SET_PDEATHSIG), which ends everything in the namespace: then no keeper is
 * needed (keeper.h). Only for a caller whose thread lives as long as the init should, like the
 * main thread of isola exec. Without a pid namespace the flag does nothing: killing a subreaper
 * would set its test's processes loose.
 */
enum { CONTAINER_DIE_WITH_CALLER = 1 };

/*
 * Start an init of the best kind (container_best()) for slot. events_fd: where it reports ends
 * (a pipe's write end, or one end of a socketpair; the caller keeps its own copy). flags:
 * CONTAINER_DIE_WITH_CALLER or 0. Returns 0 or -1 with *e (nothing left running).
 */
int container_open(struct container *c, unsigned slot, int events_fd, unsigned flags,
                   struct isola_error *e);

/*
 * Start r in c (the init refuses if a test of it is still running): its fds (stdin_fd, stdout_fd,
 * stderr_fd; -1 as documented in spawn.h) are passed to the init. r->new_pgroup is honoured inside
 * the namespace. host_pid: if not NULL, the test's pid as this process sees it (a pidfd lookup:
 * only where needed). Returns 0, or -1 with *e (the test never ran; c stays usable unless c->pid is
 * -1 after).
 */
int container_spawn(struct container *c, const struct spawn_req *r, uint32_t gen, pid_t *host_pid,
                    struct isola_error *e);

/* Close c's pidfd (once it has been handed on: it is not needed for anything else). */
void container_drop_pidfd(struct container *c);

/* Send sig to the running test's process group (through the init, so never to a reused pid). */
void container_signal(struct container *c, int sig);

/* Read one end message from events_fd (non-blocking). Returns 1, 0 if none is there. */
int container_read_end(int events_fd, struct container_end *m);

/*
 * Let the init go: it kills whatever is left in it and exits. wait: reap it here (else the
 * caller's SIGCHLD handling does, and sees c's pid in container_forget()).
 */
void container_close(struct container *c, bool wait);

/* The init died (reaped by the caller): release what is left of c. */
void container_forget(struct container *c);

#endif
