#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check an isola --trace file by the rules of the Chrome trace event format that Perfetto's and
chrome://tracing's JSON importers apply: a JSON object with traceEvents; complete ("X") events
with integer microsecond ts and dur, pid and tid; slices on one track properly nested (a child
inside its parent, siblings not overlapping), else the importers drop or cut them; metadata
naming each track. And isola's own promises: one track per slot, one slice per attempt with a
"staging" and a "cleanup" slice inside, a "running" counter within 0..jobs.
usage: check_trace.py FILE ATTEMPTS JOBS. Exits 1 with the reasons on a mismatch."""
import json
import sys

path, attempts, jobs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
problems = []


def check(cond, what):
    if not cond:
        problems.append(what)


doc = json.load(open(path, encoding="utf-8"))
events = doc.get("traceEvents")
check(isinstance(events, list), "no traceEvents array")
events = events or []
check(doc.get("displayTimeUnit") in ("ms", "ns"), "displayTimeUnit")

threads = {e["tid"]: e["args"]["name"] for e in events
           if e.get("ph") == "M" and e.get("name") == "thread_name"}
check(sorted(threads) == list(range(1, jobs + 1)), "thread_name tids %r" % sorted(threads))
check(all(threads[t] == "slot %d" % (t - 1) for t in threads), "track names %r" % threads)
check(any(e.get("ph") == "M" and e.get("name") == "process_name" for e in events), "process_name")

slices = [e for e in events if e.get("ph") == "X"]
for e in slices:
    for k in ("name", "ts", "dur", "pid", "tid"):
        check(k in e, "X event without %s: %r" % (k, e))
    check(isinstance(e.get("ts"), int) and e["ts"] >= 0, "ts %r" % e.get("ts"))
    check(isinstance(e.get("dur"), int) and e["dur"] >= 0, "dur %r" % e.get("dur"))
    check(e.get("tid") in threads, "slice on an unnamed track: %r" % e)

tests = [e for e in slices if e.get("cat") == "test"]
check(len(tests) == attempts, "%d attempt slices, expected %d" % (len(tests), attempts))
for t in tests:
    inner = [e for e in slices if e.get("cat") == "isola" and e["tid"] == t["tid"]
             and t["ts"] <= e["ts"] and e["ts"] + e["dur"] <= t["ts"] + t["dur"]]
    names = sorted(e["name"] for e in inner)
    check(names == ["cleanup", "staging"], "%s: nested slices %r" % (t["name"], names))
    check("outcome" in t.get("args", {}), "%s: no outcome" % t["name"])

# Proper nesting per track, as the importers require.
for tid in threads:
    track = sorted((e for e in slices if e["tid"] == tid), key=lambda e: (e["ts"], -e["dur"]))
    stack = []
    for e in track:
        while stack and stack[-1]["ts"] + stack[-1]["dur"] <= e["ts"] and not (
                stack[-1]["dur"] == 0 and stack[-1]["ts"] == e["ts"]):
            stack.pop()
        if stack:
            top = stack[-1]
            check(e["ts"] + e["dur"] <= top["ts"] + top["dur"],
                  "slot %d: %s overlaps %s without nesting" % (tid - 1, e["name"], top["name"]))
        stack.append(e)
    tops = [e for e in track if e.get("cat") == "test"]
    for a, b in zip(tops, tops[1:]):
        check(a["ts"] + a["dur"] <= b["ts"], "slot %d runs two attempts at once" % (tid - 1))

counter = [e["args"]["running"] for e in events if e.get("ph") == "C"]
check(counter and max(counter) <= jobs and min(counter) >= 0, "running counter %r" % counter[:20])
check(counter[-1:] == [0], "the running counter does not end at 0")

if problems:
    print("check_trace.py: " + "\ncheck_trace.py: ".join(problems), file=sys.stderr)
    sys.exit(1)
print("trace: %d slices on %d tracks, properly nested" % (len(slices), len(threads)))
