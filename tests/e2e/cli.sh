#!/bin/sh
# SPDX-License-Identifier: MIT
# The command line: --version, help, list, -k/--exclude, --keep, --cwd, retries, -j, and a test's
# $0 finding its siblings although it runs in its sandbox.
. "$(dirname "$0")/lib.sh"

run_isola --version
assert_rc 0
assert_has out '^isola [0-9]+\.[0-9]+\.[0-9]+$'
run_isola --help
assert_rc 0
assert_has out '^usage: isola <command>'
run_isola run --help
assert_rc 0
assert_has out '^usage: isola run \[OPTIONS\] \[--\] \[TEST\.\.\.\]$'
assert_has out -- '--copy SRC\[:DEST\]'
run_isola
assert_rc 2

mkdir -p suite/lib
printf 'sibling\n' >suite/lib/data
printf '#!/bin/sh\nhere=$(dirname "$0")\n[ "$(cat "$here/lib/data")" = sibling ] && [ "$PWD" = "$ISOLA_SANDBOX" ]\n' >suite/sib.sh
printf '#!/bin/sh\nexit 0\n' >suite/net_a.sh
printf '#!/bin/sh\nexit 0\n' >suite/net_b.sh
printf '#!/bin/sh\nexit 1\n' >suite/db_fail.sh
chmod +x suite/*.sh

run_isola list 'suite/*.sh'
assert_eq "$(tr '\n' ' ' <out)" "suite/db_fail.sh suite/net_a.sh suite/net_b.sh suite/sib.sh "
run_isola list -k 'suite/net_*' --exclude '*_b.sh' 'suite/*.sh'
assert_eq "$(tr '\n' ' ' <out)" "suite/net_a.sh "
run_isola list suite/sib.sh suite/sib.sh -- suite/net_a.sh
assert_eq "$(tr '\n' ' ' <out)" "suite/sib.sh suite/net_a.sh "

# $0 of a script test finds its siblings; the test runs in its sandbox.
run_isola run --root "$ROOT" suite/sib.sh
assert_rc 0

# --cwd: relative to the sandbox, or absolute.
mkdir -p inner
printf '#!/bin/sh\n[ "$PWD" = "$ISOLA_SANDBOX/work" ]\n' >cwd_rel.sh
printf '#!/bin/sh\n[ "$PWD" = "%s/inner" ]\n' "$WORK" >cwd_abs.sh
chmod +x cwd_rel.sh cwd_abs.sh
run_isola run --root "$ROOT" --mkdir work --cwd work cwd_rel.sh
assert_rc 0
run_isola run --root "$ROOT" --cwd "$WORK/inner" cwd_abs.sh
assert_rc 0
run_isola run --root "$ROOT" --keep none --cwd missing cwd_rel.sh
assert_rc 1
assert_has out "^ERROR .*cwd_rel\.sh \(isola: cannot change to working directory '.*/missing': No such file or directory\)$"

# --keep: failed (default) keeps only failures, all keeps everything, none nothing.
run_isola run --root "$ROOT" suite/net_a.sh suite/db_fail.sh
assert_rc 1
assert_eq "$(ls -d "$ROOT"/*/*-?????? | wc -l)" 1
assert_has out '^  suite/db_fail\.sh +/'
run_isola clean --root "$ROOT"
run_isola run --root "$ROOT" --keep all suite/net_a.sh suite/db_fail.sh
assert_eq "$(ls -d "$ROOT"/*/*-?????? | wc -l)" 2
run_isola clean --root "$ROOT"
run_isola run --root "$ROOT" --keep none suite/net_a.sh suite/db_fail.sh
assert_rc 1
assert_root_empty

# --retries: a flaky test passes on its second attempt (ISOLA_ATTEMPT tells it which).
printf '#!/bin/sh\necho "attempt $ISOLA_ATTEMPT"; [ "$ISOLA_ATTEMPT" -ge 2 ]\n' >flaky.sh
chmod +x flaky.sh
run_isola run --root "$ROOT" --keep none --retries 2 flaky.sh
assert_rc 0
assert_has out '^FAIL .*flaky\.sh \(exit 1\) \[retried\]$'
assert_has out '^FLAKY .*flaky\.sh \(attempt 2\) \(failed 1 attempt before it passed\)$'
assert_has out '^flaky: 1 test failed, then passed on retry \(FLAKY: counted as passed\)$'
assert_eq "$(tail -n 1 out)" "1 passed, 0 failed"
run_isola run --root "$ROOT" --keep none suite/db_fail.sh --retries 1
assert_rc 1
assert_eq "$(grep -c '^FAIL' out)" 2

# -j1 runs one at a time: the second test finds no marker of the first still running.
printf '#!/bin/sh\n[ ! -e "%s/busy" ] || exit 1\ntouch "%s/busy"; sleep 0.05; rm "%s/busy"\n' "$WORK" "$WORK" "$WORK" >serial.sh
chmod +x serial.sh
for i in 1 2 3 4; do cp serial.sh "serial$i.sh"; done
run_isola run --root "$ROOT" -j1 'serial?.sh'
assert_rc 0
ISOLA_JOBS=1 run_isola run --root "$ROOT" 'serial?.sh'
assert_rc 0
