#!/bin/sh
# SPDX-License-Identifier: MIT
# isola repro for an ordinary user: a failing attempt kept by the user is reproduced by the user
# (through a user namespace, and without one: ISOLA_TEST_NO_USERNS), by path and by name; root
# is refused the user's sandbox (another user's), with exit 2, one line and nothing created.
# Needs root to make the user's files.
set -eu
[ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null || {
	echo "SKIP: needs root and setpriv (util-linux) to run isola as an ordinary user"
	exit 77
}
. "$(dirname "$0")/lib.sh"

UID_TEST=4251
make_user_dir repro
mkdir "$UDIR/root" "$UDIR/data"
echo bad >"$UDIR/data/flag"
printf '#!/bin/sh\necho "flag $(cat data/flag) uid $(id -u) mode $MODE"\n[ "$(cat data/flag)" = good ] || exit 3\n' \
	>"$UDIR/fail.sh"
chmod +x "$UDIR/fail.sh"
chown -R "$UID_TEST:$UID_TEST" "$UDIR"

as_user ./isola run --root "$UDIR/root" --copy data -e MODE=m ./fail.sh
assert_rc 1
SB=$(find "$UDIR/root" -mindepth 2 -maxdepth 2 -type d -name '[0-9]*-*')
[ -f "$SB/isola-evidence/evidence" ] || fail "no evidence in '$SB'"
assert_eq "$(stat -c %u "$SB/isola-evidence/evidence")" "$UID_TEST"

for mode in "" ISOLA_TEST_NO_USERNS=1; do
	as_user env $mode ./isola repro --root "$UDIR/root" --keep none "$SB"
	assert_rc 1
	assert_has "$WORK/out" "^FAIL .* \./fail\.sh \(exit 3\)$"
	assert_has "$WORK/out" "flag bad uid $UID_TEST mode m"
	as_user env $mode ./isola repro --root "$UDIR/root" --keep none ./fail.sh
	assert_rc 1
	assert_has "$WORK/out" "flag bad uid $UID_TEST mode m"
done

# Root is refused the user's sandbox: nothing is created.
ls -A "$UDIR/root" >before
run_isola repro --root "$UDIR/root" "$SB"
assert_rc 2
assert_has "$WORK/err" "^isola: '$SB' belongs to another user: isola repro reruns only your own sandboxes$"
assert_eq "$(wc -l <"$WORK/err")" 1
ls -A "$UDIR/root" >after
cmp -s before after || fail "created under the root: $(diff before after)"
# And by name, root finds no sandbox of its own.
run_isola repro --root "$UDIR/root" ./fail.sh
assert_rc 2

as_user ./isola clean --root "$UDIR/root"
assert_rc 0
SAVED=$WORK
WORK=$UDIR ROOT=$UDIR/root
assert_no_procs
assert_root_empty
WORK=$SAVED ROOT=$SAVED/root
