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
        # "tree" is isolated exactly when some tree is a private overlay; a tree or share has
        # a reason exactly when it is not what was asked (a tree private, a share shared).
        trees = e.get("trees", [])
        check(("tree" in e.get("isolated", [])) == any(v["kind"] == "tree" and v["private"] for v in trees),
              "%s: isolated vs trees" % e["test"])
        for v in trees:
            check((v["reason"] is None) == (v["private"] == (v["kind"] == "tree")),
                  "%s: trees: %s has a reason exactly when it is not as asked" % (e["test"], v["path"]))
        check(e["exit_code"] is None or e["signal"] is None, "%s: exit and signal" % e["test"])
check(not started, "tests started and never ended: %r" % sorted(started))

if events and events[-1]["event"] == "run_end":
    end = events[-1]
    # A run of a test ends with its attempt that is not retried, and that attempt carries the
    # run's result (FLAKY: a pass after failed attempts); a test that ran once has one run.
    for e in ends:
        check((e["result"] is None) == e["retried"], "%s: result vs retried" % e["test"])
        if e["result"] is not None and e["result"] != "FLAKY":
            check(e["result"] == e["outcome"], "%s: result %s of a %s attempt" % (e["test"], e["result"], e["outcome"]))
    last = {}
    for e in ends:
        key = (e["test"], e["run"])
        if e["attempt"] >= last.get(key, {"attempt": 0})["attempt"]:
            last[key] = e
    check(all(not e["retried"] for e in last.values()) or end["interrupted_by"] or end["fail_fast"],
          "the last attempt of a run is retried")
    counts = {}
    if all(k[1] == 1 for k in last):
        for e in last.values():
            r = e["result"] or e["outcome"]
            counts[r] = counts.get(r, 0) + 1
        for k, v in end["counts"].items():
            check(counts.get(k, 0) == v, "run_end counts %s=%d, test_end events say %d" % (k, v, counts.get(k, 0)))
    flaky_pass = end["flaky_result"] == "pass"
    check(end["passed"] == end["counts"]["PASS"] + (end["counts"]["FLAKY"] if flaky_pass else 0), "passed")
    check(end["flaky"] == end["counts"]["FLAKY"], "flaky")
    check(end["skipped"] == end["counts"]["SKIP"], "skipped")
    check(end["failed"] == sum(v for k, v in end["counts"].items()
                               if k not in ("PASS", "SKIP") and not (k == "FLAKY" and flaky_pass)), "failed")
    # The flake table: every test an attempt of which failed, with that many failures.
    failed_attempts = {}
    for e in ends:
        if e["outcome"] not in ("PASS", "SKIP") and not e["interrupted"]:
            failed_attempts[e["test"]] = failed_attempts.get(e["test"], 0) + 1
    check({f["test"]: f["failures"] for f in end["flakes"]} == failed_attempts, "run_end flakes")
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
