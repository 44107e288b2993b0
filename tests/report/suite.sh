# SPDX-License-Identifier: MIT
# The report test suite, sourced by tests/e2e/report-*.sh: make_report_suite DIR writes DIR/isola.ini
# and its scripts. One test per outcome (pass, fail, skip, error, timeout, crash, leak), a test
# that cannot start, 10 MB of output, and names and output with quotes, <, &, '#', '\', NUL, ESC,
# invalid UTF-8. Run with -j1 it is deterministic but for times, paths and ids (normalise.py).
# shellcheck shell=sh

make_report_suite() {
	d=$1
	mkdir -p "$d"
	printf '#!/bin/sh\necho "all good"\n' >"$d/pass.sh"
	# Everything a report must survive, on stdout and stderr; the TAP-looking and YAML-looking
	# lines must not be taken for the report's own.
	cat >"$d/nasty.sh" <<'SH'
#!/bin/sh
printf 'quotes: "double" and '"'"'single'"'"'\n'
printf 'markup: <a href="x">&amp; & </a> ]]> <!-- -->\n'
printf 'nul: [\000] esc: [\033[31mred\033[0m] bell: [\007] cr: [\r]\n'
printf 'bad utf-8: [\377] [\300\200] [\200] [\342\202] [\355\240\200] nonchar: [\357\277\276]\n'
printf 'good utf-8: [\303\251] [\342\234\223] [\360\237\230\200]\n'
printf 'tab:\t| backslash: \\ hash: # not a directive\n'
printf 'ok 99 - not a test point\n...\n---\n'
printf 'to stderr\n' >&2
printf 'no final newline'
exit 3
SH
	printf '#!/bin/sh\necho "no network here"\nexit 77\n' >"$d/skip.sh"
	printf '#!/bin/sh\necho "the fixture is broken" >&2\nexit 99\n' >"$d/error.sh"
	printf '#!/bin/sh\necho started\nexec sleep 60\n' >"$d/hang.sh"
	printf '#!/bin/sh\necho "about to crash"\nkill -KILL $$\n' >"$d/crash.sh"
	printf '#!/bin/sh\nsleep 60 &\necho "leaving a child behind"\n' >"$d/leak.sh"
	printf '#!/bin/sh\nyes "a line of output" | head -c 10485760\necho\necho "the last line"\nexit 1\n' >"$d/big.sh"
	printf '#!/nonexistent/interpreter\n' >"$d/interp.sh"
	chmod +x "$d"/*.sh
	{
		printf '; SPDX-License-Identifier: MIT\n[suite]\nleak = fail\ngrace = 1s\n'
		printf '[test pass]\ncommand = ./pass.sh\n'
		printf '[test fail "quoted" <tag> & '"'"'apos'"'"']\ncommand = ./nasty.sh\n'
		printf '[test skip # hash \\ backslash]\ncommand = ./skip.sh\n'
		printf '[test error]\ncommand = ./error.sh\n'
		printf '[test timeout]\ncommand = ./hang.sh\ntimeout = 300ms\n'
		printf '[test crash]\ncommand = ./crash.sh\n'
		printf '[test leak]\ncommand = ./leak.sh\n'
		printf '[test big output]\ncommand = ./big.sh\n'
		printf '[test esc \033[1m and bad \377 bytes \303\251]\ncommand = ./pass.sh\n'
		printf '[test cannot start]\ncommand = ./interp.sh\n'
	} >"$d/isola.ini"
}

# The outcomes of the suite's tests, in order (run with -j1).
# shellcheck disable=SC2034 # used by the scripts that source this file
REPORT_SUITE_OUTCOMES="PASS FAIL SKIP ERROR TIMEOUT CRASH LEAK FAIL PASS ERROR"
