/* SPDX-License-Identifier: MIT */
/**
 * @file isola/isola.h
 * @brief libisola: private sandboxes for tests, from inside C code.
 *
 * Thread-safety: every function works on the objects passed to it only; distinct objects may be
 * used from distinct threads at once, one object must not be used from two threads at once.
 * The library never prints and never exits: every failure is a return value of -1 (or NULL) and,
 * where an error object is passed, a filled struct isola_error.
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

#ifdef __cplusplus
}
#endif

#endif
