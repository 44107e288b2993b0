#!/bin/sh
# SPDX-License-Identifier: MIT
# --ro SRC[:DEST]: the test reads SRC at DEST and can change nothing in it, root included: every
# write fails (EROFS from the read-only bind mount) and the test sees the failure. Nothing is
# copied. Also a config key; a missing SRC is a usage error; nothing may be staged inside.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/stage-common.inc"

make_fixture data
echo setting >one.cfg
ln -s data datalink
before=$(tree_state data one.cfg)

make_test ro.sh '
bad() { echo "FAIL: $*"; exit 1; }
[ "$(cat data/data.txt)" = original ] && [ "$(cat data/sub/deep/er/file)" = deep ] || bad read
[ -L data/link ] && [ "$(readlink data/link)" = data.txt ] || bad symlink
[ "$(cat conf/one.cfg)" = setting ] && [ "$(cat linked/data.txt)" = original ] || bad "file or linked"
for try in "echo x >data/data.txt" "echo x >>conf/one.cfg" "touch data/new" "mkdir data/newdir" \
	"rm data/data.txt" "mv data/tool.sh data/t2" "chmod 0777 data/sub" "truncate -s 0 data/large" \
	"ln data/hard1 data/hard3" "ln -s x data/sym" "rm -r data/sub" "touch linked/new"; do
	if (eval "$try") 2>err; then bad "it could: $try"; fi
	grep -q "Read-only file system" err || bad "$try failed otherwise: $(cat err)"
done
echo ok'
run_isola run --root "$ROOT" -v --ro data --ro one.cfg:conf/one.cfg --ro datalink:linked ro.sh
assert_rc 0
assert_has out '^    staged by bind in '
[ "$(tree_state data one.cfg)" = "$before" ] || fail "a read-only resource changed"
assert_root_empty
assert_no_mounts

# Writable and read-only resources side by side, from a config file.
make_test mixed.sh '[ "$(cat ref/data.txt)" = original ] && echo x >work/data.txt && ! touch ref/x 2>/dev/null'
printf '[suite]\nro = data:ref\ncopy = data:work\n' >ro.ini
run_isola run --root "$ROOT" -v --config ro.ini mixed.sh
assert_rc 0
assert_has out '^    staged by overlay\+bind in '
run_isola list -v --config ro.ini mixed.sh
assert_has out "^  ro: $WORK/data -> ref$"

# Nothing can be staged inside a read-only resource.
run_isola run --root "$ROOT" --keep none --ro data --mkdir data/out mixed.sh
assert_rc 1
assert_has out "cannot stage 'data/out' inside the read-only resource 'data'"
assert_root_empty

# A missing SRC is refused before anything is made; so is an escaping DEST.
run_isola run --root "$ROOT" --ro missing ro.sh
assert_rc 2
assert_has err "cannot copy '$WORK/missing': No such file or directory"
run_isola run --root "$ROOT" --ro data:../out ro.sh
assert_rc 2
assert_has err "destination '../out' must be a relative path"
assert_root_empty
[ "$(tree_state data one.cfg)" = "$before" ] || fail "a read-only resource changed"
