#!/bin/sh
# SPDX-License-Identifier: MIT
# Defects of the hardening review, each reproduced as it was reported: isola never deletes a
# directory it cannot prove it made, never writes a report through another user's symlink in a
# sticky directory, refuses a resource that holds the sandbox root, takes -c FILE, says what is
# wrong with a config holding a NUL byte or an empty [test] section, frees its config on the
# error path, and the build adds a user's CFLAGS to its own.
. "$(dirname "$0")/lib.sh"
make_test t.sh 'exit 0'

# A user's directory that looks like a dead run: a name isola could use and a "lock" in it.
mkdir -p "$ROOT/isola-mydata/sub"
touch "$ROOT/isola-mydata/lock" "$ROOT/isola-mydata/sub/precious"
chmod 0700 "$ROOT/isola-mydata"
run_isola run --root "$ROOT" t.sh
assert_rc 0
[ -e "$ROOT/isola-mydata/sub/precious" ] || fail "isola run removed a directory it did not make"
mv "$ROOT/isola-mydata/lock" "$ROOT/isola-mydata/done"
run_isola clean --root "$ROOT"
assert_rc 0
[ -e "$ROOT/isola-mydata/sub/precious" ] || fail "isola clean removed a directory it did not make"
rm -rf "$ROOT/isola-mydata"

# -c FILE is --config FILE.
printf '[test short]\ncommand = %s/t.sh\n' "$WORK" >short.ini
run_isola run --root "$ROOT" -c short.ini
assert_rc 0
assert_has out '^PASS +[0-9.]+s  short$'
run_isola list -c short.ini
assert_rc 0
assert_has out '^short$'

# A config is text, and a [test] section says something.
printf '[suite]\ntimeout = 5s\n[test a]\ncommand = t\0.sh\n' >nul.ini
run_isola run --root "$ROOT" --config nul.ini
assert_rc 2
assert_eq "$(cat err)" "isola: nul.ini:4: a NUL byte: this is not a text file"
printf '[suite]\ntimeout = 5s\n\n[test empty]\n; nothing\n[test b]\ncommand = %s/t.sh\n' "$WORK" >empty.ini
run_isola run --root "$ROOT" --config empty.ini
assert_rc 2
assert_eq "$(cat err)" "isola: empty.ini:4: [test empty] is empty (give it a command = ..., or remove it)"
printf '[test last]\n' >last.ini
run_isola run --root "$ROOT" --config last.ini
assert_rc 2
assert_has err '^isola: last.ini:1: \[test last\] is empty'
assert_root_empty
# ... and the error path frees what the config held (the leak turned exit 2 into 1 under LSan).
# (Not for a sanitized build: LeakSanitizer checks that one, and the exit status above says so.)
if command -v valgrind >/dev/null && ! ldd "$ISOLA_BIN" | grep -q libasan; then
	set +e
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 \
		"$ISOLA_BIN" run --root "$ROOT" --config empty.ini >out 2>err
	RC=$?
	set -e
	assert_rc 2
	assert_not_has err 'definitely lost'
fi

# A resource that holds the sandbox root: refused before anything starts, in one line.
mkdir -p tree/sub/root
echo x >tree/file
run_isola run --root "$WORK/tree/sub/root" --copy tree t.sh
assert_rc 2
assert_eq "$(wc -l <err)" 1 "lines of error"
assert_has err "^isola: the resource '$WORK/tree' holds the sandbox root '$WORK/tree/sub/root'"
assert_eq "$(ls -A tree/sub/root)" "" "the sandbox root"
run_isola run --root "$WORK/tree/sub/root" --copy "$WORK/tree:t" t.sh
assert_rc 2
assert_eq "$(ls -A tree/sub/root)" "" "the sandbox root"

# Root's report never goes through another user's symlink in a sticky, world-writable directory.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	# A sticky directory the other user can reach (WORK is root's, 0700), removed at the end.
	sticky=$(mktemp -d /tmp/isola-e2e-sticky.XXXXXX)
	trap 'rm -rf "$sticky"; cleanup_work' EXIT
	chmod 1777 "$sticky"
	echo original >victim
	setpriv --reuid=4245 --regid=4245 --clear-groups ln -s "$WORK/victim" "$sticky/junit.xml"
	run_isola run --root "$ROOT" --junit "$sticky/junit.xml" t.sh
	assert_rc 2
	assert_has err "^isola: cannot create JUnit report '$sticky/junit.xml': it is a symlink of another user's \(uid 4245\) in a sticky, world-writable directory"
	assert_eq "$(cat victim)" original "the symlink's target"
	assert_root_empty
	# Our own symlink there is followed as before.
	rm "$sticky/junit.xml"
	: >mine.xml
	ln -s "$WORK/mine.xml" "$sticky/junit.xml"
	run_isola run --root "$ROOT" --junit "$sticky/junit.xml" t.sh
	assert_rc 0
	assert_has mine.xml '<testsuites'
fi

# The build: a user's CFLAGS add to the build's own (-fPIC, the include paths), never replace them.
top=$ISOLA_SOURCE_DIR
make -s -n -B -C "$top" B="$WORK/b" CFLAGS='-O0 -g' lib >build.log 2>&1 || fail "make -n failed: $(tail -n 5 build.log)"
compiles=$(grep -c ' -c -o ' build.log)
[ "$compiles" -gt 10 ] || fail "make -n showed $compiles compile commands"
[ "$(grep ' -c -o ' build.log | grep -c -- '-fPIC .*-O0 -g')" = "$compiles" ] ||
	fail "a compile command lacks -fPIC before the user's CFLAGS: $(grep ' -c -o ' build.log | grep -v -- -fPIC | head -n 1)"
