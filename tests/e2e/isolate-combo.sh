#!/bin/sh
# SPDX-License-Identifier: MIT
# --isolate all, --fence and --copy together, as root and as an ordinary user (through a user
# namespace, and with user namespaces disabled), with the sandbox root on ext4 and on tmpfs
# (isolate-combo.inc). A test writes into its --copy resource, /tmp, /var/tmp, /dev/shm, its
# sandbox, its log (as /dev/stdout) and the tree isola runs in: every write succeeds and none
# reaches the real thing; the shared-write report names the tree's and the copy's; it sees only
# lo and no marker of the real /tmp; a write outside all of them is refused with EACCES and named
# in the reason (without --fence it is written). With user namespaces disabled, all gets none of
# that: the fence refuses /tmp, /var/tmp, /dev/shm and the real tree too, names them, and nothing
# is written there. A sandbox root inside the tree stays the real one under --isolate all
# --fence (written on disk while the test runs, not reported as the tree's). After every run
# nothing is mounted in any namespace nor running, and the real tree and /tmp are unchanged.
# isolate-combo-repro.sh reproduces such attempts.
. "$(dirname "$0")/isolate-combo.inc"

# insb.sh: writes into its sandbox (a --root inside the tree) and its log, then the tree, and
# waits until told to go (in its sandbox: the only place both it and this script see for sure).
for t in "$WORK/src" "$UDIR/src"; do
	cat >"$t/insb.sh" <<'EOF'
#!/bin/sh
echo kept >"$ISOLA_SANDBOX/mine" || exit 2
echo to-log >>/dev/stdout || exit 3
echo o >"$ISOLA_SOURCE_DIR/obj/o.o" && echo "tree: written"
i=0
until [ -e "$ISOLA_SANDBOX/go" ]; do
	i=$((i + 1)); [ $i -lt 3000 ] || { echo "go never came"; exit 4; }
	sleep 0.01
done
EOF
	chmod +x "$t/insb.sh"
done
chown "$UID_TEST:$UID_TEST" "$UDIR/src/insb.sh" # a file of root's: no tree overlay for a user
# look.sh, outside the tree and /tmp: writes into the tree.
mkdir "$OUT/bin"
printf '#!/bin/sh\necho l >"$ISOLA_SOURCE_DIR/obj/look.o"\n' >"$OUT/bin/look.sh"
chmod 0755 "$OUT/bin/look.sh"
mine_written() {
	set -- "$T"/root/isola-*/1-*/mine
	MINE=$1
	[ -f "$MINE" ]
}

for who in root user nouserns; do
	use $who
	snapshot >"$WORK/tree.$WHO"
	for root in "$R" "$S"; do
		run_combo "$root"
		if [ "$WHO" = nouserns ]; then
			assert_has out '^    isolated: none$'
			assert_has out "^    isolated: tree '$T' stays shared: unprivileged user namespaces are disabled$"
		else
			assert_has out '^    isolated: tmp, shm, net \(net: loopback only'
			assert_has out "^    isolated: tree '$T' as a private overlay$"
		fi
		assert_has out '^    fenced \(Landlock ABI [1-9][0-9]*\)$'
		settled
		run clean --root "$root"
		assert_rc 0
		[ -z "$(ls -A "$root")" ] || fail "left under $root ($WHO): $(ls -A "$root")"
	done

	# Without the fence the write outside goes through: the refusal above was the fence's.
	# (Not for nouserns: nothing would keep its other writes from the real /tmp and tree.)
	if [ "$WHO" != nouserns ]; then
		run run --root "$R" --keep none --isolate all --copy res ./combo.sh
		assert_rc 0
		assert_has out '^PASS .* \./combo\.sh$'
		[ -f "$OUT/x" ] || fail "the unfenced write outside did not happen ($WHO)"
		rm "$OUT/x"
		settled
		# A program that lies outside the tree sees the tree too (its private layer).
		run run --root "$R" --keep none -v --isolate all --fence "$OUT/bin/look.sh"
		assert_rc 0
		assert_has out "^      created  $T/obj/look\\.o \\(2 bytes\\)$"
		settled
	fi

	# A sandbox root inside the tree: the sandbox is the real one, on disk while the test runs.
	as "$WHO" "$ISOLA" run --root "$T/root" --keep all -v --isolate all --fence ./insb.sh \
		>"$WORK/out" 2>"$WORK/err" &
	ISOLA_PID=$!
	wait_until "insb.sh wrote nothing into its sandbox inside the tree ($WHO)" mine_written
	assert_eq "$(cat "$MINE")" kept "the sandbox inside the tree, seen while the test runs"
	sb=${MINE%/mine}
	: >"$sb/go"
	wait_isola
	assert_rc 0
	assert_has out '^PASS .* \./insb\.sh$'
	assert_has out '^    fenced \(Landlock ABI'
	assert_has "$sb.log" '^to-log$'
	assert_not_has out 'mine|/go'
	if [ "$WHO" = nouserns ]; then
		# No overlay: the tree is the real one, and the fence keeps the test out of it.
		assert_has "$sb.log" "cannot create $T/obj/o\\.o: Permission denied$"
		assert_not_has "$sb.log" '^tree: written'
		assert_not_has out '^    wrote '
	else
		assert_has "$sb.log" '^tree: written$'
		assert_has out '^    wrote 1 path in the tree: 1 created$'
		assert_has out "^      created  $T/obj/o\\.o \\(2 bytes\\)$"
	fi
	run clean --root "$T/root"
	assert_rc 0
	[ -z "$(ls -A "$T/root")" ] || fail "left under $T/root ($WHO)"
	settled
done

# Under --fence a --share path of the tree is the real thing: read-only to the test (EROFS, named
# in the reason), unless an --allow-write names it; then it writes the real one.
mkdir "$WORK/src/shared"
make_test sharew.sh "echo s >'$WORK/src/shared/s'"
cd "$WORK/src"
run_isola run --root "$ROOT" --keep none --isolate tree --share "$WORK/src/shared" --fence "$WORK/sharew.sh"
assert_rc 1
assert_has "$WORK/out" "fence refused: $WORK/src/shared/s"
[ ! -e "$WORK/src/shared/s" ] || fail "a fenced test wrote into a --share path no --allow-write named"
run_isola run --root "$ROOT" --keep none --isolate tree --share "$WORK/src/shared" --fence \
	--allow-write "$WORK/src/shared" "$WORK/sharew.sh"
assert_rc 0
assert_eq "$(cat "$WORK/src/shared/s")" s "written through --share and --allow-write"
cd "$WORK"
rm -r "$WORK/src/shared"
settled
echo ok
