/* SPDX-License-Identifier: MIT */
/* Passes only when it runs in an isola sandbox: its working directory is $ISOLA_SANDBOX, its
 * TMPDIR is inside, and the out/ directory asked for with --mkdir is there and empty. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	const char *sb = getenv("ISOLA_SANDBOX"), *tmp = getenv("TMPDIR");
	char cwd[4096];
	if (!sb || !getcwd(cwd, sizeof(cwd)) || strcmp(cwd, sb) != 0) {
		fprintf(stderr, "probe: not in a sandbox (ISOLA_SANDBOX=%s)\n",
		        sb ? sb : "(unset)");
		return 1;
	}
	if (!tmp || strncmp(tmp, sb, strlen(sb)) != 0) {
		fprintf(stderr, "probe: TMPDIR=%s is not in the sandbox\n", tmp ? tmp : "(unset)");
		return 1;
	}
	DIR *d = opendir("out");
	if (!d) {
		fprintf(stderr, "probe: no out/ directory in the sandbox\n");
		return 1;
	}
	closedir(d);
	printf("probe: in sandbox %s\n", sb);
	return 0;
}
