/* SPDX-License-Identifier: MIT */
/*
 * The staging interface: resources, and the chooser that gives each resource of a test the
 * best strategy it can have (stage-overlay.c, stage-bind.c, stage-copy.c do the work).
 */
#include "stage/stage.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/rmtree.h"
#include "stage/strategy.h"

/* Normalise a DEST: strip "." and empty components; refuse absolute paths and "..". */
static char *normalise_dest(const char *dest)
{
	if (dest[0] == '/')
		return NULL;
	char *out = xcalloc(strlen(dest) + 1, 1);
	size_t n = 0;
	const char *p = dest;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			free(out);
			return NULL;
		}
		if (len && !(len == 1 && p[0] == '.')) {
			if (n)
				out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p += len;
		if (*p == '/')
			p++;
	}
	if (n == 0) {
		free(out);
		return NULL;
	}
	return out;
}

static const char *last_component(const char *path)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	const char *end = path + n;
	const char *p = end;
	while (p > path && p[-1] != '/')
		p--;
	static __thread char buf[256];
	snprintf(buf, sizeof(buf), "%.*s", (int)(end - p), p);
	return buf;
}

int resources_add(struct resources *list, enum resource_kind kind, const char *spec,
		  const char *base_dir, struct isola_error *e)
{
	cleanup_free char *src = NULL;
	const char *dest_in = spec;

	if (kind != RES_MKDIR) {
		const char *colon = strchr(spec, ':');
		src = colon ? strndup(spec, (size_t)(colon - spec)) : xstrdup(spec);
		if (!src)
			abort();
		dest_in = colon ? colon + 1 : last_component(src);
		if (!*src)
			return err_set(e, 0, NULL, "empty source in '%s' (expected SRC[:DEST])", spec);
	}
	char *dest = *dest_in ? normalise_dest(dest_in) : NULL;
	if (!dest)
		return err_set(e, 0, NULL,
			       "destination '%s' must be a relative path inside the sandbox (no '..', "
			       "not absolute, not empty)",
			       dest_in);
	/* .isola and .isola-output in the sandbox are isola's own (overlay layers, outputs). */
	if (strncmp(dest, ".isola", 6) == 0 && (dest[6] == '\0' || dest[6] == '/' ||
						strncmp(dest + 6, "-output", 7) == 0)) {
		err_set(e, 0, NULL, "destination '%s' is reserved for isola's own use in the sandbox",
			dest_in);
		free(dest);
		return -1;
	}

	if (list->n == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 4;
		list->v = xrealloc(list->v, list->cap * sizeof(*list->v));
	}
	struct resource *r = &list->v[list->n++];
	r->kind = kind;
	r->dest = dest;
	r->src = NULL;
	if (kind != RES_MKDIR)
		r->src = src[0] == '/' || !base_dir ? xstrdup(src) : xasprintf("%s/%s", base_dir, src);
	return 0;
}

void resources_extend(struct resources *list, const struct resources *from)
{
	for (size_t i = 0; i < from->n; i++) {
		if (list->n == list->cap) {
			list->cap = list->cap ? list->cap * 2 : 4;
			list->v = xrealloc(list->v, list->cap * sizeof(*list->v));
		}
		struct resource *r = &list->v[list->n++];
		r->kind = from->v[i].kind;
		r->src = from->v[i].src ? xstrdup(from->v[i].src) : NULL;
		r->dest = xstrdup(from->v[i].dest);
	}
}

void resources_release(struct resources *list)
{
	for (size_t i = 0; i < list->n; i++) {
		free(list->v[i].src);
		free(list->v[i].dest);
	}
	free(list->v);
	*list = (struct resources){0};
}

/* Open (creating as needed) the parent directory of dest inside the sandbox, never following a
 * symlink the test tree might hold. Returns an fd and points *leaf at the last component. */
static int open_parent(int sandbox_fd, const char *dest, const char **leaf, struct isola_error *e)
{
	int dfd = fcntl(sandbox_fd, F_DUPFD_CLOEXEC, 3);
	const char *p = dest;
	const char *slash;
	if (dfd < 0)
		return err_set(e, errno, dest, "cannot stage '%s'", dest);
	while ((slash = strchr(p, '/'))) {
		char part[256];
		size_t len = (size_t)(slash - p);
		if (len >= sizeof(part)) {
			close(dfd);
			return err_set(e, ENAMETOOLONG, dest, "cannot stage '%s'", dest);
		}
		memcpy(part, p, len);
		part[len] = '\0';
		if (mkdirat(dfd, part, 0755) < 0 && errno != EEXIST) {
			int saved = errno;
			close(dfd);
			return err_set(e, saved, dest, "cannot create '%s' in the sandbox", dest);
		}
		int next = openat(dfd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int saved = errno;
		close(dfd);
		if (next < 0)
			return err_set(e, saved, dest, "cannot create '%s' in the sandbox", dest);
		dfd = next;
		p = slash + 1;
	}
	*leaf = p;
	return dfd;
}


/* --- strategies by name ------------------------------------------------------------------- */

static const char *const strategy_names[] = {
	[STAGE_AUTO] = "auto",
	[STAGE_OVERLAY] = "overlay",
	[STAGE_REFLINK] = "reflink",
	[STAGE_COPY] = "copy",
};

int stage_strategy_parse(const char *name, enum stage_strategy *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(strategy_names); i++) {
		if (strcmp(name, strategy_names[i]) == 0) {
			*out = (enum stage_strategy)i;
			return 0;
		}
	}
	return -1;
}

const char *stage_strategy_name(enum stage_strategy s)
{
	return (size_t)s < ARRAY_SIZE(strategy_names) ? strategy_names[s] : "?";
}

/* --- verdicts remembered for the life of the process -------------------------------------- */

struct probe_entry {
	enum probe_kind kind;
	dev_t dev, fs;
	ino_t ino;
	struct probe p;
};

static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static struct probe_entry *probes;
static size_t nprobes, probes_cap;

bool probe_lookup(enum probe_kind k, dev_t dev, ino_t ino, dev_t fs, struct probe *out)
{
	bool found = false;
	pthread_mutex_lock(&probe_lock);
	for (size_t i = 0; i < nprobes && !found; i++) {
		const struct probe_entry *pe = &probes[i];
		if (pe->kind == k && pe->dev == dev && pe->ino == ino && pe->fs == fs) {
			*out = pe->p;
			found = true;
		}
	}
	pthread_mutex_unlock(&probe_lock);
	return found;
}

void probe_store(enum probe_kind k, dev_t dev, ino_t ino, dev_t fs, const struct probe *p)
{
	pthread_mutex_lock(&probe_lock);
	if (nprobes == probes_cap) {
		probes_cap = probes_cap ? probes_cap * 2 : 16;
		probes = xrealloc(probes, probes_cap * sizeof(*probes));
	}
	probes[nprobes++] = (struct probe_entry){.kind = k, .dev = dev, .fs = fs, .ino = ino, .p = *p};
	pthread_mutex_unlock(&probe_lock);
}

void why_set(char *dst, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(dst, len, fmt, ap);
	va_end(ap);
}

bool mount_namespace_available(struct probe *out)
{
	if (env_flag("ISOLA_TEST_NO_NAMESPACES")) {
		*out = (struct probe){0};
		why_set(out->why, sizeof(out->why),
			 "mount namespaces are disabled (ISOLA_TEST_NO_NAMESPACES)");
		return false;
	}
	bool no_userns = env_flag("ISOLA_TEST_NO_USERNS");
	if (probe_lookup(PROBE_NAMESPACE, 0, 0, (dev_t)no_userns, out))
		return out->ok;

	/* Root unshares a mount namespace directly; anyone else (and root without
	 * CAP_SYS_ADMIN, as in many containers) needs a user namespace for it. */
	struct mount_plan plan = MOUNT_PLAN_INIT;
	struct isola_error e = {0};
	struct probe p = {0};
	mount_plan_set_root(&plan, "/");
	if (geteuid() == 0 && mount_plan_probe(&plan, &e) == 0) {
		p.ok = true;
	} else if (no_userns) {
		why_set(p.why, sizeof(p.why), "%s%sunprivileged user namespaces are disabled",
			 geteuid() == 0 ? e.message : "", geteuid() == 0 ? "; " : "");
	} else {
		plan.userns = true;
		err_clear(&e);
		if (mount_plan_probe(&plan, &e) == 0) {
			p.ok = p.userns = true;
		} else {
			why_set(p.why, sizeof(p.why), "no mount namespace can be had here (%s)",
				 e.message);
		}
	}
	mount_plan_release(&plan);
	probe_store(PROBE_NAMESPACE, 0, 0, (dev_t)no_userns, &p);
	*out = p;
	return p.ok;
}

static void facts_from(struct probe *p, const struct copy_result *res)
{
	*p = (struct probe){.ok = true,
	                    .foreign = res->foreign,
	                    .submounts = res->submounts,
	                    .entries = res->entries,
	                    .bytes = res->bytes};
}

/* Facts are keyed by the top's change time too: a tree removed and made again (a long-lived
 * libisola caller, a test suite) may come back with the same inode number. */
static dev_t facts_stamp(const struct stat *st)
{
	return (dev_t)st->st_ctim.tv_sec * 1000000007u + (dev_t)st->st_ctim.tv_nsec;
}

int source_facts(const char *src, const struct stat *st, struct probe *out, struct isola_error *e)
{
	dev_t stamp = facts_stamp(st);
	if (probe_lookup(PROBE_FACTS, st->st_dev, st->st_ino, stamp, out))
		return 0;
	struct copy_result res;
	if (copy_tree_opts(src, -1, "", NULL, &res, e) < 0)
		return -1;
	facts_from(out, &res);
	probe_store(PROBE_FACTS, st->st_dev, st->st_ino, stamp, out);
	return 0;
}

const char *stage_probe_dir(int sandbox_fd, struct isola_error *e)
{
	static const char dir[] = STAGE_PRIVATE_DIR "/probe";
	if (mkdirat(sandbox_fd, STAGE_PRIVATE_DIR, 0700) < 0 && errno != EEXIST)
		return err_set(e, errno, STAGE_PRIVATE_DIR, "cannot create '%s' in the sandbox",
			       STAGE_PRIVATE_DIR),
		       NULL;
	if (mkdirat(sandbox_fd, dir, 0700) < 0)
		return err_set(e, errno, dir, "cannot create '%s' in the sandbox", dir), NULL;
	return dir;
}

void stage_probe_done(int sandbox_fd)
{
	(void)rmtree_at(sandbox_fd, STAGE_PRIVATE_DIR "/probe", NULL);
	/* Gone too if nothing else is in it: a test that got no overlay sees no .isola/. */
	(void)unlinkat(sandbox_fd, STAGE_PRIVATE_DIR, AT_REMOVEDIR);
}

int stage_check(const struct resource *r, struct isola_error *e)
{
	if (r->kind == RES_MKDIR)
		return 0;
	struct copy_result res;
	struct stat st;
	if (copy_tree_opts(r->src, -1, r->dest, NULL, &res, e) < 0)
		return -1;
	/* The walk has seen everything stage_prepare() will want to know: keep it. */
	if (stat(r->src, &st) == 0) {
		struct probe p;
		facts_from(&p, &res);
		struct probe old;
		if (!probe_lookup(PROBE_FACTS, st.st_dev, st.st_ino, facts_stamp(&st), &old))
			probe_store(PROBE_FACTS, st.st_dev, st.st_ino, facts_stamp(&st), &p);
	}
	return 0;
}

int stage_resource(int sandbox_fd, const struct resource *r, struct isola_error *e)
{
	const char *leaf;
	int dfd = open_parent(sandbox_fd, r->dest, &leaf, e);
	if (dfd < 0)
		return -1;
	int ret = 0;
	struct copy_opts o = {.clone = true, .readonly = r->kind == RES_RO};
	switch (r->kind) {
	case RES_MKDIR:
		if (mkdirat(dfd, leaf, 0755) < 0 && errno != EEXIST)
			ret = err_set(e, errno, r->dest, "cannot create directory '%s' in the sandbox",
				      r->dest);
		break;
	case RES_COPY:
	case RES_RO:
		ret = copy_tree_opts(r->src, dfd, leaf, &o, NULL, e);
		break;
	}
	close(dfd);
	return ret;
}

/* --- choosing, per test ------------------------------------------------------------------- */

enum used { USED_NONE, USED_OVERLAY, USED_REFLINK, USED_COPY, USED_BIND, USED_RO_COPY };

static bool dest_within(const char *inner, const char *outer)
{
	size_t n = strlen(outer);
	return strncmp(inner, outer, n) == 0 && (inner[n] == '\0' || inner[n] == '/');
}

static void add_reason(struct stage *st, const char *dest, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void add_reason(struct stage *st, const char *dest, const char *fmt, ...)
{
	char *msg;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	char *joined = st->reason ? xasprintf("%s; '%s' %s", st->reason, dest, msg)
				  : xasprintf("'%s' %s", dest, msg);
	free(msg);
	free(st->reason);
	st->reason = joined;
}

static const char *why_no_reflink(const struct copy_result *res)
{
	if (res->clone_err == EXDEV)
		return "reflink: it is on another filesystem than the sandbox";
	static __thread char buf[128];
	snprintf(buf, sizeof(buf), "reflink: its filesystem cannot share extents (%s)",
		 strerror(res->clone_err));
	return buf;
}

/* Reflink or copy r to parent_fd/leaf. why_not_overlay NULL: a copy is the best there is (no
 * reason to tell). */
static int stage_by_copy(struct stage *st, const struct resource *r, int parent_fd,
			 const char *leaf, enum stage_strategy want, const char *why_not_overlay,
			 enum used *used, struct isola_error *e)
{
	struct copy_opts o = {
		.clone = want != STAGE_COPY,
		.need_clone = want == STAGE_REFLINK,
		.readonly = r->kind == RES_RO,
	};
	struct copy_result res;
	if (copy_tree_opts(r->src, parent_fd, leaf, &o, &res, e) < 0)
		return -1;
	bool reflinked = res.files > 0 && res.cloned == res.files;
	if (r->kind == RES_RO) {
		*used = USED_RO_COPY;
		add_reason(st, r->dest, "is a read-only copy (a bind mount: %s)", why_not_overlay);
		return 0;
	}
	*used = reflinked ? USED_REFLINK : USED_COPY;
	if (want == STAGE_COPY || want == STAGE_REFLINK || !why_not_overlay)
		return 0;
	if (reflinked)
		add_reason(st, r->dest, "by reflink (overlay: %s)", why_not_overlay);
	else if (res.clone_err)
		add_reason(st, r->dest, "by copy (overlay: %s; %s)", why_not_overlay,
			   why_no_reflink(&res));
	else
		add_reason(st, r->dest, "by copy (overlay: %s)", why_not_overlay);
	return 0;
}

/*
 * A tree this small is copied even where an overlay could be mounted (--stage auto): the mount
 * and the namespace it needs cost more than the copy (measured on tmpfs, 1 KiB files, -j2: an
 * empty directory by overlay 0.9 ms per test more than by copy; the two meet between 16 and
 * 64 files; bench/README.md, section 7). The copy has the same meaning for the test: a
 * private, writable tree with the source's contents.
 */
#define TINY_TREE_ENTRIES 32
#define TINY_TREE_BYTES   (256 * 1024)

/* Is the directory src tiny (as source_facts() found it)? */
static bool tiny_tree(const char *src, const struct stat *st)
{
	struct probe facts;
	struct isola_error e = {0};
	return source_facts(src, st, &facts, &e) == 0 && facts.entries <= TINY_TREE_ENTRIES &&
	       facts.bytes <= TINY_TREE_BYTES;
}

/* Every mix of strategies one test can get, as -v shows it: static strings, so that an
 * attempt's strategy needs no owner. Index: overlay 1, reflink 2, copy 4, bind 8. */
static const char *const used_names[16] = {
	"none",
	"overlay",
	"reflink",
	"overlay+reflink",
	"copy",
	"overlay+copy",
	"reflink+copy",
	"overlay+reflink+copy",
	"bind",
	"overlay+bind",
	"reflink+bind",
	"overlay+reflink+bind",
	"copy+bind",
	"overlay+copy+bind",
	"reflink+copy+bind",
	"overlay+reflink+copy+bind",
};

int stage_prepare(struct stage *st, int sandbox_fd, const char *sandbox_path,
		  const struct resources *res, enum stage_strategy want, struct isola_error *e)
{
	enum used *used = xcalloc(res->n ? res->n : 1, sizeof(*used));
	int ret = 0;
	mount_plan_set_root(&st->mounts, sandbox_path);

	for (size_t i = 0; i < res->n && ret == 0; i++) {
		const struct resource *r = &res->v[i];
		/* Nothing may be staged inside a read-only resource: it is read-only. */
		for (size_t k = 0; k < i; k++) {
			if (res->v[k].kind == RES_RO && dest_within(r->dest, res->v[k].dest)) {
				ret = err_set(e, 0, r->dest,
					      "cannot stage '%s' inside the read-only resource '%s'",
					      r->dest, res->v[k].dest);
				goto out;
			}
		}
		/* A directory inside an overlay is made in the test's namespace, through the
		 * overlay (its parents are copied up there as any write would). */
		bool in_overlay = false;
		for (size_t k = 0; k < i && !in_overlay; k++)
			in_overlay = used[k] == USED_OVERLAY && dest_within(r->dest, res->v[k].dest);
		if (r->kind == RES_MKDIR && in_overlay) {
			mount_plan_add(&st->mounts, MOUNT_MKDIR, r->dest, NULL, NULL, NULL);
			continue;
		}

		const char *leaf;
		int dfd = open_parent(sandbox_fd, r->dest, &leaf, e);
		if (dfd < 0) {
			ret = -1;
			break;
		}
		struct stat sst;
		char why[300] = "";
		if (r->kind == RES_MKDIR) {
			if (mkdirat(dfd, leaf, 0755) < 0 && errno != EEXIST)
				ret = err_set(e, errno, r->dest,
					      "cannot create directory '%s' in the sandbox", r->dest);
		} else if (stat(r->src, &sst) < 0) {
			ret = err_set(e, errno, r->src, "cannot copy '%s'", r->src);
		} else if (r->kind == RES_RO) {
			if (bind_available(r->src, &sst, sandbox_fd, sandbox_path, why, sizeof(why))) {
				ret = bind_stage(st, sandbox_path, r, &sst, dfd, leaf, e);
				used[i] = USED_BIND;
			} else {
				ret = stage_by_copy(st, r, dfd, leaf, STAGE_AUTO, why, &used[i], e);
			}
		} else {
			/* A later resource inside this one must be staged into its tree by isola,
			 * on disk: then this one cannot be an overlay. */
			const char *inner = NULL;
			for (size_t k = i + 1; k < res->n && !inner; k++)
				if (res->v[k].kind != RES_MKDIR && dest_within(res->v[k].dest, r->dest))
					inner = res->v[k].dest;
			bool try_overlay = want == STAGE_AUTO || want == STAGE_OVERLAY;
			if (!S_ISDIR(sst.st_mode))
				why_set(why, sizeof(why),
					 "a single file, and overlayfs mounts directories only");
			else if (inner)
				why_set(why, sizeof(why), "'%s' is staged inside it", inner);
			else if (want == STAGE_AUTO && tiny_tree(r->src, &sst)) {
				ret = stage_by_copy(st, r, dfd, leaf, want, NULL, &used[i], e);
				close(dfd);
				continue;
			} else if (try_overlay && overlay_available(r->src, &sst, sandbox_fd,
								  sandbox_path, why, sizeof(why))) {
				ret = overlay_stage(st, sandbox_fd, sandbox_path, r, &sst, dfd, leaf,
						    e);
				used[i] = USED_OVERLAY;
				close(dfd);
				continue;
			} else if (want == STAGE_OVERLAY) {
				ret = err_set(e, 0, r->src,
					      "cannot stage '%s' by overlay (--stage overlay): %s",
					      r->src, why);
				close(dfd);
				break;
			}
			ret = stage_by_copy(st, r, dfd, leaf, want, why[0] ? why : "not tried",
					    &used[i], e);
		}
		close(dfd);
	}

	unsigned mask = 0;
	for (size_t i = 0; i < res->n; i++)
		mask |= used[i] == USED_OVERLAY   ? 1u
			: used[i] == USED_REFLINK ? 2u
			: used[i] == USED_COPY || used[i] == USED_RO_COPY ? 4u
			: used[i] == USED_BIND	  ? 8u
						  : 0u;
	st->strategy = used_names[mask];
	/* Per resource, for the evidence of a kept attempt (sched/evidence.h). */
	static const char *const one_name[] = {
		[USED_NONE] = "none",    [USED_OVERLAY] = "overlay", [USED_REFLINK] = "reflink",
		[USED_COPY] = "copy",    [USED_BIND] = "bind",       [USED_RO_COPY] = "read-only copy",
	};
	free(st->each);
	st->each = xcalloc(res->n ? res->n : 1, sizeof(*st->each));
	for (size_t i = 0; i < res->n; i++)
		st->each[i] = res->v[i].kind == RES_MKDIR ? "mkdir" : one_name[used[i]];
out:
	free(used);
	return ret;
}

void stage_release(struct stage *st)
{
	mount_plan_release(&st->mounts);
	overlay_layers_release(&st->layers);
	tree_views_release(&st->trees);
	free(st->reason);
	free(st->each);
	*st = (struct stage)STAGE_INIT;
}

static unsigned bulk_running; /* bulk operations in progress, by all threads (atomic) */

static int cancelled;

void stage_cancel(void)
{
	__atomic_store_n(&cancelled, 1, __ATOMIC_RELAXED);
}

bool stage_cancelled(void)
{
	return __atomic_load_n(&cancelled, __ATOMIC_RELAXED) != 0;
}

void stage_run_parallel(size_t cap, void *(*fn)(void *), void *arg)
{
	if (cap > STAGE_MAX_THREADS)
		cap = STAGE_MAX_THREADS;
	if (cap <= 1) {
		fn(arg);
		return;
	}
	unsigned running = __atomic_add_fetch(&bulk_running, 1, __ATOMIC_RELAXED);
	size_t n = online_cpus() / running;
	if (n > cap)
		n = cap;
	pthread_t tids[STAGE_MAX_THREADS];
	size_t started = 0;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (size_t i = 1; i < n; i++)
		if (pthread_create(&tids[started], NULL, fn, arg) == 0)
			started++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	fn(arg);
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	__atomic_sub_fetch(&bulk_running, 1, __ATOMIC_RELAXED);
}
