#!/bin/sh
# SPDX-License-Identifier: MIT
# Exits with $EXIT_STATUS (default 0): 77 is automake's "skipped", 99 its "hard error". Run by
# the harness through isola exec, it shows those statuses reach the harness unchanged.
echo "exit_status: exiting ${EXIT_STATUS:-0}"
exit "${EXIT_STATUS:-0}"
