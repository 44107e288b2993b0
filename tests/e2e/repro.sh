#!/bin/sh
# SPDX-License-Identifier: MIT
# Evidence and isola repro: a kept sandbox holds isola-evidence/ (the record and the log); isola
# repro SANDBOX|TEST reruns that attempt in a fresh sandbox staged the same way (same resources,
# argv, environment but for the contract's variables) with the same outcome; --shell gives a
# shell there instead; what isola did not make, or made in another version, is refused (exit 2,
# one line, nothing created); what a test planted under the evidence name is removed, never
# followed nor read.
. "$(dirname "$0")/lib.sh"

export SHELL=/bin/sh
mkdir data
echo bad >data/flag
# Fails or passes by what its --copy resource holds and by its environment.
make_test fail.sh 'echo run >>"$ISOLA_SANDBOX/runs"
echo "flag $(cat data/flag) mode $MODE arg $1 chain $CHAIN"
[ "$(cat data/flag)" = good ] && [ "$MODE" = strict ] || exit 3'
cat >isola.ini <<EOF
[test fails]
command = $WORK/fail.sh 'two words'
copy = data
env = MODE=strict
env = WHERE=\${ISOLA_SANDBOX}/x
env = CHAIN=x:\${CHAIN}
EOF
# What env = expands against is isola's environment at the time: a repro expands it again
# against that, whatever its own.
export CHAIN=base

run_isola run --root "$ROOT" fails
assert_rc 1
export CHAIN=other
sandboxes() { find "$ROOT" -mindepth 2 -maxdepth 2 -type d -name '[0-9]*-*'; }
SB=$(sandboxes)
[ -d "$SB" ] || fail "no kept sandbox: $SB"
[ -d "$SB/isola-evidence" ] || fail "no evidence in $SB"
assert_eq "$(head -n 1 "$SB/isola-evidence/evidence")" "isola-evidence 1"
assert_has "$SB/isola-evidence/evidence" "^outcome 4$"
# Each resource's staging: the --copy resource, then how it was staged.
assert_eq "$(sed -n '/^staged [0-9]*$/{n;p}' "$SB/isola-evidence/evidence" | grep -Ec '^(overlay|reflink|copy)$')" 1
assert_eq "$(stat -c %i "$SB/isola-evidence/log")" "$(stat -c %i "$SB.log")" "the log linked"
assert_has "$SB/isola-evidence/log" "flag bad mode strict arg two words chain x:base$"
# What the original holds, to check that no repro touches it.
snapshot() { (cd "$SB" && find . -printf '%p %s %T@\n' | sort; cat runs data/flag); }
snapshot >before

# By its path: the same failure, for the same reason, in a fresh run directory and sandbox.
runs_before=$(ls "$ROOT" | wc -l)
run_isola repro --root "$ROOT" "$SB"
assert_rc 1
assert_has "$WORK/out" "^FAIL .* fails \(exit 3\)$"
assert_has "$WORK/out" "flag bad mode strict arg two words chain x:base$"
assert_has "$WORK/err" "^isola: repro of $SB \(fails: FAIL, exit 3\)$"
assert_eq "$(ls "$ROOT" | wc -l)" "$((runs_before + 1))" "a new run directory"
NEW=$(sed -n 's/^    sandbox: //p' "$WORK/out")
[ -n "$NEW" ] && [ "$NEW" != "$SB" ] || fail "no fresh sandbox: '$NEW'"
assert_eq "$(cat "$NEW/runs")" run "the fresh sandbox ran it once"
snapshot >after
cmp -s before after || fail "repro changed the original sandbox: $(diff before after)"

# By the test's name: its most recent kept sandbox; the resource is staged anew from its
# source, so once the source is fixed the repro passes (and keeps nothing by default).
echo good >data/flag
run_isola repro --root "$ROOT" fails
assert_rc 0
assert_has "$WORK/out" "^PASS .* fails$"
echo bad >data/flag

# A passing test kept with --keep all reproduces PASS.
make_test pass.sh '[ "$ISOLA_ATTEMPT" = 1 ] && [ -d "$TMPDIR" ]'
run_isola run --root "$ROOT" --keep all ./pass.sh
assert_rc 0
PSB=$(grep -lx './pass.sh' "$ROOT"/isola-*/*/isola-evidence/evidence | sed 's|/isola-evidence/evidence$||')
[ -n "$PSB" ] || fail "the passing test's kept sandbox not found"
run_isola repro --root "$ROOT" "$PSB"
assert_rc 0
assert_has "$WORK/out" "^PASS .*pass.sh$"
run_isola repro --root "$ROOT" ./pass.sh
assert_rc 0

# keep-home: the test got the real HOME, and its repro gets the same one, whatever isola
# repro's own.
make_test home.sh 'echo "home=$HOME"; exit 1'
run_isola run --root "$ROOT" --keep-home ./home.sh
assert_rc 1
assert_has "$WORK/out" "^    \| home=$HOME$"
HSB=$(grep -lx './home.sh' "$ROOT"/isola-*/*/isola-evidence/evidence | sed 's|/isola-evidence/evidence$||')
set +e
HOME=/nonexistent "$ISOLA_BIN" repro --root "$ROOT" --keep none "$HSB" >"$WORK/out" 2>"$WORK/err"
RC=$?
set -e
assert_rc 1
assert_has "$WORK/out" "^    \| home=$HOME$"

# --shell: the same environment, but the contract's variables name the fresh sandbox; the
# shell's status is isola repro's.
printf '%s\n' 'echo "T=$ISOLA_TEST M=$MODE F=$(cat data/flag) W=$WHERE"' \
	'echo "S=$ISOLA_SANDBOX TMP=$TMPDIR HOME=$HOME PWD=$PWD"' 'exit 3' >script
set +e
"$ISOLA_BIN" repro --root "$ROOT" --keep none --shell "$SB" <script >"$WORK/out" 2>"$WORK/err"
RC=$?
set -e
assert_rc 3
assert_has "$WORK/out" "^T=fails M=strict F=bad W=$ROOT/isola-[^/]*/1-[^/]*/x$"
FRESH=$(sed -n 's/^S=\([^ ]*\) .*/\1/p' "$WORK/out")
case $FRESH in "$ROOT"/isola-*/1-*) ;; *) fail "ISOLA_SANDBOX not a fresh sandbox: $FRESH" ;; esac
[ "$FRESH" != "$SB" ] || fail "--shell ran in the kept sandbox"
assert_has "$WORK/out" "^S=$FRESH TMP=$FRESH/tmp HOME=$FRESH/home PWD=$FRESH$"
assert_has "$WORK/out" "W=$FRESH/x$"
[ ! -e "$FRESH" ] || fail "--keep none kept $FRESH"

# On a terminal: the shell gets it (its group in the foreground), reads it, and isola takes it
# back after.
pty_run="$(dirname "$ISOLA_BIN")/tests/helpers/pty-run"
[ -x "$pty_run" ] || fail "tests/helpers/pty-run is not built"
set +e
"$pty_run" -T 60 -o pty.out -w "repro of=$WORK/tty.ready" -k "$WORK/tty.ready=echo \"tty-\$ISOLA_TEST-\$MODE\"; exit 4
" -m -- "$ISOLA_BIN" repro --root "$ROOT" --keep none --shell "$SB" 2>pty.err
RC=$?
set -e
assert_rc 4
assert_has pty.out 'tty-fails-strict'
assert_has pty.err '^pty-run: modes: icanon echo$'

snapshot >after
cmp -s before after || fail "repro changed the original sandbox: $(diff before after)"

# Refused: exit 2, one line, nothing created under the root.
refused() {
	_re=$1
	shift
	ls -A "$ROOT" >root.before
	run_isola repro --root "$ROOT" "$@"
	assert_rc 2
	assert_has "$WORK/err" "$_re"
	assert_eq "$(wc -l <"$WORK/err")" 1 "one line: $(cat "$WORK/err")"
	ls -A "$ROOT" >root.after
	cmp -s root.before root.after || fail "created under the root: $(diff root.before root.after)"
}
mkdir plain
refused "^isola: 'plain' is not a sandbox isola kept with evidence: it has no isola-evidence/" plain
refused "^isola: '$WORK/nowhere' is neither a sandbox nor the name of a test" "$WORK/nowhere"
refused "^isola: 'no-such-test' is neither a sandbox nor the name of a test" no-such-test
refused "^isola: isola repro takes one SANDBOX or TEST" 
refused "^isola: unknown option '--bogus'" --bogus "$SB"

EV="$SB/isola-evidence/evidence"
cp "$EV" ev.orig
tamper() { sed "$1" ev.orig >"$EV"; }
tamper '1s/^isola-evidence 1$/isola-evidence 2/'
refused "is not a sandbox isola kept with evidence: its evidence is of another format version" "$SB"
tamper '3s/^[0-9][0-9.]*$/9.9.9/'
grep -q '^9\.9\.9$' "$EV" || fail "tamper did not change the version"
refused "^isola: '$SB' was kept by isola 9.9.9, and this is isola [0-9.]*: rerun it with that version$" "$SB"
tamper 's/^argv \([0-9]*\)$/argv 99999\1/'
refused "its evidence is damaged" "$SB"
tamper '1s/^.*$/something else/'
refused "it is not isola's evidence" "$SB"
# A copy of a kept sandbox is not that sandbox: its evidence names another.
cp ev.orig "$EV"
cp -a "$SB" copied
refused "its evidence names another sandbox" copied
cp ev.orig "$EV"

# A test that plants the evidence name (a symlink out of its sandbox, a directory with a record
# of its own) has it removed, never followed: isola's record is what repro reads.
mkdir target
make_test plant.sh 'ln -s "'"$WORK"'/target" isola-evidence
exit 5'
make_test plant2.sh 'mkdir isola-evidence && printf "isola-evidence 1\nforged 1\nx\n" >isola-evidence/evidence
exit 5'
run_isola run --root "$ROOT" ./plant.sh ./plant2.sh
assert_rc 1
assert_eq "$(ls -A target)" "" "nothing written through the planted symlink"
planted=0
for PL in $(sandboxes); do
	grep -q plant "$PL/isola-evidence/evidence" 2>/dev/null || continue
	[ -d "$PL/isola-evidence" ] && [ ! -L "$PL/isola-evidence" ] || fail "$PL: not isola's evidence"
	assert_eq "$(head -n 1 "$PL/isola-evidence/evidence")" "isola-evidence 1"
	run_isola repro --root "$ROOT" "$PL"
	assert_rc 1
	assert_has "$WORK/out" "^FAIL .*plant2?.sh \(exit 5\)$"
	planted=$((planted + 1))
done
assert_eq "$planted" 2 "the planting tests' sandboxes"
assert_eq "$(ls -A target)" "" "nothing written through the planted symlink"

# A whole record forged by a test, naming another test ('victim', which never ran) with a
# command of its own: isola's record replaces it, so neither repro by the sandbox's path nor by
# the name it gave runs that command.
VERSION=$("$ISOLA_BIN" --version | sed -n '1s/^isola //p')
cat >forger.sh <<EOF
#!/bin/sh
rec() { printf '%s %s\n%s\n' "\$1" "\${#2}" "\$2"; }
mkdir isola-evidence
{
	echo 'isola-evidence 1'
	rec isola-version '$VERSION'; rec dir isola-evidence; rec sandbox "\$ISOLA_SANDBOX"
	rec test victim; rec path /usr/bin/touch; rec argv touch; rec argv '$WORK/pwned'
	rec cwd "\$ISOLA_SANDBOX"; rec outcome FAIL; rec end-wall-ns 4000000000000000000
} >isola-evidence/evidence
exit 5
EOF
chmod +x forger.sh
run_isola run --root "$ROOT" ./forger.sh
assert_rc 1
FO=$(for d in $(sandboxes); do grep -l forger "$d/isola-evidence/evidence" 2>/dev/null || :; done)
[ -n "$FO" ] || fail "the forging test's evidence is not isola's"
run_isola repro --root "$ROOT" victim
assert_rc 2
assert_has "$WORK/err" "victim"
run_isola repro --root "$ROOT" "${FO%/isola-evidence/evidence}"
assert_rc 1
assert_has "$WORK/out" "^FAIL .*forger.sh \(exit 5\)$"
[ ! -e pwned ] || fail "a forged record was run"

assert_no_procs
