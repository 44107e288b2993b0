/* SPDX-License-Identifier: MIT */
int greet(const char *variant);
