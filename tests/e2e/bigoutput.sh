#!/bin/sh
# SPDX-License-Identifier: MIT
# A test printing hundreds of MB: the output goes to its log, not through isola's memory; the
# failure tail shows only the last lines; isola's peak memory stays small.
. "$(dirname "$0")/lib.sh"

# 300 MB of 'y' lines on stdout and some on stderr, then a last line, then failure.
make_test loud.sh 'yes | head -c 300000000; echo "to stderr" >&2; echo "the very last line"; exit 1'

if [ -x /usr/bin/time ]; then
	set +e
	/usr/bin/time -f '%M' -o rss "$ISOLA_BIN" run --root "$ROOT" loud.sh >out 2>err
	RC=$?
	set -e
else
	run_isola run --root "$ROOT" loud.sh
fi
assert_rc 1
assert_has out '^    \| the very last line$'
assert_has out '^    \| to stderr$'
# Only the tail is shown (10 lines).
lines=$(grep -c '^    | ' out)
[ "$lines" -le 10 ] || fail "the failure tail has $lines lines, expected at most 10"
log=$(sed -n 's/^    log: *//p' out)
size=$(wc -c <"$log")
[ "$size" -gt 300000000 ] || fail "the log has $size bytes, expected the whole output"
if [ -f rss ]; then
	kb=$(tail -n 1 rss)
	[ "$kb" -lt 32768 ] || fail "isola's peak RSS was ${kb} KB while a test printed 300 MB"
fi
