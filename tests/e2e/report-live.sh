#!/bin/sh
# SPDX-License-Identifier: MIT
# The live human report. On a terminal (a pseudo-terminal here, tests/helpers/pty-run.c): a status
# line redrawn in place under the finished tests and trimmed to the width, colour, NO_COLOR,
# TERM=dumb, the 't' key, and the terminal's modes given back. Off a terminal: plain lines,
# CLICOLOR_FORCE, SIGUSR1 listing the running tests, -v -j1 streaming a test's output as it is
# written. Nothing here depends on timing: tests wait for files, isola's output or each other.
. "$(dirname "$0")/lib.sh"

# lib.sh pins NO_COLOR=1 for transcripts; colour is what is tested here.
unset NO_COLOR
pty_run=$(dirname "$ISOLA_BIN")/tests/helpers/pty-run
[ -x "$pty_run" ] || fail "$pty_run is missing (make builds it)"

# wait_for FILE [TEXT]: until FILE exists (and holds TEXT); a broken isola fails here, not hangs.
wait_for() {
	i=0
	while [ ! -e "$1" ] || { [ -n "${2:-}" ] && ! grep -qF -- "$2" "$1"; }; do
		i=$((i + 1))
		[ $i -lt 3000 ] || fail "gave up waiting for ${2:+'$2' in }$1"
		sleep 0.01
	done
}

# status_lines FILE: the status lines drawn (between a CR and an erase-line), one per line.
status_lines() {
	/usr/bin/python3 -c '
import re, sys
data = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
for m in re.finditer(r"\r([^\r\n\x1b]*)\x1b\[K", data):
    if m.group(1):
        print(m.group(1))' "$1"
}

long=this_test_has_a_name_much_longer_than_the_terminal_is_wide_so_it_must_be_cut.sh
make_test "$long" "touch '$WORK/long.started'; while [ ! -e '$WORK/long.go' ]; do sleep 0.01; done"
make_test quick.sh 'echo quick'
make_test bad.sh 'echo "bad output"; exit 1'

# A terminal 60 columns wide: the long test runs while the two others finish above the status.
run_pty() {
	set +e
	"$pty_run" -m -c 60 -o pty.out -w "bad.sh (exit 1)=$WORK/long.go" "$@" 2>pty.err
	RC=$?
	set -e
}
TERM=xterm run_pty -- "$ISOLA_BIN" run --root "$ROOT" -j2 "$long" quick.sh bad.sh
assert_rc 1
status_lines pty.out >status.txt
assert_has status.txt '^\[[0-3]/3\] [0-9] running'
assert_has status.txt '^\[[0-2]/3\] 2 running: this_test_has_a_n'
# bad.sh has failed, the long test still runs (it waits for that line).
assert_has status.txt '^\[2/3\] 1 running: this_test_[^ ]*\.\.\. \([0-9.]+s\)  1 failed  ETA [0-9]+:[0-9]{2}$'
# Trimmed: no status line reaches the last column.
too_long=$(/usr/bin/python3 -c 'import sys; print(sum(len(l.rstrip("\n")) > 59 for l in open(sys.argv[1], encoding="utf-8")))' status.txt)
assert_eq "$too_long" 0 "status lines wider than 59 columns"
# Finished tests scroll above it, in colour; the last status line is erased at the end.
tr -d '\r' <pty.out >plain.out
assert_has plain.out "$(printf '\033\\[32mPASS\033\\[0m +[0-9.]+s  quick\\.sh')"
assert_has plain.out "$(printf '\033\\[1;31mFAIL\033\\[0m +[0-9.]+s  bad\\.sh \\(exit 1\\)')"
assert_has plain.out "$(printf '\033\\[32m2 passed\033\\[0m, \033\\[1;31m1 failed\033\\[0m$')"
# Every status line was erased before a finished line was printed over it.
over=$(/usr/bin/python3 -c '
import re, sys
data = open(sys.argv[1], "rb").read()
bad = [m.start() for m in re.finditer(rb"\x1b\[[0-9;]*m(PASS|FAIL)\b", data)
       if not (data[:m.start()].endswith(b"\r\x1b[K") or data[:m.start()].endswith(b"\n"))]
print(len(bad))' pty.out)
assert_eq "$over" 0 "finished lines printed over the status line"
assert_eq "$(cat pty.err)" "pty-run: modes: icanon echo" "the terminal's modes afterwards"

# NO_COLOR: the status line stays, the colour goes.
rm -f long.started long.go
NO_COLOR=1 TERM=xterm run_pty -- "$ISOLA_BIN" run --root "$ROOT" -j2 "$long" quick.sh bad.sh
assert_rc 1
status_lines pty.out >status.txt
assert_has status.txt 'running'
assert_not_has pty.out "$(printf '\033\\[[0-9;]*m')"

# TERM=dumb: a terminal that cannot redraw gets plain lines.
rm -f long.started long.go
TERM=dumb run_pty -- "$ISOLA_BIN" run --root "$ROOT" -j2 "$long" quick.sh bad.sh
assert_rc 1
assert_not_has pty.out "$(printf '\033')"
tr -d '\r' <pty.out >plain.out
assert_has plain.out '^PASS +[0-9.]+s  quick\.sh$'

# Not a terminal: plain; CLICOLOR_FORCE brings colour (not the status line) into a pipe.
run_isola run --root "$ROOT" quick.sh
assert_not_has out "$(printf '\033')"
CLICOLOR_FORCE=1 run_isola run --root "$ROOT" quick.sh
assert_has out "$(printf '^\033\\[32mPASS\033\\[0m +[0-9.]+s  quick\\.sh$')"
assert_not_has out "$(printf '\r|\033\\[K')"
NO_COLOR=1 CLICOLOR_FORCE=1 run_isola run --root "$ROOT" quick.sh
assert_not_has out "$(printf '\033')"

# 't' on the terminal lists the running tests, with their sandboxes, and the run goes on.
make_test waiter.sh "touch '$WORK/waiter.started'; while [ ! -e '$WORK/waiter.go' ]; do sleep 0.01; done; echo done"
set +e
TERM=xterm "$pty_run" -m -c 120 -o pty.out -k "$WORK/waiter.started=t" \
	-w "running (1):=$WORK/waiter.go" -- "$ISOLA_BIN" run --root "$ROOT" waiter.sh 2>pty.err
RC=$?
set -e
assert_rc 0
tr -d '\r' <pty.out >plain.out
assert_has plain.out "running \(1\):"
assert_has plain.out "^  slot 0 +[0-9.]+s  waiter\.sh  $ROOT/isola-[A-Za-z0-9]{6}/1-[A-Za-z0-9]{6}$"
assert_has plain.out "$(printf '\033\\[K\033\\[32mPASS\033\\[0m +[0-9.]+s  waiter\\.sh$')"
assert_eq "$(cat pty.err)" "pty-run: modes: icanon echo" "the terminal's modes afterwards"

# SIGUSR1, off a terminal, does the same.
rm -f waiter.started waiter.go
"$ISOLA_BIN" run --root "$ROOT" waiter.sh >out 2>err &
pid=$!
wait_for waiter.started
kill -USR1 "$pid"
wait_for out "running (1):"
touch waiter.go
set +e
wait "$pid"
RC=$?
set -e
assert_rc 0
assert_has out "^  slot 0 +[0-9.]+s  waiter\.sh  $ROOT/isola-[A-Za-z0-9]{6}/1-[A-Za-z0-9]{6}$"
assert_has out '^PASS +[0-9.]+s  waiter\.sh$'

# -v with one job: the output is shown while the test runs (the test waits until it has been
# seen), and a last line without a newline is shown at the end, not repeated as a tail.
make_test talker.sh "echo 'first line'; while [ ! -e '$WORK/talker.go' ]; do sleep 0.01; done; echo 'second line'; printf 'no newline'; exit 1"
"$ISOLA_BIN" run --root "$ROOT" -v -j1 talker.sh >out 2>err &
pid=$!
wait_for out "first line"
touch talker.go
set +e
wait "$pid"
RC=$?
set -e
assert_rc 1
assert_eq "$(grep -n -x -e 'first line' -e 'second line' -e 'no newline' out | cut -d: -f2 | tr '\n' ' ')" \
	"first line second line no newline "
assert_not_has out '^    \| '
assert_has out '^FAIL +[0-9.]+s  talker\.sh \(exit 1\)$'
# With more than one job, output is not streamed: the failure shows its tail instead.
rm -f talker.go
touch talker.go
run_isola run --root "$ROOT" -v -j2 talker.sh quick.sh
assert_rc 1
assert_not_has out '^first line$'
assert_has out '^    \| first line$'
assert_no_procs

# A test's escape sequences never reach a terminal: streamed (-v -j1) or in a failure's tail
# they are shown in caret notation there, and written as they are into a file.
printf '#!/bin/sh\nprintf "a\\033]0;pwned\\007b\\033[31mred\\n"; exit 1\n' >esc.sh
chmod +x esc.sh
for args in "-v -j1" "-j1"; do
	set +e
	# shellcheck disable=SC2086 # two options, on purpose
	"$pty_run" -o pty.out -- "$ISOLA_BIN" run --root "$ROOT" --keep none $args esc.sh >/dev/null 2>pty.err
	set -e
	if grep -q "$(printf '\033]0;pwned')" pty.out; then
		fail "isola $args passed a test's escape sequence to the terminal"
	fi
	grep -qF 'a^[]0;pwned^Gb^[[31mred' pty.out || fail "isola $args did not show the escapes visibly"
done
run_isola run --root "$ROOT" --keep none -v -j1 esc.sh
grep -q "$(printf 'a\033]0;pwned\007b')" out || fail "streamed output into a file was not kept as it is"

# isola killed with SIGKILL while it reads keys (echo and line editing off): the keeper puts the
# terminal back as it was.
make_test hang.sh 'touch "$1"; sleep 300'
printf '[test hang]\ncommand = %s/hang.sh %s/hang.started\n' "$WORK" "$WORK" >hang.ini
rm -f hang.started isola.pid
set +e
"$pty_run" -m -o pty.out -- sh -c 'echo $$ >"$1"; exec "$2" run --root "$3" --config "$4"' \
	sh "$WORK/isola.pid" "$ISOLA_BIN" "$ROOT" "$WORK/hang.ini" >/dev/null 2>pty.err &
pty=$!
set -e
wait_for "$WORK/hang.started"
kill -KILL "$(cat isola.pid)"
set +e
wait "$pty"
set -e
assert_eq "$(grep modes pty.err)" "pty-run: modes: icanon echo" "the terminal's modes after SIGKILL"
assert_no_procs
run_isola clean --root "$ROOT"
