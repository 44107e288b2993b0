/* SPDX-License-Identifier: MIT */
/*
 * Settings: what a test runs with. The same keys come from the config file's [suite] section,
 * its [test NAME] sections and the command line (as --KEY VALUE); one function applies them all,
 * so a key means the same everywhere. Lists (copy, ro, mkdir, env, unset) add up; single values are
 * overridden by the later, more specific source: suite < test section < command line.
 */
#ifndef ISOLA_SETTINGS_H
#define ISOLA_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "stage/stage.h"
#include "util/util.h"

enum leak_mode { LEAK_WARN, LEAK_FAIL };

/* isolate = WHAT,...: what the test gets of its own beyond its sandbox (spawn/). */
enum isolate_kind {
	ISO_TMP = 1 << 0,  /* /tmp and /var/tmp: its sandbox's, bind-mounted over them */
	ISO_SHM = 1 << 1,  /* /dev/shm likewise */
	ISO_NET = 1 << 2,  /* a network namespace with only loopback, up */
	ISO_TREE = 1 << 3, /* each tree (default: where isola started) as a private overlay */
	ISO_ALL = 1 << 4,  /* everything this machine allows (what it does not is said, not an error) */
};
enum keep_mode { KEEP_FAILED, KEEP_ALL, KEEP_NONE };
/* How a test tells its results (protocol/protocol.h): its exit status alone, TAP on its
 * standard output, GoogleTest's XML (--gtest_output), JUnit XML at $XML_OUTPUT_FILE. */
enum protocol { PROTO_EXITCODE, PROTO_TAP, PROTO_GTEST, PROTO_JUNIT };

#define DEFAULT_TIMEOUT_NS (300 * NSEC_PER_SEC)
#define DEFAULT_GRACE_NS   (5 * NSEC_PER_SEC)

struct settings {
	struct resources res;
	struct strv env_set;   /* NAME=VALUE, expanded per test */
	struct strv env_unset; /* NAME */
	int64_t timeout_ns;    /* -1: not given here; 0: no timeout */
	int64_t grace_ns;      /* -1: not given here */
	char *cwd;             /* NULL: not given here */
	int keep_home;         /* -1: not given here */
	int leak;              /* -1: not given here, else enum leak_mode */
	int stage;             /* -1: not given here, else enum stage_strategy */
	struct strv locks;     /* lock = NAME: tests holding the same lock never overlap */
	int slots;             /* -1: not given here; else how many jobs the test counts as */
	int serial;            /* -1: not given here; 1: it runs alone */
	struct strv requires;  /* requires = NAME: the [setup NAME] fixtures it needs */
	int skip_exit;         /* -1: not given here; the exit status that means SKIP (77) */
	int error_exit;        /* -1: not given here; the exit status that means ERROR (99) */
	int will_fail;         /* -1: not given here; 1: a failing exit passes, exit 0 fails */
	int isolate;           /* -1: not given here; else enum isolate_kind bits (0: none) */
	struct strv trees;     /* tree = DIR: what isolate = tree overlays (absolute) */
	struct strv shares;    /* share = PATH: inside a tree, stays shared (absolute) */
	int fence;             /* -1: not given here; 1: a Landlock write fence */
	struct strv allow_write; /* allow-write = PATH: writable through the fence (absolute) */
	double timeout_mult;   /* -1: not given here; the timeout is multiplied by it (meson's
	                        * --timeout-multiplier: slow machines, valgrind) */
	struct strv labels;    /* label = NAME: what -L/--with-label and --without-label select */
	struct strv after;     /* after = GLOB: the tests it starts after (all their attempts) */
	int protocol;          /* -1: not given here, else enum protocol */
};
#define SETTINGS_INIT                                                                              \
	{.timeout_ns = -1, .grace_ns = -1, .keep_home = -1, .leak = -1, .stage = -1, .slots = -1,  \
	 .serial = -1, .skip_exit = -1, .error_exit = -1, .will_fail = -1,     \
	 .timeout_mult = -1, .isolate = -1, .fence = -1, .protocol = -1}

/* The names isola defines for every test, usable as ${NAME} in env values. */
extern const char *const contract_names[];

/*
 * Apply KEY=VALUE to s. base_dir is what relative SRC paths are relative to.
 * Returns 1 if applied, 0 if the key is not a per-test setting, -1 on a bad value (*e says why,
 * naming the key and value).
 */
int settings_apply(struct settings *s, const char *key, const char *value, const char *base_dir,
		   struct isola_error *e);
/* dst += over: lists appended, single values replaced where over gives them. */
void settings_merge(struct settings *dst, const struct settings *over);
/* Resolve what was not given to the built-in defaults. */
void settings_finalise(struct settings *s);
void settings_release(struct settings *s);

/* true/yes/1 or false/no/0. Returns 0, or -1 if v is neither. */
int parse_bool(const char *v, bool *out);
/* A lock's or a fixture's name: letters, digits, '.', '_', '-'; 1 to 64 of them. */
bool name_ok(const char *v);

/* "tmp,net": enum isolate_kind bits ("none": 0, "all"). Returns 0, or -1 if a word is none of
 * tmp, shm, net, tree, all, none. */
int parse_isolate(const char *v, int *out);
/* "tmp,net" for bits (into buf). */
const char *isolate_name(int bits, char *buf, size_t len);
/* "tmp", "shm", "net", "tree" or "all" for one enum isolate_kind bit; NULL for anything else. */
const char *isolate_kind_name(int bit);

/* report (0) or fail (1): --shared-writes, what a write into a tree not shared does to a test.
 * Returns 0, or -1. */
int parse_shared_writes(const char *v, int *out);

/* pass (0) or fail (1): what a FLAKY test counts as. Returns 0, or -1. */
int parse_flaky_result(const char *v, int *out);
int parse_keep(const char *v, enum keep_mode *out);
int parse_jobs(const char *v, unsigned *out);
/* exitcode, tap, gtest or junit. Returns 0, or -1. */
int parse_protocol(const char *v, enum protocol *out);
/* "exitcode", ... */
const char *protocol_name(enum protocol p);

#endif
