/* SPDX-License-Identifier: MIT */
/*
 * A child's environment as a change list over isola's own: names to unset, then NAME=VALUE
 * settings applied in order (a later setting of a name wins). VALUEs may refer to variables as
 * ${NAME}; isola expands them itself, never through a shell. "$$" is a literal "$".
 */
#ifndef ISOLA_ENVIRON_H
#define ISOLA_ENVIRON_H

#include "util/util.h"

/* Looks a variable up for expansion; returns NULL when it is not defined. */
typedef const char *(*env_lookup_fn)(void *ctx, const char *name, size_t len);

/*
 * Check a "NAME=VALUE" setting: NAME valid, every ${...} in VALUE well-formed, and each referred
 * name either in `known` (names isola defines per test) or in isola's own environment.
 */
int env_setting_check(const char *setting, const char *const *known, struct isola_error *e);
int env_name_check(const char *name, struct isola_error *e);

/* Expand ${NAME} references in value. Returns a new string (caller frees). */
char *env_expand(const char *value, env_lookup_fn lookup, void *ctx);

/*
 * Build an environment: `base` (NULL-terminated, e.g. environ) less the names in `unset` and
 * less every name that `set` defines, then `set` in order, the last setting of a name winning.
 * Returns a new NULL-terminated vector in *out (strv_release() frees it).
 */
void env_build(char *const *base, const struct strv *unset, const struct strv *set,
	       struct strv *out);

/* The value of NAME in a NULL-terminated "NAME=VALUE" vector, or NULL. */
const char *env_lookup_in(char *const *env, const char *name, size_t len);

#endif
