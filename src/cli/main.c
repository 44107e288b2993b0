/* SPDX-License-Identifier: MIT */
/* isola: the entry point. Picks the subcommand; only this stage prints and chooses exit codes. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/exitcodes.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		cli_usage(NULL);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("isola %s\n", ISOLA_VERSION);
		return EXIT_OK;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		cli_usage(NULL);
		return EXIT_OK;
	}
	if (strcmp(cmd, "help") == 0) {
		cli_usage(argc > 2 ? argv[2] : NULL);
		return EXIT_OK;
	}
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1, false);
	if (strcmp(cmd, "list") == 0)
		return cmd_run(argc - 1, argv + 1, true);
	if (strcmp(cmd, "exec") == 0)
		return cmd_exec(argc - 1, argv + 1);
	if (strcmp(cmd, "clean") == 0)
		return cmd_clean(argc - 1, argv + 1);
	if (strcmp(cmd, "merge") == 0)
		return cmd_merge(argc - 1, argv + 1);
	if (strcmp(cmd, "timings") == 0)
		return cmd_timings(argc - 1, argv + 1);
	if (strcmp(cmd, "repro") == 0)
		return cmd_repro(argc - 1, argv + 1);
	cli_error("unknown command '%s' (expected run, list, exec, merge, timings, repro, clean or help; see "
	          "isola --help)", cmd);
	return EXIT_USAGE;
}
