#!/bin/sh
# SPDX-License-Identifier: MIT
# Every bad input is refused before anything runs: exit 2, one clear line on stderr naming the
# value (and the file and line for the config file), nothing left under the root, no process.
. "$(dirname "$0")/lib.sh"

make_test ok.sh "touch \"$WORK/ran\""
mkdir res
echo data >res/f

# expect_bad REGEX ARGS...: isola ARGS fails with exit 2 and one line matching REGEX.
expect_bad() {
	want=$1
	shift
	run_isola "$@"
	assert_rc 2
	assert_has err "^isola: $want"
	n=$(wc -l <err)
	[ "$n" -eq 1 ] || fail "expected one line on stderr for '$*', got $n"
	[ ! -s out ] || fail "expected nothing on stdout for '$*'"
	[ ! -e ran ] || fail "a test ran despite '$*'"
	assert_root_empty
}

expect_bad "unknown option '--bogus' \\(see isola run --help\\)$" run --root "$ROOT" --bogus ok.sh
expect_bad "unknown option '-Z'" run --root "$ROOT" -Z ok.sh
expect_bad "unknown command 'walk'" walk
expect_bad "option '--timeout' needs a value" run --root "$ROOT" ok.sh --timeout
expect_bad "test 'missing.sh' not found: No such file or directory$" run --root "$ROOT" missing.sh
expect_bad "no executable test matches 'nothing\\*'$" run --root "$ROOT" 'nothing*'
echo 'echo hi' >plain.sh
expect_bad "test 'plain.sh' is not executable \\(chmod \\+x it\\)$" run --root "$ROOT" plain.sh
expect_bad "test 'res' is not a regular file$" run --root "$ROOT" res
expect_bad "cannot copy '$WORK/nope': No such file or directory$" run --root "$ROOT" --copy nope ok.sh
expect_bad "--copy: destination '../x' must be a relative path inside the sandbox" run --root "$ROOT" --copy res:../x ok.sh
expect_bad "--copy: destination '/etc' must be a relative path" run --root "$ROOT" --copy res:/etc ok.sh
expect_bad "--copy: destination 'a/../../b' must be a relative path" run --root "$ROOT" --copy res:a/../../b ok.sh
expect_bad "--mkdir: destination '..' must be a relative path" run --root "$ROOT" --mkdir .. ok.sh
mkfifo res/fifo
expect_bad "cannot copy '$WORK/res/fifo': it is a fifo; only files, directories and symlinks are staged$" run --root "$ROOT" --copy res ok.sh
rm res/fifo
expect_bad "--env: invalid environment variable name '1BAD'" run --root "$ROOT" --env 1BAD=x ok.sh
expect_bad "--env: environment setting 'NOEQUALS' has no '='" run --root "$ROOT" --env NOEQUALS ok.sh
expect_bad "--env: 'X=\\\$\\{NOT_SET_ANYWHERE\\}' refers to \\\$\\{NOT_SET_ANYWHERE\\}, which is not set" run --root "$ROOT" --env 'X=${NOT_SET_ANYWHERE}' ok.sh
expect_bad "--env: unterminated '\\\$\\{' in 'X=\\\$\\{OOPS'" run --root "$ROOT" --env 'X=${OOPS' ok.sh
expect_bad "--unset: invalid environment variable name 'A-B'" run --root "$ROOT" --unset A-B ok.sh
expect_bad "invalid value '0' for --jobs \\(expected a number from 1 to 4096, or auto\\)$" run --root "$ROOT" -j 0 ok.sh
expect_bad "invalid value 'abc' for --jobs" run --root "$ROOT" -j abc ok.sh
expect_bad "invalid value '-1' for --jobs" run --root "$ROOT" --jobs=-1 ok.sh
expect_bad "--timeout: invalid value '5x' for timeout \\(expected a duration" run --root "$ROOT" --timeout 5x ok.sh
expect_bad "--grace: invalid value '-2s' for grace" run --root "$ROOT" --grace -2s ok.sh
expect_bad "invalid value 'some' for --keep \\(expected failed, all or none\\)$" run --root "$ROOT" --keep some ok.sh
expect_bad "--leak: invalid value 'maybe' for leak \\(expected warn or fail\\)$" run --root "$ROOT" --leak maybe ok.sh
expect_bad "invalid value 'x' for --retries" run --root "$ROOT" --retries x ok.sh
ISOLA_JOBS=many expect_bad "invalid ISOLA_JOBS 'many'" run --root "$ROOT" ok.sh
expect_bad "cannot read config file 'nope.ini': No such file or directory$" run --root "$ROOT" --config nope.ini
expect_bad "no tests: the config file declares none" run --root "$ROOT" --config /dev/null
expect_bad "no tests given \\(name test programs or globs, or write an isola.ini" run --root "$ROOT"
expect_bad "no test is left after -k/--exclude" run --root "$ROOT" -k 'zzz*' ok.sh
expect_bad "unexpected argument 'x'" clean --root "$ROOT" x
expect_bad "option '--copy' is not for isola clean \\(it takes --root DIR\\)$" clean --root "$ROOT" --copy x
expect_bad "--copy: destination '.isola/x' is reserved for isola's own use in the sandbox$" run --root "$ROOT" --copy res:.isola/x ok.sh
expect_bad "--copy: destination '.isola-output' is reserved" run --root "$ROOT" --copy res:.isola-output ok.sh

# An unwritable or missing sandbox root.
expect_bad "cannot create a run directory under '$WORK/no/such/root' \\(pass --root DIR or set ISOLA_ROOT\\): No such file or directory$" run --root "$WORK/no/such/root" ok.sh
mkdir ro_root
chmod 0500 ro_root
if [ "$(id -u)" -ne 0 ]; then
	expect_bad "cannot create a run directory under '$WORK/ro_root'.*Permission denied$" run --root "$WORK/ro_root" ok.sh
fi
# Root ignores permission bits; a root on a read-only filesystem stands in for it.
if [ -w /proc/sys ] || true; then
	expect_bad "cannot create a run directory under '/proc/self'" run --root /proc/self ok.sh
fi
ISOLA_ROOT="$WORK/no/such/root" expect_bad "cannot create a run directory under '$WORK/no/such/root'" run ok.sh

# Malformed config files: FILE:LINE: and the offending key or value.
cfg() { printf '%s\n' "$@" >bad.ini; }
cfg '[suite]' 'tests = ok.sh' 'timeout = soon'
expect_bad "bad.ini:3: invalid value 'soon' for timeout" run --root "$ROOT" --config bad.ini
cfg '[suite]' 'colour = blue'
expect_bad "bad.ini:2: unknown key 'colour' in \\[suite\\]$" run --root "$ROOT" --config bad.ini
cfg '; comment' '[suite]' 'tests = ok.sh' '[tset x]' 'timeout = 1s'
expect_bad "bad.ini:4: unknown section \\[tset x\\]" run --root "$ROOT" --config bad.ini
cfg '[suite]' 'tests = ok.sh' 'this line is not ini'
expect_bad "bad.ini:3: syntax error" run --root "$ROOT" --config bad.ini
cfg '[suite]' 'tests = ok.sh' '' 'copy = res:../../etc'
expect_bad "bad.ini:4: destination '../../etc' must be a relative path" run --root "$ROOT" --config bad.ini
cfg '[suite]' 'env = 9X=1' 'tests = ok.sh'
expect_bad "bad.ini:2: invalid environment variable name '9X'" run --root "$ROOT" --config bad.ini
cfg '[suite]' 'jobs = 0' 'tests = ok.sh'
expect_bad "bad.ini:2: invalid value '0' for jobs" run --root "$ROOT" --config bad.ini
cfg '[suite]' 'keep = sometimes'
expect_bad "bad.ini:2: invalid value 'sometimes' for keep" run --root "$ROOT" --config bad.ini
cfg '[test t]' 'command = "unterminated'
expect_bad "bad.ini:2: invalid command '\"unterminated'" run --root "$ROOT" --config bad.ini
cfg '[test t]' 'command = no-such-program-anywhere --flag'
expect_bad "bad.ini:2: command 'no-such-program-anywhere' of test 't' is not an executable program found in PATH$" run --root "$ROOT" --config bad.ini
cfg '[suite]' 'tests = nomatch*'
expect_bad "bad.ini: \\[suite\\] tests: no executable test matches 'nomatch\\*'$" run --root "$ROOT" --config bad.ini
cfg '[suite]' "env = X=$(head -c 300 /dev/zero | tr '\0' 'x')"
expect_bad "bad.ini:2: line longer than" run --root "$ROOT" --config bad.ini
cfg '[suite]' 'tests = ok.sh' 'copy = nope'
expect_bad "cannot copy '$WORK/nope': No such file or directory$" run --root "$ROOT" --config bad.ini
assert_no_procs
