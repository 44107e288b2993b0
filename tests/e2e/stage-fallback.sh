#!/bin/sh
# SPDX-License-Identifier: MIT
# When a strategy cannot be had, isola falls back silently and correctly, and -v says why:
# no mount namespaces at all (ISOLA_TEST_NO_NAMESPACES), an unprivileged user with and without
# user namespaces (ISOLA_TEST_NO_USERNS), a resource the kernel refuses as an overlay's lower
# layer (one on an overlay already stacked two deep), a resource holding other users' files, a
# resource with another staged inside it. A forced strategy that cannot be had is an error.
# Runs in a mount namespace of its own (for the stacked overlay); skipped where that is denied.
set -eu
. "$(dirname "$0")/mountns.inc"
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/stage-common.inc"

cleanup_all() {
	cd /
	umount "$WORK/stack/m2" "$WORK/stack/m1" 2>/dev/null || true
	if [ -n "${UDIR:-}" ]; then
		chmod -R u+rwx "$UDIR" 2>/dev/null || true
		rm -rf "$UDIR"
	fi
	cleanup_work
}
trap cleanup_all EXIT
setup_stage_fixture
make_stage_tests 2

# --- no mount namespaces: everything by copy, the same tests pass --------------------------
ISOLA_TEST_NO_NAMESPACES=1 run_isola run --root "$ROOT" -j2 -v $STAGE_ARGS 'check?.sh'
assert_rc 0
assert_has out '^    staged by copy in '
assert_has out "'fx' by copy \\(overlay: mount namespaces are disabled \\(ISOLA_TEST_NO_NAMESPACES\\); reflink: "
assert_fixture_unchanged "no namespaces"
assert_root_empty
# ...and forcing overlay then is an error of the test, not a silent copy.
ISOLA_TEST_NO_NAMESPACES=1 run_isola run --root "$ROOT" --keep none --stage overlay --copy fx check1.sh
assert_rc 1
assert_has out "^ERROR .*check1\\.sh \\(isola: cannot stage '.*/fx' by overlay \\(--stage overlay\\): mount namespaces are disabled"
assert_root_empty

# --- a resource with another resource staged inside it cannot be an overlay -----------------
make_test nested.sh '[ "$(cat fx/extra.cfg)" = single ] && [ "$(cat fx/data.txt)" = original ] && echo x >fx/data.txt'
run_isola run --root "$ROOT" -v --copy fx --copy single.cfg:fx/extra.cfg nested.sh
assert_rc 0
assert_has out "^    staged by copy in "
assert_has out "'fx' by copy \\(overlay: 'fx/extra.cfg' is staged inside it"
assert_fixture_unchanged "nested"

# --- a lower layer the kernel refuses: on an overlay already stacked two deep ----------------
mkdir -p stack/l1 stack/u1 stack/w1 stack/m1 stack/u2 stack/w2 stack/m2
cp -a fx stack/l1/fx
mount -t overlay overlay -o lowerdir="$WORK/stack/l1",upperdir="$WORK/stack/u1",workdir="$WORK/stack/w1" "$WORK/stack/m1"
mount -t overlay overlay -o lowerdir="$WORK/stack/m1",upperdir="$WORK/stack/u2",workdir="$WORK/stack/w2" "$WORK/stack/m2"
run_isola run --root "$ROOT" -v --copy stack/m2/fx:fx --copy single.cfg:conf/app.cfg \
	--copy fxlink:linked --mkdir fx/made/deeper check1.sh
assert_rc 0
assert_has out '^    staged by overlay\+copy in '
assert_has out "'fx' by copy \\(overlay: overlayfs refused it \\("
[ "$(cd stack/m2 && tree_state fx)" = "$(tree_state fx)" ] ||
	fail "the stacked resource changed"
umount "$WORK/stack/m2" "$WORK/stack/m1"
assert_root_empty

# --- an ordinary user -----------------------------------------------------------------------
# Its own directory (the sandboxes of this test are root's, 0700), removed at the end.
UID_TEST=4242
UDIR=$(mktemp -d /tmp/isola-e2e-user.XXXXXX)
chmod 0755 "$UDIR"
cp "$ISOLA_BIN" "$UDIR/isola"
cp -a fx single.cfg fxlink "$UDIR/"
cp check1.sh check2.sh "$UDIR/"
mkdir "$UDIR/root"
chown -R "$UID_TEST:$UID_TEST" "$UDIR"
user_state() {
	(cd "$UDIR" && tree_state fx single.cfg)
}
ubefore=$(user_state)

# With unprivileged user namespaces: overlay (through one), the same tests pass, and the test
# keeps the user's uid.
make_test "whoami.sh" "[ \"\$(id -u)\" = $UID_TEST ] && [ \"\$(stat -c %u fx/data.txt)\" = $UID_TEST ] && echo changed >fx/data.txt"
cp whoami.sh "$UDIR/" && chown "$UID_TEST" "$UDIR/whoami.sh"
as_user ./isola run --root "$UDIR/root" -j2 -v $STAGE_ARGS check1.sh check2.sh whoami.sh
if grep -q 'overlay: no mount namespace can be had here' "$WORK/out"; then
	echo "note: this kernel allows no unprivileged user namespace: only the fallback is tested"
else
	assert_rc 0
	assert_has out '^    staged by overlay\+copy in '
fi
assert_rc 0
[ "$(user_state)" = "$ubefore" ] || fail "the user's resources changed (user namespace)"
[ -z "$(ls -A "$UDIR/root")" ] || fail "left under the user's root: $(ls -A "$UDIR/root")"

# Without them: copies, the same tests pass, -v says why.
ISOLA_TEST_NO_USERNS=1 as_user ./isola run --root "$UDIR/root" -j2 -v $STAGE_ARGS check1.sh check2.sh
assert_rc 0
assert_has out '^    staged by copy in '
assert_has out "'fx' by copy \\(overlay: unprivileged user namespaces are disabled; reflink: "
[ "$(user_state)" = "$ubefore" ] || fail "the user's resources changed (no user namespace)"

# --ro without a mount namespace: a copy without write bits; the user cannot write to it.
make_test rocheck.sh '[ "$(cat ro/data.txt)" = original ] || exit 1; if echo x >ro/data.txt; then exit 1; fi; if touch ro/new; then exit 1; fi'
cp rocheck.sh "$UDIR/" && chown "$UID_TEST" "$UDIR/rocheck.sh"
ISOLA_TEST_NO_USERNS=1 as_user ./isola run --root "$UDIR/root" -v --ro fx:ro rocheck.sh
assert_rc 0
assert_has out "^    staged by copy in "
assert_has out "'ro' is a read-only copy \\(a bind mount: "
as_user ./isola run --root "$UDIR/root" -v --ro fx:ro rocheck.sh
assert_rc 0
[ "$(user_state)" = "$ubefore" ] || fail "the user's resources changed (--ro)"

# A resource holding files of other users cannot be an overlay in a user namespace (its files
# could not be copied up): copied instead, readable files and all.
mkdir "$UDIR/mixed"
echo mine >"$UDIR/mixed/mine"
echo roots >"$UDIR/mixed/roots"
make_bulk "$UDIR/mixed"
chown -R "$UID_TEST:$UID_TEST" "$UDIR/mixed/bulk"
chown "$UID_TEST:$UID_TEST" "$UDIR/mixed" "$UDIR/mixed/mine"
make_test mixed.sh 'echo changed >mixed/roots && echo changed >mixed/mine'
cp mixed.sh "$UDIR/" && chown "$UID_TEST" "$UDIR/mixed.sh"
as_user ./isola run --root "$UDIR/root" -v --copy mixed mixed.sh
assert_rc 0
if ! grep -q 'overlay: no mount namespace can be had here' "$WORK/out"; then
	assert_has out "'mixed' by copy \\(overlay: it holds files of other users, which an overlay in a user namespace cannot copy up"
fi
assert_eq "$(cat "$UDIR/mixed/roots")" roots
[ -z "$(ls -A "$UDIR/root")" ] || fail "left under the user's root: $(ls -A "$UDIR/root")"
assert_no_mounts
