/* SPDX-License-Identifier: MIT */
/*
 * One message, with file descriptors attached (SCM_RIGHTS), over a Unix socket: how isola hands
 * a test's fds to its init and pidfds to the keeper. Async-signal-safe (sendmsg, recvmsg and
 * memcpy only): isola's init calls these.
 */
#ifndef ISOLA_FDPASS_H
#define ISOLA_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

#define FDPASS_MAX 3 /* fds in one message at most */

/* Send len bytes of buf with nfds fds (0..FDPASS_MAX) attached, retrying on EINTR. Returns
 * what sendmsg returned (-1 with errno). */
ssize_t fdpass_send(int sock, const void *buf, size_t len, const int *fds, int nfds);

/* Receive one message of at most len bytes into buf; the fds attached (close-on-exec, at most
 * FDPASS_MAX; any more are closed) go to fds, their number to *nfds. flags: for recvmsg (e.g.
 * MSG_DONTWAIT). Returns what recvmsg returned; EINTR is retried. */
ssize_t fdpass_recv(int sock, void *buf, size_t len, int *fds, int *nfds, int flags);

#endif
