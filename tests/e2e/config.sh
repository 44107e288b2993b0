#!/bin/sh
# SPDX-License-Identifier: MIT
# The config file: default ./isola.ini, [suite] defaults, [test NAME] sections with commands and
# their own settings, globs relative to the file, and the command line overriding the file.
. "$(dirname "$0")/lib.sh"

mkdir -p proj/t proj/methods other
echo m >proj/methods/m
printf '#!/bin/sh\necho "a:$MODE:$(cat methods/m)"; [ "$MODE" = suite ]\n' >proj/t/a.sh
printf '#!/bin/sh\necho "b:$MODE"; [ "$MODE" = special ] && [ -d out ]\n' >proj/t/b.sh
printf 'not executable\n' >proj/t/readme.txt
chmod +x proj/t/a.sh proj/t/b.sh
cat >proj/isola.ini <<'INI'
; a comment
[suite]
tests = t/*.sh
copy = methods
env = MODE=suite
jobs = 2

[test t/b.sh]
env = MODE=special
mkdir = out

[test make-like]
command = sh -c 'echo "args: $0 $1"; [ "$1" = "two words" ]' "first" "two words"
INI
cd proj
run_isola list
assert_rc 0
assert_eq "$(cat "$WORK/out" | tr '\n' ' ')" "t/a.sh t/b.sh make-like "
run_isola run --root "$ROOT"
assert_rc 0
assert_eq "$(tail -n 1 "$WORK/out")" "3 passed, 0 failed"

# The command line overrides the file: a later --env of the same name wins over the file's.
run_isola run --root "$ROOT" --env MODE=cli -k 't/a.sh'
assert_rc 1
assert_has "$WORK/out" '^    \| a:cli:m$'

# Naming tests on the command line runs those (config sections still apply to them).
run_isola run --root "$ROOT" make-like t/b.sh
assert_rc 0
assert_eq "$(tail -n 1 "$WORK/out")" "2 passed, 0 failed"

# --config from elsewhere: paths are relative to the file, not to the current directory.
cd "$WORK/other"
run_isola run --root "$ROOT" --config ../proj/isola.ini
assert_rc 0
assert_eq "$(tail -n 1 "$WORK/out")" "3 passed, 0 failed"

# isola list -v shows each test's command and resources.
run_isola list --config ../proj/isola.ini -v -k make-like
assert_rc 0
assert_has "$WORK/out" '^make-like$'
assert_has "$WORK/out" '^  command: /.*/sh -c '

# " ;" starts an INI comment: in a command it would run less than was written, so it is refused;
# a quoted ";" is an argument like any other.
make_test semi.sh '[ "$1" = ";" ] && [ "$2" = x ]'
printf '[test cut]\ncommand = %s/semi.sh ; x\n' "$WORK" >"$WORK/semi.ini"
run_isola run --root "$ROOT" --config "$WORK/semi.ini"
assert_rc 2
assert_eq "$(cat "$WORK/err")" "isola: $WORK/semi.ini:2: ' ;' starts a comment in this file, which would cut the command short (commands run no shell); to pass ';' as an argument, quote it: \";\""
printf '[test quoted]\ncommand = %s/semi.sh ";" x\ntimeout = 5s ; a comment elsewhere is fine\n' "$WORK" >"$WORK/semi.ini"
run_isola run --root "$ROOT" --config "$WORK/semi.ini"
assert_rc 0
assert_has "$WORK/out" '^PASS +[0-9.]+s  quoted$'
