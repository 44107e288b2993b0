/* SPDX-License-Identifier: MIT */
/* isola clean: remove what dead runs left, and the sandboxes finished runs kept as evidence. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/exitcodes.h"
#include "sandbox/sandbox.h"

int cmd_clean(int argc, char **argv)
{
	struct cmdline cl;
	struct isola_error e = {0};
	int r = cli_parse(&cl, "clean", argc, argv, &e);
	if (r != 0) {
		if (r < 0)
			cli_error("%s", e.message);
		cli_release(&cl);
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	}
	if (cl.nargs) {
		cli_error("unexpected argument '%s' (isola clean takes only --root DIR)", cl.args[0]);
		cli_release(&cl);
		return EXIT_USAGE;
	}
	const char *root = rundir_default_root(cl.root);
	unsigned removed = 0;
	r = rundir_clean(root, true, &removed, &e);
	printf("removed %u run director%s from %s\n", removed, removed == 1 ? "y" : "ies", root);
	if (r < 0)
		cli_error("%s", e.message);
	cli_release(&cl);
	return r < 0 ? EXIT_INTERNAL : EXIT_OK;
}
