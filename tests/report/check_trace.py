#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check an isola --trace file by the rules of the Chrome trace event format that Perfetto's and
chrome://tracing's JSON importers apply: a JSON object with traceEvents; complete ("X") events
with integer microsecond ts and dur, pid and tid; slices on one track properly nested (a child
inside its parent, siblings not overlapping), else the importers drop or cut them; metadata
naming each track. And isola's own promises: one track per slot, one slice per attempt with a
"staging" slice inside, one "cleanup" slice per attempt on the cleanup tracks (a sandbox is
removed after its test has left the slot), a "running" counter within 0..jobs.
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
slots = [t for t in threads if t <= jobs]
lanes = [t for t in threads if t > jobs]
check(slots == list(range(1, jobs + 1)), "slot track tids %r" % sorted(threads))
check(all(threads[t] == "slot %d" % (t - 1) for t in slots), "slot track names %r" % threads)
check(sorted(lanes) == list(range(jobs + 1, jobs + 1 + len(lanes))), "cleanup tids %r" % lanes)
check(all(threads[t] == "cleanup %d" % (t - jobs - 1) for t in lanes),
      "cleanup track names %r" % threads)
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
    check(names == ["staging"], "%s: nested slices %r" % (t["name"], names))
    check("outcome" in t.get("args", {}), "%s: no outcome" % t["name"])
    check(t["tid"] in slots, "%s: attempt on track %r" % (t["name"], t["tid"]))
cleanups = [e for e in slices if e.get("name") == "cleanup"]
check(len(cleanups) == attempts, "%d cleanup slices, expected %d" % (len(cleanups), attempts))
check(all(e["tid"] in lanes for e in cleanups), "a cleanup slice on a slot track")
# A cleanup starts where its attempt's slice ends, on the same slot's attempt.
ends = sorted((t["ts"] + t["dur"], t["tid"] - 1, t["name"]) for t in tests)
starts = sorted((e["ts"], e["args"]["slot"], e["args"]["test"]) for e in cleanups)
check(ends == starts, "cleanups do not start where their attempts end")

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
                  "%s: %s overlaps %s without nesting" % (threads[tid], e["name"], top["name"]))
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
