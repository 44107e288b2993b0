#!/bin/sh
# SPDX-License-Identifier: MIT
# Staging strategies: the same tests, with the same resources, pass under every strategy this
# machine has (auto, overlay, copy; reflink is tested on XFS by stage-reflink.sh): each test
# sees its resources exactly, changes them in every way it can (writes, creates, deletes, file
# and directory renames, chmod, truncation, hard links, symlinks), and neither the original nor
# the tests running beside it ever see a change. Nothing stays mounted, nothing stays on disk.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/stage-common.inc"

setup_stage_fixture
make_stage_tests 4

for how in auto overlay copy; do
	# shellcheck disable=SC2086 # STAGE_ARGS is a list of options
	run_isola run --root "$ROOT" -j3 -v --stage "$how" $STAGE_ARGS 'check?.sh'
	assert_rc 0
	assert_eq "$(tail -n 1 out)" "4 passed, 0 failed" "--stage $how"
	assert_fixture_unchanged "--stage $how"
	assert_root_empty
	assert_no_mounts
	case $how in
	copy)
		assert_has out '^    staged by copy in '
		assert_not_has out 'not staged faster' ;;
	*)
		# The trees by overlay; the single file cannot be one, and -v says why.
		assert_has out '^    staged by overlay\+copy in '
		assert_has out "'conf/app.cfg' by copy \\(overlay: a single file, and overlayfs mounts directories only; reflink: "
		assert_not_has out "'fx' by" ;;
	esac
done

# The strategy is also a config key, per test; the command line overrides the file.
make_test one.sh "$STAGE_CHECK_BODY"
printf '[suite]\nstage = copy\ncopy = fx\ncopy = single.cfg:conf/app.cfg\ncopy = fxlink:linked\nmkdir = fx/made/deeper\n[test one]\ncommand = ./one.sh\n' >stage.ini
run_isola run --root "$ROOT" -v --config stage.ini
assert_rc 0
assert_has out '^    staged by copy in '
run_isola run --root "$ROOT" -v --config stage.ini --stage overlay
assert_rc 0
assert_has out '^    staged by overlay\+copy in '
assert_fixture_unchanged "config"

# A bad strategy is a usage error, before anything is made.
run_isola run --root "$ROOT" --stage fast one.sh
assert_rc 2
assert_has err "invalid value 'fast' for stage \\(expected auto, overlay, reflink or copy\\)"
printf '[suite]\nstage = quick\n' >bad.ini
run_isola run --root "$ROOT" --config bad.ini one.sh
assert_rc 2
assert_has err 'bad.ini:2: .*quick'
assert_root_empty
