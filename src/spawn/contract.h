/* SPDX-License-Identifier: MIT */
/*
 * The environment contract: the variables every program isola starts can rely on (README,
 * isola(1)), built in one place for isola run, isola exec and libisola.
 */
#ifndef ISOLA_CONTRACT_H
#define ISOLA_CONTRACT_H

#include <stdbool.h>

#include "util/util.h"

/* Bumped when a variable of the contract changes meaning or goes away (reports carry it). */
#define CONTRACT_VERSION 1

struct contract {
	const char *run_id;
	const char *test;       /* ISOLA_TEST */
	const char *sandbox;    /* ISOLA_SANDBOX; tmp/ and home/ are inside */
	const char *source_dir; /* ISOLA_SOURCE_DIR */
	unsigned slot;
	unsigned attempt;
	unsigned iteration;     /* ISOLA_ITERATION: the run of the test (--repeat); 0 is 1 */
	bool keep_home;
	const char *mark_token; /* this program's token in ISOLA_MARK ("RUNID.N") */
	const char *xml_output; /* XML_OUTPUT_FILE (Bazel's: where a test may write JUnit XML);
	                         * NULL: not set */
};

/*
 * envp = base less `unset`, with the contract, then `set` (NAME=VALUE, ${NAME} expanded against
 * the contract first and the base second), then ISOLA_MARK (the base's chain plus the token),
 * which no setting can remove.
 */
void contract_env(const struct contract *c, char *const *base, const struct strv *set,
		  const struct strv *unset, struct strv *envp);

#endif
