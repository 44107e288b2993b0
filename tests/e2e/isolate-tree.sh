#!/bin/sh
# SPDX-License-Identifier: MIT
# --isolate tree and the shared-write report. Four tests that write the same object into the
# source tree and then wait for each other (a barrier in a directory outside the tree) race
# without isolation, deterministically: only the last writer finds its own object. With
# --isolate tree each writes into its own overlay, all pass, and the real tree is untouched.
# The report names each test's writes (created, modified, deleted, chmod, renamed) in the human
# output, JSON (schema; isola merge reads it back), JUnit (xsd) and HTML; --share paths go
# through to the real tree and are no violation; --shared-writes fail fails only the offender;
# --copy overlays are reported; the reports say what each tree and --share path became (and
# nothing without --isolate); a sandbox inside the tree stays the real one; as an ordinary
# user it works through a user namespace, and without one (ISOLA_TEST_NO_USERNS) it is ERROR.
# Nothing stays mounted.
set -eu
[ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null || {
	echo "SKIP: needs root (overlayfs' trusted xattrs) and setpriv (util-linux)"
	exit 77
}
. "$(dirname "$0")/lib.sh"
reports=$ISOLA_SOURCE_DIR/tests/report

# The source tree, the shared barrier outside it.
SRC=$WORK/src
mkdir -p "$SRC/obj" "$SRC/shared" "$SRC/olddir" "$WORK/barrier"
echo 'int main(void) { return 0; }' >"$SRC/main.c"
echo old >"$SRC/old.txt"
echo mode >"$SRC/mode.txt"
echo inside >"$SRC/olddir/f"
chmod 644 "$SRC/mode.txt"

# build.sh NAME: writes obj/out.o with its name, waits for all four, then checks its object.
cat >"$SRC/build.sh" <<'EOF'
#!/bin/sh
name=${ISOLA_TEST##*/}
echo "$name" >"$ISOLA_SOURCE_DIR/obj/out.o"
: >"$BARRIER/$name"
i=0
while [ "$(ls "$BARRIER" | wc -l)" -lt 4 ]; do
	i=$((i + 1)); [ $i -lt 3000 ] || { echo "barrier: not all four came"; exit 3; }
	sleep 0.01
done
got=$(cat "$ISOLA_SOURCE_DIR/obj/out.o")
[ "$got" = "$name" ] || { echo "obj/out.o holds '$got', not '$name'"; exit 1; }
EOF
chmod +x "$SRC/build.sh"
for n in a b c d; do ln -s build.sh "$SRC/build-$n.sh"; done
TESTS="build-a.sh build-b.sh build-c.sh build-d.sh"

# A snapshot of the tree (what isola must leave as it was), shared/ aside.
snapshot() {
	(cd "$SRC" && find . -path ./shared -prune -o -printf '%p %y %s %m %T@\n' | sort)
}
BEFORE=$(snapshot)
assert_tree_untouched() {
	after=$(snapshot)
	[ "$after" = "$BEFORE" ] || {
		echo "--- before"; echo "$BEFORE"; echo "--- after"; echo "$after"
		fail "the real tree changed${1:+ ($1)}"
	} >&2
}
# No mount namespace still holds a mount of this test's directories.
assert_no_mounts() {
	for m in /proc/[0-9]*/mountinfo; do
		if grep -qF -- "$WORK" "$m" 2>/dev/null; then
			fail "a mount under $WORK is left in the namespace of ${m%/mountinfo}"
		fi
	done
}

export BARRIER="$WORK/barrier"
# in_src ARGS...: run_isola in the tree (the default tree: where isola was started).
in_src() {
	cd "$SRC"
	run_isola "$@"
	cd "$WORK"
}

# Without isolation: one object for four writers, and only the last finds its own. The JSON
# says nothing of trees.
in_src run --root "$ROOT" -j4 --keep none --json "$WORK/plain.jsonl" $TESTS
assert_rc 1
assert_eq "$(grep -c "holds '" out)" 3 "three of four lose the race: $(cat out)"
assert_has out '^1 passed, 3 failed$'
assert_eq "$(/usr/bin/python3 "$reports/isolation.py" plain.jsonl)" "" "isolation in the JSON of a run without it"
rm -f "$BARRIER"/* "$SRC/obj/out.o"
BEFORE=$(snapshot)

# With --isolate tree: each its own object; the tree is as it was; the report names it.
in_src run --root "$ROOT" -j4 --keep none --isolate tree -v $TESTS
assert_rc 0
assert_has out '^4 passed, 0 failed$'
assert_eq "$(grep -c "^    isolated: tree .$SRC. as a private overlay$" out)" 4 "$(cat out)"
assert_eq "$(grep -c '^    wrote 1 path in the tree: 1 created$' out)" 4
assert_eq "$(grep -c "^      created  $SRC/obj/out.o (11 bytes)$" out)" 4
assert_tree_untouched "four builders"
assert_no_mounts
assert_root_empty
rm -f "$BARRIER"/*

# Every kind of write, in every report. mv of a directory of the lower layer is a rename
# (redirect_dir, as root) and the deletion of the old path; a file's rename is a deletion and a
# creation.
make_test writes.sh "cd '$SRC' && echo new >obj/new.o && echo more >>main.c &&
rm old.txt && chmod 600 mode.txt && mv olddir newdir && echo s >shared/s.txt &&
echo kept >\"\$ISOLA_SANDBOX/mine\" && exit \${FAIL_IT:-0}"
mkdir -p "$WORK/data"
for i in $(seq 40); do echo "$i" >"$WORK/data/f$i"; done
make_test copywrites.sh 'echo x >data/x && rm data/f1'
run_isola run --root "$ROOT" --keep failed --isolate tree --tree "$SRC" --share "$SRC/shared" --copy "$WORK/data" \
	--stage overlay --env FAIL_IT=1 --junit r.xml --json r.jsonl --html r.html \
	"$WORK/writes.sh" "$WORK/copywrites.sh"
assert_rc 1
assert_has out "^    wrote 6 paths in the tree: 1 created, 1 modified, 2 deleted, 1 renamed, 1 chmod$"
assert_has out "^      deleted  $SRC/olddir$"
assert_has out "^      created  $SRC/obj/new.o \\(4 bytes\\)$"
assert_has out "^      modified $SRC/main.c \\(34 bytes\\)$"
assert_has out "^      deleted  $SRC/old.txt$"
assert_has out "^      chmod    $SRC/mode.txt \\(5 bytes\\)$"
assert_has out "^      renamed  $SRC/newdir \\(from $SRC/olddir\\)$"
assert_not_has out "s\\.txt|mine"   # shared: the real thing, and the sandbox is not the tree
# The failed test's kept sandbox holds the same list in its evidence (isola repro).
ev=$(ls -d "$ROOT"/isola-*/*/isola-evidence/evidence | head -n 1)
[ -f "$ev" ] || fail "no evidence kept for the failed test"
assert_has "$ev" "^created $SRC/obj/new\.o 4 bytes$"
assert_has "$ev" "^renamed $SRC/newdir from $SRC/olddir$"

assert_has out '^    wrote 2 paths in its overlays: 1 created, 1 deleted$'
assert_eq "$(cat "$SRC/shared/s.txt")" s
rm "$SRC/shared/s.txt"
assert_tree_untouched "every kind of write"
# JSON: valid, the writes as listed; isola merge reads them back.
/usr/bin/python3 "$reports/check_json.py" r.jsonl >json.out 2>&1 || fail "$(cat json.out)"
/usr/bin/python3 - r.jsonl >wrote.out <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    ev = json.loads(line)
    if ev["event"] == "test_end":
        for w in ev.get("wrote", []):
            print(ev["test"].rsplit("/", 1)[-1], w["kind"], w["path"], w["size"], w["from"], w["in"])
EOF
assert_has wrote.out "^writes\\.sh created $SRC/obj/new\\.o 4 None tree$"
assert_has wrote.out "^writes\\.sh deleted $SRC/old\\.txt None None tree$"
assert_has wrote.out "^writes\\.sh renamed $SRC/newdir None $SRC/olddir tree$"
assert_has wrote.out '^copywrites\.sh created data/x 2 None copy$'
assert_has wrote.out '^copywrites\.sh deleted data/f1 None None copy$'
# What the tree and the share became, for both tests; isola merge keeps it.
/usr/bin/python3 "$reports/isolation.py" r.jsonl >iso.out
printf '%s isolated tree\n%s tree %s private\n%s share %s shared\n' \
	"$WORK/writes.sh" "$WORK/writes.sh" "$SRC" "$WORK/writes.sh" "$SRC/shared" \
	"$WORK/copywrites.sh" "$WORK/copywrites.sh" "$SRC" "$WORK/copywrites.sh" "$SRC/shared" >iso.want
assert_eq "$(sort iso.out)" "$(sort iso.want)" "the JSON's isolation"
run_isola merge --junit m.xml --json m.jsonl --html m.html r.jsonl
assert_rc 1
xmllint --xpath 'string(//testcase[contains(@name,"writes.sh") and not(contains(@name,"copy"))]//property[@name="wrote"]/@value)' m.xml >merged.out
assert_eq "$(cat merged.out)" "6: 1 created, 1 modified, 2 deleted, 1 renamed, 1 chmod"
/usr/bin/python3 "$reports/check_json.py" m.jsonl >json.out 2>&1 || fail "$(cat json.out)"
/usr/bin/python3 "$reports/isolation.py" m.jsonl >iso.out
assert_eq "$(sort iso.out)" "$(sort iso.want)" "the merged JSON's isolation"
# JUnit: valid, a count and one property per path.
xmllint --noout --schema "$reports/junit.xsd" r.xml 2>xmllint.err || fail "JUnit: $(head -n 5 xmllint.err)"
assert_eq "$(xmllint --xpath 'count(//property[@name="wrote.tree"])' r.xml)" 6
assert_eq "$(xmllint --xpath 'count(//property[@name="wrote.copy"])' r.xml)" 2
assert_eq "$(xmllint --xpath "string(//property[@value='created $SRC/obj/new.o (4 bytes)']/@name)" r.xml)" wrote.tree
# ... and what the tree and the share became, merged too.
for x in r.xml m.xml; do
	assert_eq "$(xmllint --xpath "string(//testcase[@name='$WORK/writes.sh']//property[@name='isolated']/@value)" $x)" tree "$x"
	assert_eq "$(xmllint --xpath "string(//testcase[@name='$WORK/writes.sh']//property[@name='trees']/@value)" $x)" \
		"tree '$SRC' as a private overlay; '$SRC/shared' shared" "$x"
done
# HTML: the wrote column, and which tests wrote each path.
assert_has r.html '<th class="num">wrote</th>'
assert_has r.html '<td class="num wrote"><a href="#wrote">6</a></td>'
assert_has r.html "<section id=\"wrote\">"
assert_has r.html "<td class=\"name\">$SRC/obj/new.o</td><td class=\"num\">1</td>"
# The failed test's detail says what its tree became (merged too).
for x in r.html m.html; do
	assert_eq "$(grep -c '<p class="isolation">' $x)" 1 "$x"
	assert_has $x "^<p class=\"isolation\">isolated: tree &middot; tree &#39;$SRC&#39; as a private overlay; &#39;$SRC/shared&#39; shared</p>$"
done
"$ISOLA_BIN" clean --root "$ROOT" >/dev/null # the failed test's sandbox, kept above
assert_no_mounts
assert_root_empty

# The same path by two tests: the HTML's per-path view names both.
in_src run --root "$ROOT" -j4 --keep none --isolate tree --html "$WORK/r.html" $TESTS
assert_rc 0
assert_has r.html "<tr class=\"wrote-path shared-by-many\"><td class=\"name\">$SRC/obj/out.o</td><td class=\"num\">4</td>"
rm -f "$BARRIER"/*

# --shared-writes fail: the test that wrote into the tree fails, naming the path; one that
# wrote only into a --share path and its sandbox passes (and so does it in the config).
make_test quiet.sh "echo q >'$SRC/shared/q'; echo x >\"\$ISOLA_SANDBOX/x\""
make_test noisy.sh "echo n >'$SRC/obj/noisy.o'"
run_isola run --root "$ROOT" --keep none --isolate tree --tree "$SRC" --share "$SRC/shared" --shared-writes fail \
	"$WORK/quiet.sh" "$WORK/noisy.sh"
assert_rc 1
assert_has out "^FAIL .*noisy\\.sh \\(wrote into the tree \\(--shared-writes fail\\): '$SRC/obj/noisy\\.o' \\(created\\)\\)$"
assert_has out '^PASS .*quiet\.sh$'
assert_has out '^1 passed, 1 failed$'
printf '[suite]\nshared-writes = fail\nisolate = tree\n' >"$WORK/sw.ini"
in_src run --root "$ROOT" --keep none --config "$WORK/sw.ini" "$WORK/noisy.sh"
assert_rc 1
assert_has out "noisy\\.sh \\(wrote into the tree"
# Without it, the same test passes and its write is only reported.
run_isola run --root "$ROOT" --keep none --isolate tree --tree "$SRC" "$WORK/noisy.sh"
assert_rc 0
assert_has out '^    wrote 1 path in the tree: 1 created$'
rm "$SRC/shared/q"
assert_tree_untouched "shared writes"
# A test that hides what it wrote (its layer's directory swapped for a symlink to an empty one)
# is not a pass of a check that could not be made.
make_test hider.sh "echo h >'$SRC/obj/hider.o'
cd \"\$ISOLA_SANDBOX\" && mv .isola .isola-real && mkdir -p fake && for n in 0 1 2 3; do mkdir -p fake/\$n/upper; done && ln -s fake .isola"
run_isola run --root "$ROOT" --keep none --isolate tree --tree "$SRC" --shared-writes fail "$WORK/hider.sh"
assert_rc 1
assert_has out "^FAIL .*hider\\.sh \\(its writes cannot be read \\(--shared-writes fail\\): cannot read the overlay layer"
assert_tree_untouched "a hidden write"
# ... nor one that moves its upper directory aside and puts an empty one in its place.
make_test swapper.sh "echo h >'$SRC/obj/swapper.o'
cd \"\$ISOLA_SANDBOX\"/.isola/* && mv upper upper-aside && mkdir upper"
run_isola run --root "$ROOT" --keep none --isolate tree --tree "$SRC" --shared-writes fail "$WORK/swapper.sh"
assert_rc 1
assert_has out "^FAIL .*swapper\\.sh \\(its writes cannot be read \\(--shared-writes fail\\): cannot read the overlay layer .*: Stale file handle\\)$"
assert_tree_untouched "a write moved aside"
# A share named through '..' and through a symlink, not there yet when the test starts (it makes
# it), is the same share: no violation. One outside every tree is said to be (-v).
ln -s "$SRC" "$WORK/srclink"
make_test cacher.sh "mkdir -p '$SRC/cache' && echo c >'$SRC/cache/c'"
run_isola run --root "$ROOT" --keep none -v --isolate tree --tree "$WORK/srclink" \
	--share "$SRC/obj/../cache" --share "$WORK/elsewhere" --shared-writes fail "$WORK/cacher.sh"
assert_rc 0
assert_has out "^      created  $SRC/cache/c \\(2 bytes\\) \\[shared\\]$"
assert_has out "share '$WORK/elsewhere': it lies in no tree: nothing to share"
rm "$WORK/srclink"
assert_tree_untouched "a share through .. and a symlink"

# A sandbox inside the tree (--root under it) stays the real one: the test's writes there
# land on disk, not in its overlay, and are not reported.
mkdir "$SRC/root"
BEFORE=$(snapshot)
make_test insb.sh "echo kept >\"\$ISOLA_SANDBOX/mine\"; echo o >'$SRC/obj/o.o'"
in_src run --root "$SRC/root" --keep all --isolate tree -v "$WORK/insb.sh"
assert_rc 0
assert_has out '^    wrote 1 path in the tree: 1 created$'
assert_not_has out mine
sb=$(sed -n 's/^  [^ ]*insb\.sh  *//p' out)
[ -n "$sb" ] && [ "$(cat "$sb/mine")" = kept ] || fail "the sandbox in the tree was not the real one: $(cat out)"
[ ! -e "$SRC/obj/o.o" ] || fail "the write into the tree reached it"
"$ISOLA_BIN" clean --root "$SRC/root" >/dev/null
rmdir "$SRC/root"
BEFORE=$(snapshot)
assert_no_mounts

# A tree inside another, both on overlayfs already (a container's root): the inner overlay's
# lower is the real directory, not the outer overlay's view (an overlay of an overlay of an
# overlay, which overlayfs refuses). Made in a mount namespace of this test's own (root only).
if [ "$(id -u)" = 0 ]; then
	mkdir -p ov/lower/sub ov/upper ov/work ov/merged
	make_test nested.sh "echo a >'$WORK/ov/merged/a' && echo b >'$WORK/ov/merged/sub/b'"
	unshare -m --propagation private sh -c '
		mount -t overlay overlay -o "lowerdir=$1/lower,upperdir=$1/upper,workdir=$1/work" "$1/merged" &&
		cd "$1/merged" && "$ISOLA_BIN" run --root "$2" --keep none --no-timings -v --isolate tree \
			--tree "$1/merged" --tree "$1/merged/sub" "$3" >"$4/out" 2>&1
		echo $? >"$4/rc"' sh "$WORK/ov" "$ROOT" "$WORK/nested.sh" "$WORK"
	RC=$(cat rc)
	assert_rc 0
	assert_has out "^      created  $WORK/ov/merged/sub/b \\(2 bytes\\)$"
	assert_eq "$(find ov/upper ov/lower -name a -o -name b | wc -l)" 0 "the nested trees' writes reached them"
	rm -rf ov
fi

# A tree that stays shared under --isolate all (a mount point inside it: no overlay) is still
# seen under a private /tmp by a test whose program lies elsewhere (root only: the mount).
if [ "$(id -u)" = 0 ]; then
	mkdir "$SRC/mnt"
	printf '[test cat]\ncommand = /bin/cat %s/main.c\n' "$SRC" >"$WORK/cat.ini"
	unshare -m --propagation private sh -c '
		mount -t tmpfs t "$1/mnt" && cd "$1" &&
		"$ISOLA_BIN" run --root "$2" --keep none -v --isolate all -c "$3" >"$4/out" 2>&1
		echo $? >"$4/rc"' sh "$SRC" "$ROOT" "$WORK/cat.ini" "$WORK"
	RC=$(cat rc)
	assert_rc 0
	assert_has out "tree '$SRC' stays shared: it has mount points inside"
	rmdir "$SRC/mnt"
	BEFORE=$(snapshot)
fi

# A program named through a symlink in /tmp that points into the tree: with a private /tmp too
# (all), its /tmp holds the same symlink, so what it writes beside itself lands in its overlay
# and is reported, never in the real tree.
mkdir "$SRC/beside"
printf '#!/bin/sh\necho o >"$(dirname "$0")/beside.o"\n' >"$SRC/beside/b.sh"
chmod +x "$SRC/beside/b.sh"
BEFORE=$(snapshot)
LINK=/tmp/isola-e2e-tree-link.${WORK##*.}
ln -s "$SRC/beside" "$LINK"
run_isola run --root "$ROOT" --keep none -v --isolate all --tree "$SRC" "$LINK/b.sh"
rm "$LINK"
assert_rc 0
assert_has out "^      created  $SRC/beside/beside\\.o \\(2 bytes\\)$"
assert_tree_untouched "a program named through a symlink in /tmp"
rm -r "$SRC/beside"
BEFORE=$(snapshot)

# Bad trees: not a directory, or missing, is ERROR with the reason. --tree or --share without
# tree isolation for any test would do nothing: refused.
assert_refused "^isola: --tree '$SRC' does nothing without --isolate tree \\(or all\\): add it" --tree "$SRC" "$WORK/noisy.sh"
assert_refused "^isola: --share '$SRC/shared' does nothing without --isolate tree" --isolate tmp --share "$SRC/shared" "$WORK/noisy.sh"
run_isola run --root "$ROOT" --keep none --isolate tree --tree "$SRC/main.c" "$WORK/noisy.sh"
assert_rc 1
assert_has out "^ERROR .*noisy\\.sh \\(isola: cannot isolate the tree '$SRC/main\\.c' \\(--isolate tree\\): it is not a directory\\)$"

# The example (examples/undeclared): with nothing declared, every isolated run passes, and
# the example's directory never gets an obj/.
cp -R "$ISOLA_SOURCE_DIR/examples/undeclared" "$WORK/ex"
for i in 1 2 3; do
	cd "$WORK/ex"
	run_isola run --root "$ROOT" -j4 --keep none --no-timings --isolate tree objects_*.sh
	cd "$WORK"
	assert_rc 0
	assert_has out '^4 passed, 0 failed$'
	[ ! -e "$WORK/ex/obj" ] || fail "the example's obj/ reached its directory"
done

# An ordinary user: through a user namespace (user.overlay.* xattrs); without one, ERROR.
UID_TEST=4245
make_user_dir tree
mkdir -p "$UDIR/root" "$UDIR/src/obj"
echo keep >"$UDIR/src/old.txt"
printf '#!/bin/sh\ncd "$ISOLA_SOURCE_DIR" && echo u >obj/u.o && rm old.txt\n' >"$UDIR/src/u.sh"
chmod +x "$UDIR/src/u.sh"
chown -R "$UID_TEST:$UID_TEST" "$UDIR"
UTOP=$UDIR
UDIR=$UDIR/src
trap 'UDIR=$UTOP; cleanup_user_dir' EXIT # all of the user's directory, not only src/
as_user ../isola run --root "$UDIR/../root" --keep none --isolate tree -v u.sh
if grep -q 'user namespaces' err out; then
	echo "note: no user namespace for an ordinary user here: only the refusal is tested"
else
	assert_rc 0
	assert_has out '^    wrote 2 paths in the tree: 1 created, 1 deleted$'
	assert_has out "^      deleted  $UDIR/old.txt$"
	[ -e "$UDIR/old.txt" ] && [ ! -e "$UDIR/obj/u.o" ] || fail "the user's tree changed"
fi
as_user env ISOLA_TEST_NO_USERNS=1 ../isola run --root "$UDIR/../root" --keep none --isolate tree u.sh
assert_rc 1
assert_has out "^ERROR .*u\\.sh \\(isola: cannot isolate the tree '$UDIR' \\(--isolate tree\\): unprivileged user namespaces are disabled\\)$"
[ -e "$UDIR/old.txt" ] && [ ! -e "$UDIR/obj/u.o" ] || fail "the ERROR test ran anyway"
assert_no_mounts
echo ok
