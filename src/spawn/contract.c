/* SPDX-License-Identifier: MIT */
#include "spawn/contract.h"

#include "sandbox/sandbox.h"
#include "spawn/environ.h"
#include "spawn/proctree.h"

struct lookup_ctx {
	char *const *contract;
	char *const *base;
};

static const char *lookup_var(void *ctx, const char *name, size_t len)
{
	struct lookup_ctx *c = ctx;
	const char *v = env_lookup_in(c->contract, name, len);
	return v ? v : env_lookup_in(c->base, name, len);
}

void contract_env(const struct contract *c, char *const *base, const struct strv *set,
		  const struct strv *unset, struct strv *envp)
{
	struct strv vars = STRV_INIT;
	const char *sb = c->sandbox;

	strv_push(&vars, "ISOLA=1");
	strv_push_take(&vars, xasprintf("ISOLA_RUN_ID=%s", c->run_id));
	strv_push_take(&vars, xasprintf("ISOLA_TEST=%s", c->test));
	strv_push_take(&vars, xasprintf("ISOLA_SANDBOX=%s", sb));
	strv_push_take(&vars, xasprintf("ISOLA_SLOT=%u", c->slot));
	strv_push_take(&vars, xasprintf("ISOLA_ATTEMPT=%u", c->attempt));
	strv_push_take(&vars, xasprintf("ISOLA_ITERATION=%u", c->iteration ? c->iteration : 1));
	strv_push_take(&vars, xasprintf("ISOLA_SOURCE_DIR=%s", c->source_dir));
	static const char *const tmpvars[] = {"TMPDIR", "TMP", "TEMP", "TEST_TMPDIR"};
	for (size_t i = 0; i < ARRAY_SIZE(tmpvars); i++)
		strv_push_take(&vars, xasprintf("%s=%s/tmp", tmpvars[i], sb));
	if (!c->keep_home)
		strv_push_take(&vars, xasprintf("HOME=%s/home", sb));
	/* Bazel's test contract, so that a test written for Bazel (and gtest, which knows it)
	 * works unchanged. */
	strv_push_take(&vars, xasprintf("TEST_UNDECLARED_OUTPUTS_DIR=%s/" SANDBOX_OUTPUTS, sb));
	strv_push_take(&vars, xasprintf("TEST_PREMATURE_EXIT_FILE=%s/" SANDBOX_PREMATURE, sb));
	strv_push_take(&vars, xasprintf("TEST_WARNINGS_OUTPUT_FILE=%s/" SANDBOX_WARNINGS, sb));
	if (c->xml_output)
		strv_push_take(&vars, xasprintf("XML_OUTPUT_FILE=%s", c->xml_output));

	/* Settings expand against the contract as it stands: into a list of their own, since
	 * growing `vars` while ctx points into it would move it under our feet. */
	struct lookup_ctx ctx = {.contract = strv_get(&vars), .base = base};
	struct strv expanded = STRV_INIT;
	for (size_t i = 0; set && i < set->n; i++)
		strv_push_take(&expanded, env_expand(set->v[i], lookup_var, &ctx));
	for (size_t i = 0; i < expanded.n; i++)
		strv_push_take(&vars, expanded.v[i]);
	free(expanded.v);

	const char *chain = env_lookup_in(base, MARK_VAR, sizeof(MARK_VAR) - 1);
	strv_push_take(&vars, xasprintf(MARK_VAR "=%s%s%s", chain ? chain : "",
					chain && *chain ? ":" : "", c->mark_token));
	env_build(base, unset, &vars, envp);
	strv_release(&vars);
}
