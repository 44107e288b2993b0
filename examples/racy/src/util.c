/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include "util.h"

int greet(const char *variant) { return printf("hello from a %s build\n", variant) < 0; }
