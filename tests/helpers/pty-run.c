/* SPDX-License-Identifier: MIT */
/*
 * pty-run: run a program on a pseudo-terminal, the way a person at a terminal would, and record
 * everything it writes there (escape sequences included). For the tests of isola's status line
 * and its 't' key.
 *
 *   pty-run [-c COLS] [-o OUT] [-k FILE=KEYS]... [-w TEXT=FILE]... [-T SECS] [-m] -- PROG ARGS...
 *
 *   -c COLS       the terminal's width (default 80; 24 rows)
 *   -o OUT        write what the program printed to OUT (default: standard output)
 *   -k FILE=KEYS  once FILE exists, type KEYS (the program's stdin is the terminal too)
 *   -w TEXT=FILE  once the program has printed TEXT, create FILE (tests wait for it)
 *   -T SECS       give up after SECS seconds (default 60): kill the program, exit 124
 *   -m            at the end, print the terminal's modes to stderr ("pty-run: modes: icanon
 *                 echo"), to check that the program gave the terminal back as it found it
 *
 * Exits with the program's status (128+N if it was killed by signal N). No timing is asserted
 * anywhere: the triggers are files and text, the deadline only keeps a broken test from hanging.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

struct trigger {
	const char *a, *b; /* -k: file, keys; -w: text, file */
	bool done;
};

static struct trigger keys[16], waits[16];
static size_t nkeys, nwaits;

static bool split(char *arg, bool at_last, struct trigger *t)
{
	char *eq = at_last ? strrchr(arg, '=') : strchr(arg, '=');
	if (!eq)
		return false;
	*eq = '\0';
	t->a = arg;
	t->b = eq + 1;
	return true;
}

static void usage(void)
{
	fprintf(stderr, "usage: pty-run [-c COLS] [-o OUT] [-k FILE=KEYS]... [-w TEXT=FILE]... "
	                "[-T SECS] [-m] -- PROGRAM ARGS...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned short cols = 80;
	const char *outpath = NULL;
	int secs = 60, opt;
	bool modes = false;
	while ((opt = getopt(argc, argv, "+c:o:k:w:T:m")) != -1) {
		switch (opt) {
		case 'c':
			cols = (unsigned short)atoi(optarg);
			break;
		case 'o':
			outpath = optarg;
			break;
		case 'k':
			if (nkeys == 16 || !split(optarg, false, &keys[nkeys++]))
				usage();
			break;
		case 'w':
			if (nwaits == 16 || !split(optarg, true, &waits[nwaits++]))
				usage();
			break;
		case 'T':
			secs = atoi(optarg);
			break;
		case 'm':
			modes = true;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();

	FILE *out = outpath ? fopen(outpath, "we") : stdout;
	if (!out) {
		perror(outpath);
		return 2;
	}
	struct winsize ws = {.ws_row = 24, .ws_col = cols};
	int master;
	pid_t pid = forkpty(&master, NULL, NULL, &ws);
	if (pid < 0) {
		perror("forkpty");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[optind], argv + optind);
		perror(argv[optind]);
		_exit(127);
	}

	char *seen = NULL;
	size_t seen_len = 0;
	time_t deadline = time(NULL) + secs;
	for (;;) {
		struct pollfd p = {.fd = master, .events = POLLIN};
		int r = poll(&p, 1, 20);
		if (r > 0) {
			char buf[4096];
			ssize_t n = read(master, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break; /* EIO: every process left the terminal */
			fwrite(buf, 1, (size_t)n, out);
			fflush(out);
			seen = realloc(seen, seen_len + (size_t)n + 1);
			memcpy(seen + seen_len, buf, (size_t)n);
			seen_len += (size_t)n;
			seen[seen_len] = '\0';
		}
		for (size_t i = 0; i < nwaits; i++) {
			if (waits[i].done || !seen ||
			    !memmem(seen, seen_len, waits[i].a, strlen(waits[i].a)))
				continue;
			int fd = open(waits[i].b, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			if (fd >= 0)
				close(fd);
			waits[i].done = true;
		}
		for (size_t i = 0; i < nkeys; i++) {
			if (keys[i].done || access(keys[i].a, F_OK) != 0)
				continue;
			if (write(master, keys[i].b, strlen(keys[i].b)) < 0)
				perror("write");
			keys[i].done = true;
		}
		if (time(NULL) > deadline) {
			fprintf(stderr, "pty-run: %s still running after %d s: killed\n",
			        argv[optind], secs);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return 124;
		}
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 2;
	struct termios t;
	if (modes && tcgetattr(master, &t) == 0)
		fprintf(stderr, "pty-run: modes:%s%s\n", t.c_lflag & ICANON ? " icanon" : "",
		        t.c_lflag & ECHO ? " echo" : "");
	if (outpath)
		fclose(out);
	free(seen);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
