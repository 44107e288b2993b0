#!/bin/sh
# SPDX-License-Identifier: MIT
# A resource tree of 100,000 entries: staged and removed under every strategy, seen whole by
# the test, private to it. With overlay the staging time does not grow with the tree.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/stage-common.inc"

# On tmpfs where there is one: creating 100,000 files is slow on some disks, and this test is
# about isola, not the disk. Removed at the end like WORK.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	SHM=$(mktemp -d /dev/shm/isola-e2e-big.XXXXXX)
	cleanup_shm() {
		rm -rf "$SHM"
		cleanup_work
	}
	trap cleanup_shm EXIT
	ROOT="$SHM/root"
	mkdir "$ROOT"
	cd "$SHM"
	fi
mkdir big
d=0
while [ $d -lt 100 ]; do
	mkdir "big/d$d"
	d=$((d + 1))
done
# 100 directories of 999 files each, plus the directories and the top: 100,001 entries.
(cd big && for dir in d*; do (cd "$dir" && seq 1 999 | xargs touch); done)
echo original >big/d7/42
want=$(find big | wc -l)
[ "$want" -ge 100000 ] || fail "the fixture has only $want entries"

printf '#!/bin/sh\n%s\n' "[ \"\$(find big | wc -l)\" = $want ] || exit 1; [ \"\$(cat big/d7/42)\" = original ] || exit 1; echo mine >big/d7/42; rm -r big/d9; mkdir big/new" >count.sh
chmod +x count.sh
for how in overlay copy; do
	run_isola run --root "$ROOT" -v --timeout 100s --stage "$how" --copy big count.sh
	assert_rc 0
	assert_has "$WORK/out" "^    staged by $how in "
	assert_eq "$(cat big/d7/42)" original "--stage $how"
	[ -d big/d9 ] && [ ! -e big/new ] || fail "the original tree changed (--stage $how)"
	assert_root_empty
done
assert_no_mounts
