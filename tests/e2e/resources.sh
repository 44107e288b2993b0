#!/bin/sh
# SPDX-License-Identifier: MIT
# --copy and --mkdir: every test gets its own writable copy; modes, symlinks and mtimes are
# preserved; writes, deletes and renames never reach the original or another test's copy.
. "$(dirname "$0")/lib.sh"

mkdir -p fixtures/sub/empty
echo original >fixtures/data.txt
printf 'secret\n' >fixtures/sub/key
chmod 0600 fixtures/sub/key
printf '#!/bin/sh\necho tool\n' >fixtures/tool.sh
chmod 0755 fixtures/tool.sh
ln -s data.txt fixtures/link
ln -s ../nowhere fixtures/dangling
touch -d '2001-02-03 04:05:06.123456789' fixtures/data.txt
echo single >single.cfg
before=$(find fixtures single.cfg -exec stat -c '%n %a %s %Y %F' {} + | sort | sha256sum)

# Each test checks what it sees, then vandalises its copy.
make_test check.sh '
set -e
[ "$(cat fixtures/data.txt)" = original ] || { echo "data: $(cat fixtures/data.txt)"; exit 1; }
[ "$(stat -c %a fixtures/sub/key)" = 600 ] || { echo "mode key: $(stat -c %a fixtures/sub/key)"; exit 1; }
[ "$(stat -c %a fixtures/tool.sh)" = 755 ] || exit 1
[ "$(fixtures/tool.sh)" = tool ] || exit 1
[ -L fixtures/link ] && [ "$(readlink fixtures/link)" = data.txt ] || { echo link; exit 1; }
[ -L fixtures/dangling ] && [ "$(readlink fixtures/dangling)" = ../nowhere ] || { echo dangling; exit 1; }
[ "$(stat -c %y fixtures/data.txt)" = "2001-02-03 04:05:06.123456789 +0000" ] || { echo "mtime $(stat -c %y fixtures/data.txt)"; exit 1; }
[ -d fixtures/sub/empty ] || exit 1
[ "$(cat conf/app.cfg)" = single ] || { echo single; exit 1; }
[ -d build/obj ] && [ -z "$(ls -A build/obj)" ] || { echo build; exit 1; }
[ "$(stat -c %a "$ISOLA_SANDBOX")" = 700 ] || { echo "sandbox mode $(stat -c %a "$ISOLA_SANDBOX")"; exit 1; }
echo "$ISOLA_TEST" >fixtures/data.txt
rm fixtures/sub/key
mv fixtures/tool.sh fixtures/renamed
chmod 0777 fixtures/sub
echo more >>conf/app.cfg
touch build/obj/out.o
sleep 0.05
# Another test running at the same time must not have touched our copy.
[ "$(cat fixtures/data.txt)" = "$ISOLA_TEST" ] || { echo "foreign write: $(cat fixtures/data.txt)"; exit 1; }
'
for i in 1 2 3 4 5 6; do cp check.sh "check$i.sh"; done
run_isola run --root "$ROOT" -j3 --copy fixtures --copy single.cfg:conf/app.cfg --mkdir build/obj 'check?.sh'
assert_rc 0
assert_eq "$(tail -n 1 out)" "6 passed, 0 failed"
after=$(find fixtures single.cfg -exec stat -c '%n %a %s %Y %F' {} + | sort | sha256sum)
assert_eq "$after" "$before" "the original resources changed"
assert_root_empty

# A resource that is itself a symlink is followed (at the top only).
ln -s fixtures fixlink
make_test linked.sh '[ -d data ] && [ ! -L data ] && [ "$(cat data/data.txt)" = original ]'
run_isola run --root "$ROOT" --copy fixlink:data linked.sh
assert_rc 0

# SRC in the config file is relative to the config file's directory, not the current one.
mkdir -p proj/res && echo from-config >proj/res/v
make_test cfgres.sh '[ "$(cat res/v)" = from-config ]'
printf '[suite]\ncopy = res\n' >proj/isola.ini
run_isola run --root "$ROOT" --config proj/isola.ini cfgres.sh
assert_rc 0
