/* SPDX-License-Identifier: MIT */
#include "report/lineprinter.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "report/report-text.h"
#include "util/util.h"

static bool env_set(const char *name)
{
	const char *v = getenv(name);
	return v && *v;
}

void lp_init(struct line_printer *lp, FILE *out)
{
	*lp = (struct line_printer){.out = out};
	const char *term = getenv("TERM");
	lp->smart = isatty(fileno(out)) && term && *term && strcmp(term, "dumb") != 0;
	if (env_set("NO_COLOR"))
		lp->color = false;
	else if (env_set("CLICOLOR_FORCE") && strcmp(getenv("CLICOLOR_FORCE"), "0") != 0)
		lp->color = true;
	else
		lp->color = lp->smart;
}

void lp_release(struct line_printer *lp)
{
	free(lp->status);
	lp->status = NULL;
}

unsigned lp_width(const struct line_printer *lp)
{
	if (lp->width)
		return lp->width;
	struct winsize ws;
	if (ioctl(fileno(lp->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* Write the status, trimmed: one column short of the width, so that the cursor never sits in
 * the last column, where terminals disagree about wrapping. */
static void draw(struct line_printer *lp)
{
	unsigned width = lp_width(lp);
	size_t cols = width > 1 ? width - 1 : 1;
	const char *s = lp->status;
	size_t n = strlen(s);
	fputc('\r', lp->out);
	if (text_columns(s, n) <= cols) {
		fwrite(s, 1, n, lp->out);
	} else {
		size_t keep = text_fit(s, n, cols > 3 ? cols - 3 : 0);
		fwrite(s, 1, keep, lp->out);
		fputs(cols > 3 ? "..." : "", lp->out);
	}
	fputs("\033[K", lp->out);
	fflush(lp->out);
	lp->status_shown = true;
}

void lp_status(struct line_printer *lp, const char *text)
{
	if (!lp->smart)
		return;
	if (!lp->status || strcmp(lp->status, text) != 0 || !lp->status_shown) {
		free(lp->status);
		lp->status = xstrdup(text);
		draw(lp);
	}
}

void lp_status_set(struct line_printer *lp, const char *text)
{
	if (!lp->smart)
		return;
	free(lp->status);
	lp->status = xstrdup(text);
}

static void erase(struct line_printer *lp)
{
	if (lp->status_shown) {
		fputs("\r\033[K", lp->out);
		lp->status_shown = false;
	}
}

void lp_status_clear(struct line_printer *lp)
{
	erase(lp);
	fflush(lp->out);
	free(lp->status);
	lp->status = NULL;
}

FILE *lp_begin(struct line_printer *lp)
{
	erase(lp);
	return lp->out;
}

void lp_end(struct line_printer *lp)
{
	if (lp->smart && lp->status)
		draw(lp);
	else
		fflush(lp->out);
}

const char *lp_color(const struct line_printer *lp, enum lp_color c)
{
	static const char *const seq[] = {
	    [LP_RESET] = "\033[0m",  [LP_BOLD] = "\033[1m",    [LP_RED] = "\033[1;31m",
	    [LP_GREEN] = "\033[32m", [LP_YELLOW] = "\033[33m", [LP_MAGENTA] = "\033[1;35m",
	    [LP_CYAN] = "\033[36m",  [LP_DIM] = "\033[2m",
	};
	return lp->color ? seq[c] : "";
}
