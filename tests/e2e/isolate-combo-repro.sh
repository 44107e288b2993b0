#!/bin/sh
# SPDX-License-Identifier: MIT
# isola repro of attempts that ran under --isolate all --fence --copy (isolate-combo.inc: as
# root and as an ordinary user, through a user namespace and with user namespaces disabled, the
# sandbox root on ext4 and on tmpfs). The repro has the same outcome and the same reason (the
# fence's refusal) and the same views: everything isolate-combo.sh checks of the attempt holds
# of it. isola repro --shell there sees only lo, no marker of the real /tmp and its tree (a
# private layer, though $SHELL lies outside the tree), and the fence refuses its write outside;
# with user namespaces disabled it sees what the attempt saw, and the fence refuses the same.
# A test that fails because it sees only lo (--isolate net) fails again under repro, and its
# shell sees only lo; reproduced with user namespaces disabled, it is ERROR (the namespace
# cannot be had), never run without. Nothing stays mounted or running after any of it, and the
# real tree and /tmp are as they were.
. "$(dirname "$0")/isolate-combo.inc"
export SHELL=/bin/sh

# netonly.sh: fails where it sees no interface but lo.
for t in "$WORK/src" "$UDIR/src"; do
	cat >"$t/netonly.sh" <<'EOF'
#!/bin/sh
ifs=$(sed -n 's/^ *\([^ :]*\):.*/\1/p' /proc/net/dev | paste -sd ' ' -)
echo "interfaces: $ifs"
[ "$ifs" != lo ] || { echo "only lo"; exit 1; }
EOF
	chmod +x "$t/netonly.sh"
done
chown "$UID_TEST:$UID_TEST" "$UDIR/src/netonly.sh"
# What the shell is fed: what it sees, a write into the tree and one outside.
cat >shell.in <<EOF
echo "interfaces: \$(sed -n 's/^ *\([^ :]*\):.*/\1/p' /proc/net/dev | paste -sd ' ' -)"
if [ -e $MARK ]; then echo "marker: seen"; else echo "marker: hidden"; fi
echo s >"\$ISOLA_SOURCE_DIR/obj/shell.o" && ls "\$ISOLA_SOURCE_DIR/obj" && echo "tree: written"
echo y >$OUT/y || echo "outside: refused"
exit 3
EOF
kept() { sed -n 's/^    sandbox: //p' out; }

for who in root user nouserns; do
	use $who
	snapshot >"$WORK/tree.$WHO"
	for root in "$R" "$S"; do
		run_combo "$root"
		SB=$(kept)
		settled
		# The same outcome, reason and views, in a fresh sandbox.
		run repro --root "$root" "$SB"
		check_combo
		assert_has err "^isola: repro of $SB \\(\\./combo\\.sh: FAIL, exit 1; fence refused: .*$OUT/x\\)$"
		NEW=$(kept)
		[ -n "$NEW" ] && [ "$NEW" != "$SB" ] || fail "no fresh sandbox for the repro: '$NEW'"
		settled
		# A shell in a fresh one: the same namespaces, tree and fence.
		run repro --root "$root" --keep none --shell "$SB" <shell.in
		assert_rc 3
		assert_has out '^outside: refused$'
		assert_has err "cannot create $OUT/y: Permission denied$"
		if [ "$WHO" = nouserns ]; then
			assert_has out "^interfaces: $MACHINE_IFS$"
			assert_has out '^marker: seen$'
			assert_not_has out '^tree: written'
			assert_has err "cannot create $T/obj/shell\\.o: Permission denied$"
		else
			assert_has out '^interfaces: lo$'
			assert_has out '^marker: hidden$'
			assert_has out '^shell\.o$'
			assert_has out '^tree: written$'
		fi
		settled

		# Failing for seeing only lo (not for nouserns: it gets no network namespace).
		if [ "$WHO" = nouserns ]; then
			:
		elif [ "$MACHINE_IFS" = lo ]; then
			echo "note: this network namespace has only lo too: --isolate net is not told apart here"
		else
			run run --root "$root" --isolate net ./netonly.sh
			assert_rc 1
			assert_has out '^FAIL .* \./netonly\.sh \(exit 1\)$'
			assert_has out '^    \| only lo$'
			SB=$(kept)
			run repro --root "$root" "$SB"
			assert_rc 1
			assert_has out '^FAIL .* \./netonly\.sh \(exit 1\)$'
			assert_has out '^    \| only lo$'
			run repro --root "$root" --keep none --shell "$SB" <<EOF
echo "interfaces: \$(sed -n 's/^ *\([^ :]*\):.*/\1/p' /proc/net/dev | paste -sd ' ' -)"
exit 3
EOF
			assert_rc 3
			assert_has out '^interfaces: lo$'
			if [ "$WHO" = user ]; then
				# Without user namespaces the kept attempt's net cannot be had: ERROR.
				set +e
				as nouserns "$ISOLA" repro --root "$root" "$SB" >out 2>err
				RC=$?
				set -e
				assert_rc 1
				assert_has out "^ERROR .* \\./netonly\\.sh \\(isola: cannot isolate net: a network namespace needs a user namespace here, and user namespaces are disabled \\(ISOLA_TEST_NO_USERNS\\)\\)$"
				assert_not_has out 'interfaces:'
			fi
			settled
		fi
		run clean --root "$root"
		assert_rc 0
		[ -z "$(ls -A "$root")" ] || fail "left under $root ($WHO): $(ls -A "$root")"
	done
done
# Without --isolate net the same test passes: seeing only lo is what failed it.
use root
if [ "$MACHINE_IFS" != lo ]; then
	run run --root "$R" --keep none ./netonly.sh
	assert_rc 0
fi
echo ok
