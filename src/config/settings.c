/* SPDX-License-Identifier: MIT */
#include "config/settings.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn/environ.h"

const char *const contract_names[] = {
	"ISOLA",	"ISOLA_RUN_ID", "ISOLA_TEST", "ISOLA_SANDBOX", "ISOLA_SLOT", "ISOLA_ATTEMPT", "ISOLA_ITERATION",
	"ISOLA_SOURCE_DIR", "TMPDIR",   "TMP",	     "TEMP",	      "TEST_TMPDIR", "HOME",
	"TEST_UNDECLARED_OUTPUTS_DIR", "TEST_PREMATURE_EXIT_FILE", "TEST_WARNINGS_OUTPUT_FILE",
	NULL,
};

static int bad_value(struct isola_error *e, const char *key, const char *value, const char *hint)
{
	return err_set(e, 0, NULL, "invalid value '%s' for %s (%s)", value, key, hint);
}

/* Printable: no control character (a label is shown in reports, one per line). */
static bool text_ok(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
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
	if (strcmp(key, "isolate") == 0) {
		if (parse_isolate(value, &s->isolate) < 0)
			return bad_value(e, key, value,
			                 "expected a comma-separated list of tmp, shm, net, tree, all, "
			                 "or none");
		return 1;
	}
	if (strcmp(key, "fence") == 0) {
		bool b;
		if (parse_bool(value, &b) < 0)
			return bad_value(e, key, value, "expected true or false");
		s->fence = b;
		return 1;
	}
	if (strcmp(key, "tree") == 0 || strcmp(key, "share") == 0 ||
	    strcmp(key, "allow-write") == 0) {
		if (!*value || !text_ok(value))
			return bad_value(e, key, value, "expected a path");
		struct strv *v = key[0] == 't' ? &s->trees : key[0] == 's' ? &s->shares
		                                                           : &s->allow_write;
		/* Absolute, relative to where it was given (the config file's directory, or the
		 * directory isola runs in), and canonical (symlinks resolved, "..": share = ../cache
		 * in a subdirectory's config), so that the mounts and the shared-write report
		 * compare the same paths. */
		char *given = value[0] == '/' || !base_dir ? xstrdup(value)
		                                           : xasprintf("%s/%s", base_dir, value);
		char *abs = given[0] == '/' ? path_resolve(given) : xstrdup(given);
		free(given);
		for (size_t i = 0; i < v->n; i++)
			if (strcmp(v->v[i], abs) == 0) {
				free(abs);
				return 1;
			}
		strv_push_take(v, abs);
		return 1;
	}
	if (strcmp(key, "timeout-multiplier") == 0) {
		char *end;
		double m = strtod(value, &end);
		if (end == value || *end || !(m > 0 && m <= 1000))
			return bad_value(e, key, value, "expected a number above 0, at most 1000");
		s->timeout_mult = m;
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
	if (strcmp(key, "keep-home") == 0 || strcmp(key, "serial") == 0 ||
	    strcmp(key, "will-fail") == 0) {
		bool b;
		if (parse_bool(value, &b) < 0)
			return bad_value(e, key, value, "expected true or false");
		*(key[0] == 'k' ? &s->keep_home : key[0] == 's' ? &s->serial : &s->will_fail) = b;
		return 1;
	}
	if (strcmp(key, "label") == 0 || strcmp(key, "after") == 0) {
		if (!*value || !text_ok(value))
			return bad_value(e, key, value,
			                 key[0] == 'l' ? "expected a label: printable, not empty"
			                               : "expected a test's name or a glob of names");
		struct strv *v = key[0] == 'l' ? &s->labels : &s->after;
		for (size_t i = 0; i < v->n; i++)
			if (strcmp(v->v[i], value) == 0)
				return 1;
		strv_push(v, value);
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
	for (size_t i = 0; i < over->labels.n; i++)
		(void)settings_apply(dst, "label", over->labels.v[i], NULL, NULL);
	for (size_t i = 0; i < over->after.n; i++)
		(void)settings_apply(dst, "after", over->after.v[i], NULL, NULL);
	if (over->will_fail >= 0)
		dst->will_fail = over->will_fail;
	if (over->timeout_mult >= 0)
		dst->timeout_mult = over->timeout_mult;
	if (over->isolate >= 0)
		dst->isolate = over->isolate;
	if (over->fence >= 0)
		dst->fence = over->fence;
	for (size_t i = 0; i < over->trees.n; i++)
		(void)settings_apply(dst, "tree", over->trees.v[i], NULL, NULL);
	for (size_t i = 0; i < over->shares.n; i++)
		(void)settings_apply(dst, "share", over->shares.v[i], NULL, NULL);
	for (size_t i = 0; i < over->allow_write.n; i++)
		(void)settings_apply(dst, "allow-write", over->allow_write.v[i], NULL, NULL);
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
	if (s->will_fail < 0)
		s->will_fail = 0;
	if (s->timeout_mult > 0 && s->timeout_mult != 1) {
		double t = (double)s->timeout_ns * s->timeout_mult;
		s->timeout_ns = t > 1e18 ? (int64_t)1e18 : (int64_t)t;
	}
	s->timeout_mult = 1; /* applied: a second finalise must not apply it again */
	if (s->isolate < 0)
		s->isolate = 0;
	if (s->fence < 0)
		s->fence = 0;
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
	strv_release(&s->labels);
	strv_release(&s->after);
	strv_release(&s->trees);
	strv_release(&s->shares);
	strv_release(&s->allow_write);
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

int parse_shared_writes(const char *v, int *out)
{
	if (strcmp(v, "report") == 0)
		*out = 0;
	else if (strcmp(v, "fail") == 0)
		*out = 1;
	else
		return -1;
	return 0;
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

static const struct {
	const char *name;
	int bit;
} isolate_words[] = {
    {"tmp", ISO_TMP}, {"shm", ISO_SHM}, {"net", ISO_NET}, {"tree", ISO_TREE}, {"all", ISO_ALL},
};

int parse_isolate(const char *v, int *out)
{
	int bits = 0;
	if (strcmp(v, "none") == 0) {
		*out = 0;
		return 0;
	}
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, ",");
		size_t i = 0;
		while (i < ARRAY_SIZE(isolate_words) &&
		       (strlen(isolate_words[i].name) != n || strncmp(p, isolate_words[i].name, n) != 0))
			i++;
		if (i == ARRAY_SIZE(isolate_words))
			return -1;
		bits |= isolate_words[i].bit;
		p += n;
		if (*p == ',' && *++p == '\0')
			return -1; /* "tmp," */
	}
	if (!bits)
		return -1;
	*out = bits;
	return 0;
}

const char *isolate_kind_name(int bit)
{
	for (size_t i = 0; i < ARRAY_SIZE(isolate_words); i++)
		if (bit == isolate_words[i].bit)
			return isolate_words[i].name;
	return NULL;
}

const char *isolate_name(int bits, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(isolate_words); i++)
		if (bits & isolate_words[i].bit)
			at += (size_t)snprintf(buf + at, at < len ? len - at : 0, "%s%s", at ? "," : "",
			                       isolate_words[i].name);
	if (!at)
		snprintf(buf, len, "none");
	return buf;
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
