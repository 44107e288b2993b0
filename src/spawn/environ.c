/* SPDX-License-Identifier: MIT */
#include "spawn/environ.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int env_name_check(const char *name, struct isola_error *e)
{
	if (!env_name_valid(name, strlen(name)))
		return err_set(e, 0, NULL,
			       "invalid environment variable name '%s' (use letters, digits and '_', "
			       "not starting with a digit)",
			       name);
	return 0;
}

const char *env_lookup_in(char *const *env, const char *name, size_t len)
{
	for (; env && *env; env++)
		if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
			return *env + len + 1;
	return NULL;
}

static bool known_name(const char *const *known, const char *name, size_t len)
{
	for (; known && *known; known++)
		if (strlen(*known) == len && strncmp(*known, name, len) == 0)
			return true;
	return env_lookup_in(environ, name, len) != NULL;
}

int env_setting_check(const char *setting, const char *const *known, struct isola_error *e)
{
	const char *eq = strchr(setting, '=');
	if (!eq)
		return err_set(e, 0, NULL, "environment setting '%s' has no '=' (expected NAME=VALUE)",
			       setting);
	if (!env_name_valid(setting, (size_t)(eq - setting)))
		return err_set(e, 0, NULL,
			       "invalid environment variable name '%.*s' (use letters, digits and "
			       "'_', not starting with a digit)",
			       (int)(eq - setting), setting);
	for (const char *p = eq + 1; *p; p++) {
		if (p[0] != '$')
			continue;
		if (p[1] == '$') {
			p++;
			continue;
		}
		if (p[1] != '{')
			continue;
		const char *name = p + 2;
		const char *close = strchr(name, '}');
		if (!close)
			return err_set(e, 0, NULL, "unterminated '${' in '%s'", setting);
		size_t len = (size_t)(close - name);
		if (!env_name_valid(name, len))
			return err_set(e, 0, NULL, "invalid variable reference '${%.*s}' in '%s'",
				       (int)len, name, setting);
		if (!known_name(known, name, len))
			return err_set(e, 0, NULL,
				       "'%s' refers to ${%.*s}, which is not set (set it in isola's "
				       "environment, or write $$ for a literal $)",
				       setting, (int)len, name);
		p = close;
	}
	return 0;
}

char *env_expand(const char *value, env_lookup_fn lookup, void *ctx)
{
	size_t cap = strlen(value) + 64, n = 0;
	char *out = xmalloc(cap);
	for (const char *p = value; *p; p++) {
		const char *add = p;
		size_t addlen = 1;
		if (p[0] == '$' && p[1] == '$') {
			p++;
		} else if (p[0] == '$' && p[1] == '{' && strchr(p + 2, '}')) {
			const char *name = p + 2;
			size_t len = (size_t)(strchr(name, '}') - name);
			add = lookup(ctx, name, len);
			if (!add)
				add = "";
			addlen = strlen(add);
			p = name + len;
		}
		if (n + addlen + 1 > cap) {
			cap = (n + addlen + 1) * 2;
			out = xrealloc(out, cap);
		}
		memcpy(out + n, add, addlen);
		n += addlen;
	}
	out[n] = '\0';
	return out;
}

static size_t name_len(const char *entry)
{
	const char *eq = strchr(entry, '=');
	return eq ? (size_t)(eq - entry) : strlen(entry);
}

static bool in_list(const struct strv *list, const char *name, size_t len, bool settings)
{
	for (size_t i = 0; list && i < list->n; i++) {
		const char *s = list->v[i];
		size_t l = settings ? name_len(s) : strlen(s);
		if (l == len && strncmp(s, name, len) == 0)
			return true;
	}
	return false;
}

void env_build(char *const *base, const struct strv *unset, const struct strv *set,
	       struct strv *out)
{
	for (; base && *base; base++) {
		size_t len = name_len(*base);
		if (in_list(unset, *base, len, false) || in_list(set, *base, len, true))
			continue;
		strv_push(out, *base);
	}
	for (size_t i = 0; set && i < set->n; i++) {
		size_t len = name_len(set->v[i]);
		bool overridden = false;
		for (size_t j = i + 1; j < set->n && !overridden; j++)
			overridden = name_len(set->v[j]) == len &&
				     strncmp(set->v[j], set->v[i], len) == 0;
		if (!overridden)
			strv_push(out, set->v[i]);
	}
}
