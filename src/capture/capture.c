/* SPDX-License-Identifier: MIT */
#include "capture/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int capture_open(int rundir_fd, const char *rundir_path, const char *name, char **path,
		 struct isola_error *e)
{
	char *rel = xasprintf("%s.log", name);
	int fd = openat(rundir_fd, rel, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
			0600);
	*path = xasprintf("%s/%s", rundir_path, rel);
	free(rel);
	if (fd < 0)
		err_set(e, errno, *path, "cannot create log '%s'", *path);
	return fd;
}
