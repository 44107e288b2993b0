/* SPDX-License-Identifier: MIT */
/**
 * @file isola/isola.h
 * @brief libisola: private sandboxes for tests, from inside C code.
 *
 * Thread-safety: every function works on the objects passed to it only; distinct objects may be
 * used from distinct threads at once, one object must not be used from two threads at once.
 * The library never prints and never exits: every failure is a return value of -1 (or NULL) and,
 * where an error object is passed, a filled struct isola_error. The one exception is running out
 * of memory, which aborts the process (as glib does) after one line on stderr.
 */
#ifndef ISOLA_ISOLA_H
#define ISOLA_ISOLA_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ISOLA_BUILDING) && defined(__GNUC__)
#define ISOLA_API __attribute__((visibility("default")))
#else
#define ISOLA_API
#endif

/**
 * What went wrong, for a human and for code.
 *
 * An all-zero struct means "no error". Filled by every call that takes one and fails.
 * Caller-owned; no heap memory inside, so there is nothing to release.
 */
struct isola_error {
	int code;            /**< errno value of the failing system call, 0 if none */
	char path[1024];     /**< the file the error is about, "" if none */
	char message[1024];  /**< one line, no "isola:" prefix, no trailing newline */
};

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/**
 * @mainpage
 * Call sequence:
 *
 *     struct isola_error err = {0};
 *     isola_sandbox *sb = isola_sandbox_new(NULL, &err);           // unique, 0700, short path
 *     isola_sandbox_copy(sb, "methods", NULL, &err);               // private writable copy
 *     isola_sandbox_mkdir(sb, "build", &err);
 *     isola_sandbox_setenv(sb, "APP_METHODS_DIR", "${ISOLA_SANDBOX}/methods", &err);
 *     char *argv[] = {"make", "-s", "run-exec", NULL};
 *     struct isola_result res = {0};
 *     isola_run(sb, argv, NULL, &res, &err);                       // argv, never a shell
 *     ... check res.exited, res.exit_code, res.out ...
 *     isola_result_release(&res);
 *     isola_sandbox_free(sb, &err);                                // removed, or kept on failure
 *
 * Every function returns 0 (or a pointer) on success and -1 (or NULL) on failure, filling *err
 * when err is not NULL. The library never prints, never exits and never calls a shell.
 */

/** A sandbox directory and what runs in it. Opaque; made by isola_sandbox_new(). */
typedef struct isola_sandbox isola_sandbox;
/** A command started with isola_start(). Opaque; freed by isola_proc_wait()/isola_proc_stop(). */
typedef struct isola_proc isola_proc;

/** What isola_sandbox_free() does with the directory. */
enum isola_keep {
	ISOLA_KEEP_ON_FAILURE = 0, /**< keep it if isola_sandbox_fail() was called (default) */
	ISOLA_KEEP_ALWAYS,         /**< always keep it */
	ISOLA_KEEP_NEVER,          /**< always remove it */
};

/** Options for isola_sandbox_new(). All-zero (or NULL) means the defaults. */
struct isola_sandbox_opts {
	/** Where the sandbox goes. NULL: $ISOLA_SANDBOX when the caller itself runs under
	 *  `isola run` (or `isola exec`), else $ISOLA_ROOT, else $TMPDIR, else /tmp. */
	const char *root;
	/** What relative SRC paths of isola_sandbox_copy() are relative to. NULL: the current
	 *  directory at the time of the call. */
	const char *base_dir;
	/** What isola_sandbox_free() does with the directory. */
	enum isola_keep keep;
	/** Keep the caller's HOME for commands instead of the sandbox's home/. */
	int keep_home;
};

/**
 * Create a sandbox: a fresh directory (mkdtemp, mode 0700, with tmp/ and home/), unique among
 * all processes and runs, in a run directory of its own (locked while the process lives). The
 * first sandbox of a process registers an atexit() handler that removes what the process did
 * not free (kept ones excepted); if the process dies without it, the next `isola run` or
 * `isola clean` does. A sandbox's first command also starts its keeper: a small process that
 * kills the sandbox's commands if the caller dies, even by SIGKILL.
 * @return a new sandbox (free it with isola_sandbox_free()), or NULL with *err filled.
 */
ISOLA_API isola_sandbox *isola_sandbox_new(const struct isola_sandbox_opts *opts,
					  struct isola_error *err);

/** The sandbox's absolute path. Borrowed: valid until isola_sandbox_free(). */
ISOLA_API const char *isola_sandbox_path(const isola_sandbox *sb);

/**
 * Stage a private writable copy of src (a file or a directory tree; relative to opts.base_dir)
 * at dest inside the sandbox (relative; NULL: src's last component; it must stay inside).
 * Modes, mtimes and symlinks are preserved; fifos, sockets and devices are refused.
 * The same code as `isola run --copy`.
 */
ISOLA_API int isola_sandbox_copy(isola_sandbox *sb, const char *src, const char *dest,
				 struct isola_error *err);

/** Create the empty directory dir (relative, parents too) inside the sandbox. */
ISOLA_API int isola_sandbox_mkdir(isola_sandbox *sb, const char *dir, struct isola_error *err);

/**
 * Set a variable for every command run in this sandbox. value may refer to ${NAME}: the
 * contract variables (ISOLA_SANDBOX, TMPDIR, HOME...) and the caller's environment; "$$" is a
 * literal "$". Expanded by the library, never by a shell. Strings are copied.
 */
ISOLA_API int isola_sandbox_setenv(isola_sandbox *sb, const char *name, const char *value,
				   struct isola_error *err);

/** Remove a variable from the environment of commands run in this sandbox. */
ISOLA_API int isola_sandbox_unsetenv(isola_sandbox *sb, const char *name,
				     struct isola_error *err);

/** Record that the test using this sandbox failed (for ISOLA_KEEP_ON_FAILURE). */
ISOLA_API void isola_sandbox_fail(isola_sandbox *sb);

/**
 * Destroy the sandbox object, removing the directory unless the keep policy keeps it (removal
 * is fd-relative, never follows symlinks and never leaves the sandbox's filesystem).
 * Commands still running in it are killed first. sb may be NULL.
 * @return 0 if removed, 1 if kept (its path was isola_sandbox_path()), -1 on error (what could
 *         not be removed stays; the object is freed all the same).
 */
ISOLA_API int isola_sandbox_free(isola_sandbox *sb, struct isola_error *err);

/** How a command's standard streams are connected. */
enum isola_stdio {
	ISOLA_STDIO_CAPTURE = 0, /**< stdin /dev/null; stdout, stderr captured (see isola_result) */
	ISOLA_STDIO_INHERIT,     /**< the caller's stdin, stdout and stderr */
};

/** Options for isola_run() and isola_start(). All-zero (or NULL) means the defaults. */
struct isola_run_opts {
	int64_t timeout_ms;  /**< stop the command after this long; 0: never */
	int64_t grace_ms;    /**< between SIGTERM and SIGKILL; 0: 1000 ms */
	size_t output_cap;   /**< bytes of stdout and of stderr kept in memory; 0: 64 KiB */
	const char *cwd;     /**< working directory, relative to the sandbox; NULL: the sandbox */
	enum isola_stdio stdio;
};

/** What a command did. All-zero is a valid empty result. Release with isola_result_release(). */
struct isola_result {
	int exited;          /**< 1 if it exited; exit_code is then valid */
	int exit_code;
	int signal;          /**< the signal that ended it, 0 if none */
	int timed_out;       /**< 1 if it was stopped at its timeout (never a success) */
	unsigned leaked;     /**< processes it left behind (killed by the library) */
	int64_t duration_ns;
	char *out;           /**< first output_cap bytes of stdout, NUL-terminated; owned */
	size_t out_len;
	int out_truncated;   /**< 1 if stdout was longer than output_cap */
	char *err;           /**< likewise for stderr */
	size_t err_len;
	int err_truncated;
	char *out_path;      /**< the full stdout, a file in the sandbox; owned (the string) */
	char *err_path;      /**< the full stderr */
};

/** Free what a result owns and zero it. res may be all-zero. */
ISOLA_API void isola_result_release(struct isola_result *res);

/**
 * Run argv (argv[0] is looked up in PATH unless it holds a '/'; never a shell) in the sandbox
 * and wait for it: its own process group, the sandbox as working directory, the environment
 * contract (ISOLA_SANDBOX, TMPDIR and HOME in the sandbox, ...) plus the sandbox's variables.
 * At the timeout: SIGTERM to its group, SIGKILL after the grace period. Processes it leaves
 * behind are killed and counted. Fills *res (release it).
 * @return 0 if the command ran (whatever its status), -1 if it could not be started.
 */
ISOLA_API int isola_run(isola_sandbox *sb, char *const argv[], const struct isola_run_opts *opts,
			struct isola_result *res, struct isola_error *err);

/** Start argv like isola_run() without waiting (e.g. a server a test then talks to). */
ISOLA_API isola_proc *isola_start(isola_sandbox *sb, char *const argv[],
				  const struct isola_run_opts *opts, struct isola_error *err);

/** The started command's pid (also its process group id). */
ISOLA_API pid_t isola_proc_pid(const isola_proc *p);

/**
 * Wait for a started command until it exits or its timeout (from isola_start) passes, then
 * stop it as isola_run() does. Fills *res and frees p.
 */
ISOLA_API int isola_proc_wait(isola_proc *p, struct isola_result *res, struct isola_error *err);

/** Stop a started command now (SIGTERM to its group, SIGKILL after the grace), fill *res and
 *  free p. res->signal tells how it ended; res->timed_out stays 0. */
ISOLA_API int isola_proc_stop(isola_proc *p, struct isola_result *res, struct isola_error *err);

/** The library's version, e.g. "0.1.0". */
ISOLA_API const char *isola_version(void);

#ifdef __cplusplus
}
#endif

#endif
