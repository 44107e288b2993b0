/* SPDX-License-Identifier: MIT */
/*
 * The line printer the human reporter writes through (after ninja's LinePrinter): finished-test
 * lines scroll, and on a smart terminal one status line stays below them, redrawn in place and
 * trimmed to the terminal's width. "Smart" is a tty whose TERM is set and not "dumb"; elsewhere
 * there is no status line and every line is plain.
 *
 * Colour: off if NO_COLOR is set and not empty; else on if CLICOLOR_FORCE is set and not "0"
 * (even into a pipe); else on exactly on a smart terminal.
 */
#ifndef ISOLA_LINEPRINTER_H
#define ISOLA_LINEPRINTER_H

#include <stdbool.h>
#include <stdio.h>

enum lp_color { LP_RESET, LP_BOLD, LP_RED, LP_GREEN, LP_YELLOW, LP_MAGENTA, LP_CYAN, LP_DIM };

struct line_printer {
	FILE *out;
	bool smart;
	bool color;
	bool status_shown; /* a status line is on screen, the cursor at its end */
	char *status;      /* the status to redraw after lines are printed; NULL: none */
	unsigned width;    /* fixed width for tests; 0: ask the terminal */
};

/* Decide smart and colour for out from its fd and the environment (TERM, NO_COLOR,
 * CLICOLOR_FORCE). Borrows out. */
void lp_init(struct line_printer *lp, FILE *out);
void lp_release(struct line_printer *lp);

/* The terminal's width in columns (80 if unknown). */
unsigned lp_width(const struct line_printer *lp);

/* Show text (one line, visible characters only) as the status line, trimmed to the width.
 * Does nothing unless smart. */
void lp_status(struct line_printer *lp, const char *text);
/* Remember text as the status line without drawing it: the next lp_end() draws it. */
void lp_status_set(struct line_printer *lp, const char *text);
/* Take the status line off the screen for good (at the end of the run). */
void lp_status_clear(struct line_printer *lp);

/*
 * Print lines above the status line: lp_begin() erases the status line and returns the stream
 * to write whole lines to; lp_end() flushes them and redraws the status line below.
 */
FILE *lp_begin(struct line_printer *lp);
void lp_end(struct line_printer *lp);

/* The escape sequence for c, or "" without colour. */
const char *lp_color(const struct line_printer *lp, enum lp_color c);

#endif
