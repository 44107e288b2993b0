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

char *capture_tail(const char *path, unsigned max_lines, size_t max_bytes, off_t *size)
{
	*size = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return xstrdup("");
	}
	*size = st.st_size;
	size_t want = (size_t)st.st_size < max_bytes ? (size_t)st.st_size : max_bytes;
	char *buf = xmalloc(want + 1);
	ssize_t n = pread(fd, buf, want, st.st_size - (off_t)want);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	/* Walk back over max_lines newlines (a final newline does not start a line). */
	ssize_t end = n;
	if (end > 0 && buf[end - 1] == '\n')
		end--;
	unsigned lines = 0;
	ssize_t start = end;
	while (start > 0) {
		if (buf[start - 1] == '\n' && ++lines == max_lines)
			break;
		start--;
	}
	memmove(buf, buf + start, (size_t)(n - start));
	buf[n - start] = '\0';
	return buf;
}
