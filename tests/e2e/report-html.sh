#!/bin/sh
# SPDX-License-Identifier: MIT
# --html: the page renders in a real browser (Debian's headless Chromium) and its DOM says what
# the run did: the counts, the failed tests first with their output and kept sandboxes, the
# timeline with one bar per attempt, the slowest test first. Nothing is fetched from anywhere.
# A screenshot is taken (REPORT_SCREENSHOT=FILE keeps a copy, e.g. doc/report.png).
. "$(dirname "$0")/lib.sh"

chromium=/usr/bin/chromium
if [ ! -x "$chromium" ]; then
	echo "SKIP: $chromium is missing (Debian package chromium; scripts/install-deps test)" >&2
	exit 77
fi
top=$ISOLA_SOURCE_DIR
. "$top/tests/report/suite.sh"
make_report_suite "$WORK/suite"

run_isola run --root "$ROOT" -j2 --config suite/isola.ini --html report.html
assert_rc 1

# Self-contained: no script, no link, no external reference of any kind.
assert_not_has report.html '<script|<link|<img|<iframe|<object|<embed|@import|url\(|(src|href)="'
# (The SVG namespace is a name, not an address anything fetches.)
sed 's|xmlns="http://www.w3.org/2000/svg"||' report.html >page.txt
assert_not_has page.txt '(https?|ftp|file):'

# Headless Chromium as root needs --no-sandbox; the other flags keep it off the network.
browse() {
	"$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --disable-quic \
		--user-data-dir="$WORK/chromium" "$@" 2>>chromium.err
}
browse --dump-dom "file://$WORK/report.html" >dom.html || fail "chromium failed: $(tail -n 5 chromium.err)"
[ -s dom.html ] || fail "chromium printed no DOM: $(tail -n 5 chromium.err)"

# The counts, as the browser parsed them.
for c in PASS:2 FAIL:2 SKIP:1 ERROR:2 TIMEOUT:1 CRASH:1 LEAK:1; do
	assert_has dom.html "<span class=\"n\" id=\"count-${c%%:*}\">${c#*:}</span>"
done
assert_has dom.html '<p id="closing">2 passed, 7 failed, 1 skipped</p>'
# The failed tests, each with its output tail and its kept sandbox, before everything else.
for name in timeout crash leak error 'big output' 'cannot start'; do
	assert_has dom.html "<article class=\"failure [a-z]+\" data-outcome=\"[A-Z]+\" data-test=\"$name\">"
done
assert_eq "$(grep -c '<article class="failure' dom.html)" 7
assert_has dom.html 'data-test="fail &quot;quoted&quot; (&lt;|<)tag(&gt;|>) &amp; '"'"'apos'"'"'"'
assert_has dom.html '<pre class="tail">quotes: "double" and '"'"'single'"'"'$'
assert_has dom.html '^markup: &lt;a href="x"&gt;&amp;amp; &amp; &lt;/a&gt;'
assert_has dom.html 'nul: \[\^@\] esc: \[\^\[\[31mred'
assert_has dom.html 'sandbox \(kept\): <code class="sandbox">'"$ROOT"'/isola-[A-Za-z0-9]{6}/[0-9]+-[A-Za-z0-9]{6}</code>'
first_failure=$(grep -n '<article class="failure' dom.html | head -n 1 | cut -d: -f1)
timeline=$(grep -n '<section id="timeline"' dom.html | cut -d: -f1)
[ "$first_failure" -lt "$timeline" ] || fail "the failures do not come first"
# The timeline: one bar per attempt, on two slots; the slowest test first.
assert_eq "$(grep -o '<rect class="s-[a-z]*"' dom.html | wc -l)" 10
assert_has dom.html '<text x="6" y="[0-9]+">slot 1</text>'
# (Sorted by test time, longest first: checked on the times shown, not on which test was slower.)
order=$(/usr/bin/python3 -c '
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
table = re.search(r"<section id=\"slowest\">.*?</table>", page, re.S).group(0)
def secs(d):
    m = re.fullmatch(r"(?:([0-9]+)m)?([0-9.]+)s", d)
    return int(m.group(1) or 0) * 60 + float(m.group(2))
rows = re.findall(r"<tr><td class=\"name\">.*?</td>.*?<td class=\"num\">([^<]*)</td>", table)
times = [secs(t) for t in rows]
print(len(times), "sorted" if times == sorted(times, reverse=True) else "unsorted: %r" % times)' dom.html)
assert_eq "$order" "10 sorted" "the slowest tests"
assert_has dom.html '<b id="overhead-pct">[0-9.]+%</b>'

# A screenshot: a real PNG of the rendered page.
browse --hide-scrollbars --window-size=1100,1500 --screenshot="$WORK/report.png" \
	"file://$WORK/report.html" >/dev/null || fail "chromium could not take a screenshot"
magic=$(od -An -c -N4 report.png | tr -d ' ')
assert_eq "$magic" '211PNG' "PNG signature"
[ "$(wc -c <report.png)" -gt 20000 ] || fail "the screenshot is nearly empty"
if [ -n "${REPORT_SCREENSHOT:-}" ]; then
	cp report.png "$REPORT_SCREENSHOT"
fi
