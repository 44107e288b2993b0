#!/bin/sh
# SPDX-License-Identifier: MIT
# [setup NAME] fixtures: the setup runs once before the tests that require it, its exported
# values reach them, what it started keeps running until its teardown, and the teardown runs
# once after the last test: also after a failure and after Ctrl-C. A failed setup makes its tests
# ERRORs with its log. Bad input (an unknown setup, a cycle, no command): exit 2, one line.
. "$(dirname "$0")/lib.sh"

# The setup counts itself, starts a "server" (a process holding a lock on a file: the tests run
# in pid namespaces of their own, where its pid means nothing, but they can see the lock held),
# and exports values: one with a '$' that must reach the tests as it is.
cat >setup.sh <<EOF
#!/bin/sh
echo setup >>'$WORK/setup.count'
echo "setting up in \$ISOLA_SANDBOX"
flock "\$ISOLA_SANDBOX/server.lock" sleep 300 &
while flock -n "\$ISOLA_SANDBOX/server.lock" true; do sleep 0.01; done
printf 'DB_URL=db://user:p\$ss@localhost/\$ISOLA_SLOT\n# a comment\n\nDB_LOCK=%s/server.lock\n' "\$ISOLA_SANDBOX" >"\$ISOLA_EXPORT"
EOF
cat >teardown.sh <<EOF
#!/bin/sh
echo teardown >>'$WORK/teardown.count'
if ! flock -n "\$ISOLA_SANDBOX/server.lock" true; then
	echo alive >>'$WORK/teardown.saw'
else
	echo dead >>'$WORK/teardown.saw'
fi
EOF
# A test that needs the fixture: its values, and its server alive.
cat >needs.sh <<'EOF'
#!/bin/sh
[ "$DB_URL" = 'db://user:p$ss@localhost/$ISOLA_SLOT' ] || { echo "DB_URL=$DB_URL"; exit 1; }
if flock -n "$DB_LOCK" true; then echo "the server is gone"; exit 1; fi
[ -z "${SCHEMA:-}" ] || [ "$SCHEMA" = v2 ] || exit 1
EOF
make_test plain.sh '[ -z "${DB_URL:-}" ]'
make_test fails.sh 'exit 1'
make_test long.sh "touch '$WORK/long.started'; sleep 30"
cat >schema.sh <<EOF
#!/bin/sh
[ -n "\$DB_URL" ] || exit 1
echo schema >>'$WORK/schema.count'
echo SCHEMA=v2 >"\$ISOLA_EXPORT"
EOF
chmod +x setup.sh teardown.sh needs.sh schema.sh
cat >isola.ini <<EOF
[setup db]
command = $WORK/setup.sh
teardown = $WORK/teardown.sh
timeout = 20s
[setup schema]
command = $WORK/schema.sh
requires = db
[test a]
command = $WORK/needs.sh
requires = db
[test b]
command = $WORK/needs.sh
requires = db
[test c]
command = $WORK/needs.sh
requires = schema
[test plain]
command = $WORK/plain.sh
EOF
ARGS="--root $ROOT -j2"
reset_counts() { rm -f setup.count teardown.count teardown.saw schema.count; }
count() { if [ -e "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }

# Once each, values passed, the server alive for the tests and the teardown, gone after.
run_isola run $ARGS
assert_rc 0
assert_has out '^4 passed, 0 failed$'
assert_eq "$(count setup.count)" 1 "setups"
assert_eq "$(count schema.count)" 1 "schema setups"
assert_eq "$(count teardown.count)" 1 "teardowns"
assert_eq "$(cat teardown.saw)" alive "the server at teardown"
assert_has err '^isola: setup db: ready in '
assert_has err '^isola: setup schema: ready in '
wait_no_procs
assert_root_empty

# With a private /tmp and the sandboxes under the real /tmp: what the setups exported (a path in
# their sandboxes) still resolves, their sandboxes bound back, and nothing else of the real /tmp
# shows (a marker beside the root). Without the bind the tests would find no server there.
TROOT=$(mktemp -d /tmp/isola-e2e-fixtures.XXXXXX)
trap 'rm -rf "$TROOT" "$TROOT.marker"; cleanup_work' EXIT
touch "$TROOT.marker"
cat >sees.sh <<EOF
#!/bin/sh
[ ! -e '$TROOT.marker' ] || { echo "the real /tmp shows"; exit 1; }
[ -e "\$DB_LOCK" ] || { echo "no \$DB_LOCK"; exit 1; }
exec '$WORK/needs.sh'
EOF
chmod +x sees.sh
sed "s|^command = $WORK/needs.sh|command = $WORK/sees.sh|" isola.ini >sees.ini
reset_counts
run_isola run --root "$TROOT" -j2 --config sees.ini --isolate tmp -v -k a -k c
assert_rc 0
assert_has out '^2 passed, 0 failed$'
assert_has out 'isolated: tmp'
assert_eq "$(count setup.count)" 1 "setups"
wait_no_procs
rmdir "$TROOT"

# isola list -v names what a test requires; listing runs no setup.
reset_counts
run_isola list -v -k a
assert_has out '^  requires: db$'
assert_eq "$(count setup.count)" 0 "isola list ran a setup"

# Only what the selected tests require runs.
reset_counts
run_isola run $ARGS -k plain
assert_rc 0
assert_eq "$(count setup.count)" 0 "a setup nobody selected requires ran"
reset_counts
run_isola run $ARGS -k a
assert_rc 0
assert_eq "$(count setup.count)" 1 "setups"
assert_eq "$(count schema.count)" 0 "schema setups"

# After a failure: the teardown still runs, once.
printf '[test bad]\ncommand = %s/fails.sh\nrequires = db\n' "$WORK" >>isola.ini
reset_counts
run_isola run $ARGS --keep none
assert_rc 1
assert_has out '^FAIL .* bad \(exit 1\)$'
assert_eq "$(count teardown.count)" 1 "teardowns after a failure"
wait_no_procs

# After Ctrl-C: the running test is stopped, then the teardown runs, once.
printf '[test long]\ncommand = %s/long.sh\nrequires = db\n' "$WORK" >>isola.ini
reset_counts
rm -f long.started
start_isola run $ARGS --keep none
wait_for long.started
kill -INT "$ISOLA_PID"
wait_isola
assert_rc 130
assert_eq "$(count setup.count)" 1 "setups"
assert_eq "$(count teardown.count)" 1 "teardowns after Ctrl-C"
assert_eq "$(cat teardown.saw)" alive "the server at teardown"
wait_no_procs
assert_root_empty

# A teardown that fails: said, its sandbox kept, and the run fails though every test passed.
make_test bad-teardown 'echo "cannot stop the db"; exit 1'
printf '[setup db]\ncommand = %s/setup.sh\nteardown = %s/bad-teardown\n[test a]\ncommand = %s/needs.sh\nrequires = db\n' "$WORK" "$WORK" "$WORK" >isola-td.ini
run_isola run $ARGS -c isola-td.ini
assert_rc 1
assert_has out '^1 passed, 0 failed$'
assert_has err "^isola: teardown db failed \(exit 1\); log: $ROOT/"
assert_has err "^isola: kept the sandbox of setup db: $ROOT/"
wait_no_procs
rm -rf "${ROOT:?}"/*

# A setup that fails: its tests are ERRORs with its reason and its log, the others run, and
# the teardown runs (the setup may have started something).
cat >isola-fail.ini <<EOF
[setup db]
command = sh -c "echo cannot start the db; exit 3"
teardown = $WORK/teardown.sh
[test a]
command = $WORK/needs.sh
requires = db
[setup schema]
command = $WORK/schema.sh
requires = db
[test c]
command = $WORK/needs.sh
requires = schema
[test plain]
command = $WORK/plain.sh
EOF
make_test count-teardown.sh "echo teardown >>'$WORK/teardown.count'"
sed -i "s|^teardown = .*|teardown = $WORK/count-teardown.sh|" isola-fail.ini
reset_counts
run_isola run $ARGS -c isola-fail.ini --json fail.jsonl
assert_rc 1
assert_has out '^ERROR .* a \(setup db failed: exit 3\)$'
assert_has out '^    \| cannot start the db$'
assert_has out '^PASS .* plain$'
assert_has err "^isola: setup db failed \(exit 3\): its 2 tests are ERROR; log: $ROOT/"
# A setup that requires the failed one never runs, and its tests are ERRORs too.
assert_has out '^ERROR .* c \(setup (db|schema) failed: '
assert_has err "^isola: setup schema failed \(not run: the setup db it requires failed\): its 1 test is an ERROR$"
assert_has err "^isola: kept the sandbox of setup db: $ROOT/"
assert_eq "$(count teardown.count)" 1 "teardowns after a failed setup"
python3 "$ISOLA_SOURCE_DIR/tests/report/check_json.py" fail.jsonl >/dev/null || fail "JSON"
# No retry of a test whose setup failed: it would fail the same way.
run_isola run $ARGS -c isola-fail.ini --retries 2 --keep none
assert_eq "$(grep -c '^ERROR .* a ' out)" 1 "a blocked test was retried"
rm -rf "${ROOT:?}"/*

# Under --stress, a test whose setup failed is an ERROR once, not once per round.
run_isola run $ARGS -c isola-fail.ini --stress 1s --keep none --json stress.jsonl
assert_rc 1
assert_eq "$(grep -c '"event":"test_end","t":[0-9.e-]*,"test":"a"' stress.jsonl)" 1 "blocked test ends"
rm -rf "${ROOT:?}"/*

# A setup gets the suite's timeout, and its grace: SIGTERM first, the trap runs.
make_test hang.sh "trap 'echo got TERM; exit 1' TERM; touch '$WORK/hang.started'; while :; do sleep 0.05; done"
printf '[suite]\ntimeout = 1s\ngrace = 5s\n[setup db]\ncommand = %s/hang.sh\n[test a]\ncommand = %s/needs.sh\nrequires = db\n' "$WORK" "$WORK" >isola-hang.ini
run_isola run $ARGS -c isola-hang.ini --keep none
assert_rc 1
assert_has out '^ERROR .* a \(setup db failed: timed out after 1(\.000)?s; exit 1\)$'
assert_has out 'got TERM'
rm -rf "${ROOT:?}"/*

# Ctrl-C while a setup runs: no test starts, the reports are written and say so, exit 130.
rm -f hang.started
sed 's/^timeout = 1s$/timeout = 60s/' isola-hang.ini >isola-hang2.ini
start_isola run $ARGS -c isola-hang2.ini --keep none --json int.jsonl --junit int.xml
wait_for hang.started
kill -INT "$ISOLA_PID"
wait_isola
assert_rc 130
assert_has out '^interrupted: 1 test not run$'
assert_has int.jsonl '"interrupted_by":"SIGINT"'
assert_has int.xml '<property name="isola.not_run" value="1"/>'
wait_no_procs
assert_root_empty

# The setup's init killed under it (the OOM killer could): the setup failed, nothing hangs.
rm -f hang.started
start_isola run $ARGS -c isola-hang2.ini --keep none
wait_for hang.started
for c in $(cat "/proc/$ISOLA_PID/task/$ISOLA_PID/children"); do kill -KILL "$c"; done
wait_isola
assert_rc 1
assert_has out "^ERROR .* a \(setup db failed: isola: its init ended before it did\)$"
wait_no_procs
rm -rf "${ROOT:?}"/*

# A bad export line is a failed setup.
cat >isola-export.ini <<EOF
[setup db]
command = sh -c 'echo "not a line" >"\$ISOLA_EXPORT"'
[test a]
command = $WORK/needs.sh
requires = db
EOF
run_isola run $ARGS -c isola-export.ini --keep none
assert_rc 1
assert_has out '^ERROR .* a \(setup db failed: \$ISOLA_EXPORT line 1: expected KEY=VALUE\)$'
printf '[setup db]\ncommand = sh -c '"'"'echo HOME=/ >"$ISOLA_EXPORT"'"'"'\n[test a]\ncommand = %s/needs.sh\nrequires = db\n' "$WORK" >isola-export2.ini
run_isola run $ARGS -c isola-export2.ini --keep none
assert_rc 1
assert_has out "^ERROR .* a \(setup db failed: \\\$ISOLA_EXPORT line 1: HOME is isola's to set"
rm -rf "${ROOT:?}"/*

# --- bad input: one line, exit 2, nothing started ----------------------------------------------
bad() { # REGEX FILE
	run_isola run $ARGS -c "$2"
	assert_rc 2
	assert_has err "$1"
	assert_eq "$(wc -l <"$WORK/err")" 1 "one line: $(cat "$WORK/err")"
	assert_root_empty
}
printf '[test a]\ncommand = %s/plain.sh\nrequires = nosuch\n' "$WORK" >b1.ini
bad "^isola: test 'a' requires the setup 'nosuch', which b1.ini does not define: add a \[setup nosuch\] section, or remove the requires$" b1.ini
printf '[setup x]\ncommand = true\nrequires = y\n[setup y]\ncommand = true\nrequires = x\n[test a]\ncommand = %s/plain.sh\nrequires = x\n' "$WORK" >b2.ini
bad "^isola: b2.ini:[0-9]+: the setups require each other in a cycle \(x -> y -> x\)" b2.ini
printf '[setup x]\nteardown = true\n[test a]\ncommand = %s/plain.sh\nrequires = x\n' "$WORK" >b3.ini
bad "^isola: b3.ini:1: \[setup x\] has no command \(give it command = PROGRAM ARGS...\)$" b3.ini
printf '[setup x]\ncommand = true\ncopy = /etc\n[test a]\ncommand = %s/plain.sh\n' "$WORK" >b4.ini
bad "^isola: b4.ini:[0-9]+: \[setup x\] stages resources" b4.ini
printf '[setup x]\ncommand = true\nslots = 2\n' >b5.ini
bad "^isola: b5.ini:3: unknown key 'slots' in \[setup x\]" b5.ini
printf '[setup x]\ncommand = true\nrequires = nosuch\n[test a]\ncommand = %s/plain.sh\nrequires = x\n' "$WORK" >b6.ini
bad "^isola: b6.ini:1: \[setup x\] requires the setup 'nosuch', which is not defined" b6.ini
run_isola run $ARGS --requires db "$WORK/plain.sh" -c /dev/null
assert_rc 2
assert_has err "requires the setup 'db'"

assert_no_procs
