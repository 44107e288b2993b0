#!/bin/sh
# SPDX-License-Identifier: MIT
# Every outcome is told apart and counted: PASS, FAIL, SKIP (77), ERROR (99 and "cannot start"),
# CRASH (a signal, named), and the closing line and exit status follow.
. "$(dirname "$0")/lib.sh"

make_test pass.sh 'exit 0'
make_test fail.sh 'echo "to stdout"; echo "to stderr" >&2; exit 3'
make_test skip.sh 'exit 77'
make_test hard.sh 'exit 99'
make_test segv.sh 'kill -SEGV $$'
make_test e127.sh 'exit 127'
printf '#!/nonexistent/interpreter\n' >noexec.sh
chmod +x noexec.sh

run_isola run --root "$ROOT" -j2 pass.sh fail.sh skip.sh hard.sh segv.sh e127.sh noexec.sh
assert_rc 1
assert_has out '^PASS +[0-9.]+s  pass\.sh$'
assert_has out '^FAIL +[0-9.]+s  fail\.sh \(exit 3\)$'
assert_has out '^SKIP +[0-9.]+s  skip\.sh$'
assert_has out '^ERROR +[0-9.]+s  hard\.sh \(exit 99'
assert_has out '^CRASH +[0-9.]+s  segv\.sh \(killed by SIGSEGV'
# exit 127 from the test itself is a plain failure...
assert_has out '^FAIL +[0-9.]+s  e127\.sh \(exit 127\)$'
# ...while a program that cannot be started is isola's error, with the reason.
assert_has out "^ERROR +[0-9.]+s  noexec\.sh \(isola: cannot start '.*noexec\.sh': its interpreter \(the #! line\) was not found\)$"
# Output of a failed test is shown (both streams), with its log and kept sandbox.
assert_has out '^    \| to stdout$'
assert_has out '^    \| to stderr$'
assert_has out "^    sandbox: $ROOT/isola-[A-Za-z0-9]{6}/[0-9]+-[A-Za-z0-9]{6}$"
assert_has out '^failures: 2 FAIL, 2 ERROR, 1 CRASH$'
assert_eq "$(tail -n 1 out)" "1 passed, 5 failed, 1 skipped"

# All passing (and skipped) is exit 0, and a run that keeps nothing leaves nothing.
rm -rf "$ROOT"/* 
run_isola run --root "$ROOT" pass.sh skip.sh
assert_rc 0
assert_eq "$(tail -n 1 out)" "1 passed, 0 failed, 1 skipped"
assert_root_empty
