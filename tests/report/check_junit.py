#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Read isola's JUnit report of the report suite (suite.sh) with junitparser, as CI tools do,
and check what it says: usage: check_junit.py FILE. Exits 1 with the reasons on a mismatch."""
import sys

from junitparser import Error, Failure, JUnitXml, Skipped

# name as a reader sees it, the result element, its type
EXPECTED = [
    ("pass", None, None),
    ("fail \"quoted\" <tag> & 'apos'", Failure, "FAIL"),
    ("skip # hash \\ backslash", Skipped, None),
    ("error", Error, "ERROR"),
    ("timeout", Failure, "TIMEOUT"),
    ("crash", Failure, "CRASH"),
    ("leak", Failure, "LEAK"),
    ("big output", Failure, "FAIL"),
    ("esc ^[[1m and bad \ufffd bytes \u00e9", None, None),
    ("cannot start", Error, "ERROR"),
]

problems = []


def check(cond, what):
    if not cond:
        problems.append(what)


xml = JUnitXml.fromfile(sys.argv[1])
suites = list(xml)
check(len(suites) == 1, "expected one <testsuite>, got %d" % len(suites))
suite = suites[0]
cases = list(suite)
check(len(cases) == len(EXPECTED), "expected %d testcases, got %d" % (len(EXPECTED), len(cases)))
check(suite.tests == len(EXPECTED), "testsuite tests=%s" % suite.tests)
check(suite.failures == 5, "testsuite failures=%s, expected 5" % suite.failures)
check(suite.errors == 2, "testsuite errors=%s, expected 2" % suite.errors)
check(suite.skipped == 1, "testsuite skipped=%s, expected 1" % suite.skipped)
check(suite.time >= 0.3, "testsuite time=%s, the timeout alone takes 0.3 s" % suite.time)

for case, (name, kind, typ) in zip(cases, EXPECTED):
    check(case.name == name, "testcase name %r, expected %r" % (case.name, name))
    check(case.classname == "isola", "%s: classname %r" % (name, case.classname))
    check(case.time >= 0, "%s: time %r" % (name, case.time))
    results = list(case.result)
    if kind is None:
        check(results == [], "%s: expected no result element, got %r" % (name, results))
    else:
        check(len(results) == 1 and isinstance(results[0], kind),
              "%s: expected a %s, got %r" % (name, kind.__name__, results))
        if typ and results:
            check(results[0].type == typ, "%s: type %r, expected %r" % (name, results[0].type, typ))
    props = {p.get("name"): p.get("value") for p in case._elem.iterfind("properties/property")}
    check(props.get("sandbox", "").startswith("/"), "%s: no sandbox property: %r" % (name, props))
    kept = props.get("sandbox.kept")
    check(kept == ("false" if kind in (None, Skipped) else "true"),
          "%s: sandbox.kept=%r" % (name, kept))

by_name = {c.name: c for c in cases}
nasty = by_name.get(EXPECTED[1][0])
if nasty is not None:
    out = nasty.system_out or ""
    for want in ['"double"', "<a href=\"x\">&amp; & </a> ]]>", "nul: [^@]", "esc: [^[[31mred",
                 "[\ufffd] [\ufffd\ufffd]", "[\u00e9] [\u2713] [\U0001F600]", "to stderr",
                 "no final newline"]:
        check(want in out, "nasty system-out lacks %r: %r" % (want, out))
    check(nasty.result[0].message == "exit 3", "nasty failure message %r" % nasty.result[0].message)
big = by_name.get("big output")
if big is not None:
    out = big.system_out or ""
    check(out.startswith("[isola: output truncated: the last 65536 of 10485775 bytes follow]"),
          "big system-out does not say it was cut: %r" % out[:100])
    check(out.rstrip().endswith("the last line"), "big system-out lacks its end")
    check(len(out.encode()) < 70000, "big system-out holds %d bytes" % len(out.encode()))
timeout = by_name.get("timeout")
if timeout is not None:
    check(timeout.result[0].message.startswith("timed out after 0.300s"),
          "timeout message %r" % timeout.result[0].message)

if problems:
    print("check_junit.py: " + "\ncheck_junit.py: ".join(problems), file=sys.stderr)
    sys.exit(1)
print("junitparser read %d testcases as expected" % len(cases))
