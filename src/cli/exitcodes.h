/* SPDX-License-Identifier: MIT */
/* isola's exit codes: the one place they are defined (documented in isola(1)). */
#ifndef ISOLA_EXITCODES_H
#define ISOLA_EXITCODES_H

enum isola_exit {
	EXIT_OK = 0,          /* every test passed or was skipped */
	EXIT_TESTS_FAILED = 1, /* some test did not pass */
	EXIT_USAGE = 2,       /* bad command line, config file or input: nothing was run */
	EXIT_INTERNAL = 3,    /* isola itself failed */
	EXIT_SIGNAL_BASE = 128, /* interrupted by signal N: 128 + N (130 for Ctrl-C) */
};

/* isola exec: the command's own status passes through, so isola's own failures use these. */
enum isola_exec_exit {
	EXEC_EXIT_ISOLA = 125,    /* isola could not set up the sandbox (like env(1)) */
	EXEC_EXIT_CANNOT_RUN = 126, /* the program exists but could not be executed */
	EXEC_EXIT_NOT_FOUND = 127,  /* the program was not found */
};

#endif
