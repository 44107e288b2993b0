/* SPDX-License-Identifier: MIT */
/*
 * The program under test: a tiny "method compiler". It compiles every *.method file in
 * $APP_METHODS_DIR (default: methods) in place: it checks the method, takes a moment, and rewrites
 * the file with a "compiled=yes" line. A method that is already compiled is an error, as is one
 * that changes while it is being compiled.
 *
 * So the test that runs it must give it a private copy of methods/: two runs sharing one
 * directory trip over each other's rewrites, and a second run on the same directory finds the
 * first run's output. `make run-exec` builds it into $BUILD_DIR first, which must be private too.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_METHODS 64

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The whole file, NUL-terminated, or NULL with errno set. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	char buf[4096];
	size_t n;
	while (mem && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, mem);
	int failed = ferror(f) || !mem;
	fclose(f);
	if (mem)
		fclose(mem);
	if (failed) {
		free(text);
		errno = EIO;
		return NULL;
	}
	return text;
}

/* The value of "key=" at the start of a line, up to the end of the line, or "". */
static void field(const char *text, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	out[0] = '\0';
	for (const char *line = text; *line;) {
		if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
			const char *v = line + klen + 1;
			size_t n = strcspn(v, "\n");
			if (n >= size)
				n = size - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return;
		}
		const char *nl = strchr(line, '\n');
		if (!nl)
			return;
		line = nl + 1;
	}
}

static int compile_method(const char *dir, const char *file)
{
	char path[4096], tmp[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	char *text = slurp(path);
	if (!text) {
		fprintf(stderr, "app: cannot read '%s': %s\n", path, strerror(errno));
		return -1;
	}
	char name[256], body[256], compiled[16];
	field(text, "name", name, sizeof(name));
	field(text, "body", body, sizeof(body));
	field(text, "compiled", compiled, sizeof(compiled));
	if (*compiled) {
		fprintf(stderr, "app: '%s' is already compiled: another run used this directory\n",
		        path);
		free(text);
		return -1;
	}

	/* Checking a method takes a moment: long enough for a second run to get in the way. */
	nanosleep(&(struct timespec){.tv_nsec = 50 * 1000 * 1000}, NULL);

	char *again = slurp(path);
	int changed = !again || strcmp(again, text) != 0;
	free(again);
	if (changed) {
		fprintf(stderr, "app: '%s' changed while it was being compiled\n", path);
		free(text);
		return -1;
	}
	FILE *out = fopen(tmp, "we");
	int ok = out && fputs(text, out) >= 0 && fputs("compiled=yes\n", out) >= 0;
	if (out && fclose(out) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		fprintf(stderr, "app: cannot rewrite '%s': %s\n", path, strerror(errno));
		free(text);
		return -1;
	}
	printf("%s: %s\n", name, body);
	free(text);
	return 0;
}

int main(void)
{
	const char *dir = getenv("APP_METHODS_DIR");
	if (!dir || !*dir)
		dir = "methods";
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "app: cannot open '%s': %s\n", dir, strerror(errno));
		return 1;
	}
	char *files[MAX_METHODS];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < MAX_METHODS) {
		size_t len = strlen(e->d_name);
		if (len > 7 && strcmp(e->d_name + len - 7, ".method") == 0)
			files[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(files, n, sizeof(files[0]), by_name);

	int failed = 0;
	for (size_t i = 0; i < n; i++) {
		if (compile_method(dir, files[i]) < 0)
			failed = 1;
		free(files[i]);
	}
	if (failed)
		return 1;
	printf("compiled %zu methods\n", n);
	return 0;
}
