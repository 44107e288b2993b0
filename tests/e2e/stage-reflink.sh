#!/bin/sh
# SPDX-License-Identifier: MIT
# The reflink strategy, on a real filesystem that shares extents: an XFS image, loop-mounted in
# a mount namespace private to this test (so the mount dies with it, whatever happens). The
# same tests as stage-semantics.sh pass with --stage reflink, clones share extents with the
# original, and auto picks reflink over copy where overlayfs cannot be had.
# Skipped (exit 77) where XFS, loop devices or root are missing.
set -eu
if [ "${1:-}" != --inside ]; then
	[ "$(id -u)" -eq 0 ] && command -v mkfs.xfs >/dev/null && command -v unshare >/dev/null &&
		grep -qw xfs /proc/filesystems && [ -e /dev/loop-control ] || {
		echo "SKIP: needs root, mkfs.xfs (xfsprogs), XFS and loop devices"
		exit 77
	}
	exec unshare --mount --propagation private "$0" --inside
fi
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/stage-common.inc"

unmount_and_clean() {
	cd /
	umount "$WORK/xfs" 2>/dev/null || true
	cleanup_work
}
trap unmount_and_clean EXIT
truncate -s 512M "$WORK/xfs.img"
mkfs.xfs -q -m reflink=1 "$WORK/xfs.img"
mkdir "$WORK/xfs"
mount -o loop "$WORK/xfs.img" "$WORK/xfs" || {
	echo "SKIP: cannot loop-mount an XFS image here"
	exit 77
}
# Resources and sandboxes on the same XFS.
ROOT="$WORK/xfs/root"
mkdir "$ROOT"
cd "$WORK/xfs"
setup_stage_fixture
make_stage_tests 3
free_before=$(df --output=used -k . | tail -n 1)

run_isola run --root "$ROOT" -j3 -v --keep all --stage reflink $STAGE_ARGS "$WORK/check?.sh"
assert_rc 0
assert_eq "$(tail -n 1 "$WORK/out")" "3 passed, 0 failed" "--stage reflink"
assert_has "$WORK/out" '^    staged by reflink in '
assert_fixture_unchanged "--stage reflink"
# Three kept copies of an 8 MiB file plus the rest: clones take (almost) no room until written.
used=$(( $(df --output=used -k . | tail -n 1) - free_before ))
[ "$used" -lt 8192 ] || fail "three reflinked copies used $used KiB: extents were not shared"
run_isola clean --root "$ROOT"
assert_rc 0
assert_root_empty

# auto: overlay first; without mount namespaces, reflink (and -v says why not overlay).
run_isola run --root "$ROOT" -j3 -v $STAGE_ARGS "$WORK/check?.sh"
assert_rc 0
assert_has "$WORK/out" '^    staged by overlay\+reflink in '
ISOLA_TEST_NO_NAMESPACES=1 run_isola run --root "$ROOT" -j3 -v $STAGE_ARGS "$WORK/check?.sh"
assert_rc 0
assert_has "$WORK/out" '^    staged by reflink in '
assert_has "$WORK/out" "'fx' by reflink \\(overlay: mount namespaces are disabled \\(ISOLA_TEST_NO_NAMESPACES\\)\\)"
assert_fixture_unchanged "auto"
assert_root_empty
assert_no_mounts

# A forced reflink where the filesystems differ is an error, not a silent copy.
mkdir "$WORK/elsewhere"
run_isola run --root "$WORK/elsewhere" --stage reflink --copy fx --retries 1 \
	--json "$WORK/events.jsonl" "$WORK/check1.sh"
assert_rc 1
assert_has "$WORK/out" "cannot reflink '.*/fx/.*' \\(--stage reflink\\)"
# Each attempt that got a sandbox is announced before it ends, failed staging or not.
assert_eq "$(grep -c '"event":"test_start"' "$WORK/events.jsonl")" 2 "test_start events"
assert_eq "$(grep -c '"event":"test_end"' "$WORK/events.jsonl")" 2 "test_end events"
run_isola clean --root "$WORK/elsewhere"
