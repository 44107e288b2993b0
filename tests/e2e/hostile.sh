#!/bin/sh
# SPDX-License-Identifier: MIT
# A test that plants symlinks to / and to $HOME and to files outside, hard links, and directories
# made chmod 000 or read-only cannot make isola delete or change anything outside its sandbox;
# its sandbox is still removed completely.
. "$(dirname "$0")/lib.sh"

mkdir -p outside/dir
echo precious >outside/file
echo precious >outside/dir/inner
chmod 0644 outside/file
before=$(ls -lR outside | sha256sum)

make_test evil.sh "set -e
ln -s / root_link
ln -s \"$WORK/outside\" out_dir
ln -s \"$WORK/outside/file\" out_file
ln -s \"\$HOME\" home_link
ln \"$WORK/outside/file\" hard_link 2>/dev/null || true
mkdir -p locked/deep/er && echo x >locked/deep/er/f && ln -s \"$WORK/outside\" locked/deep/er/escape
chmod 000 locked/deep/er locked/deep
mkdir ro && touch ro/f && ln -s \"$WORK/outside/dir\" ro/link && chmod 0500 ro
mkdir unreadable && touch unreadable/f && chmod 0300 unreadable
chmod 000 tmp
exit 0"

run_isola run --root "$ROOT" --keep none evil.sh
assert_rc 0
assert_root_empty
after=$(ls -lR outside | sha256sum)
assert_eq "$after" "$before" "the tree outside the sandbox changed"
assert_eq "$(cat outside/file)" precious
assert_eq "$(cat outside/dir/inner)" precious
[ -d / ] && [ -e /etc/passwd ] || fail "/ was harmed"

# The same tree in a failed test is kept as evidence, and isola clean removes it the same way.
make_test evil_fail.sh "$(sed -n '2,$p' evil.sh | sed 's/^exit 0$/exit 5/')"
run_isola run --root "$ROOT" evil_fail.sh
assert_rc 1
assert_has out '^FAIL .*evil_fail\.sh \(exit 5\)$'
assert_has out '^kept sandboxes:$'
run_isola clean --root "$ROOT"
assert_rc 0
assert_has out '^removed 1 run directory from '
assert_root_empty
assert_eq "$(ls -lR outside | sha256sum)" "$before"
