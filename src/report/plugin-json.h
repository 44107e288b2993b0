/* SPDX-License-Identifier: MIT */
/* Inside report-json.so only: what its two writers share. */
#ifndef ISOLA_PLUGIN_JSON_H
#define ISOLA_PLUGIN_JSON_H

#include <jansson.h>
#include <stddef.h>

/* A jansson string of s (NULL: JSON null), made valid UTF-8 first: jansson refuses anything
 * else, and a test's name or output may be anything. New reference. */
json_t *text_json(const char *s);
json_t *text_jsonn(const char *s, size_t n);

#endif
