/* SPDX-License-Identifier: MIT */
#include "config/settings.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn/environ.h"

const char *const contract_names[] = {
	"ISOLA",	"ISOLA_RUN_ID", "ISOLA_TEST", "ISOLA_SANDBOX", "ISOLA_SLOT", "ISOLA_ATTEMPT", "ISOLA_ITERATION",
	"ISOLA_SOURCE_DIR", "TMPDIR",   "TMP",	     "TEMP",	      "TEST_TMPDIR", "HOME",
	NULL,
};

static int bad_value(struct isola_error *e, const char *key, const char *value, const char *hint)
{
	return err_set(e, 0, NULL, "invalid value '%s' for %s (%s)", value, key, hint);
}

int settings_apply(struct settings *s, const char *key, const char *value, const char *base_dir,
		   struct isola_error *e)
{
	if (strcmp(key, "copy") == 0)
		return resources_add(&s->res, RES_COPY, value, base_dir, e) < 0 ? -1 : 1;
	if (strcmp(key, "ro") == 0)
		return resources_add(&s->res, RES_RO, value, base_dir, e) < 0 ? -1 : 1;
	if (strcmp(key, "stage") == 0) {
		enum stage_strategy st;
		if (stage_strategy_parse(value, &st) < 0)
			return bad_value(e, key, value, "expected auto, overlay, reflink or copy");
		s->stage = (int)st;
		return 1;
	}
	if (strcmp(key, "mkdir") == 0)
		return resources_add(&s->res, RES_MKDIR, value, base_dir, e) < 0 ? -1 : 1;
	if (strcmp(key, "env") == 0) {
		if (env_setting_check(value, contract_names, e) < 0)
			return -1;
		strv_push(&s->env_set, value);
		return 1;
	}
	if (strcmp(key, "unset") == 0) {
		if (env_name_check(value, e) < 0)
			return -1;
		strv_push(&s->env_unset, value);
		return 1;
	}
	if (strcmp(key, "timeout") == 0) {
		if (parse_duration(value, &s->timeout_ns) < 0)
			return bad_value(e, key, value, "expected a duration such as 30s, 2m or 0 for none");
		return 1;
	}
	if (strcmp(key, "grace") == 0) {
		if (parse_duration(value, &s->grace_ns) < 0)
			return bad_value(e, key, value, "expected a duration such as 5s or 500ms");
		return 1;
	}
	if (strcmp(key, "cwd") == 0) {
		if (!*value)
			return bad_value(e, key, value, "expected a directory");
		free(s->cwd);
		s->cwd = xstrdup(value);
		return 1;
	}
	if (strcmp(key, "keep-home") == 0 || strcmp(key, "serial") == 0) {
		bool b;
		if (parse_bool(value, &b) < 0)
			return bad_value(e, key, value, "expected true or false");
		*(key[0] == 'k' ? &s->keep_home : &s->serial) = b;
		return 1;
	}
	if (strcmp(key, "lock") == 0 || strcmp(key, "requires") == 0) {
		if (!name_ok(value))
			return bad_value(e, key, value,
			                 "expected a name of letters, digits, '.', '_' and '-', at most "
			                 "64");
		struct strv *v = key[0] == 'l' ? &s->locks : &s->requires;
		for (size_t i = 0; i < v->n; i++)
			if (strcmp(v->v[i], value) == 0)
				return 1;
		strv_push(v, value);
		return 1;
	}
	if (strcmp(key, "skip-exit") == 0 || strcmp(key, "error-exit") == 0) {
		unsigned n;
		if (parse_uint(value, 1, 255, &n) < 0)
			return bad_value(e, key, value, "expected an exit status from 1 to 255");
		*(key[0] == 's' ? &s->skip_exit : &s->error_exit) = (int)n;
		return 1;
	}
	if (strcmp(key, "slots") == 0) {
		unsigned n;
		if (parse_uint(value, 1, 4096, &n) < 0)
			return bad_value(e, key, value,
			                 "expected how many jobs the test counts as, 1 to 4096");
		s->slots = (int)n;
		return 1;
	}
	if (strcmp(key, "protocol") == 0) {
		enum protocol p;
		if (parse_protocol(value, &p) < 0)
			return bad_value(e, key, value, "expected exitcode, tap, gtest or junit");
		s->protocol = (int)p;
		return 1;
	}
	if (strcmp(key, "leak") == 0) {
		if (strcmp(value, "warn") == 0)
			s->leak = LEAK_WARN;
		else if (strcmp(value, "fail") == 0)
			s->leak = LEAK_FAIL;
		else
			return bad_value(e, key, value, "expected warn or fail");
		return 1;
	}
	return 0;
}

void settings_merge(struct settings *dst, const struct settings *over)
{
	resources_extend(&dst->res, &over->res);
	strv_extend(&dst->env_set, &over->env_set);
	strv_extend(&dst->env_unset, &over->env_unset);
	if (over->timeout_ns >= 0)
		dst->timeout_ns = over->timeout_ns;
	if (over->grace_ns >= 0)
		dst->grace_ns = over->grace_ns;
	if (over->cwd) {
		free(dst->cwd);
		dst->cwd = xstrdup(over->cwd);
	}
	if (over->keep_home >= 0)
		dst->keep_home = over->keep_home;
	if (over->leak >= 0)
		dst->leak = over->leak;
	if (over->stage >= 0)
		dst->stage = over->stage;
	for (size_t i = 0; i < over->locks.n; i++)
		(void)settings_apply(dst, "lock", over->locks.v[i], NULL, NULL);
	for (size_t i = 0; i < over->requires.n; i++)
		(void)settings_apply(dst, "requires", over->requires.v[i], NULL, NULL);
	if (over->slots >= 0)
		dst->slots = over->slots;
	if (over->skip_exit >= 0)
		dst->skip_exit = over->skip_exit;
	if (over->error_exit >= 0)
		dst->error_exit = over->error_exit;
	if (over->serial >= 0)
		dst->serial = over->serial;
	if (over->protocol >= 0)
		dst->protocol = over->protocol;
}

void settings_finalise(struct settings *s)
{
	if (s->timeout_ns < 0)
		s->timeout_ns = DEFAULT_TIMEOUT_NS;
	if (s->grace_ns < 0)
		s->grace_ns = DEFAULT_GRACE_NS;
	if (s->keep_home < 0)
		s->keep_home = 0;
	if (s->leak < 0)
		s->leak = LEAK_WARN;
	if (s->stage < 0)
		s->stage = STAGE_AUTO;
	if (s->slots < 0)
		s->slots = 1;
	if (s->serial < 0)
		s->serial = 0;
	if (s->skip_exit < 0)
		s->skip_exit = 77;
	if (s->error_exit < 0)
		s->error_exit = 99;
	if (s->protocol < 0)
		s->protocol = PROTO_EXITCODE;
}

void settings_release(struct settings *s)
{
	resources_release(&s->res);
	strv_release(&s->env_set);
	strv_release(&s->env_unset);
	free(s->cwd);
	strv_release(&s->locks);
	strv_release(&s->requires);
	*s = (struct settings)SETTINGS_INIT;
}

int parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

bool name_ok(const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n > 64)
		return false;
	return strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

int parse_flaky_result(const char *v, int *out)
{
	if (strcmp(v, "pass") == 0)
		*out = 0;
	else if (strcmp(v, "fail") == 0)
		*out = 1;
	else
		return -1;
	return 0;
}

int parse_keep(const char *v, enum keep_mode *out)
{
	if (strcmp(v, "failed") == 0)
		*out = KEEP_FAILED;
	else if (strcmp(v, "all") == 0)
		*out = KEEP_ALL;
	else if (strcmp(v, "none") == 0)
		*out = KEEP_NONE;
	else
		return -1;
	return 0;
}

int parse_jobs(const char *v, unsigned *out)
{
	if (strcmp(v, "auto") == 0) {
		*out = online_cpus();
		return 0;
	}
	return parse_uint(v, 1, 4096, out);
}

static const char *const protocol_names[] = {
	[PROTO_EXITCODE] = "exitcode",
	[PROTO_TAP] = "tap",
	[PROTO_GTEST] = "gtest",
	[PROTO_JUNIT] = "junit",
};

int parse_protocol(const char *v, enum protocol *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(protocol_names); i++)
		if (strcmp(v, protocol_names[i]) == 0) {
			*out = (enum protocol)i;
			return 0;
		}
	return -1;
}

const char *protocol_name(enum protocol p)
{
	return (size_t)p < ARRAY_SIZE(protocol_names) ? protocol_names[p] : "?";
}
