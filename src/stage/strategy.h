/* SPDX-License-Identifier: MIT */
/*
 * Inside staging: what stage.c (the chooser) shares with the mount-based strategies
 * (stage-overlay.c, stage-bind.c). Not for other modules: they see stage.h only.
 */
#ifndef ISOLA_STAGE_STRATEGY_H
#define ISOLA_STAGE_STRATEGY_H

#include <stdbool.h>
#include <sys/types.h>

#include "stage/stage.h"

/* A verdict remembered for the life of the process (probes cost a process each). */
enum probe_kind { PROBE_NAMESPACE, PROBE_FACTS, PROBE_OVERLAY, PROBE_BIND };

struct probe {
	bool ok;
	bool userns;    /* PROBE_NAMESPACE: mounts need a user namespace */
	bool foreign;   /* PROBE_FACTS: see struct copy_result */
	bool submounts; /* PROBE_FACTS */
	unsigned long entries;    /* PROBE_FACTS: see struct copy_result */
	unsigned long long bytes; /* PROBE_FACTS */
	char why[256];  /* when !ok: why not, a phrase for "X by copy: WHY" */
};

/* snprintf into a why buffer (cut short if need be: it is for people). */
void why_set(char *dst, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

bool probe_lookup(enum probe_kind k, dev_t dev, ino_t ino, dev_t fs, struct probe *out);
void probe_store(enum probe_kind k, dev_t dev, ino_t ino, dev_t fs, const struct probe *p);

/*
 * Can this process make mounts in a namespace of its own, and how (root directly, or through a
 * user namespace)? Probed once. Tests can pretend not: ISOLA_TEST_NO_NAMESPACES=1 (none at all)
 * and ISOLA_TEST_NO_USERNS=1 (no unprivileged user namespaces).
 */
bool mount_namespace_available(struct probe *out);

/* Facts about a source tree (walked once per process, or taken from stage_check()). */
int source_facts(const char *src, const struct stat *st, struct probe *out,
		 struct isola_error *e);

/* Scratch space for probes inside the sandbox: .isola/probe (made here, removed by
 * stage_probe_done()). Returns its path relative to the sandbox. */
const char *stage_probe_dir(int sandbox_fd, struct isola_error *e);
void stage_probe_done(int sandbox_fd);

/* The sandbox's private bookkeeping directory, .isola/ (mode 0700), created on demand. */
#define STAGE_PRIVATE_DIR ".isola"

/*
 * Overlay: can src (a directory; st its stat) be staged by overlay into this sandbox? Fills
 * why if not. Then stage it: upper/work under .isola/N, the mount point at parent_fd/leaf, an
 * op in st->mounts.
 */
bool overlay_available(const char *src, const struct stat *st, int sandbox_fd,
		       const char *sandbox_path, char *why, size_t whylen);
/* The private layers of one overlay: .isola/N/upper (with st's owner, mode and times) and
 * .isola/N/work in the sandbox, recorded in sg->layers; *upper and *work are their absolute
 * paths (the caller frees them). */
int overlay_layer_make(struct stage *sg, int sandbox_fd, const char *sandbox_path,
		       const struct stat *st, const char *lower, const char *shown, bool tree,
		       char **upper, char **work, struct isola_error *e);
int overlay_stage(struct stage *sg, int sandbox_fd, const char *sandbox_path,
		  const struct resource *r, const struct stat *st, int parent_fd, const char *leaf,
		  struct isola_error *e);

/* Read-only bind mount: the same pair for --ro. */
bool bind_available(const char *src, const struct stat *st, int sandbox_fd,
		    const char *sandbox_path, char *why, size_t whylen);
int bind_stage(struct stage *sg, const char *sandbox_path, const struct resource *r,
	       const struct stat *st, int parent_fd, const char *leaf, struct isola_error *e);

#endif
