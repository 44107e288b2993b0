/* SPDX-License-Identifier: MIT */
#include "stage/stage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

	if (kind == RES_COPY) {
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

	if (list->n == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 4;
		list->v = xrealloc(list->v, list->cap * sizeof(*list->v));
	}
	struct resource *r = &list->v[list->n++];
	r->kind = kind;
	r->dest = dest;
	r->src = NULL;
	if (kind == RES_COPY)
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

int stage_check(const struct resource *r, struct isola_error *e)
{
	if (r->kind != RES_COPY)
		return 0;
	return copy_tree(r->src, -1, r->dest, e);
}

/* Open (creating as needed) the parent directory of dest inside the sandbox, never following a
 * symlink the test tree might hold. Returns an fd and points *leaf at the last component. */
static int open_parent(int sandbox_fd, const char *dest, const char **leaf, struct isola_error *e)
{
	int dfd = dup(sandbox_fd);
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

int stage_resource(int sandbox_fd, const struct resource *r, struct isola_error *e)
{
	const char *leaf;
	int dfd = open_parent(sandbox_fd, r->dest, &leaf, e);
	if (dfd < 0)
		return -1;
	int ret = 0;
	switch (r->kind) {
	case RES_MKDIR:
		if (mkdirat(dfd, leaf, 0755) < 0 && errno != EEXIST)
			ret = err_set(e, errno, r->dest, "cannot create directory '%s' in the sandbox",
				      r->dest);
		break;
	case RES_COPY:
		ret = copy_tree(r->src, dfd, leaf, e);
		break;
	}
	close(dfd);
	return ret;
}
