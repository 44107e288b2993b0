/* SPDX-License-Identifier: MIT */
#include "util.h"

int main(void) { return greet(VARIANT); }
