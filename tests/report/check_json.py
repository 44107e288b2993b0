#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check an isola --json report: every line is one JSON object that validates against
events.schema.json, and the events tell a consistent story (a run_start first, a run_end last,
every test_start ended once, counts that add up, a sandbox and a log exactly when kept).
usage: check_json.py FILE [OUTCOME...]: with outcomes, the test_end events must have them, in order.
Exits 1 with the reasons on a mismatch."""
import json
import os
import sys

import jsonschema

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "events.schema.json")) as f:
    schema = json.load(f)
validator = jsonschema.Draft202012Validator(schema)

problems = []


def check(cond, what):
    if not cond:
        problems.append(what)


events = []
with open(sys.argv[1], "rb") as f:
    for n, raw in enumerate(f, 1):
        check(raw.endswith(b"\n"), "line %d does not end with a newline" % n)
        try:
            ev = json.loads(raw.decode("utf-8"))  # strict: invalid UTF-8 would fail here
        except (UnicodeDecodeError, ValueError) as e:
            problems.append("line %d is not JSON: %s" % (n, e))
            continue
        for err in validator.iter_errors(ev):
            problems.append("line %d (%s): %s at %s" % (n, ev.get("event"), err.message,
                                                       "/".join(map(str, err.path))))
        events.append(ev)

kinds = [e.get("event") for e in events]
check(kinds[:1] == ["run_start"], "the first event is %r" % kinds[:1])
check(kinds[-1:] == ["run_end"], "the last event is %r" % kinds[-1:])
check(kinds.count("run_start") == 1 and kinds.count("run_end") == 1, "one run_start, one run_end")
ts = [e["t"] for e in events if "t" in e]
check(ts == sorted(ts), "event times go backwards")

started = {}
ends = []
for e in events:
    if e["event"] == "test_start":
        check(e["seq"] not in started, "seq %d started twice" % e["seq"])
        started[e["seq"]] = e
    elif e["event"] == "test_end":
        ends.append(e)
        s = started.pop(e["seq"], None)
        if s is not None:
            check(s["test"] == e["test"] and s["slot"] == e["slot"],
                  "test_end %d does not match its test_start" % e["seq"])
        check((e["sandbox"] is not None) == e["kept"], "%s: sandbox vs kept" % e["test"])
        check((e["log"] is not None) == e["kept"], "%s: log vs kept" % e["test"])
        if e["kept"]:
            check(os.path.isdir(e["sandbox"]), "%s: kept sandbox %s is gone" % (e["test"], e["sandbox"]))
            check(os.path.getsize(e["log"]) == e["output_bytes"], "%s: output_bytes" % e["test"])
        check((e["outcome"] == "TIMEOUT") == e["timed_out"], "%s: timed_out" % e["test"])
        check(e["exit_code"] is None or e["signal"] is None, "%s: exit and signal" % e["test"])
check(not started, "tests started and never ended: %r" % sorted(started))

if events and events[-1]["event"] == "run_end":
    end = events[-1]
    # A test's outcome is its last attempt's (--retries writes one test_end per attempt).
    last = {}
    for e in ends:
        if e["attempt"] >= last.get(e["test"], {"attempt": 0})["attempt"]:
            last[e["test"]] = e
    counts = {}
    for e in last.values():
        counts[e["outcome"]] = counts.get(e["outcome"], 0) + 1
    for k, v in end["counts"].items():
        check(counts.get(k, 0) == v, "run_end counts %s=%d, test_end events say %d" % (k, v, counts.get(k, 0)))
    check(end["passed"] == end["counts"]["PASS"], "passed")
    check(end["skipped"] == end["counts"]["SKIP"], "skipped")
    check(end["failed"] == sum(v for k, v in end["counts"].items() if k not in ("PASS", "SKIP")), "failed")
    check(sorted(k["sandbox"] for k in end["kept"]) == sorted(e["sandbox"] for e in ends if e["kept"]),
          "run_end kept list")

want = sys.argv[2:]
if want:
    got = [e["outcome"] for e in ends]
    check(got == want, "outcomes %r, expected %r" % (got, want))

if problems:
    print("check_json.py: " + "\ncheck_json.py: ".join(problems), file=sys.stderr)
    sys.exit(1)
print("%d events valid against events.schema.json and consistent" % len(events))
