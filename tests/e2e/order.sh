#!/bin/sh
# SPDX-License-Identifier: MIT
# --order, --shuffle, --seed: the same seed gives the same order (whatever order the config
# lists the tests in), the seed is printed on every shuffled run and recorded in the JSON report,
# and running again with it replays the order; name and longest (unknown tests first) orders;
# bad values are exit 2 with one line.
. "$(dirname "$0")/lib.sh"

make_test ok.sh "echo \"\$ISOLA_TEST\" >>'$WORK/started'"
for i in $(seq 1 30); do printf '[test t%02d]\ncommand = %s/ok.sh\n' "$i" "$WORK"; done >isola.ini
# The same tests, listed backwards.
for i in $(seq 30 -1 1); do printf '[test t%02d]\ncommand = %s/ok.sh\n' "$i" "$WORK"; done >reversed.ini

# started_order ARGS...: the order the tests started in, at -j1.
started_order() {
	rm -f started
	run_isola run --root "$ROOT" --keep none -j1 "$@"
	assert_rc 0
	tr '\n' ' ' <started
}

a=$(started_order --shuffle --seed 12345)
assert_has err '^isola: order shuffled with --seed 12345$'
b=$(started_order --shuffle --seed 12345 -c reversed.ini)
assert_eq "$b" "$a" "the same seed, the tests listed the other way"
[ "$a" != "$(seq -f 't%02g' 1 30 | tr '\n' ' ')" ] || fail "seed 12345 left the order as it was"
c=$(started_order --shuffle --seed 12346)
[ "$c" != "$a" ] || fail "seeds 12345 and 12346 gave the same order"
# isola list shows the same order.
run_isola list --shuffle --seed 12345
assert_eq "$(tr '\n' ' ' <out)" "$a" "isola list --shuffle --seed 12345"

# Without --seed: one is chosen, printed, and recorded; it replays the run.
first=$(started_order --shuffle --json shuffled.jsonl)
seed=$(sed -n 's/^isola: order shuffled with --seed \([0-9]*\)$/\1/p' err)
[ -n "$seed" ] || fail "no seed printed: $(cat err)"
assert_has shuffled.jsonl "\"order\":\"shuffle\",\"seed\":\"$seed\""
again=$(started_order --order shuffle --seed "$seed")
assert_eq "$again" "$first" "the order replayed from the printed seed"

# name; longest by recorded durations, tests the file does not know first.
assert_eq "$(started_order --order name -c reversed.ini)" "$(seq -f 't%02g' 1 30 | tr '\n' ' ')" "--order name"
printf '%s\t%s\n' 1 t01 3 t02 2 t03 >times.txt
run_isola list --order longest --timings times.txt
assert_eq "$(head -n 5 out | tr '\n' ' ')" "t04 t05 t06 t07 t08 " "unknown tests first, by name"
assert_eq "$(tail -n 3 out | tr '\n' ' ')" "t02 t03 t01 " "then the longest first"

# Bad values.
for bad in "--order random" "--seed 5" "--shuffle --seed x" "--shuffle --seed -1" \
	"--shuffle --seed 18446744073709551616" "--order longest"; do
	# shellcheck disable=SC2086 # each case is words
	run_isola run --root "$ROOT" $bad
	assert_rc 2
	[ "$(wc -l <err)" -eq 1 ] || fail "$bad: more than one line: $(cat err)"
done
assert_root_empty
