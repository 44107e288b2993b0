#!/bin/sh
# SPDX-License-Identifier: MIT
# The write fence (--fence, fence = true; --allow-write PATH). A test writing outside its
# sandbox is refused with EACCES and the report names the path; the same test without --fence
# writes. Writes in the sandbox, TMPDIR, HOME, a --copy overlay and an --allow-write path
# succeed; rename, unlink, mkdir, symlink outside are refused, for the test's children too.
# Without Landlock (ISOLA_TEST_NO_LANDLOCK), --fence is refused before anything is made. As root
# and as an ordinary user (with and without user namespaces) when run as root.
. "$(dirname "$0")/lib.sh"

# Refused without Landlock: exit 2, one line naming why and what to do, nothing created.
make_test probe.sh 'exit 0'
export ISOLA_TEST_NO_LANDLOCK=1
assert_refused "^isola: --fence needs Landlock, and Landlock is disabled \\(ISOLA_TEST_NO_LANDLOCK\\): run without --fence" --fence probe.sh
printf '[suite]\nfence = true\n' >fenced.ini
assert_refused "needs Landlock" -c fenced.ini probe.sh
# Without --fence the hook changes nothing.
run_isola run --root "$ROOT" probe.sh
assert_rc 0
unset ISOLA_TEST_NO_LANDLOCK

# Is there Landlock here at all? If not, the rest cannot run: the refusal is all there is.
run_isola run --root "$ROOT" --fence probe.sh
if [ "$RC" -eq 2 ] && grep -q "needs Landlock" err; then
	cat err
	echo "SKIP: this kernel has no Landlock (the refusal without it was tested)"
	exit 77
fi
assert_rc 0

# Bad --allow-write values: one line each, nothing created.
assert_refused "^isola: invalid value '$WORK/nope' for allow-write \\(No such file or directory: the fence allows writing beneath a path that exists; create it first\\)$" \
	--fence --allow-write nope probe.sh
assert_refused "^isola: --allow-write: invalid value '' for allow-write \\(expected a path\\)$" --fence --allow-write '' probe.sh

# isola exec has no fence: it refuses the options rather than ignoring them.
for opt in --fence "--allow-write=$WORK"; do
	run_isola exec "$opt" -- touch "$WORK/exec-ran"
	assert_rc 125
	assert_has err "^isola: exec: option '--(fence|allow-write)' is for isola run, not isola exec$"
	[ ! -e exec-ran ] || fail "isola exec ran its command despite $opt"
done

mkdir outside allowed res
echo original >res/f
echo keep >outside/victim
echo keep >outside/from

# Writes outside: refused (and nothing is written), the path named in the reason and JSON; the
# JSON, JUnit and the HTML's failure say it was fenced, and with which Landlock ABI.
make_test out.sh 'echo hi >"$OUT/x" && echo wrote'
run_isola run --root "$ROOT" --keep none -v --fence --env "OUT=$WORK/outside" --json out.jsonl \
	--junit out.xml --html out.html out.sh
assert_rc 1
[ ! -e outside/x ] || fail "a fenced test wrote outside its sandbox"
assert_has out "^FAIL .* out\\.sh \\(exit [0-9]+; fence refused: $WORK/outside/x\\)"
assert_has out "cannot create $WORK/outside/x: Permission denied"
assert_has out "^    fenced \\(Landlock ABI [1-9][0-9]*\\)$"
assert_has out.jsonl "\"fence_refused\":\\[\"$WORK/outside/x\"\\]"
assert_has out.jsonl '"fence_abi":[1-9]'
python3 "$ISOLA_SOURCE_DIR/tests/report/check_json.py" out.jsonl >/dev/null ||
	fail "the JSON report does not validate"
# The ABI -v names, and nothing of --isolate (not asked).
abi=$(sed -n 's/^    fenced (Landlock ABI \([0-9]*\))$/\1/p' out)
assert_eq "$(python3 "$ISOLA_SOURCE_DIR/tests/report/isolation.py" out.jsonl)" "out.sh fence_abi $abi"
xmllint --noout --schema "$ISOLA_SOURCE_DIR/tests/report/junit.xsd" out.xml 2>xmllint.err ||
	fail "JUnit: $(head -n 5 xmllint.err)"
# isola merge carries them on.
run_isola merge --json merged.jsonl --junit merged.xml --html merged.html out.jsonl
assert_has merged.jsonl "\"fence_refused\":\\[\"$WORK/outside/x\"\\]"
assert_has merged.jsonl "\"fence_abi\":$abi,"
for x in out merged; do
	assert_eq "$(xmllint --xpath 'string(//testcase[@name="out.sh"]//property[@name="fenced"]/@value)' $x.xml)" \
		"Landlock ABI $abi" "$x.xml"
	assert_not_has $x.xml 'name="(isolated|not_isolated|trees)"'
	assert_has $x.html "^<p class=\"isolation\">fenced \\(Landlock ABI $abi\\)</p>$"
done
# The same test without the fence writes.
run_isola run --root "$ROOT" -v --env "OUT=$WORK/outside" --json plain.jsonl --junit plain.xml out.sh
assert_rc 0
assert_eq "$(cat outside/x)" hi "written without --fence"
assert_not_has out "fenced"
assert_not_has plain.jsonl "fence_"
assert_not_has plain.xml 'name="fenced"'
rm outside/x

# Every kind of change outside is refused, by the test and by its children: each attempt must
# fail with "Permission denied" (EACCES), or the test fails.
make_test ops.sh '
set -u
refused() { if "$@" 2>err; then echo "NOT REFUSED: $*"; bad=1; else cat err; grep -q "Permission denied" err || { echo "not EACCES: $*"; bad=1; }; fi; }
bad=0
refused sh -c "echo x >\"\$OUT/new\""
refused sh -c "echo x >>\"\$OUT/victim\""
refused sh -c ": >\"\$OUT/victim\""
refused mv "$OUT/from" "$OUT/to"
refused mv "$OUT/from" ./here
refused rm "$OUT/victim"
refused mkdir "$OUT/dir"
refused ln -s target "$OUT/link"
refused ln "$OUT/victim" "$OUT/hardlink"
refused mkfifo "$OUT/fifo"
# A grandchild started in the background, after a fork: the fence is inherited.
(sh -c "echo x >\"\$OUT/grandchild\"" 2>gc.err; echo $? >gc.rc) &
wait
[ "$(cat gc.rc)" != 0 ] && grep -q "Permission denied" gc.err || { echo "grandchild not refused"; bad=1; }
exit $bad'
run_isola run --root "$ROOT" --fence --env "OUT=$WORK/outside" ops.sh
assert_rc 0
assert_eq "$(ls outside | tr '\n' ' ')" "from victim " "nothing changed outside"
assert_eq "$(cat outside/victim)" keep "the victim is unchanged"
# Without the fence, the same test fails: every operation works (so each check can fail).
run_isola run --root "$ROOT" --keep none --env "OUT=$WORK/outside" ops.sh
assert_rc 1
assert_has out "NOT REFUSED: mkdir"
rm -rf outside && mkdir outside && echo keep >outside/victim && echo keep >outside/from

# Where a fenced test may write: its sandbox, TMPDIR, HOME, its --copy (overlay or copy), an
# --allow-write path (and beneath it), the devices, and its stdout reopened by path.
make_test inside.sh '
set -e
echo a >./in-sandbox && mkdir ./d && ln -s a ./d/l && mv ./in-sandbox ./d/moved && rm ./d/l
echo b >"$TMPDIR/t" && rm "$TMPDIR/t"
echo c >"$HOME/h" && mkdir "$HOME/hd"
echo changed >res/f && echo new >res/g && rm res/g && mkdir res/sub
echo d >"$ALLOWED/a" && mkdir -p "$ALLOWED/deep/er" && echo e >"$ALLOWED/deep/er/f"
mv "$ALLOWED/a" "$ALLOWED/deep/a"
echo f >/dev/null && echo to-stdout >/dev/stdout
echo all-written'
run_isola run --root "$ROOT" -v --fence --copy res --allow-write allowed \
	--env "ALLOWED=$WORK/allowed" inside.sh
assert_rc 0
assert_has out "^PASS .* inside\\.sh"
assert_has out "fenced \\(Landlock ABI"
assert_eq "$(cat allowed/deep/a)" d "written through --allow-write"
assert_eq "$(cat res/f)" original "--copy staged a private copy"

# With a private /tmp too: what is bound back into it at its own path (the program's directory,
# the real thing) is not the test's to write; an --allow-write the private /tmp hides is nothing
# to allow, not an error. (This suite's $WORK lies under /tmp: the program's directory is bound
# back; a directory made in the real /tmp is hidden.)
case $WORK in
/tmp/*)
	HIDDEN=$(mktemp -d /tmp/isola-e2e-fence-hidden.XXXXXX)
	make_test progdir.sh 'if echo x >"$(dirname "$0")/progdir-wrote"; then echo wrote; exit 1; fi
[ ! -e "$HIDDEN" ] || { echo "the real /tmp shows"; exit 1; }
echo in-sandbox >"$ISOLA_SANDBOX/s" && echo ok'
	run_isola run --root "$ROOT" --keep none -v --isolate tmp --fence --allow-write "$HIDDEN" \
		--env "HIDDEN=$HIDDEN" progdir.sh
	rmdir "$HIDDEN"
	assert_rc 0
	assert_has out "^PASS .* progdir\\.sh"
	assert_has out "progdir-wrote: Read-only file system"
	[ ! -e progdir-wrote ] || fail "a fenced test wrote into its program's directory bound back in /tmp"
	;;
*) echo "the program's directory under a private /tmp: not tested (\$WORK is not under /tmp)" ;;
esac

# fence = true and allow-write = in a config file, per test: only that test is fenced.
cat >isola.ini <<INI
[suite]
tests = out.sh
tests = inside.sh
[test out.sh]
fence = true
[test inside.sh]
fence = true
allow-write = allowed
INI
run_isola run --root "$ROOT" --keep none -v --copy res --env "OUT=$WORK/outside" --env "ALLOWED=$WORK/allowed"
assert_rc 1
assert_has out "^FAIL .* out\\.sh \\(.*fence refused: $WORK/outside/x\\)"
assert_has out "^PASS .* inside\\.sh"
[ ! -e outside/x ] || fail "the config's fence did not hold"
rm isola.ini
assert_root_empty

# As an ordinary user: through a user namespace (pid namespace) and without one (subreaper:
# then no_new_privs is what lets Landlock apply).
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	echo "as an ordinary user: not tested (needs root and setpriv)"
	exit 0
fi
UID_TEST=4245
UDIR=$(mktemp -d /tmp/isola-e2e-fence.XXXXXX)
chmod 0755 "$UDIR"
trap 'cd /; rm -rf "$UDIR"; cleanup_work' EXIT
cp "$ISOLA_BIN" "$UDIR/isola"
cp "$WORK/out.sh" "$WORK/inside.sh" "$UDIR/"
mkdir "$UDIR/root" "$UDIR/outside" "$UDIR/allowed" "$UDIR/res"
echo original >"$UDIR/res/f"
chown -R "$UID_TEST:$UID_TEST" "$UDIR"
for mode in "" ISOLA_TEST_NO_USERNS=1; do
	as_user env $mode ./isola run --root "$UDIR/root" --keep none -v --fence --env "OUT=$UDIR/outside" out.sh
	assert_rc 1
	assert_has "$WORK/out" "fence refused: $UDIR/outside/x"
	assert_has "$WORK/out" "fenced \\(Landlock ABI"
	[ ! -e "$UDIR/outside/x" ] || fail "a fenced test of a user ($mode) wrote outside"
	as_user env $mode ./isola run --root "$UDIR/root" --env "OUT=$UDIR/outside" out.sh
	assert_rc 0
	rm "$UDIR/outside/x"
	as_user env $mode ./isola run --root "$UDIR/root" -v --fence --copy res --allow-write allowed \
		--env "ALLOWED=$UDIR/allowed" inside.sh
	assert_rc 0
	rm -rf "$UDIR/allowed"/*
	[ -z "$(ls -A "$UDIR/root")" ] || fail "left behind under the user's root"
done
