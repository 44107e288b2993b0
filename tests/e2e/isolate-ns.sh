#!/bin/sh
# SPDX-License-Identifier: MIT
# --isolate tmp, shm, net and all. Pairs of tests take the same fixed resource (a lock directory
# in /tmp, /var/tmp, /dev/shm; a TCP port on 127.0.0.1 and ::1 and an abstract AF_UNIX name) and
# then wait for each other, so that both hold it at once for certain: without isolation one of
# each pair fails, every time; with the kind, both pass. The contract paths (the sandbox, the
# cwd, TMPDIR, HOME, the program's directory, a --copy) still resolve under a private /tmp, with
# the sandbox root under /tmp, under /var/tmp and on /dev/shm (ext4 and tmpfs here); as root and
# as an ordinary user (through a user namespace); a kind that cannot be had is the attempt's
# ERROR with the reason (all says it in -v instead); nothing is left mounted or running after a
# pass, a timeout, Ctrl-C or SIGKILL of isola. The reports say what each attempt got (JSON,
# valid; JUnit, valid; the HTML's failures; and so does isola merge), and nothing without it.
set -eu
command -v python3 >/dev/null || {
	echo "SKIP: needs python3 (the port pair)"
	exit 77
}
. "$(dirname "$0")/lib.sh"

# Unique to this run of the test ($$ is 2 in a pid namespace): fixed for the pairs, never shared
# with another run of this test on the machine.
TAG=${WORK##*.}
# A port free right now on 127.0.0.1 and ::1, below the ephemeral range (where connect() picks
# its local ports), so that without isolation only the pair collides on it.
PORT=$(python3 -c '
import random, socket
for _ in range(1000):
    p = random.randint(20000, 32000)
    try:
        for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            socket.socket(fam).bind((host, p))
    except OSError:
        continue
    print(p)
    break')
[ -n "$PORT" ] || fail "no free port between 20000 and 32000"
SYNC=$WORK/sync
reports=$ISOLA_SOURCE_DIR/tests/report
MARK=/tmp/isola-e2e-$TAG.marker
cleanup_all() {
	rm -rf "$MARK" "/tmp/isola-e2e-$TAG.lock" "/var/tmp/isola-e2e-$TAG.lock" "/tmp/isola-e2e-$TAG.link" \
		"/dev/shm/isola-e2e-$TAG.lock" "${VROOT:-}" "${SROOT:-}"
	cd /
	[ -z "${UDIR:-}" ] || rm -rf "$UDIR"
	cleanup_work
}
trap cleanup_all EXIT
: >"$MARK"

# pair.sh KIND ME OTHER: take KIND's fixed resource, meet OTHER (both have taken theirs by
# then), let go. Exit 1 if the resource was taken already, 3 if OTHER never came.
cat >pair.sh <<EOF
#!/bin/sh
kind=\$1 me=\$2 other=\$3
meet() {
	: >"$SYNC/\$me"
	i=0
	until [ -e "$SYNC/\$other" ]; do
		i=\$((i + 1)); [ \$i -lt 2000 ] || { echo "\$other never came"; exit 3; }
		sleep 0.01
	done
}
case \$kind in
tmp) dir=/tmp ;;
vartmp) dir=/var/tmp ;;
shm) dir=/dev/shm ;;
net) exec python3 "\$(dirname "\$0")/ports.py" "$SYNC/\$me" "$SYNC/\$other" ;;
esac
if mkdir "\$dir/isola-e2e-$TAG.lock" 2>/dev/null; then
	meet
	rmdir "\$dir/isola-e2e-$TAG.lock"
else
	echo "\$dir/isola-e2e-$TAG.lock is taken"
	meet
	exit 1
fi
EOF
cat >ports.py <<EOF
import os, socket, sys, time
me, other = sys.argv[1], sys.argv[2]
held, taken = [], []
for fam, addr in ((socket.AF_INET, ("127.0.0.1", $PORT)), (socket.AF_INET6, ("::1", $PORT)),
                  (socket.AF_UNIX, "\0isola-e2e-$TAG")):
    s = socket.socket(fam, socket.SOCK_STREAM)
    # As servers do: a connection of the run before, in TIME_WAIT, does not hold the port
    # (two listeners still cannot share it).
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(addr)
        s.listen(1)
        held.append((fam, addr, s))
    except OSError as e:
        taken.append("%s: %s" % (addr, e))
open(me, "w").close()
for i in range(2000):
    if os.path.exists(other):
        break
    time.sleep(0.01)
else:
    print("partner never came"); sys.exit(3)
for fam, addr, s in held:  # what it bound answers on it: 127.0.0.1 and ::1 work
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.connect(addr)
    a, _ = s.accept()
    c.sendall(b"x")
    assert a.recv(1) == b"x"
    c.close()  # the client first: its side, not the port, waits in TIME_WAIT
    a.recv(1)
    a.close()
if taken:
    print("taken:", "; ".join(taken)); sys.exit(1)
EOF
# The pairs, in this order: at -j4 each pair runs at the same time.
cat >pairs.ini <<EOF
[test tmp-a]
command = $WORK/pair.sh tmp tmp-a tmp-b
[test tmp-b]
command = $WORK/pair.sh tmp tmp-b tmp-a
[test vartmp-a]
command = $WORK/pair.sh vartmp vartmp-a vartmp-b
[test vartmp-b]
command = $WORK/pair.sh vartmp vartmp-b vartmp-a
[test shm-a]
command = $WORK/pair.sh shm shm-a shm-b
[test shm-b]
command = $WORK/pair.sh shm shm-b shm-a
[test net-a]
command = $WORK/pair.sh net net-a net-b
[test net-b]
command = $WORK/pair.sh net net-b net-a
EOF
chmod +x pair.sh

# pairs ARGS...: run the pairs at -j4 with ARGS, from a clean rendezvous.
pairs() {
	rm -rf "$SYNC"
	mkdir "$SYNC"
	run_isola run --root "$ROOT" --keep none --config pairs.ini -j4 -v "$@"
}
# passed KIND...: both of each KIND's pair passed; failed KIND...: exactly one of each failed.
passed() {
	for k in "$@"; do
		assert_has out "^PASS +[0-9.]+s  $k-a$"
		assert_has out "^PASS +[0-9.]+s  $k-b$"
	done
}
failed() {
	for k in "$@"; do
		n=$(grep -Ec "^FAIL +[0-9.]+s  $k-[ab] \\(exit 1\\)$" out || true)
		assert_eq "$n" 1 "$k: one of the pair fails"
	done
}
# Nothing of the run is mounted here, nothing of it runs, nothing is left in the real /tmp.
nothing_left() {
	assert_not_has /proc/self/mountinfo "$ROOT"
	wait_no_procs
	for d in /tmp /var/tmp /dev/shm; do
		[ ! -e "$d/isola-e2e-$TAG.lock" ] || fail "left $d/isola-e2e-$TAG.lock"
	done
}

# check_reports NAME: the JSON, JUnit and HTML reports of a run (NAME.jsonl, NAME.xml, NAME.html) are
# valid, and NAME.iso lists what the JSON says of each attempt's isolation (isolation.py).
check_reports() {
	python3 "$reports/check_json.py" "$1.jsonl" >json.out 2>&1 || fail "$1.jsonl: $(cat json.out)"
	xmllint --noout --schema "$reports/junit.xsd" "$1.xml" 2>xmllint.err ||
		fail "$1.xml: $(head -n 5 xmllint.err)"
	python3 "$reports/isolation.py" "$1.jsonl" >"$1.iso"
}
# prop FILE TEST NAME: the value of the JUnit property NAME of TEST.
prop() {
	xmllint --xpath "string(//testcase[@name='$2']/properties/property[@name='$3']/@value)" "$1"
}
# merged NAME: isola merge of NAME.jsonl says the same of isolation in every report.
merged() {
	run_isola merge --json "m-$1.jsonl" --junit "m-$1.xml" --html "m-$1.html" "$1.jsonl"
	[ -s "m-$1.jsonl" ] || fail "isola merge $1.jsonl: $(cat err)"
	check_reports "m-$1"
	assert_eq "$(sort "m-$1.iso")" "$(sort "$1.iso")" "isola merge, JSON"
	for f in xml html; do
		assert_eq "$(grep -E 'name="(isolated|not_isolated|trees)"|class="isolation"' "m-$1.$f" | sort)" \
			"$(grep -E 'name="(isolated|not_isolated|trees)"|class="isolation"' "$1.$f" | sort)" \
			"isola merge, $f"
	done
}

# Without isolation, each pair collides: every run.
for i in 1 2; do
	pairs --json none.jsonl --junit none.xml --html none.html
	assert_rc 1
	failed tmp vartmp shm net
	assert_not_has out '^    isolated:'
	nothing_left
done
# No report says anything of isolation (the HTML has its four failures).
check_reports none
assert_eq "$(cat none.iso)" "" "isolation in the JSON of a run without it"
assert_not_has none.xml 'name="(isolated|not_isolated|trees|fenced)"'
assert_eq "$(grep -c '<article class="failure' none.html)" 4
assert_not_has none.html 'class="isolation"'
assert_has out "isola-e2e-$TAG\\.lock is taken"
assert_has out "taken: .*127\\.0\\.0\\.1.*::1.*isola-e2e-$TAG"

# Each kind alone: its pair passes, the others still collide.
pairs --isolate tmp --json tmp.jsonl --junit tmp.xml --html tmp.html
assert_rc 1
passed tmp vartmp
failed shm net
assert_has out '^    isolated: tmp$'
# The reports: tmp for each of the eight, nothing more; in the HTML, on the two failures.
check_reports tmp
assert_eq "$(grep -c '^[a-z]*-[ab] isolated tmp$' tmp.iso)" 8 "$(cat tmp.iso)"
assert_eq "$(wc -l <tmp.iso)" 8 "$(cat tmp.iso)"
assert_eq "$(xmllint --xpath 'count(//testcase/properties/property[@name="isolated"][@value="tmp"])' tmp.xml)" 8
assert_not_has tmp.xml 'name="(not_isolated|trees|fenced)"'
assert_eq "$(grep -c '^<p class="isolation">isolated: tmp</p>$' tmp.html)" 2
merged tmp
pairs --isolate shm
assert_rc 1
passed shm
failed tmp vartmp net
pairs --isolate net
assert_rc 1
passed net
failed tmp vartmp shm
assert_has out '^    isolated: net \(net: loopback only, 127\.0\.0\.1 and ::1: no route out'
nothing_left
for i in 1 2; do
	pairs --isolate tmp,shm,net
	assert_rc 0
	passed tmp vartmp shm net
	assert_has out '^    isolated: tmp, shm, net '
	nothing_left
done
# all: everything built that this machine allows (here, as root: all of it, the tree where isola
# runs too: the pairs' meeting place in it is shared).
pairs --isolate all --share "$SYNC" --json all.jsonl --junit all.xml --html all.html
assert_rc 0
passed tmp vartmp shm net
assert_has out '^    isolated: tmp, shm, net '
assert_has out "^    isolated: tree '$WORK' as a private overlay; '$SYNC' shared$"
assert_not_has out 'not isolated more'
check_reports all
assert_eq "$(grep -c '^[a-z]*-[ab] isolated tmp,shm,net,tree$' all.iso)" 8 "$(cat all.iso)"
assert_eq "$(grep -c "^[a-z]*-[ab] tree $WORK private$" all.iso)" 8 "$(cat all.iso)"
assert_eq "$(grep -c "^[a-z]*-[ab] share $SYNC shared$" all.iso)" 8 "$(cat all.iso)"
assert_eq "$(wc -l <all.iso)" 24 "$(cat all.iso)"
assert_eq "$(prop all.xml net-b isolated)" "tmp, shm, net, tree"
assert_eq "$(prop all.xml net-b trees)" "tree '$WORK' as a private overlay; '$SYNC' shared"
merged all
# The config's isolate = does the same, per test.
{ printf '[suite]\nisolate = tmp\n'; sed 's/^\[test net-a\]$/&\nisolate = net/; s/^\[test net-b\]$/&\nisolate = net/; s/^\[test shm-[ab]\]$/&\nisolate = shm/' pairs.ini; } >pairs2.ini
mv pairs2.ini pairs.ini
pairs
assert_rc 0
passed tmp vartmp shm net
assert_has out '^    isolated: net '
nothing_left

# The contract's paths resolve under a private /tmp, /var/tmp and /dev/shm; what the test sees
# there is its own (and the path to its sandbox and its program): not the real /tmp's marker.
mkdir data
echo staged >data/f
make_test paths.sh "set -e
if [ -e $MARK ]; then echo 'sees the real /tmp'; exit 1; fi
[ -d \"\$ISOLA_SANDBOX\" ] && [ \"\$(pwd -P)\" = \"\$(cd \"\$ISOLA_SANDBOX\" && pwd -P)\" ]
[ ! -d \"\$ISOLA_SANDBOX/data\" ] || echo \"data: \$(cat \"\$ISOLA_SANDBOX/data/f\")\"
: >\"\$TMPDIR/via-tmpdir\" && [ -e /tmp/via-tmpdir ]
: >\"\$HOME/h\" && : >/var/tmp/v && : >/dev/shm/s
[ -x \"$WORK/paths.sh\" ]
for d in /tmp /var/tmp /dev/shm; do [ -k \$d ] && [ -w \$d ] || { echo \"\$d: not 1777\"; exit 1; }; done
echo tmp: \$(ls -A /tmp) vartmp: \$(ls -A /var/tmp) shm: \$(ls -A /dev/shm)"
VROOT=$(mktemp -d /var/tmp/isola-e2e-root.XXXXXX)
SROOT=$(mktemp -d /dev/shm/isola-e2e-root.XXXXXX)
for root in "$ROOT" "$VROOT" "$SROOT"; do
	for copy in "" "--copy data"; do
		run_isola run --root "$root" -v --isolate tmp,shm $copy paths.sh
		assert_rc 0
		# /tmp holds the via-tmpdir file and the first components of the paths kept there.
		assert_has out '^tmp: .*via-tmpdir'
		[ -z "$copy" ] || assert_has out '^data: staged$'
		[ -z "$(ls -A "$root")" ] || fail "left under $root: $(ls -A "$root")"
	done
done
# Without tmp the test sees the real /tmp (its marker): the check above can fail.
run_isola run --root "$ROOT" --keep none --isolate shm paths.sh
assert_rc 1
assert_has out 'sees the real /tmp'
# A program directly in /tmp is bound back alone.
cp paths.sh "/tmp/isola-e2e-$TAG.sh"
sed -i "s|$WORK/paths.sh|/tmp/isola-e2e-$TAG.sh|" "/tmp/isola-e2e-$TAG.sh"
run_isola run --root "$ROOT" -v --isolate tmp --copy data "/tmp/isola-e2e-$TAG.sh"
rm -f "/tmp/isola-e2e-$TAG.sh"
assert_rc 0
assert_has out "^tmp: .*isola-e2e-$TAG\\.sh"
assert_has out '^data: staged$'
# One reached through a symlinked directory in /tmp is found where the test names it.
ln -s "$WORK" "/tmp/isola-e2e-$TAG.link"
run_isola run --root "$ROOT" -v --isolate tmp --copy data "/tmp/isola-e2e-$TAG.link/paths.sh"
rm -f "/tmp/isola-e2e-$TAG.link"
assert_rc 0
assert_has out '^data: staged$'

# isola exec does not isolate: it refuses the options rather than ignoring them.
for opt in '--isolate=net' '--isolate=all' "--tree=$WORK" "--share=$WORK"; do
	run_isola exec "$opt" -- touch "$WORK/exec-ran"
	assert_rc 125
	assert_has err "^isola: exec: option '--(isolate|tree|share)' is for isola run, not isola exec$"
	[ ! -e "$WORK/exec-ran" ] || fail "isola exec ran its command despite $opt"
done

# What cannot be had: a kind named is ERROR with the reason; all says it and runs.
make_test ok.sh 'exit 0'
ISOLA_TEST_NO_NAMESPACES=1 run_isola run --root "$ROOT" --keep none -v --isolate net ok.sh
assert_rc 1
assert_has out '^ERROR .* ok\.sh \(isola: cannot isolate net: namespaces are disabled \(ISOLA_TEST_NO_NAMESPACES\)\)$'
ISOLA_TEST_NO_NAMESPACES=1 run_isola run --root "$ROOT" -v --isolate all ok.sh
assert_rc 0
assert_has out '^    isolated: none$'
assert_has out '^    not isolated more: tmp: namespaces are disabled .*; shm: .*; net: '
assert_root_empty
# The reports say what it did not get, and why: on a test that fails, the HTML too.
make_test ko.sh 'exit 1'
ISOLA_TEST_NO_NAMESPACES=1 run_isola run --root "$ROOT" --keep none --isolate all \
	--json na.jsonl --junit na.xml --html na.html ok.sh ko.sh
assert_rc 1
check_reports na
nons='namespaces are disabled (ISOLA_TEST_NO_NAMESPACES)'
for t in ok.sh ko.sh; do
	assert_has na.iso "^$t isolated $"
	assert_eq "$(grep "^$t not_isolated " na.iso)" "$t not_isolated tmp: $nons; shm: $nons; net: $nons"
	assert_eq "$(grep "^$t tree " na.iso)" "$t tree $WORK shared: mount $nons"
done
assert_eq "$(wc -l <na.iso)" 6 "$(cat na.iso)"
assert_eq "$(prop na.xml ko.sh isolated)" none
assert_eq "$(prop na.xml ko.sh not_isolated)" "tmp: $nons; shm: $nons; net: $nons"
assert_eq "$(prop na.xml ko.sh trees)" "tree '$WORK' stays shared: mount $nons"
assert_has na.html "^<p class=\"isolation\">isolated: none &middot; not isolated more: tmp: namespaces are disabled \(ISOLA_TEST_NO_NAMESPACES\); .* &middot; tree &#39;$WORK&#39; stays shared: mount namespaces are disabled"
merged na

# Timeout, Ctrl-C and SIGKILL of isola: nothing of an isolated test survives or stays mounted.
make_test hang.sh 'touch "$1"; sleep 300 & sleep 301'
printf '[test hang]\ncommand = %s/hang.sh %s/started\nisolate = tmp,shm,net\n' "$WORK" "$WORK" >hang.ini
run_isola run --root "$ROOT" --keep none --config hang.ini --timeout 1s
assert_rc 1
assert_has out '^TIMEOUT'
nothing_left
assert_root_empty
for sig in INT KILL; do
	rm -f started
	start_isola run --root "$ROOT" --config hang.ini
	wait_for "$WORK/started"
	kill -$sig "$ISOLA_PID"
	wait_isola
	nothing_left
done

# As an ordinary user (in a user namespace): the pairs pass with isolation, and with user
# namespaces disabled each kind is an ERROR that says why.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	UID_TEST=4247
	make_user_dir iso
	trap cleanup_all EXIT # which removes $UDIR too
	cp pair.sh ports.py pairs.ini ok.sh "$UDIR/"
	sed -i "s|$WORK|$UDIR|g" "$UDIR/pair.sh" "$UDIR/pairs.ini"
	mkdir "$UDIR/root" "$UDIR/sync"
	chown -R "$UID_TEST:$UID_TEST" "$UDIR"
	SYNC=$UDIR/sync
	as_user ./isola run --root "$UDIR/root" --config pairs.ini -j4 -v
	assert_rc 0
	passed tmp vartmp shm net
	assert_has out '^    isolated: tmp$'
	assert_has out '^    isolated: net '
	rm -f "$UDIR"/sync/*
	for kind in tmp shm net; do
		as_user env ISOLA_TEST_NO_USERNS=1 ./isola run --root "$UDIR/root" --keep none -v --isolate $kind ok.sh
		assert_rc 1
		assert_has out "^ERROR .* ok\\.sh \\(isola: cannot isolate $kind: a [a-z]+ namespace needs a user namespace here, and user namespaces are disabled \\(ISOLA_TEST_NO_USERNS\\)\\)$"
	done
	as_user env ISOLA_TEST_NO_USERNS=1 ./isola run --root "$UDIR/root" --keep none -v --isolate all ok.sh
	assert_rc 0
	assert_has out '^    not isolated more: tmp: .*ISOLA_TEST_NO_USERNS'
	[ -z "$(ls -A "$UDIR/root")" ] || fail "left under the user's root"
	(WORK=$UDIR; wait_no_procs)
else
	echo "note: not root: the ordinary-user part is not tested"
fi
