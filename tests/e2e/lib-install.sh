#!/bin/sh
# SPDX-License-Identifier: MIT
# libisola as shipped: make install honours PREFIX and DESTDIR; the shared library has a
# versioned soname and exports only the public API; the static library leaks no internal
# symbol; a program builds against either through pkg-config and works.
. "$(dirname "$0")/lib.sh"

top=$ISOLA_SOURCE_DIR
build=$(dirname "$ISOLA_BIN")
dest="$WORK/dest"
make -s -C "$top" install DESTDIR="$dest" PREFIX=/opt/isola >make.out 2>&1 || {
	cat make.out >&2
	fail "make install failed"
}
for f in bin/isola lib/libisola.so.0 lib/libisola.so lib/libisola.a lib/pkgconfig/isola.pc \
	include/isola/isola.h share/man/man1/isola.1 share/man/man3/libisola.3 \
	lib/isola/report-json.so lib/isola/report-junit.so; do
	[ -e "$dest/opt/isola/$f" ] || fail "make install did not install $f"
done
[ ! -e /opt/isola ] || [ -e /opt/isola/.not-ours ] || true

# The report plugins export their descriptor and nothing else, and the installed isola (moved
# by DESTDIR: found beside its bin/, not at the PREFIX it was built for) loads them.
for p in report-json report-junit; do
	syms=$(nm -D --defined-only "$dest/opt/isola/lib/isola/$p.so" | awk '{print $3}')
	assert_eq "$syms" isola_report_plugin "$p.so exports"
done
make_test one.sh 'exit 0'
"$dest/opt/isola/bin/isola" run --root "$ROOT" --keep none --junit one.xml --json one.jsonl one.sh \
	>run.out 2>&1 || fail "the installed isola cannot write reports: $(cat run.out)"
assert_has one.xml '<testcase name="one.sh"'
assert_has one.jsonl '"event":"test_end"'

soname=$(objdump -p "$dest/opt/isola/lib/libisola.so" | awk '/SONAME/ {print $2}')
assert_eq "$soname" "libisola.so.0"
nm -D --defined-only "$dest/opt/isola/lib/libisola.so" | awk '{print $3}' | sort >exports
bad=$(grep -v '^isola_' exports || true)
[ -z "$bad" ] || fail "libisola.so exports internal symbols: $bad"
grep -qx isola_sandbox_new exports || fail "isola_sandbox_new is not exported"
nm "$dest/opt/isola/lib/libisola.a" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sort >static
bad=$(grep -v '^isola_' static || true)
[ -z "$bad" ] || fail "libisola.a has global internal symbols: $bad"

cat >prog.c <<'C'
#include <isola/isola.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	struct isola_error err = {0};
	isola_sandbox *sb = isola_sandbox_new(NULL, &err);
	if (!sb) { fprintf(stderr, "%s\n", err.message); return 1; }
	char *argv[] = {"sh", "-c", "echo \"$ISOLA=$(basename \"$PWD\")\"", NULL};
	struct isola_result res = {0};
	if (isola_run(sb, argv, NULL, &res, &err) < 0) { fprintf(stderr, "%s\n", err.message); return 1; }
	int ok = res.exited && res.exit_code == 0 && strncmp(res.out, "1=1-", 4) == 0;
	printf("%s %s", isola_version(), res.out);
	isola_result_release(&res);
	return isola_sandbox_free(sb, &err) == 0 && ok ? 0 : 1;
}
C
export PKG_CONFIG_PATH="$dest/opt/isola/lib/pkgconfig"
# The .pc file names the installed prefix; point the compiler at DESTDIR's copy of it.
pc_cflags=$(pkg-config --cflags isola | sed "s|-I/opt/isola|-I$dest/opt/isola|g")
pc_libs=$(pkg-config --libs isola | sed "s|-L/opt/isola|-L$dest/opt/isola|g")
pc_static=$(pkg-config --libs --static isola | sed "s|-L/opt/isola|-L$dest/opt/isola|g")
# shellcheck disable=SC2086 # flags are words
cc -o prog_shared prog.c $pc_cflags $pc_libs -Wl,-rpath,"$dest/opt/isola/lib"
# shellcheck disable=SC2086
cc -o prog_static prog.c $pc_cflags -Wl,-Bstatic -lisola -Wl,-Bdynamic $pc_static
ldd prog_shared | grep -q "libisola.so.0 => $dest/opt/isola/lib/libisola.so.0" || fail "prog_shared does not use the installed libisola.so.0"
if ldd prog_static | grep -q libisola; then fail "prog_static links libisola dynamically"; fi
for p in prog_shared prog_static; do
	out=$(TMPDIR="$ROOT" "./$p") || fail "$p failed: $out"
	case $out in "0."*" 1=1-"*) ;; *) fail "$p printed '$out'" ;; esac
done
assert_root_empty
